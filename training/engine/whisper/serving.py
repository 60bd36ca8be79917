"""Serving a Whisper model from its CTranslate2 copy: loading and caching it, transcription
(faster-whisper) and recognition of short clips. Forced alignment of a known transcript, which
loads the model from here, is in `alignment`.

A phrase list biases decoding by score (`biasing`: n-best plus sound-alike substitutions,
rescored with a bounded bonus); without one the path is exactly the unbiased one.

Importing this module is cheap (the family's `__init__` reads the alignment thresholds
from `alignment`, which imports it); numpy, faster-whisper and CTranslate2 are imported
when first used.

faster-whisper always gets float32 16 kHz arrays decoded by our own ffmpeg
streaming (`engine.audio`): its PyAV decoder fails with av 19, and a whole file
would not fit in bounded memory.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from .. import read_meta, spoken
from ..cache import ModelCache
from ..errors import ModelLoadError
from . import CTRANSLATE2_DIR

SAMPLE_RATE = 16000
CACHE_SIZE = 2
CPU_THREADS_ENV = "ASR_CPU_THREADS"

# transcribe(): faster-whisper gets windows of at most this many seconds, cut at a quiet point.
# Peak memory grows with the window (VAD and mel features of the whole window): about 300 MB
# over the model for 300 s of dense speech, 190 MB for 120 s; speed is the same within noise.
WINDOW_SECONDS = 300.0
MIN_WINDOW_SECONDS = 240.0
# Settings against repetition loops and text invented over silence.
TRANSCRIBE_OPTIONS = {
    "beam_size": 5,
    "word_timestamps": True,
    "vad_filter": True,
    "condition_on_previous_text": False,
    "temperature": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
    "compression_ratio_threshold": 2.4,
    "log_prob_threshold": -1.0,
    "no_speech_threshold": 0.6,
    "hallucination_silence_threshold": 2.0,
}
RECOGNISE_OPTIONS = {
    "beam_size": 5,
    "without_timestamps": True,
    "word_timestamps": False,
    "vad_filter": False,
    "condition_on_previous_text": False,
    "temperature": 0.0,  # deterministic, so base and fine-tuned scores compare
    # faster-whisper's defaults, named because the batched path (_decode_batch) applies them too:
    # a window is dropped as silence when both hold.
    "no_speech_threshold": 0.6,
    "log_prob_threshold": -1.0,
}


_cache: ModelCache = ModelCache(CACHE_SIZE)


def _ct2_dir(model_dir: Path) -> Path:
    return Path(model_dir).resolve() / CTRANSLATE2_DIR


def _cache_key(model_dir: Path, compute_type: str) -> str:
    ct2 = _ct2_dir(model_dir)
    weights = ct2 / "model.bin"
    mtime = weights.stat().st_mtime_ns if weights.exists() else 0
    return f"{ct2}:{mtime}:{compute_type}"


def compute_type_of(model_dir: Path) -> str:
    """How the model computes where it serves: float16 on a GPU; on a CPU the precision its
    export check chose (model.json "serving"), int8 for a base or a model from before that check."""
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        return "float16"
    return (read_meta(model_dir).get("serving") or {}).get("compute_type") or "int8"


def _cpu_threads() -> int:
    value = os.environ.get(CPU_THREADS_ENV, "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _load_uncached(model_dir: Path, compute_type: str | None = None):
    ct2 = _ct2_dir(model_dir)
    # Without tokenizer.json faster-whisper would try to download one.
    missing = [name for name in ("model.bin", "config.json", "tokenizer.json") if not (ct2 / name).is_file()]
    if missing:
        raise ModelLoadError(f"{ct2} is not a CTranslate2 Whisper model (missing {', '.join(missing)})")
    import ctranslate2
    from faster_whisper import WhisperModel

    device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    compute_type = compute_type or compute_type_of(model_dir)
    try:
        return WhisperModel(
            str(ct2),
            device=device,
            compute_type=compute_type,
            cpu_threads=_cpu_threads(),
            local_files_only=True,
        )
    except Exception as exc:
        raise ModelLoadError(f"cannot load {ct2}: {type(exc).__name__}: {exc}") from exc


def load(model_dir: Path, compute_type: str | None = None):
    """The model's `faster_whisper.WhisperModel`, cached per process (a new model.bin reloads);
    computing as it serves unless `compute_type` says otherwise (the export check compares)."""
    compute_type = compute_type or compute_type_of(model_dir)
    key = _cache_key(model_dir, compute_type)
    return _cache.get(key, lambda: _load_uncached(model_dir, compute_type))


def cache_info() -> dict:
    return _cache.info()


def clear_cache() -> None:
    _cache.clear()


def spoken_language(model_dir: Path, model, language: str | None = None) -> str | None:
    """English-only models speak "en"; a multilingual one model.json's language (a custom model
    keeps its own), else the one asked for, else None (faster-whisper detects it)."""
    return spoken(model_dir, language) if model.model.is_multilingual else "en"


def validate(model_dir: Path) -> None:
    """Raise ModelLoadError unless the CTranslate2 copy loads and decodes a second of noise."""
    import numpy as np

    model = _load_uncached(Path(model_dir))
    noise = np.random.default_rng(0).normal(0, 0.01, SAMPLE_RATE).astype(np.float32)
    try:
        segments, _ = model.transcribe(
            noise, language=spoken_language(model_dir, model) or "en", **RECOGNISE_OPTIONS
        )
        list(segments)
    except Exception as exc:
        raise ModelLoadError(
            f"model in {model_dir} failed on a test input: {type(exc).__name__}: {exc}"
        ) from exc


def transcribe(
    model_dir: Path,
    media_path: Path,
    *,
    language: str | None = None,
    max_chunk_s: float = WINDOW_SECONDS,
    phrases: list[str] | None = None,
) -> dict:
    """Transcribe any ffmpeg-readable file in windows of at most `max_chunk_s` seconds, favouring
    `phrases` by score (`biasing`; None or [] decodes exactly as without).

    Returns {"text", "words": [{"word", "start", "end"}], "duration", "processing_s", "chunks"};
    times in seconds from the start of the file."""
    from .. import audio

    model = _with_phrases(load(model_dir), phrases)
    language = spoken_language(model_dir, model, language)
    started = time.monotonic()
    texts, words, duration, chunks = [], [], 0.0, 0
    blocks = audio.stream_pcm(media_path)
    min_chunk_s = max_chunk_s * MIN_WINDOW_SECONDS / WINDOW_SECONDS
    for chunk in audio.chunk_stream(blocks, max_chunk_s=max_chunk_s, min_chunk_s=min_chunk_s):
        chunks += 1
        duration = chunk.offset + chunk.duration
        if chunk.duration < 0.1:
            continue
        segments, _ = model.transcribe(chunk.samples, language=language, **TRANSCRIBE_OPTIONS)
        for segment in segments:
            if segment.text.strip():
                texts.append(segment.text.strip())
            for word in segment.words or []:
                text = word.word.strip()
                if not text:
                    continue
                start = min(max(chunk.offset + word.start, words[-1]["start"] if words else 0.0), duration)
                end = min(max(chunk.offset + word.end, start), duration)
                words.append({"word": text, "start": round(float(start), 3), "end": round(float(end), 3)})
    return {
        "text": " ".join(texts).strip(),
        "words": words,
        "duration": round(duration, 3),
        "processing_s": round(time.monotonic() - started, 3),
        "chunks": chunks,
    }


def _with_phrases(model, phrases: list[str] | None):
    """The model itself without phrases; with them, a per-call copy whose decoding favours them."""
    if not phrases:
        return model
    from .biasing import biased

    return biased(model, phrases)


def token_probabilities(
    model_dir: Path, features, prefix: list[int], text_ids: list[int], *, compute_type: str = "float32"
) -> list[float]:
    """The probability the served copy gives each of `text_ids` after `prefix`, teacher-forced on
    log-mel `features` (80 x 3000, float32; CTranslate2's Whisper.align): the export check gives
    both copies the same features and compares their probabilities."""
    import ctranslate2
    import numpy as np

    if not text_ids:
        return []
    model = load(model_dir, compute_type)
    batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], dtype=np.float32))
    encoder_output = model.model.encode(batch, to_cpu=False)
    result = model.model.align(encoder_output, prefix, [text_ids], features.shape[-1])[0]
    return [float(p) for p in result.text_token_probs]
