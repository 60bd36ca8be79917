"""Vocabulary without recordings: phrase lists and display rules, of a custom model or of an
organisation's base language.

Services and selectors, kept apart from services.py because they are their own concern: what a
list may hold is checked here, once, for the API, the panel and a request's own phrases. A list
that cannot be applied is refused with the reason, never stored and ignored.
"""

from django.db import transaction

from accounts.models import Organisation
from config.errors import ApplicationError
from custom_models.models import CustomModel, Vocabulary
from custom_models.selectors import published_language_get

MAX_PHRASES = 1000  # a model's (or a base language's) list
MAX_REQUEST_PHRASES = 100  # one transcription request's own
MAX_PHRASE_CHARS = 100
MAX_DISPLAY_RULES = 1000
MAX_RULE_CHARS = 100


def _invalid(message: str, details: dict) -> ApplicationError:
    return ApplicationError(message, error_code="INVALID_INPUT", status=422, details=details)


def phrases_clean(phrases, *, limit: int = MAX_PHRASES, field: str = "phrases") -> list[str]:
    """The phrases as stored: stripped, inner spaces collapsed, duplicates (any case) dropped.

    Refused whole, with the position of each bad entry: not a list of strings, more than `limit`,
    an empty phrase, or one over MAX_PHRASE_CHARS characters."""
    if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
        raise _invalid(f"{field} must be a list of strings.", {field: ["Expected a list of strings."]})
    if len(phrases) > limit:
        raise _invalid(
            f"At most {limit} phrases are allowed ({len(phrases)} were sent).",
            {field: [f"At most {limit} phrases."]},
        )
    errors, cleaned, seen = {}, [], set()
    for n, phrase in enumerate(phrases):
        text = " ".join(phrase.split())
        if not text:
            errors[str(n)] = ["A phrase cannot be empty."]
        elif len(text) > MAX_PHRASE_CHARS:
            errors[str(n)] = [f"At most {MAX_PHRASE_CHARS} characters ({len(text)} given)."]
        elif text.casefold() not in seen:
            seen.add(text.casefold())
            cleaned.append(text)
    if errors:
        first = next(iter(errors))
        raise _invalid(f"{field}[{first}]: {errors[first][0]}", {field: errors})
    return cleaned


def display_rules_clean(rules) -> list[dict]:
    """Display rules as stored: [{"written", "display"}], both stripped; refused whole when one
    is empty on either side, too long, or a `written` form is given twice."""
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise _invalid(
            'display_rules must be a list of {"written": ..., "display": ...}.',
            {"display_rules": ["Expected a list of objects."]},
        )
    if len(rules) > MAX_DISPLAY_RULES:
        raise _invalid(
            f"At most {MAX_DISPLAY_RULES} display rules are allowed ({len(rules)} were sent).",
            {"display_rules": [f"At most {MAX_DISPLAY_RULES} rules."]},
        )
    errors, cleaned, seen = {}, [], set()
    for n, rule in enumerate(rules):
        written, display = rule.get("written"), rule.get("display")
        if not isinstance(written, str) or not isinstance(display, str):
            errors[str(n)] = ['Each rule needs "written" and "display" text.']
            continue
        written, display = " ".join(written.split()), " ".join(display.split())
        if not written or not display:
            errors[str(n)] = ["Neither side of a rule can be empty: a rule never deletes words."]
        elif max(len(written), len(display)) > MAX_RULE_CHARS:
            errors[str(n)] = [f"At most {MAX_RULE_CHARS} characters on each side."]
        elif written.casefold() in seen:
            errors[str(n)] = [f"{written!r} has a rule already."]
        else:
            seen.add(written.casefold())
            cleaned.append({"written": written, "display": display})
    if errors:
        first = next(iter(errors))
        raise _invalid(f"display_rules[{first}]: {errors[first][0]}", {"display_rules": errors})
    return cleaned


def vocabulary_of_model(*, model: CustomModel) -> Vocabulary:
    """The custom model's vocabulary (empty until set)."""
    return Vocabulary.objects.filter(custom_model=model).first() or Vocabulary(
        organisation=model.organisation, custom_model=model
    )


def vocabulary_of_language(*, organisation: Organisation, code: str) -> Vocabulary:
    """The organisation's vocabulary for a base language published to it (empty until set)."""
    language = published_language_get(organisation=organisation, code=code)
    return Vocabulary.objects.filter(
        organisation=organisation, language=language, custom_model=None
    ).first() or (Vocabulary(organisation=organisation, language=language))


@transaction.atomic
def vocabulary_update(*, vocabulary: Vocabulary, phrases=None, display_rules=None) -> Vocabulary:
    """Replace the phrase list and/or the display rules (None leaves one as it is); checked whole first."""
    cleaned_phrases = phrases_clean(phrases) if phrases is not None else None
    cleaned_rules = display_rules_clean(display_rules) if display_rules is not None else None
    if vocabulary.pk is None:
        # Two first saves at once: get_or_create takes the row the other one made.
        vocabulary, _ = Vocabulary.objects.get_or_create(
            organisation=vocabulary.organisation,
            custom_model=vocabulary.custom_model,
            language=vocabulary.language,
        )
    if cleaned_phrases is not None:
        vocabulary.phrases = cleaned_phrases
    if cleaned_rules is not None:
        vocabulary.display_rules = cleaned_rules
    vocabulary.save()
    return vocabulary


def vocabulary_for_transcription(*, organisation: Organisation, custom_model, language) -> Vocabulary | None:
    """What a transcription applies: the custom model's vocabulary, else the organisation's for the
    base language; None when there is none."""
    if custom_model is not None:
        return Vocabulary.objects.filter(custom_model=custom_model).first()
    if language is None:
        return None
    return Vocabulary.objects.filter(organisation=organisation, language=language, custom_model=None).first()
