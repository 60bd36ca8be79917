"""training_run_fail: every way a run fails, as the user sees it: the model Failed (5) and
disabled, its status message and failure code, the run's record, and one error line in the log."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from custom_models.models import CustomModel, TrainingStatus
from custom_models.services import custom_model_create, custom_model_delete
from tests.datasets.factories import add_pairs
from training import tasks
from training.models import TrainingRun
from training.pipeline import RunRefused
from training.services import (
    Failure,
    training_run_cancel_finish,
    training_run_claim,
    training_run_fail,
    training_run_start,
)
from training.supervision import training_runs_sweep


@pytest.fixture
def model(owner) -> CustomModel:
    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def live_run(model, status=TrainingRun.Status.RUNNING, *, age_seconds=0, heartbeat_age=0) -> TrainingRun:
    """A run in 2 (queued) or 3 (running) as far back as asked, its model in the matching status."""
    now = timezone.now()
    run = TrainingRun.objects.create(custom_model=model, status=status)
    TrainingRun.objects.filter(pk=run.pk).update(
        created_at=now - timedelta(seconds=age_seconds),
        queued_at=now - timedelta(seconds=age_seconds),
        started_at=now - timedelta(seconds=age_seconds) if status == TrainingRun.Status.RUNNING else None,
        heartbeat_at=now - timedelta(seconds=heartbeat_age),
    )
    running = status == TrainingRun.Status.RUNNING
    CustomModel.objects.filter(pk=model.pk).update(
        training_status=TrainingStatus.RUNNING if running else TrainingStatus.PROVISIONING, enabled=True
    )
    return TrainingRun.objects.select_related("custom_model").get(pk=run.pk)


def assert_failed(model, run, message: str, code: str) -> None:
    """What the user sees of a failed run: the model, the run's record and the log's last line."""
    model.refresh_from_db()
    assert (model.training_status, model.status_message, model.failure_code) == (
        TrainingStatus.FAILED,
        message,
        code,
    )
    assert not model.enabled
    line = model.log_lines.last()
    assert (line.stage, line.level, line.message) == ("failed", "error", message)
    if run is not None:
        run.refresh_from_db()
        assert (run.status, run.error, run.error_code) == ("failed", message, code)
        assert run.finished_at is not None and line.run == run


@pytest.mark.parametrize(
    "cause, words, message, code",
    [
        (Failure.MODEL_DELETED, {}, "The model was deleted while training.", "TRAINING_FAILED"),
        (
            Failure.EXITED,
            {"code": 1, "last_line": "training failed: out of memory"},
            "The training process exited with code 1: training failed: out of memory",
            "TRAINING_FAILED",
        ),
        (
            Failure.EXITED_SILENTLY,
            {"code": -9},
            "The training process exited with code -9.",
            "TRAINING_FAILED",
        ),
        (Failure.STOPPED, {}, "Training was stopped.", "TRAINING_FAILED"),
        (Failure.CRASHED, {"stage": "train", "error": "CUDA error"}, "train: CUDA error", "TRAINING_FAILED"),
        (Failure.CANCELLED, {"user": "alice"}, "Cancelled by alice.", "CANCELLED"),
    ],
)
def test_a_running_run_fails_in_the_words_of_its_cause(model, cause, words, message, code):
    run = live_run(model)
    assert training_run_fail(run=run, cause=cause, **words)
    assert_failed(model, run, message, code)


def test_too_little_speech_is_insufficient_data_with_the_minutes_found_and_needed(model):
    run = live_run(model)
    refusal = RunRefused(Failure.TOO_LITTLE_SPEECH, found=1.23, train=4, test=1, needed=5)
    training_run_fail(run=run, cause=refusal.cause, **refusal.words)
    assert_failed(
        model,
        run,
        "Only 1.2 minutes of usable speech were found in the matched audio and transcripts (4 training "
        "and 1 test segments); at least 5.0 minutes are needed. Check that the transcripts match the "
        "audio, or add more.",
        "INSUFFICIENT_DATA",
    )


def test_a_model_no_better_than_chance_is_training_failed_with_both_error_rates(model):
    run = live_run(model)
    refusal = RunRefused(Failure.NOT_USABLE, wer=100, base_wer=87.25)
    training_run_fail(run=run, cause=refusal.cause, **refusal.words)
    assert str(refusal) == model.log_lines.last().message
    assert_failed(
        model,
        run,
        "The trained model is not usable: its word error rate on the test split is 100.0% (the base "
        "model's 87.2%), so it was not enabled. Check that the transcripts match the audio.",
        "TRAINING_FAILED",
    )


def test_a_silent_trainer_is_swept_as_not_responding_once_no_attempt_is_left(model, settings):
    settings.TRAINING_HEARTBEAT_TIMEOUT = 60
    settings.TRAINING_MAX_ATTEMPTS = 0
    run = live_run(model, age_seconds=300, heartbeat_age=61)
    assert training_runs_sweep() == [run.pk]
    message = "The training process stopped responding (worker or process killed)."
    assert_failed(model, run, message, "TRAINING_FAILED")


def test_an_overdue_run_is_swept_in_the_same_words_as_its_supervisor_uses(model, settings):
    settings.TRAINING_TIMEOUT = 1200
    run = live_run(model, age_seconds=1201)
    assert training_runs_sweep() == [run.pk]
    assert_failed(model, run, "Training took longer than the 20-minute limit.", "TRAINING_FAILED")


def test_a_run_nobody_picks_up_is_swept(model, settings):
    settings.TRAINING_QUEUE_TIMEOUT = 3600
    run = live_run(model, TrainingRun.Status.QUEUED, age_seconds=3601)
    assert training_runs_sweep() == [run.pk]
    assert_failed(model, run, "No worker picked up the training in time.", "TRAINING_FAILED")


def test_a_model_whose_run_was_lost_is_swept_as_interrupted(model, settings):
    settings.TRAINING_HEARTBEAT_TIMEOUT = 60
    CustomModel.objects.filter(pk=model.pk).update(
        training_status=TrainingStatus.RUNNING, updated_at=timezone.now() - timedelta(seconds=61)
    )
    assert training_runs_sweep() == []
    assert_failed(model, None, "Training was interrupted.", "TRAINING_FAILED")
    assert model.log_lines.get().run is None


def test_a_model_with_a_live_run_is_not_failed_as_if_its_run_were_lost(model):
    run = live_run(model)
    assert not training_run_fail(model=model, cause=Failure.INTERRUPTED)
    model.refresh_from_db()
    run.refresh_from_db()
    assert (model.training_status, run.status) == (TrainingStatus.RUNNING, "running")
    assert not model.log_lines.exists()


def test_a_claim_on_a_deleted_model_fails_the_run_and_keeps_the_deletes_words(model, owner):
    add_pairs(model, 3, 240)
    run = training_run_start(model=model)
    custom_model_delete(model=model, by=owner.membership)
    assert training_run_claim(run_id=run.pk) is None
    run.refresh_from_db()
    assert (run.status, run.error, run.error_code) == (
        "failed",
        "The model was deleted or changed.",
        "TRAINING_FAILED",
    )
    model.refresh_from_db()
    assert (model.training_status, model.status_message) == (
        TrainingStatus.FAILED,
        "The model was deleted while training.",
    )
    assert model.log_lines.last().message == "The model was deleted or changed."


@pytest.mark.parametrize("status", [TrainingRun.Status.SUCCEEDED, TrainingRun.Status.FAILED])
def test_a_run_that_ended_is_not_failed_again(model, status):
    run = live_run(model)
    TrainingRun.objects.filter(pk=run.pk).update(status=status, error="Its own words.")
    CustomModel.objects.filter(pk=model.pk).update(training_status=TrainingStatus.SUCCESS)
    assert not training_run_fail(run=run, cause=Failure.NOT_RESPONDING)
    run.refresh_from_db()
    model.refresh_from_db()
    assert (run.status, run.error) == (status, "Its own words.")
    assert (model.training_status, model.enabled) == (TrainingStatus.SUCCESS, True)
    assert not model.log_lines.exists()


def test_a_cancel_is_recorded_once(model, owner):
    run = live_run(model)
    TrainingRun.objects.filter(pk=run.pk).update(cancel_requested_by=owner.user)
    training_run_cancel_finish(run=run)
    training_run_cancel_finish(run=run)  # the supervisor and a second look
    assert_failed(model, run, "Cancelled by alice.", "CANCELLED")
    assert model.log_lines.filter(stage="failed").count() == 1


@pytest.mark.integration
def test_a_child_that_dies_without_a_word_is_failed_with_its_exit_code_and_last_line(
    transactional_db, owner, tmp_path, settings, monkeypatch
):
    """A real child that cannot record its own end (it sees a database without the run)."""
    settings.TRAINING_WORK_DIR = tmp_path / "work"
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    add_pairs(model, 3, 240)
    run = training_run_start(model=model)
    worker = threading.Thread(target=tasks.run_training, args=(run.pk,))
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive()
    message = "The training process exited with code 1: training failed: no such table: training_trainingrun"
    assert_failed(model, TrainingRun.objects.get(pk=run.pk), message, "TRAINING_FAILED")
    assert list((tmp_path / "work").iterdir()) == []  # the supervisor removed what the child left
