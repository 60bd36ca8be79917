from rest_framework import serializers

from custom_models.models import CustomModel, Domain, Language


class LanguageOutput(serializers.ModelSerializer):
    class Meta:
        model = Language
        fields = ["code", "name"]


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
            "enabled",
            "disabled_reason",
            "model",
            "created_at",
            "updated_at",
        ]


class TrainingLogLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    time = serializers.DateTimeField(source="created_at")
    stage = serializers.CharField()
    level = serializers.CharField()
    message = serializers.CharField()
