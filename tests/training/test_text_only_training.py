"""Training from sentences of text: the synthesis (training/synthesis.py) and a real text-only run.

The voices that speak a model's text must never be voices a figure is measured in: the test and
anchor voices of tests/voices.py, tests/domain and training/anchor.py.
"""

import random

import pytest
import soundfile as sf

from custom_models.models import TrainingStatus
from custom_models.services import custom_model_create
from datasets.services import dataset_file_ingest, staging_path
from tests import voices as test_voices
from tests.domain.cardiology import HELD_OUT_ESPEAK, PIPER_VOICE, sentences
from training import synthesis, voices
from training.anchor import ANCHOR_KOKORO_VOICE

# Every voice some test, benchmark or anchor set measures with.
MEASURING_VOICES = {
    PIPER_VOICE,
    f"espeak:{test_voices.ESPEAK_TEST_VARIANT}",
    *(f"espeak:{v.split('+')[1]}" for v in HELD_OUT_ESPEAK),
    *(f"kokoro:{v}" for v in test_voices.KOKORO_TEST),
    f"kokoro:{ANCHOR_KOKORO_VOICE}",
}


def upload_text(model, lines: list[str], name: str = "domain.txt", split: str = "train"):
    source = staging_path()
    source.write_text("".join(f"{line}\n" for line in lines))
    return dataset_file_ingest(
        model=model, source=source, filename=name, declared_type="text", split=split
    ).file


def identity(text: str) -> tuple[str, set[str]]:
    return text, set()


def test_no_training_voice_is_a_voice_anything_is_measured_in():
    assert not MEASURING_VOICES & set(voices.SYNTHETIC_TRAIN_VOICES)
    assert voices.SYNTHETIC_TEST_VOICE not in voices.SYNTHETIC_TRAIN_VOICES
    # The training voices are the ones tests and benchmarks train with.
    assert set(voices.SYNTHETIC_TRAIN_VOICES) == {
        *(f"espeak:{v}" for v in test_voices.ESPEAK_TRAIN_VARIANTS),
        *(f"kokoro:{v}" for v in test_voices.KOKORO_TRAIN),
    }


def test_sentences_become_clips_in_voices_that_rotate(owner, tmp_path, settings):
    model = custom_model_create(organisation=owner.organisation, name="Text", language="en")
    train = [f"Start apixaban and review the echocardiogram in {n} weeks." for n in range(1, 9)]
    upload_text(model, train)
    upload_text(model, ["The Holter monitor showed atrial flutter."], name="held.txt", split="test")
    logged: list[str] = []

    data = synthesis.synthesise(
        files=list(model.dataset_files.all()),
        language="en",
        work_dir=tmp_path,
        normalise=identity,
        synthetic_test=True,
        log=logged.append,
    )

    assert [row["transcript"] for row in data.train] == train
    assert [row["voice"] for row in data.train] == [
        *voices.SYNTHETIC_TRAIN_VOICES,
        voices.SYNTHETIC_TRAIN_VOICES[0],
    ]
    assert [(row["transcript"], row["voice"]) for row in data.test] == [
        ("The Holter monitor showed atrial flutter.", voices.SYNTHETIC_TEST_VOICE)
    ]
    for row in data.train + data.test:
        info = sf.info(row["wav"])
        assert info.samplerate == 16000 and info.channels == 1
        assert row["duration"] == pytest.approx(info.frames / 16000) and 1.0 < row["duration"] < 30
        assert row["wav"].startswith(str(tmp_path / "synthetic"))
        assert row["synthetic"] and row["voice"] not in MEASURING_VOICES
    assert data.sentences == 8 and data.skipped == 0


def test_a_capped_run_speaks_sentences_chosen_evenly_and_says_so(owner, tmp_path, monkeypatch):
    model = custom_model_create(organisation=owner.organisation, name="Text", language="en")
    upload_text(model, [f"Sentence {n}." for n in range(10)])
    spoken: list[str] = []
    monkeypatch.setattr(
        synthesis.voices, "say", lambda path, text, *a, **k: (spoken.append(text), _silence(path))[1]
    )
    logged: list[str] = []

    data = synthesis.synthesise(
        files=list(model.dataset_files.all()),
        language="en",
        work_dir=tmp_path,
        normalise=identity,
        synthetic_test=False,
        log=logged.append,
        limit=4,
    )

    assert spoken == ["Sentence 0.", "Sentence 2.", "Sentence 5.", "Sentence 7."]
    assert data.test == [] and data.sentences == 10
    assert any("speaking 4 of them (the limit is 4)" in line for line in logged), logged


def test_without_test_text_a_hashed_share_of_the_sentences_is_held_out(owner):
    model = custom_model_create(organisation=owner.organisation, name="Text", language="en")
    lines = [f"Sentence number {n}." for n in range(50)]
    upload_text(model, lines + lines[:5])  # a repeated sentence stays on one side

    train, test, total = synthesis.choose_sentences(
        list(model.dataset_files.all()), synthetic_test=True, limit=2000
    )

    train_text, test_text = {s for _, s in train}, {s for _, s in test}
    assert test_text and not train_text & test_text
    assert train_text | test_text == set(lines)
    assert total == len(train)


def test_a_language_no_voice_speaks_is_refused(owner, tmp_path):
    model = custom_model_create(organisation=owner.organisation, name="Text", language="en")
    upload_text(model, ["こんにちは"])
    with pytest.raises(ValueError, match="No offline voice speaks 'ja'"):
        synthesis.synthesise(
            files=list(model.dataset_files.all()),
            language="ja",
            work_dir=tmp_path,
            normalise=identity,
            synthetic_test=True,
        )


def _silence(path):
    import numpy as np

    sf.write(str(path), np.zeros(16000, dtype="int16"), 16000, subtype="PCM_16")
    return path


@pytest.mark.integration
def test_a_text_only_model_trains_on_whisper_and_records_its_synthetic_share(
    owner, whisper_english, tmp_path, settings
):
    from tests.training.test_pipeline_checks import train_in_process

    settings.TRAINING_WORK_DIR = tmp_path / "work"
    settings.TRAINED_MODELS_DIR = tmp_path / "trained"
    settings.TRAINING_EPOCHS = 1
    settings.TRAINING_BLEND_SHARES = (0.7,)  # one share to score, not the sweep: kept short
    settings.DATASET_MIN_TEXT_SENTENCES = 16
    settings.TRAINING_MAX_SYNTHETIC_SENTENCES = 12
    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    written = [s[0].upper() + s[1:] + "." for s in sentences(24, random.Random(3))]
    upload_text(model, written)

    run = train_in_process(model)

    log = [line.message for line in model.log_lines.all()]
    assert run.status == "succeeded" and model.training_status == TrainingStatus.SUCCESS, (
        model.status_message,
        log[-8:],
    )
    data = run.evaluation["data"]
    assert data["test"] == "synthetic" and data["test_voice"] == voices.SYNTHETIC_TEST_VOICE
    assert data["synthetic_sentences"] == 12 and data["synthetic_minutes"] > 0
    assert data["real_minutes"] == 0 and data["text_sentences"] == 24 - run.metrics["test_utterances"]
    assert run.metrics["test_split"] == "synthetic"
    api = owner.client().get(f"/api/v3/custom_models/{model.pk}/evaluation").json()
    assert api["data"]["test"] == "synthetic" and api["data"]["synthetic_sentences"] == 12
    assert run.metrics["synthetic_sentences"] == data["synthetic_sentences"]
    assert any("speaking 12 of them (the limit is 12)" in line for line in log), log
    assert any(line.startswith("synthetic speech:") and "100% of the training speech" in line for line in log)
    assert list((tmp_path / "work").glob("*")) == []  # the clips went with the run's work dir
