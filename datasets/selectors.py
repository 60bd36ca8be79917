"""Reads for dataset files: listing, pairing by stem, and validation against the minimum rules."""

import re
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db.models import QuerySet

from config.errors import ApplicationError
from custom_models.models import CustomModel
from datasets.models import DatasetFile, Kind, Split

MIN_PAIRS = 2
MIN_FILES_WITHOUT_DURATIONS = 10
RECOMMENDED_HOURS = 5
SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
# When one stem has several transcripts, timed cues beat plain text.
TRANSCRIPT_PREFERENCE = {".vtt": 0, ".srt": 1, ".txt": 2}


def dataset_file_list(*, model: CustomModel) -> QuerySet[DatasetFile]:
    return DatasetFile.objects.alive().filter(custom_model=model).order_by("name", "pk")


def dataset_file_get(*, model: CustomModel, id: int) -> DatasetFile:
    dataset_file = dataset_file_list(model=model).filter(pk=id).first()
    if dataset_file is None:
        raise ApplicationError(
            f"Dataset file {id} not found.", error_code="FILE_NOT_FOUND", status=404, details={"id": id}
        )
    return dataset_file


def is_safe_filename(name: str) -> bool:
    return bool(SAFE_NAME.match(name))


@dataclass
class Pair:
    audio: DatasetFile
    transcript: DatasetFile

    @property
    def split(self) -> str:
        return self.audio.split

    def as_dict(self) -> dict:
        return {
            "audio": self.audio.name,
            "transcript": self.transcript.name,
            "split": self.split,
            "duration": self.audio.duration,
        }


@dataclass
class ValidationReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unmatched_audio: list[str] = field(default_factory=list)
    pairs: list[dict] = field(default_factory=list)
    total_minutes: float = 0.0
    text_sentences: int = 0
    # For the training refusals: which rule failed, beyond the messages.
    has_files: bool = False
    # Some file carries text to train on: a transcript, a manifest, or sentences of text.
    has_transcript: bool = False
    insufficient: bool = False  # too few pairs or minutes (the spec's INSUFFICIENT_DATA)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        data = asdict(self)
        del data["has_files"], data["has_transcript"], data["insufficient"]
        return data


def dataset_pairs(*, model: CustomModel) -> tuple[list[Pair], list[DatasetFile], list[str]]:
    """Audio paired with transcripts by stem (case-insensitive), or with a manifest that names it.

    Returns the pairs, the unmatched audio and warnings about the pairing.
    """
    files = list(dataset_file_list(model=model))
    audio = [f for f in files if f.kind == Kind.AUDIO]
    transcripts: dict[str, list[DatasetFile]] = {}
    for f in files:
        if f.kind == Kind.TRANSCRIPT:
            transcripts.setdefault(f.stem, []).append(f)
    manifests = [f for f in files if f.kind == Kind.MANIFEST]
    named_by_manifest = {name.lower(): m for m in manifests for name in m.manifest_audio}

    pairs, unmatched, warnings = [], [], []
    audio_stems = set()
    for a in audio:
        audio_stems.add(a.stem)
        candidates = sorted(
            transcripts.get(a.stem, []), key=lambda t: TRANSCRIPT_PREFERENCE.get(_ext(t.name), 9)
        )
        if candidates:
            if len(candidates) > 1:
                others = ", ".join(c.name for c in candidates[1:])
                warnings.append(
                    f"Several transcripts for '{a.name}': using '{candidates[0].name}', not {others}."
                )
            pairs.append(Pair(a, candidates[0]))
        elif a.name.lower() in named_by_manifest:
            pairs.append(Pair(a, named_by_manifest[a.name.lower()]))
        else:
            unmatched.append(a)
    for stem, group in transcripts.items():
        if stem not in audio_stems:
            warnings.extend(f"Transcript '{t.name}' has no matching audio." for t in group)
    uploaded = {a.name.lower() for a in audio}
    for m in manifests:
        missing = [name for name in m.manifest_audio if name.lower() not in uploaded]
        if missing:
            warnings.append(
                f"Manifest '{m.name}' refers to audio that is not uploaded: {', '.join(missing)}."
            )
    return pairs, unmatched, warnings


def _ext(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _audio_minimum_errors(pairs: list[Pair], known: bool, total_seconds: float, has_text: bool) -> list[str]:
    """What the paired audio lacks for the minimum (panel spec), in the spec's words."""
    errors = []
    if has_text and len(pairs) < MIN_PAIRS:
        errors.append(
            f"Dataset too small: at least {MIN_PAIRS} matched audio + transcript pairs are required "
            f"(found {len(pairs)})"
        )
    min_minutes = settings.DATASET_MIN_MINUTES
    if pairs and known and total_seconds < min_minutes * 60:
        errors.append(
            f"Need minimum {min_minutes:g} minutes total duration (found {total_seconds / 60:.1f} minutes)"
        )
    elif pairs and not known and len(pairs) < MIN_FILES_WITHOUT_DURATIONS:
        errors.append(
            f"Insufficient audio: at least {MIN_FILES_WITHOUT_DURATIONS} matched audio files are required "
            f"while durations are unknown (found {len(pairs)})"
        )
    return errors


def dataset_validate(*, model: CustomModel) -> ValidationReport:
    """Check the dataset against the minimum rules; starts nothing."""
    report = ValidationReport()
    files = list(dataset_file_list(model=model))
    report.has_files = bool(files)
    text_files = [f for f in files if f.kind == Kind.TEXT]
    report.text_sentences = sum(f.segment_count or 0 for f in text_files)
    report.has_transcript = any(f.kind in {Kind.TRANSCRIPT, Kind.MANIFEST} for f in files) or bool(text_files)
    if not files:
        report.errors.append("No data uploaded: upload audio files and their transcripts first.")
        return report
    if not report.has_transcript:
        report.errors.append("At least one transcript file is required")

    pairs, unmatched, warnings = dataset_pairs(model=model)
    report.pairs = [p.as_dict() for p in pairs]
    report.unmatched_audio = [a.name for a in unmatched]
    report.warnings.extend(warnings)

    durations = [p.audio.duration for p in pairs]
    known = all(d is not None for d in durations)
    total_seconds = sum(d for d in durations if d is not None)
    report.total_minutes = round(total_seconds / 60, 1)
    audio_errors = _audio_minimum_errors(pairs, known, total_seconds, report.has_transcript)
    min_sentences = settings.DATASET_MIN_TEXT_SENTENCES
    # Test-split text only measures: it counts in the report, not towards the minimum.
    train_sentences = sum(f.segment_count or 0 for f in text_files if f.split != Split.TEST)
    if text_files and audio_errors and train_sentences < min_sentences:
        # Either kind of data meets the minimum; the message names both.
        report.insufficient = True
        report.errors.append(
            f"At least {min_sentences} sentences of text, or {settings.DATASET_MIN_MINUTES:g} minutes of "
            f"paired audio, are required (found {train_sentences} sentences, "
            f"{total_seconds / 60:.1f} minutes)"
        )
    elif audio_errors and not text_files:
        report.insufficient = True
        report.errors.extend(audio_errors)
    elif text_files and audio_errors and pairs:
        report.warnings.append(
            f"The paired audio is below the minimum ({audio_errors[0]}); training goes ahead on the "
            f"{train_sentences} sentences of text, with the audio."
        )

    report.errors.extend(f"Unsafe filename: '{f.name}'" for f in files if not is_safe_filename(f.name))

    if text_files:
        report.warnings.append(
            f"{report.text_sentences} sentences of text will be spoken by offline voices "
            f"(at most {settings.TRAINING_MAX_SYNTHETIC_SENTENCES} a run): synthetic speech teaches words, "
            "not your speakers or recording conditions."
        )
    if total_seconds < RECOMMENDED_HOURS * 3600:
        report.warnings.append(
            f"Less than {RECOMMENDED_HOURS} hours of audio (found {total_seconds / 3600:.2f} hours): "
            f"{RECOMMENDED_HOURS}+ hours are recommended for the largest improvement."
        )
    if text_files and not pairs:
        report.warnings.append(
            "No audio: the model is measured on held-out sentences of text spoken by a voice that does "
            "not train (a synthetic test split)."
        )
    if pairs and not any(p.split == Split.TEST for p in pairs):
        report.warnings.append("No test data: 20% of the pairs will be held out to measure the model.")
    for p in pairs:
        if p.audio.split != p.transcript.split and p.transcript.kind == Kind.TRANSCRIPT:
            report.warnings.append(
                f"'{p.audio.name}' is in {p.audio.split} but '{p.transcript.name}' in {p.transcript.split}: "
                f"the audio's split is used."
            )
    if unmatched:
        report.warnings.append(
            f"{len(unmatched)} audio file(s) have no transcript and will be skipped: "
            + ", ".join(a.name for a in unmatched)
        )
    return report
