"""Grouping a transcription's timed words into subtitle cues."""

from datasets.transcripts import Segment, format_vtt
from panel.subtitles import words_to_segments


def w(word: str, start: float, end: float) -> dict:
    return {"word": word, "start": start, "end": end}


def test_no_words_make_no_cues():
    assert words_to_segments([]) == []


def test_close_words_share_one_cue_from_first_start_to_last_end():
    words = [w("the", 0.1, 0.3), w("patient", 0.35, 0.8), w("is", 0.9, 1.0)]
    assert words_to_segments(words) == [Segment(0.1, 1.0, "the patient is")]


def test_a_cue_holds_at_most_twelve_words():
    words = [w(f"w{n}", n * 0.2, n * 0.2 + 0.1) for n in range(25)]
    cues = words_to_segments(words)
    assert [len(c.text.split()) for c in cues] == [12, 12, 1]
    assert cues[1].start == words[12]["start"]


def test_a_cue_spans_at_most_seven_seconds():
    words = [w(f"w{n}", n * 1.0, n * 1.0 + 0.5) for n in range(10)]
    cues = words_to_segments(words, max_gap=10)
    assert all(c.end - c.start <= 7.0 for c in cues)
    assert [c.text for c in cues] == ["w0 w1 w2 w3 w4 w5 w6", "w7 w8 w9"]


def test_a_long_pause_ends_the_cue():
    words = [w("hello", 0.0, 0.4), w("again", 3.0, 3.4)]
    assert [c.text for c in words_to_segments(words)] == ["hello", "again"]


def test_a_word_longer_than_the_limit_still_gets_a_cue():
    assert words_to_segments([w("aaah", 0.0, 9.0)]) == [Segment(0.0, 9.0, "aaah")]


def test_words_without_timings_or_text_are_skipped():
    words = [w("a", 0.0, 0.2), {"word": "b", "start": None, "end": None}, w(" ", 0.3, 0.4), w("c", 0.5, 0.6)]
    assert words_to_segments(words) == [Segment(0.0, 0.6, "a c")]


def test_cues_format_as_vtt():
    vtt = format_vtt(words_to_segments([w("hi", 1.0, 1.25), w("there", 1.3, 1.5)]))
    assert vtt == "WEBVTT\n\n00:00:01.000 --> 00:00:01.500\nhi there\n"
