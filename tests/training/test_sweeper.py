from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from custom_models.models import CustomModel, TrainingStatus
from custom_models.services import custom_model_create
from training.models import TrainingRun
from training.supervision import training_runs_sweep


@pytest.fixture
def model(owner) -> CustomModel:
    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def make_run(model, status, *, status_code, age_seconds=0, heartbeat_age=None, attempts=1) -> TrainingRun:
    now = timezone.now()
    run = TrainingRun.objects.create(custom_model=model, status=status, attempts=attempts)
    TrainingRun.objects.filter(pk=run.pk).update(
        created_at=now - timedelta(seconds=age_seconds),
        queued_at=now - timedelta(seconds=age_seconds),
        started_at=now - timedelta(seconds=age_seconds) if status == "running" else None,
        heartbeat_at=now - timedelta(seconds=heartbeat_age) if heartbeat_age is not None else None,
    )
    CustomModel.objects.filter(pk=model.pk).update(training_status=status_code)
    return run


def test_a_silent_trainer_is_queued_again_to_resume_from_its_checkpoint(
    model, settings, django_capture_on_commit_callbacks
):
    settings.TRAINING_HEARTBEAT_TIMEOUT = 60
    run = make_run(model, "running", status_code=TrainingStatus.RUNNING, age_seconds=300, heartbeat_age=61)
    with django_capture_on_commit_callbacks() as enqueued:
        assert training_runs_sweep() == [run.pk]
    assert len(enqueued) == 1  # a worker will take it again
    run.refresh_from_db()
    assert run.status == "queued" and run.pid is None
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.PROVISIONING
    line = model.log_lines.last()
    assert "stopped responding" in line.message and "resumes from its last checkpoint" in line.message
    assert "2 more attempt(s) left" in line.message
    # The queue timeout counts from when it was queued again, not from the request.
    settings.TRAINING_QUEUE_TIMEOUT = 200
    assert training_runs_sweep() == []


def test_a_silent_trainer_is_failed_with_the_reason_after_its_last_attempt(model, settings):
    settings.TRAINING_HEARTBEAT_TIMEOUT = 60
    run = make_run(
        model, "running", status_code=TrainingStatus.RUNNING, age_seconds=300, heartbeat_age=61, attempts=3
    )
    assert training_runs_sweep() == [run.pk]
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.FAILED
    assert "stopped responding" in model.status_message
    assert model.log_lines.last().level == "error"
    run.refresh_from_db()
    assert run.status == "failed" and run.finished_at


def test_a_live_trainer_is_left_alone(model, settings):
    settings.TRAINING_HEARTBEAT_TIMEOUT = 60
    make_run(model, "running", status_code=TrainingStatus.RUNNING, age_seconds=300, heartbeat_age=5)
    assert training_runs_sweep() == []
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.RUNNING


def test_a_run_past_the_training_timeout_is_failed(model, settings):
    settings.TRAINING_TIMEOUT = 600
    make_run(model, "running", status_code=TrainingStatus.RUNNING, age_seconds=601, heartbeat_age=1)
    assert len(training_runs_sweep()) == 1
    model.refresh_from_db()
    assert "10-minute limit" in model.status_message


def test_a_run_nobody_picks_up_is_failed_after_the_queue_timeout(model, settings):
    settings.TRAINING_QUEUE_TIMEOUT = 3600
    make_run(model, "queued", status_code=TrainingStatus.PROVISIONING, age_seconds=3601)
    assert len(training_runs_sweep()) == 1
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.FAILED
    assert "No worker" in model.status_message


def test_a_model_stuck_without_any_run_is_failed(model, settings):
    settings.TRAINING_HEARTBEAT_TIMEOUT = 60
    CustomModel.objects.filter(pk=model.pk).update(
        training_status=TrainingStatus.RUNNING, updated_at=timezone.now() - timedelta(seconds=61)
    )
    training_runs_sweep()
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.FAILED


def test_the_sweeper_runs_every_minute_on_the_cluster(db):
    schedule = Schedule.objects.get(func="training.tasks.sweep_training")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1


def test_a_failed_model_can_be_trained_again_and_keeps_its_training_claim(model, owner):
    from custom_models.models import QuotaClaim
    from tests.datasets.factories import add_pairs

    add_pairs(model, 3, 240)
    assert owner.client().post(f"/api/v3/custom_models/{model.pk}/run", {}, format="json").status_code == 202
    TrainingRun.objects.update(queued_at=timezone.now() - timedelta(days=1))
    training_runs_sweep()
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.FAILED
    assert QuotaClaim.objects.filter(kind="training").count() == 1
    assert owner.client().post(f"/api/v3/custom_models/{model.pk}/run", {}, format="json").status_code == 202


def test_a_transcription_left_running_by_a_dead_worker_is_failed(owner):
    from training.inference import MEDIA_JOB_TIMEOUT_SECONDS
    from training.models import TranscriptionJob
    from training.tasks import sweep_training

    job = TranscriptionJob.objects.create(
        organisation=owner.organisation, model_label="en", filename="a.wav", media="x.wav", status="running"
    )
    TranscriptionJob.objects.filter(pk=job.pk).update(
        started_at=timezone.now() - timedelta(seconds=MEDIA_JOB_TIMEOUT_SECONDS + 1)
    )
    sweep_training()
    job.refresh_from_db()
    assert job.status == "failed" and "worker stopped" in job.error


def test_the_sweeper_removes_what_dead_trainers_left_and_keeps_live_and_served_models(
    model, settings, tmp_path
):
    settings.TRAINING_WORK_DIR = tmp_path / "work"
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"
    running = make_run(model, "running", status_code=TrainingStatus.RUNNING, heartbeat_age=1)
    failed = make_run(model, "failed", status_code=TrainingStatus.FAILED)
    succeeded = make_run(model, "succeeded", status_code=TrainingStatus.SUCCESS)
    gone = 999_999  # a run whose row was deleted with its model
    for run_id in (running.pk, failed.pk, succeeded.pk, gone):
        (tmp_path / "work" / f"run-{run_id}" / "tmp" / "asr-lexicon-x").mkdir(parents=True)
        (tmp_path / "trained" / str(model.pk) / f"run-{run_id}").mkdir(parents=True)

    from training.tasks import sweep_training

    sweep_training()

    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == [f"run-{running.pk}"]
    assert sorted(p.name for p in (tmp_path / "trained" / str(model.pk)).iterdir()) == sorted(
        [f"run-{running.pk}", f"run-{succeeded.pk}"]
    )
