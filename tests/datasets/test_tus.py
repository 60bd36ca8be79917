import base64
import hashlib
import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from config.errors import ApplicationError
from custom_models.models import CustomModel
from custom_models.services import custom_model_create
from datasets.models import DatasetFile, TusUpload
from datasets.uploads import staged_path, tus_upload_append, tus_uploads_expire
from tests.conftest import assert_error

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


@pytest.fixture
def model(owner) -> CustomModel:
    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(client, model, length: int, **meta) -> str:
    meta = {"filename": "tone.wav", **meta}
    response = client.post(
        f"/api/v3/custom_models/{model.pk}/uploads/",
        HTTP_UPLOAD_LENGTH=str(length),
        HTTP_UPLOAD_METADATA=metadata(**meta),
        **TUS,
    )
    assert response.status_code == 201, response.content
    assert response["Tus-Resumable"] == "1.0.0"
    return response["Location"]


def patch(client, location: str, offset: int, body: bytes, **headers):
    return client.generic(
        "PATCH",
        location,
        data=body,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        **TUS,
        **headers,
    )


def test_options_advertises_version_extensions_and_limit(owner, model):
    response = owner.client().options(f"/api/v3/custom_models/{model.pk}/uploads/")
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "expiration", "checksum"}
    assert response["Tus-Max-Size"] == str(10 * 1024**3)
    assert "sha1" in response["Tus-Checksum-Algorithm"]


def test_upload_in_chunks_becomes_a_dataset_file(owner, model, audio_dir):
    data = (audio_dir / "tone.wav").read_bytes()
    client = owner.client()
    location = create(client, model, len(data), type="audio", split="test")
    assert client.head(location, **TUS)["Upload-Offset"] == "0"

    half = len(data) // 2
    first = patch(client, location, 0, data[:half])
    assert first.status_code == 204 and first["Upload-Offset"] == str(half)
    assert "Upload-Expires" in first
    head = client.head(location, **TUS)
    assert head["Upload-Offset"] == str(half) and head["Upload-Length"] == str(len(data))

    last = patch(client, location, half, data[half:])
    assert last.status_code == 204 and last["Upload-Result"] == "stored"
    stored = DatasetFile.objects.get(pk=last["Dataset-File-Id"])
    assert stored.name == "tone.wav" and stored.split == "test"
    assert stored.file.read() == data
    assert not staged_path(TusUpload.objects.get()).exists()


def test_over_10_gb_is_413_before_any_byte(owner, model):
    response = owner.client().post(
        f"/api/v3/custom_models/{model.pk}/uploads/",
        HTTP_UPLOAD_LENGTH=str(10 * 1024**3 + 1),
        HTTP_UPLOAD_METADATA=metadata(filename="huge.wav"),
        **TUS,
    )
    assert_error(response, 413, "upload_too_large")
    assert not TusUpload.objects.exists()


def test_unsupported_type_is_refused_at_creation(owner, model):
    response = owner.client().post(
        f"/api/v3/custom_models/{model.pk}/uploads/",
        HTTP_UPLOAD_LENGTH="10",
        HTTP_UPLOAD_METADATA=metadata(filename="slides.pptx"),
        **TUS,
    )
    assert_error(response, 400, "unsupported_file_type")
    response = owner.client().post(
        f"/api/v3/custom_models/{model.pk}/uploads/",
        HTTP_UPLOAD_LENGTH="10",
        HTTP_UPLOAD_METADATA=metadata(filename="a.vtt", type="audio"),
        **TUS,
    )
    assert_error(response, 400, "unsupported_file_type")


def test_wrong_offset_is_409(owner, model):
    client = owner.client()
    location = create(client, model, 100)
    assert_error(patch(client, location, 10, b"x" * 10), 409, "offset_mismatch")


def test_checksum_mismatch_is_460_and_the_chunk_is_discarded(owner, model):
    client = owner.client()
    location = create(client, model, 100)
    wrong = base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    response = patch(client, location, 0, b"a" * 50, HTTP_UPLOAD_CHECKSUM=f"sha1 {wrong}")
    assert_error(response, 460, "checksum_mismatch")
    assert client.head(location, **TUS)["Upload-Offset"] == "0"
    right = base64.b64encode(hashlib.sha1(b"a" * 50).digest()).decode()
    ok = patch(client, location, 0, b"a" * 50, HTTP_UPLOAD_CHECKSUM=f"sha1 {right}")
    assert ok.status_code == 204 and ok["Upload-Offset"] == "50"


class DroppingStream:
    """A request body whose connection drops after `keep` bytes."""

    def __init__(self, data: bytes, keep: int) -> None:
        self.buffer = io.BytesIO(data[:keep])

    def read(self, size: int) -> bytes:
        chunk = self.buffer.read(size)
        if not chunk:
            raise OSError("connection reset by peer")
        return chunk


def test_an_interrupted_chunk_keeps_what_arrived_and_resumes_from_head(owner, model, audio_dir):
    data = (audio_dir / "tone.wav").read_bytes()
    client = owner.client()
    location = create(client, model, len(data))
    upload = TusUpload.objects.get()
    tus_upload_append(upload=upload, offset=0, stream=DroppingStream(data, 40_000), content_length=len(data))

    offset = int(client.head(location, **TUS)["Upload-Offset"])
    assert offset == 40_000
    assert patch(client, location, offset, data[offset:])["Upload-Result"] == "stored"
    assert DatasetFile.objects.get().file.read() == data


def test_a_corrupt_finished_upload_is_refused_and_leaves_nothing(owner, model, audio_dir, settings):
    data = (audio_dir / "corrupt.mp3").read_bytes()
    client = owner.client()
    location = create(client, model, len(data), filename="bad.mp3")
    body = assert_error(patch(client, location, 0, data), 400, "invalid_media")
    assert "'bad.mp3'" in body["message"]
    assert not DatasetFile.objects.exists()
    assert not any(Path(settings.UPLOAD_STAGING_DIR).rglob("*.part"))
    assert "bad.mp3" in client.head(location, **TUS)["Upload-Error"]


def test_termination_removes_the_bytes(owner, model):
    client = owner.client()
    location = create(client, model, 100)
    patch(client, location, 0, b"a" * 30)
    path = staged_path(TusUpload.objects.get())
    assert client.delete(location, **TUS).status_code == 204
    assert not path.exists()
    assert client.head(location, **TUS).status_code == 404


def test_abandoned_uploads_expire_and_their_bytes_are_removed(owner, model):
    client = owner.client()
    location = create(client, model, 100)
    patch(client, location, 0, b"a" * 30)
    upload = TusUpload.objects.get()
    TusUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(patch(client, location, 30, b"a" * 10), 410, "upload_expired")
    assert tus_uploads_expire() == 1
    assert not staged_path(upload).exists()
    assert not TusUpload.objects.exists()


def test_a_missing_tus_version_is_412(owner, model):
    response = owner.client().post(f"/api/v3/custom_models/{model.pk}/uploads/", HTTP_UPLOAD_LENGTH="5")
    assert_error(response, 412, "tus_version")


def test_outsider_cannot_create_or_touch_an_upload(owner, outsider, model):
    location = create(owner.client(), model, 100)
    client = outsider.client()
    response = client.post(f"/api/v3/custom_models/{model.pk}/uploads/", HTTP_UPLOAD_LENGTH="5", **TUS)
    assert_error(response, 404, "MODEL_NOT_FOUND")
    assert_error(patch(client, location, 0, b"a"), 404, "MODEL_NOT_FOUND")
    assert client.head(location, **TUS).status_code == 404


def test_panel_session_uploads_with_its_csrf_token(owner, model):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.login(username="alice", password="alice")
    url = f"/api/v3/custom_models/{model.pk}/uploads/"
    headers = dict(HTTP_UPLOAD_LENGTH="5", HTTP_UPLOAD_METADATA=metadata(filename="a.txt"), **TUS)
    assert client.post(url, **headers).status_code == 403
    client.get("/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert client.post(url, HTTP_X_CSRFTOKEN=token, **headers).status_code == 201


def test_a_tus_upload_counts_once_against_the_upload_limit(owner, model, settings):
    client = owner.client()
    location = create(client, model, 60, filename="words.txt")
    for n in range(6):
        assert patch(client, location, n * 10, b"word " * 2).status_code == 204
    for n in range(49):
        create(client, model, 10, filename=f"f{n}.txt")
    response = client.post(
        f"/api/v3/custom_models/{model.pk}/uploads/",
        HTTP_UPLOAD_LENGTH="10",
        HTTP_UPLOAD_METADATA=metadata(filename="last.txt"),
        **TUS,
    )
    assert_error(response, 429, "RATE_LIMITED")


def test_a_completed_upload_refuses_more_bytes(owner, model):
    client = owner.client()
    location = create(client, model, 10, filename="a.txt")
    assert patch(client, location, 0, b"some words").status_code == 204
    with pytest.raises(ApplicationError):
        tus_upload_append(upload=TusUpload.objects.get(), offset=10, stream=io.BytesIO(b""), content_length=0)


def test_a_panel_batch_of_100_files_counts_once(owner, model):
    client = owner.client()
    for n in range(100):
        create(client, model, 10, filename=f"batch{n}.txt", batch="b1")
    for n in range(49):
        create(client, model, 10, filename=f"single{n}.txt")
    response = client.post(
        f"/api/v3/custom_models/{model.pk}/uploads/",
        HTTP_UPLOAD_LENGTH="10",
        HTTP_UPLOAD_METADATA=metadata(filename="one-too-many.txt"),
        **TUS,
    )
    assert_error(response, 429, "RATE_LIMITED")


def test_an_upload_whose_last_request_failed_is_finished_by_the_next_head(owner, model, audio_dir):
    data = (audio_dir / "tone.wav").read_bytes()
    client = owner.client()
    location = create(client, model, len(data))
    upload = TusUpload.objects.get()
    # All bytes written and counted, but the request died before completing (a database restart).
    staged_path(upload).write_bytes(data)
    TusUpload.objects.filter(pk=upload.pk).update(offset=len(data))
    assert not DatasetFile.objects.exists()
    head = client.head(location, **TUS)
    assert head.status_code == 200 and head["Upload-Offset"] == str(len(data))
    assert DatasetFile.objects.get().file.read() == data


def test_a_retried_last_chunk_gets_a_conflict_and_head_says_done(owner, model):
    client = owner.client()
    location = create(client, model, 10, filename="a.txt")
    assert patch(client, location, 0, b"some words").status_code == 204
    body = assert_error(patch(client, location, 0, b"some words"), 409, "offset_mismatch")
    assert body["details"]["offset"] == 10
    assert client.head(location, **TUS)["Upload-Offset"] == "10"
    assert DatasetFile.objects.count() == 1


def test_a_name_over_255_characters_keeps_its_extension_as_through_put_data(owner, model, audio_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    long_name = "cardiology clinic dictation " * 11 + ".wav"
    assert len(long_name) > 255
    data = (audio_dir / "tone.wav").read_bytes()
    client = owner.client()
    location = create(client, model, len(data), filename=long_name)
    assert patch(client, location, 0, data)["Upload-Result"] == "stored"
    through_tus = DatasetFile.objects.get(custom_model=model).name

    other = custom_model_create(organisation=owner.organisation, name="Other", language="en")
    response = client.put(
        f"/api/v3/custom_models/{other.pk}/data",
        {"file": SimpleUploadedFile(long_name, data)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert through_tus == response.json()["files"][0]["name"]
    assert through_tus.endswith(".wav") and len(through_tus) == 255
    assert through_tus.startswith("cardiology clinic dictation")


def lock_files(settings) -> list[Path]:
    return sorted(Path(settings.UPLOAD_STAGING_DIR).rglob("*.lock"))


def test_no_lock_file_outlives_a_request(owner, model, audio_dir, settings):
    client = owner.client()
    refused = create(client, model, 10, filename="bad.mp3")
    assert_error(patch(client, refused, 0, b"not an mp3"), 400, "invalid_media")
    assert client.head(refused, **TUS).status_code == 200

    data = (audio_dir / "tone.wav").read_bytes()
    location = create(client, model, len(data))
    assert patch(client, location, 0, data[:100]).status_code == 204
    assert lock_files(settings) == []
    assert patch(client, location, 100, data[100:])["Upload-Result"] == "stored"
    assert client.head(location, **TUS).status_code == 200
    assert_error(patch(client, location, len(data), b"more"), 409, "offset_mismatch")
    assert lock_files(settings) == []


def test_the_expiry_job_removes_lock_files_left_by_a_killed_request(owner, model, settings):
    from datasets.uploads import upload_lock

    client = owner.client()
    location = create(client, model, 100)
    in_flight = TusUpload.objects.get()
    finished = create(client, model, 10, filename="a.txt")
    assert patch(client, finished, 0, b"some words").status_code == 204
    # What a killed request leaves: the lock of a finished upload and of one long gone.
    staged_path(TusUpload.objects.get(filename="a.txt")).with_suffix(".lock").touch()
    (Path(settings.UPLOAD_STAGING_DIR) / "tus" / "0d4c1b9e-gone.lock").touch()

    with upload_lock(in_flight):  # a request writing right now keeps its lock
        assert tus_uploads_expire() == 0
        assert lock_files(settings) == [staged_path(in_flight).with_suffix(".lock")]
    assert lock_files(settings) == []
    assert client.head(location, **TUS)["Upload-Offset"] == "0"


@pytest.mark.django_db(transaction=True)
def test_requests_on_one_upload_take_turns_while_lock_files_come_and_go(owner, model):
    import threading

    from django.db import connection

    from datasets.uploads import upload_lock

    create(owner.client(), model, 100)
    upload = TusUpload.objects.get()
    holders: list[int] = []
    overlaps: list[int] = []

    def request() -> None:
        try:
            for _ in range(20):
                with upload_lock(TusUpload.objects.get(pk=upload.pk)):
                    holders.append(1)
                    if len(holders) > 1:
                        overlaps.append(1)
                    time.sleep(0.001)
                    holders.pop()
                tus_uploads_expire()  # the sweeper runs alongside
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    assert not list(staged_path(upload).parent.glob("*.lock"))


@pytest.mark.parametrize("method", ["head", "patch", "delete"])
def test_an_upload_address_that_is_not_a_uuid_is_a_404_error_body(owner, model, method):
    # 36 characters of hex digits and dashes, but no UUID: once a database error (500).
    url = f"/api/v3/custom_models/{model.pk}/uploads/{'0' * 36}"
    response = getattr(owner.client(), method)(url, **TUS)
    assert response.status_code == 404
    if method != "head":
        assert response.json()["error_code"] == "NOT_FOUND"
