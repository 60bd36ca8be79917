"""Turn a model's dataset into training segments: 16 kHz mono WAV clips with their text.

VTT/SRT cues, JSONL manifest rows, and TXT transcripts (whole when short, else
cut at word boundaries from a CTC forced alignment with the base model).
"""

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import soundfile as sf

from datasets import media
from datasets.models import Kind, Split
from datasets.selectors import Pair
from datasets.storage import local_copy
from datasets.transcripts import ManifestRow, Segment, parse_transcript

MAX_SEGMENT_SECONDS = 30.0
TARGET_SEGMENT_SECONDS = 20.0
HOLD_OUT_SHARE = 0.2
# With hours of audio a fifth would make the evaluation longer than the training: the automatic
# hold-out stops at this much audio (whole recordings, at least one).
HOLD_OUT_MAX_SECONDS = 20 * 60


@dataclass
class PreparedData:
    train: list[dict] = field(default_factory=list)
    test: list[dict] = field(default_factory=list)
    held_out: bool = False
    hold_out_capped: bool = False
    warnings: list[str] = field(default_factory=list)
    dropped_characters: set[str] = field(default_factory=set)

    @staticmethod
    def seconds(rows: list[dict]) -> float:
        return sum(r["duration"] for r in rows)


def split_pairs(pairs: list[Pair]) -> tuple[list[Pair], list[Pair], bool]:
    """The uploaded test split, or a deterministic 20 % hold-out of the pairs (never of segments,
    so no recording is both trained on and tested) of at most HOLD_OUT_MAX_SECONDS of audio."""
    test = [p for p in pairs if p.split == Split.TEST]
    if test:
        return [p for p in pairs if p.split != Split.TEST], test, False
    held = {id(p) for p in hold_out(pairs)}
    return [p for p in pairs if id(p) not in held], [p for p in pairs if id(p) in held], True


def hold_out(pairs: list[Pair]) -> list[Pair]:
    """The pairs the automatic test split holds out: a fifth of them by a hash of their names,
    stopping once they hold HOLD_OUT_MAX_SECONDS of audio (whole recordings, at least one)."""
    ranked = sorted(pairs, key=lambda p: hashlib.sha1(p.audio.name.lower().encode()).hexdigest())
    count = max(1, math.ceil(len(pairs) * HOLD_OUT_SHARE)) if len(pairs) > 1 else 0
    held, seconds = [], 0.0
    for pair in ranked[:count]:
        if held and seconds >= HOLD_OUT_MAX_SECONDS:
            break
        held.append(pair)
        seconds += pair.audio.duration or 0.0
    return held


def prepare(
    *,
    pairs: list[Pair],
    work_dir: Path,
    normalise: Callable[[str], tuple[str, set[str]]],
    align: Callable[[Path, str], list[dict]],
    log: Callable[[str], None] = print,
) -> PreparedData:
    """Cut every pair into segments under `work_dir`; text goes through `normalise`
    (the base model's alphabet) and long TXT audio through `align` (word timings)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    train_pairs, test_pairs, held_out = split_pairs(pairs)
    capped = held_out and len(test_pairs) < (
        max(1, math.ceil(len(pairs) * HOLD_OUT_SHARE)) if len(pairs) > 1 else 0
    )
    data = PreparedData(held_out=held_out, hold_out_capped=capped)
    for index, pair in enumerate(train_pairs + test_pairs):
        rows = _pair_segments(pair, work_dir, index, normalise, align, data)
        (data.test if index >= len(train_pairs) else data.train).extend(rows)
    if data.dropped_characters:
        shown = " ".join(sorted(data.dropped_characters))
        data.warnings.append(f"Characters outside the base model's alphabet were removed: {shown}")
    return data


def _pair_segments(pair: Pair, work_dir, index, normalise, align, data: PreparedData) -> list[dict]:
    wav = work_dir / f"pair{index}.wav"
    with local_copy(pair.audio.file.name) as source:
        media.to_wav(source, wav)
    info = sf.info(str(wav))
    total = info.frames / info.samplerate
    with pair.transcript.file.open("rb") as handle:
        parsed = parse_transcript(pair.transcript.name, handle.read())

    if pair.transcript.kind == Kind.MANIFEST:
        wanted = pair.audio.name.lower()
        pieces = [
            Segment(r.offset, r.offset + r.duration, r.text)
            for r in parsed
            if isinstance(r, ManifestRow) and r.audio.lower() == wanted
        ]
    elif isinstance(parsed, str):
        if total <= MAX_SEGMENT_SECONDS:
            pieces = [Segment(0.0, total, parsed)]
        else:
            text, _ = normalise(parsed)
            pieces = _segments_from_words(align(wav, text), total)
            if not pieces:
                data.warnings.append(f"'{pair.audio.name}': the transcript could not be aligned; skipped.")
    else:
        pieces = parsed

    rows = []
    with sf.SoundFile(str(wav)) as audio:
        for n, piece in enumerate(pieces):
            start, end = max(0.0, piece.start), min(total, piece.end)
            if end - start < 0.3:
                continue
            text, dropped = normalise(piece.text)
            data.dropped_characters |= dropped
            if not text:
                continue
            audio.seek(int(start * audio.samplerate))
            samples = audio.read(int((end - start) * audio.samplerate), dtype="int16")
            clip = work_dir / f"pair{index}-{n}.wav"
            sf.write(str(clip), samples, audio.samplerate, subtype="PCM_16")
            # "text" is what the model trains on, "transcript" the cue as the user wrote it
            # (the evaluation's reference, with its casing and punctuation).
            rows.append(
                {
                    "wav": str(clip),
                    "text": text,
                    "transcript": " ".join(piece.text.split()),
                    "duration": end - start,
                    "source": pair.audio.name,
                }
            )
    wav.unlink()
    return rows


def _segments_from_words(words: list[dict], total: float) -> list[Segment]:
    """Group aligned words into segments of about 20 s (never over 30 s), cutting at the
    longest pause near the target so no word is split."""
    segments, current = [], []
    for word in words:
        if current and word["end"] - current[0]["start"] > MAX_SEGMENT_SECONDS:
            segments.append(current)
            current = []
        current.append(word)
        if word["end"] - current[0]["start"] >= TARGET_SEGMENT_SECONDS:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    result = []
    for group in segments:
        start = max(0.0, group[0]["start"] - 0.15)
        end = min(total, group[-1]["end"] + 0.15)
        result.append(Segment(start, end, " ".join(w["word"] for w in group)))
    return result
