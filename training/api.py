"""Training, transcription and alignment endpoints of API v3."""

from pathlib import PurePath

from django.http import HttpResponse
from django.shortcuts import redirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import membership_for_request
from custom_models.api import CustomModelsView
from custom_models.serializers import CustomModelOutput
from datasets.downloads import signed_url
from datasets.services import stage_upload
from training import alignment, inference, selectors, services, versions


class RunInput(serializers.Serializer):
    skip_unmatched = serializers.BooleanField(default=False)


class RunApi(CustomModelsView):
    parser_classes = [JSONParser, FormParser]
    # No data or invalid data; no claim left; not ready or unmatched audio; the training-start limit.
    error_responses = {"POST": (400, 402, 409, 429)}

    @extend_schema(request=RunInput, responses={202: CustomModelOutput})
    def post(self, request, id: int):
        model = self.get_model(id)
        data = RunInput(data=request.data or {})
        data.is_valid(raise_exception=True)
        services.training_run_start(
            model=model,
            by=request.user,
            skip_unmatched=data.validated_data["skip_unmatched"],
            api_key=request.auth,
        )
        model.refresh_from_db()
        return Response(CustomModelOutput(model).data, status=status.HTTP_202_ACCEPTED)


class CancelApi(CustomModelsView):
    # Not queued or running. No rate limit: a cancel frees resources, it does not take them.
    error_responses = {"POST": (409,)}

    @extend_schema(request=None, responses={202: CustomModelOutput})
    def post(self, request, id: int):
        """Stop a queued or running training. A queued one is Failed at once and its training claim
        given back; a running one is Failed ("Cancelled by <user>.") within seconds, once its process
        and files are gone, and keeps its claim."""
        model = services.training_run_cancel(model=self.get_model(id), by=request.user)
        return Response(CustomModelOutput(model).data, status=status.HTTP_202_ACCEPTED)


class EnableApi(CustomModelsView):
    # No hosting claim left; not a disabled model at Success. (403, a member, is declared for all.)
    error_responses = {"POST": (402, 409)}

    @extend_schema(request=None, responses={200: CustomModelOutput})
    def post(self, request, id: int):
        """Enable anyway a model that reached Success but stayed disabled (admins and sysops)."""
        model = services.custom_model_enable(model=self.get_model(id), by=self.membership())
        return Response(CustomModelOutput(model).data)


class SttInput(serializers.Serializer):
    audio_file = serializers.FileField()
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A language code published to your organization, or `auto`: detected from the first 30 s "
        "of speech among your organization's languages (the job reports it and its probability).",
    )
    model = serializers.CharField(required=False, allow_blank=True)
    phrases = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Up to 100 phrases (100 characters each) that decoding favours by score for this request, "
        "beside the model's own list (`PUT …/phrases`). Whisper models only; a list that cannot be applied "
        "is refused (422 INVALID_INPUT, 400 phrases_unsupported).",
    )


class TrainingLogLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    time = serializers.DateTimeField(source="created_at")
    stage = serializers.CharField()
    level = serializers.CharField()
    message = serializers.CharField()


class CustomModelLogApi(CustomModelsView):
    throttle_scopes = {"GET": "status_check"}

    @extend_schema(
        parameters=[OpenApiParameter("after", int, description="Only lines after this line id.")],
        responses=inline_serializer(
            "TrainingLog",
            {
                "id": serializers.IntegerField(),
                "training_status": serializers.IntegerField(),
                "training_progress": serializers.IntegerField(),
                "lines": TrainingLogLineOutput(many=True),
            },
        ),
    )
    def get(self, request, id: int):
        model = self.get_model(id)
        after = request.query_params.get("after")
        lines = selectors.training_log_list(
            model=model, after=int(after) if after and after.isdigit() else None
        )
        return Response(
            {
                "id": model.pk,
                "training_status": model.training_status,
                "training_progress": model.training_progress,
                "lines": TrainingLogLineOutput(lines, many=True).data,
            }
        )


JOB_ACCEPTED = inline_serializer(
    "JobAccepted",
    {
        "id": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=["queued", "running", "done", "failed"]),
    },
)
JOB_OUTPUT = inline_serializer(
    "TranscriptionJob",
    {
        "id": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=["queued", "running", "done", "failed"]),
        "text": serializers.CharField(),
        "words": serializers.ListField(child=serializers.DictField()),
        "duration": serializers.FloatField(allow_null=True),
        "model": serializers.CharField(),
        "language": serializers.CharField(allow_null=True),
        "language_probability": serializers.FloatField(allow_null=True),
        "error": serializers.CharField(allow_null=True),
    },
)
ALIGNMENT_OUTPUT = inline_serializer(
    "AlignmentJob",
    {
        "id": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=["queued", "running", "done", "failed"]),
        "segments": serializers.ListField(child=serializers.DictField()),
        "warnings": serializers.ListField(child=serializers.CharField()),
        "duration": serializers.FloatField(allow_null=True),
        "model": serializers.CharField(),
        "error": serializers.CharField(allow_null=True),
    },
)
# Accepting media: a language or model that cannot be used (400, 403, 404, 409), a tool missing (503).
MEDIA_ERRORS = (400, 403, 404, 409, 503)


class SttApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser]
    throttle_scopes = {"POST": "transcription"}
    error_responses = {"POST": MEDIA_ERRORS}

    @extend_schema(request=SttInput, responses={202: JOB_ACCEPTED})
    def post(self, request):
        data = SttInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["audio_file"]
        job = inference.transcription_job_create(
            organisation=membership_for_request(request).organisation,
            source=stage_upload(upload),
            filename=upload.name,
            language=data.validated_data.get("language") or None,
            model=data.validated_data.get("model") or None,
            by=request.user,
            phrases=data.validated_data.get("phrases") or [],
        )
        return Response({"id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class SttDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scopes = {"GET": "status_check"}

    @extend_schema(responses=JOB_OUTPUT)
    def get(self, request, id: int):
        job = selectors.transcription_job_get(
            organisation=membership_for_request(request).organisation, id=id
        )
        return Response(inference.transcription_job_as_dict(job))


class AlignmentInput(serializers.Serializer):
    audio_file = serializers.FileField()
    transcript_file = serializers.FileField()
    language = serializers.CharField(required=False, allow_blank=True)
    model = serializers.CharField(required=False, allow_blank=True)


class AlignmentApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser]
    throttle_scopes = {"POST": "transcription"}
    error_responses = {"POST": MEDIA_ERRORS}

    @extend_schema(request=AlignmentInput, responses={202: JOB_ACCEPTED})
    def post(self, request):
        data = AlignmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["audio_file"]
        job = alignment.alignment_job_create(
            organisation=membership_for_request(request).organisation,
            source=stage_upload(upload),
            filename=upload.name,
            transcript=data.validated_data["transcript_file"].read(),
            language=data.validated_data.get("language") or None,
            model=data.validated_data.get("model") or None,
            by=request.user,
        )
        return Response({"id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class AlignmentDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scopes = {"GET": "status_check"}

    @extend_schema(responses=ALIGNMENT_OUTPUT)
    def get(self, request, id: int):
        job = selectors.alignment_job_get(organisation=membership_for_request(request).organisation, id=id)
        return Response(alignment.alignment_job_as_dict(job))


class AlignmentDownloadApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    error_responses = {"GET": (409, 422)}  # not aligned yet; a format other than vtt or srt

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["vtt", "srt"], default="vtt")],
        responses={
            (200, "text/vtt"): OpenApiTypes.STR,
            (200, "application/x-subrip"): OpenApiTypes.STR,
        },
    )
    def get(self, request, id: int):
        job = selectors.alignment_job_get(organisation=membership_for_request(request).organisation, id=id)
        format = request.query_params.get("format", "vtt").lower()
        body = alignment.alignment_subtitles(job=job, format=format)
        response = HttpResponse(body, content_type="text/vtt" if format == "vtt" else "application/x-subrip")
        response["Content-Disposition"] = f'attachment; filename="{PurePath(job.filename).stem}.{format}"'
        return response


# ---- Versions ----------------------------------------------------------------------------------


class VersionOutput(serializers.Serializer):
    version = serializers.IntegerField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField(source="finished_at")
    base = serializers.JSONField(help_text="Language, domain, the base's source and sha256.")
    data = serializers.JSONField(help_text="Each file's id, name, split and sha256; minutes per split.")
    settings = serializers.JSONField(help_text="Epochs, learning rate, seed, interpolation, code version.")
    metrics = serializers.JSONField(allow_null=True)
    versus_active = serializers.JSONField(
        allow_null=True,
        help_text="WER of this version and of the version active when it trained, on both test splits.",
    )
    held_back = serializers.CharField(help_text="Why it was not made active by itself; empty if it was.")

    def to_representation(self, run) -> dict:
        lineage = run.lineage or {}
        model = self.context["model"]
        return {
            "version": run.version,
            "active": run.version == model.active_version,
            "created_at": run.finished_at.isoformat().replace("+00:00", "Z") if run.finished_at else None,
            "base": lineage.get("base"),
            "data": lineage.get("data"),
            "settings": lineage.get("settings"),
            "metrics": run.metrics,
            "versus_active": (run.evaluation or {}).get("versus_active"),
            "held_back": run.held_back,
        }


class VersionListApi(CustomModelsView):
    @extend_schema(responses={200: VersionOutput(many=True)})
    def get(self, request, id: int):
        """The model's versions, newest first: one per successful training run."""
        model = self.get_model(id)
        runs = selectors.custom_model_version_list(model=model)
        return Response(VersionOutput(runs, many=True, context={"model": model}).data)


class VersionDetailApi(CustomModelsView):
    error_responses = {"DELETE": (409,)}  # the active version

    @extend_schema(responses={200: VersionOutput})
    def get(self, request, id: int, version: str):
        model = self.get_model(id)
        run = selectors.custom_model_version_get(model=model, version=int(version))
        return Response(VersionOutput(run, context={"model": model}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, id: int, version: str):
        """Delete an inactive version's files (admins and sysops)."""
        versions.custom_model_version_delete(
            model=self.get_model(id), version=int(version), by=self.membership()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionActivateApi(CustomModelsView):
    error_responses = {"POST": (402, 409)}  # no hosting claim left for a disabled model; active already

    @extend_schema(request=None, responses={200: CustomModelOutput})
    def post(self, request, id: int, version: str):
        """Make a version the one that serves: a held-back newer one, or roll back (admins and sysops)."""
        model = versions.custom_model_version_activate(
            model=self.get_model(id), version=int(version), by=self.membership()
        )
        return Response(CustomModelOutput(model).data)


class VersionDownloadApi(CustomModelsView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Location", str, OpenApiParameter.HEADER, response=[307], description="The signed URL."
            )
        ],
        responses={307: OpenApiResponse(description="Redirects to a short-lived signed URL of a zip.")},
    )
    def get(self, request, id: int, version: str):
        """The version as one zip: its CTranslate2 copy (faster-whisper), its PyTorch copy
        (transformers) and model.json with its lineage."""
        model = self.get_model(id)
        run = selectors.custom_model_version_get(model=model, version=int(version))
        name = versions.custom_model_version_archive(run=run)
        response = redirect(
            signed_url(name=name, filename=f"{model.stt_name}-v{run.version}.zip", request=request)
        )
        response.status_code = 307  # a temporary redirect that keeps the method
        return response
