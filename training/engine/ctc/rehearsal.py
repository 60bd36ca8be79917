"""Base data mixed into fine-tuning, so a custom model does not forget general speech.

Fine-tuning on a customer's domain alone makes a model worse at everything else
(shared/notes/asr-feasibility.md: +15.5 WER points on general speech; mixing in
as much base data as domain data kept it to +5.7). A base model directory offers
its general speech in one of two ways:

- `rehearsal/manifest.csv` with `wav,text` rows (paths relative to the folder):
  recorded speech shipped beside the weights;
- `"rehearsal": {"synthesize": "espeak-ng"}` in `model.json` plus the LM text
  (`lm_corpus.txt.gz`): a base trained on espeak-ng speech, like the starter,
  has its training data re-spoken from that text in random training voices.

A base that offers neither is fine-tuned on the customer's data alone.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections.abc import Callable
from pathlib import Path

import soundfile as sf

MANIFEST = Path("rehearsal") / "manifest.csv"


def rehearsal_source(base_dir) -> str | None:
    """How this base offers general speech: "recorded", "synthesized", or None."""
    base_dir = Path(base_dir)
    if (base_dir / MANIFEST).exists():
        return "recorded"
    meta_path = base_dir / "model.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    wants_synthesis = (meta.get("rehearsal") or {}).get("synthesize") == "espeak-ng"
    if wants_synthesis and (base_dir / "lm_corpus.txt.gz").exists():
        return "synthesized"
    return None


def rehearsal_rows(
    base_dir,
    work_dir,
    seconds: float,
    *,
    normalise: Callable[[str], str],
    seed: int = 0,
) -> list[dict]:
    """About `seconds` of the base's general speech as training rows ({wav, text, duration})."""
    source = rehearsal_source(base_dir)
    if source is None or seconds <= 0:
        return []
    rng = random.Random(seed)
    if source == "recorded":
        return _recorded(Path(base_dir), seconds, normalise, rng)
    return _synthesized(Path(base_dir), Path(work_dir), seconds, normalise, rng)


def _recorded(base_dir: Path, seconds: float, normalise, rng: random.Random) -> list[dict]:
    folder = base_dir / MANIFEST.parent
    with open(base_dir / MANIFEST, newline="", encoding="utf-8") as handle:
        entries = [(row["wav"], row["text"]) for row in csv.DictReader(handle)]
    rng.shuffle(entries)
    rows, total = [], 0.0
    for wav, text in entries:
        if total >= seconds:
            break
        path = (folder / wav).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.exists():
            continue  # the manifest names only files inside its own folder
        duration = sf.info(str(path)).duration
        text = normalise(text)
        if text and 0.5 <= duration <= 30:
            rows.append({"wav": str(path), "text": text, "duration": duration})
            total += duration
    return rows


def _synthesized(base_dir: Path, work_dir: Path, seconds: float, normalise, rng: random.Random) -> list[dict]:
    from ..starter.synth import random_voice, synth_one

    with gzip.open(base_dir / "lm_corpus.txt.gz", "rt", encoding="utf-8") as handle:
        sentences = [line.strip() for line in handle if 3 <= len(line.split()) <= 30]
    out = work_dir / "rehearsal"
    out.mkdir(parents=True, exist_ok=True)
    rows, total = [], 0.0
    while total < seconds and sentences:
        text = normalise(sentences.pop(rng.randrange(len(sentences))))
        if not text:
            continue
        path = out / f"r{len(rows):05d}.wav"
        duration = synth_one(text.lower(), path, **random_voice(rng))
        if 0.5 <= duration <= 30:
            rows.append({"wav": str(path), "text": text, "duration": duration})
            total += duration
    return rows
