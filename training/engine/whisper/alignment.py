"""Forced alignment of a known transcript with a Whisper model's CTranslate2 copy: each word
timed by cross-attention and DTW in windows of up to 30 s, its edges fitted to the speech
Silero VAD hears, with a confidence calibrated below. The model comes from `serving`'s cache.

Importing this module is cheap (the family's `__init__` reads the thresholds from it);
numpy, faster-whisper and CTranslate2 are imported when first used.
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

from .serving import SAMPLE_RATE, load, spoken_language

# Alignment confidence of a word: geometric mean of the probabilities CTranslate2's
# Whisper.align gives its tokens, teacher-forced on the known text (punctuation left out:
# the user's need not be Whisper's). `align_lines` scores a line by the geometric mean of
# its words. Measured with tiny.en (int8, CPU) on 30 sentences spoken by piper (joe) and
# espeak-ng (en-us, en-us+f2, en-gb-x-rp), 87 s each, text cased or lowercased (120 lines
# per voice):
#   right lines:     piper 0.56-0.99 (median 0.9); espeak 0.08-0.99 (median 0.8; its few
#                    lines under 0.25 hold words tiny.en mishears: "bright" 0.001). A right
#                    line just after an unrelated one scores lower (0.2-0.8): the decoder
#                    reads the wrong text as context.
#   unrelated lines: 0.000-0.009 (0.16 at most when the same unrelated sentence had already
#                    been read earlier in the window: Whisper's decoder copies it)
#   mean over a transcript: right 0.68-0.93, unrelated 0.000-0.04, a fifth of lines
#                    replaced by unrelated ones 0.51-0.69
# LOW_CONFIDENCE: 5x over the unrelated lines, 1.5x under the lowest right line.
# MISMATCH_CONFIDENCE, on the mean: 3x under right transcripts, 5x over unrelated ones.
LOW_CONFIDENCE = 0.05
MISMATCH_CONFIDENCE = 0.2

# align_words(): Whisper sees 30 s at a time; only words ending KEEP_MARGIN before a
# window's end are kept, and the next window starts at a pause after the last kept words.
ALIGN_WINDOW_SECONDS = 30.0
KEEP_MARGIN_SECONDS = 6.0
TEXT_SLACK = 1.4
PAUSE_SECONDS = 0.15  # silence that separates words
MAX_TEXT_TOKENS = 440  # Whisper's decoder holds 448 positions, with the start sequence and end
TOKENS_PER_SECOND = 50  # encoder frames
VAD_FRAME = 512  # samples per Silero VAD decision
VAD_THRESHOLD = 0.5


def align_words(
    model_dir: Path, wav_path: Path, words: list[str], *, language: str | None = None
) -> tuple[list[dict | None], float]:
    """Start, end and confidence (0-1) of every word (in order) of a known transcript in a
    16 kHz mono WAV of any length, read in windows of at most 30 s.

    Words Whisper could not place (nothing left in the audio, or too many for a window) get None."""
    import soundfile as sf

    model = load(model_dir)
    info = sf.info(str(wav_path))
    if info.samplerate != SAMPLE_RATE:
        raise ValueError(f"{Path(wav_path).name} is {info.samplerate} Hz; alignment needs {SAMPLE_RATE} Hz")
    duration = info.frames / info.samplerate
    results: list[dict | None] = [None] * len(words)
    if not words or info.frames == 0:
        return results, duration
    tokenizer = _tokenizer(model_dir, model, wav_path, language)
    # Each word on its own, with the space Whisper writes before it: the tokens of the whole
    # text, grouped by word (what find_alignment gets from split_to_word_tokens).
    spelled = [tokenizer.encode(" " + w) for w in words]
    cores = [_core(tokenizer, ids) for ids in spelled]
    total_chars = sum(len(w) + 1 for w in words)
    chars_per_second = total_chars / max(duration, 1e-6)

    position, start = 0, 0.0
    with sf.SoundFile(str(wav_path)) as wav:
        while position < len(words) and start < duration:
            end = min(duration, start + ALIGN_WINDOW_SECONDS)
            final = end >= duration - 1e-3
            wav.seek(int(start * info.samplerate))
            samples = _mono(wav.read(int((end - start) * info.samplerate), dtype="float32", always_2d=True))
            if len(samples) < VAD_FRAME:  # a sliver at the end: nothing to place there
                break
            features = model.feature_extractor(samples)
            budget = math.inf if final else (end - start) * chars_per_second * TEXT_SLACK
            chosen, tokens = [], 0
            for index in range(position, len(words)):
                if tokens + len(spelled[index]) > MAX_TEXT_TOKENS:
                    break
                chosen.append(index)
                tokens += len(spelled[index])
                budget -= len(words[index]) + 1
                if budget <= 0:
                    break
            placed = _align_window(
                model, tokenizer, samples, features, [spelled[i] for i in chosen], [cores[i] for i in chosen]
            )
            width = end - start
            kept = 0
            for offset, span in enumerate(placed):
                if span is None or (not final and span[1] > width - KEEP_MARGIN_SECONDS):
                    break
                kept = offset + 1
            if not final and kept:
                kept, resume = _cut_at_pause(placed, kept, width - KEEP_MARGIN_SECONDS)
            for offset in range(kept):
                word_start, word_end, confidence = placed[offset]
                results[chosen[offset]] = {
                    "start": round(start + word_start, 3),
                    "end": round(start + max(word_end, word_start), 3),
                    "confidence": confidence,
                }
            if final:
                break
            if kept == 0:  # nothing recognisable here (music, silence): move on
                start = end - KEEP_MARGIN_SECONDS
                continue
            position = chosen[kept - 1] + 1
            start += resume
    return results, duration


def _tokenizer(model_dir: Path, model, wav_path: Path, language: str | None):
    """Whisper's tokenizer for the transcript's language (a multilingual model without one
    in model.json hears it in the first 30 s)."""
    import soundfile as sf
    from faster_whisper.tokenizer import Tokenizer

    language = spoken_language(model_dir, model, language)
    if language is None:
        first = _mono(
            sf.read(
                str(wav_path), frames=int(ALIGN_WINDOW_SECONDS * SAMPLE_RATE), dtype="float32", always_2d=True
            )[0]
        )
        language = model.detect_language(first)[0]
    return Tokenizer(model.hf_tokenizer, model.model.is_multilingual, "transcribe", language)


def _cut_at_pause(placed: list, kept: int, usable: float) -> tuple[int, float]:
    """How many of the kept words to keep, and where (from the window's start) the next
    window begins: after the last pause in the second half of the usable span, so Whisper
    does not start listening in the middle of a phrase; else after the last kept word."""
    for count in range(min(kept, len(placed) - 1), 0, -1):
        following, last = placed[count], placed[count - 1]
        if last[1] < usable / 2:
            break
        if following is not None and following[0] - last[1] >= PAUSE_SECONDS:
            return count, last[1] + min((following[0] - last[1]) / 2, 0.2)
    return kept, placed[kept - 1][1]


def _mono(samples):
    import numpy as np

    return np.ascontiguousarray(samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0])


def _speech_frames(samples):
    """Silero VAD's speech flag for each 32 ms frame of a window (faster-whisper's bundled model)."""
    import numpy as np
    from faster_whisper.vad import get_vad_model

    padded = np.pad(samples, (0, VAD_FRAME - len(samples) % VAD_FRAME))
    return np.asarray(get_vad_model()(padded)).reshape(-1) >= VAD_THRESHOLD


def _core(tokenizer, ids: list[int]) -> tuple[int, int]:
    """The word's tokens without leading and trailing punctuation, as (first, after) indices.

    Cross-attention places punctuation poorly (a full stop takes the pause after it, and
    part of the next sentence), and Whisper's punctuation need not be the user's."""

    def is_punctuation(token: int) -> bool:
        text = tokenizer.decode([token]).strip()
        return bool(text) and all(unicodedata.category(ch)[0] in "PS" for ch in text)

    first, after = 0, len(ids)
    while first < after and is_punctuation(ids[first]):
        first += 1
    while after > first and is_punctuation(ids[after - 1]):
        after -= 1
    return (first, after) if first < after else (0, len(ids))


def _align_window(
    model, tokenizer, samples, features, spelled: list[list[int]], cores: list[tuple[int, int]]
):
    """(start, end, confidence) in seconds from the window's start for each word, from
    CTranslate2's cross-attention + DTW alignment (as faster-whisper's find_alignment),
    then fitted to the speech Silero VAD hears."""
    import numpy as np
    from faster_whisper.audio import pad_or_trim

    words: list[list[float] | None] = [None] * len(spelled)
    text_tokens = [t for ids in spelled for t in ids]
    if not text_tokens:
        return words
    num_frames = min(features.shape[-1], 3000)
    encoder_output = model.encode(pad_or_trim(features))
    result = model.model.align(
        encoder_output, tokenizer.sot_sequence, [text_tokens], num_frames, median_filter_width=7
    )[0]
    probs = np.clip(np.asarray(result.text_token_probs, dtype=np.float64), 1e-6, 1.0)
    text_indices = np.array([pair[0] for pair in result.alignments])
    time_indices = np.array([pair[1] for pair in result.alignments])
    # The time at which the path first reaches each token, the end token included.
    jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
    jump_times = time_indices[jumps] / TOKENS_PER_SECOND
    offset = 0
    for index, (ids, (first, after)) in enumerate(zip(spelled, cores, strict=True)):
        first, after, offset = offset + first, offset + after, offset + len(ids)
        if after >= len(jump_times):
            break
        score = float(np.exp(np.mean(np.log(probs[first:after]))))
        words[index] = [float(jump_times[first]), float(jump_times[after]), round(score, 3)]
    _fit_to_speech(words, _speech_frames(samples), len(samples) / SAMPLE_RATE)
    return words


def _fit_to_speech(words: list[list[float] | None], speech, duration: float) -> None:
    """Move word edges onto speech. DTW lets a word swallow the pause next to it (and a
    sliver of the neighbour's sound beyond), or stop a little short of a sentence's first
    sound. So a span is first shrunk to the stretch of speech it covers most, then grown
    to that stretch's ends where no other word reaches them."""
    frame_s = VAD_FRAME / SAMPLE_RATE
    # Stretches of speech, [first frame, frame after), joined across gaps shorter than a pause.
    stretches: list[list[int]] = []
    for frame in map(int, speech.nonzero()[0]):
        if stretches and frame - stretches[-1][1] < PAUSE_SECONDS / frame_s:
            stretches[-1][1] = frame + 1
        else:
            stretches.append([frame, frame + 1])
    owner = {}
    for number, (begin, stop) in enumerate(stretches):
        owner.update(dict.fromkeys(range(begin, stop), number))
    placed = [w for w in words if w is not None]
    fitted: list[int | None] = []
    for word in placed:
        # Speech frames whose centre lies inside the span, counted per stretch.
        frames = [
            f
            for f in range(max(0, math.ceil(word[0] / frame_s - 0.5)), math.ceil(word[1] / frame_s - 0.5))
            if f < len(speech) and speech[f]
        ]
        if not frames:  # DTW may squeeze a word to nothing: it still sits in the stretch around it
            inside = min(int(word[0] / frame_s), len(speech) - 1)
            frames = [inside] if speech[inside] else []
        if not frames:
            fitted.append(None)
            continue
        counts: dict[int, int] = {}
        for f in frames:
            counts[owner[f]] = counts.get(owner[f], 0) + 1
        best = max(counts, key=counts.get)
        mine = [f for f in frames if owner[f] == best]
        word[0], word[1] = max(word[0], mine[0] * frame_s), min(word[1], (mine[-1] + 1) * frame_s)
        fitted.append(best)
    for number, (word, stretch) in enumerate(zip(placed, fitted, strict=True)):
        if stretch is None:
            continue
        begin, stop = stretches[stretch]
        previous_end = placed[number - 1][1] if number else 0.0
        next_start = placed[number + 1][0] if number + 1 < len(placed) else duration
        if previous_end <= begin * frame_s < word[0]:
            word[0] = begin * frame_s
        if word[1] < stop * frame_s <= next_start:
            word[1] = min(duration, stop * frame_s)
