"""The status lifecycle through a real qcluster and a real (short) fine-tuning run."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from custom_models.models import TrainingStatus
from custom_models.services import custom_model_create
from datasets.services import dataset_file_ingest
from tests import audio
from training.models import TrainingRun

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SENTENCES = [
    "the patient has atrial fibrillation and mild mitral regurgitation",
    "the echocardiogram shows normal left ventricular function",
    "we started anticoagulation with apixaban twice daily",
    "blood pressure was controlled with a beta blocker",
    "there is no evidence of pericardial effusion today",
    "follow up in cardiology clinic in three months",
]


def cluster_env(tmp_path: Path) -> dict:
    """The qcluster and its trainer see this test's database, files and models."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "UPLOAD_STAGING_DIR": str(settings.UPLOAD_STAGING_DIR),
        "TRAINED_MODELS_DIR": str(tmp_path / "trained"),
        "TRAINING_WORK_DIR": str(tmp_path / "work"),
        "DATASET_MIN_MINUTES": "0.5",
        "TRAINING_EPOCHS": "1",
        "Q_WORKERS": "1",
    }


def upload_pairs(model, tmp_path: Path, text=None) -> None:
    """Six spoken pairs; `text(n)` replaces the transcript of pair n (the words said by default)."""
    for n, sentence in enumerate(SENTENCES):
        wav = audio.speech(tmp_path / f"dict{n}.wav", f"{sentence}. {sentence}.", voice="en-us+f3")
        seconds = float(subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True).stdout)
        vtt = tmp_path / f"dict{n}.vtt"
        cue = text(n) if text else f"{sentence} {sentence}"
        vtt.write_text(f"WEBVTT\n\n00:00:00.000 --> 00:00:{seconds:06.3f}\n{cue}\n")
        for path in (wav, vtt):
            staged = Path(settings.UPLOAD_STAGING_DIR) / path.name
            staged.write_bytes(path.read_bytes())
            dataset_file_ingest(model=model, source=staged, filename=path.name)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_train_moves_1_2_3_4_on_a_real_cluster_and_the_model_transcribes(
    transactional_db, owner, tmp_path, settings
):
    # The starter base (espeak-trained): a model must beat chance to reach Success, and the tiny
    # random model never does.
    settings.DATASET_MIN_MINUTES = 0.5
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    upload_pairs(model, tmp_path)
    assert model.training_status == TrainingStatus.NOT_RUNNING

    response = owner.client().post(f"/api/v3/custom_models/{model.pk}/run", {}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["training_status"] == TrainingStatus.PROVISIONING

    cluster_log = tmp_path / "qcluster.log"
    # The starter hears the anchor set's piper voice at ~87 % WER: after one epoch its change is
    # noise, not forgetting (the gate has tests of its own: test_regression_gate.py).
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT,
        env={**cluster_env(tmp_path), "TRAINING_MAX_REGRESSION": "100"},
        stdout=cluster_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        seen = set()

        def finished():
            model.refresh_from_db()
            seen.add(model.training_status)
            return model.training_status in {TrainingStatus.SUCCESS, TrainingStatus.FAILED}

        try:
            wait_for(finished, 400, "training to finish")
        except AssertionError:
            lines = [line.message for line in model.log_lines.all()]
            raise AssertionError(
                f"training did not finish: {lines}\n{cluster_log.read_text()[-3000:]}"
            ) from None

        if model.training_status == TrainingStatus.SUCCESS:  # then the model serves POST /api/v3/stt
            with open(tmp_path / "dict0.wav", "rb") as clip:
                job = owner.client().post("/api/v3/stt", {"model": model.stt_name, "audio_file": clip})
            assert job.status_code == 202, job.content
            url = f"/api/v3/stt/{job.json()['id']}"
            result = wait_for(
                lambda: (body := owner.client().get(url).json())["status"] in {"done", "failed"} and body,
                60,
                "the transcription",
            )
            assert result["status"] == "done", result
            assert result["model"] == model.stt_name and result["duration"] > 1
    finally:
        os.killpg(cluster.pid, 9)
        cluster.wait()

    log = owner.client().get(f"/api/v3/custom_models/{model.pk}/log").json()["lines"]
    assert model.training_status == TrainingStatus.SUCCESS, (
        model.status_message,
        [line["message"] for line in log][-8:],
    )
    assert TrainingStatus.RUNNING in seen
    assert model.training_progress == 100 and model.enabled
    # What the run cost, stage by stage, and the trainer's peak memory (issue: hours, not minutes).
    costs = model.training_metrics
    assert {"prepare", "evaluate-base", "train", "evaluate"} <= set(costs["stage_seconds"]), costs
    # The stages cover the whole run (wall_seconds is taken before the final evaluation).
    assert sum(costs["stage_seconds"].values()) >= costs["wall_seconds"] - 1 and costs["peak_rss_mb"] > 100
    assert any(line["message"].startswith("time by stage: prepare") for line in log)
    metrics = model.training_metrics
    assert {"word_error_rate", "character_error_rate", "accuracy_improvement", "training_hours"} <= set(
        metrics
    )
    assert metrics["test_utterances"] >= 1 and metrics["normaliser"]
    stages = {line["stage"] for line in log}
    assert {"prepare", "evaluate-base", "train", "language-model", "evaluate", "done"} <= stages
    assert any("epoch 1/" in line["message"] and "valid WER" in line["message"] for line in log)
    # The starter was trained on espeak speech: some of it is re-spoken and mixed in.
    assert any("of the base's general speech" in line["message"] for line in log)
    run = TrainingRun.objects.get()
    assert run.status == "succeeded" and run.pid
    trained = Path(settings.TRAINED_MODELS_DIR) / model.model_path
    assert (trained / "hyperparams.yaml").exists() and (trained / "encoder.ckpt").exists()
    from training.engine.ctc.lm import read_lexicon_words

    assert "APIXABAN" in read_lexicon_words(trained / "lexicon.txt.gz")  # the decoder can now spell it
