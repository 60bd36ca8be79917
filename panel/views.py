"""Panel pages. They parse input, call one service or selector, and render; no rules live here.

htmx requests get fragments (Django template partials) and `HX-Trigger` events:
`toast` ({message, level}) for panel.js, `customModelsChanged` to refresh the list.
A plain form post that succeeds (no htmx) gets a redirect and a flash message instead.
"""

import json
import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Membership
from config.errors import ApplicationError
from custom_models import selectors, services
from custom_models.models import CustomModel, TrainingStatus
from datasets import media
from datasets.selectors import dataset_file_list
from datasets.services import TEXT_EXTENSIONS
from panel.forms import CustomModelCreateForm, CustomModelRenameForm
from panel.htmx import is_htmx as _is_htmx
from panel.htmx import member_page
from panel.htmx import toast as _toast
from panel.htmx import with_events as _with_events
from panel.vocabulary import vocabulary_context
from training.selectors import custom_model_version_list
from training.services import custom_model_enable, training_run_cancel, training_run_start

LIST = "panel/custom_models.html"
DETAIL = "panel/custom_model_detail.html"
STATUS = "panel/custom_model_status.html"
# What the New dataset dialog's Type selector lets Uppy pick; the server checks again.
UPLOAD_EXTENSIONS = {
    "audio": sorted(media.AUDIO_EXTENSIONS | media.VIDEO_EXTENSIONS),
    "transcript": sorted(media.TRANSCRIPT_EXTENSIONS | media.MANIFEST_EXTENSIONS),
}
UPLOAD_EXTENSIONS["auto"] = sorted(UPLOAD_EXTENSIONS["audio"] + UPLOAD_EXTENSIONS["transcript"])
# Domain sentences without audio: declared as such, since an auto-detected .txt is a transcript.
UPLOAD_EXTENSIONS["text"] = sorted(TEXT_EXTENSIONS)
UPLOAD_MAX_FILES = 100  # per batch, as the panel spec says; there is no cap per model


_custom_models_page = member_page(automatic_training=True)


def _model_or_404(membership: Membership, id: int) -> CustomModel:
    try:
        return selectors.custom_model_get(organisation=membership.organisation, id=id)
    except ApplicationError as exc:
        raise Http404(exc.message)


def _status_context(model: CustomModel) -> dict:
    """What the status area and the parts of the page that follow it (the Versions table) need."""
    return {"model": model, "versions": custom_model_version_list(model=model)}


def _create_form_context(membership: Membership, form: CustomModelCreateForm) -> dict:
    return {
        "create_form": form,
        "languages": selectors.language_list_trainable(organisation=membership.organisation),
    }


@require_GET
@_custom_models_page
def custom_model_list(request, membership):
    models = selectors.custom_model_list(organisation=membership.organisation)
    context = {"models": models, **_create_form_context(membership, CustomModelCreateForm())}
    return render(request, LIST, context)


@require_GET
@_custom_models_page
def custom_model_rows(request, membership):
    models = selectors.custom_model_list(organisation=membership.organisation)
    return render(request, f"{LIST}#rows", {"models": models})


@require_POST
@_custom_models_page
def custom_model_create(request, membership):
    form = CustomModelCreateForm(request.POST)
    if form.is_valid():
        try:
            services.custom_model_create(
                organisation=membership.organisation,
                name=form.cleaned_data["name"],
                language=form.cleaned_data["language"],
                by=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            message = "Custom model created successfully"
            if not _is_htmx(request):
                messages.success(request, message)
                return redirect("panel:custom-models")
            # A blank form replaces the filled one, ready for the next model.
            response = render(
                request, f"{LIST}#create-form", _create_form_context(membership, CustomModelCreateForm())
            )
            return _with_events(response, toast=_toast(message), customModelsChanged={})
    # 422 whatever the service's status: this answers "your form has errors", shown in the dialog.
    return render(request, f"{LIST}#create-form", _create_form_context(membership, form), status=422)


def _detail_context(model: CustomModel, **vocabulary_forms) -> dict:
    """The whole details page; `vocabulary_forms` shows a refused vocabulary post (plain form posts)."""
    return {
        **_status_context(model),
        "dataset_files": dataset_file_list(model=model),
        "upload_extensions": UPLOAD_EXTENSIONS,
        "upload_max_files": UPLOAD_MAX_FILES,
        "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
        **vocabulary_context(model, **vocabulary_forms),
    }


@require_GET
@_custom_models_page
def custom_model_detail(request, membership, id: int):
    model = _model_or_404(membership, id)
    return render(request, DETAIL, _detail_context(model))


@require_GET
@_custom_models_page
def custom_model_status(request, membership, id: int):
    model = _model_or_404(membership, id)
    return render(request, STATUS, _status_context(model))


@require_POST
@_custom_models_page
def custom_model_update(request, membership, id: int):
    model = _model_or_404(membership, id)
    form = CustomModelRenameForm(request.POST)
    if form.is_valid():
        try:
            model = services.custom_model_update(model=model, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            form.add_error("name", exc.message)
        else:
            message = "Custom model updated successfully"
            if not _is_htmx(request):
                messages.success(request, message)
                return redirect("panel:custom-model-detail", id=model.pk)
            response = render(request, "panel/custom_model_updated.html", {"model": model})
            return _with_events(response, toast=_toast(message))
    # The model in memory may hold the rejected name; show the stored one everywhere but the input.
    model.refresh_from_db()
    return render(request, f"{DETAIL}#name-card", {"model": model, "rename_form": form}, status=422)


@require_POST
@_custom_models_page
def custom_model_delete(request, membership, id: int):
    model = _model_or_404(membership, id)
    try:
        services.custom_model_delete(model=model, by=membership)
    except ApplicationError as exc:
        if not _is_htmx(request):
            return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
        response = HttpResponse(status=exc.status)
        return _with_events(response, toast=_toast(exc.message, "error"))
    message = "Custom model deleted successfully"
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect("panel:custom-models")
    return _with_events(HttpResponse(status=204), toast=_toast(message), customModelsChanged={})


@require_POST
@_custom_models_page
def custom_model_train(request, membership, id: int):
    """Train the language, or (from Success or Failed, once the model has a version) train a new
    version: the service validates and queues; this answers in the panel's words.

    Success swaps in the status area (which polls while queued or running); unmatched
    audio opens the "Train anyway?" dialog, whose confirm posts again with skip_unmatched.
    """
    model = _model_or_404(membership, id)
    serving = model.active_version if model.model_path and model.enabled else None
    skip_unmatched = request.POST.get("skip_unmatched") == "true"
    try:
        training_run_start(
            model=model,
            by=request.user,
            skip_unmatched=skip_unmatched,
        )
    except ApplicationError as exc:
        if exc.error_code == "unmatched_audio" and _is_htmx(request):
            unmatched = exc.details.get("unmatched_audio", [])
            response = render(request, f"{DETAIL}#train-anyway", {"model": model, "unmatched": unmatched})
            # 422: "answered inside a dialog", which the page swaps in like a form error.
            response.status_code = 422
            response["HX-Retarget"] = "#train-anyway-body"
            response["HX-Reswap"] = "innerHTML"
            response["HX-Trigger-After-Swap"] = json.dumps({"openDialog": {"id": "train-anyway-dialog"}})
            return response
        message = exc.message or "Validation failed"
        return _train_refused(request, model, message, exc.status)
    message = "Training started successfully"
    if serving:
        message += f". Version {serving} keeps serving while the new version trains."
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect("panel:custom-model-detail", id=model.pk)
    model.refresh_from_db()
    response = render(request, STATUS, _status_context(model))
    response["HX-Retarget"] = "#status-panel"
    response["HX-Reswap"] = "outerHTML"
    return _with_events(response, toast=_toast(message), closeDialogs={})


def _train_refused(request: HttpRequest, model: CustomModel, message: str, status: int) -> HttpResponse:
    if not _is_htmx(request):
        messages.error(request, message)
        return redirect("panel:custom-model-detail", id=model.pk)
    response = HttpResponse(status=status)
    return _with_events(response, toast=_toast(message, "error"), closeDialogs={})


@require_POST
@_custom_models_page
def custom_model_cancel(request, membership, id: int):
    """Cancel training (from the Cancel button's confirmation); anyone who may train may cancel."""
    model = _model_or_404(membership, id)
    try:
        model = training_run_cancel(model=model, by=request.user)
    except ApplicationError as exc:
        return _action_refused(request, model, exc)
    # A queued run is Failed at once; a running one once its supervisor has stopped the process.
    message = (
        "Training cancelled" if model.training_status == TrainingStatus.FAILED else "Cancelling training…"
    )
    return _status_answer(request, model, message)


@require_POST
@_custom_models_page
def custom_model_enable_anyway(request, membership, id: int):
    """Enable anyway a model that reached Success but stayed disabled (admins and sysops)."""
    model = _model_or_404(membership, id)
    try:
        model = custom_model_enable(model=model, by=membership)
    except ApplicationError as exc:
        return _action_refused(request, model, exc)
    return _status_answer(request, model, "Custom model enabled")


def _status_answer(request: HttpRequest, model: CustomModel, message: str, **events: dict) -> HttpResponse:
    """An action on the status succeeded: the status area redrawn (it polls while training) with
    what follows it (the Versions table, the Train buttons), a toast."""
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect("panel:custom-model-detail", id=model.pk)
    response = render(request, STATUS, _status_context(model))
    response["HX-Retarget"] = "#status-panel"
    response["HX-Reswap"] = "outerHTML"
    return _with_events(response, toast=_toast(message), closeDialogs={}, **events)


def _action_refused(request: HttpRequest, model: CustomModel, exc: ApplicationError) -> HttpResponse:
    if not _is_htmx(request):
        messages.error(request, exc.message)
        return redirect("panel:custom-model-detail", id=model.pk)
    response = HttpResponse(status=exc.status)
    return _with_events(response, toast=_toast(exc.message, "error"), closeDialogs={})


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a log-in while locked out (AXES_LOCKOUT_CALLABLE): the login page,
    saying how long to wait. Every attempt while locked out starts the wait again."""
    wait = get_cool_off(request)
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    wait_text = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    message = (
        f"Too many failed log-in attempts. Try again in {wait_text}; "
        "each attempt before then starts the wait again."
    )
    context = {"lockout_message": message, "next": request.POST.get("next", "")}
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(math.ceil(wait.total_seconds()))
    return response
