"""Every API error answers the one error body, {error, message, error_code, details}, with the
status and headers a client acts on, whichever layer refused the request."""

import base64

import pytest
from rest_framework.test import APIClient

from custom_models.services import custom_model_create
from tests.conftest import assert_error

URL = "/api/v3/custom_models"


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_paths_answer_the_error_body(owner, method):
    response = getattr(owner.client(), method)("/api/v3/no_such_thing/12")
    assert_error(response, 404, "NOT_FOUND")


def test_a_request_without_a_key_is_told_how_to_authenticate(db):
    response = APIClient().get(URL)
    body = assert_error(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"] == "Bearer"
    assert body["message"]


def test_a_revoked_or_unknown_key_is_401_not_a_server_error(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer cm_not-a-key")
    assert_error(client.get(URL), 401, "UNAUTHORIZED")


def test_malformed_json_is_a_parse_error(owner):
    response = owner.client().post(URL, data="{not json", content_type="application/json")
    assert_error(response, 400, "PARSE_ERROR")


def test_invalid_fields_are_named_in_details(owner):
    response = owner.client().post(URL, {"language": "en"}, format="json")
    body = assert_error(response, 422, "INVALID_INPUT")
    assert "name" in body["details"]
    assert body["message"].startswith("name:")


def test_a_method_an_endpoint_does_not_have_is_405(owner):
    assert_error(owner.client().patch(URL, {}, format="json"), 405, "METHOD_NOT_ALLOWED")


def test_a_services_refusal_carries_its_code_status_and_headers(owner, settings):
    # The tus upload limit is spent inside the upload service, not by the view's throttle.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "data_upload": "1/hour",
        },
    }
    model = custom_model_create(organisation=owner.organisation, name="Limits", language="en")
    headers = {"HTTP_TUS_RESUMABLE": "1.0.0", "HTTP_UPLOAD_LENGTH": "10"}
    uploads = f"{URL}/{model.pk}/uploads"
    assert owner.client().post(uploads, **headers, HTTP_UPLOAD_METADATA=_metadata("a.wav")).status_code == 201
    response = owner.client().post(uploads, **headers, HTTP_UPLOAD_METADATA=_metadata("b.wav"))
    body = assert_error(response, 429, "RATE_LIMITED")
    assert body["message"] == f"Rate limit exceeded. Try again in {response['Retry-After']} seconds."


def _metadata(filename: str) -> str:
    return f"filename {base64.b64encode(filename.encode()).decode()}"
