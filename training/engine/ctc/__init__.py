"""The `ctc` family: SpeechBrain `EncoderASR` models in SpeechBrain's pretrained layout
(hyperparams.yaml plus checkpoints), a character label set, and an optional word
n-gram LM with its lexicon. The starter model is one.

Training keeps the base's label set, mixes in the base's general speech
(rehearsal), adapts the LM to the customer's transcripts and writes the model in
the base's layout, so a custom model loads and decodes exactly like its base.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

# Whether decoding can favour a phrase list by score (engine.takes_phrases).
TAKES_PHRASES = False

# Measured with the starter model on synthetic speech: the right text scores 0.26-0.85
# per cue, unrelated text 0.000-0.002.
LOW_CONFIDENCE = 0.1
MISMATCH_CONFIDENCE = 0.05
# The unigram log10 probability above which the LM counts a word as everyday vocabulary.
COMMON_WORD_LOG10 = -5.0


def transcribe(
    model_dir: Path, media_path: Path, *, language: str | None = None, phrases: list[str] | None = None
) -> dict:
    _refuse_phrases(phrases)
    from .recognizer import transcribe

    return transcribe(model_dir, media_path)


def recognise(
    model_dir: Path, wav_paths: list[str], *, language: str | None = None, phrases: list[str] | None = None
) -> list[str]:
    _refuse_phrases(phrases)
    from .finetune import recognise

    return recognise(model_dir, wav_paths)


def _refuse_phrases(phrases: list[str] | None) -> None:
    """A CTC model's beam search has no phrase bonus: a list is refused, never silently ignored."""
    if phrases:
        from ..errors import PhrasesUnsupported

        raise PhrasesUnsupported(
            "This model (CTC family) cannot favour a phrase list; only Whisper models can."
        )


def align_words(
    model_dir: Path, wav_path: Path, words: list[str], *, language: str | None = None
) -> tuple[list, float]:
    from .forced_alignment import align_words

    return align_words(model_dir, wav_path, words)


def training_text(model_dir: Path) -> Callable[[str], tuple[str, set[str]]]:
    from .finetune import label_set, normalise_for_labels

    labels, _ = label_set(model_dir)
    return lambda text: normalise_for_labels(text, labels)


def common_words(model_dir: Path, language: str | None = None) -> Callable[[str], bool]:
    """A word is everyday for a CTC base when its language model gives it a unigram probability
    above one in 100,000 (the starter: "patient" 1e-4.0, "fibrillation" 1e-5.5)."""
    from .lm import read_unigram_log10

    unigrams = read_unigram_log10(model_dir)
    return lambda word: unigrams.get(word.lower(), -99.0) > COMMON_WORD_LOG10


def fine_tune(
    base_dir: Path,
    out_dir: Path,
    *,
    train_rows: list[dict],
    valid_rows: list[dict],
    test_rows: list[dict],
    work_dir: Path,
    rehearsal_seconds: float,
    meta: dict,
    log,
    on_progress,
    enter,
    epochs: int | None = None,
    lr: float | None = None,
    anchor_rows: list[dict] | None = None,
    max_regression: float = 2.0,
    checkpoint=None,
    shares: tuple[float, ...] | None = None,
    synthetic_speech: bool = False,
) -> dict:
    """`anchor_rows`, `max_regression` and `shares` are unused: a CTC model keeps everyday speech
    by rehearsing the base's general speech, not by blending weights. `synthetic_speech` is
    unused too: this family always trains its whole (small) acoustic model."""
    from . import finetune as ft
    from . import rehearsal

    # Epochs and learning rate follow the customer's data; the base data only rides along.
    scheduled_epochs, scheduled_lr = ft.schedule_for(sum(r["duration"] for r in train_rows))
    epochs, lr = epochs or scheduled_epochs, lr or scheduled_lr
    normalise = training_text(base_dir)
    general = rehearsal.rehearsal_rows(
        base_dir, work_dir, rehearsal_seconds, normalise=lambda text: normalise(text)[0]
    )
    if general:
        log(
            f"mixing in {sum(r['duration'] for r in general) / 60:.1f} min of the base's general speech "
            "so the model keeps recognising everyday language"
        )
    result = ft.finetune(
        base_dir,
        train_rows + general,
        valid_rows,
        epochs=epochs,
        lr=lr,
        log=log,
        on_progress=on_progress,
        checkpoint=checkpoint,
    )
    log(f"best epoch {result['best_epoch']} (valid WER {result['best_valid_wer']:.1%})")

    enter("language-model", 85)
    out_dir.mkdir(parents=True, exist_ok=True)
    lm_info = ft.adapt_lm(base_dir, out_dir, [r["text"] for r in train_rows])
    log(
        f"language model adapted: {lm_info['lexicon_words']} words, "
        f"{lm_info['domain_sentences']} domain sentences"
    )
    summary = {k: v for k, v in result.items() if k != "state"}
    ft.package(base_dir, out_dir, result["state"], {**meta, "family": "ctc", "fine_tuned": summary})
    return summary


def validate(model_dir: Path) -> None:
    from .recognizer import validate_model_dir

    validate_model_dir(model_dir)


def clear_cache() -> None:
    from .recognizer import clear_cache

    clear_cache()


def cache_info() -> dict:
    from .recognizer import cache_info

    return cache_info()
