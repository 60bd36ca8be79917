"""A cardiology dictation set the starter base never heard: cue-timed recordings (WAV + VTT).

Sentences come from clinical templates dense with terms absent from the base's
text (drug names, findings, procedures). Training recordings and test recordings
use disjoint sentences and disjoint voices, so the test measures held-out clips of
the domain in voices the custom model never heard:

  * train: espeak-ng variants in VOICES (none in the starter corpus's pool either);
  * test: piper's neural "joe" voice on every other recording (at least half the
    test audio), espeak-ng HELD_OUT_ESPEAK on the rest. Neither appears in any
    training data here (the starter corpus or VOICES).

    python -m tests.domain.cardiology OUT_DIR [--minutes 12] [--test-recordings 3]
"""

import argparse
import json
import math
import random
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.audio import piper_speech

RATE = 16000
GAP_SECONDS = 0.45
VOICES = [
    "en-us+Alicia", "en-us+Andrea", "en-us+Hugo", "en-us+Storm", "en-us+Jacky",
    "en-us+shelby", "en-us+Marco", "en-us+Diogo", "en-us+Gene2", "en-us+klatt4",
]  # fmt: skip
PIPER_VOICE = "piper:joe"
# Variant files in neither VOICES nor the starter's VARIANTS, with distinct timbres (Mario and Nguyen
# are not derived from a training variant the way edward2 or steph3 are).
HELD_OUT_ESPEAK = ["en-us+Mario", "en+Nguyen"]
TRAIN_POOL_MAX = 1800  # distinct training sentences at most; the rest of the ~2,300 test

DRUGS = [
    "apixaban",
    "rivaroxaban",
    "warfarin",
    "metoprolol",
    "bisoprolol",
    "amiodarone",
    "atorvastatin",
    "clopidogrel",
    "ticagrelor",
    "furosemide",
    "spironolactone",
    "digoxin",
    "ramipril",
    "sacubitril",
]
FINDINGS = [
    "atrial fibrillation", "atrial flutter", "ventricular tachycardia", "sinus bradycardia",
    "mitral regurgitation", "aortic stenosis", "tricuspid regurgitation", "pericardial effusion",
    "left ventricular hypertrophy", "dilated cardiomyopathy", "myocardial infarction",
    "pulmonary hypertension", "left bundle branch block", "diastolic dysfunction",
]  # fmt: skip
TESTS = [
    "echocardiogram", "electrocardiogram", "angiogram", "troponin", "cardiac catheterization",
    "holter monitor", "stress echocardiography", "coronary angiography",
]  # fmt: skip
GRADES = ["mild", "moderate", "severe", "trivial", "significant"]
SEGMENTS = ["anterior", "inferior", "lateral", "septal", "apical", "posterior"]
TEMPLATES = [
    "the {test} shows {grade} {finding}",
    "patient presents with {finding} and was started on {drug}",
    "continue {drug} and review the {test} in six weeks",
    "{grade} {finding} with preserved ejection fraction",
    "the {test} confirmed {finding} in the {segment} wall",
    "we will increase {drug} and stop {drug2}",
    "history of {finding} treated with {drug}",
    "ejection fraction is reduced with {segment} hypokinesia",
    "no evidence of {finding} on the {test}",
    "refer for {test} given ongoing {finding}",
    "{drug} was discontinued because of {grade} bradycardia",
    "the {segment} segment shows akinesia after the infarction",
]


def sentences(count: int, rng: random.Random, exclude: set[str] = frozenset()) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        drug, drug2 = rng.sample(DRUGS, 2)
        text = rng.choice(TEMPLATES).format(
            test=rng.choice(TESTS), grade=rng.choice(GRADES), finding=rng.choice(FINDINGS),
            drug=drug, drug2=drug2, segment=rng.choice(SEGMENTS),
        )  # fmt: skip
        if text not in exclude and text not in out:
            out.append(text)
    return out


def speak(text: str, voice: str, speed: int, folder: Path) -> np.ndarray:
    """16 kHz int16 samples of `text` in an espeak-ng voice or PIPER_VOICE, at about `speed` words/min."""
    if voice == PIPER_VOICE:
        # Piper's own pace is near espeak's 160 wpm, so the same spread of speeds maps onto length_scale.
        samples, _ = sf.read(
            str(piper_speech(folder / "clean.wav", text, length_scale=round(160 / speed, 2))), dtype="int16"
        )
        return samples
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    clean = folder / "clean.wav"
    subprocess.run(
        ["sox", "-V1", "-G", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(clean)], check=True
    )
    samples, _ = sf.read(str(clean), dtype="int16")
    return samples


def stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    return (
        f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
    )


def recording(path: Path, texts: list[str], voice: str, rng: random.Random) -> float:
    """One dictation: sentences with pauses, and a VTT with one cue per sentence, written as
    people write a report (a capital and a full stop), so a model trained on it keeps writing so."""
    gap = np.zeros(int(GAP_SECONDS * RATE), dtype=np.int16)
    parts, cues, cursor = [gap], [], GAP_SECONDS
    with tempfile.TemporaryDirectory() as folder:
        for sentence in texts:
            text = sentence[0].upper() + sentence[1:] + "."
            samples = speak(text, voice, rng.randint(140, 185), Path(folder))
            start, cursor = cursor, cursor + len(samples) / RATE
            cues.append(f"{stamp(start)} --> {stamp(cursor)}\n{text}")
            parts += [samples, gap]
            cursor += GAP_SECONDS
    sf.write(str(path.with_suffix(".wav")), np.concatenate(parts), RATE, subtype="PCM_16")
    path.with_suffix(".vtt").write_text("WEBVTT\n\n" + "\n\n".join(cues) + "\n")
    return cursor


def test_voice(n: int) -> str:
    """Test recording n's voice: piper on even recordings, the held-out espeak-ng voices in turn between."""
    return PIPER_VOICE if n % 2 == 0 else HELD_OUT_ESPEAK[n // 2 % len(HELD_OUT_ESPEAK)]


def build(out_dir: Path, *, minutes: float = 12.0, test_recordings: int = 3, seed: int = 7) -> dict:
    """Write train recordings (about `minutes` of speech) and test recordings; return a summary.

    The default three test recordings are about 2.5 minutes, two thirds of it in the piper voice.
    """
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    per_recording = 12  # about a minute of dictation each
    train_count = max(2, math.ceil(minutes * 60 / 56))  # a recording is about 56 s
    # The templates make about 2,300 distinct sentences: past TRAIN_POOL_MAX (about 2.5 hours of
    # dictation) the training recordings reuse the pool in turn, and the test keeps its own.
    wanted = train_count * per_recording
    pool = sentences(min(wanted, TRAIN_POOL_MAX), rng)
    train_text = [pool[n % len(pool)] for n in range(wanted)]
    test_text = sentences(test_recordings * per_recording, rng, exclude=set(train_text))
    summary = {"train": [], "test": [], "seed": seed}
    for split, texts, count in (("train", train_text, train_count), ("test", test_text, test_recordings)):
        for n in range(count):
            name = f"cardio_{split}_{n:02d}"
            voice = VOICES[n % len(VOICES)] if split == "train" else test_voice(n)
            seconds = recording(
                out_dir / name, texts[n * per_recording : (n + 1) * per_recording], voice, rng
            )
            summary[split].append({"name": name, "seconds": round(seconds, 2), "voice": voice})
    summary["voices"] = {
        split: list(dict.fromkeys(r["voice"] for r in summary[split])) for split in ("train", "test")
    }
    summary["train_minutes"] = round(sum(r["seconds"] for r in summary["train"]) / 60, 2)
    summary["test_minutes"] = round(sum(r["seconds"] for r in summary["test"]) / 60, 2)
    summary["terms"] = sorted({w for t in DRUGS + FINDINGS + TESTS for w in t.split()})
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--minutes", type=float, default=12.0)
    parser.add_argument("--test-recordings", type=int, default=3)
    args = parser.parse_args()
    result = build(args.out_dir, minutes=args.minutes, test_recordings=args.test_recordings)
    print(json.dumps({k: result[k] for k in ("train_minutes", "test_minutes")}))
