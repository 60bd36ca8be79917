from pathlib import Path

import pytest

from datasets.transcripts import (
    Segment,
    TranscriptError,
    cues_to_segments,
    format_vtt,
    parse_manifest,
    parse_srt,
    parse_timestamp,
    parse_transcript,
    parse_txt,
    parse_vtt,
    words_to_segments,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"


def read(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_vtt_cues_become_segments_without_tags_and_short_cues():
    segments = parse_vtt(read("talk1.vtt"))
    assert segments[0] == Segment(0.0, 2.5, "The patient has atrial fibrillation.")
    assert all(s.text != "uh" for s in segments)  # a 0.4 s cue is dropped


def test_vtt_cue_over_30_seconds_is_split_with_words_in_proportion():
    long_pieces = parse_vtt(read("talk1.vtt"))[1:]  # one 62 s cue of 12 words
    assert [(round(p.start, 2), round(p.end, 2)) for p in long_pieces] == [
        (3.0, 23.67),
        (23.67, 44.33),
        (44.33, 65.0),
    ]
    assert [p.text for p in long_pieces] == [
        "one two three four",
        "five six seven eight",
        "nine ten eleven twelve",
    ]


def test_split_pieces_never_exceed_30_seconds():
    segments = cues_to_segments([Segment(0.0, 95.0, " ".join(f"w{i}" for i in range(19)))])
    assert len(segments) == 4
    assert max(s.duration for s in segments) <= 30.0
    assert " ".join(s.text for s in segments).split() == [f"w{i}" for i in range(19)]


def test_srt_multiline_cues_join():
    assert parse_srt(read("talk2.srt")) == [
        Segment(0.0, 2.0, "Hello there."),
        Segment(2.0, 4.25, "General Kenobi, you are a bold one."),
    ]


def test_txt_is_kept_whole():
    assert parse_txt(read("talk3.txt")) == "The echocardiogram shows normal left ventricular function."


def test_empty_txt_is_an_error():
    with pytest.raises(TranscriptError, match="empty"):
        parse_txt("  \n")


def test_manifest_rows_name_uploaded_audio_by_file_name():
    rows = parse_manifest(read("manifest.jsonl"))
    assert [(r.audio, r.duration, r.offset, r.text) for r in rows] == [
        ("talk4.wav", 2.5, 0.0, "mitral valve prolapse"),
        ("talk4.wav", 1.5, 2.5, "no regurgitation"),
    ]


@pytest.mark.parametrize(
    "name, line, message",
    [
        ("bad_order.vtt", 3, "ends before it starts"),
        ("bad_timing.srt", 1, "expected"),
        ("missing_field.jsonl", 2, "missing field(s): duration"),
    ],
)
def test_malformed_files_name_the_line(name, line, message):
    with pytest.raises(TranscriptError) as error:
        parse_transcript(name, (FIXTURES / name).read_bytes())
    assert error.value.line == line
    assert f"line {line}" in str(error.value)
    assert message in str(error.value)


def test_vtt_needs_its_header():
    with pytest.raises(TranscriptError, match="WEBVTT"):
        parse_vtt("00:00:00.000 --> 00:00:01.000\nhello\n")


def test_manifest_with_bad_json_names_the_line():
    with pytest.raises(TranscriptError, match="line 1: not valid JSON"):
        parse_manifest("{oops\n")


def test_non_utf8_text_is_refused_with_its_line():
    with pytest.raises(TranscriptError, match="line 2: the file is not UTF-8"):
        parse_transcript("x.txt", b"fine\n\xff\xfe bad")


@pytest.mark.parametrize(
    "value, seconds",
    [("00:00:01.500", 1.5), ("01:02:03,004", 3723.004), ("02:03.4", 123.4), ("1:00:00.000", 3600.0)],
)
def test_timestamps(value, seconds):
    assert parse_timestamp(value) == pytest.approx(seconds)


# ---- A transcription's timed words grouped into subtitle cues ----------------------------------


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
