"""The scale profile end to end: PostgreSQL, Redis (broker and cache), S3 (moto's server),
a production web server and two qcluster workers, driven over HTTP as a client would.

Run with `make test-scale`, which starts the services (scripts/scale-services).
"""

import hashlib
import os
import signal
import subprocess
from pathlib import Path

import boto3
import pytest
import requests
from tusclient import client as tus_client

from tests import audio
from tests.scale.conftest import SERVICES, ancestors, wait_for

SENTENCES = [
    "the patient has atrial fibrillation",
    "the echocardiogram shows normal function",
    "we started apixaban twice daily",
    "blood pressure was controlled",
    "there is no pericardial effusion",
    "follow up in cardiology clinic",
]

pytestmark = pytest.mark.scale


def test_upload_train_survive_a_killed_worker_and_transcribe(stack, tmp_path):
    url, headers = stack["url"], {"Authorization": f"Bearer {stack['key']}"}
    api = requests.Session()
    api.headers.update(headers)
    model = api.post(f"{url}/api/v3/custom_models", json={"name": "Cardiology", "language": "en"}).json()
    base = f"{url}/api/v3/custom_models/{model['id']}"

    # Upload through tus; the bytes end up in S3.
    tus = tus_client.TusClient(f"{base}/uploads/", headers=headers)
    for n, sentence in enumerate(SENTENCES):
        wav = audio.speech(tmp_path / f"dict{n}.wav", f"{sentence}. {sentence}. {sentence}.")
        seconds = float(subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True).stdout)
        vtt = tmp_path / f"dict{n}.vtt"
        vtt.write_text(
            f"WEBVTT\n\n00:00:00.000 --> 00:00:{seconds:06.3f}\n{sentence} {sentence} {sentence}\n"
        )
        for path in (wav, vtt):
            tus.uploader(str(path), chunk_size=64 * 1024, metadata={"filename": path.name}).upload()
    files = api.get(f"{base}/data").json()["results"]
    assert len(files) == 12

    # Downloads are a 307 to a presigned S3 URL.
    first = next(f for f in files if f["name"] == "dict0.wav")
    redirect = api.get(first["url"], allow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["Location"].startswith(SERVICES["AWS_S3_ENDPOINT_URL"])
    assert "X-Amz-Signature=" in redirect.headers["Location"]
    assert "X-Amz-Expires=300" in redirect.headers["Location"]
    body = requests.get(redirect.headers["Location"]).content
    assert (
        hashlib.sha256(body).hexdigest() == hashlib.sha256((tmp_path / "dict0.wav").read_bytes()).hexdigest()
    )

    assert api.post(f"{base}/validate").json()["errors"] == []
    assert api.post(f"{base}/run", json={}).status_code == 202

    # Kill the worker that trains, and its training process with it, once its first epoch's
    # checkpoint is in S3.
    s3 = boto3.client("s3", endpoint_url=SERVICES["AWS_S3_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip

    def checkpoint_written() -> bool:
        listed = s3.list_objects_v2(
            Bucket=SERVICES["AWS_STORAGE_BUCKET_NAME"], Prefix=f"checkpoints/{model['id']}/"
        )
        return any(item["Key"].endswith(".pt") for item in listed.get("Contents", []))

    wait_for(checkpoint_written, 180, "the first epoch's checkpoint")
    child = subprocess.run(
        ["pgrep", "-f", "manage.py run_training"], capture_output=True, text=True
    ).stdout.split()
    child_pid = int(child[0])
    owner = next(
        w for w in stack["workers"] if w.pid in ancestors(child_pid) or _same_group(w.pid, child_pid)
    )
    os.killpg(owner.pid, signal.SIGKILL)
    os.kill(child_pid, signal.SIGKILL)

    # The sweeper queues it again and the other worker finishes it from the checkpoint: no new
    # POST /run, no second training claim; the model then transcribes.
    done = wait_for(lambda: (m := api.get(base).json())["training_status"] in {4, 5} and m, 300, "training")
    log = [line["message"] for line in api.get(f"{base}/log").json()["lines"]]
    assert done["training_status"] == 4, log
    assert done["enabled"], done["disabled_reason"]
    assert any("stopped responding" in line and "queued again" in line for line in log), log
    assert any(line.startswith("resuming from the checkpoint after epoch 1") for line in log), log
    assert sum(line.startswith("epoch 1/2") for line in log) == 1, log  # the first epoch was not done again
    assert done["active_version"] == 1
    with open(tmp_path / "dict1.wav", "rb") as clip:
        job = api.post(f"{url}/api/v3/stt", data={"model": done["model"]}, files={"audio_file": clip}).json()
    result = wait_for(
        lambda: (j := api.get(f"{url}/api/v3/stt/{job['id']}").json())["status"] in {"done", "failed"} and j,
        120,
        "the transcription",
    )
    assert result["status"] == "done", result


def _same_group(worker_pid: int, child_pid: int) -> bool:
    # The trainer runs in a session of its own; its parent is one of the worker's processes.
    parent = int(Path(f"/proc/{child_pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return os.getpgid(parent) == worker_pid
