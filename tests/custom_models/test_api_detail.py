import json

import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.serializers import ModelSerializer

from custom_models.models import CustomModel
from custom_models.serializers import CustomModelOutput
from tests.conftest import assert_error

URL = "/api/v3/custom_models"


@pytest.fixture
def model(owner) -> CustomModel:
    response = owner.client().post(
        URL, {"name": "Cardiology", "language": "en", "description": "Reports"}, format="json"
    )
    return CustomModel.objects.get(pk=response.json()["id"])


def test_get_returns_the_model(owner, model):
    body = owner.client().get(f"{URL}/{model.pk}").json()
    assert body["id"] == model.pk
    assert body["name"] == "Cardiology"
    assert body["language_name"] == "English (US)"


def test_the_body_is_what_the_declared_fields_render(owner, model):
    # The output serializer writes its dict by hand for speed; DRF's generic rendering of
    # the declared fields (which the OpenAPI schema shows) must give the same JSON.
    model.training_status = 4
    model.training_metrics = {"word_error_rate": 7.5, "accuracy_improvement": 42.0}
    model.enabled = True
    model.save()
    declared = ModelSerializer.to_representation(CustomModelOutput(), model)
    body = owner.client().get(f"{URL}/{model.pk}").json()
    assert body == json.loads(JSONRenderer().render(declared))
    assert body["training_status_label"] == "Success" and body["model"] == f"custom_model_{model.pk}"
    assert body["created_at"].endswith("Z")


def test_trailing_slash_is_accepted(owner, model):
    assert owner.client().get(f"{URL}/{model.pk}/").status_code == 200


def test_unknown_id_is_model_not_found(owner):
    assert_error(owner.client().get(f"{URL}/999999"), 404, "MODEL_NOT_FOUND")


def test_outsider_gets_model_not_found(outsider, model):
    assert_error(outsider.client().get(f"{URL}/{model.pk}"), 404, "MODEL_NOT_FOUND")


def test_outsider_cannot_update(outsider, model):
    response = outsider.client().post(f"{URL}/{model.pk}", {"name": "Stolen"}, format="json")
    assert_error(response, 404, "MODEL_NOT_FOUND")
    model.refresh_from_db()
    assert model.name == "Cardiology"


def test_deleted_model_is_not_found(owner, model):
    owner.client().delete(f"{URL}/{model.pk}")
    assert_error(owner.client().get(f"{URL}/{model.pk}"), 404, "MODEL_NOT_FOUND")


def test_update_changes_name_and_description(member, model):
    response = member.client().post(
        f"{URL}/{model.pk}", {"name": "Cardiology dictation", "description": "Letters"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Cardiology dictation"
    assert body["key"] == "cardiology-dictation"
    assert body["description"] == "Letters"
    assert body["updated_at"] > body["created_at"]


def test_update_to_a_short_name_is_422(owner, model):
    assert_error(owner.client().post(f"{URL}/{model.pk}", {"name": "x"}, format="json"), 422, "INVALID_INPUT")
    model.refresh_from_db()
    assert model.name == "Cardiology"


def test_update_to_another_models_key_is_language_exists(owner, model):
    owner.client().post(URL, {"name": "Radiology", "language": "en"}, format="json")
    response = owner.client().post(f"{URL}/{model.pk}", {"name": "RADIOLOGY"}, format="json")
    assert_error(response, 409, "language-exists")


def test_base_language_cannot_change(owner, model):
    response = owner.client().post(f"{URL}/{model.pk}", {"language": "de"}, format="json")
    body = assert_error(response, 422, "INVALID_INPUT")
    assert "language" in body["details"]


def test_base_model_cannot_change_and_nothing_else_is_saved(owner, model):
    response = owner.client().post(
        f"{URL}/{model.pk}", {"name": "Cardio", "base_model": "legal"}, format="json"
    )
    body = assert_error(response, 422, "INVALID_INPUT")
    assert body["details"] == {"base_model": ["This field cannot be changed after creation."]}
    model.refresh_from_db()
    assert (model.name, model.base_model) == ("Cardiology", "general")


def test_sending_the_same_language_back_is_harmless(owner, model):
    response = owner.client().post(f"{URL}/{model.pk}", {"language": "en", "name": "Cardio"}, format="json")
    assert response.status_code == 200
