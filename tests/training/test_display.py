"""What a transcript shows: capitals at sentence starts, then the user's display rules, the same in
the text and in the timed words that SRT, VTT and TXT are made of."""

from training.display import displayed


def words(*spoken: str) -> list[dict]:
    return [
        {"word": f" {w}", "start": float(n), "end": n + 0.5, "probability": 0.9} for n, w in enumerate(spoken)
    ]


RULES = [
    {"written": "covid nineteen", "display": "COVID-19"},
    {"written": "dr smith", "display": "Dr. Smith"},
]


def test_a_rule_over_two_words_makes_one_timed_word_and_keeps_punctuation():
    text, timed = displayed(
        "patient had covid nineteen. dr smith saw him.",
        words("patient", "had", "covid", "nineteen.", "dr", "smith", "saw", "him."),
        rules=RULES,
        language="en",
    )
    assert text == "Patient had COVID-19. Dr. Smith saw him."
    assert [w["word"].strip() for w in timed] == ["Patient", "had", "COVID-19.", "Dr. Smith", "saw", "him."]
    merged = timed[2]
    assert (merged["start"], merged["end"]) == (2.0, 3.5)


def test_rules_match_whole_words_in_any_case_only():
    text, timed = displayed(
        "COVID Nineteen and covid nineteenth", words("COVID", "Nineteen", "and", "covid", "nineteenth"),
        rules=RULES, language="en",
    )  # fmt: skip
    assert text == "COVID-19 and covid nineteenth"
    assert [w["word"].strip() for w in timed] == ["COVID-19", "and", "covid", "nineteenth"]


def test_each_sentence_starts_with_a_capital_in_a_cased_language_only():
    spoken = words("the", "dose", "was", "fine.", "we")
    text, timed = displayed("the dose was fine. we stopped it? yes.", spoken, rules=[], language="en")
    assert text == "The dose was fine. We stopped it? Yes."
    assert [w["word"].strip() for w in timed][:1] + [timed[4]["word"].strip()] == ["The", "We"]
    assert displayed("日本語です。", [], rules=[], language="ja")[0] == "日本語です。"


def test_nothing_to_do_leaves_the_transcript_as_it_was():
    spoken = words("Hello", "there.")
    assert displayed("Hello there.", spoken, rules=[], language="en") == ("Hello there.", spoken)
