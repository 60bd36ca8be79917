"""POST /api/v3/custom_models/{id}/cancel: a queued or running training ends Failed, "Cancelled by
<user>.", with its process and files gone. A queued run gives its training claim back; a running
one keeps it (the compute was spent)."""

import os
import subprocess
import sys

import pytest

from custom_models.models import CustomModel, QuotaClaim, TrainingStatus
from custom_models.services import custom_model_create
from tests.conftest import assert_error
from tests.datasets.factories import add_pairs
from tests.training.test_lifecycle import ROOT, cluster_env, upload_pairs, wait_for
from training.models import TrainingRun
from training.services import (
    Failure,
    training_heartbeat,
    training_run_cancel_finish,
    training_run_fail,
    training_run_start,
)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def cancel(persona, model):
    return persona.client().post(f"/api/v3/custom_models/{model.pk}/cancel")


@pytest.fixture
def queued(owner) -> CustomModel:
    """A model whose Train request was accepted (a training claim taken) but not picked up yet."""
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    add_pairs(model, 3, 240)
    training_run_start(model=model, by=owner.user)
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.PROVISIONING
    return model


@pytest.fixture
def running(queued) -> TrainingRun:
    """The same run, claimed by a worker (status 3)."""
    TrainingRun.objects.update(status=TrainingRun.Status.RUNNING)
    CustomModel.objects.filter(pk=queued.pk).update(training_status=TrainingStatus.RUNNING)
    queued.refresh_from_db()
    return TrainingRun.objects.get()


@pytest.mark.parametrize("persona", ["owner", "member"])
def test_a_queued_run_fails_at_once_and_gives_its_training_claim_back(request, persona, queued):
    who = request.getfixturevalue(persona)
    assert QuotaClaim.objects.filter(kind=QuotaClaim.Kind.TRAINING).count() == 1
    response = cancel(who, queued)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["training_status"] == TrainingStatus.FAILED
    assert body["status_message"] == f"Cancelled by {who.user.username}."
    run = TrainingRun.objects.get()
    assert run.status == "failed" and run.error_code == "CANCELLED" and run.cancel_requested_by == who.user
    queued.refresh_from_db()
    assert queued.failure_code == "CANCELLED" and not queued.enabled
    assert not QuotaClaim.objects.exists()
    assert queued.log_lines.filter(message=f"Cancelled by {who.user.username}.").exists()
    assert queued.can_train  # and it can be trained again


def test_a_run_queued_again_after_a_dead_trainer_keeps_its_claim_when_cancelled(owner, queued):
    TrainingRun.objects.update(attempts=1)  # a trainer had it: the compute was spent
    assert cancel(owner, queued).status_code == 202
    assert TrainingRun.objects.get().error_code == "CANCELLED"
    assert QuotaClaim.objects.filter(kind=QuotaClaim.Kind.TRAINING).count() == 1


def test_a_running_run_is_left_to_its_supervisor_and_its_heartbeat_says_stop(owner, running):
    response = cancel(owner, running.custom_model)
    assert response.status_code == 202, response.content
    assert response.json()["training_status"] == TrainingStatus.RUNNING  # until the process is gone
    running.refresh_from_db()
    assert running.cancel_requested_by == owner.user and running.status == "running"
    assert not training_heartbeat(run=running, progress=50)
    assert running.custom_model.log_lines.filter(message__startswith="Cancelled by alice").exists()

    training_run_cancel_finish(run=running)  # what the supervisor does once the child is gone
    running.refresh_from_db()
    model = running.custom_model
    model.refresh_from_db()
    assert running.status == "failed" and running.error == "Cancelled by alice."
    assert (model.training_status, model.status_message) == (TrainingStatus.FAILED, "Cancelled by alice.")
    assert model.failure_code == "CANCELLED"
    assert QuotaClaim.objects.filter(kind=QuotaClaim.Kind.TRAINING).count() == 1  # kept


def test_the_cancel_words_replace_the_childs_when_the_child_saw_it_first(owner, running):
    cancel(owner, running.custom_model)
    training_run_fail(run=running, cause=Failure.STOPPED)  # the child, told to stop
    training_run_cancel_finish(run=running)
    running.refresh_from_db()
    model = running.custom_model
    model.refresh_from_db()
    assert (running.error, running.error_code) == ("Cancelled by alice.", "CANCELLED")
    assert (model.status_message, model.failure_code) == ("Cancelled by alice.", "CANCELLED")


def test_a_late_cancel_leaves_the_words_of_a_later_run_on_the_model(owner, running):
    cancel(owner, running.custom_model)
    training_run_fail(run=running, cause=Failure.STOPPED)
    later = TrainingRun.objects.create(custom_model=running.custom_model, status=TrainingRun.Status.FAILED)
    CustomModel.objects.filter(pk=running.custom_model_id).update(status_message="Its own words.")
    training_run_cancel_finish(run=running)
    running.refresh_from_db()
    assert (running.error, running.error_code) == ("Cancelled by alice.", "CANCELLED")  # the run's own record
    assert CustomModel.objects.get().status_message == "Its own words."
    assert later.pk > running.pk


def test_a_run_that_succeeded_before_the_cancel_reached_it_stays_a_success(owner, running):
    cancel(owner, running.custom_model)
    TrainingRun.objects.filter(pk=running.pk).update(status=TrainingRun.Status.SUCCEEDED)
    CustomModel.objects.filter(pk=running.custom_model_id).update(training_status=TrainingStatus.SUCCESS)
    training_run_cancel_finish(run=running)
    assert TrainingRun.objects.get().status == "succeeded"
    assert CustomModel.objects.get().training_status == TrainingStatus.SUCCESS


@pytest.mark.parametrize(
    "status", [TrainingStatus.NOT_RUNNING, TrainingStatus.SUCCESS, TrainingStatus.FAILED]
)
def test_only_a_queued_or_running_training_can_be_cancelled(owner, status):
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    CustomModel.objects.filter(pk=model.pk).update(training_status=status)
    body = assert_error(cancel(owner, model), 409, "MODEL_NOT_READY")
    assert body["details"]["training_status"] == status
    model.refresh_from_db()
    assert model.training_status == status


def test_a_model_stuck_in_2_with_no_run_is_failed_at_once(owner):
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    CustomModel.objects.filter(pk=model.pk).update(training_status=TrainingStatus.PROVISIONING)
    response = cancel(owner, model)
    assert response.status_code == 202, response.content
    assert response.json()["training_status"] == TrainingStatus.FAILED
    assert response.json()["status_message"] == "Cancelled by alice."
    model.refresh_from_db()
    assert model.failure_code == "CANCELLED" and not model.enabled
    line = model.log_lines.get()
    assert (line.run, line.stage, line.level, line.message) == (
        None,
        "failed",
        "error",
        "Cancelled by alice.",
    )


def test_outsider_gets_not_found(outsider, queued):
    assert_error(cancel(outsider, queued), 404, "MODEL_NOT_FOUND")
    queued.refresh_from_db()
    assert queued.training_status == TrainingStatus.PROVISIONING
    assert QuotaClaim.objects.count() == 1


@pytest.mark.integration
def test_cancel_stops_a_run_on_a_real_cluster_and_leaves_nothing(transactional_db, owner, tmp_path, settings):
    settings.DATASET_MIN_MINUTES = 0.5
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"
    settings.TRAINING_WORK_DIR = tmp_path / "work"
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    upload_pairs(model, tmp_path)
    assert owner.client().post(f"/api/v3/custom_models/{model.pk}/run", {}, format="json").status_code == 202

    cluster_log = tmp_path / "qcluster.log"
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=cluster_env(tmp_path),
        stdout=cluster_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        live = TrainingRun.objects.filter(custom_model=model, status="running")
        pid = wait_for(lambda: live.values_list("pid", flat=True).first(), 120, "the training child to start")
        model.refresh_from_db()
        assert model.training_status == TrainingStatus.RUNNING
        os.killpg(pid, 0)  # alive
        wait_for(lambda: any((tmp_path / "work").rglob("*.wav")), 60, "the child to prepare its data")

        response = cancel(owner, model)
        assert response.status_code == 202, response.content

        def failed():
            # The child may see the cancel first and fail the run in its own words; the supervisor's
            # replace them once it is gone.
            model.refresh_from_db()
            return (model.training_status, model.status_message) == (
                TrainingStatus.FAILED,
                "Cancelled by alice.",
            )

        try:
            wait_for(failed, 30, "the cancelled run to fail")
            wait_for(lambda: not any((tmp_path / "work").iterdir()), 10, "its files to go")
        except AssertionError:
            lines = [line.message for line in model.log_lines.all()]
            raise AssertionError(
                f"{model.training_status}: {lines}\n{cluster_log.read_text()[-3000:]}"
            ) from None
    finally:
        os.killpg(cluster.pid, 9)
        cluster.wait()

    assert model.failure_code == "CANCELLED"
    # Every process of the group is dead; init may take a moment to reap a killed ffmpeg.
    wait_for(lambda: not group_alive(pid), 10, "the child's process group to go")
    run = TrainingRun.objects.get(custom_model=model)
    assert run.status == "failed" and run.error_code == "CANCELLED"
    assert list((tmp_path / "trained").glob(f"*/run-{run.pk}")) == []
    assert QuotaClaim.objects.filter(kind=QuotaClaim.Kind.TRAINING, custom_model=model).count() == 1
    log = owner.client().get(f"/api/v3/custom_models/{model.pk}/log").json()["lines"]
    assert "Cancelled by alice." in [line["message"] for line in log]
