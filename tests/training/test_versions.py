"""A model's versions: each successful run is one; the active one serves while another trains,
a worse one waits for an admin, any can be made active again, an inactive one can be deleted."""

import json
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from custom_models.models import CustomModel, QuotaClaim, TrainingStatus
from custom_models.services import custom_model_create
from tests.conftest import assert_error
from tests.datasets.factories import add_pairs
from training.models import TrainingRun
from training.selectors import stt_model_resolve, usable_custom_models
from training.services import Failure, training_run_fail, training_run_succeed

WORSE = "it scored 31.0% WER against version 1's 12.0% on both versions' test splits (40 utterances)."


@pytest.fixture(autouse=True)
def _trained_dir(settings, tmp_path):
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"


@pytest.fixture
def model(owner) -> CustomModel:
    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def train(model: CustomModel, *, wer: float, held_back: str = "", base_sha256: str = "1a5a") -> TrainingRun:
    """A run that ends in Success with a model directory of its own, as the pipeline ends one."""
    run = TrainingRun.objects.create(custom_model=model, status=TrainingRun.Status.RUNNING)
    CustomModel.objects.filter(pk=model.pk).update(training_status=TrainingStatus.RUNNING)
    out = Path(settings.TRAINED_MODELS_DIR) / str(model.pk) / f"run-{run.pk}"
    (out / "ctranslate2").mkdir(parents=True)
    (out / "ctranslate2" / "model.bin").write_bytes(b"weights of run %d" % run.pk)
    (out / "model.json").write_text(json.dumps({"family": "whisper", "run": run.pk}))
    lineage = {
        "base": {"language": "en", "domain": "general", "sha256": base_sha256},
        "data": {
            "files": [{"id": 1, "name": "a.wav", "sha256": "ab"}],
            "minutes": {"train": 9.5, "test": 2.4},
        },
        "settings": {"epochs": 5, "learning_rate": 1e-4, "seed": 0, "code_version": "abc"},
    }
    training_run_succeed(
        run=run,
        metrics={"word_error_rate": wer},
        model_path=str(out.relative_to(settings.TRAINED_MODELS_DIR)),
        held_back=held_back,
        lineage=lineage,
    )
    model.refresh_from_db()
    run.refresh_from_db()
    return run


def serving_path(model: CustomModel) -> Path:
    return stt_model_resolve(organisation=model.organisation, language=None, model=model.stt_name).path


def versions(persona, model) -> list[dict]:
    response = persona.client().get(f"/api/v3/custom_models/{model.pk}/versions")
    assert response.status_code == 200, response.content
    return response.json()


def test_each_success_is_a_version_and_a_better_one_becomes_active_on_one_hosting_claim(owner, model):
    v1 = train(model, wer=12.0)
    assert (v1.version, model.active_version, model.enabled) == (1, 1, True)
    v2 = train(model, wer=8.0)
    assert (v2.version, model.active_version, model.enabled) == (2, 2, True)
    assert serving_path(model) == Path(settings.TRAINED_MODELS_DIR) / v2.model_path
    assert model.training_metrics == {"word_error_rate": 8.0}
    assert QuotaClaim.objects.filter(kind=QuotaClaim.Kind.HOSTING).count() == 1
    listed = versions(owner, model)
    assert [(v["version"], v["active"]) for v in listed] == [(2, True), (1, False)]
    assert listed[1]["data"]["files"][0]["sha256"] == "ab" and listed[1]["settings"]["seed"] == 0
    assert listed[1]["base"]["sha256"] == "1a5a"


def test_a_new_version_trains_while_the_active_one_keeps_serving(
    owner, model, django_capture_on_commit_callbacks
):
    v1 = train(model, wer=12.0)
    add_pairs(model, 3, 240)
    with django_capture_on_commit_callbacks():
        response = owner.client().post(f"/api/v3/custom_models/{model.pk}/run", {}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["training_status"] == TrainingStatus.PROVISIONING
    assert response.json()["active_version"] == 1
    model.refresh_from_db()
    assert serving_path(model) == Path(settings.TRAINED_MODELS_DIR) / v1.model_path
    assert model in usable_custom_models(organisation=model.organisation)
    # Its run fails: the model says so, and version 1 still serves.
    run = model.training_runs.get(status=TrainingRun.Status.QUEUED)
    training_run_fail(run=run, cause=Failure.NOT_PICKED_UP)
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.FAILED and model.enabled
    assert serving_path(model) == Path(settings.TRAINED_MODELS_DIR) / v1.model_path


def test_a_worse_version_waits_with_its_reason_and_an_admin_can_activate_it(owner, member, model):
    v1 = train(model, wer=12.0)
    v2 = train(model, wer=31.0, held_back=WORSE)
    assert (model.training_status, model.active_version, model.enabled) == (TrainingStatus.SUCCESS, 1, True)
    assert model.status_message == f"Version 2 is not active: {WORSE}"
    assert serving_path(model) == Path(settings.TRAINED_MODELS_DIR) / v1.model_path
    assert versions(owner, model)[0]["held_back"] == WORSE
    assert "version 1 keeps serving" in model.log_lines.last().message

    url = f"/api/v3/custom_models/{model.pk}/versions/2/activate"
    assert_error(member.client().post(url), 403, "PERMISSION_DENIED")
    response = owner.client().post(url)
    assert response.status_code == 200, response.content
    assert response.json()["active_version"] == 2 and response.json()["status_message"] == ""
    model.refresh_from_db()
    assert serving_path(model) == Path(settings.TRAINED_MODELS_DIR) / v2.model_path
    assert model.log_lines.last().message.startswith(f"Version 2 made active by {owner.user.username}")
    assert_error(owner.client().post(url), 409, "VERSION_ACTIVE")


def test_roll_back_to_the_previous_version_serves_it_at_once(owner, model):
    v1 = train(model, wer=12.0)
    train(model, wer=8.0)
    response = owner.client().post(f"/api/v3/custom_models/{model.pk}/versions/1/activate")
    assert response.status_code == 200, response.content
    model.refresh_from_db()
    assert (model.active_version, model.training_metrics) == (1, {"word_error_rate": 12.0})
    assert serving_path(model) == Path(settings.TRAINED_MODELS_DIR) / v1.model_path
    assert "(version 2 was)" in model.log_lines.last().message


def test_only_an_inactive_version_can_be_deleted(owner, model, django_capture_on_commit_callbacks):
    v1 = train(model, wer=12.0)
    train(model, wer=8.0)
    base = f"/api/v3/custom_models/{model.pk}/versions"
    assert_error(owner.client().delete(f"{base}/2"), 409, "VERSION_ACTIVE")
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.client().delete(f"{base}/1").status_code == 204
    assert not (Path(settings.TRAINED_MODELS_DIR) / v1.model_path).exists()
    assert [v["version"] for v in versions(owner, model)] == [2]
    assert_error(owner.client().get(f"{base}/1"), 404, "VERSION_NOT_FOUND")
    assert_error(owner.client().post(f"{base}/1/activate"), 404, "VERSION_NOT_FOUND")


def test_a_member_cannot_delete_a_version(member, model):
    train(model, wer=12.0)
    train(model, wer=8.0)
    assert_error(
        member.client().delete(f"/api/v3/custom_models/{model.pk}/versions/1"), 403, "PERMISSION_DENIED"
    )


def test_another_organisations_versions_are_not_found(outsider, model):
    train(model, wer=12.0)
    base = f"/api/v3/custom_models/{model.pk}/versions"
    for response in [
        outsider.client().get(base),
        outsider.client().get(f"{base}/1"),
        outsider.client().post(f"{base}/1/activate"),
        outsider.client().get(f"{base}/1/download"),
        outsider.client().delete(f"{base}/1"),
    ]:
        assert response.status_code == 404, response.content


def test_a_version_downloads_as_one_zip_with_its_lineage(owner, model):
    v1 = train(model, wer=12.0)
    response = owner.client().get(f"/api/v3/custom_models/{model.pk}/versions/1/download")
    assert response.status_code == 307
    archive = owner.client().get(response["Location"])
    assert archive.status_code == 200
    assert f'filename="{model.stt_name}-v1.zip"' in archive["Content-Disposition"]
    path = Path(settings.TRAINED_MODELS_DIR) / "download.zip"
    path.write_bytes(b"".join(archive.streaming_content))
    with zipfile.ZipFile(path) as bundle:
        top = f"{model.stt_name}-v1"
        assert bundle.read(f"{top}/ctranslate2/model.bin") == b"weights of run %d" % v1.pk
        meta = json.loads(bundle.read(f"{top}/model.json"))
    assert meta["family"] == "whisper"
    assert meta["version"]["version"] == 1 and meta["version"]["lineage"]["base"]["sha256"] == "1a5a"
    assert meta["version"]["metrics"] == {"word_error_rate": 12.0}


def test_train_new_versions_rebases_the_models_of_a_language_trained_on_another_base(owner, whisper_english):
    from io import StringIO

    from django.core.management import call_command

    from training import engine
    from training.selectors import base_model_dir

    current = engine.read_meta(base_model_dir(language=whisper_english)).get("source_sha256")
    old = custom_model_create(organisation=owner.organisation, name="On the old base", language="en")
    new = custom_model_create(organisation=owner.organisation, name="On this base", language="en")
    for model, sha in [(old, "0ld"), (new, current)]:
        train(model, wer=12.0, base_sha256=sha)
        add_pairs(model, 3, 240)
    out = StringIO()
    call_command("train_new_versions", "en", stdout=out)
    assert "1 started, 0 could not start, 1 already on this base" in out.getvalue()
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.training_status, old.active_version) == (TrainingStatus.PROVISIONING, 1)
    assert new.training_status == TrainingStatus.SUCCESS
    # --all starts the rest; one training already is listed with the reason.
    out = StringIO()
    call_command("train_new_versions", "en", "--all", stdout=out)
    assert "1 started, 1 could not start" in out.getvalue()
    assert f"{old.stt_name} (On the old base): not started: Model is not ready to run" in out.getvalue()
