"""Transcription and alignment jobs made straight in the database, for the dashboard's tests."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from training.models import AlignmentJob, TranscriptionJob

WORDS = [
    {"word": "the", "start": 0.2, "end": 0.35},
    {"word": "patient", "start": 0.4, "end": 0.9},
    {"word": "has", "start": 1.0, "end": 1.2},
    {"word": "atrial", "start": 1.3, "end": 1.7},
    {"word": "fibrillation", "start": 1.75, "end": 2.5},
]


def stored(name: str, data: bytes = b"RIFF....WAVEfmt ") -> str:
    return default_storage.save(name, ContentFile(data))


def transcription(persona, *, status: str = "done", custom_model=None, **fields) -> TranscriptionJob:
    from custom_models.models import Language

    defaults = dict(
        organisation=persona.organisation,
        language=custom_model.language if custom_model else Language.objects.get(code="en"),
        custom_model=custom_model,
        model_label=custom_model.stt_name if custom_model else "en",
        filename="talk1.wav",
        media=stored("transcriptions/talk1.wav"),
        status=status,
    )
    if status == "done":
        defaults.update(words=WORDS, text=" ".join(w["word"] for w in WORDS), duration=2.6)
    return TranscriptionJob.objects.create(**{**defaults, **fields})


SEGMENTS = [
    {"start": 0.2, "end": 0.9, "text": "The patient", "confidence": 0.91},
    {"start": 1.0, "end": 2.5, "text": "has atrial fibrillation.", "confidence": 0.05},
    {"start": None, "end": None, "text": "Not in the audio.", "confidence": 0.0},
]


def alignment(persona, *, status: str = "done", media: str | None = None, **fields) -> AlignmentJob:
    from custom_models.models import Language

    defaults = dict(
        organisation=persona.organisation,
        language=Language.objects.get(code="en"),
        model_label="en",
        filename="talk1.wav",
        media=media or stored("alignments/talk1.wav"),
        lines=[s["text"] for s in SEGMENTS],
        status=status,
    )
    if status == "done":
        defaults.update(
            segments=SEGMENTS,
            warnings=[
                "Line 2 matches the audio poorly (confidence 0.20): 'has atrial fibrillation.'",
                "Line 3 could not be placed in the audio: 'Not in the audio.'",
            ],
            duration=2.6,
        )
    return AlignmentJob.objects.create(**{**defaults, **fields})
