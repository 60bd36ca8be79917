"""GET /api/v3/custom_models/{id}/evaluation: the run's report and its utterances, page by page."""

import pytest
from django.core.files.storage import default_storage
from jsonschema import Draft7Validator
from rest_framework.test import APIClient

from custom_models.models import CustomModel, TrainingStatus
from custom_models.services import custom_model_create
from tests.conftest import assert_error
from tests.training.evaluations import EVALUATION, UTTERANCES, evaluated_model, evaluated_run
from training.models import TrainingRun


@pytest.fixture
def model(owner) -> CustomModel:
    return evaluated_model(owner)


def url(model, query: str = "") -> str:
    return f"/api/v3/custom_models/{model.pk}/evaluation{query}"


def get(persona, model, query: str = ""):
    response = persona.client().get(url(model, query))
    assert response.status_code == 200, response.content
    return response.json()


def positions(body: dict) -> list[int]:
    return [row["position"] for row in body["utterances"]["results"]]


def test_body_has_the_runs_totals_terms_anchor_and_curve(owner, model):
    body = get(owner, model)
    assert body["run"] == model.training_runs.get().pk
    assert body["normaliser"] == EVALUATION["normaliser"]
    assert body["totals"] == EVALUATION["totals"]
    assert body["terms"] == EVALUATION["terms"]
    assert body["anchor"] == EVALUATION["anchor"]
    assert body["curve"] == EVALUATION["curve"]


def test_utterances_come_in_order_with_texts_scores_alignments_and_flags(owner, model):
    page = get(owner, model)["utterances"]
    assert page["count"] == len(UTTERANCES)
    assert page["next"] is None and page["previous"] is None
    assert positions({"utterances": page}) == [0, 1, 2, 3, 4, 5]
    first, looped = page["results"][0], page["results"][4]
    assert first["reference"] == "The patient has atrial fibrillation."
    assert first["base_text"] == "The patient has a trial fibrillation."
    assert (first["base_wer"], first["custom_wer"], first["outcome"]) == (40.0, 0.0, "improved")
    assert {"op": "substitute", "ref": "atrial", "hyp": "a"} in first["base_ops"]
    assert {"op": "insert", "ref": None, "hyp": "trial"} in first["base_ops"]
    assert first["flags"] == [] and first["flagged"] is False
    assert looped["flagged"] is True
    assert [flag["kind"] for flag in looped["flags"]] == ["loop", "insertion_burst"]


def test_utterances_are_paginated(owner, model):
    first = get(owner, model, "?page_size=2")
    assert first["utterances"]["count"] == 6
    assert positions(first) == [0, 1]
    assert "page=2" in first["utterances"]["next"]
    last = get(owner, model, "?page_size=4&page=2")
    assert positions(last) == [4, 5]
    assert last["utterances"]["next"] is None
    assert last["utterances"]["previous"].endswith("/evaluation?page_size=4")  # page 1
    assert last["totals"] == EVALUATION["totals"]  # every page carries the report


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("improved", [0, 1, 5]),
        ("worse", [2, 4]),
        ("unchanged", [3]),
        ("flagged", [4]),
        ("", [0, 1, 2, 3, 4, 5]),
    ],
)
def test_utterances_filter_by_outcome_or_flag(owner, model, outcome, expected):
    body = get(owner, model, f"?outcome={outcome}")
    assert positions(body) == expected
    assert body["utterances"]["count"] == len(expected)


def test_the_filter_is_kept_in_the_next_pages_link(owner, model):
    body = get(owner, model, "?outcome=worse&page_size=1")
    assert "outcome=worse" in body["utterances"]["next"]
    assert positions(owner.client().get(body["utterances"]["next"]).json()) == [4]


def test_an_unknown_outcome_is_422(owner, model):
    body = assert_error(owner.client().get(url(model, "?outcome=better")), 422, "INVALID_INPUT")
    assert "outcome" in body["details"]


def test_a_page_past_the_last_is_404(owner, model):
    assert_error(owner.client().get(url(model, "?page=9")), 404, "NOT_FOUND")


def test_each_signed_audio_url_downloads_its_clip_without_credentials(owner, model):
    results = get(owner, model)["utterances"]["results"]
    for row, utterance in zip(results, model.training_runs.get().utterances.all(), strict=True):
        response = APIClient().get(row["audio_url"])  # the signature is the only credential
        assert response.status_code == 200
        assert response["Content-Type"] == "audio/flac"
        assert "inline" in response["Content-Disposition"]
        with default_storage.open(utterance.clip, "rb") as clip:
            assert b"".join(response.streaming_content) == clip.read()


def test_a_clip_link_expires(owner, model, settings, monkeypatch):
    audio_url = get(owner, model)["utterances"]["results"][0]["audio_url"]
    settings.SIGNED_URL_SECONDS = -1
    assert_error(APIClient().get(audio_url), 403, "DOWNLOAD_EXPIRED")


def test_a_run_without_terms_anchor_or_curve_says_null(owner):
    older = {key: value for key, value in EVALUATION.items() if key not in {"terms", "anchor", "curve"}}
    model = custom_model_create(organisation=owner.organisation, name="Older", language="en")
    evaluated_run(model, evaluation=older)
    body = get(owner, model)
    assert (body["terms"], body["anchor"], body["curve"]) == (None, None, None)
    assert body["totals"] == EVALUATION["totals"]


def test_the_latest_succeeded_run_is_the_one_reported(owner, model):
    TrainingRun.objects.create(custom_model=model, status=TrainingRun.Status.FAILED)  # newer, failed
    assert get(owner, model)["run"] == model.training_runs.get(status="succeeded").pk


def test_a_member_reads_the_evaluation(member, model):
    assert get(member, model)["totals"]["utterances"] == 6


def test_outsider_gets_404(outsider, model):
    assert_error(outsider.client().get(url(model)), 404, "MODEL_NOT_FOUND")


def test_plan_without_the_feature_is_403(featureless, model):
    assert_error(featureless.client().get(url(model)), 403, "FEATURE_NOT_AVAILABLE")


def test_a_model_never_trained_is_409(owner):
    model = custom_model_create(organisation=owner.organisation, name="Fresh", language="en")
    assert_error(owner.client().get(url(model)), 409, "MODEL_NOT_READY")


def test_a_model_whose_run_has_no_evaluation_is_409(owner):
    model = custom_model_create(organisation=owner.organisation, name="Legacy", language="en")
    CustomModel.objects.filter(pk=model.pk).update(training_status=TrainingStatus.SUCCESS)
    TrainingRun.objects.create(custom_model=model, status=TrainingRun.Status.SUCCEEDED, metrics={"wer": 9})
    assert_error(owner.client().get(url(model)), 409, "MODEL_NOT_READY")


def json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema, the way schemathesis reads it (tests/config)."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    return {"anyOf": [node, {"type": "null"}]} if node.pop("nullable", False) else node


def test_the_body_is_what_the_schema_declares(owner, model, client):
    schema = client.get("/api/v3/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v3/custom_models/{id}/evaluation"]["get"]
    assert {"200", "401", "403", "404", "409", "422", "429"} <= set(operation["responses"])
    declared = operation["responses"]["200"]["content"]["application/json"]["schema"]
    validator = Draft7Validator(json_schema({**declared, "components": schema["components"]}))
    older = {key: value for key, value in EVALUATION.items() if key != "anchor"}
    other = custom_model_create(organisation=owner.organisation, name="Older", language="en")
    evaluated_run(other, evaluation=older)
    for body in (get(owner, model), get(owner, model, "?page_size=1&page=2"), get(owner, other)):
        validator.validate(body)
