"""The OpenAPI schema told truthfully, configured once for every endpoint.

- Bearer API keys are declared next to the panel's session cookie.
- Every operation lists the error statuses it can answer, each with the error body
  (config.api.error_body): the common ones follow from the view (authentication, path
  parameters, a request body, a rate limit); a view names the others it raises in
  `error_responses`, by method, as it names its rate limits in `throttle_scopes`.
- The spec's paths have no trailing slash (both are accepted), and the links a client
  follows (a language for a new model, the new model's id) are declared for it.

Loaded by config/urls.py, so the authentication extension is registered before any schema
is generated; the hooks are named in settings.SPECTACULAR_SETTINGS.
"""

from http import HTTPStatus
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: the HTTP status phrase, a message for people, a code for programs.",
    "properties": {
        "error": {"type": "string", "description": "The HTTP status phrase (or a short title)."},
        "message": {"type": "string", "description": "What went wrong, for people."},
        "error_code": {
            "type": "string",
            "description": "For programs: MODEL_NOT_FOUND, MODEL_NOT_READY, INVALID_INPUT, RATE_LIMITED, …",
        },
        "details": {
            "type": "object",
            "additionalProperties": True,
            "description": "Context: the invalid fields and their messages, or the values involved.",
        },
    },
    "required": ["error", "message", "error_code", "details"],
}

ERROR_DESCRIPTIONS = {
    400: "Malformed request, or data the service cannot use (invalid-language, no_data, invalid_media, …).",
    401: "No valid API key or session (UNAUTHORIZED).",
    402: "A plan limit is reached (MODEL_LIMIT_EXCEEDED, no-claims-available).",
    403: "Not allowed: no organisation, the plan lacks the feature, the role or the language is not "
    "enough (PERMISSION_DENIED, FEATURE_NOT_AVAILABLE, language-not-published).",
    404: "Not found (MODEL_NOT_FOUND, FILE_NOT_FOUND, JOB_NOT_FOUND, UPLOAD_NOT_FOUND, NOT_FOUND).",
    409: "In conflict with the current state (MODEL_NOT_READY, language-exists, unmatched_audio, "
    "offset_mismatch, …).",
    410: "The upload has expired (upload_expired).",
    412: "Tus-Resumable is missing or not 1.0.0 (tus_version).",
    413: "Too large (upload_too_large).",
    415: "Unsupported Content-Type (UNSUPPORTED_MEDIA_TYPE).",
    422: "Invalid input (INVALID_INPUT); details name the fields.",
    423: "Another request holds this upload (upload_locked).",
    429: "Rate limit exceeded (RATE_LIMITED); Retry-After says in how many seconds to try again.",
    460: "The chunk does not match its Upload-Checksum (checksum_mismatch).",
    503: "A tool the service needs is unavailable (ffmpeg_unavailable, …); try again later.",
}

FIELD_MEDIA_TYPES = {"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from the panel's API keys page: `Authorization: Bearer <key>`.",
        }


def error_responses(view: Any, method: str, path: str, operation: dict) -> set[int]:
    """The error statuses an operation can answer, from what its view does."""
    method = method.upper()
    statuses = set(getattr(view, "error_responses", {}).get(method, ()))
    if getattr(view, "permission_classes", None):
        statuses |= {401, 403}  # no key; no organisation (or a plan without the feature)
    if "{" in path:
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 415}  # unparsable; an unsupported Content-Type
        if set(operation["requestBody"]["content"]) & FIELD_MEDIA_TYPES:
            statuses.add(422)  # invalid fields (not for tus's raw bytes)
    scopes = getattr(view, "throttle_scopes", {})
    if scopes.get("GET" if method == "HEAD" else method):
        statuses.add(429)
    return statuses


def error_response(status: int) -> dict:
    response: dict = {
        "description": ERROR_DESCRIPTIONS.get(status) or HTTPStatus(status).phrase,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until the limit resets."}
        }
    return response


def head_endpoints(endpoints: list) -> list:
    """Preprocessing hook: list HEAD where a view answers it itself (tus), which drf-spectacular skips."""
    extra = [
        (path, regex, "HEAD", callback)
        for path, regex, method, callback in endpoints
        if method == "DELETE" and "head" in vars(getattr(callback, "cls", object))
    ]
    return endpoints + extra


def postprocess(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: error responses, spec paths and links."""
    views = {(path, method.lower()): callback.cls for path, _, method, callback in generator.endpoints}
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            view = views.get((path, method))
            for status in sorted(error_responses(view, method, path, operation)):
                operation["responses"].setdefault(str(status), error_response(status))
    result["paths"] = {
        path.rstrip("/") if path != "/" else path: ops for path, ops in result["paths"].items()
    }
    _add_links(result["paths"])
    return result


def _add_links(paths: dict) -> None:
    """The links a client follows: a language for a new model, then the model's id everywhere."""
    create = paths["/api/v3/custom_models"]["post"]
    by_id = {
        operation["operationId"]: {
            "operationId": operation["operationId"],
            "parameters": {"path.id": "$response.body#/id"},
        }
        for path, operations in paths.items()
        if path.startswith("/api/v3/custom_models/{id}")
        and "{upload_id}" not in path
        and "{file_id}" not in path
        for operation in operations.values()
    }
    create["responses"]["201"]["links"] = by_id
    paths["/api/v3/languages"]["get"]["responses"]["200"]["links"] = {
        "CreateModel": {
            "operationId": create["operationId"],
            "requestBody": {"language": "$response.body#/results/0/code"},
        }
    }
