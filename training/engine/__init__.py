"""ASR engine: the only part of the project that uses torch, SpeechBrain or CTranslate2.

One public face for every model family. A model directory names its family in
`model.json` (`"family": "whisper"` or `"ctc"`; a directory without one is a
SpeechBrain CTC model, like the starter). The families live in subpackages:

- `ctc/`: SpeechBrain `EncoderASR` (character CTC, n-gram LM, forced alignment);
- `whisper/`: a PyTorch copy fine-tuned through SpeechBrain's Whisper integration
  and a CTranslate2 copy that serves (faster-whisper) and aligns.

Nothing outside `training/engine/` knows which family a model is. Importing this
package is cheap: a family is imported the first time one of its models is used.

Public API (`language` is the code of the language spoken; a multilingual model needs it, an
English-only or CTC model speaks its one language and ignores it)::

    transcribe(model_dir, media_path, language=, phrases=) -> {"text", "words": [{"word", "start", "end"}]}
    recognise(model_dir, wav_paths, language=, phrases=) -> [str]  # short 16 kHz clips (<= 30 s)
    align_words(model_dir, wav_path, words, language=) -> ([{"start", "end", "confidence"} | None], secs)
    align_lines(model_dir, wav_path, lines, language=) -> {"segments", "warnings", "duration", "mismatch"}
    languages(model_dir) -> [code]                      # the languages a model speaks
    detect_language(model_dir, media_path, candidates) -> {"language", "probability", "speech_seconds"}
    training_text(model_dir) -> fn(text) -> (target text, dropped characters)
    fine_tune(base_dir, out_dir, ...) -> summary       # writes a model directory in the base's family,
                                                       # continuing from `checkpoint` if it holds one
    validate_model_dir(path)                           # raises ModelLoadError
    install_base_model(source, target) -> model.json   # convert and check a base (see install.py)
    common_words(model_dir) -> fn(word) -> bool        # is a normalised word everyday for this base?
    speech_regions(wav_path) -> [(start, end)]          # where a voice activity detector hears speech

`phrases` (transcribe, recognise) is a list of words or phrases to favour, at most MAX_PHRASES of
at most MAX_PHRASE_CHARS characters each: the Whisper family raises them by score
(`whisper/biasing.py`), never by prompt; a CTC model raises PhrasesUnsupported; a list over the
limits raises PhrasesInvalid. None or an empty list decodes exactly as without.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from .errors import LanguageUnclear, ModelLoadError, PhrasesInvalid, PhrasesUnsupported
from .text import language_code

__all__ = [
    "FAMILIES",
    "Checkpoint",
    "LanguageUnclear",
    "ModelLoadError",
    "PhrasesInvalid",
    "PhrasesUnsupported",
    "StopTraining",
    "takes_phrases",
    "align_lines",
    "align_words",
    "cache_info",
    "clear_cache",
    "common_words",
    "detect_language",
    "family_of",
    "fine_tune",
    "install_base_model",
    "is_model_dir",
    "languages",
    "recognise",
    "speech_regions",
    "training_text",
    "transcribe",
    "validate_model_dir",
]

FAMILIES = ("ctc", "whisper")
# A model's own list (1,000) plus a request's (100), with room to spare; a phrase as long as a
# sentence is no phrase.
MAX_PHRASES = 1100
MAX_PHRASE_CHARS = 100


class StopTraining(Exception):
    """Raised from inside a training loop when the run must stop (model deleted, timeout)."""


class Checkpoint(Protocol):
    """Where a training run keeps its last epoch checkpoint: opaque bytes, stored by the caller."""

    def read(self) -> bytes | None:
        """The last checkpoint written, or None."""

    def write(self, data: bytes) -> None:
        """Keep `data` in place of the last checkpoint."""


def family_of(model_dir: str | Path) -> str:
    """The family a model directory declares in model.json ("ctc" when it names none)."""
    meta_path = Path(model_dir) / "model.json"
    meta = {}
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
        except ValueError as exc:
            raise ModelLoadError(f"model.json is not valid JSON: {exc}") from exc
    family = meta.get("family", "ctc")
    if family not in FAMILIES:
        raise ModelLoadError(f"unknown model family {family!r} in {meta_path}")
    return family


def is_model_dir(path: str | Path) -> bool:
    """Whether a model directory is present (its files may still fail to load)."""
    path = Path(path)
    return (path / "model.json").is_file() or (path / "hyperparams.yaml").is_file()


def _family(model_dir: str | Path):
    return importlib.import_module(f"{__name__}.{family_of(model_dir)}")


def read_meta(model_dir: str | Path) -> dict:
    """A model directory's model.json ({} when it has none or it does not parse)."""
    try:
        return json.loads((Path(model_dir) / "model.json").read_text())
    except (OSError, ValueError):
        return {}


def languages(model_dir: str | Path) -> list[str]:
    """The language codes a model speaks: a multilingual base all of Whisper's, a custom model its own."""
    meta = read_meta(model_dir)
    if meta.get("language"):
        return [language_code(str(meta["language"]))]
    return list(meta.get("languages") or ["en"])


def spoken(model_dir: str | Path, language: str | None) -> str | None:
    """The language code to decode in: the model's own when it speaks one (a custom model keeps
    the language it was trained in, an English-only base English), else the one asked for."""
    own = languages(model_dir)
    code = own[0] if len(own) == 1 else language
    return language_code(code) if code else None


def transcribe(
    model_dir: str | Path,
    media_path: str | Path,
    *,
    language: str | None = None,
    phrases: list[str] | None = None,
) -> dict:
    """Transcribe any ffmpeg-readable file, of any length, in bounded memory, favouring `phrases`."""
    extra = _phrases_option(phrases)
    return _family(model_dir).transcribe(
        Path(model_dir), Path(media_path), language=spoken(model_dir, language), **extra
    )


def recognise(
    model_dir: str | Path,
    wav_paths: list[str],
    *,
    language: str | None = None,
    phrases: list[str] | None = None,
) -> list[str]:
    """Transcripts of short 16 kHz mono clips (at most 30 s each), as the model writes them."""
    extra = _phrases_option(phrases)
    return _family(model_dir).recognise(
        Path(model_dir), list(wav_paths), language=spoken(model_dir, language), **extra
    )


def takes_phrases(model_dir: str | Path) -> bool:
    """Whether this model's family can favour a phrase list (a CTC model raises PhrasesUnsupported)."""
    return _family(model_dir).TAKES_PHRASES


def _phrases_option(phrases: list[str] | None) -> dict:
    """{"phrases": [...]} for a family when there are phrases (stripped, blanks dropped), else {}:
    without phrases a family is called exactly as it always was. Raises PhrasesInvalid."""
    if not phrases:
        return {}
    if isinstance(phrases, str):
        raise PhrasesInvalid("phrases must be a list of strings, not one string")
    cleaned = []
    for phrase in phrases:
        if not isinstance(phrase, str):
            raise PhrasesInvalid(f"phrases must be strings, not {type(phrase).__name__}")
        phrase = " ".join(phrase.split())
        if len(phrase) > MAX_PHRASE_CHARS:
            raise PhrasesInvalid(
                f"The phrase {phrase[:40]!r}... has {len(phrase)} characters; at most {MAX_PHRASE_CHARS}."
            )
        if phrase:
            cleaned.append(phrase)
    if len(cleaned) > MAX_PHRASES:
        raise PhrasesInvalid(f"{len(cleaned)} phrases; at most {MAX_PHRASES}.")
    return {"phrases": cleaned} if cleaned else {}


def align_words(
    model_dir: str | Path, wav_path: str | Path, words: list[str], *, language: str | None = None
) -> tuple[list, float]:
    """Start, end and confidence (0-1) of each word of a known transcript in a 16 kHz mono WAV.

    Words the model cannot place get None. Memory depends on a window, not on the file."""
    return _family(model_dir).align_words(
        Path(model_dir), Path(wav_path), list(words), language=spoken(model_dir, language)
    )


def detect_language(model_dir: str | Path, media_path: str | Path, candidates: list[str]) -> dict:
    """The most likely of `candidates` in the first 30 s of speech of a file.

    Returns {"language", "probability" (among the candidates, 0-1), "speech_seconds"}; raises
    LanguageUnclear when there is too little speech, when no candidate is likely enough, or when
    the speech is in a language outside them (its `heard` names it)."""
    if len(languages(model_dir)) < 2:
        raise ModelLoadError(f"{model_dir} speaks one language and cannot tell languages apart")
    return _family(model_dir).detect_language(Path(model_dir), Path(media_path), list(candidates))


def align_lines(
    model_dir: str | Path, wav_path: str | Path, lines: list[str], *, language: str | None = None
) -> dict:
    """One timed segment per non-empty line, with warnings for lines that fit the audio poorly.

    `mismatch` is True when the text as a whole is not what the audio says; the
    thresholds are the family's own, calibrated on its models."""
    family = _family(model_dir)
    line_words = [line.split() for line in lines]
    timings, duration = family.align_words(
        Path(model_dir),
        Path(wav_path),
        [w for words in line_words for w in words],
        language=spoken(model_dir, language),
    )
    segments, warnings, cursor = [], [], 0
    for number, (line, words) in enumerate(zip(lines, line_words, strict=True), start=1):
        placed = [t for t in timings[cursor : cursor + len(words)] if t is not None]
        cursor += len(words)
        if not placed:
            segments.append(
                {"start": None, "end": None, "text": line, "confidence": 0.0, "low_confidence": True}
            )
            warnings.append(f"Line {number} could not be placed in the audio: {line[:60]!r}")
            continue
        score = math.exp(sum(math.log(max(t["confidence"], 1e-6)) for t in placed) / len(placed))
        segments.append(
            {
                "start": placed[0]["start"],
                "end": max(placed[-1]["end"], placed[0]["start"] + 0.05),
                "text": line,
                "confidence": round(score, 3),
                "low_confidence": score < family.LOW_CONFIDENCE,
            }
        )
        if score < family.LOW_CONFIDENCE:
            warnings.append(f"Line {number} matches the audio poorly (confidence {score:.2f}): {line[:60]!r}")
    mean = sum(s["confidence"] for s in segments) / max(1, len(segments))
    return {
        "segments": segments,
        "warnings": warnings,
        "duration": round(duration, 3),
        "mean_confidence": round(mean, 3),
        "mismatch": not any(s["start"] is not None for s in segments) or mean < family.MISMATCH_CONFIDENCE,
    }


def training_text(model_dir: str | Path) -> Callable[[str], tuple[str, set[str]]]:
    """How a transcript becomes a training target for this model: (text, characters dropped)."""
    return _family(model_dir).training_text(Path(model_dir))


def fine_tune(
    base_dir: str | Path,
    out_dir: str | Path,
    *,
    train_rows: list[dict],
    valid_rows: list[dict],
    test_rows: list[dict],
    work_dir: str | Path,
    rehearsal_seconds: float,
    meta: dict,
    log: Callable[[str], None] = print,
    on_progress: Callable[[float], bool] = lambda fraction: True,
    enter: Callable[[str, float], None] = lambda stage, progress: None,
    epochs: int | None = None,
    lr: float | None = None,
    anchor_rows: list[dict] | None = None,
    max_regression: float = 2.0,
    checkpoint: Checkpoint | None = None,
    shares: tuple[float, ...] | None = None,
    synthetic_speech: bool = False,
) -> dict:
    """Fine-tune a base on segments ({wav, text, duration}) and write a servable model to `out_dir`.

    `synthetic_speech`: some of the training speech was made from text by the offline voices. A
    family then learns no acoustics from the run (Whisper keeps its encoder frozen in every
    language): what it would learn is how those voices sound, not the customer's speakers.

    `anchor_rows` are everyday sentences in the model's language ({wav, text, duration}, never
    trained on): a family that blends the trained weights with the base's chooses how far by
    them, so that everyday speech gets no more than `max_regression` WER points worse (the
    regression gate's own limit) while the domain keeps as much of its gain as it can.

    `on_progress(fraction of training)` returning False stops the run (StopTraining);
    `enter(stage, progress)` announces the family's steps after training
    (progress 85-90). The written model is checked before this returns: a copy
    that does not serve like the trained one raises with the reason. Epochs and the
    learning rate follow the amount of data unless `epochs` and `lr` are given.

    `checkpoint` survives the worker: at each epoch end the run's state (weights, optimiser,
    schedule, best epoch, curve, random states) is written to it, and a call for the same run
    whose checkpoint holds one continues after that epoch, on the epochs and learning rate it
    started with, instead of starting over (progress resumes where that epoch ended). A
    checkpoint that cannot be read, or is another run's, is logged as a warning and training
    starts from the beginning.
    """
    return _family(base_dir).fine_tune(
        Path(base_dir),
        Path(out_dir),
        train_rows=train_rows,
        valid_rows=valid_rows,
        test_rows=test_rows,
        work_dir=Path(work_dir),
        rehearsal_seconds=rehearsal_seconds,
        meta=meta,
        log=log,
        on_progress=on_progress,
        enter=enter,
        epochs=epochs,
        lr=lr,
        anchor_rows=list(anchor_rows or []),
        max_regression=max_regression,
        checkpoint=checkpoint,
        synthetic_speech=synthetic_speech,
        **({"shares": tuple(shares)} if shares else {}),
    )


def common_words(model_dir: str | Path, *, language: str | None = None) -> Callable[[str], bool]:
    """Whether a lower-case word is everyday vocabulary for this base: what key terms are not.

    Whisper: the word is one token of its tokenizer (byte-pair merges follow frequency, so an
    everyday word is one piece and "apixaban" is three). CTC: its language model gives the word
    a probability above one in 100,000."""
    return _family(model_dir).common_words(Path(model_dir), spoken(model_dir, language))


def speech_regions(wav_path: str | Path) -> list[tuple[float, float]]:
    """Seconds of speech in a 16 kHz mono WAV, as Silero VAD (faster-whisper's) finds them."""
    from .vad import speech_regions

    return speech_regions(Path(wav_path))


def validate_model_dir(path: str | Path) -> None:
    """Raise :class:`ModelLoadError` unless ``path`` loads and runs."""
    try:
        _family(path).validate(Path(path))
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"{type(exc).__name__}: {exc}") from exc


def install_base_model(source: str, target: str | Path, *, log: Callable[[str], None] = print) -> dict:
    """Turn a source (model directory, Python package or hub id) into a checked model directory."""
    from .install import install

    return install(source, Path(target), log=log)


def clear_cache() -> None:
    for family in FAMILIES:
        module = sys.modules.get(f"{__name__}.{family}")
        if module is not None:
            module.clear_cache()


def cache_info() -> dict:
    return {
        family: sys.modules[f"{__name__}.{family}"].cache_info()
        for family in FAMILIES
        if f"{__name__}.{family}" in sys.modules
    }
