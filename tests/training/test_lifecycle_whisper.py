"""A real qcluster fine-tunes the default Whisper base for two epochs; CTranslate2 serves the result."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import soundfile as sf
from django.conf import settings
from django.core.files.storage import default_storage

from custom_models.models import TrainingStatus
from custom_models.services import custom_model_create
from datasets.services import dataset_file_ingest
from tests import audio
from tests.training.test_lifecycle import ROOT, SENTENCES, cluster_env, wait_for
from training import engine

pytestmark = pytest.mark.integration


def upload_cased_pairs(model, tmp_path: Path, prefix: str = "dict", voice: str = "en-us+f3") -> None:
    """Dictation with its transcripts written as people write them: capitals and full stops."""
    for n, sentence in enumerate(SENTENCES):
        written = sentence[0].upper() + sentence[1:] + "."
        wav = audio.speech(tmp_path / f"{prefix}{n}.wav", f"{written} {written}", voice=voice)
        seconds = float(subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True).stdout)
        vtt = tmp_path / f"{prefix}{n}.vtt"
        vtt.write_text(f"WEBVTT\n\n00:00:00.000 --> 00:00:{seconds:06.3f}\n{written} {written}\n")
        for path in (wav, vtt):
            staged = Path(settings.UPLOAD_STAGING_DIR) / path.name
            staged.write_bytes(path.read_bytes())
            dataset_file_ingest(model=model, source=staged, filename=path.name)


def transcribe(persona, model, wav: Path) -> dict:
    with open(wav, "rb") as clip:
        job = persona.client().post("/api/v3/stt", {"model": model.stt_name, "audio_file": clip})
    assert job.status_code == 202, job.content
    url = f"/api/v3/stt/{job.json()['id']}"
    return wait_for(
        lambda: (body := persona.client().get(url).json())["status"] in {"done", "failed"} and body,
        120,
        "the transcription",
    )


def test_whisper_fine_tunes_on_a_real_cluster_and_serves_cased_text(
    transactional_db, owner, whisper_english, tmp_path, settings
):
    settings.DATASET_MIN_MINUTES = 0.5
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    upload_cased_pairs(model, tmp_path)
    phrases = {"phrases": ["apixaban", "echocardiogram"]}
    assert (
        owner.client().put(f"/api/v3/custom_models/{model.pk}/phrases", phrases, format="json").status_code
        == 200
    )
    response = owner.client().post(f"/api/v3/custom_models/{model.pk}/run", {}, format="json")
    assert response.status_code == 202, response.content

    cluster_log = tmp_path / "qcluster.log"
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT,
        # Two workers: one transcribes while the other trains version 2.
        env={**cluster_env(tmp_path), "TRAINING_EPOCHS": "2", "Q_WORKERS": "2"},
        stdout=cluster_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:

        def finished():
            model.refresh_from_db()
            return model.training_status in {TrainingStatus.SUCCESS, TrainingStatus.FAILED}

        try:
            wait_for(finished, 600, "training to finish")
        except AssertionError:
            lines = [line.message for line in model.log_lines.all()]
            raise AssertionError(
                f"training did not finish: {lines}\n{cluster_log.read_text()[-3000:]}"
            ) from None
        log = [line.message for line in model.log_lines.all()]
        assert model.training_status == TrainingStatus.SUCCESS, (model.status_message, log[-10:])

        result = transcribe(owner, model, tmp_path / "dict0.wav")

        # Version 2, on more data, trains while version 1 keeps serving.
        upload_cased_pairs(model, tmp_path, prefix="more", voice="en-us+m3")
        response = owner.client().post(f"/api/v3/custom_models/{model.pk}/run", {}, format="json")
        assert response.status_code == 202, response.content
        wait_for(lambda: model.training_runs.filter(status="running").exists(), 60, "version 2 to start")
        during = transcribe(owner, model, tmp_path / "dict1.wav")
        model.refresh_from_db()
        assert model.training_status in {TrainingStatus.PROVISIONING, TrainingStatus.RUNNING}
        assert during["status"] == "done" and during["text"].strip(), during
        wait_for(finished, 600, "version 2 to finish")
        assert model.training_status == TrainingStatus.SUCCESS, model.status_message
    finally:
        os.killpg(cluster.pid, 9)
        cluster.wait()

    assert result["status"] == "done", result
    assert result["text"][0].isupper() and result["text"].rstrip()[-1] in ".?!", result["text"]
    assert "fibrillation" in result["text"].lower()
    assert result["words"] and all(
        w["start"] <= w["end"] <= result["duration"] + 0.5 for w in result["words"]
    )

    trained = Path(settings.TRAINED_MODELS_DIR) / model.training_runs.get(version=1).model_path
    assert engine.family_of(trained) == "whisper"
    assert (trained / "pytorch" / "model.safetensors").is_file()
    assert (trained / "ctranslate2" / "model.bin").is_file()
    metrics = model.training_runs.get(version=1).metrics  # version 2 may be the active one
    assert "Whisper" in metrics["normaliser"] and metrics["test_utterances"] >= 1
    assert any("epoch 2/2" in line for line in log), log

    # The run's evaluation: everyday speech held up (so the model is enabled), the curve has
    # both epochs, and every test utterance is kept with its clip.
    run = model.training_runs.get(version=1)
    anchor = run.evaluation["anchor"]
    assert anchor["passed"] and anchor["utterances"] == 20 and model.enabled, anchor
    assert anchor["non_speech"]["custom_words"] == 0
    assert [point["epoch"] for point in run.evaluation["curve"]] == [1, 2]
    listed = run.evaluation["phrase_list"]  # the model's phrase list, heard on the test split
    assert listed["phrases"] == 2 and set(listed["recall"]) == {"without", "with"}, listed
    assert listed["utterances"] == metrics["test_utterances"] and set(listed["false_insertions"]) == {
        "without",
        "with",
    }
    assert run.evaluation["totals"]["utterances"] == run.utterances.count() == metrics["test_utterances"]
    assert all(default_storage.exists(utterance.clip) for utterance in run.utterances.all())
    assert any("parity" in line.lower() or "exported" in line.lower() for line in log), log

    # Version 2 was scored against version 1 on both test splits; version 1 comes back at once.
    v2 = model.training_runs.get(version=2)
    versus = v2.evaluation["versus_active"]
    assert versus["active_version"] == 1 and versus["utterances"] > metrics["test_utterances"], versus
    assert [f["sha256"] for f in v2.lineage["data"]["files"]] and v2.lineage["base"]["sha256"]
    activated = owner.client().post(f"/api/v3/custom_models/{model.pk}/versions/1/activate")
    assert activated.status_code in {200, 409}, activated.content  # 409: version 2 was held back
    model.refresh_from_db()
    assert model.active_version == 1

    # Version 1 taken out: plain faster-whisper and plain transformers load it and hear the domain.
    download = owner.client().get(f"/api/v3/custom_models/{model.pk}/versions/1/download")
    assert download.status_code == 307
    archive = owner.client().get(download["Location"])
    (tmp_path / "v1.zip").write_bytes(b"".join(archive.streaming_content))
    with zipfile.ZipFile(tmp_path / "v1.zip") as bundle:
        bundle.extractall(tmp_path / "out")
    folder = tmp_path / "out" / f"{model.stt_name}-v1"
    assert json.loads((folder / "model.json").read_text())["version"]["lineage"]["data"]["files"]
    samples, _ = sf.read(tmp_path / "dict0.wav", dtype="float32")
    assert "fibrillation" in _faster_whisper_text(folder / "ctranslate2", samples).lower()
    assert "fibrillation" in _transformers_text(folder / "pytorch", samples).lower()


def _faster_whisper_text(folder: Path, samples) -> str:
    from faster_whisper import WhisperModel

    segments, _ = WhisperModel(str(folder), device="cpu", compute_type="int8").transcribe(
        samples, beam_size=5
    )
    return " ".join(segment.text for segment in segments)


def _transformers_text(folder: Path, samples) -> str:
    import torch
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    processor = WhisperProcessor.from_pretrained(folder)
    model = WhisperForConditionalGeneration.from_pretrained(folder).eval()
    features = processor(samples, sampling_rate=16000, return_tensors="pt").input_features
    with torch.no_grad():
        ids = model.generate(features, max_new_tokens=120)
    return processor.batch_decode(ids, skip_special_tokens=True)[0]
