"""Exceptions of the ASR engine (no heavy imports)."""


class ModelLoadError(Exception):
    """The directory is not a loadable SpeechBrain CTC model."""


class LanguageUnclear(Exception):
    """Language detection could not name the language with confidence (too little speech, or unclear)."""
