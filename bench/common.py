"""Shared pieces of the benchmarks: a scratch environment and a production server in it."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def scratch_env(folder: Path, **extra: str) -> dict:
    """Environment for processes that share one scratch database and media folder."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"VAR_DIR": str(folder), "DJANGO_SETTINGS_MODULE": "config.settings", **extra})
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def prepare(env: dict) -> dict:
    """Migrate and seed; returns the demo API keys."""
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "createcachetable")
    return json.loads(manage(env, "seed_demo").strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the project's production config, as `make run` starts it."""

    def __init__(self, env: dict, workers: int = 2, settings: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(env, WEB_WORKERS=str(workers))
        if settings:
            env["DJANGO_SETTINGS_MODULE"] = settings
        command = [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi:application"]
        command += ["--config", "scripts/gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--access-logfile", "/dev/null"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def __enter__(self) -> "Server":
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/accounts/login/", timeout=10)
                return self
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Worker:
    """A `manage.py qcluster` in the scratch environment."""

    def __init__(self, env: dict) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def scratch_folder(prefix: str) -> tempfile.TemporaryDirectory:
    (ROOT / "var").mkdir(exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=ROOT / "var")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def demo_database_in_process(keep: Path | None, prefix: str) -> Path:
    """A scratch folder (kept where `keep` says) whose database this process uses, migrated and
    seeded with the demo organisations: the product's own path, run in process."""
    import os

    scratch = Path(keep or tempfile.mkdtemp(prefix=prefix))
    scratch.mkdir(parents=True, exist_ok=True)
    os.environ.update({"VAR_DIR": str(scratch / "var"), "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("DATABASE_URL", None)  # the training child must see this scratch database too

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    return scratch


def cue_clips(folder: Path, name: str) -> list[dict]:
    """The VTT cues of the recording `folder`/`name`.wav cut into clips under `folder`/cues:
    [{"wav", "text", "duration", "source"}], as the product prepares cue-timed recordings."""
    import soundfile as sf

    from datasets.transcripts import parse_transcript

    wav = folder / f"{name}.wav"
    vtt = wav.with_suffix(".vtt")
    samples, rate = sf.read(str(wav), dtype="int16")
    (folder / "cues").mkdir(exist_ok=True)
    clips = []
    for n, cue in enumerate(parse_transcript(vtt.name, vtt.read_bytes())):
        clip = folder / "cues" / f"{name}-{n:03d}.wav"
        sf.write(str(clip), samples[int(cue.start * rate) : int(cue.end * rate)], rate, subtype="PCM_16")
        clips.append({"wav": str(clip), "text": cue.text, "duration": cue.end - cue.start, "source": name})
    return clips


def machine() -> str:
    """Which machine measured: cores, architecture and GPU (named in every bench's JSON)."""
    import os
    import platform

    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    except ImportError:
        gpu = "no GPU"
    return f"{os.cpu_count()}-core CPU ({platform.machine()}), {gpu}"


def ingest_recordings(model, folder: Path, summary: dict) -> None:
    """Every recording of a built set (its .wav and .vtt) into the model's data, in its split,
    through the product's ingest."""
    from datasets.services import dataset_file_ingest, staging_path

    for split in ("train", "test"):
        for recording in summary[split]:
            for suffix in (".wav", ".vtt"):
                staged = staging_path()
                staged.write_bytes((folder / recording["name"]).with_suffix(suffix).read_bytes())
                dataset_file_ingest(
                    model=model, source=staged, filename=recording["name"] + suffix, split=split
                )


def train_in_process(model):
    """Start a run as `POST /run` does and run the queue task's body (its trainer child included)
    in this process; returns the model and the run as they ended, and the wall seconds between."""
    from custom_models.models import CustomModel
    from training import tasks
    from training.models import TrainingRun
    from training.services import training_run_start

    started = time.perf_counter()
    run = training_run_start(model=model)
    tasks.run_training(run.pk)
    wall = time.perf_counter() - started
    return CustomModel.objects.get(pk=model.pk), TrainingRun.objects.get(pk=run.pk), wall


def reduction(before: float, after: float) -> float:
    """How much smaller `after` is than `before`, in percent of `before`."""
    return round(100 * (before - after) / before, 1) if before else 0.0
