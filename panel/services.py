"""Writes for accounts: organisations, memberships and API keys."""

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from panel.models import ApiKey, Membership, Organisation, Plan, RateWindow

TOKEN_PREFIX = "cm_"


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
