"""A database built while the accounts models lived in the panel app keeps every row after
`migrate`: its organisations, members and API keys are the accounts app's, its custom models
still belong to their organisation, and its API keys still open the API."""

import hashlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_q.models import Schedule
from rest_framework.test import APIClient

from accounts.models import ApiKey, Membership, Organisation, RateWindow
from custom_models.models import CustomModel

# Each app's last migration before the move: the layout the previous release left in a database.
BEFORE_THE_MOVE = [
    ("panel", "0003_cache_table"),
    ("custom_models", "0003_failure_code_cancelled"),
    ("datasets", "0002_schedule_upload_expiry"),
    ("training", "0006_run_evaluation"),
    ("accounts", None),
]
TOKEN = "cm_" + "k" * 43


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _a_database_at_the_old_layout():
    """Rows written through the old migration state: panel.Organisation and friends."""
    old = _migrate(BEFORE_THE_MOVE).loader.project_state(BEFORE_THE_MOVE[:-1]).apps
    assert ("accounts", "0001_initial") not in MigrationExecutor(connection).loader.applied_migrations
    plan = old.get_model("panel", "Plan").objects.create(name="Old plan", automatic_training=True)
    organisation = old.get_model("panel", "Organisation").objects.create(name="Acme", slug="acme", plan=plan)
    old.get_model("panel", "Organisation").objects.create(
        name="Acme Resold", slug="acme-resold", plan=plan, reseller=organisation
    )
    user = old.get_model("auth", "User").objects.create(username="ada")
    membership = old.get_model("panel", "Membership").objects.create(
        user=user, organisation=organisation, role="admin"
    )
    old.get_model("panel", "ApiKey").objects.create(
        membership=membership,
        name="CI key",
        prefix=TOKEN[:10],
        hashed_key=hashlib.sha256(TOKEN.encode()).hexdigest(),
    )
    old.get_model("panel", "RateWindow").objects.create(
        key="throttle_status_check_key-1:1", count=7, expires_at="2030-01-01T00:00Z"
    )
    language = old.get_model("custom_models", "Language").objects.create(
        code="en", name="English", trainable=True
    )
    old.get_model("custom_models", "CustomModel").objects.create(
        organisation=organisation, language=language, name="Cardiology", key="cardiology"
    )
    ContentType.objects.filter(app_label="accounts").update(app_label="panel")  # as the old code made them
    Schedule.objects.update_or_create(
        name="Purge ended rate-limit windows",
        defaults={"func": "panel.tasks.purge_rate_windows", "schedule_type": "H", "repeats": -1},
    )


@pytest.mark.django_db(transaction=True)
def test_migrating_a_database_from_before_the_accounts_app_keeps_its_rows():
    _a_database_at_the_old_layout()

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    organisation = Organisation.objects.get(slug="acme")
    assert organisation.plan.name == "Old plan" and organisation.has_automatic_training
    assert Organisation.objects.get(slug="acme-resold").reseller == organisation
    membership = Membership.objects.get(user__username="ada")
    assert membership.organisation == organisation and membership.can_delete_models
    assert ApiKey.objects.get(membership=membership).name == "CI key"
    assert RateWindow.objects.get(key="throttle_status_check_key-1:1").count == 7
    model = CustomModel.objects.get(key="cardiology")
    assert model.organisation == organisation
    # The old key still opens the API and sees its organisation's model.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    response = client.get("/api/v3/custom_models")
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [model.pk]
    # Permissions and admin history follow the models; the hourly purge runs the moved task.
    assert ContentType.objects.get_for_model(Organisation).app_label == "accounts"
    assert not ContentType.objects.filter(app_label="panel", model="organisation").exists()
    assert (
        Schedule.objects.get(name="Purge ended rate-limit windows").func
        == "accounts.tasks.purge_rate_windows"
    )


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_unapplied_without_losing_rows(owner):
    _migrate(BEFORE_THE_MOVE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE_THE_MOVE[:-1]).apps
    assert old.get_model("panel", "Organisation").objects.filter(slug=owner.organisation.slug).exists()
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert owner.client().get("/api/v3/custom_models").status_code == 200
