"""The worker's supervision of the training child: a killed child or a deleted model never
leaves a model in Running."""

import os
import signal
import threading
import time

import pytest
from django.db import connection

from custom_models.models import TrainingStatus
from custom_models.services import custom_model_create
from tests.training.test_lifecycle import upload_pairs, wait_for
from training import tasks
from training.models import TrainingRun
from training.services import training_run_start

pytestmark = pytest.mark.integration


@pytest.fixture
def started(transactional_db, owner, tmp_path, settings, monkeypatch):
    """A queued run whose child process will see this test's database and files."""
    settings.DATASET_MIN_MINUTES = 0.5
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"
    settings.TRAINING_WORK_DIR = tmp_path / "work"
    for name, value in {
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TRAINED_MODELS_DIR": str(tmp_path / "trained"),
        "TRAINING_WORK_DIR": str(tmp_path / "work"),
        "DATASET_MIN_MINUTES": "0.5",
        "TRAINING_EPOCHS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    upload_pairs(model, tmp_path)
    run = training_run_start(model=model)
    worker = threading.Thread(target=tasks.run_training, args=(run.pk,))
    worker.start()
    yield model, run, worker
    worker.join(timeout=300)  # a real (starter) training run; minutes on a loaded machine


def child_pid(run) -> int:
    return wait_for(lambda: TrainingRun.objects.get(pk=run.pk).pid, 30, "the child to start")


def busy_child_pid(run, tmp_path) -> int:
    """The child's pid once it has written prepared audio into its work directory."""
    pid = child_pid(run)
    wait_for(lambda: any((tmp_path / "work").rglob("*.wav")), 60, "the child to prepare its data")
    return pid


def assert_no_files_left(tmp_path, run):
    assert list((tmp_path / "work").iterdir()) == []  # its work directory and temporary files
    assert list((tmp_path / "trained").glob(f"*/run-{run.pk}")) == []


def test_a_killed_child_is_queued_again_to_resume_and_leaves_no_scratch(started, tmp_path):
    model, run, worker = started
    os.killpg(busy_child_pid(run, tmp_path), signal.SIGKILL)
    worker.join(timeout=30)
    run.refresh_from_db()
    assert run.status == "queued" and run.attempts == 1
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.PROVISIONING
    assert "killed (signal 9)" in model.log_lines.last().message
    assert_no_files_left(tmp_path, run)


def test_a_trainer_told_to_stop_hands_its_run_back_at_once_without_spending_an_attempt(started, tmp_path):
    model, run, worker = started
    # What the worker's SIGTERM handler passes on to its child's group (the worker here is a thread).
    os.killpg(busy_child_pid(run, tmp_path), signal.SIGTERM)
    worker.join(timeout=30)
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("queued", 0)
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.PROVISIONING
    assert "handed the run back" in model.log_lines.last().message
    assert_no_files_left(tmp_path, run)


def test_a_killed_child_ends_failed_with_the_reason_and_leaves_no_files(started, tmp_path, settings):
    settings.TRAINING_MAX_ATTEMPTS = 1  # its only trainer
    model, run, worker = started
    os.killpg(busy_child_pid(run, tmp_path), signal.SIGKILL)
    worker.join(timeout=30)
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.FAILED
    assert model.failure_code == "TRAINING_FAILED"
    assert "exited with code -9" in model.status_message
    assert TrainingRun.objects.get(pk=run.pk).status == "failed"
    assert_no_files_left(tmp_path, run)


def test_deleting_a_training_model_stops_its_child_and_removes_its_files(started, owner, tmp_path):
    model, run, worker = started
    pid = busy_child_pid(run, tmp_path)
    assert owner.client().delete(f"/api/v3/custom_models/{model.pk}").status_code == 204
    worker.join(timeout=30)
    assert not worker.is_alive()
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    run.refresh_from_db()
    assert run.status == "failed" and "deleted" in run.error
    assert_no_files_left(tmp_path, run)


def test_running_the_task_twice_trains_once(started):
    model, run, worker = started
    tasks.run_training(run.pk)  # the queue handing the same task out again
    worker.join(timeout=300)  # a real (starter) training run; minutes on a loaded machine
    starts = model.log_lines.filter(stage="start").count()
    assert starts == 1
    assert TrainingRun.objects.get(pk=run.pk).status == "succeeded", TrainingRun.objects.get(pk=run.pk).error
