"""Exceptions of the ASR engine (no heavy imports)."""


class ModelLoadError(Exception):
    """The directory is not a loadable SpeechBrain CTC model."""


class LanguageUnclear(Exception):
    """Language detection could not name the language with confidence (too little speech, or unclear)."""


class PhrasesUnsupported(Exception):
    """The model's family cannot bias its decoding towards a phrase list (a CTC model)."""


class PhrasesInvalid(ValueError):
    """A phrase list over the engine's limits: too many phrases, or a phrase too long."""
