"""The Datasets section of the details page: its table, downloads and deletes.

Uploads do not pass through here: the page's Uppy talks tus to the API's upload
endpoint, with the session and CSRF token, and asks for the table again when done.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Membership
from config.errors import ApplicationError
from datasets import downloads, selectors, services
from datasets.models import DatasetFile
from panel.views import _custom_models_page, _is_htmx, _model_or_404, _toast, _with_events

ROWS = "panel/_datasets.html#rows"


def _file_or_404(membership: Membership, id: int, file_id: int) -> DatasetFile:
    model = _model_or_404(membership, id)
    try:
        return selectors.dataset_file_get(model=model, id=file_id)
    except ApplicationError as exc:
        raise Http404(exc.message)


@require_GET
@_custom_models_page
def dataset_rows(request, membership, id: int):
    model = _model_or_404(membership, id)
    return render(request, ROWS, {"model": model, "dataset_files": selectors.dataset_file_list(model=model)})


@require_GET
@_custom_models_page
def dataset_download(request, membership, id: int, file_id: int):
    """A 307 to the short-lived signed URL; htmx gets the URL in a `download` event instead,
    so that a failure can say "Download failed" rather than leave the page."""
    try:
        dataset_file = _file_or_404(membership, id, file_id)
        url = downloads.download_url(dataset_file=dataset_file, request=request)
    except (Http404, ApplicationError) as exc:
        if not _is_htmx(request):
            raise Http404("Download failed") from exc
        return _with_events(HttpResponse(status=404), toast=_toast("Download failed", "error"))
    if _is_htmx(request):
        return _with_events(HttpResponse(status=204), download={"url": url})
    response = redirect(url)
    response.status_code = 307
    return response


@require_POST
@_custom_models_page
def dataset_delete(request, membership, id: int, file_id: int):
    dataset_file = _file_or_404(membership, id, file_id)
    try:
        services.dataset_file_delete(dataset_file=dataset_file)
    except ApplicationError as exc:
        if not _is_htmx(request):
            messages.error(request, exc.message)
            return redirect("panel:custom-model-detail", id=id)
        response = HttpResponse(status=exc.status)
        return _with_events(response, toast=_toast(exc.message, "error"), closeDialogs={})
    message = "Dataset file deleted successfully"
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect("panel:custom-model-detail", id=id)
    return _with_events(HttpResponse(status=204), toast=_toast(message), datasetsChanged={}, closeDialogs={})
