import pytest

from custom_models.models import CustomModel, TrainingStatus
from tests.conftest import assert_error

URL = "/api/v3/custom_models"


@pytest.fixture
def model(owner) -> CustomModel:
    response = owner.client().post(URL, {"name": "Cardiology", "language": "en"}, format="json")
    return CustomModel.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("persona", ["owner", "sysop"])
def test_admin_and_sysop_can_delete(request, model, persona):
    response = request.getfixturevalue(persona).client().delete(f"{URL}/{model.pk}")
    assert response.status_code == 204
    model.refresh_from_db()
    assert model.deleted_at is not None
    assert model.enabled is False


def test_member_cannot_delete(member, model):
    assert_error(member.client().delete(f"{URL}/{model.pk}"), 403, "PERMISSION_DENIED")
    model.refresh_from_db()
    assert model.deleted_at is None


def test_outsider_cannot_delete(outsider, model):
    assert_error(outsider.client().delete(f"{URL}/{model.pk}"), 404, "MODEL_NOT_FOUND")
    model.refresh_from_db()
    assert model.deleted_at is None


def test_delete_is_soft_and_cannot_be_repeated(owner, model):
    owner.client().delete(f"{URL}/{model.pk}")
    assert CustomModel.objects.filter(pk=model.pk).exists()
    assert_error(owner.client().delete(f"{URL}/{model.pk}"), 404, "MODEL_NOT_FOUND")


def test_deleting_a_training_model_leaves_it_failed_not_running(owner, model):
    CustomModel.objects.filter(pk=model.pk).update(training_status=TrainingStatus.RUNNING)
    owner.client().delete(f"{URL}/{model.pk}")
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.FAILED
