"""Writes for training: start a run, move it through its states, and never leave it stuck."""

import logging
import socket
import tempfile
from enum import Enum
from pathlib import Path

import soundfile as sf
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Case, F, Max, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import ApiKey, Membership
from accounts.services import membership_require_admin, rate_limit_take
from config.errors import ApplicationError
from custom_models.models import CustomModel, QuotaClaim, TrainingStatus
from custom_models.quotas import claim_release, claim_take
from custom_models.services import require_automatic_training
from datasets.selectors import dataset_validate
from training.models import EvaluationUtterance, TrainingLogLine, TrainingRun

logger = logging.getLogger(__name__)

# The spec's codes for a refused or failed training: too little usable data, or anything else.
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
TRAINING_FAILED = "TRAINING_FAILED"
LIVE_RUN = (TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING)
LIVE_MODEL = (TrainingStatus.PROVISIONING, TrainingStatus.RUNNING)
# The exit code of a trainer that stopped on SIGTERM and left its run to resume elsewhere (EX_TEMPFAIL).
HANDED_BACK = 75


class Failure(Enum):
    """Every way a run can fail: the failure code the model shows and the words the user reads.

    training_run_fail is the only writer of these; the `{}` words come from its caller. (Deleting a
    model in training writes MODEL_DELETED's words on the model itself: custom_models cannot import
    training; its supervisor then fails the run with them.)"""

    # Before or around the training child (training_run_claim, the supervisor, the sweeper).
    MODEL_CHANGED = (TRAINING_FAILED, "The model was deleted or changed.")  # before a worker took it
    MODEL_DELETED = (TRAINING_FAILED, "The model was deleted while training.")
    NOT_PICKED_UP = (TRAINING_FAILED, "No worker picked up the training in time.")
    NOT_RESPONDING = (TRAINING_FAILED, "The training process stopped responding (worker or process killed).")
    TIMED_OUT = (TRAINING_FAILED, "Training took longer than the {limit}-minute limit.")
    EXITED = (TRAINING_FAILED, "The training process exited with code {code}: {last_line}")
    EXITED_SILENTLY = (TRAINING_FAILED, "The training process exited with code {code}.")
    INTERRUPTED = (TRAINING_FAILED, "Training was interrupted.")  # its run row was lost
    CANCELLED = ("CANCELLED", "Cancelled by {user}.")
    # Inside the child (training.pipeline).
    STOPPED = (TRAINING_FAILED, "Training was stopped.")  # its heartbeat said stop
    CRASHED = (TRAINING_FAILED, "{stage}: {error}")
    TOO_LITTLE_SPEECH = (
        INSUFFICIENT_DATA,
        "Only {found:.1f} minutes of usable speech were found in the matched audio and transcripts "
        "({train} training and {test} test segments); at least {needed:.1f} minutes are needed. "
        "Check that the transcripts match the audio, or add more.",
    )
    NOT_USABLE = (
        TRAINING_FAILED,
        "The trained model is not usable: its word error rate on the test split is {wer:.1f}% (the base "
        "model's {base_wer:.1f}%), so it was not enabled. Check that the transcripts match the audio.",
    )

    def __init__(self, code: str, template: str) -> None:
        self.code, self.template = code, template

    def message(self, **words) -> str:
        # The time limit is the setting's, whoever noticed it was passed.
        return self.template.format(limit=settings.TRAINING_TIMEOUT // 60, **words)


def training_log_write(
    *, model: CustomModel, message: str, stage: str = "", level: str = "info", run: TrainingRun | None = None
) -> TrainingLogLine:
    return TrainingLogLine.objects.create(
        custom_model=model, run=run, message=message, stage=stage, level=level
    )


def training_run_start(
    *, model: CustomModel, by=None, skip_unmatched: bool = False, api_key: ApiKey | None = None
) -> TrainingRun:
    """Accept a Train request: checks in the spec's order, then queue it (status 2).

    Order: plan feature, status, data, unmatched audio, training claim, rate limit.
    The claim and the rate limit are taken last, so a refused request costs neither. The
    limit counts the API key the request came with, else the user (`by`); a system start
    (no `by`) is not limited.
    """
    require_automatic_training(model.organisation)
    if not model.can_start_training:
        raise ApplicationError(
            f"Model is not ready to run: training can start only from Not running or Failed, or "
            f"from Success to train a new version (it is {model.training_status_label}).",
            error_code="MODEL_NOT_READY",
            status=409,
            details={"training_status": model.training_status},
        )
    report = dataset_validate(model=model)
    if not report.has_files or not report.has_transcript:
        raise ApplicationError(
            report.errors[0] if report.errors else "No data uploaded.",
            error_code="no_data",
            status=400,
            details=report.as_dict(),
        )
    if report.errors:
        raise ApplicationError(
            report.errors[0],
            error_code=INSUFFICIENT_DATA if report.insufficient else "validation_failed",
            status=400,
            details=report.as_dict(),
        )
    if report.unmatched_audio and not skip_unmatched:
        raise ApplicationError(
            f"{len(report.unmatched_audio)} audio file(s) have no transcript: "
            f"{', '.join(report.unmatched_audio)}. "
            'Send {"skip_unmatched": true} to train without them.',
            error_code="unmatched_audio",
            status=409,
            details={"unmatched_audio": report.unmatched_audio},
        )
    with transaction.atomic():
        # Lock the row: two Train clicks at once must not both start a run.
        locked = CustomModel.objects.select_for_update().get(pk=model.pk)
        if not locked.can_start_training or locked.deleted_at is not None:
            raise ApplicationError("Model is not ready to run.", error_code="MODEL_NOT_READY", status=409)
        claim_take(organisation=model.organisation, kind=QuotaClaim.Kind.TRAINING, custom_model=model)
        if by is not None:
            rate_limit_take(scope="training_start", user=by, api_key=api_key)
        run = TrainingRun.objects.create(
            custom_model=model, skip_unmatched=skip_unmatched, started_by=by, queued_at=timezone.now()
        )
        CustomModel.objects.filter(pk=model.pk).update(
            training_status=TrainingStatus.PROVISIONING,
            training_progress=0,
            status_message="",
            failure_code="",
            updated_at=timezone.now(),
        )
        training_log_write(
            model=model,
            run=run,
            stage="queued",
            message=f"Training accepted: {len(report.pairs)} pairs, {report.total_minutes} minutes"
            + (f", {len(report.unmatched_audio)} unmatched audio skipped" if report.unmatched_audio else "")
            + (
                f"; a new version (version {locked.active_version} keeps serving meanwhile)"
                if locked.model_path
                else ""
            ),
        )
        transaction.on_commit(lambda: training_enqueue(run))
    model.refresh_from_db()
    return run


def training_enqueue(run: TrainingRun) -> None:
    async_task(
        "training.tasks.run_training",
        run.pk,
        task_name=f"train-model-{run.custom_model_id}-run-{run.pk}-{run.attempts + 1}",
        timeout=settings.TRAINING_TIMEOUT,
        cluster=settings.TRAINING_QUEUE or None,
    )


def training_run_claim(*, run_id: int) -> TrainingRun | None:
    """Take a queued run for this worker; None if another worker has it or it is gone."""
    now = timezone.now()
    with transaction.atomic():
        if not TrainingRun.objects.filter(pk=run_id, status=TrainingRun.Status.QUEUED).update(
            status=TrainingRun.Status.RUNNING,
            started_at=Coalesce("started_at", Value(now)),
            heartbeat_at=now,
            hostname=socket.gethostname(),
            attempts=F("attempts") + 1,
        ):
            return None
        run = TrainingRun.objects.select_related("custom_model").get(pk=run_id)
        # A resumed run keeps the progress it had: the bar does not go back to 0 (training.pipeline).
        progress = {"training_progress": 0} if run.attempts == 1 else {}
        moved = CustomModel.objects.filter(
            pk=run.custom_model_id, training_status=TrainingStatus.PROVISIONING, deleted_at__isnull=True
        ).update(training_status=TrainingStatus.RUNNING, updated_at=now, **progress)
        if not moved:
            training_run_fail(run=run, cause=Failure.MODEL_CHANGED)
            return None
    training_log_write(
        model=run.custom_model,
        run=run,
        stage="start",
        message=f"Worker {run.hostname} started"
        + (f" (attempt {run.attempts} of {settings.TRAINING_MAX_ATTEMPTS})" if run.attempts > 1 else ""),
    )
    return run


def training_heartbeat(*, run: TrainingRun, progress: int | None = None) -> bool:
    """Record that the trainer is alive (and its progress). False if the run was stopped."""
    now = timezone.now()
    # A cancelled run is stopped too: the child ends at its next beat, wherever its supervisor is.
    alive = TrainingRun.objects.filter(
        pk=run.pk, status=TrainingRun.Status.RUNNING, cancel_requested_by__isnull=True
    ).update(heartbeat_at=now)
    if alive and progress is not None:
        CustomModel.objects.filter(
            pk=run.custom_model_id, training_status=TrainingStatus.RUNNING, deleted_at__isnull=True
        ).update(training_progress=max(0, min(99, int(progress))))
    return (
        bool(alive)
        and not CustomModel.objects.filter(pk=run.custom_model_id, deleted_at__isnull=False).exists()
    )


def training_run_succeed(
    *,
    run: TrainingRun,
    metrics: dict,
    model_path: str,
    evaluation: dict | None = None,
    held_back: str = "",
    lineage: dict | None = None,
) -> CustomModel:
    """Success: the run becomes the model's next version (v1, v2, ...).

    The first version is the model's, as before: enabled with a hosting claim, or kept disabled
    with the reason when the run's own checks held it back (`held_back`: the regression gate, or
    for a later version also "worse than the active version"), or no hosting claim was left. A
    later version becomes active only when nothing held it back; otherwise the active version
    keeps serving and the new one waits, with its reason, for an admin to activate it anyway."""
    model = CustomModel.objects.get(pk=run.custom_model_id)
    first = not model.model_path
    activate = first or not held_back
    enabled, reason = (not held_back, held_back) if first else (model.enabled, model.disabled_reason)
    if activate and not model.enabled and not held_back:
        try:
            claim_take(organisation=model.organisation, kind=QuotaClaim.Kind.HOSTING, custom_model=model)
            enabled, reason = True, ""
        except ApplicationError as exc:
            enabled, reason = False, f"{exc.message} ({exc.error_code})"
    now = timezone.now()
    with transaction.atomic():
        version = (
            TrainingRun.objects.filter(custom_model_id=model.pk).aggregate(last=Max("version"))["last"] or 0
        ) + 1
        TrainingRun.objects.filter(pk=run.pk).update(
            status=TrainingRun.Status.SUCCEEDED,
            finished_at=now,
            metrics=metrics,
            evaluation=evaluation,
            version=version,
            model_path=model_path,
            lineage=lineage,
            held_back=held_back,
        )
        active = {"model_path": model_path, "active_version": version, "training_metrics": metrics}
        waiting = f"Version {version} is not active: {held_back}" if not activate else ""
        CustomModel.objects.filter(pk=model.pk, deleted_at__isnull=True).update(
            training_status=TrainingStatus.SUCCESS,
            training_progress=100,
            enabled=enabled,
            disabled_reason=reason,
            status_message=waiting or ("" if enabled else reason),
            updated_at=now,
            **(active if activate else {}),
        )
    if not activate:
        message = (
            f"Training succeeded as version {version}, but version {model.active_version} keeps "
            f"serving: {held_back}"
        )
    elif enabled:
        message = f"Training succeeded; version {version} is active and the model is enabled."
    else:
        message = f"Training succeeded as version {version}, but the model stays disabled: {reason}"
    training_log_write(
        model=model,
        run=run,
        stage="done",
        level="info" if activate and enabled else "warning",
        message=message,
    )
    model.refresh_from_db()
    return model


def training_evaluation_save(*, run: TrainingRun, utterances: list[dict]) -> None:
    """Keep each test utterance of a run's evaluation: its clip (FLAC in storage, so the panel
    and the API can play it after the run's scratch space is gone) and what the models heard.

    `utterances` are training.evaluation's rows, each with the clip's local `wav` added."""
    rows = []
    for row in utterances:
        fields = {k: v for k, v in row.items() if k != "wav"}
        name = f"evaluations/{run.custom_model_id}/run-{run.pk}/{row['position']:04d}.flac"
        with tempfile.TemporaryDirectory(prefix="clip-") as scratch:
            flac = Path(scratch) / "clip.flac"
            samples, rate = sf.read(row["wav"], dtype="int16")
            sf.write(str(flac), samples, rate, format="FLAC")
            with flac.open("rb") as handle:
                name = default_storage.save(name, File(handle))
            fields["seconds"] = round(len(samples) / rate, 3)
        rows.append(EvaluationUtterance(run=run, clip=name, **fields))
    EvaluationUtterance.objects.filter(run=run).delete()
    EvaluationUtterance.objects.bulk_create(rows)


def training_run_fail(
    *, cause: Failure, run: TrainingRun | None = None, model: CustomModel | None = None, **words
) -> bool:
    """Fail a live run and its model in the words of `cause` (its `{}` filled from `words`), with
    one error line in the log. Returns False, changing nothing, when the run has already ended.

    `model` without a run is a model left in 2 or 3 whose run row was lost; it fails only while no
    live run has it. A cancel's words replace those of a run that failed on its own first (its
    child saw the stop before its supervisor did); a run that succeeded stays a success. The
    training claim is kept: whether to give it back is the caller's to say."""
    message = cause.message(**words)
    now = timezone.now()
    with transaction.atomic():
        if run is None:
            models = CustomModel.objects.filter(pk=model.pk, training_status__in=LIVE_MODEL).exclude(
                training_runs__status__in=LIVE_RUN
            )
        else:
            model = run.custom_model
            models = CustomModel.objects.filter(pk=model.pk, training_status__in=LIVE_MODEL)
            runs = TrainingRun.objects.filter(pk=run.pk)
            ended = runs.filter(status__in=LIVE_RUN).update(
                status=TrainingRun.Status.FAILED, finished_at=now, error=message, error_code=cause.code
            )
            if not ended and cause is Failure.CANCELLED:
                ended = (
                    runs.filter(status=TrainingRun.Status.FAILED)
                    .exclude(error_code=cause.code)
                    .update(error=message, error_code=cause.code)
                )
                # Its model is Failed already: its words change too, unless a later run has it since.
                models = CustomModel.objects.filter(
                    pk=model.pk, training_status=TrainingStatus.FAILED
                ).exclude(training_runs__pk__gt=run.pk)
            if not ended:
                return False
        changed = models.update(
            training_status=TrainingStatus.FAILED,
            status_message=message,
            failure_code=cause.code,
            # A model with an active version keeps serving it as it did: only the new run failed.
            enabled=Case(When(model_path="", then=Value(False)), default=F("enabled")),
            updated_at=now,
        )
        if run is None and not changed:
            return False
        training_log_write(model=model, run=run, stage="failed", level="error", message=message)
    return True


# Cancel and enable anyway.


def training_run_cancel(*, model: CustomModel, by) -> CustomModel:
    """Cancel a queued or running training (status 2 or 3); anyone who may start one may cancel it.

    A queued run fails at once and gives its training claim back: nothing was trained. A running
    run only records who asked: its supervisor (training.tasks.run_training) kills the child,
    fails the run and removes its files, and the child's heartbeat stops it as well. So status 5
    means the process is gone. Its training claim is kept: the compute was spent.
    """
    require_automatic_training(model.organisation)
    who = by.get_username()
    with transaction.atomic():
        # The run first, then the model, in the order training_run_claim locks them: a worker
        # claiming the run right now is either before this (the run is running) or after it
        # (the run is no longer queued, so it is not claimed).
        run = TrainingRun.objects.select_for_update().filter(custom_model=model, status__in=LIVE_RUN).first()
        locked = CustomModel.objects.select_for_update().get(pk=model.pk)
        if locked.deleted_at is not None or locked.training_status not in LIVE_MODEL:
            raise ApplicationError(
                f"Only a queued or running training can be cancelled (it is {locked.training_status_label}).",
                error_code="MODEL_NOT_READY",
                status=409,
                details={"training_status": locked.training_status},
            )
        if run is None:  # the run was lost: nothing to stop, the sweeper would fail it later
            training_run_fail(model=locked, cause=Failure.CANCELLED, user=who)
        elif run.status == TrainingRun.Status.QUEUED:
            TrainingRun.objects.filter(pk=run.pk).update(cancel_requested_by=by)
            training_run_fail(run=run, cause=Failure.CANCELLED, user=who)
            if run.attempts == 0:  # queued again after a dead trainer, it has spent compute already
                claim_release(custom_model=model, kind=QuotaClaim.Kind.TRAINING)
        elif run.cancel_requested_by_id is None:  # asked twice, it is recorded once
            TrainingRun.objects.filter(pk=run.pk).update(cancel_requested_by=by)
            training_log_write(
                model=model, run=run, stage="cancel", message=f"Cancelled by {who}: stopping the training."
            )
    model.refresh_from_db()
    return model


def training_run_cancel_finish(*, run: TrainingRun) -> None:
    """Record a cancelled run's end once its child is gone: Failed, "Cancelled by <user>.", CANCELLED,
    even if the child failed it in its own words first (training_run_fail says when not)."""
    run = TrainingRun.objects.select_related("custom_model", "cancel_requested_by").get(pk=run.pk)
    who = run.cancel_requested_by.get_username() if run.cancel_requested_by else "a user"
    training_run_fail(run=run, cause=Failure.CANCELLED, user=who)


def custom_model_enable(*, model: CustomModel, by: Membership) -> CustomModel:
    """Enable anyway a model that reached Success but stayed disabled (no hosting claim was left
    then, or the regression gate held it back). Admins and sysops only; it takes a hosting claim
    now, and the log says who did it and what the model was disabled for."""
    membership_require_admin(by=by, action="enable a model anyway")
    with transaction.atomic():
        locked = CustomModel.objects.select_for_update().get(pk=model.pk)
        if locked.training_status != TrainingStatus.SUCCESS or locked.enabled or locked.deleted_at:
            raise ApplicationError(
                "Only a model that reached Success and is disabled can be enabled"
                + (" (it is enabled)." if locked.enabled else f" (it is {locked.training_status_label})."),
                error_code="MODEL_NOT_READY",
                status=409,
                details={"training_status": locked.training_status, "enabled": locked.enabled},
            )
        # Raises no-claims-available (402) with nothing changed when the plan has no hosting left.
        claim_take(organisation=locked.organisation, kind=QuotaClaim.Kind.HOSTING, custom_model=locked)
        CustomModel.objects.filter(pk=locked.pk).update(
            enabled=True, disabled_reason="", status_message="", updated_at=timezone.now()
        )
        training_log_write(
            model=locked,
            run=locked.training_runs.filter(status=TrainingRun.Status.SUCCEEDED).first(),
            stage="enable",
            message=f"Enabled anyway by {by.user.get_username()} "
            f"(it was disabled: {locked.disabled_reason or 'no reason recorded'})",
        )
    model.refresh_from_db()
    return model
