"""The API's rate limits as callers meet them: each scope's rate (settings), counted per API key,
answered 429 RATE_LIMITED with Retry-After."""

from accounts.services import api_key_create
from custom_models.models import CustomModel
from custom_models.services import custom_model_create
from tests.conftest import assert_error
from tests.test_settings import run_django

URL = "/api/v3/custom_models"


def test_eleventh_model_creation_in_an_hour_is_429_with_retry_after(owner):
    for n in range(10):
        response = owner.client().post(URL, {"name": f"Model {n}", "language": "en"}, format="json")
        assert response.status_code == 201
    response = owner.client().post(URL, {"name": "Model 10", "language": "en"}, format="json")
    body = assert_error(response, 429, "RATE_LIMITED")
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Rate limit exceeded" in body["message"]
    assert CustomModel.objects.count() == 10


def test_status_checks_allow_100_per_minute(owner):
    client = owner.client()
    for _ in range(100):
        assert client.get(URL).status_code == 200
    response = client.get(URL)
    assert_error(response, 429, "RATE_LIMITED")
    assert 0 < int(response["Retry-After"]) <= 60


def test_limits_are_counted_per_api_key(owner):
    for _ in range(100):
        owner.client().get(URL)
    assert owner.client().get(URL).status_code == 429

    _, second_token = api_key_create(membership=owner.membership)
    owner.token = second_token
    assert owner.client().get(URL).status_code == 200


def test_other_organisations_have_their_own_budget(owner, outsider):
    for _ in range(101):
        owner.client().get(URL)
    assert outsider.client().get(URL).status_code == 200


def test_head_requests_count_as_status_checks(owner):
    model = custom_model_create(organisation=owner.organisation, name="Polled", language="en")
    url = f"{URL}/{model.pk}"
    client = owner.client()
    for _ in range(50):
        assert client.get(url).status_code == 200
        assert client.head(url).status_code == 200
    response = client.head(url)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert_error(client.get(url), 429, "RATE_LIMITED")


def test_transcription_is_not_refused_when_the_data_upload_limit_is_spent(owner):
    model = custom_model_create(organisation=owner.organisation, name="Uploads", language="en")
    client = owner.client()
    for _ in range(50):
        assert client.put(f"{URL}/{model.pk}/data", {}, format="multipart").status_code == 422
    assert_error(client.put(f"{URL}/{model.pk}/data", {}, format="multipart"), 429, "RATE_LIMITED")

    # No file: refused as invalid input, not as over a limit.
    assert_error(client.post("/api/v3/stt", {}, format="multipart"), 422, "INVALID_INPUT")
    assert_error(client.post("/api/v3/alignments", {}, format="multipart"), 422, "INVALID_INPUT")


def test_transcription_and_alignment_share_a_limit_of_their_own(owner, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "transcription": "3/hour",
        },
    }
    client = owner.client()
    for path in ("/api/v3/stt", "/api/v3/alignments", "/api/v3/stt"):
        assert client.post(path, {}, format="multipart").status_code == 422
    response = client.post("/api/v3/alignments", {}, format="multipart")
    assert_error(response, 429, "RATE_LIMITED")
    assert 0 < int(response["Retry-After"]) <= 3600
    # Data uploads keep their own budget.
    model = custom_model_create(organisation=owner.organisation, name="Uploads", language="en")
    assert client.put(f"{URL}/{model.pk}/data", {}, format="multipart").status_code == 422


def test_transcription_limit_defaults_to_1000_an_hour_and_is_read_from_the_environment():
    code = (
        "from django.conf import settings as s\n"
        "print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['transcription'])"
    )
    assert run_django(code) == "1000/hour"
    assert run_django(code, THROTTLE_TRANSCRIPTION="20/min") == "20/min"
