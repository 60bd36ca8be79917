"""Ingest at scale: batches of recordings and a long NeMo manifest, through the product's ingest
and validation, at growing sizes.

    .venv/bin/python bench/ingest.py [--files 10,100] [--minutes 3] [--manifest-lines 5000]

For each batch size: that many recordings of about `--minutes` minutes each (English sentences of
tests/domain/cardiology.py read by espeak-ng in one pass each, 16 kHz WAV) with a TXT transcript
each, staged and ingested as one batch by `datasets.services.dataset_files_ingest` (what
`PUT /data` and a finished tus upload call: measure the duration with ffprobe, store, parse the
transcript), then `datasets.selectors.dataset_validate` (what `POST /validate` calls). Then a
NeMo manifest of `--manifest-lines` rows cutting the largest batch's recordings into segments,
ingested into a model holding those recordings, and validated. Upload bandwidth itself is
bench/upload.py's (tus against cp).

Reported: seconds per stage, seconds per audio-hour (linear means the same at every size), the
process's peak RSS after each step, and the ratios against the smallest batch. The target:
validation of 100 files of 3 minutes in at most 60 s. One JSON object on the last line.
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import demo_database_in_process, machine  # noqa: E402


def peak_rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def recording(path: Path, sentences: list[str]) -> float:
    """One WAV of `sentences` read by espeak-ng at 16 kHz; its length in seconds."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(raw), " ".join(sentences)], check=True)
    subprocess.run(
        ["sox", "-V1", "-G", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True
    )
    raw.unlink()
    return float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True).stdout)


def build(folder: Path, count: int, minutes: float, rng: random.Random) -> list[dict]:
    from tests.domain import cardiology

    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "recordings.json"
    if manifest.exists():
        return json.loads(manifest.read_text())
    per_recording = max(1, round(minutes * 60 / 4.2))  # a sentence is about 4.2 s at this pace
    out = []
    for n in range(count):
        texts = [f"{s[0].upper()}{s[1:]}." for s in cardiology.sentences(per_recording, rng)]
        wav = folder / f"dictation_{n:03d}.wav"
        seconds = recording(wav, texts)
        wav.with_suffix(".txt").write_text(" ".join(texts) + "\n")
        out.append({"wav": str(wav), "seconds": seconds, "text": " ".join(texts)})
    manifest.write_text(json.dumps(out))
    return out


def staged(path: Path, name: str, declared_type: str = "auto"):
    from datasets.services import UploadItem, staging_path

    target = staging_path()
    target.write_bytes(path.read_bytes())
    return UploadItem(source=target, filename=name, declared_type=declared_type)


def ingest_batch(model, recordings: list[dict], with_transcripts: bool = True) -> float:
    from datasets.services import dataset_files_ingest

    items = []
    for item in recordings:
        wav = Path(item["wav"])
        items.append(staged(wav, wav.name))
        if with_transcripts:
            items.append(staged(wav.with_suffix(".txt"), wav.with_suffix(".txt").name))
    started = time.perf_counter()
    results = dataset_files_ingest(model=model, items=items, split="train")
    seconds = time.perf_counter() - started
    assert all(r.file is not None for r in results), "a file was skipped"
    return seconds


def validate(model) -> tuple[float, dict]:
    from datasets.selectors import dataset_validate

    started = time.perf_counter()
    report = dataset_validate(model=model)
    return time.perf_counter() - started, report


def new_model(name: str):
    from accounts.models import Organisation
    from custom_models.services import custom_model_create

    return custom_model_create(
        organisation=Organisation.objects.get(slug="demo"), name=f"{name} {time.time():.0f}", language="en"
    )


def manifest_lines(recordings: list[dict], lines: int) -> str:
    """`lines` NeMo rows spread evenly over the recordings, each a segment with offset and duration."""
    per = -(-lines // len(recordings))
    rows = []
    for item in recordings:
        step = item["seconds"] / per
        words = item["text"].split()
        for k in range(per):
            if len(rows) == lines:
                break
            chunk = words[k * len(words) // per : (k + 1) * len(words) // per] or words[:1]
            rows.append(
                json.dumps(
                    {
                        "audio_filepath": Path(item["wav"]).name,
                        "offset": round(k * step, 3),
                        "duration": round(step, 3),
                        "text": " ".join(chunk),
                    }
                )
            )
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", default="10,100", help="comma-separated batch sizes")
    parser.add_argument("--minutes", type=float, default=3.0, help="minutes of speech a recording")
    parser.add_argument("--manifest-lines", type=int, default=5000)
    parser.add_argument("--keep", type=Path, help="keep the scratch folder (and the recordings) here")
    args = parser.parse_args()
    sizes = [int(n) for n in args.files.split(",")]

    scratch = demo_database_in_process(args.keep, "bench-ingest-")
    rng = random.Random(5)
    started = time.perf_counter()
    everything = build(scratch / "recordings", max(sizes), args.minutes, rng)
    synthesis = time.perf_counter() - started

    batches = {}
    for size in sizes:
        recordings = everything[:size]
        hours = sum(r["seconds"] for r in recordings) / 3600
        model = new_model(f"Ingest {size}")
        ingest_s = ingest_batch(model, recordings)
        validate_s, report = validate(model)
        batches[f"{size} files"] = {
            "audio_hours": round(hours, 2),
            "ingest_seconds": round(ingest_s, 1),
            "validate_seconds": round(validate_s, 2),
            "pairs": len(report.pairs),
            "validation_errors": report.errors,
            "ingest_seconds_per_audio_hour": round(ingest_s / hours, 1),
            "validate_seconds_per_audio_hour": round(validate_s / hours, 2),
            "peak_rss_mb": peak_rss_mb(),
        }
    smallest = batches[f"{sizes[0]} files"]
    for batch in batches.values():
        batch["ingest_per_hour_vs_smallest"] = round(
            batch["ingest_seconds_per_audio_hour"] / smallest["ingest_seconds_per_audio_hour"], 2
        )

    recordings = everything[: max(sizes)]
    model = new_model("Ingest manifest")
    audio_s = ingest_batch(model, recordings, with_transcripts=False)
    text = manifest_lines(recordings, args.manifest_lines)
    path = scratch / "manifest.jsonl"
    path.write_text(text)
    from datasets.services import dataset_files_ingest

    mark = time.perf_counter()
    dataset_files_ingest(model=model, items=[staged(path, "manifest.jsonl")], split="train")
    manifest_s = time.perf_counter() - mark
    validate_s, report = validate(model)
    manifest_rss = peak_rss_mb()  # before machine(), which imports torch to look for a GPU

    result = {
        "benchmark": "ingest",
        "machine": machine(),
        "recording_minutes": args.minutes,
        "synthesis_seconds": round(synthesis, 1),
        "batches": batches,
        "manifest": {
            "lines": text.count("\n"),
            "bytes": len(text.encode()),
            "audio_files": len(recordings),
            "audio_ingest_seconds": round(audio_s, 1),
            "manifest_ingest_seconds": round(manifest_s, 2),
            "validate_seconds": round(validate_s, 2),
            "pairs": len(report.pairs),
            "validation_errors": report.errors,
            "peak_rss_mb": manifest_rss,
        },
        "target": "validation of 100 files of 3 minutes <= 60 s",
        "scratch": str(scratch),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
