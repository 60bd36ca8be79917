"""Transcripts: pure functions between file text and timed segments.

VTT and SRT cues become segments (cues under 0.5 s dropped, cues over 30 s
split); TXT is kept whole; JSONL is a NeMo manifest. A malformed file raises
TranscriptError naming the line. The other way, segments (or a transcription's
timed words grouped into cues) are written out as VTT or SRT.
"""

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

MIN_SEGMENT_SECONDS = 0.5
MAX_SEGMENT_SECONDS = 30.0
# Subtitle cues built from a transcription's timed words.
MAX_CUE_SECONDS = 7.0
MAX_CUE_WORDS = 12
# A pause this long ends a cue, so a subtitle does not stay up across silence.
MAX_GAP_SECONDS = 1.5


class TranscriptError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class ManifestRow:
    """One NeMo manifest line: a segment of an uploaded audio file, named by file name."""

    audio: str
    duration: float
    text: str
    offset: float = 0.0
    line: int = 0


_TIMESTAMP = re.compile(r"^(?:(\d+):)?([0-5]?\d):([0-5]\d)[.,](\d{1,3})$")
_TAG = re.compile(r"<[^>]*>")


def parse_timestamp(value: str) -> float:
    match = _TIMESTAMP.match(value.strip())
    if not match:
        raise ValueError(f"bad timestamp {value!r}")
    hours, minutes, seconds, fraction = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TranscriptError("the file is not UTF-8 text", line) from None


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks, each with the number of its first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _cue(timing: str, payload: list[str], line: int) -> Segment | None:
    parts = timing.split("-->")
    if len(parts) != 2:
        raise TranscriptError(f"expected 'start --> end', found {timing.strip()!r}", line)
    try:
        start = parse_timestamp(parts[0])
        end = parse_timestamp(parts[1].split()[0] if parts[1].split() else "")
    except ValueError as exc:
        raise TranscriptError(str(exc), line) from None
    if end <= start:
        raise TranscriptError("the cue ends before it starts", line)
    text = " ".join(_TAG.sub("", row).strip() for row in payload).strip()
    text = re.sub(r"\s+", " ", text)
    return Segment(start, end, text) if text else None


def parse_vtt(text: str) -> list[Segment]:
    blocks = _blocks(text)
    if not blocks or not blocks[0][1][0].startswith("WEBVTT"):
        raise TranscriptError("a WebVTT file must start with 'WEBVTT'", 1)
    cues = []
    for line, rows in blocks[1:]:
        if rows[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_index = 0 if "-->" in rows[0] else 1
        if timing_index >= len(rows) or "-->" not in rows[timing_index]:
            raise TranscriptError("expected a cue timing line ('00:00:01.000 --> 00:00:04.000')", line)
        cue = _cue(rows[timing_index], rows[timing_index + 1 :], line + timing_index)
        if cue:
            cues.append(cue)
    return cues_to_segments(cues)


def parse_srt(text: str) -> list[Segment]:
    cues = []
    for line, rows in _blocks(text):
        timing_index = 1 if rows[0].strip().isdigit() else 0
        if timing_index >= len(rows) or "-->" not in rows[timing_index]:
            raise TranscriptError(
                "expected a cue number and a timing line ('00:00:01,000 --> 00:00:04,000')", line
            )
        cue = _cue(rows[timing_index], rows[timing_index + 1 :], line + timing_index)
        if cue:
            cues.append(cue)
    if not cues:
        raise TranscriptError("no cues found")
    return cues_to_segments(cues)


def cues_to_segments(cues: list[Segment]) -> list[Segment]:
    """Drop cues shorter than 0.5 s; split cues longer than 30 s into equal pieces,
    sharing the words in proportion to time."""
    segments: list[Segment] = []
    for cue in cues:
        if cue.duration < MIN_SEGMENT_SECONDS:
            continue
        pieces = math.ceil(cue.duration / MAX_SEGMENT_SECONDS)
        if pieces == 1:
            segments.append(cue)
            continue
        words = cue.text.split()
        step = cue.duration / pieces
        for k in range(pieces):
            share = words[round(len(words) * k / pieces) : round(len(words) * (k + 1) / pieces)]
            if share:
                segments.append(Segment(cue.start + k * step, cue.start + (k + 1) * step, " ".join(share)))
    return segments


def parse_txt(text: str) -> str:
    whole = re.sub(r"\s+", " ", text).strip()
    if not whole:
        raise TranscriptError("the transcript is empty")
    return whole


def parse_manifest(text: str) -> list[ManifestRow]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TranscriptError(f"not valid JSON ({exc.msg})", number) from None
        if not isinstance(item, dict):
            raise TranscriptError("each line must be a JSON object", number)
        missing = [field for field in ("audio_filepath", "duration", "text") if field not in item]
        if missing:
            raise TranscriptError(f"missing field(s): {', '.join(missing)}", number)
        try:
            duration = float(item["duration"])
            offset = float(item.get("offset", 0) or 0)
        except (TypeError, ValueError):
            raise TranscriptError("'duration' and 'offset' must be numbers", number) from None
        if duration <= 0 or offset < 0:
            raise TranscriptError("'duration' must be positive and 'offset' not negative", number)
        if not isinstance(item["text"], str) or not item["text"].strip():
            raise TranscriptError("'text' must be a non-empty string", number)
        # The manifest names uploaded audio by file name; any directories are the uploader's own.
        audio = PurePath(str(item["audio_filepath"]).replace("\\", "/")).name
        if not audio:
            raise TranscriptError("'audio_filepath' names no file", number)
        rows.append(ManifestRow(audio, duration, item["text"].strip(), offset, number))
    if not rows:
        raise TranscriptError("the manifest has no rows")
    return rows


def parse_transcript(name: str, data: bytes) -> list[Segment] | str | list[ManifestRow]:
    """Parse by extension: segments for VTT/SRT, whole text for TXT, rows for JSONL."""
    text = decode_text(data)
    extension = PurePath(name).suffix.lower()
    if extension == ".vtt":
        return parse_vtt(text)
    if extension == ".srt":
        return parse_srt(text)
    if extension == ".txt":
        return parse_txt(text)
    if extension == ".jsonl":
        return parse_manifest(text)
    raise TranscriptError(f"unsupported transcript type {extension!r}")


def format_timestamp(seconds: float, separator: str = ".") -> str:
    millis = round(max(0.0, seconds) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def format_vtt(segments: list[Segment]) -> str:
    cues = [f"{format_timestamp(s.start)} --> {format_timestamp(s.end)}\n{s.text}" for s in segments]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def format_srt(segments: list[Segment]) -> str:
    cues = [
        f"{n}\n{format_timestamp(s.start, ',')} --> {format_timestamp(s.end, ',')}\n{s.text}"
        for n, s in enumerate(segments, start=1)
    ]
    return "\n\n".join(cues) + "\n"


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
            segments.append(_word_cue(cue))
            cue = []
        cue.append(word)
    if cue:
        segments.append(_word_cue(cue))
    return segments


def _word_cue(cue: list[dict]) -> Segment:
    end = max(w["end"] for w in cue)
    return Segment(float(cue[0]["start"]), float(end), " ".join(str(w["word"]).strip() for w in cue))
