from datetime import UTC

from rest_framework import serializers

from custom_models.models import CustomModel, Domain, Language


class LanguageOutput(serializers.ModelSerializer):
    class Meta:
        model = Language
        fields = ["code", "name"]


class LanguageListOutput(serializers.Serializer):
    results = LanguageOutput(many=True)


class CustomModelCreateInput(serializers.Serializer):
    # Length rules live in the service, so the panel and the API refuse alike.
    name = serializers.CharField(max_length=200, trim_whitespace=True, allow_blank=True)
    language = serializers.CharField(max_length=20)
    base_model = serializers.ChoiceField(choices=Domain.choices, default=Domain.GENERAL)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CustomModelUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    # Accepted only when unchanged: the base is fixed at creation.
    language = serializers.CharField(max_length=20, required=False)
    base_model = serializers.CharField(max_length=20, required=False)


class CustomModelOutput(serializers.ModelSerializer):
    language = serializers.CharField(source="language.code")
    language_name = serializers.CharField(source="language.name")
    training_status_label = serializers.CharField()
    model = serializers.CharField(source="stt_name", help_text="The name to use in POST /api/v3/stt.")

    class Meta:
        model = CustomModel
        fields = [
            "id",
            "name",
            "key",
            "language",
            "language_name",
            "base_model",
            "description",
            "training_status",
            "training_status_label",
            "training_progress",
            "training_metrics",
            "status_message",
            "failure_code",
            "enabled",
            "disabled_reason",
            "model",
            "active_version",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, model: CustomModel) -> dict:
        # Every status poll serialises up to a page of these; building and walking DRF's
        # field objects cost as much as the database work. Same keys and formats as the
        # declared fields (a test compares the two).
        return {
            "id": model.pk,
            "name": model.name,
            "key": model.key,
            "language": model.language.code,
            "language_name": model.language.name,
            "base_model": model.base_model,
            "description": model.description,
            "training_status": model.training_status,
            "training_status_label": model.training_status_label,
            "training_progress": model.training_progress,
            "training_metrics": model.training_metrics,
            "status_message": model.status_message,
            "failure_code": model.failure_code,
            "enabled": model.enabled,
            "disabled_reason": model.disabled_reason,
            "model": model.stt_name,
            "active_version": model.active_version,
            "created_at": _iso_datetime(model.created_at),
            "updated_at": _iso_datetime(model.updated_at),
        }


class CustomModelPageOutput(serializers.Serializer):
    """One page of GET /custom_models (config.api.PageNumberPagination)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CustomModelOutput(many=True)


def _iso_datetime(value) -> str:
    """DRF's ISO 8601 output: UTC written as Z."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
