"""The Versions section of the details page: activate, delete and download a version.

Every successful training run is a version of its model (training.versions). The section is
drawn with the status area (panel/views.py `_status_answer`), so an action here, or the status
poll that sees a run end, redraws the table, the status and the Train buttons together.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from config.errors import ApplicationError
from datasets.downloads import signed_url
from panel.views import (
    _action_refused,
    _custom_models_page,
    _is_htmx,
    _model_or_404,
    _status_answer,
    _toast,
    _with_events,
)
from training.selectors import custom_model_version_get
from training.versions import (
    custom_model_version_activate,
    custom_model_version_archive,
    custom_model_version_delete,
)


@require_POST
@_custom_models_page
def version_activate(request, membership, id: int, version: int):
    """Make a version the one that serves (a held-back newer one, or a roll back); admins and sysops."""
    model = _model_or_404(membership, id)
    try:
        model = custom_model_version_activate(model=model, version=version, by=membership)
    except ApplicationError as exc:
        return _action_refused(request, model, exc)
    # The Evaluation section shows the active version's run: it is asked for again.
    return _status_answer(request, model, f"Version {version} is now active", versionActivated={})


@require_POST
@_custom_models_page
def version_delete(request, membership, id: int, version: int):
    """Delete an inactive version's files; admins and sysops. The active one is refused (409)."""
    model = _model_or_404(membership, id)
    try:
        custom_model_version_delete(model=model, version=version, by=membership)
    except ApplicationError as exc:
        return _action_refused(request, model, exc)
    model.refresh_from_db()
    return _status_answer(request, model, f"Version {version} deleted")


@require_GET
@_custom_models_page
def version_download(request, membership, id: int, version: int):
    """A 307 to a short-lived signed URL of the version's zip (built on its first download);
    htmx gets the URL in a `download` event, so that a failure stays on the page as a toast."""
    model = _model_or_404(membership, id)
    try:
        run = custom_model_version_get(model=model, version=version)
        name = custom_model_version_archive(run=run)
    except ApplicationError as exc:
        if not _is_htmx(request):
            raise Http404(exc.message) from exc
        return _with_events(HttpResponse(status=exc.status), toast=_toast(exc.message, "error"))
    url = signed_url(name=name, filename=f"{model.stt_name}-v{run.version}.zip", request=request)
    if _is_htmx(request):
        return _with_events(HttpResponse(status=204), download={"url": url})
    response = redirect(url)
    response.status_code = 307
    return response
