"""API plumbing configured once for every endpoint: the error body and pagination.

The rate limits are the accounts app's (accounts.throttles): they count per API key.
"""

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.views import set_rollback

from config.errors import ApplicationError

# DRF's own exceptions mapped to this API's machine-readable codes.
_DRF_ERROR_CODES: dict[type[exceptions.APIException], tuple[str, int]] = {
    exceptions.NotAuthenticated: ("UNAUTHORIZED", 401),
    exceptions.AuthenticationFailed: ("UNAUTHORIZED", 401),
    exceptions.PermissionDenied: ("PERMISSION_DENIED", 403),
    exceptions.NotFound: ("NOT_FOUND", 404),
    exceptions.MethodNotAllowed: ("METHOD_NOT_ALLOWED", 405),
    exceptions.NotAcceptable: ("NOT_ACCEPTABLE", 406),
    exceptions.UnsupportedMediaType: ("UNSUPPORTED_MEDIA_TYPE", 415),
    exceptions.Throttled: ("RATE_LIMITED", 429),
    exceptions.ParseError: ("PARSE_ERROR", 400),
    exceptions.ValidationError: ("INVALID_INPUT", 422),
}


def error_body(
    *, status: int, message: str, error_code: str, details: Any = None, error: str | None = None
) -> dict:
    if error is None:
        error = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return {
        "error": error,
        "message": message,
        "error_code": error_code,
        "details": details or {},
    }


def _first_message(detail: Any) -> str:
    """The first human-readable message in a DRF error detail, for `message`."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            text = _first_message(value)
            return text if field == "non_field_errors" else f"{field}: {text}"
        return "Invalid input."
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Invalid input."
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ApplicationError):
        set_rollback()
        body = error_body(
            status=exc.status,
            message=exc.message,
            error_code=exc.error_code,
            details=exc.details,
            error=exc.error,
        )
        return Response(body, status=exc.status, headers=exc.headers)

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django answer 500 and log it

    error_code, status = next(
        (code for klass, code in _DRF_ERROR_CODES.items() if isinstance(exc, klass)),
        (str(exc.default_code).upper(), exc.status_code),
    )
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait)))

    details = exc.detail if isinstance(exc, exceptions.ValidationError) else {}
    message = _first_message(exc.detail)
    if isinstance(exc, exceptions.Throttled):
        message = f"Rate limit exceeded. Try again in {headers.get('Retry-After', 'a few')} seconds."
    set_rollback()
    return Response(
        error_body(status=status, message=message, error_code=error_code, details=details),
        status=status,
        headers=headers,
    )


@csrf_exempt  # it changes nothing; a POST to a wrong address should learn so, not fail CSRF
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any /api/v3/ address no endpoint matches: the error body, not Django's HTML page."""
    body = error_body(status=404, message=f"No API endpoint at {request.path}.", error_code="NOT_FOUND")
    return JsonResponse(body, status=404)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100
