"""What hours of audio cost: the real pipeline on growing sets, stage by stage, through the API.

    .venv/bin/python bench/scale.py [--hours 0.25,1,5] [--keep DIR]

For each size, the English cardiology generator (tests/domain/cardiology.py: training recordings
in ten espeak-ng voices, test recordings in piper "joe" and espeak en-us+Mario, which never train)
writes about that many hours of training audio. Then, as a program calling the service would, in a
scratch database seeded with the demo organisations and served by gunicorn with a django-q2
cluster (`make run`'s two processes): `POST /api/v3/custom_models` (Whisper tiny.en), one
`PUT /data` per recording and its VTT (type train or test), `POST /run`, and `GET` the model
every second until Success or Failed. The upload limits are raised for the benchmark (it
measures the pipeline, not the rate limits). Reported per size: wall time from `POST /run` to the
poll that saw Success, the run's own time by stage (metrics `stage_seconds`), audio-hours
trained per hour of wall time, the trainer's peak resident memory (`peak_rss_mb`), test WER base
-> custom, and the ETA the log gave after the first epoch against when the last epoch ended; then
the ratios between sizes (memory and time against the smallest). Prints one JSON object on its
last line with the machine named.
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The service's rate limits (50 uploads an hour) are the spec's; a 5-hour set is ~300 recordings.
RAISED_LIMITS = {
    "THROTTLE_DATA_UPLOAD": "100000/hour",
    "THROTTLE_MODEL_CREATE": "1000/hour",
    "THROTTLE_TRAINING_START": "1000/hour",
    "THROTTLE_STATUS_CHECK": "100000/min",
}
POLL_SECONDS = 1.0
SUCCESS, FAILED = 4, 5  # custom_models.models.TrainingStatus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", default="0.25", help="comma-separated sizes in hours of training audio")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    sizes = [float(h) for h in args.hours.split(",")]

    from bench.common import Server, Worker, machine, prepare, scratch_env

    scratch = Path(args.keep or tempfile.mkdtemp(prefix="bench-scale-"))
    scratch.mkdir(parents=True, exist_ok=True)
    env = scratch_env(scratch / "var", **RAISED_LIMITS)
    key = prepare(env)["admin_api_key"]
    os.environ.update(env)  # this process reads the runs' metrics and logs from the same database
    import django

    django.setup()
    with Server(env) as server, Worker(env):
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {key}"
        results = {f"{hours:g}h": run_size(api, server.url, scratch, hours) for hours in sizes}
    smallest = results[f"{sizes[0]:g}h"]
    for result in results.values():
        result["peak_rss_vs_smallest"] = _ratio(result.get("peak_rss_mb"), smallest.get("peak_rss_mb"))
        result["wall_vs_smallest"] = _ratio(result["wall_seconds"], smallest["wall_seconds"])
    print(json.dumps({"bench": "scale", "machine": machine(), "sizes": results}))


def run_size(api: requests.Session, url: str, scratch: Path, hours: float) -> dict:
    from custom_models.models import CustomModel
    from tests.domain import cardiology

    folder = scratch / f"cardiology-{hours:g}h"
    summary_file = folder / "summary.json"
    mark = time.perf_counter()
    summary = (
        json.loads(summary_file.read_text())
        if summary_file.exists()
        else cardiology.build(folder, minutes=hours * 60, test_recordings=3)
    )
    synthesis = time.perf_counter() - mark
    created = api.post(
        f"{url}/api/v3/custom_models", json={"name": f"Scale {hours:g}h {time.time():.0f}", "language": "en"}
    )
    created.raise_for_status()
    model_id = created.json()["id"]
    mark = time.perf_counter()
    for split in ("train", "test"):
        for recording in summary[split]:
            path = folder / recording["name"]
            with open(path.with_suffix(".wav"), "rb") as audio, open(path.with_suffix(".vtt"), "rb") as cues:
                response = api.put(
                    f"{url}/api/v3/custom_models/{model_id}/data",
                    data={"type": split},
                    files={"audio_file": audio, "transcript_file": cues},
                )
            response.raise_for_status()
    ingest = time.perf_counter() - mark
    mark = time.perf_counter()
    api.post(f"{url}/api/v3/custom_models/{model_id}/run").raise_for_status()
    while True:
        time.sleep(POLL_SECONDS)
        status = api.get(f"{url}/api/v3/custom_models/{model_id}").json()["training_status"]
        if status in (SUCCESS, FAILED):
            break
    wall = time.perf_counter() - mark
    model = CustomModel.objects.get(pk=model_id)
    run = model.training_runs.order_by("-pk").first()
    metrics = run.metrics or {}
    trained_hours = summary["train_minutes"] / 60
    return {
        "status": run.status,
        "error": run.error or None,
        "train_minutes": summary["train_minutes"],
        "test_minutes": summary["test_minutes"],
        "synthesis_seconds": round(synthesis, 1),
        "ingest_seconds": round(ingest, 1),
        "wall_seconds": round(wall, 1),
        "stage_seconds": metrics.get("stage_seconds"),
        "audio_hours_per_hour": round(trained_hours / (wall / 3600), 2) if wall else None,
        "peak_rss_mb": metrics.get("peak_rss_mb"),
        "base_test_wer": metrics.get("base_word_error_rate"),
        "custom_test_wer": metrics.get("word_error_rate"),
        "epochs": metrics.get("epochs"),
        "enabled": model.enabled,
        "eta_after_first_epoch": eta_check(model),
    }


def eta_check(model) -> dict | None:
    """The ETA the log gave after the first epoch, per epoch left, against what each later epoch
    took (a run that reaches a perfect validation score stops early, which no ETA foresees)."""
    epochs = [
        (line.created_at, re.match(r"epoch (\d+)/(\d+) .*ETA (\d+)s", line.message))
        for line in model.log_lines.order_by("pk")
        if re.match(r"epoch \d+/\d+ ", line.message)
    ]
    if len(epochs) < 2 or epochs[0][1] is None:
        return None
    first = epochs[0][1]
    said = int(first.group(3)) / (int(first.group(2)) - int(first.group(1)))
    took = (epochs[-1][0] - epochs[0][0]).total_seconds() / (len(epochs) - 1)
    return {
        "eta_seconds_per_epoch": round(said, 1),
        "actual_seconds_per_epoch": round(took, 1),
        "error_percent": round(100 * (said - took) / took, 1) if took else None,
        "epochs_after_the_first": len(epochs) - 1,
    }


def _ratio(value, reference):
    return round(value / reference, 2) if value and reference else None


if __name__ == "__main__":
    main()
