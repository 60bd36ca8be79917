"""Presentation helpers for panel templates."""

from django import template

from custom_models.models import TrainingStatus

register = template.Library()

# What each status means to the user, worded as the panel spec's status table.
STATUS_HELP = {
    TrainingStatus.NOT_RUNNING: "No training has started, or you can start a new one. "
    "Upload your datasets first.",
    TrainingStatus.PROVISIONING: "The training environment is being prepared. Training will start shortly.",
    TrainingStatus.RUNNING: "Training is in progress. This can take several hours depending on dataset size.",
    TrainingStatus.SUCCESS: "Training is done. The model is now usable for new transcriptions: pick it from "
    "the language dropdown when you upload a file.",
    TrainingStatus.FAILED: "Something went wrong. Review the datasets and start training again.",
}


@register.filter
def status_help(status: int) -> str:
    return STATUS_HELP.get(status, "")


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour up; a dash when unknown."""
    if seconds is None:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def data_minutes(lineage: dict | None) -> dict | None:
    """A version's data in minutes, from its lineage: train (the validation part is carved out of
    the uploaded train split, so it counts there), test and their total; None when not recorded."""
    minutes = ((lineage or {}).get("data") or {}).get("minutes")
    if not minutes:
        return None
    train = (minutes.get("train") or 0) + (minutes.get("valid") or 0)
    test = minutes.get("test") or 0
    return {"train": train, "test": test, "total": train + test}
