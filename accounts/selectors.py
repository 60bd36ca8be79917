"""Reads for accounts."""

from django.utils import timezone

from accounts.models import ApiKey, Membership
from accounts.services import TOKEN_PREFIX, hash_api_token
from config.errors import ApplicationError


def acting_user(by):
    """The user to record as author: None for a system caller or an anonymous request."""
    return by if by is not None and by.is_authenticated else None


def api_key_get_by_token(*, token: str) -> ApiKey | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    key = (
        ApiKey.objects.select_related("membership__user", "membership__organisation__plan")
        .filter(hashed_key=hash_api_token(token), revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        # One write per minute at most, not per request: status polling is hot.
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def membership_for_user(*, user) -> Membership | None:
    """The membership a panel session acts through: a user's first organisation."""
    if not user or not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organisation__plan", "user")
        .filter(user=user)
        .order_by("created_at", "pk")
        .first()
    )


def membership_for_request(request) -> Membership:
    """The caller's membership: the API key's, or the logged-in user's."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        return auth.membership
    membership = membership_for_user(user=request.user)
    if membership is None:
        raise ApplicationError(
            "Your account does not belong to an organisation.", error_code="PERMISSION_DENIED", status=403
        )
    return membership
