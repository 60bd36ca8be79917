"""Dataset endpoints of API v3: the data API, validation, downloads and the tus server."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import redirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import ApplicationError
from custom_models.api import CustomModelsView
from datasets import downloads, selectors, services, uploads
from datasets.models import TusUpload
from datasets.serializers import (
    TUS_CREATE_HEADERS,
    TUS_CREATE_RESPONSE_HEADERS,
    TUS_DELETE_RESPONSE_HEADERS,
    TUS_HEAD_RESPONSE_HEADERS,
    TUS_PATCH_HEADERS,
    TUS_PATCH_RESPONSE_HEADERS,
    TUS_RESUMABLE,
    DatasetFileListOutput,
    DatasetFileOutput,
    DataUploadInput,
    DataUploadOutput,
    ValidationReportOutput,
)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration,checksum"


class DataApi(CustomModelsView):
    throttle_scopes = {"PUT": "data_upload", "GET": "status_check"}
    # Beyond the common ones (config/schema.py): a file refused; training; too large; no ffmpeg.
    error_responses = {"PUT": (400, 409, 413, 503)}
    parser_classes = [MultiPartParser]

    @extend_schema(responses=DatasetFileListOutput)
    def get(self, request, id: int):
        files = selectors.dataset_file_list(model=self.get_model(id))
        return Response({"results": DatasetFileOutput(files, many=True, context={"request": request}).data})

    @extend_schema(
        request=DataUploadInput,
        responses={
            201: OpenApiResponse(DataUploadOutput, description="At least one file was stored."),
            200: OpenApiResponse(DataUploadOutput, description="Every file was already there (skipped)."),
        },
    )
    def put(self, request, id: int):
        model = self.get_model(id)
        if int(request.META.get("CONTENT_LENGTH") or 0) > 2 * settings.UPLOAD_MAX_BYTES:
            raise ApplicationError("The upload is too large.", error_code="upload_too_large", status=413)
        serializer = DataUploadInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        paired = data["type"] in {"train", "test"}
        split = data["type"] if paired else data.get("split", "train")

        def declared(field: str) -> str:
            if paired:
                return {"audio_file": "audio", "transcript_file": "transcript"}.get(field, "auto")
            return "text" if data["type"] == "text" else "auto"

        items = [
            services.UploadItem(
                source=services.stage_upload(data[field]),
                filename=data[field].name,
                declared_type=declared(field),
            )
            for field in ("transcript_file", "audio_file", "file")
            if data.get(field)
        ]
        results = services.dataset_files_ingest(model=model, items=items, split=split, by=request.user)
        stored = [r.file for r in results if r.file is not None]
        body = {
            "files": DatasetFileOutput(stored, many=True, context={"request": request}).data,
            "skipped": [r.name for r in results if r.skipped],
        }
        return Response(body, status=status.HTTP_201_CREATED if stored else status.HTTP_200_OK)


class DataFileApi(CustomModelsView):
    error_responses = {"DELETE": (409,)}  # the model is training

    @extend_schema(responses={204: None})
    def delete(self, request, id: int, file_id: int):
        services.dataset_file_delete(
            dataset_file=selectors.dataset_file_get(model=self.get_model(id), id=file_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DataFileDownloadApi(CustomModelsView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Location", str, OpenApiParameter.HEADER, response=[307], description="The signed URL."
            )
        ],
        responses={307: OpenApiResponse(description="Redirects to a short-lived signed URL.")},
    )
    def get(self, request, id: int, file_id: int):
        dataset_file = selectors.dataset_file_get(model=self.get_model(id), id=file_id)
        response = redirect(downloads.download_url(dataset_file=dataset_file, request=request))
        response.status_code = 307  # a temporary redirect that keeps the method
        return response


class SignedDownloadApi(APIView):
    """Serves a local file for a signed link; the signature is the only credential."""

    authentication_classes: list = []
    permission_classes: list = []
    error_responses = {"GET": (403, 404)}  # a link expired or forged; the file is gone

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request, token: str):
        signed = downloads.file_for_token(token)
        return FileResponse(
            default_storage.open(signed.name, "rb"), as_attachment=signed.attachment, filename=signed.filename
        )


class ValidateApi(CustomModelsView):
    @extend_schema(request=None, responses={200: ValidationReportOutput})
    def post(self, request, id: int):
        report = selectors.dataset_validate(model=self.get_model(id))
        return Response(report.as_dict())


def parse_upload_metadata(header: str) -> dict[str, str]:
    """`Upload-Metadata: key base64value,key2 base64value2` (values optional)."""
    import base64
    import binascii

    metadata = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        try:
            metadata[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise ApplicationError(
                f"Upload-Metadata value for {key!r} is not base64 UTF-8.",
                error_code="invalid_metadata",
                status=400,
            ) from None
    return metadata


class TusView(CustomModelsView):
    """Common tus behaviour: the version header in and out."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise ApplicationError(
                f"This server speaks tus {TUS_VERSION}; send 'Tus-Resumable: {TUS_VERSION}'.",
                error_code="tus_version",
                status=412,
            )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        response["Cache-Control"] = "no-store"
        return response

    def options(self, request, *args, **kwargs):
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response["Tus-Version"] = TUS_VERSION
        response["Tus-Extension"] = TUS_EXTENSIONS
        response["Tus-Max-Size"] = str(settings.UPLOAD_MAX_BYTES)
        response["Tus-Checksum-Algorithm"] = ",".join(uploads.CHECKSUM_ALGORITHMS)
        return response

    def get_upload(self, id: int, upload_id) -> TusUpload:
        model = self.get_model(id)
        upload = TusUpload.objects.filter(pk=upload_id, custom_model=model).first()
        if upload is None:
            raise ApplicationError("Upload not found.", error_code="UPLOAD_NOT_FOUND", status=404)
        return upload


def _offset_headers(response: Response, upload: TusUpload) -> Response:
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Length"] = str(upload.length)
    response["Upload-Expires"] = upload.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


class TusCollectionApi(TusView):
    # A bad header or split; no Tus-Resumable; too large; the data-upload limit (counted per upload).
    error_responses = {"POST": (400, 412, 413, 429)}

    @extend_schema(
        operation_id="custom_models_uploads_create",
        request=None,
        parameters=TUS_CREATE_HEADERS + TUS_CREATE_RESPONSE_HEADERS,
        responses={201: OpenApiResponse(description="Created: PATCH the bytes to Location.")},
    )
    def post(self, request, id: int):
        model = self.get_model(id)
        if request.headers.get("Upload-Defer-Length"):
            raise ApplicationError(
                "Upload-Defer-Length is not supported.", error_code="tus_extension", status=400
            )
        length = request.headers.get("Upload-Length", "")
        if not length.isdigit():
            raise ApplicationError("Upload-Length is required.", error_code="invalid_length", status=400)
        metadata = parse_upload_metadata(request.headers.get("Upload-Metadata", ""))
        upload = uploads.tus_upload_create(
            model=model, length=int(length), metadata=metadata, by=request.user, api_key=request.auth
        )
        response = Response(status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{upload.pk}")
        return _offset_headers(response, upload)


class TusResourceApi(TusView):
    error_responses = {
        "HEAD": (400, 409, 410, 412, 423, 503),
        # A bad header; the offset moved or the upload is complete; expired; no Content-Length;
        # no Tus-Resumable; past Upload-Length; not offset+octet-stream; locked; checksum mismatch.
        "PATCH": (400, 409, 410, 411, 412, 413, 415, 423, 460, 503),
        "DELETE": (412, 423),
    }

    @extend_schema(
        operation_id="custom_models_uploads_head",
        parameters=[TUS_RESUMABLE] + TUS_HEAD_RESPONSE_HEADERS,
        responses={200: OpenApiResponse(description="The upload's offset; a complete upload is stored.")},
    )
    def head(self, request, id: int, upload_id):
        with uploads.upload_lock(self.get_upload(id, upload_id)) as upload:
            uploads.tus_upload_finish(upload=upload)
            response = _offset_headers(Response(status=status.HTTP_200_OK), upload)
        if upload.error:
            response["Upload-Error"] = upload.error[:200]
        return response

    @extend_schema(
        operation_id="custom_models_uploads_patch",
        request={"application/offset+octet-stream": OpenApiTypes.BINARY},
        parameters=TUS_PATCH_HEADERS + TUS_PATCH_RESPONSE_HEADERS,
        responses={204: OpenApiResponse(description="The chunk is stored; Upload-Offset is the new offset.")},
    )
    def patch(self, request, id: int, upload_id):
        upload = self.get_upload(id, upload_id)
        if request.content_type != "application/offset+octet-stream":
            raise ApplicationError(
                "PATCH needs Content-Type: application/offset+octet-stream.",
                error_code="UNSUPPORTED_MEDIA_TYPE",
                status=415,
            )
        offset = request.headers.get("Upload-Offset", "")
        if not offset.isdigit():
            raise ApplicationError("Upload-Offset is required.", error_code="invalid_offset", status=400)
        length = request.META.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            # Django's own request streams the body from the socket; DRF's would parse it.
            stream, content_length = request._request, int(length)
        elif request.META.get("wsgi.input_terminated"):
            # A streamed body (Transfer-Encoding: chunked), which tus allows. Django reads
            # only up to Content-Length, so none of it; gunicorn de-chunks it and ends
            # wsgi.input where the body ends.
            stream, content_length = request.META["wsgi.input"], None
        elif request.headers.get("Transfer-Encoding"):
            # A server that does not end wsgi.input (runserver) cannot tell where the body ends.
            raise ApplicationError(
                "This server needs a Content-Length on PATCH; send the chunk with one.",
                error_code="length_required",
                status=411,
            )
        else:
            stream, content_length = request._request, 0
        with uploads.upload_lock(upload):
            upload, result = uploads.tus_upload_append(
                upload=upload,
                offset=int(offset),
                stream=stream,
                content_length=content_length,
                checksum=uploads.parse_checksum(request.headers.get("Upload-Checksum")),
            )
        response = _offset_headers(Response(status=status.HTTP_204_NO_CONTENT), upload)
        if result is not None:
            response["Upload-Result"] = "skipped" if result.skipped else "stored"
            if result.file is not None:
                response["Dataset-File-Id"] = str(result.file.pk)
        return response

    @extend_schema(
        operation_id="custom_models_uploads_delete",
        parameters=[TUS_RESUMABLE] + TUS_DELETE_RESPONSE_HEADERS,
        responses={204: OpenApiResponse(description="The upload and its bytes are removed.")},
    )
    def delete(self, request, id: int, upload_id):
        uploads.tus_upload_terminate(upload=self.get_upload(id, upload_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
