"""The scale profile's running stack, shared by its tests (started once per session)."""

import contextlib
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


@pytest.fixture(scope="session")
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
        # Two epochs: the killed-worker test kills the trainer after the first one's checkpoint.
        "TRAINING_EPOCHS": "2",
        # The starter hears the anchor set's piper voice at ~87 % WER: after one epoch its change
        # is noise, not forgetting. This profile tests the plumbing; the gate has tests of its own.
        "TRAINING_MAX_REGRESSION": "100",
        "TRAINING_HEARTBEAT_TIMEOUT": "15",
        "Q_WORKERS": "1",
        "THROTTLE_STATUS_CHECK": "1000/min",  # this client polls twice a second
        "THROTTLE_DATA_UPLOAD": "1000/hour",  # the load tests upload more than 50 files
    }
    subprocess.run(["redis-cli", "-p", "6379", "flushdb"], check=True, capture_output=True)  # a fresh cache
    run(env, "manage.py", "migrate", "--no-input", "-v0")
    run(env, "manage.py", "collectstatic", "--no-input", "-v0")
    keys = json.loads(run(env, "manage.py", "seed_demo").strip().splitlines()[-1])
    # The starter (espeak-trained, small) as English's base: the run must beat chance to succeed.
    run(env, "manage.py", "install_base_model", "en", "general", str(ROOT / "models" / "en-us-general"))

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
