"""A real resumable upload over HTTP with tuspy: killed halfway, resumed, byte-identical."""

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tusclient import client as tus_client

from custom_models.services import custom_model_create
from datasets.models import DatasetFile, TusUpload
from tests import audio

pytestmark = pytest.mark.integration
CHUNK = 8 * 1024 * 1024

UPLOADER = """
import sys
from tusclient import client
tus = client.TusClient(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
metadata = {"filename": "long.wav", "type": "audio"}
uploader = tus.uploader(sys.argv[3], chunk_size=int(sys.argv[4]), metadata=metadata)
uploader.set_url(uploader.create_url())
print(uploader.url, flush=True)
uploader.upload()
"""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def test_300_mb_upload_killed_halfway_resumes_byte_identical(live_server, transactional_db, owner, tmp_path):
    model = custom_model_create(organisation=owner.organisation, name="Long audio", language="en")
    source = audio.tone(tmp_path / "long.wav", seconds=9830)  # 16 kHz mono 16-bit: about 300 MB
    size = source.stat().st_size
    assert size > 300 * 1000 * 1000
    endpoint = f"{live_server.url}/api/v3/custom_models/{model.pk}/uploads/"

    process = subprocess.Popen(
        [sys.executable, "-c", UPLOADER, endpoint, owner.token, str(source), str(CHUNK)],
        stdout=subprocess.PIPE,
        text=True,
    )
    location = process.stdout.readline().strip()
    upload_id = location.rstrip("/").rsplit("/", 1)[-1]
    deadline = time.monotonic() + 120
    while TusUpload.objects.get(pk=upload_id).offset < size // 2:
        assert time.monotonic() < deadline, "the upload did not reach halfway"
        time.sleep(0.05)
    process.kill()
    process.wait()
    stopped_at = TusUpload.objects.get(pk=upload_id).offset
    assert 0 < stopped_at < size

    # A new client resumes from the offset HEAD reports.
    tus = tus_client.TusClient(endpoint, headers={"Authorization": f"Bearer {owner.token}"})
    uploader = tus.uploader(str(source), url=location, chunk_size=CHUNK)
    assert uploader.offset == TusUpload.objects.get(pk=upload_id).offset >= stopped_at
    uploader.upload()

    stored = DatasetFile.objects.get(name="long.wav")
    assert stored.duration == pytest.approx(9830, abs=1)
    with stored.file.open("rb") as handle:
        digest = hashlib.sha256()
        while block := handle.read(1024 * 1024):
            digest.update(block)
    assert digest.hexdigest() == sha256(source)
