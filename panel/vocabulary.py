"""The Vocabulary section's forms: what a post of them means, and what the template draws.

Input parsing only; what a list may hold is custom_models.vocabulary's to say. Blank lines of the
phrase box and rows left blank on both sides are not entries: a textarea ends in a newline and the
rules table keeps a spare row to add to. Everything else is sent, so that the service can refuse it
with its own message, which the form shows beside what the user typed.
"""

import json
from dataclasses import dataclass
from itertools import zip_longest

from config.errors import ApplicationError
from custom_models.models import CustomModel, Vocabulary
from custom_models.vocabulary import MAX_DISPLAY_RULES, MAX_PHRASE_CHARS, MAX_PHRASES, vocabulary_of_model
from datasets.models import Kind
from datasets.selectors import dataset_file_list


@dataclass
class PhrasesForm:
    text: str  # the textarea as shown: the stored list, or what was typed when it was refused
    saved: str  # the stored list, one a line: Save stays disabled until the box differs
    count: int
    error: str = ""

    limit = MAX_PHRASES
    chars = MAX_PHRASE_CHARS

    @property
    def count_label(self) -> str:
        return f"{self.count:,} of {MAX_PHRASES:,} phrases"


@dataclass
class RulesForm:
    rows: list[dict]  # {"written", "display", "invalid"}, and a blank one to add to
    saved: str  # the stored rules as JSON pairs, for panel.js to tell a changed table
    count: int
    error: str = ""

    @property
    def count_label(self) -> str:
        return f"{self.count:,} of {MAX_DISPLAY_RULES:,} rules"


def phrases_parse(text: str) -> tuple[list[str], list[int]]:
    """The phrases of the box (one a line, blank lines skipped) and the line number of each."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    return [line for _, line in lines], [n for n, _ in lines]


def rules_parse(written: list[str], display: list[str]) -> list[dict]:
    """Rules from the table's paired columns; a row blank on both sides is no rule."""
    pairs = zip_longest(written, display, fillvalue="")
    return [{"written": w, "display": d} for w, d in pairs if w.strip() or d.strip()]


def _bad_entries(exc: ApplicationError, key: str) -> list[int]:
    """Positions (0-based) of the entries the service refused, from its details."""
    entries = (exc.details or {}).get(key)
    if not isinstance(entries, dict):
        return []  # a refusal of the whole list (too many), not of entries
    return sorted(int(n) for n in entries if str(n).isdigit())


def phrases_form(
    vocabulary: Vocabulary, *, typed: str | None = None, exc: ApplicationError | None = None
) -> PhrasesForm:
    saved = "\n".join(vocabulary.phrases)
    if exc is None:
        return PhrasesForm(text=saved, saved=saved, count=len(vocabulary.phrases))
    phrases, line_numbers = phrases_parse(typed or "")
    lines = [line_numbers[n] for n in _bad_entries(exc, "phrases") if n < len(line_numbers)]
    error = exc.message
    if lines:
        error += f" (line {lines[0]} of the box)"
    return PhrasesForm(text=typed or "", saved=saved, count=len(phrases), error=error)


def rules_form(
    vocabulary: Vocabulary, *, sent: list[dict] | None = None, exc: ApplicationError | None = None
) -> RulesForm:
    pairs = [[rule["written"], rule["display"]] for rule in vocabulary.display_rules]
    saved = json.dumps(pairs, separators=(",", ":"), ensure_ascii=False)  # as JSON.stringify writes it
    rules = vocabulary.display_rules if exc is None else sent or []
    bad = set(_bad_entries(exc, "display_rules")) if exc else set()
    rows = [{**rule, "invalid": n in bad} for n, rule in enumerate(rules)]
    rows.append({"written": "", "display": "", "invalid": False})
    return RulesForm(rows=rows, saved=saved, count=len(rules), error=exc.message if exc else "")


def text_files(model: CustomModel) -> list:
    return list(dataset_file_list(model=model).filter(kind=Kind.TEXT))


def vocabulary_context(model: CustomModel, **forms) -> dict:
    """The whole section; `forms` replaces a form's stored state with a refused post's."""
    vocabulary = vocabulary_of_model(model=model)
    return {
        "phrases_form": phrases_form(vocabulary),
        "rules_form": rules_form(vocabulary),
        "text_files": text_files(model),
        **forms,
    }
