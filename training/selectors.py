"""Reads for training and inference: logs, jobs, and which model directory serves a request."""

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet

from accounts.models import Organisation
from config.errors import ApplicationError
from custom_models.models import BaseModel, CustomModel, Domain, Language, TrainingStatus
from custom_models.selectors import published_language_get
from training.models import EvaluationUtterance, TrainingLogLine, TrainingRun, TranscriptionJob

CUSTOM_MODEL_NAME = re.compile(r"^custom_model_(\d+)$")


def training_log_list(
    *, model: CustomModel, after: int | None = None, limit: int = 1000
) -> QuerySet[TrainingLogLine]:
    """A model's log lines in order; `after` resumes from the last line id a poller saw."""
    lines = TrainingLogLine.objects.filter(custom_model=model)
    if after is not None:
        lines = lines.filter(pk__gt=after)
    return lines.order_by("pk")[:limit]


def model_path(path: str) -> Path:
    """A catalogue path: absolute, or relative to MODELS_DIR."""
    return Path(path) if Path(path).is_absolute() else Path(settings.MODELS_DIR) / path


def trained_model_path(path: str) -> Path:
    return Path(path) if Path(path).is_absolute() else Path(settings.TRAINED_MODELS_DIR) / path


def training_run_work_dir(run_id: int) -> Path:
    """A run's scratch space (prepared audio, features, checkpoints, temporary files)."""
    return Path(settings.TRAINING_WORK_DIR) / f"run-{run_id}"


def training_run_output_dir(*, model_id: int, run_id: int) -> Path:
    """Where a run packages its model; kept only when the run succeeds."""
    return Path(settings.TRAINED_MODELS_DIR) / str(model_id) / f"run-{run_id}"


def base_model_dir(*, language: Language, domain: str = Domain.GENERAL) -> Path:
    """The language's base for a domain; a domain without its own checkpoint falls back to general."""
    bases = {b.domain: b for b in BaseModel.objects.filter(language=language)}
    base = bases.get(domain) or bases.get(Domain.GENERAL)
    if base is None:
        raise ApplicationError(
            f"No base model is installed for {language.name}.",
            error_code="model_unavailable",
            status=503,
            details={"language": language.code},
        )
    return model_path(base.path)


@dataclass(frozen=True)
class ResolvedModel:
    """What serves a transcription: one code path for base and custom models."""

    path: Path
    label: str
    language: Language | None
    custom_model: CustomModel | None = None
    # language=auto: the languages to choose among; `path` is a multilingual base that tells them apart.
    candidates: tuple[str, ...] = ()


AUTO_LANGUAGE = "auto"


def usable_custom_models(*, organisation: Organisation) -> QuerySet[CustomModel]:
    """Custom models a transcription may use: enabled, not deleted, with an active version (also
    while a new version trains or after it failed: the active one keeps serving)."""
    return CustomModel.objects.alive().filter(
        Q(training_status=TrainingStatus.SUCCESS) | ~Q(model_path=""), organisation=organisation, enabled=True
    )


def stt_model_resolve(
    *, organisation: Organisation, language: str | None, model: str | None
) -> ResolvedModel:
    if model:
        match = CUSTOM_MODEL_NAME.match(model.strip())
        custom = (
            CustomModel.objects.alive().filter(organisation=organisation, pk=int(match.group(1))).first()
            if match
            else None
        )
        if custom is None:
            raise ApplicationError(
                f"Custom model {model!r} not found.",
                error_code="MODEL_NOT_FOUND",
                status=404,
                details={"model": model},
            )
        if custom.training_status != TrainingStatus.SUCCESS and not custom.model_path:
            raise ApplicationError(
                f"Custom model {model!r} is not trained yet (status: {custom.training_status_label}).",
                error_code="MODEL_NOT_READY",
                status=409,
            )
        if not custom.enabled:
            raise ApplicationError(
                f"Custom model {model!r} is disabled: {custom.disabled_reason or 'no reason given'}",
                error_code="MODEL_NOT_READY",
                status=409,
            )
        if language and language != custom.language.code:
            raise ApplicationError(
                f"Custom model {model!r} is trained on {custom.language.code}, not {language}.",
                error_code="invalid-language",
                status=400,
            )
        return ResolvedModel(
            path=trained_model_path(custom.model_path),
            label=custom.stt_name,
            language=custom.language,
            custom_model=custom,
        )
    if language == AUTO_LANGUAGE:
        return language_detector_resolve(organisation=organisation)
    if not language:
        raise ApplicationError(
            "Send language=<code> or model=custom_model_<id>.",
            error_code="INVALID_INPUT",
            status=422,
            details={"language": ["This field is required when no model is given."]},
        )
    language_obj = published_language_get(organisation=organisation, code=language)
    return ResolvedModel(
        path=base_model_dir(language=language_obj), label=language_obj.code, language=language_obj
    )


def language_detector_resolve(*, organisation: Organisation) -> ResolvedModel:
    """language=auto: the organisation's published languages that have a base, and a multilingual
    base among theirs to tell them apart."""
    from training import engine

    published = list(
        Language.objects.filter(publications__organisation=organisation, base_models__isnull=False)
        .distinct()
        .order_by("code")
    )
    for language in published:
        path = base_model_dir(language=language)
        if len(engine.languages(path)) > 1:
            return ResolvedModel(
                path=path,
                label=AUTO_LANGUAGE,
                language=None,
                candidates=tuple(lang.code for lang in published),
            )
    raise ApplicationError(
        "language=auto needs a multilingual base among your organization's languages; send language=<code>.",
        error_code="invalid-language",
        status=400,
    )


def language_detection_available(*, organisation: Organisation) -> bool:
    try:
        language_detector_resolve(organisation=organisation)
    except ApplicationError:
        return False
    return True


def transcription_job_get(*, organisation: Organisation, id: int) -> TranscriptionJob:
    job = TranscriptionJob.objects.filter(organisation=organisation, pk=id).first()
    if job is None:
        raise ApplicationError(f"Transcription {id} not found.", error_code="JOB_NOT_FOUND", status=404)
    return job


def transcription_job_list(*, organisation: Organisation) -> QuerySet[TranscriptionJob]:
    return TranscriptionJob.objects.filter(organisation=organisation).select_related(
        "custom_model", "language"
    )


def alignment_job_list(*, organisation: Organisation):
    from training.models import AlignmentJob

    return AlignmentJob.objects.filter(organisation=organisation).select_related("language", "custom_model")


def alignment_job_get(*, organisation: Organisation, id: int):
    from training.models import AlignmentJob

    job = AlignmentJob.objects.filter(organisation=organisation, pk=id).first()
    if job is None:
        raise ApplicationError(f"Alignment {id} not found.", error_code="JOB_NOT_FOUND", status=404)
    return job


# ---- A run's evaluation (training.evaluation) ------------------------------------------------

EVALUATION_FILTERS = ("improved", "worse", "unchanged", "flagged")


def training_run_evaluated_get(*, model: CustomModel) -> TrainingRun:
    """The run of the model's active version (else its latest succeeded one), with its evaluation;
    MODEL_NOT_READY while there is none, or when that run predates evaluations."""
    succeeded = model.training_runs.filter(status=TrainingRun.Status.SUCCEEDED)
    run = succeeded.filter(version=model.active_version).first() or succeeded.first()
    if run is None or not run.evaluation:
        raise ApplicationError(
            f"Custom model {model.pk} has no evaluation: it has no evaluated training run yet.",
            error_code="MODEL_NOT_READY",
            status=409,
        )
    return run


def evaluation_utterance_list(
    *, run: TrainingRun, outcome: str | None = None
) -> QuerySet[EvaluationUtterance]:
    """A run's test-split utterances in order; `outcome` is one of EVALUATION_FILTERS
    (improved, worse, unchanged, or flagged for any hallucination or stability flag)."""
    utterances = run.utterances.order_by("position")
    if outcome == "flagged":
        return utterances.filter(flagged=True)
    if outcome:
        return utterances.filter(outcome=outcome)
    return utterances


def evaluation_utterance_get(*, run: TrainingRun, position: int) -> EvaluationUtterance:
    utterance = run.utterances.filter(position=position).first()
    if utterance is None:
        raise ApplicationError(
            f"Run {run.pk} has no utterance {position}.", error_code="NOT_FOUND", status=404
        )
    return utterance


# ---- Versions (training.versions) ------------------------------------------------------------


def custom_model_version_list(*, model: CustomModel) -> QuerySet[TrainingRun]:
    """The model's versions, newest first: its succeeded runs whose files were not deleted."""
    return model.training_runs.filter(
        status=TrainingRun.Status.SUCCEEDED, version__isnull=False, version_deleted_at__isnull=True
    ).order_by("-version")


def custom_model_version_get(*, model: CustomModel, version: int) -> TrainingRun:
    run = custom_model_version_list(model=model).filter(version=version).first()
    if run is None:
        raise ApplicationError(
            f"Custom model {model.pk} has no version {version}.", error_code="VERSION_NOT_FOUND", status=404
        )
    return run


def custom_models_with_versions(*, language: Language, domain: str) -> list[tuple[CustomModel, str]]:
    """A language's live custom models that have a version, each with the sha256 of the base its
    active version trained on ("" when not recorded)."""
    models = CustomModel.objects.alive().filter(language=language, base_model=domain).exclude(model_path="")
    runs = {
        run.custom_model_id: run
        for run in TrainingRun.objects.filter(custom_model__in=models, version__isnull=False).select_related(
            "custom_model"
        )
        if run.version == run.custom_model.active_version
    }
    return [
        (
            model,
            ((runs[model.pk].lineage or {}).get("base") or {}).get("sha256", "") if model.pk in runs else "",
        )
        for model in models.order_by("pk")
    ]
