"""The Vocabulary section of the details page: the phrase list, the display rules, the text files.

Everyone who sees the page may edit them (the spec: everyone can create, train and edit models).
A save sends the whole list to custom_models.vocabulary, which keeps it or refuses it whole; a
refused form comes back (422) with the service's message and what the user typed, nothing stored.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from config.errors import ApplicationError
from custom_models.models import CustomModel
from custom_models.vocabulary import vocabulary_of_model, vocabulary_update
from panel.views import (
    DETAIL,
    _custom_models_page,
    _detail_context,
    _is_htmx,
    _model_or_404,
    _toast,
    _with_events,
)
from panel.vocabulary import phrases_form, phrases_parse, rules_form, rules_parse, text_files

SECTION = "panel/_vocabulary.html"


@require_POST
@_custom_models_page
def vocabulary_phrases_save(request, membership, id: int):
    model = _model_or_404(membership, id)
    typed = request.POST.get("phrases", "")
    phrases, _ = phrases_parse(typed)
    vocabulary = vocabulary_of_model(model=model)
    try:
        vocabulary = vocabulary_update(vocabulary=vocabulary, phrases=phrases)
    except ApplicationError as exc:
        form = phrases_form(vocabulary_of_model(model=model), typed=typed, exc=exc)
        return _refused(request, model, "phrases-form", phrases_form=form)
    return _saved(request, model, "phrases-form", "Phrases saved", phrases_form=phrases_form(vocabulary))


@require_POST
@_custom_models_page
def vocabulary_rules_save(request, membership, id: int):
    model = _model_or_404(membership, id)
    rules = rules_parse(request.POST.getlist("written"), request.POST.getlist("display"))
    vocabulary = vocabulary_of_model(model=model)
    try:
        vocabulary = vocabulary_update(vocabulary=vocabulary, display_rules=rules)
    except ApplicationError as exc:
        form = rules_form(vocabulary_of_model(model=model), sent=rules, exc=exc)
        return _refused(request, model, "rules-form", rules_form=form)
    return _saved(request, model, "rules-form", "Display rules saved", rules_form=rules_form(vocabulary))


@require_GET
@_custom_models_page
def vocabulary_text_files(request, membership, id: int):
    """The Text files list again, after an upload or a delete in the Datasets section."""
    model = _model_or_404(membership, id)
    return render(request, f"{SECTION}#text-files", {"model": model, "text_files": text_files(model)})


def _saved(request: HttpRequest, model: CustomModel, partial: str, message: str, **form) -> HttpResponse:
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect(reverse("panel:custom-model-detail", args=[model.pk]) + "#vocabulary")
    response = render(request, f"{SECTION}#{partial}", {"model": model, **form})
    return _with_events(response, toast=_toast(message))


def _refused(request: HttpRequest, model: CustomModel, partial: str, **form) -> HttpResponse:
    # 422 whatever the service's status: "your form has errors", swapped in where the form was.
    if not _is_htmx(request):
        return render(request, DETAIL, _detail_context(model, **form), status=422)
    return render(request, f"{SECTION}#{partial}", {"model": model, **form}, status=422)
