"""How requests prove who they are: API keys for the API, passwords (with lockouts) for log-in."""

from axes.backends import AxesStandaloneBackend
from rest_framework import authentication, exceptions

from accounts.selectors import api_key_get_by_token


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`; request.auth is the ApiKey."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        token = token.strip()
        if not token:
            raise exceptions.AuthenticationFailed("Missing API key after 'Bearer'.")
        key = api_key_get_by_token(token=token)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return key.membership.user, key

    def authenticate_header(self, request) -> str:
        return self.keyword


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in AUTHENTICATION_BACKENDS, for the log-in form's password.

    axes refuses a call to authenticate() without a request: it has no client address to count.
    Here such a call is let through to the next backend instead, because the only one is Django's
    test client (`Client.login`); every form that takes a password over HTTP (the panel's log-in,
    the admin's) passes its request. A new password form must pass it too, or it is not throttled.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
