"""Phrase lists and display rules through the API: validated whole, refused with the error body
and nothing changed; a model's and a base language's; another organisation's model is 404."""

import pytest

from custom_models.services import custom_model_create, language_publish
from tests.conftest import assert_error


@pytest.fixture
def model(owner):
    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def put(persona, url, body):
    return persona.client().put(url, body, format="json")


def test_a_models_phrases_are_stored_cleaned_and_read_back(owner, model):
    url = f"/api/v3/custom_models/{model.pk}/phrases"
    response = put(owner, url, {"phrases": ["  apixaban ", "Apixaban", "mitral   regurgitation"]})
    assert response.status_code == 200, response.content
    assert response.json() == {"phrases": ["apixaban", "mitral regurgitation"]}
    assert owner.client().get(url).json() == {"phrases": ["apixaban", "mitral regurgitation"]}


@pytest.mark.parametrize(
    "phrases, message",
    [
        (["ok"] * 10_001, "At most 1000 phrases"),
        (["fine", ""], "phrases[1]: A phrase cannot be empty."),
        (["x" * 101], "phrases[0]: At most 100 characters"),
        ("apixaban", "phrases must be a list of strings."),
    ],
)
def test_a_bad_phrase_list_is_refused_whole_and_changes_nothing(owner, model, phrases, message):
    url = f"/api/v3/custom_models/{model.pk}/phrases"
    put(owner, url, {"phrases": ["apixaban"]})
    body = assert_error(put(owner, url, {"phrases": phrases}), 422, "INVALID_INPUT")
    assert message in body["message"]
    assert owner.client().get(url).json() == {"phrases": ["apixaban"]}


def test_display_rules_are_stored_and_a_rule_to_nothing_is_refused(owner, model):
    url = f"/api/v3/custom_models/{model.pk}/display_rules"
    rule = {"written": "covid nineteen", "display": "COVID-19"}
    assert put(owner, url, {"display_rules": [rule]}).json() == {"display_rules": [rule]}
    body = assert_error(
        put(owner, url, {"display_rules": [rule, {"written": "um", "display": " "}]}), 422, "INVALID_INPUT"
    )
    assert "display_rules[1]" in body["message"] and "never deletes words" in body["message"]
    duplicate = assert_error(
        put(owner, url, {"display_rules": [rule, {**rule, "display": "C19"}]}), 422, "INVALID_INPUT"
    )
    assert "has a rule already" in duplicate["message"]
    assert owner.client().get(url).json() == {"display_rules": [rule]}


def test_a_base_language_keeps_the_organisations_own_list(owner, outsider, english):
    url = "/api/v3/languages/en/phrases"
    assert put(owner, url, {"phrases": ["apixaban"]}).json() == {"phrases": ["apixaban"]}
    language_publish(language=english, organisation=outsider.organisation)
    assert outsider.client().get(url).json() == {"phrases": []}  # each organisation its own
    assert_error(owner.client().get("/api/v3/languages/xx/phrases"), 400, "invalid-language")


def test_another_organisations_model_vocabulary_is_not_found(outsider, model):
    for part in ("phrases", "display_rules"):
        assert outsider.client().get(f"/api/v3/custom_models/{model.pk}/{part}").status_code == 404
        assert put(outsider, f"/api/v3/custom_models/{model.pk}/{part}", {part: []}).status_code == 404
