"""Transcription: one service for `POST /api/v3/stt`, the panel and `manage.py transcribe`.

Services, kept apart from services.py (training runs) because a transcription job uses a model
and shares no state with a run; alignment jobs (alignment.py) share its job queue.
"""

import uuid
from datetime import timedelta
from pathlib import Path, PurePath

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Organisation
from accounts.selectors import acting_user
from config.errors import ApplicationError
from custom_models.languages import language_name
from custom_models.vocabulary import MAX_REQUEST_PHRASES, phrases_clean, vocabulary_for_transcription
from datasets.services import detect_kind, display_name
from datasets.storage import local_copy
from datasets.transcripts import format_srt, format_vtt, words_to_segments
from training import engine
from training.display import displayed
from training.models import TranscriptionJob
from training.selectors import AUTO_LANGUAGE, ResolvedModel, stt_model_resolve


def transcribe_file(
    *, path: Path, resolved: ResolvedModel, organisation=None, phrases: list[str] = ()
) -> dict:
    """Run the engine on a local file with a resolved base or custom model, favouring the model's
    (or the base language's) phrase list and `phrases`; the result as the user sees it (display)."""
    if not engine.is_model_dir(resolved.path):
        raise ApplicationError(
            f"The model files for {resolved.label} are missing on this server.",
            error_code="model_unavailable",
            status=503,
        )
    vocabulary = vocabulary_for_transcription(
        organisation=organisation, custom_model=resolved.custom_model, language=resolved.language
    )
    favoured = list(dict.fromkeys([*(vocabulary.phrases if vocabulary else []), *phrases]))
    options = {"phrases": favoured} if favoured else {}
    try:
        result = engine.transcribe(resolved.path, path, language=resolved.language.code, **options)
    except engine.PhrasesUnsupported as exc:
        raise ApplicationError(str(exc), error_code="phrases_unsupported", status=400) from exc
    except engine.PhrasesInvalid as exc:
        raise ApplicationError(str(exc), error_code="INVALID_INPUT", status=422) from exc
    text, words = displayed(
        result["text"],
        result["words"],
        rules=vocabulary.display_rules if vocabulary else [],
        language=resolved.language.code,
    )
    return {**result, "text": text, "words": words}


def language_detect(*, path: Path, resolved: ResolvedModel) -> dict:
    """language=auto: the organisation's language spoken in the first 30 s of speech of a file.

    Too little speech, speech in a language the organisation does not have, or no language likely
    enough, is refused with the reason: a wrong guess would transcribe the whole file in the
    wrong language."""
    try:
        return engine.detect_language(resolved.path, path, list(resolved.candidates))
    except engine.LanguageUnclear as exc:
        message = str(exc)
        if exc.heard:
            name = language_name(exc.heard)
            message = (
                f"This sounds like {name}, which is not published to your organisation. "
                f"Send language=<code>, or ask for {name} to be published."
            )
        raise ApplicationError(message, error_code="language_unclear", status=422) from exc


def language_resolve(*, organisation, resolved: ResolvedModel, path: Path) -> tuple[ResolvedModel, dict]:
    """A request sent with language=auto: the detected language's model, and the job's fields that
    record it ({} for a request sent with a language or a model)."""
    if not resolved.candidates:
        return resolved, {}
    found = language_detect(path=path, resolved=resolved)
    resolved = stt_model_resolve(organisation=organisation, language=found["language"], model=None)
    return resolved, {"language": resolved.language, "language_probability": found["probability"]}


def media_accept(
    *,
    organisation: Organisation,
    source: Path,
    filename: str,
    language,
    model,
    folder: str,
    check=None,
    check_model=None,
) -> tuple[str, ResolvedModel, str]:
    """The shared front of media jobs: check the file and the model, store the media.

    Returns the file's name, the resolved model and the stored name. The staged
    source is consumed whatever happens; `check` (before the model is resolved) and
    `check_model` (given the resolved model) run before anything is stored.
    """
    try:
        name = display_name(filename)
        detect_kind(name, "audio")  # refuses anything but audio and video
        if check is not None:
            check()
        resolved = stt_model_resolve(organisation=organisation, language=language, model=model)
        if check_model is not None:
            check_model(resolved)
        storage_name = f"{folder}/{organisation.pk}/{uuid.uuid4().hex}{PurePath(name).suffix.lower()}"
        with open(source, "rb") as handle:
            stored = default_storage.save(storage_name, File(handle, name=storage_name))
    finally:
        source.unlink(missing_ok=True)
    return name, resolved, stored


def job_model_resolve(job) -> ResolvedModel:
    """Resolve a job's model again when it runs: one deleted or disabled since the request is refused."""
    custom = job.model_label.startswith("custom_model_")
    if job.model_label == AUTO_LANGUAGE:
        language = AUTO_LANGUAGE
    else:
        language = None if custom or job.language is None else job.language.code
    return stt_model_resolve(
        organisation=job.organisation, language=language, model=job.model_label if custom else None
    )


def transcription_job_create(
    *,
    organisation: Organisation,
    source: Path,
    filename: str,
    language: str | None,
    model: str | None,
    by=None,
    phrases: list[str] | None = None,
) -> TranscriptionJob:
    """Accept a file for transcription and queue it; the staged source file is consumed.

    `phrases` (at most MAX_REQUEST_PHRASES) are favoured beside the model's own list; a list that
    cannot be applied is refused here, before anything is stored."""
    checked: dict = {}

    def check() -> None:
        checked["phrases"] = phrases_clean(phrases or [], limit=MAX_REQUEST_PHRASES)

    def check_model(resolved: ResolvedModel) -> None:
        if checked["phrases"] and not engine.takes_phrases(resolved.path):
            raise ApplicationError(
                f"{resolved.label} cannot favour phrases: only Whisper models can; "
                "send the request without phrases.",
                error_code="phrases_unsupported",
                status=400,
            )

    name, resolved, stored = media_accept(
        organisation=organisation, source=source, filename=filename, language=language, model=model,
        folder="transcriptions", check=check, check_model=check_model,
    )  # fmt: skip
    return media_job_queue(
        TranscriptionJob,
        organisation=organisation,
        by=by,
        name=name,
        resolved=resolved,
        stored=stored,
        task="training.tasks.transcribe_job",
        timeout=3600,
        phrases=checked["phrases"],
    )


def media_job_queue(
    job_model, *, organisation, by, name, resolved, stored, task: str, timeout: int, **fields
):
    """Record an accepted transcription or alignment job and queue its task once the row is committed."""
    with transaction.atomic():
        job = job_model.objects.create(
            organisation=organisation,
            created_by=acting_user(by),
            language=resolved.language,
            custom_model=resolved.custom_model,
            model_label=resolved.label,
            filename=name,
            media=stored,
            **fields,
        )
        transaction.on_commit(lambda: async_task(task, job.pk, timeout=timeout))
    return job


def media_job_run(job_model, *, job_id: int, work, failure: str) -> str:
    """Run a queued transcription or alignment job on this worker.

    Claimed with a conditional update, so a retried task cannot run it twice.
    `work(job, resolved_model, local_path)` returns the fields of the result;
    any error becomes the job's failure, with a message for the user.
    """
    status = job_model.Status
    if not job_model.objects.filter(pk=job_id, status=status.QUEUED).update(
        status=status.RUNNING, started_at=timezone.now()
    ):
        return "not claimed"
    job = job_model.objects.select_related("organisation", "custom_model", "language").get(pk=job_id)
    try:
        resolved = job_model_resolve(job)
        with local_copy(job.media.name) as path:
            fields = work(job, resolved, path)
    except Exception as exc:  # any failure is the job's result, shown to the user
        message = exc.message if isinstance(exc, ApplicationError) else f"{failure}: {exc}"
        job_model.objects.filter(pk=job_id).update(
            status=status.FAILED, error=message, finished_at=timezone.now()
        )
        return "failed"
    job_model.objects.filter(pk=job_id).update(status=status.DONE, finished_at=timezone.now(), **fields)
    return "done"


MEDIA_JOB_TIMEOUT_SECONDS = 3 * 3600


def media_jobs_sweep() -> int:
    """Fail transcription and alignment jobs left running by a worker that died."""
    from training.models import AlignmentJob

    cutoff = timezone.now() - timedelta(seconds=MEDIA_JOB_TIMEOUT_SECONDS)
    reason = "The worker stopped before the job finished; submit the file again."
    return sum(
        job_model.objects.filter(status="running", started_at__lt=cutoff).update(
            status="failed", error=reason, finished_at=timezone.now()
        )
        for job_model in (TranscriptionJob, AlignmentJob)
    )


def transcription_job_run(*, job_id: int) -> str:
    def work(job, resolved, path) -> dict:
        resolved, detected = language_resolve(organisation=job.organisation, resolved=resolved, path=path)
        result = transcribe_file(
            path=path, resolved=resolved, organisation=job.organisation, phrases=job.phrases
        )
        return {
            "text": result["text"],
            "words": result["words"],
            "duration": result["duration"],
            "processing_seconds": result.get("processing_s"),
            **detected,
        }

    return media_job_run(TranscriptionJob, job_id=job_id, work=work, failure="Transcription failed")


def transcription_subtitles(*, job: TranscriptionJob, format: str) -> str:
    """The transcript as plain text, or its timed words grouped into SRT or VTT cues."""
    if job.status != TranscriptionJob.Status.DONE:
        raise ApplicationError(
            f"The transcription is {job.status}, not done.", error_code="transcription_not_ready", status=409
        )
    if format == "txt":
        return job.text + "\n"
    if format == "srt":
        return format_srt(words_to_segments(job.words))
    if format == "vtt":
        return format_vtt(words_to_segments(job.words))
    raise ApplicationError("format must be txt, srt or vtt.", error_code="INVALID_INPUT", status=422)


def transcription_job_as_dict(job: TranscriptionJob) -> dict:
    """The API's view of a job, also printed by `manage.py transcribe`."""
    return {
        "id": job.pk,
        "status": job.status,
        "text": job.text,
        "words": job.words,
        "duration": job.duration,
        "model": job.model_label,
        "language": job.language.code if job.language else None,
        "language_probability": job.language_probability,
        "error": job.error or None,
    }
