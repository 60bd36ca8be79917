from custom_models.models import CustomModel
from panel.services import api_key_create
from tests.conftest import assert_error

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
