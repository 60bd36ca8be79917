"""Factories for a trained model's evaluation: a succeeded run, its report and its utterances.

Shared by the API, panel and browser tests of the Evaluation section. The clips are real
16 kHz mono FLACs in default_storage, a second or two of tone each.
"""

import io

import numpy as np
import soundfile as sf
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from custom_models.models import CustomModel, TrainingStatus
from custom_models.services import custom_model_create
from training.models import EvaluationUtterance, TrainingRun


# One capital letter per op (equal, substitute, insert, delete) keeps the alignments below readable.
def E(word: str) -> dict:
    return {"op": "equal", "ref": word, "hyp": word}


def S(ref: str, hyp: str) -> dict:
    return {"op": "substitute", "ref": ref, "hyp": hyp}


def I(hyp: str) -> dict:  # noqa: E743
    return {"op": "insert", "ref": None, "hyp": hyp}


def D(ref: str) -> dict:
    return {"op": "delete", "ref": ref, "hyp": None}


def words(text: str) -> list[dict]:
    return [E(w) for w in text.split()]


LOOP = "is stable is stable is stable"
# (reference, base text, custom text, base ops, custom ops, base WER, custom WER, outcome, flags)
UTTERANCES = [
    (
        "The patient has atrial fibrillation.",
        "The patient has a trial fibrillation.",
        "The patient has atrial fibrillation.",
        [*words("the patient has"), S("atrial", "a"), I("trial"), E("fibrillation")],
        words("the patient has atrial fibrillation"),
        40.0,
        0.0,
        "improved",
        [],
    ),
    (
        "Start apixaban five milligrams twice daily.",
        "Start a pixie band five milligrams twice daily.",
        "Start apixaban five milligrams daily.",
        [E("start"), S("apixaban", "a"), I("pixie"), I("band"), *words("5 milligrams twice daily")],
        [*words("start apixaban 5 milligrams"), D("twice"), E("daily")],
        50.0,
        16.67,
        "improved",
        [],
    ),
    (
        "Schedule an echocardiogram next week.",
        "Schedule an echocardiogram next week.",
        "Schedule an echo cardiogram next week.",
        words("schedule an echocardiogram next week"),
        [*words("schedule an"), S("echocardiogram", "echo"), I("cardiogram"), *words("next week")],
        0.0,
        40.0,
        "worse",
        [],
    ),
    (
        "Thank you.",
        "Thank you.",
        "Thank you.",
        words("thank you"),
        words("thank you"),
        0.0,
        0.0,
        "unchanged",
        [],
    ),
    (
        "The blood pressure is stable.",
        "The blood pressure is stable.",
        f"The blood pressure {LOOP}.",
        words("the blood pressure is stable"),
        [*words("the blood pressure is stable"), I("is"), I("stable"), I("is"), I("stable")],
        0.0,
        80.0,
        "worse",
        [{"kind": "loop", "text": LOOP}, {"kind": "insertion_burst", "text": "is stable is stable"}],
    ),
    (
        "Continue metoprolol and recheck troponin.",
        "Continue met a pro lol and recheck trope onin.",
        "Continue metoprolol and recheck troponin.",
        [
            E("continue"),
            S("metoprolol", "met"),
            I("a"),
            I("pro"),
            I("lol"),
            *words("and recheck"),
            S("troponin", "trope"),
            I("onin"),
        ],
        words("continue metoprolol and recheck troponin"),
        120.0,
        0.0,
        "improved",
        [],
    ),
]

EVALUATION = {
    "normaliser": "Whisper's English text normaliser",
    "totals": {
        "base": {
            "wer": 39.29,
            "cer": 21.4,
            "formatted_wer": 46.43,
            "substitutions": 4,
            "insertions": 7,
            "deletions": 0,
            "reference_words": 28,
        },
        "custom": {
            "wer": 25.0,
            "cer": 12.6,
            "formatted_wer": 32.14,
            "substitutions": 1,
            "insertions": 5,
            "deletions": 1,
            "reference_words": 28,
        },
        "utterances": 6,
        "improved": 3,
        "worse": 2,
        "unchanged": 1,
        "flagged": 1,
        "flags": {"loop": 1, "insertion_burst": 1, "no_speech": 0},
    },
    "terms": {
        "rule": "Rare words of the training transcripts, seen at least twice.",
        "recall": {"base": 20.0, "custom": 80.0},
        "items": [
            {
                "term": "atrial fibrillation",
                "occurrences": 1,
                "base_hits": 0,
                "custom_hits": 1,
                "base_recall": 0.0,
                "custom_recall": 100.0,
            },
            {
                "term": "apixaban",
                "occurrences": 1,
                "base_hits": 0,
                "custom_hits": 1,
                "base_recall": 0.0,
                "custom_recall": 100.0,
            },
            {
                "term": "echocardiogram",
                "occurrences": 1,
                "base_hits": 1,
                "custom_hits": 0,
                "base_recall": 100.0,
                "custom_recall": 0.0,
            },
            {
                "term": "metoprolol",
                "occurrences": 1,
                "base_hits": 0,
                "custom_hits": 1,
                "base_recall": 0.0,
                "custom_recall": 100.0,
            },
            {
                "term": "troponin",
                "occurrences": 1,
                "base_hits": 0,
                "custom_hits": 1,
                "base_recall": 0.0,
                "custom_recall": 100.0,
            },
        ],
    },
    "anchor": {
        "utterances": 22,
        "seconds": 71.5,
        "base_wer": 8.1,
        "custom_wer": 9.3,
        "change": 1.2,
        "max_regression": 2.0,
        "passed": True,
    },
    "curve": [
        {"epoch": 1, "loss": 2.41, "valid_loss": 1.9, "valid_wer": 31.5},
        {"epoch": 2, "loss": 1.52, "valid_loss": 1.41, "valid_wer": 24.0},
        {"epoch": 3, "loss": 1.1, "valid_loss": 1.3, "valid_wer": 21.25},
        {"epoch": 4, "loss": 0.87, "valid_loss": 1.28, "valid_wer": 20.5},
    ],
}


def flac_clip(name: str, seconds: float = 2.0, frequency: float = 440.0) -> tuple[str, bytes]:
    """A real 16 kHz mono FLAC saved to default_storage: its stored name and bytes."""
    t = np.arange(int(16000 * seconds)) / 16000
    buffer = io.BytesIO()
    sf.write(buffer, 0.3 * np.sin(2 * np.pi * frequency * t), 16000, format="FLAC", subtype="PCM_16")
    data = buffer.getvalue()
    return default_storage.save(f"evaluations/{name}", ContentFile(data)), data


def evaluated_run(model: CustomModel, evaluation: dict | None = None, **run_fields) -> TrainingRun:
    """A succeeded run of `model` with EVALUATION (or `evaluation`) and UTTERANCES, each with a clip."""
    run = TrainingRun.objects.create(
        custom_model=model,
        status=TrainingRun.Status.SUCCEEDED,
        evaluation=EVALUATION if evaluation is None else evaluation,
        **run_fields,
    )
    for position, row in enumerate(UTTERANCES):
        reference, base_text, custom_text, base_ops, custom_ops, base_wer, custom_wer, outcome, flags = row
        clip, _ = flac_clip(f"run-{run.pk}/{position:04d}.flac", frequency=330 + 110 * position)
        EvaluationUtterance.objects.create(
            run=run,
            position=position,
            clip=clip,
            seconds=2.0,
            reference=reference,
            base_text=base_text,
            custom_text=custom_text,
            base_wer=base_wer,
            custom_wer=custom_wer,
            base_ops=base_ops,
            custom_ops=custom_ops,
            flags=flags,
            outcome=outcome,
            flagged=bool(flags),
        )
    return run


def evaluated_model(persona, name: str = "Cardiology EN", **run_fields) -> CustomModel:
    """A model at Success whose latest run is evaluated."""
    model = custom_model_create(organisation=persona.organisation, name=name, language="en", by=persona.user)
    CustomModel.objects.filter(pk=model.pk).update(training_status=TrainingStatus.SUCCESS, enabled=True)
    model.refresh_from_db()
    evaluated_run(model, **run_fields)
    return model
