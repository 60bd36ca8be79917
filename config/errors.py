"""The one error type for broken preconditions, shared by every app."""

from typing import Any


class ApplicationError(Exception):
    """A rule a request broke, with the error code and HTTP status the API answers.

    Services raise it; the API's exception handler turns it into the error body
    and the panel shows its message.
    """

    def __init__(
        self,
        message: str,
        *,
        error_code: str,
        status: int = 400,
        error: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.status = status
        self.error = error
        self.details = details or {}
        self.headers = headers or {}  # for the API's response, such as a 429's Retry-After
