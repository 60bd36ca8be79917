from django.db.models import QuerySet

from custom_models.models import CustomModel
from training.models import TrainingLogLine


def training_log_list(
    *, model: CustomModel, after: int | None = None, limit: int = 1000
) -> QuerySet[TrainingLogLine]:
    """A model's log lines in order; `after` resumes from the last line id a poller saw."""
    lines = TrainingLogLine.objects.filter(custom_model=model)
    if after is not None:
        lines = lines.filter(pk__gt=after)
    return lines.order_by("pk")[:limit]
