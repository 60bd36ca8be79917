"""Writes for accounts: organisations, memberships, API keys, and the rate limits callers spend."""

import hashlib
import secrets
import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.settings import api_settings

from accounts.models import ApiKey, Membership, Organisation, Plan, RateWindow
from config.errors import ApplicationError

TOKEN_PREFIX = "cm_"


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def membership_require_admin(*, by: Membership, action: str) -> None:
    """Refuse (403 PERMISSION_DENIED) a member who is neither admin nor sysop: deleting a model,
    enabling one anyway, activating or deleting a version."""
    if not by.can_delete_models:
        raise ApplicationError(
            f"Only admins and sysops can {action}.", error_code="PERMISSION_DENIED", status=403
        )


def api_key_create(*, membership: Membership, name: str = "API key") -> tuple[ApiKey, str]:
    """Create a key and return it with the plain token, which is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        membership=membership, name=name, prefix=token[:10], hashed_key=hash_api_token(token)
    )
    return key, token


def api_key_revoke(*, key: ApiKey) -> None:
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])


def organisation_create(
    *, name: str, slug: str, plan: Plan, reseller: Organisation | None = None
) -> Organisation:
    return Organisation.objects.create(name=name, slug=slug, plan=plan, reseller=reseller)


@transaction.atomic
def member_add(
    *, organisation: Organisation, username: str, role: str, password: str | None = None
) -> Membership:
    """Add a user to an organisation with a role, creating the user if needed."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    if password is not None and (created or not user.check_password(password)):
        user.set_password(password)
        user.save(update_fields=["password"])
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    return membership


# Rate limits: each scope (settings REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) allows so many
# requests per fixed window to each caller: an API key, else a user, else a client address.
# One atomic increment per request (Redis's INCR, or an upsert in the database when there is
# no Redis): a list of timestamps read and written back, as DRF keeps, loses counts under load.

RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_limit_hit(*, scope: str, caller: str) -> float | None:
    """Count one request of `caller` against `scope`'s rate now: None within the rate, else the
    seconds until the window ends and the caller may try again."""
    # Read per request, not once at import as DRF does, so overridden settings apply.
    allowed, period = api_settings.DEFAULT_THROTTLE_RATES[scope].split("/")
    seconds = RATE_PERIODS[period[0]]
    now = time.time()
    window = int(now // seconds)
    window_end = (window + 1) * seconds
    if _count_in_window(f"throttle_{scope}_{caller}:{window}", window_end) <= int(allowed):
        return None
    return max(1.0, window_end - now)


def rate_limit_take(*, scope: str, user, api_key: ApiKey | None = None) -> None:
    """Spend one of the caller's requests in `scope`, or refuse with RATE_LIMITED (429).

    For limits that count only accepted operations (a training start, a tus upload), called
    by the service after its other checks rather than before the view runs. The caller is the
    API key when the request came with one, else the user, as for every other limit."""
    wait = rate_limit_hit(scope=scope, caller=rate_limit_caller(user=user, api_key=api_key))
    if wait is not None:
        seconds = max(1, int(wait))
        raise ApplicationError(
            f"Rate limit exceeded. Try again in {seconds} seconds.",
            error_code="RATE_LIMITED",
            status=429,
            headers={"Retry-After": str(seconds)},
        )


def rate_limit_caller(*, user=None, api_key: ApiKey | None = None, address: str = "") -> str:
    """Who a limit counts: two keys of one user have a budget each; the panel's session has its
    user's; an anonymous request has its address's."""
    if api_key is not None:
        return f"key-{api_key.pk}"
    if user is not None and user.is_authenticated:
        return f"user-{user.pk}"
    return address


def _count_in_window(key: str, window_end: float) -> int:
    """This request's number in its window."""
    if settings.REDIS_URL:
        cache.add(key, 0, timeout=int(window_end - time.time()) + 2)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            cache.add(key, 1, timeout=int(window_end - time.time()) + 2)
            return 1
    return rate_window_hit(key=key, expires_at=datetime.fromtimestamp(window_end + 1, tz=UTC))


def rate_window_hit(*, key: str, expires_at) -> int:
    """Count one request in a throttle window; returns the window's count including it.

    One INSERT … ON CONFLICT … RETURNING statement (SQLite ≥ 3.35 and
    PostgreSQL alike), so concurrent requests in different processes never
    lose each other's counts.
    """
    table, key_, count, expires = map(
        connection.ops.quote_name, (RateWindow._meta.db_table, "key", "count", "expires_at")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_}, {count}, {expires}) VALUES (%s, 1, %s) "
            f"ON CONFLICT ({key_}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}",
            [key, connection.ops.adapt_datetimefield_value(expires_at)],
        )
        return cursor.fetchone()[0]


def rate_windows_purge() -> int:
    """Delete the counts of windows that have ended."""
    deleted, _ = RateWindow.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
