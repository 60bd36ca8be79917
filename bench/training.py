"""Training throughput: our fine-tuning (the task's engine path) vs a plain SpeechBrain Brain.fit loop.

    .venv/bin/python bench/training.py [--minutes 10] [--epochs 2]

Same base model, same clips, same epochs, same batching, in the same run,
alternated `--repeats` times (medians compared). Ours does what the training
task does: SpecAugment, loudness jitter, warm-up + cosine LR, and a greedy
decode of every validation clip for the per-epoch WER that picks the best
epoch; the plain loop only computes CTC losses. Reports audio-seconds per
wall-second of each and their ratio (target >= 0.9), and the wall time of our
fine-tuning.
"""

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def plain_fit(base_dir, rows: list[dict], epochs: int) -> float:
    """The reference: a minimal sb.Brain with CTC on the same model and data; returns wall seconds."""
    import speechbrain as sb
    import torch
    from speechbrain.nnet.losses import ctc_loss

    from training.engine.ctc import finetune as ft
    from training.engine.ctc.recognizer import load_model
    from training.engine.starter.train import BucketSampler

    base = load_model(base_dir)
    model = copy.deepcopy(base.asr.mods.encoder).train().requires_grad_(True)
    char2id = {lab: i for i, lab in enumerate(base.labels) if i != base.blank}

    class Plain(sb.Brain):
        def compute_forward(self, batch, stage):
            return self.modules.model(batch[0].to(self.device), batch[1].to(self.device)), batch[1]

        def compute_objectives(self, predictions, batch, stage):
            log_probs, lens = predictions
            return ctc_loss(
                log_probs, batch[2].to(self.device), lens.to(self.device), batch[3].to(self.device), 0
            )

    def loader(seed: int, max_batch_s: float):
        return torch.utils.data.DataLoader(
            ft._Segments(rows, char2id),
            batch_sampler=BucketSampler([r["duration"] for r in rows], max_batch_s, None, seed=seed),
            collate_fn=ft._collate,
        )

    brain = Plain(
        modules={"model": model},
        opt_class=lambda params: torch.optim.AdamW(params, lr=3e-4),
        run_opts={"device": "cuda" if torch.cuda.is_available() else "cpu", "noprogressbar": True},
    )
    started = time.perf_counter()
    brain.fit(range(1, epochs + 1), loader(0, 48.0), loader(0, 120.0))
    return time.perf_counter() - started


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--base", type=Path, default=ROOT / "models" / "en-us-general")
    args = parser.parse_args()

    import django

    django.setup()
    import torch

    from bench.speech import clips
    from training.engine.ctc import finetune as ft

    with tempfile.TemporaryDirectory(prefix="bench-training-") as folder:
        rows = clips(Path(folder), args.minutes)
        audio_seconds = sum(r["duration"] for r in rows)
        ft.label_set(args.base)  # load once, outside both timings
        # Warm both code paths up (allocator, thread pools) so neither pays for starting first.
        ft.finetune(args.base, rows[:4], rows[:4], epochs=1, log=lambda *_: None)
        plain_fit(args.base, rows[:4], 1)
        # Alternate the two (ours, plain, plain, ours, …) and compare medians: on this shared
        # machine one run of either swings by ±15 %, and drift would favour whichever ran first.
        ours_walls, plain_walls = [], []
        for n in range(args.repeats):
            for which in ("ours", "plain") if n % 2 == 0 else ("plain", "ours"):
                if which == "ours":
                    started = time.perf_counter()
                    ours = ft.finetune(args.base, rows, rows, epochs=args.epochs, log=lambda *_: None)
                    ours_walls.append(time.perf_counter() - started)
                else:
                    plain_walls.append(plain_fit(args.base, rows, args.epochs))
    ours_wall, plain_wall = statistics.median(ours_walls), statistics.median(plain_walls)
    processed = audio_seconds * args.epochs * 2  # each epoch trains on the clips and validates on them
    result = {
        "benchmark": "training",
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "audio_minutes": round(audio_seconds / 60, 2),
        "epochs": args.epochs,
        "ours_wall_s": round(ours_wall, 1),
        "plain_brain_fit_wall_s": round(plain_wall, 1),
        "ours_audio_s_per_wall_s": round(processed / ours_wall, 1),
        "plain_audio_s_per_wall_s": round(processed / plain_wall, 1),
        "ratio_ours_vs_plain": round(plain_wall / ours_wall, 3),
        "ours_wall_s_per_epoch": round(ours_wall / args.epochs, 1),
        "repeats": args.repeats,
        "ours_walls_s": [round(w, 1) for w in ours_walls],
        "plain_walls_s": [round(w, 1) for w in plain_walls],
        "target": {"ratio_ours_vs_plain": ">= 0.9"},
        "best_valid_wer": round(ours["best_valid_wer"], 3),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
