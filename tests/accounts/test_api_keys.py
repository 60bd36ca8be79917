import hashlib

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke
from tests.conftest import assert_error


def test_keys_are_stored_hashed(owner):
    key = ApiKey.objects.get(membership=owner.membership)
    assert owner.token not in {key.hashed_key, key.prefix}
    assert key.hashed_key == hashlib.sha256(owner.token.encode()).hexdigest()
    assert owner.token.startswith(key.prefix)


def test_each_key_is_unique(owner):
    _, first = api_key_create(membership=owner.membership)
    _, second = api_key_create(membership=owner.membership)
    assert first != second


def test_revoked_key_is_401(owner):
    api_key_revoke(key=ApiKey.objects.get(membership=owner.membership))
    assert_error(owner.client().get("/api/v3/custom_models"), 401, "UNAUTHORIZED")


def test_use_is_recorded(owner):
    owner.client().get("/api/v3/custom_models")
    assert ApiKey.objects.get(membership=owner.membership).last_used_at is not None


def test_key_acts_for_its_own_organisation(owner, outsider):
    owner.client().post("/api/v3/custom_models", {"name": "Mine", "language": "en"}, format="json")
    assert outsider.client().get("/api/v3/custom_models").json()["count"] == 0
