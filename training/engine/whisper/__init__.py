"""The `whisper` family: OpenAI Whisper checkpoints, kept as two copies in one model directory.

    model.json      {"family": "whisper", ...}: source, sha256 of the source weights, checks
    pytorch/        the trainable copy, Hugging Face layout (config.json, model.safetensors,
                    tokenizer and preprocessor files), loaded by SpeechBrain's Whisper integration
    ctranslate2/    the serving copy (int8 weights), used by faster-whisper to transcribe and
                    by CTranslate2's Whisper.align to time a known transcript

Submodules: `convert` (CTranslate2 <-> Hugging Face) and `hf_files` (the Hugging Face
directory's files it writes), `serving` (loading, transcription, recognition of short
clips), `alignment` (forced alignment of a known transcript), `detection` (language=auto),
`training` (the fine-tune: `fine_tune`, and clips transcribed by the PyTorch copy) with its
parts `windows` (packing, targets, decoding, WER), `brain` (the SpeechBrain training loop) and
`export` (export and the parity check). Targets keep the casing and punctuation of the user's text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

PYTORCH_DIR = "pytorch"
CTRANSLATE2_DIR = "ctranslate2"

# Alignment confidences are CTranslate2's per-token probabilities of the known text
# (geometric mean per word); see alignment.py for how they were calibrated.
from .alignment import LOW_CONFIDENCE as LOW_CONFIDENCE  # noqa: E402
from .alignment import MISMATCH_CONFIDENCE as MISMATCH_CONFIDENCE  # noqa: E402

# Whether decoding can favour a phrase list by score (engine.takes_phrases).
TAKES_PHRASES = True


def transcribe(
    model_dir: Path, media_path: Path, *, language: str | None = None, phrases: list[str] | None = None
) -> dict:
    from .serving import transcribe

    return transcribe(model_dir, media_path, language=language, phrases=phrases)


def recognise(
    model_dir: Path, wav_paths: list[str], *, language: str | None = None, phrases: list[str] | None = None
) -> list[str]:
    from .recognition import recognise

    return recognise(model_dir, wav_paths, language=language, phrases=phrases)


def align_words(
    model_dir: Path, wav_path: Path, words: list[str], *, language: str | None = None
) -> tuple[list, float]:
    from .alignment import align_words

    return align_words(model_dir, wav_path, words, language=language)


def detect_language(model_dir: Path, media_path: Path, candidates: list[str]) -> dict:
    from .detection import detect_language

    return detect_language(model_dir, media_path, candidates)


def training_text(model_dir: Path) -> Callable[[str], tuple[str, set[str]]]:
    """Whisper writes cased, punctuated text, so a transcript trains as the user wrote it
    (whitespace collapsed); nothing is dropped."""
    return lambda text: (" ".join(text.split()), set())


# A word is everyday for Whisper when its tokenizer writes it (after a space) in at most this many
# tokens. Whisper's byte-pair merges favour English: in English an everyday word is one piece. In
# other languages, measured on the multilingual base's tokenizer: 88 % of the distinct words of the
# German everyday sentences (training/sentences/everyday) and 82 % of the Dutch are one or two
# pieces, while every German medical term of bench/domains and 82 % of the Dutch legal ones are
# three or more.
COMMON_WORD_TOKENS = {"en": 1}
COMMON_WORD_TOKENS_OTHER = 2


def common_words(model_dir: Path, language: str | None = None) -> Callable[[str], bool]:
    """A word is everyday for Whisper when its tokenizer writes it (after a space) in few tokens."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / CTRANSLATE2_DIR / "tokenizer.json"))
    from ..text import language_code

    most = COMMON_WORD_TOKENS.get(language_code(language or "en"), COMMON_WORD_TOKENS_OTHER)
    return lambda word: len(tokenizer.encode(f" {word}", add_special_tokens=False).ids) <= most


def fine_tune(base_dir: Path, out_dir: Path, **kwargs) -> dict:
    from .training import fine_tune

    return fine_tune(base_dir, out_dir, **kwargs)


def validate(model_dir: Path) -> None:
    from .serving import validate

    validate(model_dir)


def clear_cache() -> None:
    from .serving import clear_cache

    clear_cache()


def cache_info() -> dict:
    from .serving import cache_info

    return cache_info()
