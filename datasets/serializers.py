from django.urls import reverse
from rest_framework import serializers

from datasets.models import DatasetFile


class DatasetFileOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Redirects (307) to a short-lived signed URL.")
    start_time = serializers.DateTimeField(source="started_at", help_text="When the upload started.")
    end_time = serializers.DateTimeField(source="finished_at", help_text="When the upload finished.")

    class Meta:
        model = DatasetFile
        fields = [
            "id",
            "name",
            "kind",
            "split",
            "duration",
            "size",
            "url",
            "start_time",
            "end_time",
            "converted_from",
            "segment_count",
        ]

    def get_url(self, obj: DatasetFile) -> str:
        path = reverse("dataset-file-download", kwargs={"id": obj.custom_model_id, "file_id": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class DataUploadInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=["train", "test", "auto"], default="auto")
    split = serializers.ChoiceField(choices=["train", "test"], required=False)
    audio_file = serializers.FileField(required=False)
    transcript_file = serializers.FileField(required=False)
    file = serializers.FileField(required=False)

    def validate(self, data):
        files = [data.get(name) for name in ("audio_file", "transcript_file", "file")]
        if not any(files):
            raise serializers.ValidationError(
                "Send audio_file and/or transcript_file (or file with type=auto)."
            )
        return data
