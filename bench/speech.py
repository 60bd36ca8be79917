"""Speech material for the benchmarks: the cardiology set cut into clips, and long recordings."""

import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from datasets.transcripts import parse_vtt
from tests.domain import cardiology


def clips(folder: Path, minutes: float) -> list[dict]:
    """About `minutes` of cue-timed dictation, cut into one clip per cue: [{wav, text, duration}]."""
    summary = cardiology.build(folder / "set", minutes=minutes, test_recordings=0)
    rows = []
    for recording in summary["train"]:
        base = folder / "set" / recording["name"]
        samples, rate = sf.read(str(base.with_suffix(".wav")), dtype="int16")
        for n, cue in enumerate(parse_vtt(base.with_suffix(".vtt").read_text())):
            clip = folder / f"{recording['name']}-{n}.wav"
            sf.write(str(clip), samples[int(cue.start * rate) : int(cue.end * rate)], rate, subtype="PCM_16")
            rows.append({"wav": str(clip), "text": cue.text.upper(), "duration": cue.duration})
    return rows


def long_recording(path: Path, minutes: float) -> float:
    """A recording of `minutes` made by repeating generated dictation; returns its seconds."""
    with tempfile.TemporaryDirectory() as folder:
        summary = cardiology.build(Path(folder), minutes=2, test_recordings=0)
        pieces = [sf.read(str(Path(folder) / f"{r['name']}.wav"), dtype="int16")[0] for r in summary["train"]]
    block = np.concatenate(pieces)
    repeats = int(np.ceil(minutes * 60 * 16000 / len(block)))
    with sf.SoundFile(str(path), "w", 16000, 1, subtype="PCM_16") as out:
        for _ in range(repeats):
            out.write(block)
    return repeats * len(block) / 16000
