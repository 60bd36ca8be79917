"""Dataset rows made directly, for rules that depend only on names, kinds and durations."""

from django.utils import timezone

from datasets.models import DatasetFile


def add_file(model, name: str, kind: str, duration: float | None = None, split: str = "train", **fields):
    now = timezone.now()
    return DatasetFile.objects.create(
        custom_model=model,
        name=name,
        kind=kind,
        split=split,
        file=f"datasets/test/{name}",
        duration=duration,
        started_at=now,
        finished_at=now,
        **fields,
    )


def add_pairs(model, count: int, seconds: float, split: str = "train", prefix: str = "talk"):
    for n in range(count):
        add_file(model, f"{prefix}{n}.wav", "audio", seconds, split)
        add_file(model, f"{prefix}{n}.vtt", "transcript", split=split)
