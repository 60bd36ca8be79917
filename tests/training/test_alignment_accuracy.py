"""Force alignment with the starter model against synthetic speech whose sentence
boundaries are known: every boundary within 0.3 s."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.training.test_starter_model import STARTER

pytestmark = pytest.mark.integration
SENTENCES = [
    "please close the window before you go to bed",
    "the children played in the garden all afternoon",
    "we will meet at the station tomorrow morning",
    "she bought a loaf of bread and some fresh milk",
    "the old man walked slowly along the river",
    "it was a cold and windy night in the city",
]
GAP_SECONDS = 0.6


def spoken(text: str, folder: Path, voice: str) -> np.ndarray:
    """espeak-ng speech with its leading and trailing silence trimmed, so the boundary is the speech."""
    raw, trimmed = folder / "raw.wav", folder / "trimmed.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", "-V1", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(trimmed),
         "silence", "1", "0.02", "1%", "reverse", "silence", "1", "0.02", "1%", "reverse"],
        check=True,
    )  # fmt: skip
    return sf.read(str(trimmed), dtype="int16")[0]


def sentences_wav(tmp_path: Path) -> tuple[Path, list[tuple[float, float]]]:
    gap = np.zeros(int(GAP_SECONDS * 16000), dtype=np.int16)
    parts, truth, cursor = [gap], [], GAP_SECONDS
    for n, sentence in enumerate(SENTENCES):
        samples = spoken(sentence, tmp_path, ["en-us", "en-us+f2", "en-gb-x-rp"][n % 3])
        truth.append((cursor, cursor + len(samples) / 16000))
        cursor += len(samples) / 16000 + GAP_SECONDS
        parts += [samples, gap]
    wav = tmp_path / "sentences.wav"
    sf.write(str(wav), np.concatenate(parts), 16000, subtype="PCM_16")
    return wav, truth


def test_sentence_boundaries_are_within_0_3_seconds(tmp_path):
    from training.engine import align_lines

    wav, truth = sentences_wav(tmp_path)
    result = align_lines(STARTER, wav, SENTENCES)
    errors = []
    for segment, (start, end) in zip(result["segments"], truth, strict=True):
        assert segment["start"] is not None, segment
        errors += [abs(segment["start"] - start), abs(segment["end"] - end)]
    print(f"boundary errors (s): max {max(errors):.3f}, mean {sum(errors) / len(errors):.3f}")
    assert max(errors) <= 0.3, errors
    assert result["warnings"] == [], result["warnings"]


def test_lines_that_were_not_said_are_flagged_per_cue(tmp_path):
    from training.engine import align_lines

    wav, _ = sentences_wav(tmp_path)
    unrelated = [
        "the quarterly revenue exceeded our projections",
        "the train to london leaves from platform nine",
    ]
    result = align_lines(STARTER, wav, SENTENCES[:4] + unrelated)
    flagged = [w for w in result["warnings"] if "matches the audio poorly" in w or "could not be placed" in w]
    assert [w.split()[1] for w in flagged] == ["5", "6"], result["warnings"]
