"""Speech for a model's sentences of text (README "Text-only training").

A model's text files hold domain sentences with no audio. A run speaks them with offline voices
(training.voices.SYNTHETIC_TRAIN_VOICES, in turn, sentence by sentence, in the model's language)
into its work directory, and the clips join the prepared training rows as any transcribed segment
does. At most TRAINING_MAX_SYNTHETIC_SENTENCES are spoken, chosen evenly across the files.

A model with no audio of its own is measured on a synthetic test split: a deterministic share of
its sentences (by the sentence's hash, so a sentence written twice never lands on both sides),
spoken by training.voices.SYNTHETIC_TEST_VOICE, which no training set uses. Test-split text files,
when uploaded, are that test split instead.

Memory stays bounded whatever the text's size: files are streamed twice (count, then pick), only
the chosen sentences are held, and each clip goes to disk as it is spoken.
"""

import hashlib
import os
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import soundfile as sf
from django.conf import settings

from datasets.models import DatasetFile, Split
from datasets.storage import local_copy
from datasets.text import sentences as text_sentences
from training import voices

TEST_SHARE = 5  # one sentence in five, by hash, when the test split is synthetic
MAX_TEST_SENTENCES = 100  # a few minutes of speech: the base and the custom model both decode it
MAX_CLIP_SECONDS = 30.0  # what Whisper hears in one window
SYNTHESIS_THREADS = max(1, min(4, os.cpu_count() or 1))


class StopSynthesis(Exception):
    """The run was told to stop while speaking."""


@dataclass
class SyntheticData:
    train: list[dict] = field(default_factory=list)
    test: list[dict] = field(default_factory=list)
    sentences: int = 0  # in the model's text files (train split)
    skipped: int = 0  # spoken too long for one window, or unspeakable

    @staticmethod
    def seconds(rows: list[dict]) -> float:
        return sum(r["duration"] for r in rows)


def _is_test(sentence: str) -> bool:
    return int(hashlib.sha1(sentence.encode()).hexdigest()[:8], 16) % TEST_SHARE == 0


def _stream(files: list[DatasetFile]) -> Iterator[tuple[str, str]]:
    """(file name, sentence) of each file in turn, read from storage a line at a time."""
    for dataset_file in files:
        with local_copy(dataset_file.file.name) as path:
            for sentence in text_sentences(Path(path), max_line_chars=settings.DATASET_MAX_TEXT_LINE_CHARS):
                yield dataset_file.name, sentence


def even_indices(total: int, wanted: int) -> set[int]:
    """`wanted` indices spread evenly over range(total) (all of them when there are fewer)."""
    if total <= wanted:
        return set(range(total))
    return {i * total // wanted for i in range(wanted)}


def _pick(files: list[DatasetFile], keep: Callable[[str], bool], wanted: int) -> tuple[list[tuple], int]:
    """Up to `wanted` (file, sentence) pairs that `keep` accepts, evenly spread, and how many it accepts."""
    total = sum(1 for _, sentence in _stream(files) if keep(sentence))
    chosen = even_indices(total, wanted)
    picked, index = [], 0
    for name, sentence in _stream(files):
        if keep(sentence):
            if index in chosen:
                picked.append((name, sentence))
            index += 1
    return picked, total


def choose_sentences(
    files: list[DatasetFile], *, synthetic_test: bool, limit: int
) -> tuple[list[tuple], list[tuple], int]:
    """The (file, sentence) pairs to speak for training and for the test split, and how many
    training sentences the files hold."""
    train_files = [f for f in files if f.split != Split.TEST]
    test_files = [f for f in files if f.split == Split.TEST]
    if not synthetic_test:
        train, total = _pick(train_files, lambda s: True, limit)
        return train, [], total
    if test_files:
        train, total = _pick(train_files, lambda s: True, limit)
        test, _ = _pick(test_files, lambda s: True, MAX_TEST_SENTENCES)
        return train, test, total
    train, total = _pick(train_files, lambda s: not _is_test(s), limit)
    test, _ = _pick(train_files, _is_test, MAX_TEST_SENTENCES)
    if not test and len(train) > 1:
        # Too few sentences for the hash to put one aside: the last one tests.
        test = [train.pop()]
    return train, test, total


def synthesise(
    *,
    files: list[DatasetFile],
    language: str,
    work_dir: Path,
    normalise: Callable[[str], tuple[str, set[str]]],
    synthetic_test: bool,
    log: Callable[[str], None] = print,
    limit: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[float], None] = lambda fraction: None,
) -> SyntheticData:
    """Speak the model's text sentences into `work_dir/synthetic/`: training rows in the training
    voices in turn, and (with `synthetic_test`) test rows in the test voice."""
    limit = settings.TRAINING_MAX_SYNTHETIC_SENTENCES if limit is None else limit
    if not voices.speaks(language):
        raise ValueError(
            f"No offline voice speaks '{language}': sentences of text cannot be used in this language "
            f"(spoken: {', '.join(sorted(voices.ESPEAK_VOICES))})"
        )
    train, test, total = choose_sentences(files, synthetic_test=synthetic_test, limit=limit)
    data = SyntheticData(sentences=total)
    if total > len(train):
        log(
            f"{total} sentences of text: speaking {len(train)} of them (the limit is {limit}), "
            "chosen evenly across the files"
        )
    folder = work_dir / "synthetic"
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    cycle = voices.SYNTHETIC_TRAIN_VOICES
    jobs = [
        (folder / f"train{n:05d}.wav", name, sentence, cycle[n % len(cycle)], rng.randint(140, 175))
        for n, (name, sentence) in enumerate(train)
    ] + [
        (folder / f"test{n:05d}.wav", name, sentence, voices.SYNTHETIC_TEST_VOICE, rng.randint(140, 175))
        for n, (name, sentence) in enumerate(test)
    ]

    def speak(job) -> dict | None:
        if should_stop():
            raise StopSynthesis
        return _speak(*job, language=language, normalise=normalise)

    # The voices run in subprocesses (espeak-ng, sox) or release the GIL (onnxruntime): threads use
    # the machine's cores; map keeps the order, and each clip is on disk before its row is kept.
    for voice in {job[3] for job in jobs}:
        voices.load(voice)
    with ThreadPoolExecutor(max_workers=SYNTHESIS_THREADS) as pool:
        for n, row in enumerate(pool.map(speak, jobs)):
            on_progress((n + 1) / len(jobs))
            if row is None:
                data.skipped += 1
            else:
                (data.train if n < len(train) else data.test).append(row)
    if data.skipped:
        log(f"{data.skipped} sentence(s) of text not used: too long for one 30 s clip, or nothing to say")
    return data


def _speak(
    wav: Path, name: str, sentence: str, voice: str, speed: int, *, language, normalise
) -> dict | None:
    """The prepared row of one sentence spoken in `voice`, or None when it cannot be used."""
    text, _ = normalise(sentence)
    if not text:
        return None
    try:
        voices.say(wav, sentence, language, voice, speed=speed)
    except ValueError:  # nothing the voice can say (Kokoro, on symbols alone)
        return None
    info = sf.info(str(wav))
    duration = info.frames / info.samplerate
    if duration > MAX_CLIP_SECONDS or duration < 0.3:
        wav.unlink(missing_ok=True)
        return None
    return {
        "wav": str(wav),
        "text": text,
        "transcript": sentence,
        "duration": duration,
        "source": name,
        "voice": voice,
        "synthetic": True,
    }
