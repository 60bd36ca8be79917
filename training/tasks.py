"""Queue tasks (django-q2 calls them by dotted path). They take ids, never objects."""

import logging
import os
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from custom_models.models import CustomModel
from training import services
from training.models import TrainingRun
from training.selectors import training_run_work_dir

logger = logging.getLogger(__name__)
POLL_SECONDS = 2.0


def run_training(run_id: int) -> str:
    """Claim a queued run and supervise its training child process.

    The child (`manage.py run_training <id>`) does the work and records the
    outcome itself; this parent kills it if the model is deleted, the run is
    cancelled or it overstays its timeout, and fails the run if the child dies
    without a word. Running it twice is harmless: only one claim succeeds.
    """
    run = services.training_run_claim(run_id=run_id)
    if run is None:
        return "not claimed"
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "run_training", str(run.pk)]
    # Every temporary file of the child (its libraries' too) goes inside the run's work
    # directory, so removing that one directory leaves nothing behind however the child ends.
    temporary = training_run_work_dir(run.pk) / "tmp"
    temporary.mkdir(parents=True, exist_ok=True)
    # A session of its own, so the whole group (DataLoader workers included) can be killed.
    child = subprocess.Popen(
        command, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, env={**os.environ, "TMPDIR": str(temporary)},
    )  # fmt: skip
    TrainingRun.objects.filter(pk=run.pk).update(pid=child.pid)
    run.pid = child.pid
    tail: deque[str] = deque(maxlen=20)
    import threading

    reader = threading.Thread(
        target=lambda: [tail.append(line.rstrip()) for line in child.stdout], daemon=True
    )
    reader.start()
    deadline = time.monotonic() + settings.TRAINING_TIMEOUT
    stopped_for: services.Failure | None = None
    while child.poll() is None:
        time.sleep(POLL_SECONDS)
        close_old_connections()
        if CustomModel.objects.filter(pk=run.custom_model_id, deleted_at__isnull=False).exists():
            stopped_for = services.Failure.MODEL_DELETED
        elif time.monotonic() > deadline:
            stopped_for = services.Failure.TIMED_OUT
        cancelled = TrainingRun.objects.filter(pk=run.pk, cancel_requested_by__isnull=False).exists()
        if stopped_for is not None or cancelled:
            services.training_process_stop(run=run)
            child.wait()
            break
    reader.join(timeout=5)
    run.refresh_from_db()
    if run.cancel_requested_by_id is not None and stopped_for is None:
        # Whoever saw the cancel first, this poll or the child's heartbeat, it ends in its words;
        # a child that stopped by itself may leave workers of its group behind, which go too.
        services.training_process_stop(run=run)
        services.training_run_cancel_finish(run=run)
        run.refresh_from_db()
    elif run.status in services.LIVE_RUN:
        last = next((line for line in reversed(tail) if line.strip()), "")
        if stopped_for is not None:
            services.training_run_fail(run=run, cause=stopped_for)
        elif last:
            services.training_run_fail(
                run=run, cause=services.Failure.EXITED, code=child.returncode, last_line=last
            )
        else:
            services.training_run_fail(run=run, cause=services.Failure.EXITED_SILENTLY, code=child.returncode)
        run.refresh_from_db()
    services.training_run_scratch_remove(run=run)
    return run.status


def sweep_training() -> list[int]:
    from training.inference import media_jobs_sweep

    media_jobs_sweep()
    swept = services.training_runs_sweep()
    services.training_scratch_sweep()
    return swept


def transcribe_job(job_id: int) -> str:
    from training.inference import transcription_job_run

    return transcription_job_run(job_id=job_id)


def align_job(job_id: int) -> str:
    from training.alignment import alignment_job_run

    return alignment_job_run(job_id=job_id)
