"""The text every word error rate here is computed on: the app's metrics, the engine's checks.

Whisper's English normaliser (whisper-normalizer; no torch) lower-cases, drops punctuation and
fillers, writes numbers as digits, makes British spellings American and expands contractions and
titles, so a cased, punctuated transcript is scored on the same footing as one without.
"""

from functools import cache


@cache
def _english():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def normalise(text: str) -> str:
    """The text as scored: normalised, its words separated by single spaces."""
    return " ".join(_english()(text).split())
