import json
from io import StringIO

import pytest
from django.core.management import call_command
from django_q.models import OrmQ

from custom_models.models import CustomModel, Language, TrainingStatus
from custom_models.services import custom_model_create
from tests.conftest import assert_error
from training.inference import transcription_job_run
from training.models import TranscriptionJob

URL = "/api/v3/stt"
JOB_FIELDS = {
    "id",
    "status",
    "text",
    "words",
    "duration",
    "model",
    "language",
    "language_probability",
    "error",
}


def post(persona, audio_dir, **fields):
    with open(audio_dir / "speech.wav", "rb") as clip:
        return persona.client().post(URL, {"audio_file": clip, **fields})


@pytest.fixture
def trained(owner, tiny_base) -> CustomModel:
    """A custom model in Success whose files are the tiny model's."""
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    CustomModel.objects.filter(pk=model.pk).update(
        training_status=TrainingStatus.SUCCESS, enabled=True, model_path=str(tiny_base)
    )
    model.refresh_from_db()
    return model


def test_base_language_job_is_queued_then_done(
    owner, audio_dir, tiny_base, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(owner, audio_dir, language="en")
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"id", "status"} and body["status"] == "queued"
    assert [task.func() for task in OrmQ.objects.all()] == ["training.tasks.transcribe_job"]

    assert transcription_job_run(job_id=body["id"]) == "done"
    result = owner.client().get(f"{URL}/{body['id']}").json()
    assert set(result) == JOB_FIELDS
    assert result["language"] == "en" and result["language_probability"] is None  # asked for, not detected
    assert result["status"] == "done" and result["model"] == "en" and result["error"] is None
    assert result["duration"] == pytest.approx(2.5, abs=1.0)


def test_custom_model_in_success_is_accepted(owner, audio_dir, trained):
    response = post(owner, audio_dir, model=trained.stt_name, language="en")
    assert response.status_code == 202
    transcription_job_run(job_id=response.json()["id"])
    assert owner.client().get(f"{URL}/{response.json()['id']}").json()["model"] == trained.stt_name


@pytest.mark.parametrize(
    "change, code, status",
    [
        # Never trained to a version: its first run is training, or failed.
        ({"training_status": TrainingStatus.RUNNING, "model_path": ""}, "MODEL_NOT_READY", 409),
        ({"training_status": TrainingStatus.FAILED, "model_path": ""}, "MODEL_NOT_READY", 409),
        ({"enabled": False, "disabled_reason": "No hosting claims available"}, "MODEL_NOT_READY", 409),
    ],
)
def test_custom_model_not_usable_is_refused(owner, audio_dir, trained, change, code, status):
    CustomModel.objects.filter(pk=trained.pk).update(**change)
    body = assert_error(post(owner, audio_dir, model=trained.stt_name), status, code)
    if "disabled_reason" in change:
        assert "No hosting claims available" in body["message"]
    assert not TranscriptionJob.objects.exists()


@pytest.mark.parametrize(
    "status", [TrainingStatus.PROVISIONING, TrainingStatus.RUNNING, TrainingStatus.FAILED]
)
def test_a_model_with_an_active_version_serves_it_while_a_new_one_trains_or_after_it_failed(
    owner, audio_dir, trained, status
):
    CustomModel.objects.filter(pk=trained.pk).update(training_status=status)
    assert post(owner, audio_dir, model=trained.stt_name, language="en").status_code == 202


def test_deleted_custom_model_is_not_found(owner, audio_dir, trained):
    owner.client().delete(f"/api/v3/custom_models/{trained.pk}")
    assert_error(post(owner, audio_dir, model=trained.stt_name), 404, "MODEL_NOT_FOUND")


def test_another_organisations_model_is_not_found(outsider, audio_dir, trained):
    assert_error(post(outsider, audio_dir, model=trained.stt_name), 404, "MODEL_NOT_FOUND")


def test_another_organisations_job_is_not_found(owner, outsider, audio_dir, tiny_base):
    job_id = post(owner, audio_dir, language="en").json()["id"]
    assert_error(outsider.client().get(f"{URL}/{job_id}"), 404, "JOB_NOT_FOUND")


def test_a_model_deleted_after_the_request_fails_the_job_clearly(owner, audio_dir, trained):
    job_id = post(owner, audio_dir, model=trained.stt_name).json()["id"]
    owner.client().delete(f"/api/v3/custom_models/{trained.pk}")
    assert transcription_job_run(job_id=job_id) == "failed"
    assert "not found" in owner.client().get(f"{URL}/{job_id}").json()["error"]


def test_language_errors(owner, audio_dir, tiny_base):
    assert_error(post(owner, audio_dir, language="xx"), 400, "invalid-language")
    Language.objects.create(code="de", name="German", trainable=True)
    assert_error(post(owner, audio_dir, language="de"), 403, "language-not-published")
    assert_error(post(owner, audio_dir), 422, "INVALID_INPUT")


def test_non_audio_is_refused_like_a_dataset_upload(owner, tmp_path, tiny_base):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with open(path, "rb") as handle:
        response = owner.client().post(URL, {"audio_file": handle, "language": "en"})
    assert_error(response, 400, "unsupported_file_type")


def test_transcribe_command_prints_the_same_json(owner, audio_dir, tiny_base):
    out = StringIO()
    call_command("transcribe", str(audio_dir / "speech.wav"), "--language", "en", stdout=out)
    result = json.loads(out.getvalue())
    assert set(result) == JOB_FIELDS
    assert result["language"] == "en" and result["language_probability"] is None  # asked for, not detected
    assert result["status"] == "done" and result["model"] == "en"
