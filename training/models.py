"""Training runs and their logs."""

from django.db import models

from custom_models.models import CustomModel


class TrainingLogLine(models.Model):
    """One timestamped line of a model's training log, as `GET /{id}/log` shows it."""

    custom_model = models.ForeignKey(CustomModel, on_delete=models.CASCADE, related_name="log_lines")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    stage = models.CharField(max_length=40, blank=True)
    level = models.CharField(max_length=10, default="info")
    message = models.TextField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"[{self.stage}] {self.message[:60]}"
