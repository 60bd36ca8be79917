"""What a training run bought, measured on the test split: the stored evaluation.

Pure functions over text, called by the pipeline once it has transcribed the test split
with the base and the custom model. Scoring goes through Whisper's English normaliser
(training.metrics) like the API's headline WER, so the report's totals agree with it; only
the formatted WER looks at the text as written.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import jiwer

from training import metrics

# A loop is an n-gram of up to this many words said at least LOOP_REPEATS times in a row.
LOOP_MAX_N = 4
LOOP_REPEATS = 3
# This many inserted words in a row are a burst: more than a misheard word or two.
INSERTION_BURST = 4
# Word timings and voice-activity regions are both approximate; a word this close to speech
# is given the benefit of the doubt.
NO_SPEECH_TOLERANCE = 0.2
# Outcomes closer than this (WER points) are noise in the second decimal, not a change.
UNCHANGED_WITHIN = 0.01
MAX_TERMS = 200

TERM_RULE = (
    "Words of at least 3 letters without digits, and runs of 2-4 capitalised words, from the "
    "training transcripts that the base's general vocabulary does not know (a name needs one "
    "such word), seen at least twice; matched after normalisation."
)

Op = dict[str, str | None]
Word = tuple[str, float, float]
Region = tuple[float, float]


def align_words(reference: str, hypothesis: str) -> list[Op]:
    """The word alignment after normalisation, one op per word.

    jiwer groups runs of the same edit into chunks; they are spread out word by word so
    the panel can colour each word and the flags can see where insertions run together.
    """
    out = jiwer.process_words(metrics.normalise(reference), metrics.normalise(hypothesis))
    ref, hyp = out.references[0], out.hypotheses[0]
    ops: list[Op] = []
    for chunk in out.alignments[0]:
        refs = ref[chunk.ref_start_idx : chunk.ref_end_idx]
        hyps = hyp[chunk.hyp_start_idx : chunk.hyp_end_idx]
        if chunk.type == "insert":
            ops += [{"op": "insert", "ref": None, "hyp": h} for h in hyps]
        elif chunk.type == "delete":
            ops += [{"op": "delete", "ref": r, "hyp": None} for r in refs]
        else:  # equal and substitute chunks pair words one to one
            ops += [{"op": chunk.type, "ref": r, "hyp": h} for r, h in zip(refs, hyps, strict=True)]
    return ops


def ops_wer(ops: Sequence[Op]) -> float:
    """WER in percent of one aligned utterance (unrounded).

    An utterance whose normalised reference is empty (silence, or only fillers) has no
    words to divide by: it scores 0 when nothing was written and 100 when anything was.
    """
    words = sum(1 for op in ops if op["op"] != "insert")
    errors = sum(1 for op in ops if op["op"] != "equal")
    if words == 0:
        return 100.0 if errors else 0.0
    return errors / words * 100


def score_utterance(reference: str, hypothesis: str) -> tuple[list[Op], float]:
    """Alignment ops and WER (percent, unrounded) of one utterance after normalisation."""
    ops = align_words(reference, hypothesis)
    return ops, ops_wer(ops)


def model_totals(references: Sequence[str], hypotheses: Sequence[str]) -> dict:
    """One model's totals over the test split, percentages rounded to 2 decimals.

    wer and cer are training.metrics.error_rates (corpus-level, normalised, utterances whose
    normalised reference is empty left out), so they match the model's headline figures;
    substitutions, insertions, deletions and reference_words are counted over the same
    utterances, after normalisation, so (S + I + D) / reference_words is the WER.

    formatted_wer scores the text as written, over the same utterances: each side is split
    on whitespace and a word must match character for character. Casing ("Hello" vs
    "hello"), attached punctuation ("hello," vs "hello"), spelling ("colour" vs "color")
    and written forms ("Dr." vs "doctor", "25" vs "twenty-five") each count as an error; a
    free-standing punctuation mark counts as a word. It shows what a reader would have to
    correct, which the normalised WER deliberately ignores.
    """
    keep = [i for i, ref in enumerate(references) if metrics.normalise(ref)]
    wer, cer = metrics.error_rates(list(references), list(hypotheses))
    normalised = jiwer.process_words(
        [metrics.normalise(references[i]) for i in keep], [metrics.normalise(hypotheses[i]) for i in keep]
    )
    formatted = jiwer.process_words(
        [" ".join(references[i].split()) for i in keep], [" ".join(hypotheses[i].split()) for i in keep]
    )
    return {
        "wer": round(wer, 2),
        "cer": round(cer, 2),
        "formatted_wer": round(formatted.wer * 100, 2),
        "substitutions": normalised.substitutions,
        "insertions": normalised.insertions,
        "deletions": normalised.deletions,
        "reference_words": sum(len(words) for words in normalised.references),
    }


@dataclass
class _Token:
    surface: str  # as written, surrounding punctuation removed
    norm: str  # normalised; may be empty or several words ("it's" -> "it is")
    capitalised: bool
    sentence_start: bool
    ends_phrase: bool  # punctuation after it ends a name ("Holter Monitor, ...")


_PUNCTUATION = ".,;:!?\"'()[]{}«»“”‘’…-–—"
_CLOSING = "\"')]}»”’"


def _normalise_word(word: str) -> str:
    return _normalise_word_in(word, metrics.normaliser_name())


@cache
def _normalise_word_in(word: str, normaliser: str) -> str:
    # Transcripts repeat the same words thousands of times; the normaliser is slow per call.
    return metrics.normalise(word)


def _tokens(transcript: str) -> list[_Token]:
    tokens: list[_Token] = []
    sentence_start = True
    for raw in transcript.split():
        surface = raw.strip(_PUNCTUATION)
        if surface:
            tokens.append(
                _Token(
                    surface=surface,
                    norm=_normalise_word(surface),
                    capitalised=surface[0].isupper(),
                    sentence_start=sentence_start,
                    ends_phrase=not raw[-1].isalnum(),
                )
            )
        ends_sentence = raw.rstrip(_CLOSING).endswith((".", "?", "!", "…"))
        sentence_start = ends_sentence or (sentence_start and not surface)  # a lone "-" changes nothing
    return tokens


def _is_single_term_shape(norm: str) -> bool:
    return " " not in norm and sum(c.isalpha() for c in norm) >= 3 and not any(c.isdigit() for c in norm)


def mine_key_terms(
    transcripts: Sequence[str], *, is_common: Callable[[str], bool], limit: int = MAX_TERMS
) -> list[str]:
    """The customer's own words and names, mined from the training transcripts.

    A single word is a key term when, normalised, it is one word the base's general
    vocabulary does not know (is_common is false), has at least 3 letters and no digits,
    and occurs at least twice in the training transcripts (a typo occurs once). A
    multi-word name is a run of 2 to 4 consecutive capitalised words, not broken by
    punctuation, with at least one word the base does not know, occurring at least twice;
    a common sentence-initial word is not part of a name ("The Holter Monitor" gives
    "Holter Monitor"), and a word seen only inside names is listed as the name alone.
    Terms are sorted by how often they occur, capped at `limit`, and written as they most
    often appear; they are matched in normalised form.
    """
    uncommon: dict[str, bool] = {}

    def is_uncommon(norm: str) -> bool:
        if norm not in uncommon:
            uncommon[norm] = bool(norm) and not all(is_common(w) for w in norm.split())
        return uncommon[norm]

    word_counts: Counter[str] = Counter()
    name_counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = {}
    word_spots: dict[str, set[tuple[int, int]]] = {}  # (transcript, token) where each word occurs
    name_spots: dict[str, list[tuple[int, int, int]]] = {}  # (transcript, first, last + 1)
    for t, transcript in enumerate(transcripts):
        tokens = _tokens(transcript)
        for i, token in enumerate(tokens):
            if token.norm and _is_single_term_shape(token.norm):
                word_counts[token.norm] += 1
                word_spots.setdefault(token.norm, set()).add((t, i))
                surfaces.setdefault(token.norm, Counter())[token.surface] += 1
        for start, end in _capitalised_runs(tokens):
            if tokens[start].sentence_start and not is_uncommon(tokens[start].norm):
                start += 1
            if not 2 <= end - start <= 4 or not any(is_uncommon(tok.norm) for tok in tokens[start:end]):
                continue
            norm = metrics.normalise(" ".join(tok.surface for tok in tokens[start:end]))
            if len(norm.split()) < 2:
                continue
            name_counts[norm] += 1
            name_spots.setdefault(norm, []).append((t, start, end))
            surfaces.setdefault(norm, Counter())[" ".join(tok.surface for tok in tokens[start:end])] += 1

    names = {norm: n for norm, n in name_counts.items() if n >= 2}
    in_names = {(t, i) for norm in names for t, start, end in name_spots[norm] for i in range(start, end)}
    words = {
        norm: n
        for norm, n in word_counts.items()
        if n >= 2 and is_uncommon(norm) and not word_spots[norm] <= in_names
    }
    ranked = sorted({**words, **names}.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [surfaces[norm].most_common(1)[0][0] for norm, _ in ranked]


def _capitalised_runs(tokens: Sequence[_Token]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, token in enumerate(tokens):
        if token.capitalised and start is None:
            start = i
        elif not token.capitalised and start is not None:
            runs.append((start, i))
            start = None
        if token.ends_phrase and start is not None:
            runs.append((start, i + 1))
            start = None
    if start is not None:
        runs.append((start, len(tokens)))
    return runs


def _count_phrase(words: Sequence[str], phrase: Sequence[str]) -> int:
    """Whole-word, non-overlapping occurrences of phrase in words."""
    count, i, n = 0, 0, len(phrase)
    while n and i + n <= len(words):
        if list(words[i : i + n]) == list(phrase):
            count, i = count + 1, i + n
        else:
            i += 1
    return count


def _percent(hits: int, total: int) -> float | None:
    return round(hits / total * 100, 2) if total else None


def term_recall(
    terms: Sequence[str],
    references: Sequence[str],
    base_hypotheses: Sequence[str],
    custom_hypotheses: Sequence[str],
) -> dict:
    """How many of the key terms said in the test split each model wrote, in percent.

    Occurrences are whole-word (or whole-phrase) matches in the normalised references; a
    model's hits in an utterance are min(occurrences in the reference, in its hypothesis),
    so writing a term where it was not said earns nothing. Terms that do not occur in the
    test split are left out of the items. The overall recall is total hits over total
    occurrences (None when no term occurs).
    """
    refs = [metrics.normalise(text).split() for text in references]
    bases = [metrics.normalise(text).split() for text in base_hypotheses]
    customs = [metrics.normalise(text).split() for text in custom_hypotheses]
    items, seen = [], set()
    for term in terms:
        phrase = metrics.normalise(term).split()
        if not phrase or tuple(phrase) in seen:
            continue
        seen.add(tuple(phrase))
        occurrences = base_hits = custom_hits = 0
        for ref, base, custom in zip(refs, bases, customs, strict=True):
            said = _count_phrase(ref, phrase)
            if said:
                occurrences += said
                base_hits += min(said, _count_phrase(base, phrase))
                custom_hits += min(said, _count_phrase(custom, phrase))
        if occurrences:
            items.append(
                {
                    "term": term,
                    "occurrences": occurrences,
                    "base_hits": base_hits,
                    "custom_hits": custom_hits,
                    "base_recall": _percent(base_hits, occurrences),
                    "custom_recall": _percent(custom_hits, occurrences),
                }
            )
    items.sort(key=lambda item: -item["occurrences"])
    total = sum(item["occurrences"] for item in items)
    return {
        "rule": TERM_RULE,
        "recall": {
            "base": _percent(sum(item["base_hits"] for item in items), total),
            "custom": _percent(sum(item["custom_hits"] for item in items), total),
        },
        "items": items,
    }


def _longest_run(words: Sequence[str], gram: Sequence[str]) -> int:
    n, best = len(gram), 0
    for i in range(len(words)):
        run = 0
        while list(words[i + run * n : i + (run + 1) * n]) == list(gram):
            run += 1
        best = max(best, run)
    return best


def loop_flags(reference: str, hypothesis: str) -> list[dict]:
    """n-grams (n = 1..4) the hypothesis says 3 or more times in a row, more than the reference.

    A decoder stuck in a loop repeats itself; a speaker who really said "no, no, no" is
    not a loop, so a repetition counts only when the reference repeats that n-gram fewer
    times in a row. Each stretch of the hypothesis is reported once, by its shortest n-gram.
    """
    ref, hyp = metrics.normalise(reference).split(), metrics.normalise(hypothesis).split()
    flags, covered = [], set()
    for n in range(1, LOOP_MAX_N + 1):
        i = 0
        while i + n <= len(hyp):
            gram = hyp[i : i + n]
            run = 1
            while hyp[i + run * n : i + (run + 1) * n] == gram:
                run += 1
            span = range(i, i + run * n)
            if run >= LOOP_REPEATS and run > _longest_run(ref, gram) and not covered & set(span):
                flags.append({"kind": "loop", "text": " ".join(hyp[i : i + run * n])})
                covered |= set(span)
                i += run * n
            else:
                i += 1
    return flags


def insertion_burst_flags(ops: Sequence[Op]) -> list[dict]:
    """Runs of 4 or more inserted words in a row: text the reference has nothing for."""
    flags, run = [], []
    for op in [*ops, {"op": "end", "ref": None, "hyp": None}]:
        if op["op"] == "insert":
            run.append(op["hyp"])
            continue
        if len(run) >= INSERTION_BURST:
            flags.append({"kind": "insertion_burst", "text": " ".join(run)})
        run = []
    return flags


def speech_covers(
    speech_regions: Sequence[Region], duration: float, tolerance: float = NO_SPEECH_TOLERANCE
) -> bool:
    """Whether speech, widened by `tolerance` seconds each side, leaves no stretch of a clip of
    `duration` seconds where a word could sit over silence (then `no_speech_flags` cannot flag
    any word, and the words need no timing)."""
    reached = 0.0
    for begin, stop in sorted(speech_regions):
        if begin - tolerance > reached:
            return False
        reached = max(reached, stop + tolerance)
    return reached >= duration


def no_speech_flags(
    words: Sequence[Word],
    speech_regions: Sequence[Region],
    reference_span: Region | None = None,
    tolerance: float = NO_SPEECH_TOLERANCE,
) -> list[dict]:
    """Words written where neither the voice activity detector nor the reference has speech.

    A word (text, start, end) is flagged when its span overlaps no speech region widened by
    `tolerance` seconds on each side; the reference's time span, when known, counts as
    speech too, since the VAD can miss quiet speech the transcriber heard. Consecutive
    flagged words make one flag ("thanks for watching").
    """
    regions = [*speech_regions, *([reference_span] if reference_span else [])]
    flags, run = [], []
    for text, start, end in words:
        if not text.strip():
            continue
        if not any(start <= stop + tolerance and end >= begin - tolerance for begin, stop in regions):
            run.append(text.strip())
        elif run:
            flags.append({"kind": "no_speech", "text": " ".join(run)})
            run = []
    if run:
        flags.append({"kind": "no_speech", "text": " ".join(run)})
    return flags


def hallucination_flags(
    reference: str,
    hypothesis: str,
    *,
    ops: Sequence[Op] | None = None,
    words: Sequence[Word] | None = None,
    speech_regions: Sequence[Region] | None = None,
    reference_span: Region | None = None,
) -> list[dict]:
    """All flags for one hypothesis: loops, insertion bursts and, given timings, no-speech words.

    The no-speech check needs both the hypothesis' word timings and the VAD's speech
    regions; without either it is skipped rather than guessed.
    """
    if ops is None:
        ops = align_words(reference, hypothesis)
    flags = loop_flags(reference, hypothesis) + insertion_burst_flags(ops)
    if words is not None and speech_regions is not None:
        flags += no_speech_flags(words, speech_regions, reference_span)
    return flags


def utterance_outcome(base_wer: float, custom_wer: float) -> str:
    """improved / worse / unchanged for one utterance, by its WER with each model."""
    if abs(custom_wer - base_wer) <= UNCHANGED_WITHIN:
        return "unchanged"
    return "improved" if custom_wer < base_wer else "worse"


@dataclass(frozen=True)
class UtteranceTranscripts:
    """One test-split utterance as the pipeline heard it with both models."""

    reference: str
    base_text: str
    custom_text: str
    custom_words: Sequence[Word] | None = None  # the custom model's (word, start, end)
    speech_regions: Sequence[Region] | None = None  # the VAD's (start, end)
    reference_span: Region | None = None


def build_evaluation(
    utterances: Sequence[UtteranceTranscripts], *, terms: Sequence[str]
) -> tuple[dict, list[dict]]:
    """The run's stored evaluation (less "anchor" and "curve") and one row per utterance.

    Rows carry EvaluationUtterance's fields except clip and seconds, which the pipeline
    knows; position is the utterance's index in `utterances`. Flags are the custom model's.
    In the totals, "flagged" and each count under "flags" are numbers of utterances.
    """
    rows = []
    for position, utt in enumerate(utterances):
        base_ops, base_wer = score_utterance(utt.reference, utt.base_text)
        custom_ops, custom_wer = score_utterance(utt.reference, utt.custom_text)
        flags = hallucination_flags(
            utt.reference,
            utt.custom_text,
            ops=custom_ops,
            words=utt.custom_words,
            speech_regions=utt.speech_regions,
            reference_span=utt.reference_span,
        )
        rows.append(
            {
                "position": position,
                "reference": utt.reference,
                "base_text": utt.base_text,
                "custom_text": utt.custom_text,
                "base_wer": round(base_wer, 2),
                "custom_wer": round(custom_wer, 2),
                "base_ops": base_ops,
                "custom_ops": custom_ops,
                "flags": flags,
                "outcome": utterance_outcome(base_wer, custom_wer),
                "flagged": bool(flags),
            }
        )
    references = [utt.reference for utt in utterances]
    outcomes = Counter(row["outcome"] for row in rows)
    totals = {
        "base": model_totals(references, [utt.base_text for utt in utterances]),
        "custom": model_totals(references, [utt.custom_text for utt in utterances]),
        "utterances": len(rows),
        "improved": outcomes["improved"],
        "worse": outcomes["worse"],
        "unchanged": outcomes["unchanged"],
        "flagged": sum(row["flagged"] for row in rows),
        "flags": {
            kind: sum(any(flag["kind"] == kind for flag in row["flags"]) for row in rows)
            for kind in ("loop", "insertion_burst", "no_speech")
        },
    }
    recall = term_recall(
        terms, references, [utt.base_text for utt in utterances], [utt.custom_text for utt in utterances]
    )
    return {"normaliser": metrics.normaliser_name(), "totals": totals, "terms": recall}, rows


def phrase_list_effect(
    phrases: Sequence[str],
    terms: Sequence[str],
    references: Sequence[str],
    without: Sequence[str],
    with_list: Sequence[str],
) -> dict:
    """What the model's phrase list does on the test split: key-term recall (the mined terms and
    the listed phrases) and WER without and with it, and false insertions: a listed phrase written
    more often than the reference says it, counted per utterance, with and without the list."""
    recall = term_recall([*terms, *phrases], references, without, with_list)
    refs = [metrics.normalise(text).split() for text in references]

    def inserted(hypotheses: Sequence[str]) -> int:
        count = 0
        for ref, hyp in zip(refs, (metrics.normalise(text).split() for text in hypotheses), strict=True):
            for phrase in phrases:
                words = metrics.normalise(phrase).split()
                count += max(0, _count_phrase(hyp, words) - _count_phrase(ref, words))
        return count

    wer_without, _ = metrics.error_rates(list(references), list(without))
    wer_with, _ = metrics.error_rates(list(references), list(with_list))
    utterances = len(references)
    return {
        "phrases": len(phrases),
        "utterances": utterances,
        "recall": {"without": recall["recall"]["base"], "with": recall["recall"]["custom"]},
        "wer": {"without": round(wer_without, 2), "with": round(wer_with, 2)},
        "false_insertions": {"without": inserted(without), "with": inserted(with_list)},
        "false_insertions_per_100_utterances": round(inserted(with_list) / max(1, utterances) * 100, 2),
        "items": recall["items"],
    }
