from custom_models.models import CustomModel
from tests.conftest import assert_error

URL = "/api/v3/custom_models"


def make_models(persona, count: int) -> list[CustomModel]:
    return [
        CustomModel.objects.create(
            organisation=persona.organisation,
            name=f"Model {n}",
            key=f"model-{n}",
            language_id=persona_language(),
        )
        for n in range(count)
    ]


def persona_language() -> int:
    from custom_models.models import Language

    return Language.objects.get(code="en").pk


def test_list_is_paginated_with_count_next_previous_results(owner):
    make_models(owner, 25)

    first = owner.client().get(URL).json()
    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["previous"] is None
    assert first["next"].endswith("page=2")

    second = owner.client().get(URL, {"page": 2}).json()
    assert len(second["results"]) == 5
    assert second["next"] is None


def test_page_size_can_be_chosen(owner):
    make_models(owner, 5)
    assert len(owner.client().get(URL, {"page_size": 2}).json()["results"]) == 2


def test_list_shows_only_the_callers_organisation(owner, outsider):
    make_models(owner, 2)
    make_models(outsider, 3)
    assert owner.client().get(URL).json()["count"] == 2
    assert outsider.client().get(URL).json()["count"] == 3


def test_deleted_models_vanish_from_the_list(owner):
    model, _ = make_models(owner, 2)
    owner.client().delete(f"{URL}/{model.pk}")
    names = [row["name"] for row in owner.client().get(URL).json()["results"]]
    assert names == ["Model 1"]


def test_missing_key_is_401(db):
    from rest_framework.test import APIClient

    response = APIClient().get(URL)
    assert_error(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"] == "Bearer"


def test_bad_key_is_401(owner):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer cm_not-a-real-key")
    assert_error(client.get(URL), 401, "UNAUTHORIZED")


def test_featureless_organisation_is_403(featureless):
    assert_error(featureless.client().get(URL), 403, "FEATURE_NOT_AVAILABLE")
