"""Presentation helpers for the dashboard's job tables and result pages."""

from django import template

register = template.Library()

# The badge colours of the training statuses, reused: queued amber, running sky, done green, failed red.
JOB_STATUS_CLASSES = {"queued": "status-2", "running": "status-3", "done": "status-4", "failed": "status-5"}


@register.filter
def job_status_class(status: str) -> str:
    return JOB_STATUS_CLASSES.get(status, "status-1")


@register.filter
def job_model(job) -> str:
    """What a job ran with: a custom model's name, else the label saved with the job
    (a deleted model's `custom_model_<id>`), else the base language's name (with how sure
    detection was, for a job sent with language=auto)."""
    model = job.custom_model
    if model is not None and model.deleted_at is None:
        return model.name
    if model is not None or job.model_label.startswith("custom_model_"):
        return f"{job.model_label} (deleted)"
    if job.model_label == "auto":  # the language was detected, or is still to be
        probability = getattr(job, "language_probability", None)
        if job.language and probability is not None:
            return f"{job.language.name} (detected, {probability:.0%})"
        return job.language.name + " (detected)" if job.language else "Detect the language"
    return job.language.name if job.language else job.model_label


@register.filter
def clock(seconds) -> str:
    """1:05, or 1:02:05 for an hour or more; empty when unknown."""
    if seconds is None:
        return ""
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def seconds(value) -> str:
    """A time for a data- attribute: dot decimal whatever the locale."""
    return "" if value is None else f"{float(value):.3f}"


@register.filter
def low_confidence(segment: dict) -> bool:
    """Flagged by the model that aligned it (each family has its own scale of confidence);
    segments stored before the flag existed use the CTC threshold they were aligned with."""
    if segment.get("start") is None:
        return True
    return segment.get("low_confidence", (segment.get("confidence") or 0.0) < 0.1)
