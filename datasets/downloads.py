"""Short-lived links to stored files: S3 presigned URLs, or Django-signed URLs served by the app.

Services, kept apart from services.py because they are not about datasets only: any file in
default_storage can be linked (a dataset file, training's evaluation clips); this app holds them
as it holds storage. A link names the file in storage and the name it is downloaded under, and
lasts SIGNED_URL_SECONDS.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse

from config.errors import ApplicationError
from datasets.models import DatasetFile

SALT = "datasets.download"


@dataclass(frozen=True)
class SignedFile:
    """What a valid link serves: a name in storage, under this file name."""

    name: str
    filename: str
    attachment: bool


def signed_url(
    *, name: str, filename: str, request, attachment: bool = True, dataset_file_id: int | None = None
) -> str:
    """A URL valid for SIGNED_URL_SECONDS that serves the stored file `name` as `filename`.

    `attachment=False` lets a browser play or show it in place (an <audio> source);
    `dataset_file_id` makes the app-served link die with that dataset file, as a deleted
    file's link should (an S3 link cannot be revoked; it just expires).
    """
    disposition = f'{"attachment" if attachment else "inline"}; filename="{_ascii_name(filename)}"'
    if not isinstance(default_storage, FileSystemStorage):
        return default_storage.url(
            name, parameters={"ResponseContentDisposition": disposition}, expire=settings.SIGNED_URL_SECONDS
        )
    payload = {"name": name, "filename": filename, "attachment": attachment}
    if dataset_file_id is not None:
        payload["file"] = dataset_file_id
    token = signing.dumps(payload, salt=SALT)
    return request.build_absolute_uri(reverse("signed-download", kwargs={"token": token}))


def download_url(*, dataset_file: DatasetFile, request) -> str:
    """A dataset file's download link, under the file's own name."""
    return signed_url(
        name=dataset_file.file.name,
        filename=dataset_file.name,
        request=request,
        dataset_file_id=dataset_file.pk,
    )


def file_for_token(token: str) -> SignedFile:
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.SIGNED_URL_SECONDS)
    except signing.SignatureExpired:
        raise ApplicationError(
            "This download link has expired. Request a new one.", error_code="DOWNLOAD_EXPIRED", status=403
        ) from None
    except signing.BadSignature:
        raise ApplicationError(
            "This download link is not valid.", error_code="DOWNLOAD_INVALID", status=403
        ) from None
    gone = ApplicationError("The file no longer exists.", error_code="FILE_NOT_FOUND", status=404)
    if "file" in payload:
        dataset_file = DatasetFile.objects.alive().filter(pk=payload["file"]).first()
        if dataset_file is None:
            raise gone
        # Links signed before a file could be named by storage name carry only its id.
        payload.setdefault("name", dataset_file.file.name)
        payload.setdefault("filename", dataset_file.name)
    name = payload.get("name")
    if not name or not default_storage.exists(name):
        raise gone
    return SignedFile(
        name=name, filename=payload.get("filename") or name, attachment=payload.get("attachment", True)
    )


def _ascii_name(name: str) -> str:
    return "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in name)
