"""Training runs, their logs, and transcription jobs."""

from django.conf import settings
from django.db import models

from accounts.models import Organisation
from custom_models.models import CustomModel, Language


class TrainingRun(models.Model):
    """One accepted Train request, from the queue to Success or Failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    custom_model = models.ForeignKey(CustomModel, on_delete=models.CASCADE, related_name="training_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    skip_unmatched = models.BooleanField(default=False)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the trainer.")
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True, blank=True, help_text="The training child process.")
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    metrics = models.JSONField(null=True, blank=True)
    evaluation = models.JSONField(
        null=True,
        blank=True,
        help_text="Totals, key terms, the anchor set and the curve (training.evaluation).",
    )
    cancel_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Resume: a run whose trainer dies is queued again and continues from its last epoch's
    # checkpoint, up to TRAINING_MAX_ATTEMPTS times; `queued_at` is when it last entered the queue.
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Trainers that have taken it.")
    queued_at = models.DateTimeField(null=True, blank=True)
    # A run that succeeds is a version of its model (v1, v2, ...), servable from `model_path`.
    version = models.PositiveIntegerField(null=True, blank=True)
    model_path = models.CharField(max_length=500, blank=True, help_text="Under TRAINED_MODELS_DIR.")
    lineage = models.JSONField(
        null=True, blank=True, help_text="Its base, its data and its settings (training.versions)."
    )
    held_back = models.TextField(blank=True, help_text="Why the version was not made active by itself.")
    version_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["custom_model", "version"],
                condition=models.Q(version__isnull=False),
                name="one_run_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.custom_model} ({self.status})"


class EvaluationUtterance(models.Model):
    """One test-split utterance of a run's evaluation: what base and custom model heard."""

    class Outcome(models.TextChoices):
        IMPROVED = "improved", "Improved"
        WORSE = "worse", "Worse"
        UNCHANGED = "unchanged", "Unchanged"

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="utterances")
    position = models.PositiveIntegerField()
    clip = models.CharField(max_length=500, help_text="The clip's name in storage (16 kHz mono FLAC).")
    seconds = models.FloatField()
    reference = models.TextField()
    base_text = models.TextField()
    custom_text = models.TextField()
    base_wer = models.FloatField()
    custom_wer = models.FloatField()
    # Word alignments after normalisation: [{"op": "equal|substitute|insert|delete", "ref", "hyp"}].
    base_ops = models.JSONField(default=list)
    custom_ops = models.JSONField(default=list)
    # The custom model's hallucination and stability flags:
    # [{"kind": "loop|insertion_burst|no_speech", "text"}].
    flags = models.JSONField(default=list)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    flagged = models.BooleanField(default=False)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"], name="one_utterance_per_position")]
        indexes = [models.Index(fields=["run", "outcome"]), models.Index(fields=["run", "flagged"])]

    def __str__(self) -> str:
        return f"utterance {self.position} of run {self.run_id} ({self.outcome})"


class TrainingLogLine(models.Model):
    """One timestamped line of a model's training log, as `GET /{id}/log` shows it."""

    custom_model = models.ForeignKey(CustomModel, on_delete=models.CASCADE, related_name="log_lines")
    run = models.ForeignKey(
        TrainingRun, on_delete=models.CASCADE, null=True, blank=True, related_name="log_lines"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    stage = models.CharField(max_length=40, blank=True)
    level = models.CharField(max_length=10, default="info")
    message = models.TextField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"[{self.stage}] {self.message[:60]}"


class MediaJob(models.Model):
    """What transcription and alignment jobs share: the file, the model asked for, the state."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    language = models.ForeignKey(Language, on_delete=models.PROTECT, null=True, blank=True)
    custom_model = models.ForeignKey(CustomModel, on_delete=models.SET_NULL, null=True, blank=True)
    model_label = models.CharField(
        max_length=255, help_text="What the job was asked to use, kept after deletion."
    )
    filename = models.CharField(max_length=255)
    media = models.FileField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    duration = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"


class TranscriptionJob(MediaJob):
    """A file to transcribe with a base language or a custom model, run on the cluster."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="transcription_jobs"
    )
    text = models.TextField(blank=True)
    words = models.JSONField(default=list, blank=True)
    processing_seconds = models.FloatField(null=True, blank=True)
    # language=auto: how sure detection was of `language`, among the organisation's languages (0-1).
    language_probability = models.FloatField(null=True, blank=True)
    # The request's own phrase list (custom_models.vocabulary), favoured beside the model's.
    phrases = models.JSONField(default=list, blank=True)


class AlignmentJob(MediaJob):
    """Force alignment: an untimed transcript (one cue per line) timed against its audio."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="alignment_jobs")
    lines = models.JSONField(default=list, help_text="The transcript's non-empty lines, in order.")
    segments = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"alignment of {self.filename} ({self.status})"
