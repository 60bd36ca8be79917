"""Dataset files of a custom model, and resumable (tus) uploads in flight."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q

from custom_models.models import CustomModel


class Kind(models.TextChoices):
    AUDIO = "audio", "Audio"
    TRANSCRIPT = "transcript", "Transcript"
    MANIFEST = "manifest", "Manifest"
    # Domain sentences with no audio, one a line, spoken by offline voices at training time.
    TEXT = "text", "Text"


class Split(models.TextChoices):
    TRAIN = "train", "Train"
    TEST = "test", "Test"


class DatasetFileQuerySet(models.QuerySet):
    def alive(self) -> "DatasetFileQuerySet":
        """Files neither deleted nor of a deleted model: a model's files vanish with it (soft
        delete, no restore) without custom_models, a lower layer, having to know of them."""
        return self.filter(deleted_at__isnull=True, custom_model__deleted_at__isnull=True)


class DatasetFile(models.Model):
    """One uploaded file. `name` is what the user called it; `file` is where its bytes
    live, under a generated name, so no user-chosen name ever becomes a path."""

    custom_model = models.ForeignKey(CustomModel, on_delete=models.CASCADE, related_name="dataset_files")
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    split = models.CharField(max_length=8, choices=Split.choices, default=Split.TRAIN)
    file = models.FileField(max_length=500)
    size = models.BigIntegerField(default=0)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds, measured with ffprobe.")
    converted_from = models.CharField(max_length=255, blank=True, help_text="The video this audio came from.")
    segment_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Cues or manifest rows; for a text file, its sentences."
    )
    manifest_audio = models.JSONField(default=list, blank=True, help_text="Audio names a manifest refers to.")
    started_at = models.DateTimeField(help_text="When the upload started.")
    finished_at = models.DateTimeField(help_text="When the upload finished.")
    deleted_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    objects = DatasetFileQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["custom_model", "name"],
                condition=Q(deleted_at__isnull=True),
                name="unique_live_file_name",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def stem(self) -> str:
        """Pairing key: the name without its extension, case-insensitive."""
        return PurePath(self.name).stem.lower()


class TusUpload(models.Model):
    """A resumable upload in progress. Its bytes are staged in a local file until complete."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    custom_model = models.ForeignKey(CustomModel, on_delete=models.CASCADE, related_name="tus_uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    filename = models.CharField(max_length=255)
    declared_type = models.CharField(max_length=12, default="auto")
    split = models.CharField(max_length=8, choices=Split.choices, default=Split.TRAIN)
    metadata = models.JSONField(default=dict)
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    dataset_file = models.ForeignKey(DatasetFile, on_delete=models.SET_NULL, null=True, blank=True)
    skipped = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.filename} ({self.offset}/{self.length})"
