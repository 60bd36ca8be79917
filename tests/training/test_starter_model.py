"""The shipped starter model: it loads through the same code as any base and hears English."""

import subprocess
from pathlib import Path

import jiwer
import pytest

STARTER = Path(__file__).resolve().parents[2] / "models" / "en-us-general"
needs_starter = pytest.mark.skipif(
    not (STARTER / "hyperparams.yaml").exists(),
    reason="the starter model is not built (manage.py build_starter_model)",
)
pytestmark = [pytest.mark.integration, needs_starter]


def test_the_starter_model_transcribes_an_unseen_everyday_sentence(tmp_path):
    from training import engine

    sentence = "the children played in the garden all afternoon"
    wav = tmp_path / "clip.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), sentence], check=True)
    result = engine.transcribe(STARTER, wav)
    assert jiwer.wer(sentence, result["text"]) <= 0.34, result["text"]
    starts = [w["start"] for w in result["words"]]
    assert starts == sorted(starts) and result["words"][-1]["end"] <= result["duration"] + 0.05
