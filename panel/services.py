"""Writes for accounts: organisations, memberships and API keys."""

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from panel.models import ApiKey, Membership, Organisation, Plan

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
