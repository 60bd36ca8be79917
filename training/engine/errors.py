"""Exceptions of the ASR engine (no heavy imports)."""


class ModelLoadError(Exception):
    """The directory is not a loadable SpeechBrain CTC model."""


class LanguageUnclear(Exception):
    """Language detection could not name the language with confidence (too little speech, or unclear).

    `heard`: the language, outside the candidates, that the speech sounds like, when that is why."""

    def __init__(self, message: str, heard: str | None = None):
        super().__init__(message)
        self.heard = heard


class PhrasesUnsupported(Exception):
    """The model's family cannot bias its decoding towards a phrase list (a CTC model)."""


class PhrasesInvalid(ValueError):
    """A phrase list over the engine's limits: too many phrases, or a phrase too long."""
