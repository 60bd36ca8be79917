"""Quality benchmark: base vs custom WER on the project's cardiology fixture set.

    .venv/bin/python bench/quality.py [--minutes 12] [--keep DIR]

Builds the domain set (tests/domain/cardiology.py), then runs the product's own
path in a scratch database: create a model, upload the recordings (train and
test splits), start training, and run the queue task (which trains in its
child process). Prints one JSON object with the run's training_metrics, the
audio minutes and the wall time.
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
    parser.add_argument("--minutes", type=float, default=12.0)
    parser.add_argument("--test-recordings", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the scratch folder here")
    args = parser.parse_args()

    scratch = Path(args.keep or tempfile.mkdtemp(prefix="bench-quality-"))
    scratch.mkdir(parents=True, exist_ok=True)
    os.environ.update({"VAR_DIR": str(scratch / "var"), "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("DATABASE_URL", None)  # the training child must see this scratch database too

    import django

    django.setup()
    from django.core.management import call_command

    from custom_models.models import CustomModel
    from custom_models.services import custom_model_create
    from datasets.services import dataset_file_ingest, staging_path
    from panel.models import Organisation
    from tests.domain import cardiology
    from training import tasks
    from training.models import TrainingRun
    from training.services import training_run_start

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    data_dir = scratch / "cardiology"
    summary = cardiology.build(data_dir, minutes=args.minutes, test_recordings=args.test_recordings)

    model = custom_model_create(
        organisation=Organisation.objects.get(slug="demo"),
        name=f"Cardiology bench {time.time():.0f}",
        language="en",
        base_model="medical",
    )
    for split in ("train", "test"):
        for recording in summary[split]:
            for suffix in (".wav", ".vtt"):
                staged = staging_path()
                staged.write_bytes((data_dir / recording["name"]).with_suffix(suffix).read_bytes())
                dataset_file_ingest(
                    model=model, source=staged, filename=recording["name"] + suffix, split=split
                )

    started = time.perf_counter()
    run = training_run_start(model=model)
    tasks.run_training(run.pk)
    wall = time.perf_counter() - started
    model = CustomModel.objects.get(pk=model.pk)
    run = TrainingRun.objects.get(pk=run.pk)
    result = {
        "benchmark": "quality",
        "domain": "cardiology dictation (tests/domain/cardiology.py)",
        "train_minutes": summary["train_minutes"],
        "test_minutes": summary["test_minutes"],
        "voices": summary["voices"],
        "status": model.get_training_status_display(),
        "run_error": run.error or None,
        "training_metrics": model.training_metrics,
        "wall_seconds": round(wall, 1),
        "targets": {"accuracy_improvement": ">= 30", "wall_seconds": "<= 900"},
        "log": [line.message for line in model.log_lines.all()],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
