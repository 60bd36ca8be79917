"""The Datasets section: its table, the upload dialog's settings, downloads and deletes."""

import json
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from custom_models.models import TrainingStatus
from datasets.models import DatasetFile, TusUpload
from tests.datasets.factories import add_file


@pytest.fixture
def stored(make_model):
    """A model with one audio file whose bytes really are in storage."""
    model = make_model()
    dataset_file = add_file(model, "talk1.wav", "audio", duration=75.4)
    dataset_file.file = default_storage.save("datasets/test/talk1.wav", ContentFile(b"RIFF-bytes"))
    dataset_file.save()
    return dataset_file


def test_table_lists_files_with_type_duration_url_and_times(owner, make_model, login):
    model = make_model()
    audio = add_file(model, "talk1.wav", "audio", duration=75.4)
    add_file(model, "talk1.vtt", "transcript", split="test")
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    for column in ["Name", "Type", "Duration", "URL", "Start time", "End time"]:
        assert f"<th>{column}</th>" in html
    assert "talk1.wav" in html and "talk1.vtt" in html
    assert "<td>1:15</td>" in html  # 75.4 s
    assert '<span class="tag">test</span>' in html
    assert f'href="/api/v3/custom_models/{model.pk}/data/{audio.pk}/download"' in html
    assert f'hx-get="/custom-models/{model.pk}/datasets/{audio.pk}/download/"' in html
    assert f'data-delete-url="/custom-models/{model.pk}/datasets/{audio.pk}/delete/"' in html


def test_empty_table_says_how_to_start(owner, make_model, login):
    model = make_model()
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    assert 'data-testid="datasets-empty"' in html
    assert "New dataset" in html


def test_rows_fragment_is_the_table_alone(owner, make_model, login, htmx):
    model = make_model()
    add_file(model, "talk1.wav", "audio", duration=3)
    response = login(owner).get(f"/custom-models/{model.pk}/datasets/", **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<table class="table" data-testid="datasets-table">')
    assert "talk1.wav" in html and "<html" not in html


def test_upload_dialog_is_set_up_for_tus_on_this_model(owner, make_model, login):
    model = make_model()
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    assert f'data-endpoint="/api/v3/custom_models/{model.pk}/uploads"' in html
    assert 'data-max-files="100"' in html
    assert f'data-max-file-size="{10 * 1024**3}"' in html
    assert "data-csrf-token=" in html
    for option in ["Auto-detect", "TRANSCRIPT", "AUDIO"]:
        assert f">{option}</option>" in html
    start = html.index('id="dataset-extensions"')
    extensions = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    assert extensions["audio"] == [".avi", ".flac", ".m4a", ".mkv", ".mov", ".mp3", ".mp4", ".wav", ".webm"]
    assert extensions["transcript"] == [".jsonl", ".srt", ".txt", ".vtt"]
    assert sorted(extensions["auto"]) == sorted(extensions["audio"] + extensions["transcript"])


def test_uppy_is_loaded_only_on_the_details_page(owner, make_model, login):
    model = make_model()
    client = login(owner)
    assert b"vendor/uppy/uppy.min.js" in client.get(f"/custom-models/{model.pk}/").content
    assert b"panel/uploads.js" in client.get(f"/custom-models/{model.pk}/").content
    assert b"uppy" not in client.get("/custom-models/").content


def test_download_redirects_307_to_a_signed_url_that_serves_the_bytes(member, stored, login):
    client = login(member)
    model_id = stored.custom_model_id
    response = client.get(f"/custom-models/{model_id}/datasets/{stored.pk}/download/")
    assert response.status_code == 307
    assert "/api/v3/files/" in response["Location"]
    download = client.get(response["Location"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"RIFF-bytes"
    assert 'filename="talk1.wav"' in download["Content-Disposition"]


def test_download_with_htmx_hands_the_signed_url_to_the_page(owner, stored, login, htmx):
    response = login(owner).get(
        f"/custom-models/{stored.custom_model_id}/datasets/{stored.pk}/download/", **htmx
    )
    assert response.status_code == 204
    url = json.loads(response["HX-Trigger"])["download"]["url"]
    assert url.startswith("http://testserver/api/v3/files/")


def test_download_of_a_deleted_file_says_download_failed(owner, stored, login, htmx):
    DatasetFile.objects.filter(pk=stored.pk).update(deleted_at=timezone.now())
    url = f"/custom-models/{stored.custom_model_id}/datasets/{stored.pk}/download/"
    client = login(owner)
    response = client.get(url, **htmx)
    assert response.status_code == 404
    assert json.loads(response["HX-Trigger"]) == {"toast": {"message": "Download failed", "level": "error"}}
    assert client.get(url).status_code == 404


def test_delete_removes_the_file_with_a_toast_and_a_table_refresh(member, stored, login, htmx):
    client = login(member)
    response = client.post(f"/custom-models/{stored.custom_model_id}/datasets/{stored.pk}/delete/", **htmx)
    assert response.status_code == 204
    assert json.loads(response["HX-Trigger"]) == {
        "toast": {"message": "Dataset file deleted successfully", "level": "success"},
        "datasetsChanged": {},
        "closeDialogs": {},
    }
    assert not DatasetFile.objects.filter(pk=stored.pk).exists()
    rows = client.get(f"/custom-models/{stored.custom_model_id}/datasets/", **htmx).content
    assert b"datasets-empty" in rows


def test_delete_while_training_is_refused_with_the_services_message(owner, make_model, login, htmx):
    model = make_model(status=TrainingStatus.RUNNING)
    dataset_file = add_file(model, "talk1.wav", "audio", duration=3)
    client = login(owner)
    response = client.post(f"/custom-models/{model.pk}/datasets/{dataset_file.pk}/delete/", **htmx)
    assert response.status_code == 409
    assert "cannot be deleted while the model is training" in response["HX-Trigger"]
    assert DatasetFile.objects.filter(pk=dataset_file.pk).exists()


def test_delete_without_htmx_redirects_back_with_a_toast(owner, stored, login):
    client = login(owner)
    response = client.post(f"/custom-models/{stored.custom_model_id}/datasets/{stored.pk}/delete/")
    assert response["Location"] == f"/custom-models/{stored.custom_model_id}/"
    assert b"Dataset file deleted successfully" in client.get(response["Location"]).content


def test_outsider_gets_404_for_every_dataset_url(outsider, stored, login):
    client = login(outsider)
    base = f"/custom-models/{stored.custom_model_id}/datasets/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}{stored.pk}/download/").status_code == 404
    assert client.post(f"{base}{stored.pk}/delete/").status_code == 404
    assert DatasetFile.objects.filter(pk=stored.pk).exists()


def test_file_of_another_model_is_404(owner, stored, make_model, login):
    other = make_model("Other model")
    client = login(owner)
    assert client.get(f"/custom-models/{other.pk}/datasets/{stored.pk}/download/").status_code == 404
    assert client.post(f"/custom-models/{other.pk}/datasets/{stored.pk}/delete/").status_code == 404


def test_dataset_urls_need_a_login_and_the_feature(featureless, stored, login, client):
    base = f"/custom-models/{stored.custom_model_id}/datasets/"
    response = client.get(base)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert login(featureless).get(base).status_code == 403
    assert login(featureless).post(f"{base}{stored.pk}/delete/").status_code == 403


def test_delete_needs_post(owner, stored, login):
    url = f"/custom-models/{stored.custom_model_id}/datasets/{stored.pk}/delete/"
    assert login(owner).get(url).status_code == 405


def test_the_pages_csrf_token_lets_its_session_upload_with_tus(member, make_model):
    """What the page's Uppy does: the session's cookie plus the page's X-CSRFToken header."""
    model = make_model()
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    html = client.get(f"/custom-models/{model.pk}/").content.decode()
    token = re.search(r'data-csrf-token="([^"]+)"', html).group(1)
    endpoint = re.search(r'data-endpoint="([^"]+)"', html).group(1)
    headers = {
        "HTTP_TUS_RESUMABLE": "1.0.0",
        "HTTP_UPLOAD_LENGTH": "4",
        "HTTP_UPLOAD_METADATA": "filename dGFsazEudnR0,type dHJhbnNjcmlwdA==,split dGVzdA==",
    }
    assert client.post(endpoint, **headers).status_code == 403  # no token, no upload
    created = client.post(endpoint, HTTP_X_CSRFTOKEN=token, **headers)
    assert created.status_code == 201, created.content
    upload = TusUpload.objects.get()
    assert (upload.filename, upload.declared_type, upload.split) == ("talk1.vtt", "transcript", "test")
