import pytest

from custom_models.models import CustomModel, Language, TrainingStatus
from tests.conftest import assert_error

URL = "/api/v3/custom_models"


def create(persona, **fields):
    body = {"name": "Medical Cardiology EN", "language": "en", **fields}
    return persona.client().post(URL, body, format="json")


def test_owner_creates_a_model_that_starts_not_running(owner):
    response = create(owner, base_model="medical", description="Cardiology consultations and reports")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["training_status"] == TrainingStatus.NOT_RUNNING
    assert body["training_status_label"] == "Not running"
    assert body["training_progress"] == 0
    assert body["training_metrics"] is None
    assert body["enabled"] is False
    assert body["language"] == "en"
    assert body["base_model"] == "medical"
    assert body["key"] == "medical-cardiology-en"
    assert body["model"] == f"custom_model_{body['id']}"
    for field in ["id", "name", "description", "created_at", "updated_at"]:
        assert field in body
    assert CustomModel.objects.get(pk=body["id"]).organisation == owner.organisation


def test_member_can_create_models_too(member):
    assert create(member).status_code == 201


def test_base_model_defaults_to_general(owner):
    assert create(owner).json()["base_model"] == "general"


def test_unknown_base_model_is_refused(owner):
    assert_error(create(owner, base_model="astrology"), 422, "INVALID_INPUT")


@pytest.mark.parametrize("name", ["", "x", " y "])
def test_name_shorter_than_two_characters_is_422(owner, name):
    body = assert_error(create(owner, name=name), 422, "INVALID_INPUT")
    assert "name" in body["details"]
    assert not CustomModel.objects.exists()


def test_name_without_letters_or_digits_is_422(owner):
    assert_error(create(owner, name="!!"), 422, "INVALID_INPUT")


def test_same_key_in_organisation_is_language_exists(owner):
    assert create(owner, name="Cardiology EN").status_code == 201
    body = assert_error(create(owner, name="cardiology  en!"), 409, "language-exists")
    assert body["message"].startswith("Language already exists")


def test_same_name_in_another_organisation_is_fine(owner, outsider):
    assert create(owner).status_code == 201
    assert create(outsider).status_code == 201


def test_deleted_model_frees_its_key(owner):
    model_id = create(owner).json()["id"]
    owner.client().delete(f"{URL}/{model_id}")
    assert create(owner).status_code == 201


def test_unknown_language_is_invalid_language(owner):
    body = assert_error(create(owner, language="xx"), 400, "invalid-language")
    assert body["message"] == "Invalid language"


def test_untrainable_language_is_invalid_language(owner):
    Language.objects.create(code="nl", name="Dutch", trainable=False)
    assert_error(create(owner, language="nl"), 400, "invalid-language")


def test_unpublished_language_is_refused(owner):
    Language.objects.create(code="de", name="German", trainable=True)
    body = assert_error(create(owner, language="de"), 403, "language-not-published")
    assert body["message"] == "The language is not published to your organization"


def test_gold_plan_allows_five_models(outsider):
    for n in range(5):
        assert create(outsider, name=f"Model {n}").status_code == 201
    body = assert_error(create(outsider, name="Model 6"), 402, "MODEL_LIMIT_EXCEEDED")
    assert body["details"]["limit"] == 5


def test_deleted_models_do_not_count_against_the_plan_limit(outsider):
    ids = [create(outsider, name=f"Model {n}").json()["id"] for n in range(5)]
    outsider.client().delete(f"{URL}/{ids[0]}")
    assert create(outsider, name="Model 6").status_code == 201


def test_enterprise_plan_is_unlimited(owner):
    for n in range(7):
        assert create(owner, name=f"Model {n}").status_code == 201


def test_plan_without_automatic_training_is_feature_not_available(featureless):
    assert_error(create(featureless), 403, "FEATURE_NOT_AVAILABLE")


def test_missing_language_is_422(owner):
    response = owner.client().post(URL, {"name": "Good name"}, format="json")
    body = assert_error(response, 422, "INVALID_INPUT")
    assert "language" in body["details"]


def test_malformed_json_is_an_error_body(owner):
    response = owner.client().post(URL, "{not json", content_type="application/json")
    assert_error(response, 400, "PARSE_ERROR")
