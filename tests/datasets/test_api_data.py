import time
from pathlib import Path

import pytest
from django.core import signing
from rest_framework.test import APIClient

from custom_models.models import CustomModel
from custom_models.services import custom_model_create
from datasets.models import DatasetFile
from tests.conftest import assert_error

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"


@pytest.fixture
def model(owner) -> CustomModel:
    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def url(model, suffix="") -> str:
    return f"/api/v3/custom_models/{model.pk}/data{suffix}"


def put(persona, model, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = {
        key: SimpleUploadedFile(value.name, value.read_bytes()) if isinstance(value, Path) else value
        for key, value in fields.items()
    }
    return persona.client().put(url(model), files, format="multipart")


def renamed(source: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    target.write_bytes(source.read_bytes())
    return target


def test_put_stores_an_audio_transcript_pair_as_the_spec_shows(owner, model, audio_dir, tmp_path):
    response = put(
        owner,
        model,
        type="train",
        audio_file=renamed(audio_dir / "speech.wav", tmp_path, "cardiology_01.wav"),
        transcript_file=renamed(FIXTURES / "talk3.txt", tmp_path, "cardiology_01.txt"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {f["name"]: f["kind"] for f in body["files"]} == {
        "cardiology_01.wav": "audio",
        "cardiology_01.txt": "transcript",
    }
    assert body["skipped"] == []
    assert all(f["split"] == "train" for f in body["files"])


def test_test_split_and_single_auto_file(owner, model, audio_dir):
    assert (
        put(owner, model, type="test", audio_file=audio_dir / "tone.wav").json()["files"][0]["split"]
        == "test"
    )
    auto = put(owner, model, type="auto", file=FIXTURES / "talk2.srt").json()["files"][0]
    assert auto["kind"] == "transcript" and auto["split"] == "train"


def test_a_repeated_upload_says_it_was_skipped(owner, model, audio_dir):
    put(owner, model, type="train", audio_file=audio_dir / "tone.wav")
    response = put(owner, model, type="train", audio_file=audio_dir / "tone.wav")
    assert response.status_code == 200
    assert response.json() == {"files": [], "skipped": ["tone.wav"]}


def test_transcript_in_the_audio_slot_is_refused(owner, model):
    response = put(owner, model, type="train", audio_file=FIXTURES / "talk1.vtt")
    body = assert_error(response, 400, "unsupported_file_type")
    assert "talk1.vtt" in body["message"]
    assert not DatasetFile.objects.exists()


def test_no_file_is_422(owner, model):
    assert_error(put(owner, model, type="train"), 422, "INVALID_INPUT")


def test_list_shows_the_datasets_table_rows(owner, model, audio_dir):
    put(owner, model, type="train", audio_file=audio_dir / "tone.wav", transcript_file=FIXTURES / "talk1.vtt")
    rows = owner.client().get(url(model)).json()["results"]
    assert {"id", "name", "kind", "split", "duration", "url", "start_time", "end_time"} <= set(rows[0])
    tone = next(r for r in rows if r["name"] == "tone.wav")
    assert tone["duration"] == pytest.approx(3.0, abs=0.05)
    assert tone["start_time"] <= tone["end_time"]
    assert tone["url"].endswith(f"/data/{tone['id']}/download")


def test_delete_removes_the_file_and_its_bytes(owner, model, audio_dir, settings):
    stored = put(owner, model, type="train", audio_file=audio_dir / "tone.wav").json()["files"][0]
    assert owner.client().delete(url(model, f"/{stored['id']}")).status_code == 204
    assert owner.client().get(url(model)).json()["results"] == []
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.wav"))
    # The name is free again.
    assert put(owner, model, type="train", audio_file=audio_dir / "tone.wav").status_code == 201


def test_download_redirects_307_to_a_signed_url_that_serves_the_bytes(owner, model, audio_dir):
    stored = put(owner, model, type="train", audio_file=audio_dir / "tone.wav").json()["files"][0]
    response = owner.client().get(url(model, f"/{stored['id']}/download"))
    assert response.status_code == 307
    signed = response["Location"]
    downloaded = APIClient().get(signed)  # no credentials: the signature is enough
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == (audio_dir / "tone.wav").read_bytes()
    assert 'filename="tone.wav"' in downloaded["Content-Disposition"]


def test_an_expired_signed_url_is_403_with_the_error_body(owner, model, audio_dir, monkeypatch):
    stored = put(owner, model, type="train", audio_file=audio_dir / "tone.wav").json()["files"][0]
    signed = owner.client().get(url(model, f"/{stored['id']}/download"))["Location"]
    later = time.time() + 301
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert_error(APIClient().get(signed), 403, "DOWNLOAD_EXPIRED")


def test_a_tampered_signed_url_is_403(owner, model, audio_dir):
    stored = put(owner, model, type="train", audio_file=audio_dir / "tone.wav").json()["files"][0]
    signed = owner.client().get(url(model, f"/{stored['id']}/download"))["Location"]
    assert_error(APIClient().get(signed[:-3] + "abc"), 403, "DOWNLOAD_INVALID")


def test_outsider_gets_404_on_every_data_endpoint(outsider, owner, model, audio_dir):
    stored = put(owner, model, type="train", audio_file=audio_dir / "tone.wav").json()["files"][0]
    client = outsider.client()
    assert_error(client.get(url(model)), 404, "MODEL_NOT_FOUND")
    assert_error(client.put(url(model), {"type": "auto"}, format="multipart"), 404, "MODEL_NOT_FOUND")
    assert_error(client.delete(url(model, f"/{stored['id']}")), 404, "MODEL_NOT_FOUND")
    assert_error(client.get(url(model, f"/{stored['id']}/download")), 404, "MODEL_NOT_FOUND")


def test_deleting_the_model_hides_its_files(owner, model, audio_dir):
    put(owner, model, type="train", audio_file=audio_dir / "tone.wav")
    owner.client().delete(f"/api/v3/custom_models/{model.pk}")
    assert DatasetFile.objects.alive().count() == 0
    assert DatasetFile.objects.count() == 1


def test_fifty_uploads_per_hour(owner, model, settings):
    client = owner.client()
    for n in range(50):
        response = client.put(url(model), {"type": "auto", "file": _txt(n)}, format="multipart")
        assert response.status_code == 201, response.content
    response = client.put(url(model), {"type": "auto", "file": _txt(99)}, format="multipart")
    assert_error(response, 429, "RATE_LIMITED")
    assert int(response["Retry-After"]) > 0


def _txt(n: int):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"t{n}.txt", b"some words", content_type="text/plain")
