"""The accounts models, moved here from the panel app without touching a table or a row.

The tables were created by panel 0001 and 0002 and keep their names (Meta.db_table), so this
migration only tells Django's migration state that the models are now accounts' (and panel 0004
tells it that they are no longer panel's). On a new database panel's migrations still create
the tables first. The content types move with the models, so permissions and admin history stay
attached, and the hourly purge of rate windows is scheduled under its new dotted path.
"""

import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


MOVED_MODELS = ["plan", "organisation", "membership", "apikey", "ratewindow"]
PURGE = "Purge ended rate-limit windows"


def move_to_accounts(apps, schema_editor) -> None:
    apps.get_model("contenttypes", "ContentType").objects.filter(
        app_label="panel", model__in=MOVED_MODELS
    ).update(app_label="accounts")
    apps.get_model("django_q", "Schedule").objects.filter(name=PURGE).update(
        func="accounts.tasks.purge_rate_windows"
    )


def move_back_to_panel(apps, schema_editor) -> None:
    apps.get_model("contenttypes", "ContentType").objects.filter(
        app_label="accounts", model__in=MOVED_MODELS
    ).update(app_label="panel")
    apps.get_model("django_q", "Schedule").objects.filter(name=PURGE).update(
        func="panel.tasks.purge_rate_windows"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("panel", "0003_cache_table"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Plan",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True)),
                        (
                            "max_custom_models",
                            models.PositiveIntegerField(
                                blank=True, help_text="Empty means unlimited.", null=True
                            ),
                        ),
                        (
                            "automatic_training",
                            models.BooleanField(default=False, help_text="The Automatic Training feature."),
                        ),
                        ("training_fair_use_limit", models.PositiveIntegerField(default=0)),
                        (
                            "training_unit_price",
                            models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True),
                        ),
                        (
                            "training_budget",
                            models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=12),
                        ),
                        ("hosting_fair_use_limit", models.PositiveIntegerField(default=0)),
                        (
                            "hosting_unit_price",
                            models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True),
                        ),
                        (
                            "hosting_budget",
                            models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=12),
                        ),
                    ],
                    options={
                        "db_table": "panel_plan",
                    },
                ),
                migrations.CreateModel(
                    name="RateWindow",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=200, unique=True)),
                        ("count", models.PositiveIntegerField(default=0)),
                        ("expires_at", models.DateTimeField(db_index=True)),
                    ],
                    options={
                        "db_table": "panel_ratewindow",
                    },
                ),
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[("admin", "Admin"), ("sysop", "Sysop"), ("member", "Member")],
                                default="member",
                                max_length=10,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "panel_membership",
                    },
                ),
                migrations.CreateModel(
                    name="ApiKey",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(default="API key", max_length=100)),
                        (
                            "prefix",
                            models.CharField(
                                help_text="The token's first characters, to recognise it.", max_length=12
                            ),
                        ),
                        ("hashed_key", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("last_used_at", models.DateTimeField(blank=True, null=True)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "membership",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="api_keys",
                                to="accounts.membership",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "panel_apikey",
                    },
                ),
                migrations.CreateModel(
                    name="Organisation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=200)),
                        ("slug", models.SlugField(max_length=100, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "reseller",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="resellees",
                                to="accounts.organisation",
                            ),
                        ),
                        (
                            "plan",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="organisations",
                                to="accounts.plan",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "panel_organisation",
                    },
                ),
                migrations.AddField(
                    model_name="membership",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="membership",
                    constraint=models.UniqueConstraint(
                        fields=("user", "organisation"), name="one_membership_per_org"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_to_accounts, move_back_to_panel),
    ]
