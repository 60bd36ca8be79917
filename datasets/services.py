"""Writes for dataset files: one ingest path for API uploads and finished tus uploads."""

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.selectors import acting_user
from config.errors import ApplicationError
from custom_models.models import CustomModel, TrainingStatus
from datasets import media, text
from datasets.models import DatasetFile, Kind, Split
from datasets.transcripts import ManifestRow, TranscriptError, parse_transcript

DECLARED_TYPES = {"auto", "audio", "transcript", "text"}
# A text file (sentences without audio) is named as one: an auto .txt stays a transcript.
TEXT_EXTENSIONS = {".txt"}
TRANSCRIPT_MAX_BYTES = 50 * 1024 * 1024
EXTENSION_KINDS = {
    **dict.fromkeys(media.AUDIO_EXTENSIONS | media.VIDEO_EXTENSIONS, Kind.AUDIO),
    **dict.fromkeys(media.TRANSCRIPT_EXTENSIONS, Kind.TRANSCRIPT),
    **dict.fromkeys(media.MANIFEST_EXTENSIONS, Kind.MANIFEST),
}
ALLOWED_EXTENSIONS = " ".join(sorted(EXTENSION_KINDS))


@dataclass
class IngestResult:
    name: str
    file: DatasetFile | None
    skipped: bool = False


NAME_MAX_LENGTH = 255


def display_name(filename: str) -> str:
    """The name a file is listed under: the last path component, without control characters.

    Unsafe characters are kept: the upload is accepted and validation names the
    file, as the spec asks. The name never becomes a storage path. A name over
    255 characters loses the end of its stem, never its extension, as Django
    shortens a multipart file's name; so PUT /data and tus list it the same.
    """
    name = PurePath(filename.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name or name in {".", ".."}:
        raise ApplicationError("The upload has no file name.", error_code="invalid_file", status=400)
    if len(name) > NAME_MAX_LENGTH:
        stem, extension = os.path.splitext(name)
        extension = extension[:NAME_MAX_LENGTH]
        name = stem[: NAME_MAX_LENGTH - len(extension)] + extension
    return name


def detect_kind(name: str, declared_type: str = "auto") -> str:
    """Kind from the extension, checked against what the upload declared itself to be."""
    declared_type = (declared_type or "auto").lower()
    if declared_type not in DECLARED_TYPES:
        raise ApplicationError(
            f"Unknown type {declared_type!r}: use auto, audio, transcript or text.",
            error_code="invalid_type",
            status=400,
        )
    extension = PurePath(name).suffix.lower()
    kind = EXTENSION_KINDS.get(extension)
    if kind is None:
        raise ApplicationError(
            f"'{name}' has an unsupported file type. Allowed: {ALLOWED_EXTENSIONS}.",
            error_code="unsupported_file_type",
            status=400,
            details={"file": name, "allowed": sorted(EXTENSION_KINDS)},
        )
    if declared_type == "text":
        if extension not in TEXT_EXTENSIONS:
            raise ApplicationError(
                f"'{name}' is not a text file; the TEXT type accepts {_listing(TEXT_EXTENSIONS)} "
                "(UTF-8, one sentence a line).",
                error_code="unsupported_file_type",
                status=400,
                details={"file": name},
            )
        return Kind.TEXT
    if declared_type == "audio" and kind != Kind.AUDIO:
        raise ApplicationError(
            f"'{name}' is not audio or video; the AUDIO type accepts "
            f"{_listing(media.AUDIO_EXTENSIONS | media.VIDEO_EXTENSIONS)}.",
            error_code="unsupported_file_type",
            status=400,
            details={"file": name},
        )
    if declared_type == "transcript" and kind == Kind.AUDIO:
        raise ApplicationError(
            f"'{name}' is not a transcript; the TRANSCRIPT type accepts "
            f"{_listing(media.TRANSCRIPT_EXTENSIONS | media.MANIFEST_EXTENSIONS)}.",
            error_code="unsupported_file_type",
            status=400,
            details={"file": name},
        )
    return kind


def _listing(extensions: set[str]) -> str:
    return " ".join(sorted(extensions))


def staging_path() -> Path:
    """A fresh local file path for bytes on their way into storage."""
    directory = Path(settings.UPLOAD_STAGING_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{uuid.uuid4().hex}.part"


def _is_duplicate(model: CustomModel, name: str) -> bool:
    return DatasetFile.objects.alive().filter(custom_model=model, name__iexact=name).exists()


def _invalid(name: str, reason: str, code: str) -> ApplicationError:
    return ApplicationError(f"'{name}': {reason}", error_code=code, status=400, details={"file": name})


def dataset_file_ingest(
    *,
    model: CustomModel,
    source: Path,
    filename: str,
    declared_type: str = "auto",
    split: str = Split.TRAIN,
    by: AbstractBaseUser | None = None,
    started_at=None,
) -> IngestResult:
    """Turn a staged local file into a dataset file of the model.

    The source file is consumed: moved into storage, or removed on refusal.
    Audio is measured, video becomes mono 16 kHz .m4a, transcripts are parsed.
    A name the model already has is skipped. On any error nothing is left behind.
    """
    started_at = started_at or timezone.now()
    produced: list[Path] = [source]
    try:
        name = display_name(filename)
        kind = detect_kind(name, declared_type)
        if split not in Split.values:
            raise ApplicationError(
                f"Unknown split {split!r}: use train or test.", error_code="invalid_split", status=400
            )
        extension = PurePath(name).suffix.lower()
        fields: dict = {}
        if kind == Kind.AUDIO and extension in media.VIDEO_EXTENSIONS:
            media.require_ffmpeg()
            fields["converted_from"] = name
            name = f"{PurePath(name).stem}.m4a"
            if _is_duplicate(model, name) or _is_duplicate(model, fields["converted_from"]):
                return IngestResult(name=name, file=None, skipped=True)
            converted = staging_path().with_suffix(".m4a")
            produced.append(converted)
            try:
                media.convert_to_m4a(source, converted)
            except media.MediaError as exc:
                raise _invalid(fields["converted_from"], str(exc), "invalid_media") from exc
            source, extension = converted, ".m4a"
        elif _is_duplicate(model, name):
            return IngestResult(name=name, file=None, skipped=True)

        if kind == Kind.AUDIO:
            try:
                fields["duration"] = media.probe_duration(source)
            except media.MediaError as exc:
                raise _invalid(name, str(exc), "invalid_media") from exc
        elif kind == Kind.TEXT:
            text_bytes_check(model=model, name=name, size=source.stat().st_size)
            fields.update(_parse_text_file(name, source))
        else:
            fields.update(_parse_transcript_file(name, source))

        try:
            stored = _store(
                model=model,
                source=source,
                name=name,
                kind=kind,
                split=split,
                by=by,
                started_at=started_at,
                extension=extension,
                fields=fields,
            )
        except _Duplicate:
            return IngestResult(name=name, file=None, skipped=True)
        return IngestResult(name=name, file=stored)
    finally:
        for path in produced:
            path.unlink(missing_ok=True)


def _parse_transcript_file(name: str, source: Path) -> dict:
    size = source.stat().st_size
    if size == 0:
        raise _invalid(name, "the file is empty", "invalid_transcript")
    if size > TRANSCRIPT_MAX_BYTES:
        raise _invalid(name, "a transcript may be at most 50 MB", "invalid_transcript")
    try:
        parsed = parse_transcript(name, source.read_bytes())
    except TranscriptError as exc:
        raise _invalid(name, str(exc), "invalid_transcript") from exc
    if isinstance(parsed, str):
        return {"segment_count": None}
    if parsed and isinstance(parsed[0], ManifestRow):
        return {"segment_count": len(parsed), "manifest_audio": sorted({row.audio for row in parsed})}
    return {"segment_count": len(parsed)}


def text_bytes_used(*, model: CustomModel) -> int:
    files = DatasetFile.objects.alive().filter(custom_model=model, kind=Kind.TEXT)
    return files.aggregate(total=Sum("size"))["total"] or 0


def text_bytes_check(*, model: CustomModel, name: str, size: int) -> None:
    """Refuse a text file that would take the model past DATASET_MAX_TEXT_BYTES of text in all."""
    limit = settings.DATASET_MAX_TEXT_BYTES
    used = text_bytes_used(model=model)
    if used + size > limit:
        raise ApplicationError(
            f"'{name}': a model may hold at most {limit / 1024**2:g} MB of text "
            f"({used / 1024**2:.1f} MB already uploaded, this file {size / 1024**2:.1f} MB).",
            error_code="text_limit_exceeded",
            status=400,
            details={"file": name, "max_bytes": limit, "used_bytes": used, "size": size},
        )


def _parse_text_file(name: str, source: Path) -> dict:
    """Sentences of a text file, counted; anything that is not plain UTF-8 lines is refused."""
    try:
        count = text.count_sentences(source, max_line_chars=settings.DATASET_MAX_TEXT_LINE_CHARS)
    except text.TextError as exc:
        raise _invalid(name, str(exc), "invalid_text") from exc
    if count == 0:
        raise _invalid(name, "the file has no sentences (one a line)", "invalid_text")
    return {"segment_count": count}


class _StagedFile(File):
    """Lets FileSystemStorage move the staged file instead of copying it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def _store(*, model, source, name, kind, split, by, started_at, extension, fields) -> DatasetFile | None:
    storage_name = f"datasets/{model.organisation_id}/{model.pk}/{uuid.uuid4().hex}{extension}"
    size = source.stat().st_size
    with open(source, "rb") as handle:
        stored_name = default_storage.save(storage_name, _StagedFile(handle, name=storage_name))
    try:
        with transaction.atomic():
            if kind == Kind.TEXT:
                # Two uploads at once must not both fit under the text limit: count again, locked.
                CustomModel.objects.select_for_update().filter(pk=model.pk).first()
                text_bytes_check(model=model, name=name, size=size)
            return DatasetFile.objects.create(
                custom_model=model,
                name=name,
                kind=kind,
                split=split,
                file=stored_name,
                size=size,
                started_at=started_at,
                finished_at=timezone.now(),
                uploaded_by=acting_user(by),
                **fields,
            )
    except IntegrityError:
        # The same name arrived concurrently: the first one stays, as with any duplicate.
        default_storage.delete(stored_name)
        raise _Duplicate from None
    except BaseException:
        default_storage.delete(stored_name)
        raise


class _Duplicate(Exception):
    pass


@dataclass
class UploadItem:
    source: Path
    filename: str
    declared_type: str = "auto"


def dataset_files_ingest(
    *, model: CustomModel, items: list[UploadItem], split: str, by=None, started_at=None
) -> list[IngestResult]:
    """Ingest several files as one unit: if one is refused, none is kept."""
    results: list[IngestResult] = []
    try:
        for index, item in enumerate(items):
            try:
                results.append(
                    dataset_file_ingest(
                        model=model,
                        source=item.source,
                        filename=item.filename,
                        declared_type=item.declared_type,
                        split=split,
                        by=by,
                        started_at=started_at,
                    )
                )
            except BaseException:
                for later in items[index + 1 :]:
                    later.source.unlink(missing_ok=True)
                raise
    except BaseException:
        for result in results:
            if result.file is not None:
                _delete_stored(result.file)
        raise
    return results


def _delete_stored(dataset_file: DatasetFile) -> None:
    default_storage.delete(dataset_file.file.name)
    dataset_file.delete()


def dataset_file_delete(*, dataset_file: DatasetFile) -> None:
    """Remove a file from the model, bytes included, so the name can be uploaded again."""
    model = dataset_file.custom_model
    if model.training_status in {TrainingStatus.PROVISIONING, TrainingStatus.RUNNING}:
        raise ApplicationError(
            "Dataset files cannot be deleted while the model is training.",
            error_code="MODEL_NOT_READY",
            status=409,
        )
    _delete_stored(dataset_file)


def stage_upload(uploaded) -> Path:
    """Put an uploaded file (Django UploadedFile) into the staging area without reading it into memory."""
    target = staging_path()
    if hasattr(uploaded, "temporary_file_path"):
        shutil.move(uploaded.temporary_file_path(), target)
    else:
        with open(target, "wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
    return target
