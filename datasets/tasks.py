"""Queue tasks of the datasets app (django-q2 calls them by dotted path)."""

from datasets.uploads import tus_uploads_expire


def expire_uploads() -> int:
    return tus_uploads_expire()
