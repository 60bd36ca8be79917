"""Panel pages. They parse input, call one service or selector, and render; no rules live here.

htmx requests get fragments (Django template partials) and `HX-Trigger` events:
`toast` ({message, level}) for panel.js, `customModelsChanged` to refresh the list.
A plain form post that succeeds (no htmx) gets a redirect and a flash message instead.
"""

import json
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from config.errors import ApplicationError
from custom_models import selectors, services
from custom_models.models import CustomModel
from panel.forms import CustomModelCreateForm, CustomModelRenameForm
from panel.models import Membership
from panel.selectors import membership_for_user

LIST = "panel/custom_models.html"
DETAIL = "panel/custom_model_detail.html"


def _custom_models_page(view: Callable) -> Callable:
    """Log-in and the Automatic Training gate; the view receives the caller's membership."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            login = redirect_to_login(request.headers.get("HX-Current-URL") or request.get_full_path())
            if not _is_htmx(request):
                return login
            # An expired session while polling: following the redirect would swap the log-in
            # page into a fragment, so send the whole tab there instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login["Location"]
            return response
        membership = membership_for_user(user=request.user)
        if membership is None or not membership.organisation.has_automatic_training:
            return render(request, "panel/feature_not_available.html", status=403)
        return view(request, membership, *args, **kwargs)

    return wrapper


def _model_or_404(membership: Membership, id: int) -> CustomModel:
    try:
        return selectors.custom_model_get(organisation=membership.organisation, id=id)
    except ApplicationError as exc:
        raise Http404(exc.message)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _with_events(response: HttpResponse, **events: dict) -> HttpResponse:
    response["HX-Trigger"] = json.dumps(events)
    return response


def _toast(message: str, level: str = "success") -> dict:
    return {"message": message, "level": level}


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


@require_GET
@_custom_models_page
def custom_model_detail(request, membership, id: int):
    model = _model_or_404(membership, id)
    return render(request, DETAIL, {"model": model})


@require_GET
@_custom_models_page
def custom_model_status(request, membership, id: int):
    model = _model_or_404(membership, id)
    return render(request, "panel/custom_model_status.html", {"model": model})


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
