"""Quality benchmark: base vs custom WER on the project's cardiology fixture set.

    .venv/bin/python bench/quality.py [--minutes 12] [--keep DIR]

Builds the domain set (tests/domain/cardiology.py), then runs the product's own
path in a scratch database: create a model, upload the recordings (train and
test splits), start training, and run the queue task (which trains in its
child process). Prints one JSON object with the run's training_metrics, the
audio minutes and the wall time, and base vs custom WER on general everyday
speech (what the domain fine-tuning cost elsewhere).
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


def general_speech(folder: Path, model) -> dict:
    """Base and custom WER on everyday sentences neither ever trained on: what fine-tuning forgot.

    The starter's held-out everyday sentences in its three standard test voices.
    """
    from training.engine.ctc import finetune as ft
    from training.engine.starter.synth import TEST_VOICES, synth_one
    from training.engine.starter.text import EVERYDAY_TEST
    from training.metrics import error_rates
    from training.selectors import base_model_dir, trained_model_path

    folder.mkdir(parents=True, exist_ok=True)
    wavs, references = [], []
    for n, sentence in enumerate(EVERYDAY_TEST):
        for voice in TEST_VOICES:
            wav = folder / f"{n:03d}-{voice.replace('+', '_')}.wav"
            synth_one(sentence, wav, voice)
            wavs.append(str(wav))
            references.append(sentence)
    base_dir = base_model_dir(language=model.language, domain=model.base_model)
    base_wer, base_cer = error_rates(references, ft.recognise(base_dir, wavs))
    custom_wer, custom_cer = error_rates(references, ft.recognise(trained_model_path(model.model_path), wavs))
    return {
        "utterances": len(wavs),
        "base_word_error_rate": round(base_wer, 2),
        "custom_word_error_rate": round(custom_wer, 2),
        "base_character_error_rate": round(base_cer, 2),
        "custom_character_error_rate": round(custom_cer, 2),
        "forgetting_wer_points": round(custom_wer - base_wer, 2),
    }


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
    general = general_speech(scratch / "general", model) if model.model_path else None
    result = {
        "benchmark": "quality",
        "domain": "cardiology dictation (tests/domain/cardiology.py)",
        "train_minutes": summary["train_minutes"],
        "test_minutes": summary["test_minutes"],
        "voices": summary["voices"],
        "status": model.get_training_status_display(),
        "run_error": run.error or None,
        "training_metrics": model.training_metrics,
        "general_speech": general,
        "wall_seconds": round(wall, 1),
        "targets": {"accuracy_improvement": ">= 30", "wall_seconds": "<= 900"},
        "log": [line.message for line in model.log_lines.all()],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
