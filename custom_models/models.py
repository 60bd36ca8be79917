"""Languages, their base models, custom models and quota claims."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation


class Domain(models.TextChoices):
    GENERAL = "general", "General"
    MEDICAL = "medical", "Medical"
    LEGAL = "legal", "Legal"
    TECHNICAL = "technical", "Technical"


class Language(models.Model):
    """A base language of the catalogue, e.g. "en" / "English (US)"."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    trainable = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BaseModel(models.Model):
    """Where a language's base model for one domain lives on disk (SpeechBrain layout)."""

    language = models.ForeignKey(Language, on_delete=models.CASCADE, related_name="base_models")
    domain = models.CharField(max_length=20, choices=Domain.choices, default=Domain.GENERAL)
    path = models.CharField(max_length=500, help_text="A directory; relative paths are under MODELS_DIR.")
    source = models.CharField(max_length=500, blank=True, help_text="Where it was installed from.")
    installed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "domain"], name="one_base_per_language_domain")
        ]

    def __str__(self) -> str:
        return f"{self.language.code}/{self.domain}"


class LanguagePublication(models.Model):
    """A language made available to an organisation (by the operator or its reseller)."""

    language = models.ForeignKey(Language, on_delete=models.CASCADE, related_name="publications")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="publications")
    granted_by = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="granted_publications"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "organisation"], name="one_publication_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.language.code} for {self.organisation}"


class TrainingStatus(models.IntegerChoices):
    NOT_RUNNING = 1, "Not running"
    PROVISIONING = 2, "Provisioning resources"
    RUNNING = 3, "Running"
    SUCCESS = 4, "Success"
    FAILED = 5, "Failed"


class CustomModelQuerySet(models.QuerySet):
    def alive(self) -> "CustomModelQuerySet":
        return self.filter(deleted_at__isnull=True)


class CustomModel(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="custom_models")
    name = models.CharField(max_length=200)
    key = models.CharField(
        max_length=200, help_text="Internal key derived from the name; unique per organisation."
    )
    language = models.ForeignKey(Language, on_delete=models.PROTECT, related_name="custom_models")
    base_model = models.CharField(max_length=20, choices=Domain.choices, default=Domain.GENERAL)
    description = models.TextField(blank=True)

    training_status = models.PositiveSmallIntegerField(
        choices=TrainingStatus.choices, default=TrainingStatus.NOT_RUNNING
    )
    training_progress = models.PositiveSmallIntegerField(default=0)
    training_metrics = models.JSONField(null=True, blank=True)
    status_message = models.TextField(blank=True)
    failure_code = models.CharField(
        max_length=40,
        blank=True,
        help_text="Why the last run failed: INSUFFICIENT_DATA, TRAINING_FAILED or CANCELLED.",
    )
    enabled = models.BooleanField(default=False)
    disabled_reason = models.TextField(blank=True)
    model_path = models.CharField(
        max_length=500, blank=True, help_text="The active version's directory: what transcriptions use."
    )
    active_version = models.PositiveIntegerField(null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = CustomModelQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            # Deleted models free their key: soft delete must not block reusing a name.
            models.UniqueConstraint(
                fields=["organisation", "key"],
                condition=Q(deleted_at__isnull=True),
                name="unique_live_key_per_org",
            )
        ]
        indexes = [models.Index(fields=["organisation", "deleted_at", "-updated_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def training_status_label(self) -> str:
        return TrainingStatus(self.training_status).label

    @property
    def can_train(self) -> bool:
        return self.training_status in {TrainingStatus.NOT_RUNNING, TrainingStatus.FAILED}

    @property
    def can_train_again(self) -> bool:
        """A new version may train from Success or Failed once a version exists (the panel's
        "Train a new version"); `can_train` is the first training's button, as the spec has it."""
        return self.training_status in {TrainingStatus.SUCCESS, TrainingStatus.FAILED} and bool(
            self.model_path
        )

    @property
    def can_start_training(self) -> bool:
        return self.can_train or self.can_train_again

    @property
    def stt_name(self) -> str:
        """How transcription requests name this model."""
        return f"custom_model_{self.pk}"


class QuotaClaim(models.Model):
    """One unit of training or hosting taken against an organisation's plan in a billing period."""

    class Kind(models.TextChoices):
        TRAINING = "training", "Training"
        HOSTING = "hosting", "Hosting"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="claims")
    custom_model = models.ForeignKey(CustomModel, on_delete=models.SET_NULL, null=True, related_name="claims")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    period = models.DateField(help_text="First day of the billing period (a calendar month).")
    price = models.DecimalField(max_digits=10, decimal_places=2, help_text="0 within the fair-use limit.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "kind", "period"])]

    def __str__(self) -> str:
        return f"{self.kind} claim of {self.organisation} for {self.period:%Y-%m}"


class Vocabulary(models.Model):
    """Words an organisation teaches without recording them: a phrase list that decoding favours,
    and display rules that rewrite what the model writes. Either a custom model's, or the
    organisation's for a base language (custom_models.vocabulary validates both)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="vocabularies")
    custom_model = models.OneToOneField(
        CustomModel, on_delete=models.CASCADE, null=True, blank=True, related_name="vocabulary"
    )
    language = models.ForeignKey(Language, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    phrases = models.JSONField(default=list, blank=True)
    # [{"written": what the model writes, "display": what the user wants}], whole words, any case.
    display_rules = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "language"],
                condition=Q(custom_model__isnull=True),
                name="one_vocabulary_per_org_language",
            ),
            models.CheckConstraint(
                condition=Q(custom_model__isnull=True, language__isnull=False)
                | Q(custom_model__isnull=False, language__isnull=True),
                name="vocabulary_of_a_model_or_a_language",
            ),
        ]

    def __str__(self) -> str:
        return f"vocabulary of {self.custom_model or self.language} ({len(self.phrases)} phrases)"
