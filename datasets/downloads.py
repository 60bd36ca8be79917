"""Short-lived download links: S3 presigned URLs, or Django-signed URLs served by the app."""

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse

from config.errors import ApplicationError
from datasets.models import DatasetFile

SALT = "datasets.download"


def download_url(*, dataset_file: DatasetFile, request) -> str:
    """A URL valid for SIGNED_URL_SECONDS that downloads the file under its own name."""
    disposition = f'attachment; filename="{_ascii_name(dataset_file.name)}"'
    if not isinstance(default_storage, FileSystemStorage):
        return default_storage.url(
            dataset_file.file.name,
            parameters={"ResponseContentDisposition": disposition},
            expire=settings.SIGNED_URL_SECONDS,
        )
    token = signing.dumps({"file": dataset_file.pk}, salt=SALT)
    return request.build_absolute_uri(reverse("signed-download", kwargs={"token": token}))


def file_for_token(token: str) -> DatasetFile:
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
    dataset_file = DatasetFile.objects.alive().filter(pk=payload.get("file")).first()
    if dataset_file is None:
        raise ApplicationError("The file no longer exists.", error_code="FILE_NOT_FOUND", status=404)
    return dataset_file


def _ascii_name(name: str) -> str:
    return "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in name)
