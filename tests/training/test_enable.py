"""POST /api/v3/custom_models/{id}/enable: an admin or sysop enables anyway a model that reached
Success but stayed disabled (no hosting claim then, or the regression gate)."""

import pytest

from custom_models.models import CustomModel, QuotaClaim, TrainingStatus
from custom_models.services import custom_model_create
from tests.conftest import assert_error
from training.models import TrainingRun

REASON = "General speech got worse by 3.1 WER points (more than TRAINING_MAX_REGRESSION, 2)."


@pytest.fixture
def held_back(owner) -> CustomModel:
    """A model whose run succeeded but which the gate kept disabled."""
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    TrainingRun.objects.create(custom_model=model, status=TrainingRun.Status.SUCCEEDED)
    CustomModel.objects.filter(pk=model.pk).update(
        training_status=TrainingStatus.SUCCESS, enabled=False, disabled_reason=REASON, status_message=REASON
    )
    model.refresh_from_db()
    return model


def enable(persona, model):
    return persona.client().post(f"/api/v3/custom_models/{model.pk}/enable")


@pytest.mark.parametrize("persona", ["owner", "sysop"])
def test_admin_or_sysop_enables_anyway_with_a_hosting_claim_and_a_log_line(request, persona, held_back):
    who = request.getfixturevalue(persona)
    response = enable(who, held_back)
    assert response.status_code == 200, response.content
    assert response.json()["training_status"] == TrainingStatus.SUCCESS
    held_back.refresh_from_db()
    assert held_back.enabled and held_back.disabled_reason == "" and held_back.status_message == ""
    claim = QuotaClaim.objects.get()
    assert claim.kind == QuotaClaim.Kind.HOSTING and claim.custom_model == held_back
    line = held_back.log_lines.get(stage="enable")
    assert line.message == f"Enabled anyway by {who.user.username} (it was disabled: {REASON})"
    assert line.run == TrainingRun.objects.get()
    log = who.client().get(f"/api/v3/custom_models/{held_back.pk}/log").json()["lines"]
    assert log[-1]["message"].startswith(f"Enabled anyway by {who.user.username}")


def test_member_cannot_enable(member, held_back):
    assert_error(enable(member, held_back), 403, "PERMISSION_DENIED")
    held_back.refresh_from_db()
    assert not held_back.enabled and not QuotaClaim.objects.exists()


def test_an_enabled_model_cannot_be_enabled_again(owner, held_back):
    CustomModel.objects.filter(pk=held_back.pk).update(enabled=True, disabled_reason="")
    assert_error(enable(owner, held_back), 409, "MODEL_NOT_READY")
    assert not QuotaClaim.objects.exists()


@pytest.mark.parametrize(
    "status",
    [TrainingStatus.NOT_RUNNING, TrainingStatus.PROVISIONING, TrainingStatus.RUNNING, TrainingStatus.FAILED],
)
def test_only_a_model_at_success_can_be_enabled(owner, held_back, status):
    CustomModel.objects.filter(pk=held_back.pk).update(training_status=status)
    body = assert_error(enable(owner, held_back), 409, "MODEL_NOT_READY")
    assert body["details"]["training_status"] == status
    held_back.refresh_from_db()
    assert not held_back.enabled and not QuotaClaim.objects.exists()


def test_no_hosting_claim_left_is_402_and_changes_nothing(owner, held_back):
    plan = owner.organisation.plan
    plan.hosting_fair_use_limit, plan.hosting_unit_price = 0, None
    plan.save()
    assert_error(enable(owner, held_back), 402, "no-claims-available")
    held_back.refresh_from_db()
    assert not held_back.enabled and held_back.disabled_reason == REASON
    assert held_back.status_message == REASON
    assert not QuotaClaim.objects.exists()
    assert not held_back.log_lines.filter(stage="enable").exists()


def test_outsider_gets_not_found(outsider, held_back):
    assert_error(enable(outsider, held_back), 404, "MODEL_NOT_FOUND")
    held_back.refresh_from_db()
    assert not held_back.enabled
