"""The dashboard: transcription and force-alignment jobs, their dialogs and result pages.

Like the other panel views these parse input, call one service or selector, and render.
htmx requests get fragments (template partials) and `HX-Trigger` events: `toast` for
panel.js, `jobsChanged` to refresh the job tables and close the dialog that caused it.
"""

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Membership
from config.errors import ApplicationError
from custom_models import selectors as model_selectors
from custom_models.services import require_automatic_training
from datasets.services import stage_upload
from panel.htmx import is_htmx as _is_htmx
from panel.htmx import member_page
from panel.htmx import toast as _toast
from panel.htmx import with_events as _with_events
from panel.streaming import media_response
from training import alignment, inference
from training import selectors as training_selectors
from training.models import AlignmentJob, TranscriptionJob

PAGE = "panel/dashboard.html"
TRANSCRIPTION = "panel/dashboard/transcription.html"
ALIGNMENT = "panel/dashboard/alignment.html"
PENDING = {TranscriptionJob.Status.QUEUED, TranscriptionJob.Status.RUNNING}
UPLOAD_DIALOGS = {"transcribe", "force-alignment"}
DOWNLOAD_TYPES = {"txt": "text/plain", "srt": "application/x-subrip", "vtt": "text/vtt"}


class TranscribeForm(forms.Form):
    file = forms.FileField()
    # One dropdown holds base languages (a code) and custom models ("custom_model_<id>");
    # the service decides what is usable.
    language = forms.CharField(max_length=50)


class AlignmentForm(forms.Form):
    file = forms.FileField()
    transcript = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    transcript_file = forms.FileField(required=False)
    language = forms.CharField(max_length=50)

    def clean(self):
        data = super().clean()
        if not data.get("transcript_file") and not (data.get("transcript") or "").strip():
            self.add_error("transcript", "Paste the transcript or choose a .txt file.")
        return data

    def transcript_bytes(self) -> bytes:
        upload = self.cleaned_data.get("transcript_file")
        return upload.read() if upload else self.cleaned_data["transcript"].encode("utf-8")


def _language_and_model(value: str) -> tuple[str | None, str | None]:
    """The dropdown's value as the services' (language, model) pair."""
    if training_selectors.CUSTOM_MODEL_NAME.match(value):
        return None, value
    return value, None


_dashboard_page = member_page(automatic_training=False)


def _jobs_context(membership: Membership) -> dict:
    organisation = membership.organisation
    jobs = list(training_selectors.transcription_job_list(organisation=organisation)[:100])
    alignments = list(training_selectors.alignment_job_list(organisation=organisation)[:20])
    return {
        "jobs": jobs,
        "alignments": alignments,
        "polling": any(job.status in PENDING for job in [*jobs, *alignments]),
    }


def _options_context(membership: Membership) -> dict:
    organisation = membership.organisation
    return {
        "languages": model_selectors.language_list_published(organisation=organisation),
        "detects_language": training_selectors.language_detection_available(organisation=organisation),
        "custom_models": training_selectors.usable_custom_models(organisation=organisation).order_by("name"),
    }


def _transcription_or_404(membership: Membership, id: int) -> TranscriptionJob:
    try:
        return training_selectors.transcription_job_get(organisation=membership.organisation, id=id)
    except ApplicationError as exc:
        raise Http404(exc.message)


def _alignment_or_404(membership: Membership, id: int) -> AlignmentJob:
    try:
        return training_selectors.alignment_job_get(organisation=membership.organisation, id=id)
    except ApplicationError as exc:
        raise Http404(exc.message)


def _upload_form(request, membership: Membership, template: str, form: forms.Form, status: int = 200):
    # 422 whatever the service's status: this answers "your form has errors", shown in the dialog.
    return render(request, template, {"form": form, **_options_context(membership)}, status=status)


def _accepted(
    request, membership: Membership, template: str, blank: forms.Form, message: str
) -> HttpResponse:
    """A job was queued: a toast and a table refresh, or a redirect for a plain form post."""
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect("panel:dashboard")
    # A blank form replaces the filled one, ready for the next file.
    response = _upload_form(request, membership, template, blank)
    return _with_events(response, toast=_toast(message), jobsChanged={})


def _attachment(body: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    # Uploaded names may hold quotes or non-ASCII letters: let Django quote them.
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


# ---- Dashboard -------------------------------------------------------------------------------


@require_GET
@_dashboard_page
def dashboard(request, membership):
    context = _jobs_context(membership)
    # `?upload=force-alignment` (linked from the Custom Models pages) opens that dialog at once,
    # its form rendered here rather than fetched when a menu item is clicked.
    upload = request.GET.get("upload")
    if upload in UPLOAD_DIALOGS:
        form = TranscribeForm() if upload == "transcribe" else AlignmentForm()
        context.update(open_dialog=upload, form=form, **_options_context(membership))
    return render(request, PAGE, context)


@require_GET
@_dashboard_page
def dashboard_jobs(request, membership):
    return render(request, f"{PAGE}#jobs", _jobs_context(membership))


# ---- Transcription ---------------------------------------------------------------------------


def _job_create(request, membership, *, form_class, template: str, create, started: str) -> HttpResponse:
    """The Transcribe and Force alignment dialogs: GET renders the form with the dropdown as
    it is now (loaded when the dialog opens); POST stages the file and queues the job."""
    if request.method == "GET":
        return _upload_form(request, membership, template, form_class())
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        language, model = _language_and_model(form.cleaned_data["language"])
        try:
            job = create(
                form,
                organisation=membership.organisation,
                source=stage_upload(upload),
                filename=upload.name,
                language=language,
                model=model,
                by=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return _accepted(request, membership, template, form_class(), f"{started} {job.filename} started")
    return _upload_form(request, membership, template, form, status=422)


@require_http_methods(["GET", "POST"])
@_dashboard_page
def transcription_create(request, membership):
    return _job_create(
        request,
        membership,
        form_class=TranscribeForm,
        template="panel/dashboard/transcribe_form.html",
        create=lambda form, **job: inference.transcription_job_create(**job),
        started="Transcription of",
    )


@require_GET
@_dashboard_page
def transcription_detail(request, membership, id: int):
    job = _transcription_or_404(membership, id)
    return render(request, TRANSCRIPTION, {"job": job})


@require_GET
@_dashboard_page
def transcription_result(request, membership, id: int):
    """The polled part of the result page; it stops polling once the job is finished."""
    job = _transcription_or_404(membership, id)
    return render(request, f"{TRANSCRIPTION}#result", {"job": job})


@require_GET
@_dashboard_page
def transcription_media(request, membership, id: int):
    job = _transcription_or_404(membership, id)
    return media_response(request, job.media)


@require_GET
@_dashboard_page
def transcription_download(request, membership, id: int, format: str):
    job = _transcription_or_404(membership, id)
    if format not in DOWNLOAD_TYPES:
        raise Http404("Unknown format.")
    try:
        body = inference.transcription_subtitles(job=job, format=format)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
    return _attachment(body, DOWNLOAD_TYPES[format], f"{PurePath(job.filename).stem}.{format}")


# ---- Force alignment -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@_dashboard_page
def alignment_create(request, membership):
    return _job_create(
        request,
        membership,
        form_class=AlignmentForm,
        template="panel/dashboard/alignment_form.html",
        create=lambda form, **job: alignment.alignment_job_create(transcript=form.transcript_bytes(), **job),
        started="Alignment of",
    )


def _alignment_context(membership: Membership, job: AlignmentJob) -> dict:
    organisation = membership.organisation
    return {
        "job": job,
        "custom_models": model_selectors.custom_model_list(organisation=organisation).order_by("name")
        if organisation.has_automatic_training
        else [],
    }


@require_GET
@_dashboard_page
def alignment_detail(request, membership, id: int):
    job = _alignment_or_404(membership, id)
    return render(request, ALIGNMENT, _alignment_context(membership, job))


@require_GET
@_dashboard_page
def alignment_result(request, membership, id: int):
    job = _alignment_or_404(membership, id)
    return render(request, f"{ALIGNMENT}#result", _alignment_context(membership, job))


@require_GET
@_dashboard_page
def alignment_download(request, membership, id: int, format: str):
    job = _alignment_or_404(membership, id)
    if format not in {"srt", "vtt"}:
        raise Http404("Unknown format.")
    try:
        body = alignment.alignment_subtitles(job=job, format=format)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
    return _attachment(body, DOWNLOAD_TYPES[format], f"{PurePath(job.filename).stem}.{format}")


@require_POST
@_dashboard_page
def alignment_add_to_model(request, membership, id: int):
    job = _alignment_or_404(membership, id)
    try:
        # The plan gate answers before the model lookup, as on every custom-model page.
        require_automatic_training(membership.organisation)
        model = model_selectors.custom_model_get(
            organisation=membership.organisation, id=int(request.POST.get("model") or 0)
        )
        results = alignment.alignment_job_add_to_model(job=job, model=model, by=request.user)
    except (ApplicationError, ValueError) as exc:
        message = getattr(exc, "message", "Pick a custom model.")
        status = getattr(exc, "status", 400)
        if not _is_htmx(request):
            return HttpResponse(message, status=status, content_type="text/plain")
        return _with_events(HttpResponse(status=status), toast=_toast(message, "error"))
    skipped = [result.name for result in results if result.skipped]
    message = f"Added to {model.name}"
    if skipped:
        message += f" (already there, skipped: {', '.join(skipped)})"
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect("panel:alignment-detail", id=job.pk)
    return _with_events(HttpResponse(status=204), toast=_toast(message))
