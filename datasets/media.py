"""The one place that runs ffmpeg and ffprobe (through ffmpeg-python).

Paths handed to the tools are absolute paths the server generated, passed as
argument lists: no user-chosen name reaches a shell or looks like an option.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import ffmpeg
import numpy as np

from config.errors import ApplicationError

AUDIO_EXTENSIONS = {".wav", ".mp3", ".m4a", ".flac"}
VIDEO_EXTENSIONS = {".mp4", ".mov", ".mkv", ".webm", ".avi"}
TRANSCRIPT_EXTENSIONS = {".vtt", ".srt", ".txt"}
MANIFEST_EXTENSIONS = {".jsonl"}
SAMPLE_RATE = 16000
# Samples a second decoded to measure a duration: one byte per millisecond.
DURATION_RATE = 1000


class MediaError(Exception):
    """The file is not usable media; the message says why, for the user."""


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


def require_ffmpeg() -> None:
    if not ffmpeg_available():
        raise ApplicationError(
            "ffmpeg is not installed on the server, so audio and video cannot be processed.",
            error_code="ffmpeg_unavailable",
            status=503,
        )


def _absolute(path: Path | str) -> str:
    return str(Path(path).resolve())


def probe_duration(path: Path | str) -> float:
    """Seconds of audio in the file, counted in decoded samples; MediaError if it has none.

    Never the duration a header declares: a FLAC's STREAMINFO sample count or an MP3's Xing
    frame count are whatever the file says (a forged 14 kB FLAC claimed 1,193 hours). ffmpeg
    decodes the whole first audio stream to 1,000 one-byte samples a second, so the byte
    count is the duration in milliseconds; decoding runs at about 1,000 times real time.
    """
    require_ffmpeg()
    if Path(path).stat().st_size == 0:
        raise MediaError("the file is empty")
    try:
        info = ffmpeg.probe(_absolute(path))
    except ffmpeg.Error as exc:
        raise MediaError(_tool_message(exc)) from exc
    if not any(s.get("codec_type") == "audio" for s in info.get("streams", [])):
        raise MediaError("no audio stream found")
    process = (
        ffmpeg.input(_absolute(path))
        .output("pipe:", map="0:a:0", ac=1, ar=DURATION_RATE, format="u8", acodec="pcm_u8")
        .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
        .run_async(pipe_stdout=True, pipe_stderr=True)
    )
    samples = 0
    try:
        while data := process.stdout.read(1 << 16):
            samples += len(data)
    finally:
        process.stdout.close()
        error = process.stderr.read()
        process.stderr.close()
        code = process.wait()
    if code != 0:
        raise MediaError(_tool_message(error))
    if samples == 0:
        raise MediaError("the audio has no duration")
    return samples / DURATION_RATE


def convert_to_m4a(source: Path | str, target: Path | str) -> None:
    """Extract the audio track as mono 16 kHz AAC (the video itself is not kept)."""
    require_ffmpeg()
    try:
        (
            ffmpeg.input(_absolute(source))
            .output(_absolute(target), vn=None, ac=1, ar=SAMPLE_RATE, acodec="aac", audio_bitrate="64k")
            .global_args("-nostdin", "-loglevel", "error")
            .overwrite_output()
            .run(capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as exc:
        Path(target).unlink(missing_ok=True)
        raise MediaError(_tool_message(exc)) from exc


def audio_stream_info(path: Path | str) -> dict:
    """Codec, sample rate and channels of the first audio stream."""
    require_ffmpeg()
    info = ffmpeg.probe(_absolute(path))
    stream = next(s for s in info["streams"] if s.get("codec_type") == "audio")
    return {
        "codec": stream.get("codec_name"),
        "sample_rate": int(stream.get("sample_rate", 0)),
        "channels": int(stream.get("channels", 0)),
    }


def _tool_message(failure: "ffmpeg.Error | bytes") -> str:
    output = failure if isinstance(failure, bytes) else failure.stderr
    stderr = (output or b"").decode("utf-8", "replace").strip().splitlines()
    # The last line is ffmpeg's own summary ("Invalid data found when processing input").
    detail = stderr[-1] if stderr else "unreadable media"
    if ": " in detail and detail.startswith("/"):
        detail = detail.split(": ", 1)[1]  # drop the server-side path
    return f"not a readable audio or video file ({detail})"


def to_wav(source: Path | str, target: Path | str) -> None:
    """Decode any supported media to 16 kHz mono 16-bit WAV (for training and alignment)."""
    require_ffmpeg()
    try:
        (
            ffmpeg.input(_absolute(source))
            .output(_absolute(target), vn=None, ac=1, ar=SAMPLE_RATE, acodec="pcm_s16le")
            .global_args("-nostdin", "-loglevel", "error")
            .overwrite_output()
            .run(capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as exc:
        Path(target).unlink(missing_ok=True)
        raise MediaError(_tool_message(exc)) from exc


def stream_pcm(
    path: Path | str, block_s: float = 5.0, sample_rate: int = SAMPLE_RATE
) -> Iterator[np.ndarray]:
    """Decode any supported media to float32 mono blocks of about `block_s` seconds, streamed:
    memory stays at one block whatever the length of the file (the engine transcribes hours so)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(str(path))
    require_ffmpeg()
    block_bytes = int(block_s * sample_rate) * 4
    process = (
        ffmpeg.input(_absolute(path))
        .output("pipe:", vn=None, ac=1, ar=sample_rate, format="f32le", acodec="pcm_f32le")
        .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
        .run_async(pipe_stdout=True, pipe_stderr=True)
    )
    leftover = b""
    try:
        while data := process.stdout.read(block_bytes):
            data = leftover + data
            usable = len(data) - len(data) % 4
            leftover = data[usable:]
            if usable:
                yield np.frombuffer(data[:usable], dtype="<f4").copy()
    finally:
        process.stdout.close()
        error = process.stderr.read().decode("utf-8", "replace")
        process.stderr.close()
        code = process.wait()
    if code != 0:
        raise MediaError(f"ffmpeg could not decode {path.name}: {error.strip()[-500:]}")
