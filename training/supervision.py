"""Keeping runs alive and tidy when trainers die: the sweeper, a run queued again to resume from
its checkpoint, and the scratch files (work directories, model outputs, checkpoints) that dead
trainers leave. Services, kept apart from services.py, which moves a run through its states."""

import contextlib
import os
import re
import shutil
import signal
import socket
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from custom_models.models import CustomModel, TrainingStatus
from training.models import TrainingRun
from training.selectors import training_run_output_dir, training_run_work_dir
from training.services import (
    LIVE_MODEL,
    LIVE_RUN,
    Failure,
    training_enqueue,
    training_log_write,
    training_run_fail,
)


def training_runs_sweep() -> list[int]:
    """Runs nobody is working on: a trainer silent past the heartbeat timeout is queued again to
    resume from its checkpoint (failed once TRAINING_MAX_ATTEMPTS trainers have had it); a run past
    the training timeout, or one still queued past the queue timeout, fails. Returns their ids."""
    now = timezone.now()
    swept = []
    silent = TrainingRun.objects.filter(
        status=TrainingRun.Status.RUNNING,
        heartbeat_at__lt=now - timedelta(seconds=settings.TRAINING_HEARTBEAT_TIMEOUT),
    )
    overdue = TrainingRun.objects.filter(
        status=TrainingRun.Status.RUNNING, started_at__lt=now - timedelta(seconds=settings.TRAINING_TIMEOUT)
    )
    stale_queue = TrainingRun.objects.filter(
        status=TrainingRun.Status.QUEUED,
        queued_at__lt=now - timedelta(seconds=settings.TRAINING_QUEUE_TIMEOUT),
    )
    for run in overdue.select_related("custom_model"):
        training_process_stop(run=run)
        if training_run_fail(run=run, cause=Failure.TIMED_OUT):
            swept.append(run.pk)
    for run in silent.select_related("custom_model"):
        training_process_stop(run=run)
        if training_run_requeue(run=run, why=Failure.NOT_RESPONDING.message()) or training_run_fail(
            run=run, cause=Failure.NOT_RESPONDING
        ):
            swept.append(run.pk)
    for run in stale_queue.select_related("custom_model"):
        if training_run_fail(run=run, cause=Failure.NOT_PICKED_UP):
            swept.append(run.pk)
    # A model left in 2 or 3 with no live run (e.g. its run row was lost) is failed too.
    orphans = CustomModel.objects.filter(
        training_status__in=LIVE_MODEL,
        updated_at__lt=now - timedelta(seconds=settings.TRAINING_HEARTBEAT_TIMEOUT),
    ).exclude(training_runs__status__in=LIVE_RUN)
    for orphan in orphans:
        training_run_fail(model=orphan, cause=Failure.INTERRUPTED)
    return swept


def training_run_requeue(*, run: TrainingRun, why: str, counts: bool = True) -> bool:
    """Put a running run whose trainer is gone back in the queue, to resume from its last
    checkpoint on whichever worker takes it. False, changing nothing, when it may not: it ended,
    was cancelled, its model was deleted, or TRAINING_MAX_ATTEMPTS trainers have had it already
    (`counts=False`: a trainer that handed the run back when stopped cleanly spends no attempt)."""
    now = timezone.now()
    with transaction.atomic():
        runs = TrainingRun.objects.filter(
            pk=run.pk,
            status=TrainingRun.Status.RUNNING,
            cancel_requested_by__isnull=True,
            custom_model__deleted_at__isnull=True,
        )
        if counts:
            runs = runs.filter(attempts__lt=settings.TRAINING_MAX_ATTEMPTS)
        if not runs.update(
            status=TrainingRun.Status.QUEUED,
            queued_at=now,
            pid=None,
            attempts=F("attempts") - (0 if counts else 1),
        ):
            return False
        CustomModel.objects.filter(pk=run.custom_model_id, training_status__in=LIVE_MODEL).update(
            training_status=TrainingStatus.PROVISIONING, updated_at=now
        )
        run.refresh_from_db()
        left = settings.TRAINING_MAX_ATTEMPTS - run.attempts
        training_log_write(
            model=run.custom_model,
            run=run,
            stage="queued",
            level="warning",
            message=f"{why} The run is queued again and resumes from its last checkpoint"
            + (f" ({left} more attempt(s) left)." if counts else "."),
        )
        transaction.on_commit(lambda: training_enqueue(run))
    return True


def training_checkpoint_prefix(run: TrainingRun) -> str:
    """Where a run's epoch checkpoints live in storage (local files, or S3 in the scale profile)."""
    return f"checkpoints/{run.custom_model_id}/run-{run.pk}/"


def training_checkpoints_remove(*, run: TrainingRun) -> None:
    prefix = training_checkpoint_prefix(run)
    with contextlib.suppress(FileNotFoundError, NotImplementedError):
        for name in default_storage.listdir(prefix)[1]:
            default_storage.delete(prefix + name)


def training_run_scratch_remove(*, run: TrainingRun) -> None:
    """Remove a finished run's work directory, and its model output unless the run succeeded.

    The trainer removes its own when it ends by itself; this is for a trainer that was killed
    (by the supervisor, a deleted model, the OOM killer) and could not. A run that ended keeps no
    checkpoint; one queued again keeps it, to resume from."""
    shutil.rmtree(training_run_work_dir(run.pk), ignore_errors=True)
    if run.status in LIVE_RUN:
        return
    training_checkpoints_remove(run=run)
    if run.status != TrainingRun.Status.SUCCEEDED:
        shutil.rmtree(
            training_run_output_dir(model_id=run.custom_model_id, run_id=run.pk), ignore_errors=True
        )


def training_scratch_sweep() -> list[str]:
    """Remove what dead trainers left: work directories of runs no longer queued or running, and
    model outputs of runs that did not succeed (or no longer exist). Returns the paths removed."""
    live = set(
        TrainingRun.objects.filter(
            status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
        ).values_list("pk", flat=True)
    )
    succeeded = set(
        TrainingRun.objects.filter(status=TrainingRun.Status.SUCCEEDED).values_list("pk", flat=True)
    )
    leftovers = [
        path
        for path in Path(settings.TRAINING_WORK_DIR).glob("run-*")
        if _run_id(path) is not None and _run_id(path) not in live
    ] + [
        path
        for path in Path(settings.TRAINED_MODELS_DIR).glob("*/run-*")
        if _run_id(path) is not None and _run_id(path) not in live | succeeded
    ]
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    return [str(path) for path in leftovers] + _checkpoints_sweep(live)


def _checkpoints_sweep(live: set[int]) -> list[str]:
    """Checkpoints of runs that ended (their trainer died before it could remove them)."""
    removed = []
    with contextlib.suppress(FileNotFoundError, NotImplementedError):
        for model_dir in default_storage.listdir("checkpoints/")[0]:
            for run_dir in default_storage.listdir(f"checkpoints/{model_dir}/")[0]:
                match = re.fullmatch(r"run-(\d+)", run_dir)
                if match and int(match.group(1)) not in live:
                    prefix = f"checkpoints/{model_dir}/{run_dir}/"
                    for name in default_storage.listdir(prefix)[1]:
                        default_storage.delete(prefix + name)
                    removed.append(prefix)
    return removed


def _run_id(path: Path) -> int | None:
    match = re.fullmatch(r"run-(\d+)", path.name)
    return int(match.group(1)) if match and path.is_dir() else None


def training_process_stop(*, run: TrainingRun) -> None:
    """Kill the run's child process if it lives on this machine."""
    if run.pid and run.hostname == socket.gethostname():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(run.pid, signal.SIGKILL)
