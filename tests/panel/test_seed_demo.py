import json
from io import StringIO

from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Membership, Organisation
from custom_models.models import Language

KEYS = {"admin_api_key", "sysop_api_key", "member_api_key", "other_admin_api_key", "basic_admin_api_key"}


def seed() -> dict:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def client(token: str) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return c


def test_seed_demo_is_idempotent_and_prints_working_keys(db):
    first = seed()
    second = seed()
    assert set(first) == set(second) == KEYS

    assert Organisation.objects.count() == 3
    assert Membership.objects.count() == 5
    demo = Organisation.objects.get(slug="demo")
    assert demo.plan.name == "Enterprise" and demo.plan.automatic_training
    assert {m.user.username: m.role for m in demo.memberships.all()} == {
        "admin": "admin",
        "sysop": "sysop",
        "member": "member",
    }
    assert Organisation.objects.get(slug="other").plan.max_custom_models == 5
    basic = Organisation.objects.get(slug="basic")
    assert not basic.plan.automatic_training and not basic.is_resellee
    assert Language.objects.get(code="en").name == "English (US)"
    # Every language the multilingual base speaks is trainable, from one directory; English keeps
    # tiny.en; the demo organisation has seven of them, the others wait for an operator to publish.
    trainable = Language.objects.filter(trainable=True)
    assert trainable.count() == 99
    assert {b.path for lang in trainable.exclude(code="en") for b in lang.base_models.all()} == {
        "whisper-base-multilingual"
    }
    assert Language.objects.get(code="en").base_models.get().path == "en-us-whisper-tiny"
    published = set(demo.publications.values_list("language__code", flat=True))
    assert published == {"en", "nl", "de", "fr", "es", "it", "pt"}
    assert Language.objects.get(code="nl").name == "Dutch"
    listed = client(first["admin_api_key"]).get("/api/v3/languages").json()["results"]
    assert {"code": "de", "name": "German"}.items() <= next(x for x in listed if x["code"] == "de").items()
    assert len(listed) == 7

    # Both runs' keys work: the spec's Quick Start steps 1 and 5.
    created = client(first["admin_api_key"]).post(
        "/api/v3/custom_models",
        {"name": "Medical Cardiology EN", "language": "en", "base_model": "medical"},
        format="json",
    )
    assert created.status_code == 201
    fetched = client(second["member_api_key"]).get(f"/api/v3/custom_models/{created.json()['id']}")
    assert fetched.json()["training_status"] == 1
    assert client(second["basic_admin_api_key"]).get("/api/v3/custom_models").status_code == 403
    assert client(second["other_admin_api_key"]).get("/api/v3/custom_models").json()["count"] == 0


def test_demo_users_log_in_with_their_username_as_password(db):
    from django.test import Client

    seed()
    assert Client().login(username="sysop", password="sysop")
