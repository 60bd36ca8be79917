from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter
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
    type = serializers.ChoiceField(
        choices=["train", "test", "auto", "text"],
        default="auto",
        help_text="train/test: audio_file and/or transcript_file in that split; auto: file, its kind from "
        "its extension; text: file, a .txt of domain sentences (UTF-8, one a line) with no audio.",
    )
    split = serializers.ChoiceField(choices=["train", "test"], required=False)
    audio_file = serializers.FileField(required=False)
    transcript_file = serializers.FileField(required=False)
    file = serializers.FileField(required=False)

    def validate(self, data):
        files = [data.get(name) for name in ("audio_file", "transcript_file", "file")]
        if not any(files):
            raise serializers.ValidationError(
                "Send audio_file and/or transcript_file (or file with type=auto or type=text)."
            )
        return data


class DatasetFileListOutput(serializers.Serializer):
    results = DatasetFileOutput(many=True)


class DataUploadOutput(serializers.Serializer):
    files = DatasetFileOutput(many=True, help_text="The files stored by this request.")
    skipped = serializers.ListField(
        child=serializers.CharField(), help_text="Names the model already has: not stored again."
    )


class ValidationPairOutput(serializers.Serializer):
    audio = serializers.CharField()
    transcript = serializers.CharField()
    split = serializers.CharField()
    duration = serializers.FloatField(allow_null=True)


class ValidationReportOutput(serializers.Serializer):
    errors = serializers.ListField(
        child=serializers.CharField(), help_text="What keeps training from starting."
    )
    warnings = serializers.ListField(child=serializers.CharField())
    unmatched_audio = serializers.ListField(
        child=serializers.CharField(), help_text="Audio with no transcript."
    )
    pairs = ValidationPairOutput(many=True)
    total_minutes = serializers.FloatField(help_text="Minutes of matched audio.")
    text_sentences = serializers.IntegerField(
        help_text="Sentences in the model's text files (training data with no audio)."
    )


# The tus 1.0.0 headers of the upload endpoints (datasets/api.py Tus*), for the OpenAPI schema.
def _header(name: str, kind=str, description: str = "", **kwargs) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.HEADER, description=description, **kwargs)


TUS_RESUMABLE = _header("Tus-Resumable", required=True, enum=["1.0.0"], description="The tus version.")
TUS_CREATE_HEADERS = [
    TUS_RESUMABLE,
    _header("Upload-Length", int, "The file's size in bytes.", required=True),
    _header(
        "Upload-Metadata",
        description="Comma-separated `key base64(value)` pairs: filename, type (audio|transcript|text), "
        "split (train|test), batch.",
    ),
]
TUS_PATCH_HEADERS = [
    TUS_RESUMABLE,
    _header("Upload-Offset", int, "Where this chunk starts: the offset HEAD reports.", required=True),
    _header("Upload-Checksum", description="`<algorithm> <base64 digest>` of this chunk (sha1, md5, …)."),
]


def _response_headers(*statuses: int, upload: bool = True) -> list[OpenApiParameter]:
    headers = [_header("Tus-Resumable", description="1.0.0", response=list(statuses))]
    if upload:
        headers += [
            _header("Upload-Offset", int, "Bytes received so far.", response=list(statuses)),
            _header("Upload-Length", int, "The declared size.", response=list(statuses)),
            _header(
                "Upload-Expires", description="When an unfinished upload is removed.", response=list(statuses)
            ),
        ]
    return headers


TUS_CREATE_RESPONSE_HEADERS = _response_headers(201) + [
    _header("Location", description="The upload's URL, for HEAD and PATCH.", response=[201])
]
TUS_HEAD_RESPONSE_HEADERS = _response_headers(200) + [
    _header("Upload-Error", description="Why a complete upload was refused, if it was.", response=[200])
]
TUS_PATCH_RESPONSE_HEADERS = _response_headers(204) + [
    _header("Upload-Result", description="On the last chunk: stored or skipped.", response=[204]),
    _header("Dataset-File-Id", int, "On the last chunk, when stored: the dataset file's id.", response=[204]),
]
TUS_DELETE_RESPONSE_HEADERS = _response_headers(204, upload=False)
