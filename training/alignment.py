"""Force alignment jobs: time an untimed transcript against its audio, one cue per line.

Services, kept apart from services.py (training runs) as transcription is (inference.py), whose
job queue they share: a job uses a model, it does not train one, and shares no state with a run.
"""

import tempfile
from pathlib import Path, PurePath

from django.core.files.storage import default_storage

from accounts.models import Organisation
from config.errors import ApplicationError
from custom_models.models import CustomModel
from custom_models.services import require_automatic_training
from datasets import media
from datasets.services import IngestResult, dataset_file_ingest, staging_path
from datasets.transcripts import Segment, TranscriptError, decode_text, format_srt, format_vtt
from training import engine
from training.inference import language_resolve, media_accept, media_job_queue, media_job_run
from training.models import AlignmentJob

MAX_TRANSCRIPT_BYTES = 10 * 1024 * 1024


def transcript_lines(data: bytes) -> list[str]:
    if len(data) > MAX_TRANSCRIPT_BYTES:
        raise ApplicationError(
            "The transcript may be at most 10 MB.", error_code="invalid_transcript", status=400
        )
    try:
        text = decode_text(data)
    except TranscriptError as exc:
        raise ApplicationError(f"transcript: {exc}", error_code="invalid_transcript", status=400) from exc
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if not lines:
        raise ApplicationError("The transcript is empty.", error_code="invalid_transcript", status=400)
    return lines


def alignment_job_create(
    *,
    organisation: Organisation,
    source: Path,
    filename: str,
    transcript: bytes,
    language: str | None,
    model: str | None,
    by=None,
) -> AlignmentJob:
    """Accept audio plus a plain-text transcript and queue the alignment; the staged source is consumed."""
    lines: list[str] = []
    name, resolved, stored = media_accept(
        organisation=organisation, source=source, filename=filename, language=language, model=model,
        folder="alignments", check=lambda: lines.extend(transcript_lines(transcript)),
    )  # fmt: skip
    return media_job_queue(
        AlignmentJob,
        organisation=organisation,
        by=by,
        name=name,
        resolved=resolved,
        stored=stored,
        task="training.tasks.align_job",
        timeout=3 * 3600,
        lines=lines,
    )


def alignment_job_run(*, job_id: int) -> str:
    def work(job, resolved, path) -> dict:
        with tempfile.TemporaryDirectory(prefix="align-") as folder:
            wav = Path(folder) / "audio.wav"
            try:
                media.to_wav(path, wav)
            except media.MediaError as exc:
                raise ApplicationError(f"'{job.filename}': {exc}", error_code="invalid_media") from exc
            resolved, detected = language_resolve(organisation=job.organisation, resolved=resolved, path=wav)
            result = engine.align_lines(resolved.path, wav, job.lines, language=resolved.language.code)
        if result["mismatch"]:
            raise ApplicationError(
                f"The transcript does not match the audio (mean confidence {result['mean_confidence']:.2f}); "
                "check that they belong together.",
                error_code="alignment_mismatch",
            )
        return {
            "segments": result["segments"],
            "warnings": result["warnings"],
            "duration": result["duration"],
            **({"language": detected["language"]} if detected else {}),
        }

    return media_job_run(AlignmentJob, job_id=job_id, work=work, failure="Alignment failed")


def alignment_subtitles(*, job: AlignmentJob, format: str) -> str:
    """The aligned transcript as VTT or SRT; lines that could not be placed are left out."""
    if job.status != AlignmentJob.Status.DONE:
        raise ApplicationError(
            f"The alignment is {job.status}, not done.", error_code="alignment_not_ready", status=409
        )
    segments = [Segment(s["start"], s["end"], s["text"]) for s in job.segments if s["start"] is not None]
    if format == "vtt":
        return format_vtt(segments)
    if format == "srt":
        return format_srt(segments)
    raise ApplicationError("format must be vtt or srt.", error_code="INVALID_INPUT", status=422)


def alignment_job_add_to_model(*, job: AlignmentJob, model: CustomModel, by=None) -> list[IngestResult]:
    """Add the audio and its new VTT to a custom model's datasets, as a pair."""
    require_automatic_training(model.organisation)
    stem = PurePath(job.filename).stem
    vtt = staging_path().with_suffix(".vtt")
    vtt.write_text(alignment_subtitles(job=job, format="vtt"))
    results = [
        dataset_file_ingest(
            model=model, source=vtt, filename=f"{stem}.vtt", declared_type="transcript", by=by
        )
    ]
    audio = staging_path()
    with default_storage.open(job.media.name, "rb") as source, open(audio, "wb") as out:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            out.write(chunk)
    results.append(
        dataset_file_ingest(model=model, source=audio, filename=job.filename, declared_type="audio", by=by)
    )
    return results


def alignment_job_as_dict(job: AlignmentJob) -> dict:
    return {
        "id": job.pk,
        "status": job.status,
        "segments": job.segments,
        "warnings": job.warnings,
        "duration": job.duration,
        "model": job.model_label,
        "error": job.error or None,
    }
