"""Organisations, their plans, members and API keys, and the throttle's rate windows.

The tables keep the names they had when these models lived in the panel app
(`panel_organisation`, …): the move to this app changed no row (migrations
accounts 0001 and panel 0004 only move Django's record of the models).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models


class Plan(models.Model):
    """What an organisation may do and how much of it.

    Claims are free up to the fair-use limit each billing period; beyond it
    they cost the unit price while the period's budget lasts. No unit price
    means no pay-per-use.
    """

    name = models.CharField(max_length=100, unique=True)
    max_custom_models = models.PositiveIntegerField(null=True, blank=True, help_text="Empty means unlimited.")
    automatic_training = models.BooleanField(default=False, help_text="The Automatic Training feature.")

    training_fair_use_limit = models.PositiveIntegerField(default=0)
    training_unit_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    training_budget = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    hosting_fair_use_limit = models.PositiveIntegerField(default=0)
    hosting_unit_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    hosting_budget = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        db_table = "panel_plan"

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="organisations")
    reseller = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="resellees"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "panel_organisation"

    def __str__(self) -> str:
        return self.name

    @property
    def is_resellee(self) -> bool:
        return self.reseller_id is not None

    @property
    def has_automatic_training(self) -> bool:
        return self.plan.automatic_training


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        SYSOP = "sysop", "Sysop"
        MEMBER = "member", "Member"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "panel_membership"
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"

    @property
    def can_delete_models(self) -> bool:
        return self.role in {self.Role.ADMIN, self.Role.SYSOP}


class ApiKey(models.Model):
    """A Bearer token for one membership. Only a SHA-256 of the token is stored.

    Tokens carry 256 bits of randomness, so a fast hash is enough: there is
    nothing to brute-force that a slow hash would protect.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="API key")
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to recognise it.")
    hashed_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "panel_apikey"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.membership})"


class RateWindow(models.Model):
    """Requests counted in one throttle window for one API key and scope.

    The throttle store when no Redis is configured: one atomic upsert per
    request, shared by every web worker process, where a cache entry would
    need a read and a write that concurrent requests interleave.
    """

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "panel_ratewindow"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
