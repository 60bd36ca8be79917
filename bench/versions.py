"""No training work lost: resume after a killed trainer, versions, a worse version held back, roll back.

    .venv/bin/python bench/versions.py [--minutes 10] [--keep DIR]

The product's own path, in process (a scratch database seeded with the demo organisations, the
real queue task `training.tasks.run_training` and its `manage.py run_training` child), on the
English cardiology set (tests/domain/cardiology.py: train recordings in espeak-ng voices, test
recordings in piper "joe" and espeak en-us+Mario; no test voice trains) and Whisper tiny.en:

1. v1 trains uninterrupted: the reference wall time and test WER.
2. v2 trains on the same data and seed; its trainer's process group is SIGKILLed half an epoch
   after the checkpoint of epoch ceil(epochs / 2); the run is queued again (as the sweeper or the
   supervisor does) and a second call of the queue task resumes it to Success. Reported: wall time
   from start to Success against v1's (the kill and the restart included), test WER against v1's,
   the work lost (epochs trained twice, from the log) and the progress bar's lowest point after
   the kill against its value at the kill.
3. v3 trains on transcripts shuffled between the recordings: it must not become active, and the
   active version serves throughout (checked while v3 trains).
4. Roll back: v1 is activated and a clip transcribed; the time from the activate call to the
   transcript, against the same transcription with the model already loaded.

Prints one JSON object on its last line (the machine named).
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of training audio")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()

    from bench.common import demo_database_in_process, machine

    scratch = demo_database_in_process(args.keep, "bench-versions-")
    from tests.domain import cardiology

    data_dir = scratch / "cardiology"
    summary_file = data_dir / "summary.json"
    summary = (
        json.loads(summary_file.read_text())
        if summary_file.exists()
        else cardiology.build(data_dir, minutes=args.minutes, test_recordings=2)
    )
    model = _model_with_data(data_dir, summary)

    v1 = _train(model, kill=False)
    v2 = _train(model, kill=True)
    serving_during_v3 = _shuffle_transcripts(model, data_dir, summary)
    v3 = _train(model, kill=False, watch_serving=serving_during_v3)
    rollback = _roll_back(model, data_dir / "cues-probe.wav", data_dir, summary)

    result = {
        "bench": "versions",
        "machine": machine(),
        "train_minutes": summary["train_minutes"],
        "test_minutes": summary["test_minutes"],
        "v1_uninterrupted": v1,
        "v2_killed_and_resumed": v2,
        "resumed_wall_ratio": round(v2["wall_seconds"] / v1["wall_seconds"], 2),
        "resumed_test_wer_change": round(v2["test_wer"] - v1["test_wer"], 2),
        "v3_shuffled_transcripts": v3,
        "rollback": rollback,
    }
    print(json.dumps(result))


def _model_with_data(data_dir: Path, summary: dict):
    from accounts.models import Organisation
    from custom_models.services import custom_model_create

    model = custom_model_create(
        organisation=Organisation.objects.get(slug="demo"),
        name=f"Cardiology versions {time.time():.0f}",
        language="en",
    )
    from bench.common import ingest_recordings

    ingest_recordings(model, data_dir, summary)
    return model


def _train(model, *, kill: bool, watch_serving=None) -> dict:
    from custom_models.models import CustomModel
    from training import tasks
    from training.models import TrainingRun
    from training.services import training_run_start

    model = CustomModel.objects.get(pk=model.pk)
    active_before = model.active_version
    started = time.perf_counter()
    run = training_run_start(model=model)
    killed = None
    if kill:
        worker = threading.Thread(target=tasks.run_training, args=(run.pk,))
        worker.start()
        killed = _kill_mid_epoch(model, run)
        worker.join()
        run.refresh_from_db()
        assert run.status == TrainingRun.Status.QUEUED, (run.status, run.error)
        floor = threading.Thread(target=tasks.run_training, args=(run.pk,))
        lowest = _lowest_progress_while(floor, model)
        killed["lowest_progress_after_kill"] = lowest
    elif watch_serving is not None:
        worker = threading.Thread(target=tasks.run_training, args=(run.pk,))
        worker.start()
        served = []
        while worker.is_alive():
            served.append(watch_serving())
            time.sleep(5)
        worker.join()
    else:
        tasks.run_training(run.pk)
    wall = time.perf_counter() - started
    run = TrainingRun.objects.get(pk=run.pk)
    model = CustomModel.objects.get(pk=model.pk)
    log = [line.message for line in model.log_lines.filter(run=run)]
    epochs = [line.split()[1] for line in log if line.startswith("epoch ")]
    figures = {
        "status": run.status,
        "version": run.version,
        "active_version_before": active_before,
        "active_version_after": model.active_version,
        "wall_seconds": round(wall, 1),
        "test_wer": (run.metrics or {}).get("word_error_rate"),
        "base_test_wer": (run.metrics or {}).get("base_word_error_rate"),
        "versus_active": (run.evaluation or {}).get("versus_active"),
        "held_back": run.held_back or None,
        "epochs_logged": epochs,
        "epochs_trained_twice": len(epochs) - len(set(epochs)),
        "resume_lines": [line for line in log if "resum" in line or "queued again" in line],
    }
    if killed:
        figures["kill"] = killed
    if watch_serving is not None:
        figures["served_by_active_while_training"] = {
            "checks": len(served),
            "all_by_the_active_version": all(served),
        }
    return figures


def _kill_mid_epoch(model, run) -> dict:
    """SIGKILL the trainer half an epoch after the checkpoint of epoch ceil(epochs / 2)."""
    from custom_models.models import CustomModel
    from training.models import TrainingRun

    while True:
        lines = [line.message for line in model.log_lines.filter(run=run)]
        epoch_lines = [line for line in lines if line.startswith("epoch ")]
        if epoch_lines:
            done, total = (int(x) for x in epoch_lines[-1].split()[1].split("/"))
            if done >= max(2, (total + 1) // 2):
                break
        time.sleep(0.5)
    # An epoch's length from two consecutive epoch lines (the first epoch also encodes the windows).
    stamps = list(
        model.log_lines.filter(run=run, message__startswith="epoch ")
        .order_by("pk")
        .values_list("created_at", flat=True)
    )
    epoch_seconds = (stamps[-1] - stamps[-2]).total_seconds() if len(stamps) > 1 else 30.0
    time.sleep(epoch_seconds / 2)
    progress = CustomModel.objects.get(pk=model.pk).training_progress
    pid = TrainingRun.objects.get(pk=run.pk).pid
    os.killpg(pid, signal.SIGKILL)
    return {
        "after_epoch": done,
        "of": total,
        "epoch_seconds": round(epoch_seconds, 1),
        "progress_at_kill": progress,
    }


def _lowest_progress_while(worker: threading.Thread, model) -> int:
    from custom_models.models import CustomModel

    worker.start()
    lowest = 100
    while worker.is_alive():
        lowest = min(lowest, CustomModel.objects.get(pk=model.pk).training_progress)
        time.sleep(1)
    worker.join()
    return lowest


def _shuffle_transcripts(model, data_dir: Path, summary: dict):
    """Every training recording's VTT replaced by another recording's (a derangement); returns a
    probe that says whether the model serves its active version right now."""
    from datasets.models import DatasetFile
    from datasets.services import dataset_file_delete, dataset_file_ingest, staging_path
    from training.selectors import stt_model_resolve, trained_model_path

    names = [r["name"] for r in summary["train"]]
    shuffled = names[1:] + names[:1]
    for name, other in zip(names, shuffled, strict=True):
        dataset_file_delete(
            dataset_file=DatasetFile.objects.alive().get(custom_model=model, name=f"{name}.vtt")
        )
        staged = staging_path()
        staged.write_bytes((data_dir / f"{other}.vtt").read_bytes())
        dataset_file_ingest(model=model, source=staged, filename=f"{name}.vtt", split="train")

    def probe() -> bool:
        from custom_models.models import CustomModel

        current = CustomModel.objects.get(pk=model.pk)
        resolved = stt_model_resolve(organisation=current.organisation, language=None, model=current.stt_name)
        return resolved.path == trained_model_path(current.model_path) and resolved.path.is_dir()

    return probe


def _roll_back(model, probe_wav: Path, data_dir: Path, summary: dict) -> dict:
    """Activate v1 (the active one is v2), then transcribe a test clip with what now serves."""
    import soundfile as sf

    from accounts.models import Membership
    from custom_models.models import CustomModel
    from training import engine
    from training.selectors import stt_model_resolve
    from training.versions import custom_model_version_activate

    model = CustomModel.objects.get(pk=model.pk)
    samples, rate = sf.read(str(data_dir / f"{summary['test'][0]['name']}.wav"), dtype="int16")
    sf.write(str(probe_wav), samples[: rate * 8], rate, subtype="PCM_16")
    admin = Membership.objects.filter(organisation=model.organisation, role="admin").first()

    def transcribe_now() -> tuple[str, float]:
        current = CustomModel.objects.get(pk=model.pk)
        mark = time.perf_counter()
        path = stt_model_resolve(
            organisation=current.organisation, language=None, model=current.stt_name
        ).path
        assert engine.transcribe(path, probe_wav, language="en")["text"].strip()
        return str(path), time.perf_counter() - mark

    before_path, _ = transcribe_now()
    _, warm = transcribe_now()  # the active version, loaded: the reference
    target = 1 if model.active_version != 1 else 2
    was = model.active_version
    mark = time.perf_counter()
    custom_model_version_activate(model=model, version=target, by=admin)
    after_path, _ = transcribe_now()
    switched = time.perf_counter() - mark
    return {
        "from_version": was,
        "to_version": target,
        "serving_path_changed": before_path != after_path,
        "seconds_activate_to_transcript": round(switched, 2),
        "seconds_transcript_already_loaded": round(warm, 2),
        "ratio": round(switched / warm, 2),
        "probe_seconds": 8,
    }


if __name__ == "__main__":
    main()
