"""The Evaluation section of a trained model's details page (training.selectors reads it all).

The details page asks for the section once it has loaded (hx-trigger="load"), so the page
itself stays as quick as before; the utterance table is a fragment of the section that the
filter buttons and the pager ask for again. Clips are served here, with the session, rather
than by the API's signed links: the page's Content-Security-Policy plays media only from
this site, and an S3 link is another origin.
"""

from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.errors import ApplicationError
from custom_models.models import CustomModel
from panel.streaming import media_response
from panel.views import _custom_models_page, _model_or_404
from training import selectors
from training.models import TrainingRun

SECTION = "panel/evaluation/section.html"
UTTERANCES = f"{SECTION}#utterances"
PAGE_SIZE = 20
FILTERS = [
    ("", "All"),
    ("improved", "Improved"),
    ("worse", "Worse"),
    ("unchanged", "Unchanged"),
    ("flagged", "Flagged"),
]


def _run_or_none(model: CustomModel) -> TrainingRun | None:
    try:
        return selectors.training_run_evaluated_get(model=model)
    except ApplicationError:
        return None


def _utterances(request, model: CustomModel, run: TrainingRun) -> dict:
    """The filter bar and one page of the table, as the request asks (unknown values: all, page 1)."""
    outcome = request.GET.get("outcome", "")
    if outcome not in selectors.EVALUATION_FILTERS:
        outcome = ""
    rows = selectors.evaluation_utterance_list(run=run, outcome=outcome or None)
    page: Page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = run.evaluation["totals"]
    counts = {"": totals.get("utterances"), **{key: totals.get(key) for key, _ in FILTERS[1:]}}
    return {
        "model": model,
        "outcome": outcome,
        "page": page,
        "filters": [(key, label, counts[key]) for key, label in FILTERS],
    }


def _card(key: str, label: str, *, value: str = "", change: float | None = None, **more) -> dict:
    return {"key": key, "label": label, "value": value, "change": change, "unit": "", "note": "",
            "state": "same", "failed": False, **more}  # fmt: skip


def _trend(change: float, *, higher_is_better: bool) -> str:
    if change == 0:
        return "same"
    return "better" if (change > 0) == higher_is_better else "worse"


def _cards(evaluation: dict) -> list[dict]:
    """The summary cards: a label, the figure, a note, and whether the change is good news."""
    base, custom = evaluation["totals"]["base"], evaluation["totals"]["custom"]
    wer_change = custom["wer"] - base["wer"]
    cards = [
        _card(
            "wer",
            "Word error rate",
            value=f"{base['wer']:.1f}% → {custom['wer']:.1f}%",
            change=wer_change,
            note="base → custom model, on the test split",
            state=_trend(wer_change, higher_is_better=False),
        )
    ]
    terms = evaluation.get("terms")
    recall = (terms or {}).get("recall") or {}
    if terms is None:
        cards.append(_card("terms", "Key-term recall", value="not measured", state="unmeasured"))
    elif recall.get("base") is None or recall.get("custom") is None:
        note = "no key term occurs in the test split"
        cards.append(_card("terms", "Key-term recall", value="—", note=note, state="unmeasured"))
    else:
        change = recall["custom"] - recall["base"]
        cards.append(
            _card(
                "terms",
                "Key-term recall",
                value=f"{recall['base']:.1f}% → {recall['custom']:.1f}%",
                change=change,
                note=f"base → custom model, {len(terms.get('items', []))} terms in the test split",
                state=_trend(change, higher_is_better=True),
            )
        )
    anchor = evaluation.get("anchor")
    if anchor is None:
        cards.append(_card("anchor", "General speech", value="not measured", state="unmeasured"))
    else:
        passed = anchor["passed"]
        cards.append(
            _card(
                "anchor",
                "General speech",
                change=anchor["change"],
                unit="WER points",
                note=(
                    f"everyday speech: {anchor['base_wer']:.1f}% → {anchor['custom_wer']:.1f}%; "
                    f"{'passed' if passed else 'failed'} the gate of {anchor['max_regression']:.1f} points"
                ),
                # Worse within the gate's allowance is shown as neutral: the gate passed it.
                state=("better" if anchor["change"] < 0 else "same") if passed else "failed",
                failed=not passed,
            )
        )
    return cards


@require_GET
@_custom_models_page
def evaluation_section(request, membership, id: int):
    model = _model_or_404(membership, id)
    run = _run_or_none(model)
    if run is None:
        return render(request, SECTION, {"model": model, "run": None})
    evaluation = run.evaluation
    context = {
        "run": run,
        "evaluation": evaluation,
        "cards": _cards(evaluation),
        "terms": evaluation.get("terms"),
        "curve": evaluation.get("curve"),
        **_utterances(request, model, run),
    }
    return render(request, SECTION, context)


@require_GET
@_custom_models_page
def evaluation_utterances(request, membership, id: int):
    model = _model_or_404(membership, id)
    run = _run_or_none(model)
    if run is None:
        raise Http404("This model has no evaluation.")
    return render(request, UTTERANCES, _utterances(request, model, run))


@require_GET
@_custom_models_page
def evaluation_clip(request, membership, id: int, position: int):
    run = _run_or_none(_model_or_404(membership, id))
    try:
        if run is None:
            raise Http404("This model has no evaluation.")
        utterance = selectors.evaluation_utterance_get(run=run, position=position)
        clip = default_storage.open(utterance.clip, "rb")
    except (ApplicationError, FileNotFoundError) as exc:
        raise Http404("No such clip.") from exc
    return media_response(request, clip)
