"""The stored evaluation's figures on known hypotheses: alignment, totals, key terms, flags."""

import pytest

from training import metrics
from training.evaluation import (
    TERM_RULE,
    UtteranceTranscripts,
    build_evaluation,
    hallucination_flags,
    insertion_burst_flags,
    loop_flags,
    mine_key_terms,
    model_totals,
    no_speech_flags,
    score_utterance,
    speech_covers,
    term_recall,
    utterance_outcome,
)

COMMON = {
    *("the", "a", "an", "and", "of", "to", "in", "on", "for", "with", "at", "was", "is", "he", "she"),
    *("it", "patient", "takes", "started", "today", "wore", "monitor", "two", "days", "fine", "said"),
    *("no", "yes", "new", "york", "doctor", "after", "morning", "dose", "heart", "rate"),
}


def is_common(word: str) -> bool:
    return word in COMMON


def counts(ops: list[dict]) -> dict[str, int]:
    return {kind: sum(op["op"] == kind for op in ops) for kind in ("equal", "substitute", "insert", "delete")}


# Alignment


def test_alignment_finds_one_substitution_and_one_insertion():
    ops, wer = score_utterance("the cat sat", "the bat sat down")
    assert ops == [
        {"op": "equal", "ref": "the", "hyp": "the"},
        {"op": "substitute", "ref": "cat", "hyp": "bat"},
        {"op": "equal", "ref": "sat", "hyp": "sat"},
        {"op": "insert", "ref": None, "hyp": "down"},
    ]
    assert round(wer, 2) == 66.67


def test_alignment_spreads_chunks_word_by_word():
    ops, wer = score_utterance("start apixaban twice daily", "start a pick saban daily")
    assert counts(ops) == {"equal": 2, "substitute": 2, "insert": 1, "delete": 0}
    assert wer == 75.0


def test_alignment_is_made_after_normalising():
    ops, wer = score_utterance("Hello, Dr. Smith.", "hello doctor smith")
    assert counts(ops) == {"equal": 3, "substitute": 0, "insert": 0, "delete": 0}
    assert wer == 0.0


def test_missing_words_are_deletions():
    ops, wer = score_utterance("take two tablets", "")
    assert counts(ops) == {"equal": 0, "substitute": 0, "insert": 0, "delete": 3}
    assert wer == 100.0


def test_an_empty_reference_scores_zero_for_silence_and_a_hundred_for_any_words():
    assert score_utterance("", "") == ([], 0.0)
    assert score_utterance("Uh.", "")[1] == 0.0
    ops, wer = score_utterance("Uh.", "thanks for watching")
    assert counts(ops)["insert"] == 3
    assert wer == 100.0


# Totals


def test_totals_agree_with_the_headline_error_rates_and_count_edits():
    refs = ["the cat sat", "on the mat", "Uh."]
    hyps = ["the bat sat down", "on the", "thanks for watching"]
    totals = model_totals(refs, hyps)
    wer, cer = metrics.error_rates(refs, hyps)
    assert totals["wer"] == round(wer, 2) == 50.0  # 1 S + 1 I + 1 D over 6 words; the silent clip is left out
    assert totals["cer"] == round(cer, 2)
    assert (totals["substitutions"], totals["insertions"], totals["deletions"]) == (1, 1, 1)
    assert totals["reference_words"] == 6


def test_formatted_wer_counts_casing_and_punctuation_that_the_normalised_wer_forgives():
    totals = model_totals(["Hello, world. The patient is fine."], ["hello world the patient is fine"])
    assert totals["wer"] == 0.0
    assert totals["formatted_wer"] == 66.67  # "Hello," "world." "The" "fine." are 4 of 6 words


def test_formatted_wer_counts_written_forms():
    totals = model_totals(["Dr. Patel gave 25 mg."], ["Doctor Patel gave twenty-five mg."])
    assert totals["wer"] == 0.0
    assert totals["formatted_wer"] == 40.0
    assert model_totals(["Dr. Patel gave 25 mg."], ["Dr. Patel gave 25 mg."])["formatted_wer"] == 0.0


# Key terms


def test_a_rare_word_seen_twice_is_a_term_and_once_is_not():
    transcripts = [
        "The patient started apixaban today.",
        "She takes apixaban with food.",
        "He was on metoprolo today.",  # a typo, seen once
    ]
    assert mine_key_terms(transcripts, is_common=is_common) == ["apixaban"]


def test_common_short_and_numeric_words_are_not_terms():
    transcripts = ["The patient takes the dose at 8 am, 2024 and 2024, xy xy.", "The patient takes the dose."]
    assert mine_key_terms(transcripts, is_common=is_common) == []


def test_a_two_word_name_is_found_without_the_sentence_initial_word():
    transcripts = [
        "He wore a Holter Monitor for two days.",
        "The Holter Monitor was fine.",
        "Then New York, and New York again.",  # capitalised but common: not a term
    ]
    assert mine_key_terms(transcripts, is_common=is_common) == ["Holter Monitor"]


def test_a_word_seen_outside_its_name_is_also_a_term():
    transcripts = [
        "He wore a Holter Monitor.",
        "The Holter Monitor was fine.",
        "Review the holter data, the holter report and the holter strip.",
    ]
    assert mine_key_terms(transcripts, is_common=is_common) == ["holter", "Holter Monitor"]


def test_terms_are_sorted_by_frequency_and_capped():
    transcripts = ["apixaban apixaban apixaban warfarin warfarin", "Eliquis Eliquis rivaroxaban rivaroxaban"]
    assert mine_key_terms(transcripts, is_common=is_common) == [
        "apixaban",
        "Eliquis",
        "rivaroxaban",
        "warfarin",
    ]
    assert mine_key_terms(transcripts, is_common=is_common, limit=2) == ["apixaban", "Eliquis"]


# Key-term recall


def test_term_recall_goes_up_from_base_to_custom():
    terms = ["apixaban", "Holter Monitor", "warfarin"]
    refs = [
        "Start apixaban today.",
        "He wore a Holter Monitor.",
        "Continue apixaban and review the Holter Monitor.",
        "No changes.",
    ]
    base = [
        "Start a pick saban today.",
        "He wore a halter monitor.",
        "Continue apixaban and review the holter.",
        "",
    ]
    custom = [
        "Start apixaban today.",
        "He wore a Holter monitor.",
        "Continue apixaban and review the Holter Monitor.",
        "",
    ]
    recall = term_recall(terms, refs, base, custom)
    assert recall["rule"] == TERM_RULE
    assert recall["items"] == [
        {
            "term": "apixaban",
            "occurrences": 2,
            "base_hits": 1,
            "custom_hits": 2,
            "base_recall": 50.0,
            "custom_recall": 100.0,
        },
        {
            "term": "Holter Monitor",
            "occurrences": 2,
            "base_hits": 0,
            "custom_hits": 2,
            "base_recall": 0.0,
            "custom_recall": 100.0,
        },
    ]  # warfarin is not said in the test split: left out
    assert recall["recall"] == {"base": 25.0, "custom": 100.0}


def test_writing_a_term_more_often_than_it_was_said_earns_nothing():
    recall = term_recall(
        ["apixaban"], ["apixaban twice daily"], ["apixaban apixaban apixaban"], ["twice daily"]
    )
    assert recall["items"][0]["base_hits"] == 1
    assert recall["recall"] == {"base": 100.0, "custom": 0.0}


def test_terms_match_whole_words_only():
    recall = term_recall(["statin"], ["start a statin", "nystatin cream"], ["start a statins", "x"], ["", ""])
    assert recall["items"][0]["occurrences"] == 1
    assert recall["recall"] == {"base": 0.0, "custom": 0.0}


def test_recall_is_none_when_no_term_is_said():
    recall = term_recall(["apixaban"], ["no changes"], ["no changes"], ["no changes"])
    assert recall == {"rule": TERM_RULE, "recall": {"base": None, "custom": None}, "items": []}


# Flags


def test_a_repeated_phrase_loop_is_flagged():
    flags = loop_flags("thank you", "Thank you. Thank you. Thank you. Thank you.")
    assert flags == [{"kind": "loop", "text": "thank you thank you thank you thank you"}]


def test_a_single_word_loop_is_flagged_once():
    flags = loop_flags("the the patient", "the the the the the the patient")
    assert flags == [{"kind": "loop", "text": "the the the the the the"}]


def test_a_repetition_the_speaker_said_is_not_a_loop():
    assert loop_flags("No, no, no, I said the dose.", "no no no I said the dose") == []
    assert loop_flags("thank you", "thank you thank you") == []


def test_a_burst_of_four_inserted_words_is_flagged_and_three_is_not():
    ops, _ = score_utterance("take two tablets", "take two tablets please subscribe to channel")
    assert insertion_burst_flags(ops) == [{"kind": "insertion_burst", "text": "please subscribe to channel"}]
    ops, _ = score_utterance("take two tablets", "take two tablets please subscribe now")
    assert insertion_burst_flags(ops) == []


WORDS = [
    ("Take", 0.5, 0.8),
    ("two", 0.8, 1.0),
    ("thanks", 4.0, 4.3),
    ("for", 4.3, 4.4),
    ("watching", 4.4, 4.9),
]


def test_words_over_no_speech_are_flagged():
    flags = no_speech_flags(WORDS, [(0.4, 1.1)])
    assert flags == [{"kind": "no_speech", "text": "thanks for watching"}]


def test_words_near_speech_or_inside_the_reference_span_are_not_flagged():
    assert no_speech_flags(WORDS, [(0.4, 1.1), (4.95, 6.0)]) == [{"kind": "no_speech", "text": "thanks for"}]
    assert no_speech_flags(WORDS, [(0.4, 1.1), (4.5, 6.0)]) == []  # within 0.2 s of speech
    assert no_speech_flags(WORDS, [(0.4, 1.1)], reference_span=(0.3, 5.0)) == []


def test_no_speech_is_not_judged_without_timings_and_regions():
    reference, hypothesis = "take two", "take two thanks for watching"
    assert hallucination_flags(reference, hypothesis, words=WORDS) == []
    assert hallucination_flags(reference, hypothesis, words=WORDS, speech_regions=[(0.4, 1.1)]) == [
        {"kind": "no_speech", "text": "thanks for watching"}
    ]


# Outcomes


@pytest.mark.parametrize(
    ("base_wer", "custom_wer", "outcome"),
    [(50.0, 25.0, "improved"), (25.0, 50.0, "worse"), (33.33, 33.335, "unchanged"), (0.0, 0.0, "unchanged")],
)
def test_outcome_compares_base_and_custom_wer(base_wer, custom_wer, outcome):
    assert utterance_outcome(base_wer, custom_wer) == outcome


# The assembled evaluation


def test_build_evaluation_follows_the_stored_contract():
    utterances = [
        UtteranceTranscripts("Start apixaban today.", "Start a pick saban today.", "Start apixaban today."),
        UtteranceTranscripts(
            "He wore a Holter Monitor.", "He wore a Holter Monitor.", "He wore a Holter Monitor."
        ),
        UtteranceTranscripts(
            "Take two tablets.",
            "Take two tablets.",
            "Take two tablets thanks for watching thanks for watching thanks for watching.",
            custom_words=[("Take", 0.5, 0.8), ("two", 0.8, 1.0), ("tablets", 1.0, 1.5), ("thanks", 4.0, 4.3)],
            speech_regions=[(0.4, 1.6)],
        ),
    ]
    evaluation, rows = build_evaluation(utterances, terms=["apixaban", "Holter Monitor", "warfarin"])

    assert set(evaluation) == {"normaliser", "totals", "terms"}
    assert evaluation["normaliser"] == metrics.normaliser_name()
    totals = evaluation["totals"]
    assert set(totals["base"]) == set(totals["custom"]) == {
        "wer", "cer", "formatted_wer", "substitutions", "insertions", "deletions", "reference_words",
    }  # fmt: skip
    assert totals["base"]["wer"] == 27.27  # "apixaban" -> "a pick saban": 1 S + 2 I over 11 words
    assert totals["custom"]["wer"] == 81.82  # 9 inserted words over 11
    assert (totals["custom"]["substitutions"], totals["custom"]["insertions"]) == (0, 9)
    assert totals["base"]["reference_words"] == 11
    assert {k: totals[k] for k in ("utterances", "improved", "worse", "unchanged", "flagged")} == {
        "utterances": 3,
        "improved": 1,
        "worse": 1,
        "unchanged": 1,
        "flagged": 1,
    }
    assert totals["flags"] == {"loop": 1, "insertion_burst": 1, "no_speech": 1}
    assert set(evaluation["terms"]) == {"rule", "recall", "items"}
    assert evaluation["terms"]["recall"] == {"base": 50.0, "custom": 100.0}
    assert [item["term"] for item in evaluation["terms"]["items"]] == ["apixaban", "Holter Monitor"]

    assert [set(row) for row in rows] == [
        {
            "position",
            "reference",
            "base_text",
            "custom_text",
            "base_wer",
            "custom_wer",
            "base_ops",
            "custom_ops",
            "flags",
            "outcome",
            "flagged",
        }  # fmt: skip
    ] * 3
    first, _, last = rows
    assert (first["position"], first["base_wer"], first["custom_wer"], first["outcome"]) == (
        0,
        100.0,
        0.0,
        "improved",
    )
    assert counts(first["base_ops"]) == {"equal": 2, "substitute": 1, "insert": 2, "delete": 0}
    assert (last["position"], last["base_wer"], last["custom_wer"], last["outcome"]) == (
        2,
        0.0,
        300.0,
        "worse",
    )
    assert [flag["kind"] for flag in last["flags"]] == ["loop", "insertion_burst", "no_speech"]
    assert last["flags"][0]["text"] == "thanks for watching thanks for watching thanks for watching"
    assert last["flagged"] is True and first["flagged"] is False


def test_a_clip_that_is_speech_end_to_end_leaves_no_room_for_words_over_silence():
    # Gaps and edges within 0.2 s of speech count as speech, as in no_speech_flags.
    assert speech_covers([(0.1, 2.0), (2.3, 4.85)], 5.0)
    assert not speech_covers([(0.1, 2.0), (2.5, 4.85)], 5.0)  # a 0.5 s pause: a word could sit there
    assert not speech_covers([(0.5, 5.0)], 5.0) and not speech_covers([(0.0, 4.0)], 5.0)
    assert not speech_covers([], 1.0)
    # Where it covers, no word of the clip can be flagged, wherever alignment would put it.
    words = [("a", 0.0, 0.1), ("b", 2.0, 2.3), ("c", 4.9, 5.0)]
    assert no_speech_flags(words, [(0.1, 2.0), (2.3, 4.85)]) == []
