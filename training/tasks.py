"""Queue tasks (django-q2 calls them by dotted path). They take ids, never objects."""

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from custom_models.models import CustomModel
from training import services, supervision
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

    A child that dies without a word (killed, out of memory) does not fail the run: it is queued
    again and resumes from its last epoch's checkpoint, up to TRAINING_MAX_ATTEMPTS trainers. A
    worker told to stop (SIGTERM, a deploy) passes it on; the child exits at once with
    HANDED_BACK (its checkpoint is at the last epoch's end) and the run is queued again at once.
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
    handing_back = _SigtermPassedOn(child)
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
            supervision.training_process_stop(run=run)
            child.wait()
            break
    reader.join(timeout=5)
    run.refresh_from_db()
    if run.cancel_requested_by_id is not None and stopped_for is None:
        # Whoever saw the cancel first, this poll or the child's heartbeat, it ends in its words;
        # a child that stopped by itself may leave workers of its group behind, which go too.
        supervision.training_process_stop(run=run)
        services.training_run_cancel_finish(run=run)
        run.refresh_from_db()
    elif run.status in services.LIVE_RUN:
        last = next((line for line in reversed(tail) if line.strip()), "")
        if stopped_for is not None:
            services.training_run_fail(run=run, cause=stopped_for)
        elif _requeued(run, child.returncode, handed_back=handing_back.is_set()):
            pass  # the next trainer resumes it from its checkpoint
        elif last:
            services.training_run_fail(
                run=run, cause=services.Failure.EXITED, code=child.returncode, last_line=last
            )
        else:
            services.training_run_fail(run=run, cause=services.Failure.EXITED_SILENTLY, code=child.returncode)
        run.refresh_from_db()
    if run.status not in services.LIVE_RUN:
        supervision.training_run_scratch_remove(run=run)
    handing_back.restore()
    if handing_back.is_set():
        # The worker goes as it was told to, now that its run is safe in the queue.
        os.kill(os.getpid(), signal.SIGTERM)
    return run.status


def _requeued(run: TrainingRun, returncode: int, *, handed_back: bool) -> bool:
    """Queue a run again whose child handed it back or was killed by a signal (not one that
    exited with an error: that would fail again). This machine's scratch goes first: the next
    trainer may start here at once."""
    if not handed_back and returncode != services.HANDED_BACK and returncode >= 0:
        return False
    supervision.training_run_scratch_remove(run=run)
    if handed_back or returncode == services.HANDED_BACK:
        why = "The worker was stopped (SIGTERM) and the trainer handed the run back."
        return supervision.training_run_requeue(run=run, why=why, counts=False)
    why = f"The training process was killed (signal {-returncode})."
    return supervision.training_run_requeue(run=run, why=why)


class _SigtermPassedOn(threading.Event):
    """Passes a SIGTERM of this worker on to the training child's group while it runs; set once
    one came. `restore` puts the worker's own handler back for its next task."""

    def __init__(self, child: subprocess.Popen) -> None:
        super().__init__()
        self.child, self.previous = child, None
        with contextlib.suppress(ValueError):  # not the main thread (a synchronous test run)
            self.previous = signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum, frame) -> None:
        self.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.child.pid, signal.SIGTERM)

    def restore(self) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def sweep_training() -> list[int]:
    from training.inference import media_jobs_sweep

    media_jobs_sweep()
    swept = supervision.training_runs_sweep()
    supervision.training_scratch_sweep()
    return swept


def transcribe_job(job_id: int) -> str:
    from training.inference import transcription_job_run

    return transcription_job_run(job_id=job_id)


def align_job(job_id: int) -> str:
    from training.alignment import alignment_job_run

    return alignment_job_run(job_id=job_id)
