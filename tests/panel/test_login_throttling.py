"""Failed log-ins are limited per username and per client address (django-axes)."""

import pytest
from django.conf import settings
from django.test import Client

ATTACKER = "198.51.100.7"
OFFICE = "203.0.113.20"


def attempt(client: Client, username: str, password: str, address: str = ATTACKER, **headers):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def fail_until_locked(username: str, address: str = ATTACKER) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(Client(), username, "wrong", address)
        assert response.status_code == 200
        assert b"didn't match" in response.content
    locked = attempt(Client(), username, "wrong", address)
    assert locked.status_code == 429


def test_default_limit_is_ten_failures_and_a_fifteen_minute_wait():
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


def test_the_last_allowed_wrong_password_locks_with_a_message_saying_how_long_to_wait(owner):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(Client(), "alice", "wrong").status_code == 200
    response = attempt(Client(), "alice", "wrong")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    html = response.content.decode()
    assert "Too many failed log-in attempts" in html
    assert "Try again in 15 minutes" in html
    assert 'name="password"' in html  # still the login page, with its form


def test_correct_password_is_refused_during_the_lockout(owner):
    fail_until_locked("alice")
    client = Client()
    response = attempt(client, "alice", "alice")
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content
    assert client.get("/").status_code == 302  # not logged in


def test_changing_address_does_not_reset_a_username_lockout(owner):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "alice", "wrong", f"198.51.100.{n + 1}")
    assert attempt(Client(), "alice", "alice", "192.0.2.99").status_code == 429


def test_one_address_trying_many_usernames_is_locked_but_others_are_not(owner, member):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), f"guess{n}", "wrong", ATTACKER)
    assert attempt(Client(), "bob", "bob", ATTACKER).status_code == 429
    assert attempt(Client(), "bob", "bob", OFFICE).status_code == 302


def test_correct_password_logs_in_once_the_wait_is_over(owner):
    from axes.models import AccessAttempt

    fail_until_locked("alice")
    # Move the failures back past the cool-off instead of waiting 15 minutes.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
    )
    client = Client()
    response = attempt(client, "alice", "alice")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_behind_a_proxy_clients_are_told_apart_by_the_header_it_sets(owner, member, settings):
    # What CLIENT_IP_HEADER=X-Real-IP configures (docs/deploy.md): every request comes from the proxy.
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), f"guess{n}", "wrong", "127.0.0.1", HTTP_X_REAL_IP=ATTACKER)
    assert attempt(Client(), "bob", "bob", "127.0.0.1", HTTP_X_REAL_IP=ATTACKER).status_code == 429
    assert attempt(Client(), "bob", "bob", "127.0.0.1", HTTP_X_REAL_IP=OFFICE).status_code == 302


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_every_login_form_is_locked(owner, path):
    fail_until_locked("alice")
    response = Client().post(path, {"username": "alice", "password": "alice"}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
