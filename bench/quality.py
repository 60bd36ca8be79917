"""Quality benchmark: base vs custom WER on the project's cardiology fixture set, per test voice.

    .venv/bin/python bench/quality.py [--minutes 12] [--keep DIR]

Builds the domain set (tests/domain/cardiology.py), then runs the product's own
path in a scratch database: create a model, upload the recordings (train and
test splits), start training, and run the queue task (which trains in its
child process). Prints one JSON object with the run's training_metrics, the
audio minutes and the wall time; base vs custom WER on the held-out cardiology
recordings per test voice (the neural piper voice and two held-out espeak-ng
voices, none used in training); and base vs custom WER on everyday sentences in
the same voices (what the domain fine-tuning cost elsewhere). Scores follow the
product's metrics (Whisper's English normaliser on both sides).
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _by_voice(references: list[str], voices: list[str], base: list[str], custom: list[str]) -> dict:
    """WER of base and custom per voice and over all voices, with the relative reduction."""
    from training.metrics import error_rates

    out = {}
    for voice in [*dict.fromkeys(voices), "all"]:
        keep = [i for i, v in enumerate(voices) if voice in ("all", v)]
        base_wer, _ = error_rates([references[i] for i in keep], [base[i] for i in keep])
        custom_wer, _ = error_rates([references[i] for i in keep], [custom[i] for i in keep])
        out[voice] = {
            "utterances": len(keep),
            "base_word_error_rate": round(base_wer, 2),
            "custom_word_error_rate": round(custom_wer, 2),
            "relative_reduction": round((base_wer - custom_wer) / base_wer * 100, 1) if base_wer else None,
            "change_wer_points": round(custom_wer - base_wer, 2),
        }
    return out


def domain_by_voice(
    data_dir: Path, recordings: list[dict], base_dir: Path, custom_dir: Path, language: str = "en"
) -> dict:
    """Base and custom WER on the held-out test recordings, cue by cue, per test voice, scored in
    `language`."""
    from bench.common import cue_clips
    from training import engine, metrics

    clips, voices = [], []
    for recording in recordings:
        cut = cue_clips(data_dir, recording["name"])
        clips += cut
        voices += [recording["voice"]] * len(cut)
    wavs = [clip["wav"] for clip in clips]
    base = engine.recognise(base_dir, wavs, language=language)
    custom = engine.recognise(custom_dir, wavs, language=language)
    with metrics.scoring(language):
        return _by_voice([clip["text"] for clip in clips], voices, base, custom)


def general_speech(folder: Path, base_dir: Path, custom_dir: Path) -> dict:
    """Base and custom WER on everyday sentences neither trained on, in voices no training used:
    what the domain fine-tuning forgot (tests/domain/everyday.py)."""
    from tests.domain import everyday
    from training import engine

    clips = everyday.build(folder)["clips"]
    wavs = [c["wav"] for c in clips]
    return _by_voice(
        [c["text"] for c in clips],
        [c["voice"] for c in clips],
        engine.recognise(base_dir, wavs),
        engine.recognise(custom_dir, wavs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=12.0)
    parser.add_argument("--test-recordings", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the scratch folder here")
    args = parser.parse_args()

    from bench.common import demo_database_in_process

    scratch = demo_database_in_process(args.keep, "bench-quality-")

    from accounts.models import Organisation
    from custom_models.services import custom_model_create
    from tests.domain import cardiology

    data_dir = scratch / "cardiology"
    summary = cardiology.build(data_dir, minutes=args.minutes, test_recordings=args.test_recordings)

    model = custom_model_create(
        organisation=Organisation.objects.get(slug="demo"),
        name=f"Cardiology bench {time.time():.0f}",
        language="en",
        base_model="medical",
    )
    from bench.common import ingest_recordings, train_in_process

    ingest_recordings(model, data_dir, summary)
    model, run, wall = train_in_process(model)
    from training.selectors import base_model_dir, trained_model_path

    base_dir = base_model_dir(language=model.language, domain=model.base_model)
    domain, general = None, None
    if model.model_path:
        custom_dir = trained_model_path(model.model_path)
        domain = domain_by_voice(data_dir, summary["test"], base_dir, custom_dir)
        general = general_speech(scratch / "general", base_dir, custom_dir)
    result = {
        "benchmark": "quality",
        "domain": "cardiology dictation (tests/domain/cardiology.py)",
        "train_minutes": summary["train_minutes"],
        "test_minutes": summary["test_minutes"],
        "voices": summary["voices"],
        "status": model.get_training_status_display(),
        "run_error": run.error or None,
        "training_metrics": model.training_metrics,
        "enabled": model.enabled,
        "disabled_reason": model.disabled_reason or None,
        # The run's own evaluation (GET /api/v3/custom_models/{id}/evaluation): key-term recall on
        # the test split, the anchor set (everyday speech, the regression gate) and the flags.
        "evaluation": {
            "key_term_recall": run.evaluation["terms"]["recall"],
            "key_terms_in_test_split": [item["term"] for item in run.evaluation["terms"]["items"]],
            "anchor": run.evaluation.get("anchor"),
            "totals": run.evaluation["totals"],
        }
        if run.evaluation
        else None,
        "base_model": str(base_dir),
        "domain_by_voice": domain,
        "general_speech": general,
        "wall_seconds": round(wall, 1),
        "targets": {
            "general_speech.piper:joe.base_word_error_rate": "<= 12",
            "domain_by_voice.piper:joe.relative_reduction": ">= 75",
            "general_speech.all.change_wer_points": "<= 1",
            "wall_seconds": "<= 600",
            "evaluation.key_term_recall.custom": "> evaluation.key_term_recall.base",
            "evaluation.anchor.change": "<= 2 (TRAINING_MAX_REGRESSION)",
        },
        "log": [line.message for line in model.log_lines.all()],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
