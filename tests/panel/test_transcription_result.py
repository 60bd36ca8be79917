"""A transcription's result page, its audio and its TXT / SRT / VTT downloads."""

import pytest
from django.test import Client

from custom_models.models import TrainingStatus
from custom_models.services import custom_model_delete
from tests.panel import jobs
from training.models import TranscriptionJob

SUBPAGES = ["", "result/", "media/", "download/txt/", "download/srt/", "download/vtt/"]


@pytest.mark.parametrize("sub", SUBPAGES)
def test_result_pages_need_a_login(owner, sub):
    job = jobs.transcription(owner)
    response = Client().get(f"/transcriptions/{job.pk}/{sub}")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("sub", SUBPAGES)
def test_outsider_gets_404(owner, outsider, login, sub):
    job = jobs.transcription(owner)
    assert login(outsider).get(f"/transcriptions/{job.pk}/{sub}").status_code == 404


def test_result_page_has_timed_words_a_player_and_downloads(owner, login):
    job = jobs.transcription(owner)
    content = login(owner).get(f"/transcriptions/{job.pk}/").content.decode()
    assert '<span class="word" data-start="0.400" data-end="0.900" title="0:00">patient</span>' in content
    assert f'<audio id="player" controls preload="metadata" src="/transcriptions/{job.pk}/media/"' in content
    for format in ["txt", "srt", "vtt"]:
        assert f"/transcriptions/{job.pk}/download/{format}/" in content
    assert "hx-trigger" not in content.split('id="result"')[1].split(">")[0]  # done: no polling


def test_result_polls_until_the_job_is_done(owner, login):
    job = jobs.transcription(owner, status="running")
    client = login(owner)
    assert "every 3s" in client.get(f"/transcriptions/{job.pk}/").content.decode()
    assert "Transcribing…" in client.get(f"/transcriptions/{job.pk}/result/").content.decode()
    TranscriptionJob.objects.filter(pk=job.pk).update(status="done", words=jobs.WORDS, text="the patient")
    fragment = client.get(f"/transcriptions/{job.pk}/result/").content.decode()
    assert "every 3s" not in fragment and 'class="word"' in fragment and "<html" not in fragment


def test_failed_job_shows_its_error(owner, login):
    job = jobs.transcription(
        owner, status="failed", error="The model files for en are missing on this server."
    )
    content = login(owner).get(f"/transcriptions/{job.pk}/").content.decode()
    assert "Transcription failed" in content
    assert "The model files for en are missing on this server." in content
    assert "/download/" not in content


def test_a_deleted_models_old_job_still_shows_its_result(owner, make_model, login):
    model = make_model("Cardiology EN", TrainingStatus.SUCCESS, enabled=True)
    job = jobs.transcription(owner, custom_model=model)
    custom_model_delete(model=model, by=owner.membership)
    client = login(owner)
    page = client.get(f"/transcriptions/{job.pk}/").content.decode()
    assert f"{model.stt_name} (deleted)" in page and "fibrillation" in page
    assert "Cardiology EN" not in page  # a deleted model vanishes from the panel
    assert f"{model.stt_name} (deleted)" in client.get("/").content.decode()
    assert client.get(f"/transcriptions/{job.pk}/download/vtt/").status_code == 200


def test_txt_download(owner, login):
    job = jobs.transcription(owner)
    response = login(owner).get(f"/transcriptions/{job.pk}/download/txt/")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="talk1.txt"'
    assert response.content == b"the patient has atrial fibrillation\n"


def test_srt_download(owner, login):
    job = jobs.transcription(owner)
    response = login(owner).get(f"/transcriptions/{job.pk}/download/srt/")
    assert response["Content-Disposition"] == 'attachment; filename="talk1.srt"'
    assert (
        response.content.decode() == "1\n00:00:00,200 --> 00:00:02,500\nthe patient has atrial fibrillation\n"
    )


def test_vtt_download_groups_words_into_cues(owner, login):
    words = [{"word": f"w{n}", "start": n * 0.5, "end": n * 0.5 + 0.3} for n in range(14)]
    job = jobs.transcription(owner, words=words, text=" ".join(w["word"] for w in words))
    response = login(owner).get(f"/transcriptions/{job.pk}/download/vtt/")
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.decode() == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:05.800\nw0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11\n\n"
        "00:00:06.000 --> 00:00:06.800\nw12 w13\n"
    )


def test_downloads_wait_for_the_job(owner, login):
    job = jobs.transcription(owner, status="queued")
    response = login(owner).get(f"/transcriptions/{job.pk}/download/vtt/")
    assert response.status_code == 409
    assert response.content == b"The transcription is queued, not done."
    assert login(owner).get(f"/transcriptions/{job.pk}/download/pdf/").status_code == 404


def test_media_streams_the_stored_file_and_serves_ranges(owner, login):
    data = bytes(range(256)) * 8
    job = jobs.transcription(owner, media=jobs.stored("transcriptions/talk.wav", data))
    client = login(owner)
    whole = client.get(f"/transcriptions/{job.pk}/media/")
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == data
    assert whole["Content-Type"] == "audio/x-wav" and whole["Accept-Ranges"] == "bytes"

    part = client.get(f"/transcriptions/{job.pk}/media/", HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert b"".join(part.streaming_content) == data[100:200]
    tail = client.get(f"/transcriptions/{job.pk}/media/", HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == data[-10:]
    assert client.get(f"/transcriptions/{job.pk}/media/", HTTP_RANGE=f"bytes={len(data)}-").status_code == 416


def test_download_names_with_quotes_or_accents_are_quoted(owner, login):
    job = jobs.transcription(owner, filename='café "final".wav')
    response = login(owner).get(f"/transcriptions/{job.pk}/download/txt/")
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''caf%C3%A9%20%22final%22.txt"


def test_media_missing_from_storage_is_404(owner, login):
    job = jobs.transcription(owner)
    job.media.storage.delete(job.media.name)
    assert login(owner).get(f"/transcriptions/{job.pk}/media/").status_code == 404
