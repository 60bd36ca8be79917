"""API plumbing configured once for every endpoint: errors, pagination, throttles."""

import time
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination, throttling
from rest_framework.response import Response
from rest_framework.settings import api_settings

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
    # Imported here: rest_framework.views reads DEFAULT_THROTTLE_CLASSES (this module) when
    # it is first imported, so importing it at the top would be circular.
    from rest_framework.views import set_rollback

    if isinstance(exc, ApplicationError):
        set_rollback()
        body = error_body(
            status=exc.status,
            message=exc.message,
            error_code=exc.error_code,
            details=exc.details,
            error=exc.error,
        )
        return Response(body, status=exc.status)

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


class ScopedThrottle(throttling.ScopedRateThrottle):
    """Rate limits per operation, counted per API key (or per user for panel sessions).

    A view names its scopes per HTTP method in `throttle_scopes`. DRF's scoped
    throttle keys on the user, so two keys of one user would share a budget;
    the spec counts per API key. And DRF keeps a list of timestamps that
    concurrent requests read and write back, losing each other's counts under
    load; this counts in fixed windows with one atomic increment per request
    (Redis's INCR, or an upsert in the database when there is no Redis).
    """

    def allow_request(self, request, view) -> bool:
        scopes = getattr(view, "throttle_scopes", {})
        # Django answers HEAD with the GET handler, so a HEAD is a GET without its body and counts as one.
        method = "GET" if request.method == "HEAD" and "HEAD" not in scopes else request.method
        self.scope = scopes.get(method)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        now = self.timer()
        window = int(now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{self.get_cache_key(request, view)}:{window}"
        return _count_in_window(key, self.window_end) <= self.num_requests

    def get_rate(self) -> str:
        # Looked up per request rather than once at import as DRF does, so overridden settings apply.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def wait(self) -> float:
        return max(1.0, self.window_end - self.timer())

    def get_cache_key(self, request, view) -> str | None:
        if request.auth is not None and getattr(request.auth, "pk", None) is not None:
            ident = f"key-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _count_in_window(key: str, window_end: float) -> int:
    """This request's number in its window: Redis's INCR when Redis is configured, else the database's."""
    if settings.REDIS_URL:
        cache.add(key, 0, timeout=int(window_end - time.time()) + 2)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            cache.add(key, 1, timeout=int(window_end - time.time()) + 2)
            return 1
    from panel.services import rate_window_hit

    return rate_window_hit(key=key, expires_at=datetime.fromtimestamp(window_end + 1, tz=UTC))


def throttle_check(request, scope: str) -> None:
    """Count one request against a scope's rate, now; raise 429 if over it.

    For limits that count only accepted operations (a training start), checked
    by the service after its other checks rather than before the view runs.
    """

    class _View:
        throttle_scopes = {request.method: scope}

    throttle = ScopedThrottle()
    if not throttle.allow_request(request, _View()):
        raise exceptions.Throttled(wait=throttle.wait())
