"""Exceptions of the ASR engine (no heavy imports)."""


class ModelLoadError(Exception):
    """The directory is not a loadable SpeechBrain CTC model."""
