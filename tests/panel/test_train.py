"""Train the language from the details page: the service decides, the panel words the answer."""

import json

import pytest

from custom_models.models import CustomModel, QuotaClaim, TrainingStatus
from tests.datasets.factories import add_file, add_pairs
from training.models import TrainingRun


def train(client, model, htmx, **data):
    return client.post(f"/custom-models/{model.pk}/train/", data, **htmx)


def toast(response) -> dict:
    return json.loads(response["HX-Trigger"])["toast"]


@pytest.mark.parametrize("persona", ["owner", "member"])
def test_training_starts_with_a_toast_and_a_polling_status_area(request, persona, make_model, login, htmx):
    model = make_model()
    add_pairs(model, 3, 240)
    response = train(login(request.getfixturevalue(persona)), model, htmx)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {
        "toast": {"message": "Training started successfully", "level": "success"},
        "closeDialogs": {},
    }
    assert response["HX-Retarget"] == "#status-panel"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="status-panel"')
    assert f'hx-get="/custom-models/{model.pk}/status/"' in html  # polling starts
    assert "Provisioning resources" in html
    assert '<span id="train-slot" hx-swap-oob="true">' in html and "data-train-slot" not in html
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.PROVISIONING
    assert TrainingRun.objects.get().started_by == request.getfixturevalue(persona).user


def test_train_button_opens_a_confirmation(owner, make_model, login):
    model = make_model()
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    assert 'data-open-dialog="train-dialog">Train the language</button>' in html
    assert f'hx-post="/custom-models/{model.pk}/train/"' in html


def test_validation_failure_shows_the_first_error(owner, make_model, login, htmx):
    model = make_model()
    add_pairs(model, 2, 129)
    response = train(login(owner), model, htmx)
    assert response.status_code == 400
    assert toast(response) == {
        "message": "Need minimum 10 minutes total duration (found 4.3 minutes)",
        "level": "error",
    }
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.NOT_RUNNING


def test_no_data_is_shown_with_the_services_message(owner, make_model, login, htmx):
    model = make_model()
    response = train(login(owner), model, htmx)
    assert response.status_code == 400
    assert toast(response)["message"] == "No data uploaded: upload audio files and their transcripts first."
    add_file(model, "a.wav", "audio", 900)
    assert toast(train(login(owner), model, htmx))["message"] == "At least one transcript file is required"


def test_no_claims_available_is_shown(owner, make_model, login, htmx):
    model = make_model()
    add_pairs(model, 3, 240)
    plan = owner.organisation.plan
    plan.training_fair_use_limit, plan.training_unit_price = 0, None
    plan.save()
    response = train(login(owner), model, htmx)
    assert response.status_code == 402
    assert toast(response)["message"].startswith("No training claims available")
    assert not QuotaClaim.objects.exists()


def test_unmatched_audio_asks_train_anyway_then_skips_them(owner, make_model, login, htmx):
    model = make_model()
    add_pairs(model, 3, 240)
    add_file(model, "orphan.wav", "audio", 60)
    client = login(owner)
    asked = train(client, model, htmx)
    assert asked.status_code == 422
    assert asked["HX-Retarget"] == "#train-anyway-body"
    assert json.loads(asked["HX-Trigger-After-Swap"]) == {"openDialog": {"id": "train-anyway-dialog"}}
    html = asked.content.decode()
    assert "Train anyway?" in html and "<li>orphan.wav</li>" in html
    assert 'name="skip_unmatched" value="true"' in html
    assert not TrainingRun.objects.exists()

    confirmed = train(client, model, htmx, skip_unmatched="true")
    assert toast(confirmed)["message"] == "Training started successfully"
    assert TrainingRun.objects.get().skip_unmatched


def test_model_already_training_is_not_ready(owner, make_model, login, htmx):
    model = make_model(status=TrainingStatus.RUNNING)
    response = train(login(owner), model, htmx)
    assert response.status_code == 409
    assert toast(response)["message"].startswith("Model is not ready to run")


def test_sixth_start_in_an_hour_is_rate_limited_and_costs_no_claim(owner, make_model, login, htmx):
    client = login(owner)
    models = []
    for n in range(6):
        model = make_model(f"Model {n}")
        add_pairs(model, 3, 240)
        models.append(model)
    for model in models[:5]:
        assert train(client, model, htmx).status_code == 200
    refused = train(client, models[5], htmx)
    assert refused.status_code == 429
    assert toast(refused)["message"].startswith("Rate limit exceeded. Try again in ")
    assert QuotaClaim.objects.filter(kind="training").count() == 5


def test_without_htmx_train_redirects_back_with_a_toast(owner, make_model, login):
    model = make_model()
    client = login(owner)
    refused = client.post(f"/custom-models/{model.pk}/train/")
    assert refused["Location"] == f"/custom-models/{model.pk}/"
    assert b"No data uploaded" in client.get(refused["Location"]).content
    add_pairs(model, 3, 240)
    client.post(f"/custom-models/{model.pk}/train/")
    assert b"Training started successfully" in client.get(f"/custom-models/{model.pk}/").content


def test_outsider_and_featureless_cannot_train(outsider, featureless, make_model, login, htmx):
    model = make_model()
    add_pairs(model, 3, 240)
    assert train(login(outsider), model, htmx).status_code == 404
    assert train(login(featureless), model, htmx).status_code == 403
    assert not TrainingRun.objects.exists()


def test_train_needs_a_login_and_post(owner, make_model, login, client):
    model = make_model()
    response = client.post(f"/custom-models/{model.pk}/train/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert login(owner).get(f"/custom-models/{model.pk}/train/").status_code == 405


def test_success_shows_the_metrics(owner, make_model, login):
    metrics = {
        "word_error_rate": 12.34,
        "character_error_rate": 5.5,
        "accuracy_improvement": 38.2,
        "training_hours": 1.25,
        "base_word_error_rate": 20.0,
        "test_utterances": 42,
        "normaliser": "lower-case, punctuation stripped, whitespace collapsed",
    }
    model = make_model(status=TrainingStatus.SUCCESS, training_metrics=metrics, enabled=True)
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    assert "Word error rate</dt><dd>12.3%" in html and "(base 20.0%)" in html
    assert "Accuracy improvement</dt><dd>38.2%" in html
    assert "Test utterances</dt><dd>42" in html
    CustomModel.objects.filter(pk=model.pk).update(training_status=TrainingStatus.FAILED)
    assert "Word error rate" not in login(owner).get(f"/custom-models/{model.pk}/").content.decode()


def test_failure_shows_the_status_message(owner, make_model, login):
    model = make_model(status=TrainingStatus.FAILED, status_message="Out of memory")
    assert b"Out of memory" in login(owner).get(f"/custom-models/{model.pk}/").content
