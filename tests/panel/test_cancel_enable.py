"""Cancel training and Enable anyway on the details page: buttons in the right states, each behind
a confirmation, posting to the same services as the API."""

import json

import pytest

from custom_models.models import CustomModel, QuotaClaim, TrainingStatus
from tests.datasets.factories import add_pairs
from training.models import TrainingRun
from training.services import training_run_start

REASON = "General speech got worse by 3.1 WER points (more than 2)."


def page(client, model) -> str:
    return client.get(f"/custom-models/{model.pk}/").content.decode()


def events(response) -> dict:
    return json.loads(response["HX-Trigger"])


@pytest.mark.parametrize("status", list(TrainingStatus))
def test_cancel_button_sits_by_the_status_only_while_queued_or_running(owner, make_model, login, status):
    model = make_model(status=status)
    html = page(login(owner), model)
    shown = 'data-cancel-training data-open-dialog="cancel-dialog">Cancel training</button>' in html
    assert shown is (status in {TrainingStatus.PROVISIONING, TrainingStatus.RUNNING})
    # The confirmation is on the page, posting to the cancel view.
    assert f'hx-post="/custom-models/{model.pk}/cancel/"' in html


def test_cancel_button_follows_the_status_polling(owner, make_model, login):
    model = make_model(status=TrainingStatus.RUNNING)
    client = login(owner)
    assert "data-cancel-training" in client.get(f"/custom-models/{model.pk}/status/").content.decode()
    CustomModel.objects.filter(pk=model.pk).update(training_status=TrainingStatus.FAILED)
    html = client.get(f"/custom-models/{model.pk}/status/").content.decode()
    assert '<div id="status-card" class="card" hx-swap-oob="true">' in html
    assert "data-cancel-training" not in html


@pytest.mark.parametrize("persona", ["owner", "member"])
def test_cancelling_a_queued_run_fails_it_and_redraws_the_status(request, persona, make_model, login, htmx):
    who = request.getfixturevalue(persona)
    model = make_model()
    add_pairs(model, 3, 240)
    training_run_start(model=model, by=who.user)
    response = login(who).post(f"/custom-models/{model.pk}/cancel/", **htmx)
    assert response.status_code == 200
    assert events(response) == {
        "toast": {"message": "Training cancelled", "level": "success"},
        "closeDialogs": {},
    }
    assert response["HX-Retarget"] == "#status-panel"
    html = response.content.decode()
    assert f"Cancelled by {who.user.username}." in html and "data-train-slot" in html
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.FAILED
    assert not QuotaClaim.objects.exists()


def test_cancelling_a_running_run_leaves_it_to_the_supervisor(owner, make_model, login, htmx):
    model = make_model(status=TrainingStatus.RUNNING)
    run = TrainingRun.objects.create(custom_model=model, status=TrainingRun.Status.RUNNING)
    response = login(owner).post(f"/custom-models/{model.pk}/cancel/", **htmx)
    assert events(response)["toast"] == {"message": "Cancelling training…", "level": "success"}
    run.refresh_from_db()
    assert run.cancel_requested_by == owner.user
    assert 'hx-trigger="every 20s"' in response.content.decode()  # it keeps polling until Failed


def test_cancel_when_nothing_runs_is_refused_with_a_toast(owner, make_model, login, htmx):
    model = make_model(status=TrainingStatus.SUCCESS)
    response = login(owner).post(f"/custom-models/{model.pk}/cancel/", **htmx)
    assert response.status_code == 409
    assert events(response)["toast"]["level"] == "error"
    assert events(response)["toast"]["message"].startswith("Only a queued or running training")


def test_outsider_cannot_cancel(outsider, make_model, login, htmx):
    model = make_model(status=TrainingStatus.RUNNING)
    TrainingRun.objects.create(custom_model=model, status=TrainingRun.Status.RUNNING)
    assert login(outsider).post(f"/custom-models/{model.pk}/cancel/", **htmx).status_code == 404
    assert TrainingRun.objects.get().cancel_requested_by is None


@pytest.fixture
def held_back(make_model):
    model = make_model(status=TrainingStatus.SUCCESS, enabled=False, disabled_reason=REASON)
    TrainingRun.objects.create(custom_model=model, status=TrainingRun.Status.SUCCEEDED)
    return model


@pytest.mark.parametrize(("persona", "shown"), [("owner", True), ("sysop", True), ("member", False)])
def test_enable_anyway_is_offered_to_admins_and_sysops_by_the_reason(
    request, persona, shown, held_back, login
):
    html = page(login(request.getfixturevalue(persona)), held_back)
    assert REASON in html
    button = 'data-enable-anyway data-open-dialog="enable-dialog">Enable anyway</button>'
    assert (button in html) is shown
    assert (f'hx-post="/custom-models/{held_back.pk}/enable/"' in html) is shown


@pytest.mark.parametrize(
    "fields",
    [
        {"training_status": TrainingStatus.SUCCESS, "enabled": True, "disabled_reason": ""},
        {"training_status": TrainingStatus.RUNNING},
        {"training_status": TrainingStatus.FAILED},
    ],
)
def test_enable_anyway_is_not_offered_otherwise(owner, make_model, login, fields):
    model = make_model(status=fields.pop("training_status"), **fields)
    assert "data-enable-anyway" not in page(login(owner), model)


def test_enabling_anyway_takes_a_hosting_claim_and_redraws_the_status(owner, held_back, login, htmx):
    response = login(owner).post(f"/custom-models/{held_back.pk}/enable/", **htmx)
    assert response.status_code == 200
    assert events(response)["toast"] == {"message": "Custom model enabled", "level": "success"}
    html = response.content.decode()
    assert REASON not in html and "data-enable-anyway" not in html
    held_back.refresh_from_db()
    assert held_back.enabled
    assert QuotaClaim.objects.get().kind == QuotaClaim.Kind.HOSTING
    assert held_back.log_lines.get(stage="enable").message.startswith("Enabled anyway by alice")


def test_member_cannot_enable_anyway(member, held_back, login, htmx):
    response = login(member).post(f"/custom-models/{held_back.pk}/enable/", **htmx)
    assert response.status_code == 403
    assert events(response)["toast"]["level"] == "error"
    held_back.refresh_from_db()
    assert not held_back.enabled


def test_no_hosting_claim_left_is_shown(owner, held_back, login, htmx):
    plan = owner.organisation.plan
    plan.hosting_fair_use_limit = 0
    plan.save()
    response = login(owner).post(f"/custom-models/{held_back.pk}/enable/", **htmx)
    assert response.status_code == 402
    assert events(response)["toast"]["message"].startswith("No hosting claims available")
    held_back.refresh_from_db()
    assert not held_back.enabled


def test_outsider_cannot_enable(outsider, held_back, login, htmx):
    assert login(outsider).post(f"/custom-models/{held_back.pk}/enable/", **htmx).status_code == 404


def test_without_htmx_the_actions_redirect_with_a_message(owner, held_back, login):
    response = login(owner).post(f"/custom-models/{held_back.pk}/enable/")
    assert response.status_code == 302 and response["Location"] == f"/custom-models/{held_back.pk}/"
