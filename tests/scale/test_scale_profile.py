"""The scale profile end to end: PostgreSQL, Redis (broker and cache), S3 (moto's server),
a production web server and two qcluster workers, driven over HTTP as a client would.

Run with `make test-scale`, which starts the services (scripts/scale-services).
"""

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
from tusclient import client as tus_client

from tests import audio

pytestmark = pytest.mark.scale
ROOT = Path(__file__).resolve().parents[2]
DATABASE = "cm_scale"
SERVICES = {
    "DATABASE_URL": f"postgres://cm:cm@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "AWS_STORAGE_BUCKET_NAME": "custom-models-scale",
    "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:5000",
    "AWS_S3_REGION_NAME": "us-east-1",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
}
SENTENCES = [
    "the patient has atrial fibrillation",
    "the echocardiogram shows normal function",
    "we started apixaban twice daily",
    "blood pressure was controlled",
    "there is no pericardial effusion",
    "follow up in cardiology clinic",
]


def run(env, *args) -> str:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1:
        found.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, IndexError):
            break
    return found


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale")
    admin = SERVICES["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"drop database if exists {DATABASE} with (force)"], check=True)
    subprocess.run(["psql", admin, "-qc", f"create database {DATABASE}"], check=True)
    s3 = boto3.client("s3", endpoint_url=SERVICES["AWS_S3_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    if SERVICES["AWS_STORAGE_BUCKET_NAME"] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=SERVICES["AWS_STORAGE_BUCKET_NAME"])
    env = {
        **os.environ,
        **SERVICES,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(folder / "var"),
        "MODELS_DIR": str(folder / "models"),
        "TRAINED_MODELS_DIR": str(folder / "trained"),
        "DATASET_MIN_MINUTES": "0.3",
        "TRAINING_HEARTBEAT_TIMEOUT": "15",
        "Q_WORKERS": "1",
        "THROTTLE_STATUS_CHECK": "1000/min",  # this client polls twice a second
    }
    run(env, "manage.py", "migrate", "--no-input", "-v0")
    run(env, "manage.py", "collectstatic", "--no-input", "-v0")
    keys = json.loads(run(env, "manage.py", "seed_demo").strip().splitlines()[-1])
    run(env, "-c", f"from pathlib import Path; from tests.training.tiny_model import build_tiny_model; "
                   f"build_tiny_model(Path({str(folder / 'tiny')!r}))")  # fmt: skip
    run(env, "manage.py", "install_base_model", "en", "general", str(folder / "tiny"))

    port = 8765
    web = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "--config",
         "scripts/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=(folder / "web.log").open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=(folder / f"worker{n}.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        for n in range(2)
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(url), 60, "the web server")
        yield {"url": url, "key": keys["admin_api_key"], "workers": workers, "folder": folder}
    finally:
        for process in [web, *workers]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _up(url: str) -> bool:
    try:
        return requests.get(url + "/accounts/login/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


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

    # Kill the worker that trains, and its training process with it, mid-run.
    child = wait_for(
        lambda: subprocess.run(
            ["pgrep", "-f", "manage.py run_training"], capture_output=True, text=True
        ).stdout.split(),
        60,
        "a training process",
    )
    child_pid = int(child[0])
    owner = next(
        w for w in stack["workers"] if w.pid in ancestors(child_pid) or _same_group(w.pid, child_pid)
    )
    os.killpg(owner.pid, signal.SIGKILL)
    os.kill(child_pid, signal.SIGKILL)
    failed = wait_for(
        lambda: (m := api.get(base).json())["training_status"] == 5 and m, 150, "the sweeper to fail the run"
    )
    assert "stopped responding" in failed["status_message"]

    # The other worker trains it again to Success; the model then transcribes.
    assert api.post(f"{base}/run", json={}).status_code == 202
    done = wait_for(lambda: (m := api.get(base).json())["training_status"] in {4, 5} and m, 240, "training")
    log = [line["message"] for line in api.get(f"{base}/log").json()["lines"]]
    assert done["training_status"] == 4, log
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
