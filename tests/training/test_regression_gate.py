"""The regression gate: a model that forgot everyday speech succeeds but is not enabled.

A deliberately overfitted run (many epochs at a high learning rate on a minute of one
espeak voice) of the Whisper base, in process: the anchor set (everyday sentences in
piper's voice) catches it; an admin then enables it anyway, and the log says who.
"""

import pytest

from custom_models.models import QuotaClaim, TrainingStatus
from custom_models.services import custom_model_create
from tests.training.test_lifecycle_whisper import upload_cased_pairs
from tests.training.test_pipeline_checks import train_in_process

pytestmark = pytest.mark.integration


def test_an_overfitted_run_is_caught_by_the_gate_and_can_be_enabled_anyway(
    owner, member, whisper_english, settings, tmp_path
):
    settings.TRAINING_WORK_DIR = tmp_path / "work"
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"
    settings.DATASET_MIN_MINUTES = 0.5
    settings.TRAINING_EPOCHS = 10
    settings.TRAINING_LEARNING_RATE = 6e-4  # six times the engine's choice for this much data
    settings.TRAINING_BLEND_SHARES = (1.0,)  # all of the over-training ships: nothing to step back to
    model = custom_model_create(organisation=owner.organisation, name="Overfitted", language="en")
    upload_cased_pairs(model, tmp_path)

    run = train_in_process(model)

    assert run.status == "succeeded", run.error
    anchor = run.evaluation["anchor"]
    assert not anchor["passed"] and anchor["change"] > settings.TRAINING_MAX_REGRESSION, anchor
    assert model.training_status == TrainingStatus.SUCCESS and not model.enabled
    assert model.disabled_reason.startswith("General speech got worse: WER on everyday speech went from")
    assert not QuotaClaim.objects.filter(custom_model=model, kind=QuotaClaim.Kind.HOSTING).exists()
    body = owner.client().get(f"/api/v3/custom_models/{model.pk}").json()
    assert body["enabled"] is False and body["disabled_reason"] == model.disabled_reason
    assert [point["epoch"] for point in run.evaluation["curve"]][:2] == [1, 2]

    url = f"/api/v3/custom_models/{model.pk}/enable"
    assert member.client().post(url).status_code == 403
    response = owner.client().post(url)
    assert response.status_code == 200, response.content
    model.refresh_from_db()
    assert model.enabled and model.disabled_reason == ""
    assert QuotaClaim.objects.filter(custom_model=model, kind=QuotaClaim.Kind.HOSTING).exists()
    last = model.log_lines.last().message
    assert last.startswith(f"Enabled anyway by {owner.user.username}") and "General speech got worse" in last
