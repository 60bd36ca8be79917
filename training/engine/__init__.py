"""ASR engine: the only part of the project that uses torch / speechbrain.

Importing this package is cheap: torch, torchaudio and speechbrain are imported
only when a function below is first called.

Public API::

    load_model(model_dir) -> LoadedModel            # LRU-cached per process (4 entries)
    transcribe(model_dir, media_path, *, decoder="auto"|"greedy"|"beam") -> dict
        {"text": str, "words": [{"word", "start", "end"}], "duration": float, ...}
    validate_model_dir(path) -> None                # raises ModelLoadError
    align(model_dir, media_path, text) -> dict      # CTC forced alignment
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "load_model",
    "transcribe",
    "validate_model_dir",
    "align",
    "ModelLoadError",
    "clear_cache",
    "cache_info",
]


from .errors import ModelLoadError


def _inference():
    from . import inference

    return inference


def load_model(model_dir: str | Path):
    """Load (or fetch from the per-process LRU cache) a SpeechBrain CTC model dir."""
    return _inference().load_model(model_dir)


def transcribe(model_dir: str | Path, media_path: str | Path, *, decoder: str = "auto") -> dict:
    """Transcribe an ffmpeg-readable file; see :func:`inference.transcribe`."""
    return _inference().transcribe(model_dir, media_path, decoder=decoder)


def validate_model_dir(path: str | Path) -> None:
    """Raise :class:`ModelLoadError` unless ``path`` loads and runs."""
    try:
        _inference().validate_model_dir(path)
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"{type(exc).__name__}: {exc}") from exc


def align(model_dir: str | Path, media_path: str | Path, text: str) -> dict:
    """Word timings for a known transcript (CTC forced alignment)."""
    return _inference().align(model_dir, media_path, text)


def clear_cache() -> None:
    _inference().clear_cache()


def cache_info() -> dict:
    return _inference().cache_info()
