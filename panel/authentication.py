from rest_framework import authentication, exceptions

from panel.selectors import api_key_get_by_token


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
