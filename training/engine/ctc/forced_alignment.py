"""CTC forced alignment of a known transcript to long audio, in bounded memory.

The audio is read in windows of about a minute; each window is aligned with
the words expected to fall in it (plus slack), and only words ending well
before the window's end are kept, so the next window starts where speech
really is. Memory depends on the window, not on the file's length.
Imported on demand only (torch + torchaudio).
"""

from __future__ import annotations

import math

import soundfile as sf
import torch
import torchaudio.functional as F

from .finetune import normalise_for_labels
from .recognizer import load_model

WINDOW_SECONDS = 60.0
KEEP_MARGIN_SECONDS = 12.0
TEXT_SLACK = 1.5


def _tokens(word: str, lab2id: dict[str, int]) -> list[int]:
    return [lab2id[ch] for ch in word if ch in lab2id]


def align_words(model_dir, wav_path, words: list[str]) -> tuple[list[dict], float]:
    """Start, end and confidence of every word (in order) in a 16 kHz mono WAV.

    Words the model's alphabet cannot spell at all get no timing (None).
    """
    model = load_model(model_dir)
    lab2id = {lab: i for i, lab in enumerate(model.labels) if len(lab) == 1}
    space = lab2id.get(" ")
    spelled = [_tokens(normalise_for_labels(w, model.labels)[0].replace(" ", ""), lab2id) for w in words]
    info = sf.info(str(wav_path))
    duration = info.frames / info.samplerate
    total_chars = sum(len(s) + 1 for s in spelled) or 1
    chars_per_second = total_chars / max(duration, 1e-6)
    results: list[dict | None] = [None] * len(words)

    position, start = 0, 0.0
    with sf.SoundFile(str(wav_path)) as audio:
        while position < len(words) and start < duration:
            end = min(duration, start + WINDOW_SECONDS)
            final = end >= duration - 1e-3
            if final:
                chosen = list(range(position, len(words)))
            else:
                budget, chosen = (end - start) * chars_per_second * TEXT_SLACK, []
                for index in range(position, len(words)):
                    chosen.append(index)
                    budget -= len(spelled[index]) + 1
                    if budget <= 0:
                        break
            audio.seek(int(start * info.samplerate))
            samples = audio.read(int((end - start) * info.samplerate), dtype="float32")
            placed = _align_window(model, samples, [spelled[i] for i in chosen], space)
            frame = (end - start) / max(1, placed["frames"])
            kept = 0
            for offset, index in enumerate(chosen):
                span = placed["words"][offset]
                if span is None:
                    continue
                word_end = start + (span[1] + 1) * frame
                if not final and word_end > end - KEEP_MARGIN_SECONDS:
                    break
                results[index] = {
                    "start": round(start + span[0] * frame, 3),
                    "end": round(word_end, 3),
                    "confidence": span[2],
                }
                kept = offset + 1
            if final:
                break
            if kept == 0:  # nothing recognisable here (music, silence): move on
                start = end - KEEP_MARGIN_SECONDS
                continue
            position = chosen[kept - 1] + 1
            start = results[chosen[kept - 1]]["end"]
    return results, duration


def _align_window(model, samples, spelled: list[list[int]], space: int | None) -> dict:
    log_probs = model.log_probs(samples)
    frames = log_probs.shape[0]
    targets, owner = [], []
    for index, ids in enumerate(spelled):
        if not ids:
            continue
        if targets and space is not None:
            targets.append(space)
            owner.append(-1)
        targets += ids
        owner += [index] * len(ids)
    words: list[tuple[int, int, float] | None] = [None] * len(spelled)
    # CTC needs at least one frame per token (two between repeats); squeeze what does not fit.
    if not targets or len(targets) > frames:
        return {"frames": frames, "words": words}
    path, scores = F.forced_align(
        log_probs[None], torch.tensor([targets], dtype=torch.int32), blank=model.blank
    )
    path, probs = path[0].tolist(), scores[0].exp().tolist()
    token, previous = -1, model.blank
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    confidence: dict[int, list[float]] = {}
    for t, label in enumerate(path):
        if label != model.blank and (label != previous or previous == model.blank):
            token += 1
        if label != model.blank and token < len(targets):
            first.setdefault(token, t)
            last[token] = t
            confidence.setdefault(token, []).append(probs[t])
        previous = label
    by_word: dict[int, list[int]] = {}
    for k, index in enumerate(owner):
        if index >= 0:
            by_word.setdefault(index, []).append(k)
    for index, ks in by_word.items():
        if ks[0] in first and ks[-1] in last:
            values = [max(confidence[k]) for k in ks if k in confidence]
            score = math.exp(sum(math.log(max(v, 1e-6)) for v in values) / max(1, len(values)))
            words[index] = (first[ks[0]], last[ks[-1]], round(score, 3))
    return {"frames": frames, "words": words}
