"""The Versions section of the details page: the table, Activate, Delete, Download and Train a new
version. Versions are succeeded runs made here, not trained."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape

from custom_models.models import CustomModel, TrainingStatus
from tests.datasets.factories import add_file, add_pairs
from training.models import TrainingRun

HELD_BACK = "it scored 31.0% WER against version 1's 12.0% on both versions' test splits (40 utterances)."


@pytest.fixture(autouse=True)
def _trained_dir(settings, tmp_path):
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"


def add_version(model: CustomModel, version: int, *, wer: float = 12.0, held_back: str = "") -> TrainingRun:
    """A succeeded run with its model directory, as training_run_succeed leaves one."""
    path = f"{model.pk}/run-v{version}"
    out = Path(settings.TRAINED_MODELS_DIR) / path
    out.mkdir(parents=True)
    (out / "model.json").write_text(json.dumps({"family": "whisper"}))
    (out / "model.bin").write_bytes(b"weights of version %d" % version)
    return TrainingRun.objects.create(
        custom_model=model,
        status=TrainingRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        version=version,
        model_path=path,
        held_back=held_back,
        metrics={"word_error_rate": wer, "base_word_error_rate": 20.0},
        lineage={
            "base": {"language": "en", "domain": "general", "sha256": "1a5a9f0e77c2d4b8e0aa"},
            "data": {"files": [], "minutes": {"train": 9.0, "valid": 0.5, "test": 2.4}},
            "settings": {"epochs": 5, "seed": 0},
        },
    )


@pytest.fixture
def trained(make_model) -> CustomModel:
    """In Success with two versions: v1 active, v2 held back as worse than v1."""
    model = make_model(status=TrainingStatus.SUCCESS, enabled=True)
    add_version(model, 1)
    add_version(model, 2, wer=31.0, held_back=HELD_BACK)
    CustomModel.objects.filter(pk=model.pk).update(model_path=f"{model.pk}/run-v1", active_version=1)
    model.refresh_from_db()
    return model


def page(client, model) -> str:
    return client.get(f"/custom-models/{model.pk}/").content.decode()


def events(response) -> dict:
    return json.loads(response["HX-Trigger"])


def row(html: str, version: int) -> str:
    match = re.search(rf'<tr data-version="{version}".*?</tr>', html, re.S)
    assert match, f"no row for v{version}"
    return match.group(0)


def test_the_table_lists_versions_newest_first_with_the_active_one_and_a_held_back_reason(
    owner, trained, login
):
    html = page(login(owner), trained)
    assert 'data-testid="versions-table"' in html
    assert html.index('data-version="2"') < html.index('data-version="1"')
    v1, v2 = row(html, 1), row(html, 2)
    assert "<strong>v1</strong>" in v1 and 'data-testid="version-active">Active</span>' in v1
    assert 'title="Base sha256 1a5a9f0e">en · general</span>' in v1
    assert "11.9 min" in v1 and "(9.5 train + 2.4 test)" in v1
    assert "12.0%" in v1 and "(base 20.0%)" in v1
    assert "Active</span>" not in v2 and f"Held back: {escape(HELD_BACK)}" in v2
    assert "31.0%" in v2


def test_no_section_before_the_first_version(owner, make_model, login):
    html = page(login(owner), make_model())
    assert 'data-testid="versions-section" aria-labelledby="versions-title" hidden' in html
    assert "versions-table" not in html


def test_a_member_may_download_but_not_activate_or_delete(member, trained, login):
    html = page(login(member), trained)
    assert f'href="/custom-models/{trained.pk}/versions/2/download/"' in html
    assert "/activate/" not in html and "/versions/2/delete/" not in html
    assert "version-activate-dialog" not in html
    response = login(member).post(f"/custom-models/{trained.pk}/versions/2/activate/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert events(response)["toast"] == {
        "message": "Only admins and sysops can activate a version.",
        "level": "error",
    }
    trained.refresh_from_db()
    assert trained.active_version == 1


def test_an_admin_sees_activate_and_delete_on_inactive_versions_only(owner, trained, login):
    html = page(login(owner), trained)
    assert f'data-action-url="/custom-models/{trained.pk}/versions/2/activate/"' in row(html, 2)
    assert 'aria-label="Delete version 2"' in row(html, 2)
    assert "Activate" not in row(html, 1) and "Delete" not in row(html, 1)


def test_an_admin_activates_a_version_and_the_section_is_redrawn(owner, trained, login, htmx):
    response = login(owner).post(f"/custom-models/{trained.pk}/versions/2/activate/", **htmx)
    assert response.status_code == 200
    assert events(response) == {
        "toast": {"message": "Version 2 is now active", "level": "success"},
        "closeDialogs": {},
        "versionActivated": {},
    }
    assert response["HX-Retarget"] == "#status-panel"
    html = response.content.decode()
    assert '<section id="versions" class="section" data-testid="versions-section"' in html
    assert 'hx-swap-oob="true"' in html and "Active</span>" in row(html, 2)
    trained.refresh_from_db()
    assert (trained.active_version, trained.model_path) == (2, f"{trained.pk}/run-v2")
    assert trained.training_metrics["word_error_rate"] == 31.0


def test_activate_rolls_back_to_an_older_version(owner, trained, login, htmx):
    CustomModel.objects.filter(pk=trained.pk).update(model_path=f"{trained.pk}/run-v2", active_version=2)
    response = login(owner).post(f"/custom-models/{trained.pk}/versions/1/activate/", **htmx)
    assert events(response)["toast"]["message"] == "Version 1 is now active"
    trained.refresh_from_db()
    assert trained.active_version == 1


def test_activating_the_active_version_is_refused(owner, trained, login, htmx):
    response = login(owner).post(f"/custom-models/{trained.pk}/versions/1/activate/", **htmx)
    assert response.status_code == 409
    assert events(response)["toast"] == {"message": "Version 1 is active already.", "level": "error"}


def test_an_admin_deletes_an_inactive_version(owner, trained, login, htmx):
    response = login(owner).post(f"/custom-models/{trained.pk}/versions/2/delete/", **htmx)
    assert response.status_code == 200
    assert events(response)["toast"] == {"message": "Version 2 deleted", "level": "success"}
    html = response.content.decode()
    assert 'data-version="2"' not in html and 'data-version="1"' in html
    assert TrainingRun.objects.get(version=2).version_deleted_at is not None
    assert 'data-version="2"' not in page(login(owner), trained)


def test_deleting_the_active_version_is_refused_and_changes_nothing(owner, trained, login, htmx):
    response = login(owner).post(f"/custom-models/{trained.pk}/versions/1/delete/", **htmx)
    assert response.status_code == 409
    assert events(response)["toast"] == {
        "message": "Version 1 is active: activate another version before deleting it.",
        "level": "error",
    }
    trained.refresh_from_db()
    assert trained.active_version == 1
    assert TrainingRun.objects.get(version=1).version_deleted_at is None
    assert (Path(settings.TRAINED_MODELS_DIR) / trained.model_path).is_dir()


def test_without_htmx_actions_redirect_back_with_a_message(owner, trained, login):
    client = login(owner)
    refused = client.post(f"/custom-models/{trained.pk}/versions/1/delete/")
    assert refused["Location"] == f"/custom-models/{trained.pk}/"
    assert "Version 1 is active: activate another version" in page(client, trained)
    client.post(f"/custom-models/{trained.pk}/versions/2/activate/")
    assert "Version 2 is now active" in page(client, trained)


def test_download_redirects_to_a_signed_zip(member, trained, login, htmx):
    client = login(member)
    response = client.get(f"/custom-models/{trained.pk}/versions/1/download/")
    assert response.status_code == 307
    signed = client.get(response["Location"])
    assert signed.status_code == 200
    assert f'filename="{trained.stt_name}-v1.zip"' in signed["Content-Disposition"]
    assert events(client.get(f"/custom-models/{trained.pk}/versions/1/download/", **htmx))["download"]["url"]


def test_download_of_a_missing_version_says_so(member, trained, login, htmx):
    response = login(member).get(f"/custom-models/{trained.pk}/versions/9/download/", **htmx)
    assert response.status_code == 404
    assert events(response)["toast"]["level"] == "error"


def test_train_a_new_version_shows_in_success_with_a_version_but_not_for_a_first_training(
    owner, trained, make_model, login
):
    html = page(login(owner), trained)
    assert 'data-open-dialog="train-version-dialog">Train a new version</button>' in html
    assert "data-train-slot" not in html  # Train the language stays hidden in Success
    assert "The active version keeps serving transcriptions while the new version trains." in html

    first = page(login(owner), make_model("Legal EN"))
    assert "data-train-slot" in first and "data-train-version" not in first
    # A failed new version: trained again from Failed, the same way.
    CustomModel.objects.filter(pk=trained.pk).update(training_status=TrainingStatus.FAILED)
    failed = page(login(owner), trained)
    assert "data-train-version" in failed and "data-train-slot" not in failed
    assert "Version 1 is active and keeps serving transcriptions." in failed


def test_training_a_new_version_starts_a_run_and_v1_keeps_serving(owner, trained, login, htmx):
    add_pairs(trained, 3, 240)
    response = login(owner).post(f"/custom-models/{trained.pk}/train/", **htmx)
    assert response.status_code == 200
    assert events(response)["toast"] == {
        "message": "Training started successfully. Version 1 keeps serving while the new version trains.",
        "level": "success",
    }
    html = response.content.decode()
    assert "data-train-version" not in html and "data-train-slot" not in html
    assert "Version 1 is active and keeps serving transcriptions while the new version trains." in html
    trained.refresh_from_db()
    assert trained.training_status == TrainingStatus.PROVISIONING
    assert (trained.active_version, trained.model_path, trained.enabled) == (1, f"{trained.pk}/run-v1", True)
    run = TrainingRun.objects.get(status=TrainingRun.Status.QUEUED)
    assert run.started_by == owner.user and run.version is None


def test_a_new_version_with_unmatched_audio_asks_train_anyway(owner, trained, login, htmx):
    add_pairs(trained, 3, 240)
    add_file(trained, "orphan.wav", "audio", 60)
    asked = login(owner).post(f"/custom-models/{trained.pk}/train/", **htmx)
    assert asked.status_code == 422 and asked["HX-Retarget"] == "#train-anyway-body"
    html = asked.content.decode()
    assert "<li>orphan.wav</li>" in html and "Version 1 keeps serving transcriptions" in html
    confirmed = login(owner).post(f"/custom-models/{trained.pk}/train/", {"skip_unmatched": "true"}, **htmx)
    assert confirmed.status_code == 200
    assert TrainingRun.objects.get(status=TrainingRun.Status.QUEUED).skip_unmatched


def test_the_status_poll_redraws_versions_and_buttons_when_a_run_ends(owner, trained, login, htmx):
    CustomModel.objects.filter(pk=trained.pk).update(training_status=TrainingStatus.RUNNING)
    client = login(owner)
    running = client.get(f"/custom-models/{trained.pk}/status/", **htmx).content.decode()
    assert "data-train-version" not in running and 'data-version="3"' not in running
    # The run ends: v3 succeeds and becomes active.
    add_version(trained, 3, wer=9.0)
    CustomModel.objects.filter(pk=trained.pk).update(
        training_status=TrainingStatus.SUCCESS, model_path=f"{trained.pk}/run-v3", active_version=3
    )
    ended = client.get(f"/custom-models/{trained.pk}/status/", **htmx).content.decode()
    assert '<span id="train-slot" hx-swap-oob="true">' in ended and "data-train-version" in ended
    assert 'id="versions"' in ended and "Active</span>" in row(ended, 3)
    assert "Active</span>" not in row(ended, 1)


def test_outsider_gets_404_for_every_version_url(outsider, trained, login, htmx):
    client = login(outsider)
    base = f"/custom-models/{trained.pk}/versions/"
    assert client.get(base + "1/download/").status_code == 404
    assert client.post(base + "2/activate/", **htmx).status_code == 404
    assert client.post(base + "2/delete/", **htmx).status_code == 404
    trained.refresh_from_db()
    assert trained.active_version == 1
    assert TrainingRun.objects.get(version=2).version_deleted_at is None


def test_version_actions_need_post_and_a_login(owner, trained, login, client):
    assert login(owner).get(f"/custom-models/{trained.pk}/versions/2/activate/").status_code == 405
    response = client.post(f"/custom-models/{trained.pk}/versions/2/delete/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
