"""A real qcluster fine-tunes the default Whisper base for two epochs; CTranslate2 serves the result."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from custom_models.models import TrainingStatus
from custom_models.services import custom_model_create
from datasets.services import dataset_file_ingest
from tests import audio
from tests.training.test_lifecycle import ROOT, SENTENCES, cluster_env, wait_for
from training import engine

pytestmark = pytest.mark.integration


def upload_cased_pairs(model, tmp_path: Path) -> None:
    """Dictation with its transcripts written as people write them: capitals and full stops."""
    for n, sentence in enumerate(SENTENCES):
        written = sentence[0].upper() + sentence[1:] + "."
        wav = audio.speech(tmp_path / f"dict{n}.wav", f"{written} {written}", voice="en-us+f3")
        seconds = float(subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True).stdout)
        vtt = tmp_path / f"dict{n}.vtt"
        vtt.write_text(f"WEBVTT\n\n00:00:00.000 --> 00:00:{seconds:06.3f}\n{written} {written}\n")
        for path in (wav, vtt):
            staged = Path(settings.UPLOAD_STAGING_DIR) / path.name
            staged.write_bytes(path.read_bytes())
            dataset_file_ingest(model=model, source=staged, filename=path.name)


def test_whisper_fine_tunes_on_a_real_cluster_and_serves_cased_text(
    transactional_db, owner, whisper_english, tmp_path, settings
):
    settings.DATASET_MIN_MINUTES = 0.5
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    upload_cased_pairs(model, tmp_path)
    response = owner.client().post(f"/api/v3/custom_models/{model.pk}/run", {}, format="json")
    assert response.status_code == 202, response.content

    cluster_log = tmp_path / "qcluster.log"
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT,
        env={**cluster_env(tmp_path), "TRAINING_EPOCHS": "2"},
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

        with open(tmp_path / "dict0.wav", "rb") as clip:
            job = owner.client().post("/api/v3/stt", {"model": model.stt_name, "audio_file": clip})
        assert job.status_code == 202, job.content
        url = f"/api/v3/stt/{job.json()['id']}"
        result = wait_for(
            lambda: (body := owner.client().get(url).json())["status"] in {"done", "failed"} and body,
            120,
            "the transcription",
        )
    finally:
        os.killpg(cluster.pid, 9)
        cluster.wait()

    assert result["status"] == "done", result
    assert result["text"][0].isupper() and result["text"].rstrip()[-1] in ".?!", result["text"]
    assert "fibrillation" in result["text"].lower()
    assert result["words"] and all(
        w["start"] <= w["end"] <= result["duration"] + 0.5 for w in result["words"]
    )

    trained = Path(settings.TRAINED_MODELS_DIR) / model.model_path
    assert engine.family_of(trained) == "whisper"
    assert (trained / "pytorch" / "model.safetensors").is_file()
    assert (trained / "ctranslate2" / "model.bin").is_file()
    metrics = model.training_metrics
    assert "Whisper" in metrics["normaliser"] and metrics["test_utterances"] >= 1
    assert any("epoch 2/2" in line for line in log), log

    # The run's evaluation: everyday speech held up (so the model is enabled), the curve has
    # both epochs, and every test utterance is kept with its clip.
    run = model.training_runs.get()
    anchor = run.evaluation["anchor"]
    assert anchor["passed"] and anchor["utterances"] == 20 and model.enabled, anchor
    assert anchor["non_speech"]["custom_words"] == 0
    assert [point["epoch"] for point in run.evaluation["curve"]] == [1, 2]
    assert run.evaluation["totals"]["utterances"] == run.utterances.count() == metrics["test_utterances"]
    assert all(default_storage.exists(utterance.clip) for utterance in run.utterances.all())
    assert any("parity" in line.lower() or "exported" in line.lower() for line in log), log
