"""The dashboard: its job tables, the Upload dialogs' forms and starting a transcription."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from custom_models.models import TrainingStatus
from tests.panel import jobs
from training.models import TranscriptionJob


def wav(name: str = "talk1.wav") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"RIFF....WAVEfmt ", content_type="audio/wav")


@pytest.mark.parametrize(
    "url", ["/", "/jobs/", "/transcriptions/new/", "/alignments/new/", "/transcriptions/1/", "/alignments/1/"]
)
def test_dashboard_pages_need_a_login(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_poll_after_the_session_expired_sends_the_tab_to_the_login_page(db, htmx):
    response = Client().get("/jobs/", HTTP_HX_CURRENT_URL="http://testserver/", **htmx)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_dashboard_has_the_upload_menu_and_an_empty_state(owner, login):
    content = login(owner).get("/").content.decode()
    assert "Upload" in content and "Transcribe" in content and "Force alignment" in content
    assert "No transcriptions yet" in content


def test_dashboard_lists_only_the_organisations_jobs(owner, outsider, make_model, login):
    model = make_model("Cardiology EN", TrainingStatus.SUCCESS, enabled=True)
    jobs.transcription(owner, filename="mine.wav", status="running")
    jobs.transcription(owner, filename="by-model.wav", custom_model=model)
    jobs.transcription(outsider, filename="theirs.wav")
    content = login(owner).get("/").content.decode()
    assert "mine.wav" in content and "by-model.wav" in content
    assert "theirs.wav" not in content
    assert "Cardiology EN" in content  # a custom model's job shows the model's name
    assert "English (US)" in content  # a base language's job shows the language's name
    assert "0:03" in content  # duration 2.6 s


def test_jobs_table_polls_only_while_a_job_is_pending(owner, login):
    client = login(owner)
    job = jobs.transcription(owner, status="queued")
    assert "every 5s" in client.get("/jobs/").content.decode()
    TranscriptionJob.objects.filter(pk=job.pk).update(status="done")
    fragment = client.get("/jobs/").content.decode()
    assert "every 5s" not in fragment
    assert "jobsChanged from:body" in fragment  # a new job still refreshes it
    assert "<html" not in fragment


def test_alignment_jobs_are_listed_with_downloads_when_done(owner, login):
    done = jobs.alignment(owner, filename="aligned.wav")
    jobs.alignment(owner, filename="waiting.wav", status="queued")
    content = login(owner).get("/").content.decode()
    assert "aligned.wav" in content and "waiting.wav" in content
    assert f"/alignments/{done.pk}/download/vtt/" in content
    assert content.count("/download/vtt/") == 1


@pytest.mark.parametrize(
    "status, fields, listed",
    [
        (TrainingStatus.NOT_RUNNING, {}, False),
        (TrainingStatus.RUNNING, {}, False),
        (TrainingStatus.FAILED, {}, False),
        (TrainingStatus.SUCCESS, {"enabled": True}, True),
        (TrainingStatus.SUCCESS, {"enabled": False, "disabled_reason": "No hosting claims"}, False),
        (TrainingStatus.SUCCESS, {"enabled": True, "deleted_at": timezone.now()}, False),
    ],
    ids=["not-running", "running", "failed", "success-enabled", "success-disabled", "deleted"],
)
@pytest.mark.parametrize("form", ["/transcriptions/new/", "/alignments/new/"])
def test_language_dropdown_offers_only_usable_custom_models(
    owner, make_model, login, form, status, fields, listed
):
    model = make_model("Cardiology EN", status, **fields)
    content = login(owner).get(form).content.decode()
    assert '<option value="en">English (US)</option>' in content
    assert (f'<option value="{model.stt_name}">Cardiology EN</option>' in content) is listed


def test_dropdown_has_the_published_languages_not_only_trainable_ones(owner, untrainable, login):
    assert '<option value="fr">French</option>' in login(owner).get("/transcriptions/new/").content.decode()


def test_dropdown_never_offers_another_organisations_model(owner, outsider, make_model, login):
    model = make_model("Cardiology EN", TrainingStatus.SUCCESS, enabled=True)
    assert model.stt_name not in login(outsider).get("/transcriptions/new/").content.decode()


@pytest.mark.parametrize(
    "upload, dialog", [("force-alignment", "alignment-dialog"), ("transcribe", "transcribe-dialog")]
)
def test_upload_parameter_opens_its_dialog_with_the_form(owner, login, upload, dialog):
    content = login(owner).get(f"/?upload={upload}").content.decode()
    assert f'id="{dialog}" class="dialog' in content
    assert "data-open-on-load" in content
    assert '<option value="en">English (US)</option>' in content


def test_transcribe_queues_a_job_with_a_toast(owner, login, htmx, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = login(owner).post("/transcriptions/new/", {"file": wav(), "language": "en"}, **htmx)
    assert response.status_code == 200, response.content
    job = TranscriptionJob.objects.get()
    assert (job.organisation, job.filename, job.status, job.model_label) == (
        owner.organisation,
        "talk1.wav",
        "queued",
        "en",
    )
    assert job.created_by == owner.user and job.media.read().startswith(b"RIFF")
    assert len(callbacks) == 1  # queued for the cluster once committed
    assert json.loads(response["HX-Trigger"]) == {
        "toast": {"message": "Transcription of talk1.wav started", "level": "success"},
        "jobsChanged": {},
    }
    assert 'id="transcribe-form"' in response.content.decode()  # a blank form for the next file


def test_transcribe_with_a_custom_model(owner, make_model, login, htmx):
    model = make_model("Cardiology EN", TrainingStatus.SUCCESS, enabled=True)
    response = login(owner).post("/transcriptions/new/", {"file": wav(), "language": model.stt_name}, **htmx)
    assert response.status_code == 200, response.content
    job = TranscriptionJob.objects.get()
    assert job.custom_model == model and job.model_label == model.stt_name


def test_transcribe_without_htmx_redirects_with_a_message(owner, login):
    client = login(owner)
    response = client.post("/transcriptions/new/", {"file": wav(), "language": "en"}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "Transcription of talk1.wav started" in response.content.decode()
    assert "talk1.wav" in response.content.decode()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"training_status": TrainingStatus.RUNNING}, "is not trained yet"),
        ({"enabled": False, "disabled_reason": "No hosting claims"}, "is disabled: No hosting claims"),
        ({"deleted_at": timezone.now()}, "not found"),
    ],
)
def test_a_model_that_became_unusable_since_the_dialog_opened_is_refused(
    owner, make_model, login, htmx, change, message
):
    model = make_model(
        "Cardiology EN", change.pop("training_status", TrainingStatus.SUCCESS), **{"enabled": True, **change}
    )
    response = login(owner).post("/transcriptions/new/", {"file": wav(), "language": model.stt_name}, **htmx)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not TranscriptionJob.objects.exists()


def test_transcribe_refuses_a_file_that_is_not_audio(owner, login, htmx):
    response = login(owner).post("/transcriptions/new/", {"file": wav("notes.txt"), "language": "en"}, **htmx)
    assert response.status_code == 422
    assert "&#x27;notes.txt&#x27; is not audio or video" in response.content.decode()


def test_transcribe_needs_a_file_and_a_language(owner, login, htmx):
    response = login(owner).post("/transcriptions/new/", {}, **htmx)
    assert response.status_code == 422
    assert response.content.decode().count("This field is required.") == 2


@pytest.mark.parametrize("form", ["/transcriptions/new/", "/alignments/new/"])
def test_with_a_multilingual_base_the_dropdown_offers_detection_and_its_languages(owner, german, login, form):
    from custom_models.services import language_publish

    assert "Detect the language" not in login(owner).get(form).content.decode()  # tiny.en cannot tell

    language_publish(language=german, organisation=owner.organisation)
    content = login(owner).get(form).content.decode()
    assert '<option value="auto">Detect the language</option>' in content
    assert '<option value="de">German</option>' in content


def test_a_detected_job_shows_the_language_it_heard_and_how_sure(owner, german, login):
    jobs.transcription(
        owner, filename="hallo.wav", model_label="auto", language=german, language_probability=0.97
    )
    assert "German (detected, 97%)" in login(owner).get("/").content.decode()
