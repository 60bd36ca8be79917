"""Word and character error rates as the API reports them.

Both sides go through Whisper's text normaliser for the language before scoring (the English one
for English, the basic one for every other language; training.engine.text), so a cased,
punctuated transcript is not charged for "Dr." against "doctor", "colour" against "color" or
"25" against "twenty-five", and a model that writes no punctuation (a CTC base) is scored on the
same footing as one that does.

The language is the run's (or the benchmark's): `with scoring(code):` sets it for everything
scored inside, the evaluation's many small scorers included; English when none is set.
"""

import contextlib
import contextvars

import jiwer

from training.engine import text

_language: contextvars.ContextVar[str] = contextvars.ContextVar("scoring_language", default="en")


@contextlib.contextmanager
def scoring(language: str):
    """Score in `language` inside this block."""
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def normalise(value: str) -> str:
    return text.normalise(value, _language.get())


def normaliser_name() -> str:
    """The normaliser the scores inside the current block use, in words (reported with them)."""
    return text.normaliser_name(_language.get())


def error_rates(references: list[str], hypotheses: list[str]) -> tuple[float, float]:
    """WER and CER in percent, on normalised text (unrounded)."""
    refs = [normalise(r) for r in references]
    hyps = [normalise(h) for h in hypotheses]
    keep = [i for i, r in enumerate(refs) if r]
    if not keep:
        raise ValueError("no reference text to score")
    refs, hyps = [refs[i] for i in keep], [hyps[i] for i in keep]
    return jiwer.wer(refs, hyps) * 100, jiwer.cer(refs, hyps) * 100


def training_metrics(
    *,
    references: list[str],
    base_hypotheses: list[str],
    custom_hypotheses: list[str],
    training_seconds: float,
) -> dict:
    """The API's `training_metrics`: test-split WER/CER, relative gain over the base, hours."""
    base_wer, base_cer = error_rates(references, base_hypotheses)
    wer, cer = error_rates(references, custom_hypotheses)
    improvement = (base_wer - wer) / base_wer * 100 if base_wer > 0 else 0.0
    return {
        "word_error_rate": round(wer, 2),
        "character_error_rate": round(cer, 2),
        "accuracy_improvement": round(improvement, 2),
        "training_hours": round(training_seconds / 3600, 3),
        "base_word_error_rate": round(base_wer, 2),
        "base_character_error_rate": round(base_cer, 2),
        "test_utterances": len(references),
        "normaliser": normaliser_name(),
    }
