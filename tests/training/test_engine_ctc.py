"""The engine's CTC family against the packaged starter model (no Django DB)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = Path(os.environ.get("STARTER_MODEL_DIR", REPO / "models" / "en-us-general"))

pytest.importorskip("torch")
pytest.importorskip("speechbrain")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing")
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg missing")

import training.engine as engine  # noqa: E402
from training.engine.ctc import recognizer  # noqa: E402

# Everyday sentences that are not in the starter model's training text or LM.
SENTENCES = [
    "the weather is nice today",
    "please close the window before you go to bed",
]


# Bounds measured on the packaged starter model with a margin (see model.json
# "evaluation" for the held-out test-set figures).
WER_BOUND_BEAM = 0.25
CER_BOUND_GREEDY = 0.2


def _speak(text: str, path: Path, voice: str = "en-us") -> Path:
    # espeak-ng writes 22.05 kHz wav: the engine must resample through ffmpeg.
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng missing")
    d = tmp_path_factory.mktemp("clips")
    return [(s, _speak(s, d / f"clip{i}.wav")) for i, s in enumerate(SENTENCES)]


def test_import_does_not_load_torch():
    code = "import sys, training.engine; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_packaged_model_layout_and_size():
    for name in (
        "hyperparams.yaml",
        "encoder.ckpt",
        "tokenizer.ckpt",
        "tokens.txt",
        "lexicon.txt.gz",
        "lm.arpa.gz",
        "model.json",
    ):
        assert (MODEL_DIR / name).is_file(), name
    total = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    assert total <= 20 * 1024 * 1024
    model = recognizer.load_model(MODEL_DIR)
    assert model.meta["language"] == "en-US"
    assert len(model.labels) == 29 and model.blank == 0


@needs_espeak
@needs_ffmpeg
@pytest.mark.parametrize("decoder", ["beam", "greedy"])
def test_transcribes_unseen_everyday_sentences(clips, decoder):
    import jiwer

    refs, hyps = [], []
    for ref, path in clips:
        out = recognizer.transcribe(MODEL_DIR, path, decoder=decoder)
        assert out["decoder"] == decoder
        refs.append(ref)
        hyps.append(out["text"])
        assert out["text"] == out["text"].lower()
        with wave.open(str(path)) as w:
            seconds = w.getnframes() / w.getframerate()
        assert out["duration"] == pytest.approx(seconds, abs=0.05)
    if decoder == "beam":  # lexicon + LM: whole words
        assert jiwer.wer(refs, hyps) <= WER_BOUND_BEAM, hyps
    else:  # greedy characters: misspellings are common, bound the character error
        assert jiwer.cer(refs, hyps) <= CER_BOUND_GREEDY, hyps


@needs_espeak
@needs_ffmpeg
def test_word_timings_monotonic_within_clip(clips):
    for _, path in clips:
        for decoder in ("greedy", "beam"):
            out = recognizer.transcribe(MODEL_DIR, path, decoder=decoder)
            words = out["words"]
            assert words
            prev_end = 0.0
            for w in words:
                assert set(w) == {"word", "start", "end"}
                assert 0.0 <= w["start"] <= w["end"] <= out["duration"] + 1e-6
                assert w["start"] >= prev_end - 1e-6
                prev_end = w["end"]
            assert out["text"] == " ".join(w["word"] for w in words)


@needs_espeak
@needs_ffmpeg
def test_align_known_text(clips):
    ref, path = clips[0]
    out = recognizer.align(MODEL_DIR, path, ref)
    assert [w["word"] for w in out["words"]] == ref.split()
    starts = [w["start"] for w in out["words"]]
    assert starts == sorted(starts)
    assert out["words"][-1]["end"] <= out["duration"] + 1e-6


@pytest.fixture(scope="module")
def long_file(tmp_path_factory):
    """~10 minutes of speech: one spoken paragraph looped by ffmpeg."""
    if shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        pytest.skip("espeak-ng/ffmpeg missing")
    d = tmp_path_factory.mktemp("long")
    para = (
        "the library is open until six in the evening. we watched the sunset from "
        "the top of the hill. the soup is too hot to eat right now. "
    )
    clip = _speak(para * 2, d / "para.wav")
    out = d / "long.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-stream_loop",
            "-1",
            "-i",
            str(clip),
            "-t",
            "600",
            "-ac",
            "1",
            "-ar",
            "16000",
            str(out),
        ],
        check=True,
    )
    return out


def test_chunking_ten_minutes_keeps_memory_bounded(long_file):
    # Fresh interpreter so VmHWM (peak RSS) measures only this work.
    code = textwrap.dedent(f"""
        import json
        def hwm():
            for line in open('/proc/self/status'):
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) * 1024
        from training.engine import audio
        before = hwm()
        chunks = [(c.offset, c.duration) for c in audio.iter_chunks({str(long_file)!r})]
        print(json.dumps({{"growth": hwm() - before, "chunks": chunks}}))
    """)
    import json

    res = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout
    )
    chunks = res["chunks"]
    assert 20 <= len(chunks) <= 45
    assert all(d <= 30.0 + 1e-6 for _, d in chunks)
    assert sum(d for _, d in chunks) == pytest.approx(600.0, abs=0.1)
    for (o1, d1), (o2, _) in zip(chunks, chunks[1:], strict=False):
        assert o2 == pytest.approx(o1 + d1, abs=1e-3)
    # 10 min of float32 PCM is 38 MB; streaming keeps the peak far below that.
    assert res["growth"] < 20 * 1024 * 1024, res["growth"]


def test_transcribe_multi_chunk_offsets(long_file, tmp_path):
    two_min = tmp_path / "two_min.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(long_file), "-t", "75", str(two_min)],
        check=True,
    )
    out = recognizer.transcribe(MODEL_DIR, two_min, decoder="greedy")
    assert out["chunks"] >= 3
    assert out["duration"] == pytest.approx(75.0, abs=0.1)
    starts = [w["start"] for w in out["words"]]
    assert starts == sorted(starts) and starts[-1] > 50.0
    assert "sunset" in out["text"] or "library" in out["text"]


def test_lru_cache_is_bounded(monkeypatch):
    from training.engine.ctc import recognizer as inference

    inference.clear_cache()
    loads = []

    def fake_load(path):
        loads.append(path)
        return object()

    monkeypatch.setattr(inference, "_load_uncached", fake_load)
    for i in range(inference.CACHE_SIZE + 3):
        (d := Path(f"/tmp/_lru_model_{i}")).mkdir(exist_ok=True)
        inference.load_model(d)
    assert inference.cache_info()["size"] == inference.CACHE_SIZE
    last = Path(f"/tmp/_lru_model_{inference.CACHE_SIZE + 2}")
    n = len(loads)
    inference.load_model(last)  # cached: no new load
    assert len(loads) == n
    inference.load_model(Path("/tmp/_lru_model_0"))  # evicted: loaded again
    assert len(loads) == n + 1
    inference.clear_cache()


def test_validate_model_dir_accepts_starter():
    engine.validate_model_dir(MODEL_DIR)


def test_validate_model_dir_refuses_broken_dirs(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(engine.ModelLoadError):
        engine.validate_model_dir(empty)
    with pytest.raises(engine.ModelLoadError):
        engine.validate_model_dir(tmp_path / "missing")
    broken = tmp_path / "broken"
    shutil.copytree(MODEL_DIR, broken)
    (broken / "encoder.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(engine.ModelLoadError):
        engine.validate_model_dir(broken)
    bad_yaml = tmp_path / "bad_yaml"
    shutil.copytree(MODEL_DIR, bad_yaml)
    (bad_yaml / "hyperparams.yaml").write_text("encoder: !new:no.such.Module\n")
    with pytest.raises(engine.ModelLoadError):
        engine.validate_model_dir(bad_yaml)


def test_unreadable_media_raises(tmp_path):
    from training.engine.audio import AudioDecodeError

    bogus = tmp_path / "bogus.mp3"
    bogus.write_text("this is not audio")
    with pytest.raises(AudioDecodeError):
        engine.transcribe(MODEL_DIR, bogus)


def test_the_beam_decoder_leaves_no_temporary_files(tmp_path, monkeypatch):
    # Its lexicon copies used to live as long as the loaded model: a killed process left them.
    import tempfile

    from training.engine.ctc.decoding import BeamDecoder

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    decoder = BeamDecoder(MODEL_DIR)
    assert decoder.decoder is not None
    assert list(scratch.iterdir()) == []


def test_common_words_are_what_the_base_language_model_knows_well():
    common = engine.common_words(MODEL_DIR)
    assert common("patient") and common("weather")
    assert not common("apixaban") and not common("fibrillation")
