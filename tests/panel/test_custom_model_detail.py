"""The details page, its status polling and the rename."""

import pytest
from django.utils import timezone

from custom_models.models import TrainingStatus


def test_details_page_shows_breadcrumbs_and_four_cards(owner, make_model, login):
    model = make_model("Cardiology EN")
    response = login(owner).get(f"/custom-models/{model.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="/custom-models/">Custom Models</a>' in html
    for label in ["Name", "Training status", "Base language model", "Last modified"]:
        assert label in html
    assert 'id="model-name"' in html and 'value="Cardiology EN"' in html
    assert "English (US)" in html
    assert "Not running" in html


def test_update_button_starts_disabled_and_follows_the_name(owner, make_model, login):
    model = make_model()
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    assert 'form="rename-form" class="button primary" data-enable-when-changed="#model-name" disabled' in html


@pytest.mark.parametrize(
    ("status", "help_text"),
    [
        (TrainingStatus.NOT_RUNNING, "Upload your datasets first."),
        (TrainingStatus.PROVISIONING, "Training will start shortly."),
        (TrainingStatus.RUNNING, "This can take several hours"),
        (TrainingStatus.SUCCESS, "The model is now usable for new transcriptions"),
        (TrainingStatus.FAILED, "Review the datasets and start training again."),
    ],
)
def test_status_banner_explains_each_status(owner, make_model, login, status, help_text):
    model = make_model(status=status)
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    assert f"status-banner-{status.value}" in html
    assert help_text in html
    assert 'href="/?upload=force-alignment">Need help preparing your data?</a>' in html


@pytest.mark.parametrize("status", list(TrainingStatus))
def test_status_area_polls_only_while_queued_or_running(owner, make_model, login, status):
    model = make_model(status=status)
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    polling = f'hx-get="/custom-models/{model.pk}/status/"' in html
    assert polling == (status in {TrainingStatus.PROVISIONING, TrainingStatus.RUNNING})


@pytest.mark.parametrize("status", list(TrainingStatus))
def test_train_slot_is_there_only_when_training_can_start(owner, make_model, login, status):
    model = make_model(status=status)
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    assert ("data-train-slot" in html) is (status in {TrainingStatus.NOT_RUNNING, TrainingStatus.FAILED})


def test_details_page_has_the_datasets_section(owner, make_model, login):
    model = make_model()
    assert b'data-testid="datasets-section"' in login(owner).get(f"/custom-models/{model.pk}/").content


def test_status_fragment_shows_progress_and_updates_the_badge(owner, make_model, login, htmx):
    model = make_model(status=TrainingStatus.RUNNING, training_progress=42)
    response = login(owner).get(f"/custom-models/{model.pk}/status/", **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="status-panel"')
    assert 'aria-valuenow="42"' in html and "42% done" in html
    assert '<div id="status-card" class="card" hx-swap-oob="true">' in html
    assert '<span id="train-slot" hx-swap-oob="true">' in html


def test_status_fragment_stops_polling_once_training_ends(owner, make_model, login, htmx):
    model = make_model(status=TrainingStatus.FAILED, status_message="Out of memory")
    html = login(owner).get(f"/custom-models/{model.pk}/status/", **htmx).content.decode()
    assert "hx-trigger" not in html
    assert "Out of memory" in html
    assert "data-train-slot" in html


def test_outsider_gets_404_for_every_model_url(owner, outsider, make_model, login):
    model = make_model()
    client = login(outsider)
    for url in [f"/custom-models/{model.pk}/", f"/custom-models/{model.pk}/status/"]:
        assert client.get(url).status_code == 404
    assert client.post(f"/custom-models/{model.pk}/update/", {"name": "Mine now"}).status_code == 404
    model.refresh_from_db()
    assert model.name == "Cardiology EN"


def test_deleted_or_missing_model_is_404(owner, make_model, login):
    model = make_model(deleted_at=timezone.now())
    client = login(owner)
    assert client.get(f"/custom-models/{model.pk}/").status_code == 404
    assert client.get("/custom-models/999999/").status_code == 404


def test_details_need_a_login(owner, make_model, client):
    model = make_model()
    response = client.get(f"/custom-models/{model.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_rename_answers_the_form_heading_and_a_toast(member, make_model, login, htmx):
    model = make_model("Cardiology EN")
    response = login(member).post(f"/custom-models/{model.pk}/update/", {"name": "Cardiology US"}, **htmx)
    assert response.status_code == 200
    model.refresh_from_db()
    assert model.name == "Cardiology US"
    assert response["HX-Trigger"] == (
        '{"toast": {"message": "Custom model updated successfully", "level": "success"}}'
    )
    html = response.content.decode()
    assert 'data-initial="Cardiology US"' in html
    assert '<header id="model-heading" class="page-header" hx-swap-oob="true">' in html
    assert "<h1>Cardiology US</h1>" in html


def test_rename_errors_stay_on_the_name_card(owner, make_model, login, htmx):
    make_model("Taken name")
    model = make_model("Cardiology EN")
    client = login(owner)
    short = client.post(f"/custom-models/{model.pk}/update/", {"name": "A"}, **htmx)
    assert short.status_code == 422
    assert b"Name must be at least 2 characters." in short.content
    assert b'data-initial="Cardiology EN"' in short.content
    clash = client.post(f"/custom-models/{model.pk}/update/", {"name": "taken name"}, **htmx)
    assert clash.status_code == 422
    assert b"Language already exists" in clash.content
    model.refresh_from_db()
    assert model.name == "Cardiology EN"


def test_rename_without_htmx_redirects_back_with_a_toast(owner, make_model, login):
    model = make_model()
    client = login(owner)
    response = client.post(f"/custom-models/{model.pk}/update/", {"name": "Renamed"})
    assert response.status_code == 302
    assert response["Location"] == f"/custom-models/{model.pk}/"
    assert b"Custom model updated successfully" in client.get(response["Location"]).content
