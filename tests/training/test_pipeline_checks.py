"""What a run checks on its own data: enough prepared speech, and a model better than chance.

Both runs are real (the tiny base, ffmpeg, fine-tuning) and end Failed with the spec's code,
leaving no model, no hosting claim and no files behind.
"""

import pytest

from custom_models.models import QuotaClaim, TrainingStatus
from custom_models.services import custom_model_create
from datasets.models import DatasetFile
from tests.training.test_lifecycle import upload_pairs
from training import pipeline
from training.models import TrainingRun
from training.services import training_run_claim, training_run_start

pytestmark = pytest.mark.integration


@pytest.fixture
def scratch(settings, tmp_path):
    settings.TRAINING_WORK_DIR = tmp_path / "work"
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"
    settings.TRAINING_EPOCHS = 1
    return tmp_path


def train_in_process(model) -> TrainingRun:
    run = training_run_start(model=model)
    claimed = training_run_claim(run_id=run.pk)
    assert claimed is not None
    pipeline.run(claimed.pk)
    model.refresh_from_db()
    return TrainingRun.objects.get(pk=run.pk)


def assert_nothing_left(scratch, model):
    assert list((scratch / "work").glob("*")) == []
    assert list((scratch / "trained").glob(f"{model.pk}/*")) == []
    assert not QuotaClaim.objects.filter(custom_model=model, kind=QuotaClaim.Kind.HOSTING).exists()


def test_hours_claimed_by_stored_durations_fail_on_the_speech_actually_prepared(owner, tiny_base, scratch):
    # Durations stored before they were measured from decoded audio: a forged header said hours.
    model = custom_model_create(organisation=owner.organisation, name="Forged", language="en")
    upload_pairs(model, scratch)
    DatasetFile.objects.filter(custom_model=model, kind="audio").update(duration=4_294_967)

    run = train_in_process(model)

    assert run.status == "failed" and run.error_code == "INSUFFICIENT_DATA"
    assert model.training_status == TrainingStatus.FAILED and not model.enabled
    body = owner.client().get(f"/api/v3/custom_models/{model.pk}").json()
    assert body["training_status"] == 5 and body["failure_code"] == "INSUFFICIENT_DATA"
    assert model.status_message.startswith("Only 0.")
    assert "minutes of usable speech were found" in model.status_message
    assert "at least 5.0 minutes are needed" in model.status_message
    assert model.log_lines.filter(stage="train").count() == 0  # refused before any training
    assert_nothing_left(scratch, model)


def test_a_model_that_gets_no_word_right_is_failed_not_enabled(owner, tiny_base, scratch, settings):
    settings.DATASET_MIN_MINUTES = 0.5
    model = custom_model_create(organisation=owner.organisation, name="Nonsense", language="en")
    # Transcripts of words nobody says: no model can get one of them right.
    upload_pairs(model, scratch, text=lambda n: " ".join(f"zqx{n}{k}vbw" for k in range(8)))

    run = train_in_process(model)

    assert run.status == "failed" and run.error_code == "TRAINING_FAILED"
    assert model.training_status == TrainingStatus.FAILED and not model.enabled
    body = owner.client().get(f"/api/v3/custom_models/{model.pk}").json()
    assert body["training_status"] == 5 and body["failure_code"] == "TRAINING_FAILED"
    assert "The trained model is not usable: its word error rate on the test split is" in model.status_message
    assert_nothing_left(scratch, model)
