"""Build the offline English starter model end to end.

    python -m training.engine.starter.build --out models/en-us-general \
        [--work-dir /work/starter-build] [--train-budget-s 6000] [--stages corpus,train,package,evaluate]

Stages: corpus (espeak-ng synthetic speech, needs espeak-ng, sox, wordnet-base,
fortunes), train (speechbrain Brain, time-budgeted), package (SpeechBrain
pretrained layout + LM + lexicon), evaluate (held-out WER/CER, LM weight tuning).
Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

STAGES = ("corpus", "train", "package", "evaluate")


def _log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def main(
    out: str | Path = "models/en-us-general",
    work_dir: str | Path = "/var/tmp/starter-build",
    stages=STAGES,
    train_budget_s: float = 6000.0,
    n_train: int = 16000,
    extra_shards: int = 1,
    checkpoint: str | Path | None = None,
    log=_log,
) -> dict:
    out, work_dir = Path(out), Path(work_dir)
    corpus_dir, ckpt_dir = work_dir / "corpus", work_dir / "ckpt"
    t_start = time.time()
    result: dict = {}
    if "corpus" in stages:
        from .corpus import build_corpus

        result["corpus"] = build_corpus(corpus_dir, n_train=n_train, extra_shards=extra_shards, log=log)
    if "train" in stages:
        from .train import train

        result["train"] = train(corpus_dir, ckpt_dir, train_budget_s, log=log)
    if "package" in stages:
        from .package import package

        ckpt = Path(checkpoint) if checkpoint else ckpt_dir / "latest.pt"
        import torch

        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        corpus_stats = (
            json.loads((corpus_dir / "corpus.json").read_text())
            if (corpus_dir / "corpus.json").exists()
            else {}
        )
        summary = (
            json.loads((ckpt_dir / "train_summary.json").read_text())
            if (ckpt_dir / "train_summary.json").exists()
            else {}
        )
        train_files = sorted(corpus_dir.glob("train*.csv"))
        from .synth import read_manifest

        rows = [r for f in train_files for r in read_manifest(f)]
        meta = {
            "training": {
                "data": "synthetic espeak-ng speech (many voices/variants, speeds, pitches, "
                "reverb/band-limit/noise augmentation) of WordNet examples, fortunes "
                "(no medicine file) and spelled-out number/date/time sentences",
                "utterances": len(rows),
                "hours": round(sum(r["duration"] for r in rows) / 3600, 2),
                "epochs": _epochs(state["meta"].get("step"), rows),
                "steps": state["meta"].get("step"),
                "wall_s": round(state["meta"].get("elapsed_s", summary.get("wall_s", 0))),
                "dev_cer_greedy": state["meta"].get("dev_cer"),
                "dev_wer_greedy": state["meta"].get("dev_wer"),
                "device": "cpu (2 cores)",
            },
            "corpus": corpus_stats,
        }
        result["package"] = package(ckpt, out, corpus_dir / "lm_corpus.txt", meta=meta, log=log)
    if "evaluate" in stages:
        from .evaluate import evaluate

        result["evaluate"] = evaluate(out, corpus_dir, log=log)
    log(f"build finished in {time.time() - t_start:.0f}s")
    return result


def _epochs(steps, rows, max_batch_s: float = 48.0):
    """Passes over the training data (the last one may be partial: time budget)."""
    from .train import BucketSampler

    if not steps:
        return None
    return round(steps / len(BucketSampler([r["duration"] for r in rows], max_batch_s)), 2)


def cli(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--out", default="models/en-us-general")
    p.add_argument("--work-dir", default="/var/tmp/starter-build")
    p.add_argument("--stages", default=",".join(STAGES))
    p.add_argument("--train-budget-s", type=float, default=6000.0)
    p.add_argument("--n-train", type=int, default=16000)
    p.add_argument("--extra-shards", type=int, default=1)
    p.add_argument("--checkpoint", default=None)
    a = p.parse_args(argv)
    main(
        a.out,
        a.work_dir,
        tuple(s for s in a.stages.split(",") if s),
        a.train_budget_s,
        a.n_train,
        a.extra_shards,
        a.checkpoint,
    )


if __name__ == "__main__":
    cli()
