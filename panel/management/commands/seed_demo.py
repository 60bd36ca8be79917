"""Create (or bring up to date) the demo organisations, users, plans and languages.

Safe to run any number of times. Prints fresh API keys as one JSON object on
its last line; older demo keys stay valid.
"""

import json
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from custom_models.models import BaseModel, Domain, Language
from custom_models.services import language_publish
from panel.models import Organisation, Plan
from panel.services import api_key_create, member_add

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


class Command(BaseCommand):
    help = "Create the demo organisations, users (password = username) and API keys."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        plans = {}
        for name, terms in PLANS.items():
            plans[name], _ = Plan.objects.update_or_create(name=name, defaults=terms)

        english, _ = Language.objects.update_or_create(
            code="en", defaults={"name": "English (US)", "trainable": True}
        )
        # The starter model shipped in models/; other domains fall back to it.
        BaseModel.objects.get_or_create(
            language=english, domain=Domain.GENERAL, defaults={"path": "en-us-general", "source": "starter"}
        )

        keys = {}
        for slug, name, plan, members in ORGANISATIONS:
            organisation, _ = Organisation.objects.update_or_create(
                slug=slug, defaults={"name": name, "plan": plans[plan]}
            )
            language_publish(language=english, organisation=organisation)
            for username, role in members:
                membership = member_add(
                    organisation=organisation, username=username, role=role, password=username
                )
                self.stdout.write(f"{organisation.slug}: {username} ({role}), password '{username}'")
                _, token = api_key_create(membership=membership, name="demo")
                keys[f"{username}_api_key"] = token

        self.stdout.write(f"Demo languages: {english.code} ({english.name}), trainable")
        self.stdout.write(json.dumps(keys))
