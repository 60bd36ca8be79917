"""Generated audio for tests: espeak-ng speech and ffmpeg tones and videos, a few seconds each."""

import shutil
import subprocess
from pathlib import Path


def speech(path: Path, text: str, voice: str = "en-us", speed: int = 160) -> Path:
    """Speak `text` into a 16 kHz mono WAV."""
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True)
    raw.unlink()
    return path


def tone(path: Path, seconds: float, rate: int = 16000) -> Path:
    _ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}:sample_rate={rate}", str(path))
    return path


def video(path: Path, seconds: float = 2.0) -> Path:
    """A small video with a stereo 44.1 kHz audio track."""
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=160x120:rate=10",
        "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}:sample_rate=44100",
        "-ac", "2", "-shortest", str(path),
    )  # fmt: skip
    return path


def copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)
