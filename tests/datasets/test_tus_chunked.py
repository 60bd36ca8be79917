"""A tus PATCH streamed with `Transfer-Encoding: chunked` through the real gunicorn of `make run`.

Django's test client always sends a Content-Length, so these requests go over a socket.
"""

import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from custom_models.services import custom_model_create
from datasets.models import DatasetFile, TusUpload
from datasets.uploads import staged_path

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn_url(transactional_db, tmp_path):
    """gunicorn with the project's config, serving this test's database and files."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "UPLOAD_STAGING_DIR": str(settings.UPLOAD_STAGING_DIR),
        "WEB_WORKERS": "1",
    }
    port = free_port()
    log = tmp_path / "gunicorn.log"
    web = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "--config",
         "scripts/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.ConnectionError):
                requests.get(f"{url}/accounts/login/", timeout=5)
                break
            assert web.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)


class Tus:
    def __init__(self, url: str, token: str, model_id: int) -> None:
        self.collection = f"{url}/api/v3/custom_models/{model_id}/uploads/"
        self.headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}

    def create(self, length: int, filename: str) -> str:
        name = base64.b64encode(filename.encode()).decode()
        response = requests.post(
            self.collection,
            headers={**self.headers, "Upload-Length": str(length), "Upload-Metadata": f"filename {name}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        return response.headers["Location"]

    def patch_chunked(self, location: str, offset: int, body: bytes, piece: int = 1000) -> requests.Response:
        # A generator body makes requests send `Transfer-Encoding: chunked` and no Content-Length.
        pieces = (body[n : n + piece] for n in range(0, len(body), piece))
        headers = {
            **self.headers,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        return requests.patch(location, data=pieces, headers=headers, timeout=30)

    def offset(self, location: str) -> int:
        return int(requests.head(location, headers=self.headers, timeout=30).headers["Upload-Offset"])


@pytest.fixture
def tus(gunicorn_url, owner) -> Tus:
    model = custom_model_create(organisation=owner.organisation, name="Streamed", language="en")
    return Tus(gunicorn_url, owner.token, model.pk)


def test_a_chunked_patch_stores_its_bytes_and_completes_the_upload(tus, audio_dir):
    data = (audio_dir / "tone.wav").read_bytes()
    location = tus.create(len(data), "tone.wav")

    half = len(data) // 2
    first = tus.patch_chunked(location, 0, data[:half])
    assert first.status_code == 204, first.text
    assert first.headers["Upload-Offset"] == str(half)
    assert tus.offset(location) == half
    assert staged_path(TusUpload.objects.get()).read_bytes() == data[:half]

    last = tus.patch_chunked(location, half, data[half:])
    assert last.status_code == 204, last.text
    assert last.headers["Upload-Result"] == "stored"
    assert tus.offset(location) == len(data)
    assert DatasetFile.objects.get(pk=last.headers["Dataset-File-Id"]).file.read() == data


def test_a_chunked_patch_past_upload_length_is_413_and_stores_nothing(tus):
    location = tus.create(100, "words.txt")
    assert tus.patch_chunked(location, 0, b"word " * 10).headers["Upload-Offset"] == "50"

    response = tus.patch_chunked(location, 50, b"word " * 11)
    assert response.status_code == 413, response.text
    assert response.json()["error_code"] == "upload_too_large"
    assert tus.offset(location) == 50
    assert staged_path(TusUpload.objects.get()).read_bytes() == b"word " * 10
    assert not DatasetFile.objects.exists()


def test_a_chunked_patch_to_a_server_that_cannot_read_it_is_411_not_success(
    live_server, transactional_db, owner
):
    # Django's own server (runserver, the live test server) reads a body only up to Content-Length.
    model = custom_model_create(organisation=owner.organisation, name="Streamed", language="en")
    tus = Tus(live_server.url, owner.token, model.pk)
    location = tus.create(100, "words.txt")

    response = tus.patch_chunked(location, 0, b"word " * 10)
    assert response.status_code == 411, response.text
    assert response.json()["error_code"] == "length_required"
    assert tus.offset(location) == 0
