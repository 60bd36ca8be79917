"""Counting requests against rate limits (accounts.services): windows that lose no count under
concurrent writers, purged once ended, and the limit services spend for accepted operations."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import RateWindow
from accounts.services import api_key_create, rate_limit_take, rate_window_hit, rate_windows_purge
from config.errors import ApplicationError


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


def test_a_service_spending_past_the_rate_is_refused_with_when_to_retry(owner, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "training_start": "2/hour",
        },
    }
    for _ in range(2):
        rate_limit_take(scope="training_start", user=owner.user)
    with pytest.raises(ApplicationError) as refused:
        rate_limit_take(scope="training_start", user=owner.user)
    assert (refused.value.status, refused.value.error_code) == (429, "RATE_LIMITED")
    wait = int(refused.value.headers["Retry-After"])
    assert 0 < wait <= 3600
    assert refused.value.message == f"Rate limit exceeded. Try again in {wait} seconds."


def test_each_api_key_has_its_own_budget_and_the_session_has_its_users(owner, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "training_start": "1/hour",
        },
    }
    first, _ = api_key_create(membership=owner.membership)
    second, _ = api_key_create(membership=owner.membership)
    rate_limit_take(scope="training_start", user=owner.user, api_key=first)
    with pytest.raises(ApplicationError):
        rate_limit_take(scope="training_start", user=owner.user, api_key=first)
    rate_limit_take(scope="training_start", user=owner.user, api_key=second)
    rate_limit_take(scope="training_start", user=owner.user)  # the panel's session: the user's own
    with pytest.raises(ApplicationError):
        rate_limit_take(scope="training_start", user=owner.user)
