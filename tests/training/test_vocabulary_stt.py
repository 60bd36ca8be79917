"""A base language's display rules and phrases in a real transcription (Whisper tiny.en)."""

from pathlib import Path

import pytest

from tests.conftest import assert_error
from training.inference import transcription_job_run, transcription_subtitles
from training.models import TranscriptionJob


def transcribe(persona, audio_dir, **fields) -> TranscriptionJob:
    with open(audio_dir / "speech.wav", "rb") as clip:
        response = persona.client().post("/api/v3/stt", {"audio_file": clip, "language": "en", **fields})
    assert response.status_code == 202, response.content
    assert transcription_job_run(job_id=response.json()["id"]) == "done"
    return TranscriptionJob.objects.get(pk=response.json()["id"])


def test_a_display_rule_shows_in_the_text_the_words_and_the_srt(owner, whisper_english, audio_dir):
    rule = {"written": "patient", "display": "PATIENT (pt)"}
    response = owner.client().put(
        "/api/v3/languages/en/display_rules", {"display_rules": [rule]}, format="json"
    )
    assert response.status_code == 200, response.content
    job = transcribe(owner, audio_dir)
    assert "PATIENT (pt)" in job.text and "patient " not in job.text, job.text
    shown = next(w for w in job.words if "PATIENT (pt)" in w["word"])
    assert shown["end"] > shown["start"]
    assert "PATIENT (pt)" in transcription_subtitles(job=job, format="srt")
    assert job.text[0].isupper()


def test_a_requests_phrases_are_checked_before_anything_is_stored(owner, whisper_english, audio_dir):
    with open(audio_dir / "speech.wav", "rb") as clip:
        response = owner.client().post(
            "/api/v3/stt", {"audio_file": clip, "language": "en", "phrases": ["ok"] * 101}
        )
    body = assert_error(response, 422, "INVALID_INPUT")
    assert "At most 100 phrases" in body["message"]
    assert not TranscriptionJob.objects.exists()


@pytest.mark.parametrize("phrases", [["apixaban"], ["apixaban", "atrial fibrillation"]])
def test_a_requests_phrases_reach_the_job(owner, whisper_english, audio_dir, phrases):
    job = transcribe(owner, audio_dir, phrases=phrases)
    assert job.phrases == phrases and "fibrillation" in job.text.lower()


def test_phrases_for_a_model_that_cannot_favour_them_are_refused_not_ignored(
    owner, tiny_base, audio_dir, settings
):
    with open(audio_dir / "speech.wav", "rb") as clip:
        response = owner.client().post(
            "/api/v3/stt", {"audio_file": clip, "language": "en", "phrases": ["apixaban"]}
        )
    body = assert_error(response, 400, "phrases_unsupported")
    assert "only Whisper models can" in body["message"]
    assert not TranscriptionJob.objects.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]  # nothing was stored
