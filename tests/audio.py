"""Generated audio for tests: espeak-ng and piper speech, ffmpeg tones and videos, a few seconds each."""

import shutil
import subprocess
from pathlib import Path

from training.anchor import piper_voice


def speech(path: Path, text: str, voice: str = "en-us", speed: int = 160) -> Path:
    """Speak `text` into a 16 kHz mono WAV."""
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True)
    raw.unlink()
    return path


def piper_speech(
    path: Path,
    text: str,
    *,
    length_scale: float = 1.0,
    noise_scale: float | None = None,
    noise_w_scale: float | None = None,
    volume: float = 1.0,
) -> Path:
    """Speak `text` in piper's neural "joe" voice into a 16 kHz mono WAV.

    `length_scale` above 1 speaks slower; the noise scales (None: the voice's own) vary delivery.
    """
    from piper import SynthesisConfig

    config = SynthesisConfig(
        length_scale=length_scale, noise_scale=noise_scale, noise_w_scale=noise_w_scale, volume=volume
    )
    chunks = list(piper_voice().synthesize(text, syn_config=config))
    raw = b"".join(chunk.audio_int16_bytes for chunk in chunks)
    rate = str(chunks[0].sample_rate)  # 22050 for joe-medium
    subprocess.run(
        ["sox", "-V1", "-G", "-t", "raw", "-r", rate, "-e", "signed", "-b", "16", "-c", "1", "-",
         "-r", "16000", "-c", "1", "-b", "16", str(path)],
        input=raw, check=True,
    )  # fmt: skip
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
