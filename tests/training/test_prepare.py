from pathlib import Path

import pytest
import soundfile as sf

from custom_models.services import custom_model_create
from datasets.selectors import dataset_pairs
from datasets.services import dataset_file_ingest, staging_path
from tests import audio
from training.prepare import prepare, split_pairs

LABELS = list(" 'ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def normalise(text: str):
    from training.engine.ctc.finetune import normalise_for_labels

    return normalise_for_labels(text, ["<blank>", *LABELS])


@pytest.fixture
def model(owner):
    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def upload(model, name: str, data: bytes | Path, split: str = "train"):
    staged = staging_path()
    staged.write_bytes(data.read_bytes() if isinstance(data, Path) else data)
    return dataset_file_ingest(model=model, source=staged, filename=name, split=split).file


def test_vtt_cues_become_clips_with_normalised_text(model, tmp_path, audio_dir):
    upload(model, "a.wav", audio.tone(tmp_path / "a.wav", 8.0))
    upload(model, "a.vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:03.500\nCaf\xc3\xa9 au lait, 2 sugars!\n")
    upload(model, "b.wav", audio_dir / "tone.wav", split="test")
    upload(model, "b.txt", b"short text")
    pairs, _, _ = dataset_pairs(model=model)
    data = prepare(pairs=pairs, work_dir=tmp_path / "work", normalise=normalise, align=None)
    clip = data.train[0]
    assert clip["text"] == "CAFE AU LAIT SUGARS"
    assert clip["duration"] == pytest.approx(2.5)
    assert sf.info(clip["wav"]).samplerate == 16000 and sf.info(clip["wav"]).channels == 1
    assert sf.info(clip["wav"]).duration == pytest.approx(2.5, abs=0.01)
    assert "2" in " ".join(data.warnings)  # the digit was outside the alphabet
    assert [r["text"] for r in data.test] == ["SHORT TEXT"]  # a short TXT is one clip
    assert not data.held_out


def test_long_txt_audio_is_cut_at_word_boundaries_from_the_alignment(model, tmp_path):
    upload(model, "long.wav", audio.tone(tmp_path / "long.wav", 75.0))
    words = [f"word{chr(65 + n % 26)}" for n in range(60)]
    upload(model, "long.txt", " ".join(words).encode())
    upload(model, "x.wav", audio.tone(tmp_path / "x.wav", 2.0))
    upload(model, "x.txt", b"held out")

    def align(wav, text):  # a word every 1.2 s, as an aligner would report
        return [{"word": w, "start": 1.2 * n, "end": 1.2 * n + 0.8} for n, w in enumerate(text.split())]

    pairs, _, _ = dataset_pairs(model=model)
    data = prepare(pairs=pairs, work_dir=tmp_path / "work", normalise=normalise, align=align)
    long_clips = [r for r in data.train + data.test if r["source"] == "long.wav"]
    assert len(long_clips) >= 3
    assert all(r["duration"] <= 30.0 for r in long_clips)
    assert " ".join(r["text"] for r in long_clips).split() == [w.upper() for w in words]


def test_manifest_rows_cut_their_audio(model, tmp_path):
    upload(model, "talk4.wav", audio.tone(tmp_path / "talk4.wav", 6.0))
    upload(
        model,
        "m.jsonl",
        b'{"audio_filepath": "talk4.wav", "duration": 2.5, "text": "mitral valve"}\n'
        b'{"audio_filepath": "talk4.wav", "duration": 1.5, "offset": 3.0, "text": "no regurgitation"}\n',
    )
    upload(model, "t.wav", audio.tone(tmp_path / "t.wav", 2.0))
    upload(model, "t.txt", b"test clip")
    pairs, _, _ = dataset_pairs(model=model)
    data = prepare(pairs=pairs, work_dir=tmp_path / "work", normalise=normalise, align=None)
    rows = sorted(
        (r["text"], round(r["duration"], 2)) for r in data.train + data.test if r["source"] == "talk4.wav"
    )
    assert rows == [("MITRAL VALVE", 2.5), ("NO REGURGITATION", 1.5)]


def test_without_a_test_split_a_fifth_of_the_pairs_is_held_out_deterministically(model, tmp_path):
    for n in range(10):
        upload(model, f"p{n}.wav", audio.tone(tmp_path / f"p{n}.wav", 1.0))
        upload(model, f"p{n}.txt", b"words")
    pairs, _, _ = dataset_pairs(model=model)
    train, test, held_out = split_pairs(pairs)
    assert held_out and len(test) == 2 and len(train) == 8
    assert {p.audio.name for p in split_pairs(list(reversed(pairs)))[1]} == {p.audio.name for p in test}


def test_the_automatic_hold_out_stops_at_twenty_minutes_of_audio(model, tmp_path):
    from datasets.models import DatasetFile
    from training.prepare import HOLD_OUT_MAX_SECONDS

    for n in range(20):
        upload(model, f"h{n}.wav", audio.tone(tmp_path / f"h{n}.wav", 1.0))
        upload(model, f"h{n}.txt", b"words")
    # Hours of data: each recording counted as 15 minutes (its measured duration, as ingest stores it).
    DatasetFile.objects.filter(custom_model=model, kind="audio").update(duration=15 * 60)
    pairs, _, _ = dataset_pairs(model=model)
    train, test, held_out = split_pairs(pairs)
    assert held_out and len(test) == 2 < 20 * 0.2  # 30 minutes: the second recording passes the cap
    assert (
        sum(p.audio.duration for p in test[:-1]) < HOLD_OUT_MAX_SECONDS <= sum(p.audio.duration for p in test)
    )
    assert len(train) == 18
