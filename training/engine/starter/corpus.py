"""Build the synthetic starter corpus (text splits + audio + LM text).

Layout under ``work_dir``::

    wav/<id>.wav          16 kHz mono 16-bit
    train.csv dev.csv test_heldout.csv test_everyday.csv
    lm_corpus.txt         every training-side sentence (test sentences excluded)
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from . import synth, text


def build_corpus(
    work_dir: Path,
    n_train: int = 16000,
    n_dev: int = 200,
    n_test: int = 300,
    seed: int = 1234,
    workers: int = 2,
    extra_shards: int = 1,
    log=print,
) -> dict:
    """Test/dev sets plus ``1 + extra_shards`` training shards of ``n_train`` utterances
    (train.csv, train_01.csv, ...); the trainer reads every train*.csv."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    t0 = time.time()
    corpus, generated, everyday = text.build_sentences(seed=seed)
    rng.shuffle(corpus)
    test_sents = corpus[:n_test]
    dev_sents = corpus[n_test : n_test + n_dev]
    train_pool = corpus[n_test + n_dev :]
    held = set(test_sents) | set(dev_sents) | set(everyday)
    generated = [s for s in generated if s not in held]
    log(f"sentences: corpus={len(corpus)} generated={len(generated)} train_pool={len(train_pool)}")

    (work_dir / "lm_corpus.txt").write_text("\n".join(train_pool + generated) + "\n")

    def clean_spec(voice):
        return {"voice": voice, "speed": 175, "pitch": 50, "effects": [], "gain": -3.0}

    items_test = [(f"test{i:04d}", s, clean_spec(synth.TEST_VOICES[i % 3])) for i, s in enumerate(test_sents)]
    items_every = [
        (f"every{i:03d}_{v}", s, clean_spec(v)) for i, s in enumerate(everyday) for v in synth.TEST_VOICES
    ]
    items_dev = [(f"dev{i:04d}", s, synth.random_voice(rng)) for i, s in enumerate(dev_sents)]
    items_train = make_train_items(train_pool, generated, n_train, rng, prefix="tr")

    wav_dir = work_dir / "wav"
    stats = {}
    jobs = [
        ("test_heldout", items_test),
        ("test_everyday", items_every),
        ("dev", items_dev),
        ("train", items_train),
    ]
    for k in range(1, extra_shards + 1):
        jobs.append(
            (
                f"train_{k:02d}",
                make_train_items(
                    train_pool, generated, n_train, random.Random(seed + k), prefix=f"tr{k:02d}_"
                ),
            )
        )
    for name, items in jobs:
        rows = synth.synthesize(items, wav_dir, work_dir / f"{name}.csv", workers=workers)
        hours = sum(r["duration"] for r in rows) / 3600
        stats[name] = {"utterances": len(rows), "hours": round(hours, 3)}
        log(f"{name}: {len(rows)} utts, {hours:.2f} h ({time.time() - t0:.0f}s)")
    train_stats = [v for k, v in stats.items() if k.startswith("train")]
    stats["train_total"] = {
        "utterances": sum(v["utterances"] for v in train_stats),
        "hours": round(sum(v["hours"] for v in train_stats), 3),
    }
    (work_dir / "corpus.json").write_text(json.dumps(stats, indent=2))
    return stats


def make_train_items(train_pool, generated, n_train, rng, prefix="tr"):
    n_gen = int(n_train * 0.15)
    sents = rng.sample(train_pool, min(len(train_pool), n_train - n_gen))
    sents += [rng.choice(generated) for _ in range(n_train - len(sents))]
    return [(f"{prefix}{i:06d}", s, synth.random_voice(rng)) for i, s in enumerate(sents)]


def add_train_shards(
    work_dir: Path,
    shards: list[int],
    n_train: int = 16000,
    n_dev: int = 200,
    n_test: int = 300,
    seed: int = 1234,
    workers: int = 2,
    log=print,
):
    """Generate only the given extra training shards (same splits as build_corpus)."""
    work_dir = Path(work_dir)
    rng = random.Random(seed)
    corpus, generated, everyday = text.build_sentences(seed=seed)
    rng.shuffle(corpus)
    held = set(corpus[: n_test + n_dev]) | set(everyday)
    train_pool = corpus[n_test + n_dev :]
    generated = [s for s in generated if s not in held]
    for k in shards:
        items = make_train_items(
            train_pool, generated, n_train, random.Random(seed + k), prefix=f"tr{k:02d}_"
        )
        rows = synth.synthesize(items, work_dir / "wav", work_dir / f"train_{k:02d}.csv", workers=workers)
        hours = sum(r["duration"] for r in rows) / 3600
        log(f"train_{k:02d}: {len(rows)} utts, {hours:.2f} h")
        stats_path = work_dir / "corpus.json"
        stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
        stats[f"train_{k:02d}"] = {"utterances": len(rows), "hours": round(hours, 3)}
        train_stats = [v for n, v in stats.items() if n.startswith("train") and n != "train_total"]
        stats["train_total"] = {
            "utterances": sum(v["utterances"] for v in train_stats),
            "hours": round(sum(v["hours"] for v in train_stats), 3),
        }
        stats_path.write_text(json.dumps(stats, indent=2))
