from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from custom_models.models import CustomModel
from panel.models import RateWindow
from panel.services import api_key_create, rate_window_hit, rate_windows_purge
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


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_on_their_own_connections_lose_no_counts():
    # Each thread has its own connection to the SQLite file, as each gunicorn worker and thread does.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(_hit_window, range(4)))
    assert RateWindow.objects.get(key="throttle_status_check_key-1:1").count == 4 * 50


def _hit_window(_: int) -> None:
    expires = timezone.now() + timedelta(minutes=1)
    try:
        for _ in range(50):
            rate_window_hit(key="throttle_status_check_key-1:1", expires_at=expires)
    finally:
        connection.close()


def test_ended_windows_are_purged(db):
    now = timezone.now()
    rate_window_hit(key="ended", expires_at=now - timedelta(seconds=1))
    rate_window_hit(key="current", expires_at=now + timedelta(seconds=30))
    assert rate_windows_purge() == 1
    assert list(RateWindow.objects.values_list("key", flat=True)) == ["current"]
