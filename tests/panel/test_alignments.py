"""Force alignment from the dashboard: the dialog, the result page, downloads, Add to custom model."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from custom_models.models import TrainingStatus
from datasets.models import DatasetFile
from tests.panel import jobs
from training.models import AlignmentJob


def wav(name: str = "talk1.wav") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"RIFF....WAVEfmt ", content_type="audio/wav")


def test_alignment_is_queued_from_pasted_text(owner, login, htmx):
    text = "Good morning everyone.\n\n  Today we talk   about the heart.\n"
    response = login(owner).post(
        "/alignments/new/", {"file": wav(), "transcript": text, "language": "en"}, **htmx
    )
    assert response.status_code == 200, response.content
    job = AlignmentJob.objects.get()
    assert job.lines == ["Good morning everyone.", "Today we talk about the heart."]
    assert (job.organisation, job.status, job.model_label) == (owner.organisation, "queued", "en")
    assert json.loads(response["HX-Trigger"])["toast"]["message"] == "Alignment of talk1.wav started"


def test_alignment_takes_a_txt_file_instead(owner, login, htmx):
    transcript = SimpleUploadedFile("talk1.txt", b"One line.\nTwo lines.\n", content_type="text/plain")
    response = login(owner).post(
        "/alignments/new/", {"file": wav(), "transcript_file": transcript, "language": "en"}, **htmx
    )
    assert response.status_code == 200, response.content
    assert AlignmentJob.objects.get().lines == ["One line.", "Two lines."]


def test_alignment_needs_a_transcript(owner, login, htmx):
    response = login(owner).post(
        "/alignments/new/", {"file": wav(), "transcript": "  \n", "language": "en"}, **htmx
    )
    assert response.status_code == 422
    assert "Paste the transcript or choose a .txt file." in response.content.decode()
    assert not AlignmentJob.objects.exists()


def test_alignment_shows_the_services_refusal(owner, login, htmx):
    response = login(owner).post(
        "/alignments/new/", {"file": wav(), "transcript": "Hello.", "language": "de"}, **htmx
    )
    assert response.status_code == 422
    assert "Invalid language" in response.content.decode()


SUBPAGES = ["", "result/", "download/vtt/", "download/srt/"]


@pytest.mark.parametrize("sub", SUBPAGES)
def test_alignment_pages_need_a_login(owner, sub):
    job = jobs.alignment(owner)
    response = Client().get(f"/alignments/{job.pk}/{sub}")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("sub", SUBPAGES)
def test_outsider_gets_404(owner, outsider, login, sub):
    job = jobs.alignment(owner)
    assert login(outsider).get(f"/alignments/{job.pk}/{sub}").status_code == 404


def test_result_shows_cues_with_times_confidence_and_highlighted_warnings(owner, make_model, login):
    make_model("Cardiology EN")
    job = jobs.alignment(owner)
    content = login(owner).get(f"/alignments/{job.pk}/").content.decode()
    assert "<td>0.200</td>" in content and "<td>0.91</td>" in content
    assert content.count('class="low-confidence"') == 2  # confidence 0.05, and the line not placed
    assert "not placed" in content
    assert "Line 2 matches the audio poorly" in content and "2 cues need a look" in content
    assert f"/alignments/{job.pk}/download/vtt/" in content
    assert "Add to custom model" in content and "Cardiology EN</option>" in content


def test_featureless_organisation_gets_no_add_to_model(featureless, login):
    job = jobs.alignment(featureless)
    content = login(featureless).get(f"/alignments/{job.pk}/").content.decode()
    assert "Add to custom model" not in content
    response = login(featureless).post(
        f"/alignments/{job.pk}/add-to-model/", {"model": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403


def test_result_polls_while_running_and_shows_failure(owner, login):
    job = jobs.alignment(owner, status="running")
    client = login(owner)
    assert "every 3s" in client.get(f"/alignments/{job.pk}/").content.decode()
    AlignmentJob.objects.filter(pk=job.pk).update(
        status="failed", error="The transcript does not match the audio"
    )
    fragment = client.get(f"/alignments/{job.pk}/result/").content.decode()
    assert "every 3s" not in fragment and "The transcript does not match the audio" in fragment


def test_vtt_and_srt_downloads_leave_out_unplaced_lines(owner, login):
    job = jobs.alignment(owner)
    client = login(owner)
    vtt = client.get(f"/alignments/{job.pk}/download/vtt/")
    assert vtt["Content-Disposition"] == 'attachment; filename="talk1.vtt"'
    assert vtt.content.decode() == (
        "WEBVTT\n\n00:00:00.200 --> 00:00:00.900\nThe patient\n\n"
        "00:00:01.000 --> 00:00:02.500\nhas atrial fibrillation.\n"
    )
    srt = client.get(f"/alignments/{job.pk}/download/srt/").content.decode()
    assert srt.startswith("1\n00:00:00,200 --> 00:00:00,900\nThe patient\n\n2\n")


def test_downloads_wait_for_the_alignment(owner, login):
    job = jobs.alignment(owner, status="queued")
    assert login(owner).get(f"/alignments/{job.pk}/download/vtt/").status_code == 409


@pytest.mark.integration  # ffprobe measures the audio as it joins the model's datasets
def test_add_to_custom_model_adds_the_audio_and_its_vtt(owner, make_model, login, htmx, audio_dir):
    model = make_model("Cardiology EN")
    job = jobs.alignment(
        owner, media=jobs.stored("alignments/a.wav", (audio_dir / "speech.wav").read_bytes())
    )
    client = login(owner)
    response = client.post(f"/alignments/{job.pk}/add-to-model/", {"model": model.pk}, **htmx)
    assert response.status_code == 204
    assert json.loads(response["HX-Trigger"]) == {
        "toast": {"message": "Added to Cardiology EN", "level": "success"}
    }
    files = DatasetFile.objects.filter(custom_model=model).order_by("name")
    assert [(f.name, f.kind) for f in files] == [("talk1.vtt", "transcript"), ("talk1.wav", "audio")]

    again = client.post(f"/alignments/{job.pk}/add-to-model/", {"model": model.pk}, **htmx)
    assert (
        "already there, skipped: talk1.vtt, talk1.wav" in json.loads(again["HX-Trigger"])["toast"]["message"]
    )


def test_add_to_model_shows_the_services_error(owner, make_model, login, htmx):
    model = make_model("Cardiology EN", TrainingStatus.SUCCESS)
    job = jobs.alignment(owner, status="running")
    response = login(owner).post(f"/alignments/{job.pk}/add-to-model/", {"model": model.pk}, **htmx)
    assert response.status_code == 409
    assert json.loads(response["HX-Trigger"]) == {
        "toast": {"message": "The alignment is running, not done.", "level": "error"}
    }


def test_add_to_another_organisations_model_is_refused(owner, outsider, login, htmx):
    theirs = jobs.alignment(outsider)
    from custom_models.services import custom_model_create

    their_model = custom_model_create(organisation=outsider.organisation, name="Theirs", language="en")
    mine = jobs.alignment(owner)
    assert (
        login(owner).post(f"/alignments/{theirs.pk}/add-to-model/", {"model": their_model.pk}).status_code
        == 404
    )
    response = login(owner).post(f"/alignments/{mine.pk}/add-to-model/", {"model": their_model.pk}, **htmx)
    assert response.status_code == 404
    assert "not found" in json.loads(response["HX-Trigger"])["toast"]["message"]
    assert not DatasetFile.objects.exists()
