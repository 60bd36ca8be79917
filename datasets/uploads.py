"""Resumable uploads (tus 1.0): create, append a chunk, terminate, expire.

Services, kept apart from services.py because the tus protocol's state (offsets, locks, staged
bytes, checksums, expiry) fills this module and nothing else touches it; a finished upload goes
through services.dataset_file_ingest like a file of the data API.

Bytes are staged in a local file and streamed chunk by chunk, never held whole in memory.
"""

import base64
import contextlib
import fcntl
import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from accounts.models import ApiKey
from accounts.selectors import acting_user
from accounts.services import rate_limit_take
from config.errors import ApplicationError
from custom_models.models import CustomModel
from datasets.models import Kind, Split, TusUpload
from datasets.services import (
    IngestResult,
    dataset_file_ingest,
    detect_kind,
    display_name,
    text_bytes_check,
)

READ_SIZE = 1024 * 1024
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5}


def staged_path(upload: TusUpload) -> Path:
    return Path(settings.UPLOAD_STAGING_DIR) / "tus" / f"{upload.pk}.part"


LOCK_WAIT_SECONDS = 30


def _is_current(lock_file, lock_path: Path) -> bool:
    """Whether the locked file is still the one at its path, not one its last holder removed."""
    try:
        on_disk = os.stat(lock_path)
    except FileNotFoundError:
        return False
    held = os.fstat(lock_file.fileno())
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _try_lock(lock_path: Path):
    """The lock file, open and locked by us, or None while another request holds it."""
    lock_file = open(lock_path, "a")  # noqa: SIM115 -- held past this call; _unlock closes it
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_file.close()
        return None
    if not _is_current(lock_file, lock_path):
        lock_file.close()
        return None
    return lock_file


def _unlock(lock_file, lock_path: Path) -> None:
    # Removed while still held, so the file lives only as long as a request: whoever
    # waited on it sees it is gone (_is_current) and locks the next one.
    lock_path.unlink(missing_ok=True)
    fcntl.flock(lock_file, fcntl.LOCK_UN)
    lock_file.close()


@contextlib.contextmanager
def upload_lock(upload: TusUpload):
    """One request at a time per upload, across web processes.

    When a client dies mid-chunk and resumes at once, its old request may still
    be writing; HEAD and PATCH wait for it so the offset they see is final.
    """
    lock_path = staged_path(upload).with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while (lock_file := _try_lock(lock_path)) is None:
        if time.monotonic() > deadline:
            raise ApplicationError(
                "Another request is writing this upload; retry shortly.",
                error_code="upload_locked",
                status=423,
            )
        time.sleep(0.05)
    try:
        try:
            upload.refresh_from_db()
        except TusUpload.DoesNotExist:  # terminated while this request waited
            raise ApplicationError("Upload not found.", error_code="UPLOAD_NOT_FOUND", status=404) from None
        yield upload
    finally:
        _unlock(lock_file, lock_path)


def _remove_orphaned_locks() -> None:
    """Remove lock files a killed request left behind; a held one belongs to a live request."""
    for lock_path in (Path(settings.UPLOAD_STAGING_DIR) / "tus").glob("*.lock"):
        if (lock_file := _try_lock(lock_path)) is not None:
            _unlock(lock_file, lock_path)


def _expiry():
    return timezone.now() + timedelta(hours=settings.TUS_UPLOAD_EXPIRY_HOURS)


def tus_upload_create(
    *, model: CustomModel, length: int, metadata: dict[str, str], by=None, api_key: ApiKey | None = None
) -> TusUpload:
    """Start an upload. Refuses what can be refused before any byte is sent, then counts it
    against the caller's data upload limit (`tus_upload_count`)."""
    if length > settings.UPLOAD_MAX_BYTES:
        raise ApplicationError(
            f"The file is larger than the {settings.UPLOAD_MAX_BYTES / 1024**3:g} GB limit.",
            error_code="upload_too_large",
            status=413,
            details={"max_bytes": settings.UPLOAD_MAX_BYTES},
        )
    filename = metadata.get("filename") or metadata.get("name") or ""
    name = display_name(filename)
    declared_type = (metadata.get("type") or "auto").lower()
    if detect_kind(name, declared_type) == Kind.TEXT:
        text_bytes_check(model=model, name=name, size=length)  # before a byte is sent
    split = (metadata.get("split") or Split.TRAIN).lower()
    if split not in Split.values:
        raise ApplicationError(
            f"Unknown split {split!r}: use train or test.", error_code="invalid_split", status=400
        )
    if by is not None:
        tus_upload_count(by=by, api_key=api_key, batch=metadata.get("batch", ""))
    upload = TusUpload.objects.create(
        custom_model=model,
        uploaded_by=acting_user(by),
        filename=name,
        declared_type=declared_type,
        split=split,
        metadata=metadata,
        length=length,
        expires_at=_expiry(),
    )
    path = staged_path(upload)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return upload


BATCH_SIZE = 100  # the panel's largest batch: one batch of files counts as one upload


def tus_upload_count(*, by, api_key: ApiKey | None = None, batch: str = "") -> None:
    """Count a tus upload once against the data upload limit, at creation, not per chunk.

    Files created with the same `batch` metadata (the panel sends one id per batch) count
    once per 100 files, so a full panel batch is one upload, as one PUT /data of many files is.
    """
    batch = batch[:64]
    if batch:
        key = f"upload-batch:{by.pk}:{batch}"
        seen = cache.get_or_set(key, 0, timeout=3600)
        cache.incr(key)
        if seen % BATCH_SIZE:
            return
    rate_limit_take(scope="data_upload", user=by, api_key=api_key)


def _check_open(upload: TusUpload) -> None:
    if upload.completed_at is not None:
        # As for any offset mismatch: a client that retried its last chunk asks HEAD and is done.
        raise ApplicationError(
            "This upload is already complete.",
            error_code="offset_mismatch",
            status=409,
            details={"offset": upload.offset},
        )
    if upload.expires_at <= timezone.now():
        raise ApplicationError(
            "This upload has expired; start it again.", error_code="upload_expired", status=410
        )


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    """`Upload-Checksum: <algorithm> <base64 digest>`."""
    if not header:
        return None
    algorithm, _, digest = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise ApplicationError(
            f"Unsupported checksum algorithm {algorithm!r}.", error_code="checksum_unsupported", status=400
        )
    try:
        return algorithm, base64.b64decode(digest, validate=True)
    except ValueError:
        raise ApplicationError(
            "Upload-Checksum is not base64.", error_code="checksum_invalid", status=400
        ) from None


def tus_upload_append(
    *,
    upload: TusUpload,
    offset: int,
    stream,
    content_length: int | None,
    checksum: tuple[str, bytes] | None = None,
) -> tuple[TusUpload, IngestResult | None]:
    """Write one PATCH body at `offset`, streaming. Completes the upload on its last byte.

    If the connection drops mid-chunk, the bytes that arrived are kept (unless a
    checksum was sent, which they cannot match) and HEAD reports the new offset.
    `content_length` is None for a streamed body that ends with the stream; one
    that goes past Upload-Length is refused whole.
    """
    if upload.completed_at is None and upload.offset == upload.length:
        return upload, tus_upload_finish(upload=upload)
    _check_open(upload)
    if offset != upload.offset:
        raise ApplicationError(
            f"Upload-Offset {offset} does not match the current offset {upload.offset}.",
            error_code="offset_mismatch",
            status=409,
            details={"offset": upload.offset},
        )
    remaining = upload.length - offset
    if content_length is not None and content_length > remaining:
        raise ApplicationError(
            "The chunk goes past the declared Upload-Length.", error_code="upload_too_large", status=413
        )
    hasher = CHECKSUM_ALGORITHMS[checksum[0]]() if checksum else None
    path = staged_path(upload)
    written = 0
    interrupted = False
    overflow = False
    to_read = remaining if content_length is None else content_length
    with open(path, "r+b") as out:
        out.seek(offset)
        try:
            while written < to_read:
                chunk = stream.read(min(READ_SIZE, to_read - written))
                if not chunk:
                    break
                out.write(chunk)
                if hasher:
                    hasher.update(chunk)
                written += len(chunk)
            # A streamed body (no Content-Length) tells its size only by ending: one byte
            # more than the upload has room for means the chunk goes past Upload-Length.
            overflow = content_length is None and written == to_read and bool(stream.read(1))
        except OSError:  # the client went away mid-chunk
            interrupted = True
        if overflow:
            out.truncate(offset)
            raise ApplicationError(
                "The chunk goes past the declared Upload-Length; nothing of it was stored.",
                error_code="upload_too_large",
                status=413,
            )
        if checksum and (interrupted or hasher.digest() != checksum[1]):
            out.truncate(offset)
            if interrupted:
                raise ApplicationError(
                    "The chunk was interrupted.", error_code="chunk_interrupted", status=400
                )
            raise ApplicationError(
                "Upload-Checksum does not match the chunk; send it again.",
                error_code="checksum_mismatch",
                status=460,
            )
        out.flush()
        os.fsync(out.fileno())

    new_offset = offset + written
    claimed = TusUpload.objects.filter(pk=upload.pk, offset=offset, completed_at__isnull=True).update(
        offset=new_offset, expires_at=_expiry()
    )
    if not claimed:
        raise ApplicationError(
            "Another request changed this upload.", error_code="offset_mismatch", status=409
        )
    upload.refresh_from_db()
    if upload.offset < upload.length:
        return upload, None
    return upload, _complete(upload)


INGEST_ATTEMPTS = 4


def tus_upload_finish(*, upload: TusUpload) -> IngestResult | None:
    """Complete an upload whose bytes have all arrived but that is not complete yet.

    That happens when the request that wrote the last byte failed afterwards
    (the database restarting, say); HEAD and the next PATCH finish the job.
    """
    if upload.completed_at is None and upload.offset == upload.length:
        return _complete(upload)
    return None


def _complete(upload: TusUpload) -> IngestResult:
    # Claim completion once, so a retried last PATCH cannot ingest twice.
    with transaction.atomic():
        if not TusUpload.objects.filter(pk=upload.pk, completed_at__isnull=True).update(
            completed_at=timezone.now()
        ):
            raise ApplicationError(
                "This upload is already complete.", error_code="offset_mismatch", status=409
            )
    staged = staged_path(upload)
    for attempt in range(INGEST_ATTEMPTS):
        # Ingest consumes its source; a hard link keeps the bytes if the attempt fails.
        source = staged.with_suffix(f".ingest{attempt}")
        source.unlink(missing_ok=True)
        os.link(staged, source)
        try:
            result = dataset_file_ingest(
                model=upload.custom_model,
                source=source,
                filename=upload.filename,
                declared_type=upload.declared_type,
                split=upload.split,
                by=upload.uploaded_by,
                started_at=upload.created_at,
            )
            break
        except ApplicationError as exc:  # the file itself was refused: nothing to retry
            staged.unlink(missing_ok=True)
            TusUpload.objects.filter(pk=upload.pk).update(error=exc.message)
            raise
        except (DatabaseError, OSError) as exc:  # the database or storage is away for a moment
            source.unlink(missing_ok=True)
            connections.close_all()
            if attempt == INGEST_ATTEMPTS - 1:
                with contextlib.suppress(DatabaseError):
                    TusUpload.objects.filter(pk=upload.pk).update(completed_at=None)
                raise ApplicationError(
                    f"The upload could not be stored just now ({type(exc).__name__}); retry shortly.",
                    error_code="storage_unavailable",
                    status=503,
                ) from exc
            time.sleep(2**attempt)
    staged.unlink(missing_ok=True)
    TusUpload.objects.filter(pk=upload.pk).update(dataset_file=result.file, skipped=result.skipped)
    upload.refresh_from_db()
    return result


def tus_upload_terminate(*, upload: TusUpload) -> None:
    # Its lock file, if a request holds one, goes when that request ends.
    staged_path(upload).unlink(missing_ok=True)
    upload.delete()


def tus_uploads_expire() -> int:
    """Remove abandoned uploads and their bytes. Returns how many were removed."""
    expired = TusUpload.objects.filter(expires_at__lte=timezone.now(), completed_at__isnull=True)
    count = 0
    for upload in expired:
        tus_upload_terminate(upload=upload)
        count += 1
    # Finished uploads keep only their row for a while, for HEAD after completion.
    TusUpload.objects.filter(completed_at__lte=timezone.now() - timedelta(days=7)).delete()
    _remove_orphaned_locks()
    return count
