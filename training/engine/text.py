"""The text every word error rate here is computed on: the app's metrics, the engine's checks.

English goes through Whisper's English normaliser (whisper-normalizer; no torch): it lower-cases,
drops punctuation and fillers, writes numbers as digits, makes British spellings American and
expands contractions and titles, so a cased, punctuated transcript is scored on the same footing
as one without. Every other language goes through Whisper's basic normaliser, as Whisper's own
multilingual evaluations do: lower-cased, punctuation and symbols removed, accents kept (they
tell words apart in French, Spanish or Portuguese).
"""

from functools import cache

NORMALISERS = {
    "en": (
        "Whisper's English text normaliser (whisper-normalizer EnglishTextNormalizer): lower-case, "
        "punctuation and fillers removed, numbers written as digits, British spellings made American, "
        "contractions and titles expanded"
    ),
    "basic": (
        "Whisper's basic text normaliser (whisper-normalizer BasicTextNormalizer): lower-case, "
        "punctuation and symbols removed, accents kept"
    ),
}


@cache
def _english():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


@cache
def _basic():
    from whisper_normalizer.basic import BasicTextNormalizer

    return BasicTextNormalizer()


def language_code(language: str) -> str:
    """Whisper's code for a language code as the catalogue may write it ("en-US" -> "en")."""
    return language.lower().split("-")[0]


def is_english(language: str | None) -> bool:
    return language_code(language or "en") == "en"


def normaliser_name(language: str | None = "en") -> str:
    """How text in this language is normalised before scoring, in words."""
    return NORMALISERS["en" if is_english(language) else "basic"]


def normalise(text: str, language: str | None = "en") -> str:
    """The text as scored: normalised for its language, its words separated by single spaces."""
    normaliser = _english() if is_english(language) else _basic()
    return " ".join(normaliser(text).split())
