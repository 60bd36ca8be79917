"""Audio side of the starter corpus: espeak-ng voices -> sox -> 16 kHz mono wav.

Every subprocess is started with an argument list (never a shell).
"""

from __future__ import annotations

import csv
import random
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

BASE_VOICES = (
    ["en-us"] * 6
    + ["en-us-nyc"] * 2
    + ["en", "en-gb-x-rp", "en-029", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
)
VARIANTS = (
    [""] * 4
    + [f"m{i}" for i in range(1, 9)]
    + [f"f{i}" for i in range(1, 6)] * 2
    + [
        "Alex",
        "Andy",
        "Annie",
        "Denis",
        "Gene",
        "Lee",
        "Mike",
        "Michael",
        "adam",
        "anika",
        "aunty",
        "belinda",
        "benjamin",
        "david",
        "ed",
        "edward",
        "grandma",
        "grandpa",
        "iven",
        "john",
        "klatt",
        "klatt2",
        "klatt3",
        "linda",
        "max",
        "norbert",
        "paul",
        "quincy",
        "rob",
        "robert",
        "steph",
        "travis",
        "victor",
        "zac",
        "whisper",
        "croak",
    ]
)
TEST_VOICES = ["en-us", "en-us+m1", "en-us+f1"]


def random_voice(rng: random.Random) -> dict:
    base = rng.choice(BASE_VOICES)
    var = rng.choice(VARIANTS)
    effects: list[str] = []
    r = rng.random()
    if r < 0.25:
        effects += ["reverb", str(rng.randint(10, 60)), "50", str(rng.randint(20, 100))]
    elif r < 0.35:
        effects += ["lowpass", str(rng.choice([3400, 4000, 5000])), "highpass", "200"]
    return {
        "voice": base + ("+" + var if var else ""),
        "speed": rng.randint(125, 215),
        "pitch": rng.randint(15, 85),
        "effects": effects,
        "gain": round(rng.uniform(-12, 0), 1),
    }


def synth_one(
    text: str,
    out_path: Path,
    voice: str,
    speed: int = 175,
    pitch: int = 50,
    effects: list[str] | None = None,
    gain: float = 0.0,
) -> float:
    """Speak ``text`` into a 16 kHz mono 16-bit wav; return its duration in seconds."""
    raw = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text.lower()],
        check=True,
        capture_output=True,
    ).stdout
    cmd = ["sox", "-q", "-t", "wav", "-", "-r", "16000", "-c", "1", "-b", "16", str(out_path)]
    cmd += list(effects or [])
    cmd += ["gain", "-n", str(gain)]
    subprocess.run(cmd, input=raw, check=True, capture_output=True)
    return (out_path.stat().st_size - 44) / 32000.0


def _job(args):
    uid, text, spec, out_dir = args
    path = Path(out_dir) / f"{uid}.wav"
    try:
        dur = synth_one(text, path, **spec)
    except subprocess.CalledProcessError:
        return None
    if dur <= 0.3:
        return None
    return {"id": uid, "wav": str(path), "duration": round(dur, 3), "text": text, "voice": spec["voice"]}


def synthesize(
    items: list[tuple[str, str, dict]], out_dir: Path, manifest: Path, workers: int = 2
) -> list[dict]:
    """items: (uid, normalised text, voice spec). Writes wavs + a CSV manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    jobs = [(uid, text, spec, str(out_dir)) for uid, text, spec in items]
    with ProcessPoolExecutor(max_workers=workers) as ex:
        for row in ex.map(_job, jobs, chunksize=32):
            if row:
                rows.append(row)
    write_manifest(manifest, rows)
    return rows


def write_manifest(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "wav", "duration", "text", "voice"])
        w.writeheader()
        w.writerows(rows)


def read_manifest(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["duration"] = float(r["duration"])
    return rows
