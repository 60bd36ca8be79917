"""Queue tasks for accounts."""

from accounts.services import rate_windows_purge


def purge_rate_windows() -> int:
    return rate_windows_purge()
