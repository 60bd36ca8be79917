"""The Versions section in a real browser: an admin activates a held-back version via its dialog."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from custom_models.models import CustomModel, TrainingStatus
from custom_models.services import custom_model_create
from training.models import TrainingRun

pytestmark = pytest.mark.integration


def add_version(model: CustomModel, version: int, wer: float, held_back: str = "") -> None:
    TrainingRun.objects.create(
        custom_model=model,
        status=TrainingRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        version=version,
        model_path=f"{model.pk}/run-v{version}",
        held_back=held_back,
        metrics={"word_error_rate": wer},
        lineage={"base": {"language": "en", "domain": "general", "sha256": "1a5a9f0e"}},
    )


def test_owner_activates_a_held_back_version(owner, log_in):
    model = custom_model_create(organisation=owner.organisation, name="Cardiology EN", language="en")
    add_version(model, 1, 12.0)
    add_version(model, 2, 13.0, held_back="it scored 13.0% WER against version 1's 12.0%.")
    CustomModel.objects.filter(pk=model.pk).update(
        training_status=TrainingStatus.SUCCESS,
        enabled=True,
        model_path=f"{model.pk}/run-v1",
        active_version=1,
    )
    page = log_in(owner)
    page.goto(f"/custom-models/{model.pk}/")
    page.wait_for_load_state()  # the page's deferred scripts (htmx, panel.js) have run

    table = page.get_by_test_id("versions-table")
    v1, v2 = table.locator('tr[data-version="1"]'), table.locator('tr[data-version="2"]')
    expect(v1).to_contain_text("Active")
    expect(v2).to_contain_text("Held back: it scored 13.0% WER")

    v2.get_by_role("button", name="Activate version 2").click()
    dialog = page.get_by_role("dialog", name="Activate version")
    expect(dialog).to_contain_text("Make version 2 of Cardiology EN the one that serves?")
    dialog.get_by_role("button", name="Activate").click()

    expect(page.locator(".toast")).to_have_text("Version 2 is now active")
    expect(dialog).to_be_hidden()
    expect(v2.get_by_test_id("version-active")).to_have_text("Active")
    expect(v1.get_by_role("button", name="Activate version 1")).to_be_visible()
    expect(page.get_by_role("button", name="Train a new version")).to_be_visible()
    model.refresh_from_db()
    assert (model.active_version, model.model_path) == (2, f"{model.pk}/run-v2")
