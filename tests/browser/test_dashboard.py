"""The dashboard in a real browser: Upload → Transcribe, the job's result page, click-to-play, downloads."""

import re

import pytest
from playwright.sync_api import expect

from custom_models.models import CustomModel, TrainingStatus
from custom_models.services import custom_model_create
from tests import audio
from tests.training.conftest import tiny_base, tiny_model_dir  # noqa: F401 (fixtures)
from training.inference import transcription_job_run
from training.models import TranscriptionJob

pytestmark = pytest.mark.integration

# What the tiny random model says is noise; the words below stand in for a real
# model's output so that the click-to-seek check has known timings.
WORDS = [
    {"word": "the", "start": 0.15, "end": 0.3},
    {"word": "patient", "start": 0.35, "end": 0.85},
    {"word": "has", "start": 0.95, "end": 1.15},
    {"word": "atrial", "start": 1.25, "end": 1.65},
    {"word": "fibrillation", "start": 1.7, "end": 2.45},
]


def test_transcribe_a_file_and_play_it_from_a_word(owner, log_in, tiny_base, tmp_path, screenshot):  # noqa: F811
    clip = audio.speech(tmp_path / "patient.wav", "The patient has atrial fibrillation.")
    model = custom_model_create(organisation=owner.organisation, name="Cardiology EN", language="en")
    CustomModel.objects.filter(pk=model.pk).update(training_status=TrainingStatus.SUCCESS, enabled=True)
    page = log_in(owner)
    expect(page.get_by_text("No transcriptions yet")).to_be_visible()

    page.get_by_test_id("upload-menu").get_by_text("Upload").click()
    page.get_by_role("menuitem", name="Transcribe").click()
    dialog = page.get_by_role("dialog", name="Transcribe")
    language = dialog.get_by_label("Language")
    expect(language.locator("option", has_text="Cardiology EN")).to_have_count(1)  # loaded on open
    submit = dialog.get_by_role("button", name="Transcribe")
    expect(submit).to_be_disabled()
    dialog.get_by_label("Audio or video file").set_input_files(clip)
    language.select_option(label="English (US)")
    submit.click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".toast")).to_have_text("Transcription of patient.wav started")
    row = page.get_by_role("row", name=re.compile("patient.wav"))
    expect(row).to_contain_text("Queued")
    expect(row).to_contain_text("English (US)")

    # The cluster's task, run here: the real transcription code on the tiny model.
    job = TranscriptionJob.objects.get()
    assert transcription_job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert job.duration == pytest.approx(2.5, abs=1.0)
    TranscriptionJob.objects.filter(pk=job.pk).update(words=WORDS, text=" ".join(w["word"] for w in WORDS))
    expect(row).to_contain_text("Done", timeout=12_000)  # the table polls while a job is pending
    _more_jobs(owner, model, job)
    page.reload()
    expect(page.get_by_role("row", name=re.compile("ward-round-03.m4a"))).to_contain_text("Cardiology EN")
    expect(page.get_by_test_id("alignments-list")).to_contain_text("lecture-1.wav")
    screenshot(page, "dashboard.png")

    row.get_by_role("link", name="patient.wav").click()
    expect(page.get_by_role("heading", name="patient.wav")).to_be_visible()
    player = page.get_by_test_id("player")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    word = page.locator(".transcript .word", has_text="atrial")
    word.click()
    page.wait_for_function("document.getElementById('player').currentTime >= 1.25")
    assert player.evaluate("p => p.currentTime") >= 1.25
    screenshot(page, "transcript.png")

    with page.expect_download() as download:
        page.get_by_role("link", name="VTT").click()
    assert download.value.suggested_filename == "patient.vtt"
    vtt = download.value.path().read_text()
    assert vtt == "WEBVTT\n\n00:00:00.150 --> 00:00:02.450\nthe patient has atrial fibrillation\n"


def _more_jobs(owner, model, job) -> None:
    from training.models import AlignmentJob

    common = dict(organisation=owner.organisation, language=job.language, media=job.media.name)
    TranscriptionJob.objects.create(
        **common,
        custom_model=model,
        model_label=model.stt_name,
        filename="ward-round-03.m4a",
        status="running",
    )
    TranscriptionJob.objects.create(
        **common, model_label="en", filename="handover.mp3", status="failed", error="Unsupported codec"
    )
    AlignmentJob.objects.create(
        **common, model_label="en", filename="lecture-1.wav", lines=["One."], status="done",
        segments=[{"start": 0.1, "end": 0.6, "text": "One.", "confidence": 0.9}],
    )  # fmt: skip
