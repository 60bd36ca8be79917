"""Recognition of short clips (at most 30 s each) as Whisper writes them: the base and custom
models' scores, the export check and the regression gate all ask through `recognise`.

Clips are decoded four at a time (`_decode_batch`, faster-whisper's single-window path written out
for a batch), and transcripts are remembered: in the process by clip, weights, precision, language
and decoding, and for a model's own clips (a base's anchor set) in its directory across runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from .serving import (
    RECOGNISE_OPTIONS,
    SAMPLE_RATE,
    _cache_key,
    _with_phrases,
    compute_type_of,
    load,
    spoken_language,
)


def _read_clip(path: str):
    import numpy as np
    import soundfile as sf

    samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    samples = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
    if rate != SAMPLE_RATE:
        from .. import audio

        samples = audio.load_audio(path)
    return np.ascontiguousarray(samples, dtype=np.float32)


def recognise(
    model_dir: Path,
    wav_paths: list[str],
    *,
    language: str | None = None,
    compute_type: str | None = None,
    beam_size: int = RECOGNISE_OPTIONS["beam_size"],
    max_new_tokens: int | None = None,
    phrases: list[str] | None = None,
) -> list[str]:
    """Transcripts of short 16 kHz mono clips (at most 30 s each), as Whisper writes them:
    as the model serves, unless the export check asks for another precision or decoding
    (`beam_size` 1 and `max_new_tokens` decode as the trained copy's greedy search does),
    favouring `phrases` by score when given."""
    model = _with_phrases(load(model_dir, compute_type), phrases)
    language = spoken_language(model_dir, model, language)
    options = {**RECOGNISE_OPTIONS, "beam_size": beam_size}
    asked = (_cache_key(model_dir, compute_type or compute_type_of(model_dir)), language, beam_size)
    asked += (max_new_tokens, tuple(phrases or ()))
    if max_new_tokens is not None:
        # Like for like: the same length cap, and no thresholds that drop a segment the greedy
        # search of the trained copy keeps.
        options.update(
            max_new_tokens=max_new_tokens,
            no_speech_threshold=None,
            log_prob_threshold=None,
            compression_ratio_threshold=None,
        )
    keys = []
    for path in wav_paths:
        clip = Path(path).stat()
        keys.append((*asked, str(Path(path).resolve()), clip.st_mtime_ns, clip.st_size))
    # Clips not heard yet, up to 30 s, are decoded BATCH_CLIPS at a time (without phrases: those
    # rescore one window at a time), the rest one by one.
    batchable = not phrases and language is not None
    heard = {key: _recognised[key] for key in keys if key in _recognised}
    # Clips inside the model's own directory (a base's anchor set) are asked about by every run
    # on that base: their transcripts are kept beside them, across processes.
    inside = str(Path(model_dir).resolve()) + os.sep
    # The file is read only for such clips this process has not heard yet.
    own = [key for key in keys if key[-3].startswith(inside) and key not in heard]
    kept = _read_kept(model_dir) if own else {}
    heard.update({key: kept[repr(key)] for key in own if repr(key) in kept})
    pending: dict[tuple, object] = {}

    def decode_pending() -> None:
        texts = _decode_batch(model, list(pending.values()), language, beam_size, max_new_tokens)
        heard.update(zip(pending, texts, strict=True))
        pending.clear()

    for key, path in zip(keys, wav_paths, strict=True):
        if key in heard or key in pending:
            continue
        samples = _read_clip(path)
        if len(samples) < SAMPLE_RATE // 10:
            heard[key] = ""
        elif batchable and len(samples) <= SAMPLE_RATE * BATCH_MAX_SECONDS:
            pending[key] = samples
            if len(pending) == BATCH_CLIPS:
                decode_pending()
        else:
            segments, _ = model.transcribe(samples, language=language, **options)
            heard[key] = " ".join(s.text.strip() for s in segments if s.text.strip())
    if pending:
        decode_pending()
    if len(_recognised) + len(heard) > RECOGNISED_KEPT:
        _recognised.clear()
    _recognised.update(heard)
    new_own = {repr(key): heard[key] for key in own if repr(key) not in kept}
    if new_own:
        _write_kept(model_dir, {**(kept if len(kept) < RECOGNISED_KEPT_ON_DISK else {}), **new_own})
    return [heard[key] for key in keys]


# Transcripts of a model's own clips, kept in its directory (a new export or install is a new key).
KEPT_FILE = "recognised.json"
RECOGNISED_KEPT_ON_DISK = 2_000


def _read_kept(model_dir: Path) -> dict[str, str]:
    import json

    try:
        kept = json.loads((Path(model_dir) / KEPT_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _write_kept(model_dir: Path, kept: dict[str, str]) -> None:
    """Written whole: two runs writing at once lose an entry at worst; a read-only model directory
    keeps nothing, and the transcripts are made again next time."""
    import json

    from ..files import write_whole

    write_whole(Path(model_dir) / KEPT_FILE, lambda out: out.write(json.dumps(kept).encode()))


# Clips of at most 30 s (one Whisper window each) decoded together: one encoder call and one beam
# search for the batch. On two cores, 32 test clips of a fine-tuned tiny.en (int8, beam 5): 11.0 s
# one by one, 7.9 s four at a time, 8.8 s eight at a time; the same 32 transcripts.
BATCH_CLIPS = 4
BATCH_MAX_SECONDS = 30.0


def _decode_batch(
    model, clips: list, language: str | None, beam_size: int, max_new_tokens: int | None = None
) -> list[str]:
    """What `model.transcribe(clip, **RECOGNISE_OPTIONS)` writes for each clip of at most 30 s,
    decoded as one batch: faster-whisper's single-window path (its prompt, suppressed tokens,
    temperature 0 and its no-speech rule), written out because its `transcribe` takes one clip.
    With `max_new_tokens` (the export check's greedy like-for-like) nothing is dropped as silence."""
    import numpy as np
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    tokenizer = Tokenizer(
        model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language or "en"
    )
    # transcribe() drops the feature extractor's last frame before padding to a window.
    features = np.stack([pad_or_trim(model.feature_extractor(clip)[:, :-1]) for clip in clips])
    prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    results = model.model.generate(
        model.encode(features),
        [prompt] * len(clips),
        beam_size=beam_size,
        patience=1,
        length_penalty=1,
        repetition_penalty=1,
        no_repeat_ngram_size=0,
        max_length=model.max_length if max_new_tokens is None else len(prompt) + max_new_tokens,
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        max_initial_timestamp_index=int(round(1.0 / model.time_precision)),
    )
    texts = []
    for result in results:
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        silent = (
            max_new_tokens is None
            and result.no_speech_prob > RECOGNISE_OPTIONS["no_speech_threshold"]
            and avg_logprob <= RECOGNISE_OPTIONS["log_prob_threshold"]
        )
        texts.append("" if silent else tokenizer.decode(tokens).strip())
    return texts


# The transcripts `recognise` made in this process, by clip, weights (a new export is a new key),
# precision, language and decoding: a training run asks some questions twice (the served copy on
# the everyday anchor set before it ships, then again in its evaluation) and pays once.
RECOGNISED_KEPT = 20_000
_recognised: dict[tuple, str] = {}
