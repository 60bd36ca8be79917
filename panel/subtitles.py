"""Subtitles for a transcription: its timed words grouped into cues. Pure functions."""

from collections.abc import Iterable

from datasets.transcripts import Segment

MAX_CUE_SECONDS = 7.0
MAX_CUE_WORDS = 12
# A pause this long ends a cue, so a subtitle does not stay up across silence.
MAX_GAP_SECONDS = 1.5


def words_to_segments(
    words: Iterable[dict],
    *,
    max_seconds: float = MAX_CUE_SECONDS,
    max_words: int = MAX_CUE_WORDS,
    max_gap: float = MAX_GAP_SECONDS,
) -> list[Segment]:
    """Group `[{word, start, end}]` into cues of at most `max_words` words spanning at most
    `max_seconds` (a single longer word still gets a cue of its own). Words without timings
    are skipped: a cue needs a time."""
    segments: list[Segment] = []
    cue: list[dict] = []
    for word in words:
        if word.get("start") is None or word.get("end") is None or not str(word.get("word", "")).strip():
            continue
        if cue and (
            len(cue) >= max_words
            or word["end"] - cue[0]["start"] > max_seconds
            or word["start"] - cue[-1]["end"] > max_gap
        ):
            segments.append(_segment(cue))
            cue = []
        cue.append(word)
    if cue:
        segments.append(_segment(cue))
    return segments


def _segment(cue: list[dict]) -> Segment:
    end = max(w["end"] for w in cue)
    return Segment(float(cue[0]["start"]), float(end), " ".join(str(w["word"]).strip() for w in cue))
