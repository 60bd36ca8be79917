"""Audio input: ffmpeg decoding to 16 kHz mono float32, streamed, and cutting
into chunks (<= max_chunk_s) at low-energy points.

Only numpy and the ``ffmpeg`` binary are needed (no torch); subprocesses always
get an argument list, never a shell.  Memory stays bounded by roughly one chunk
plus one read block whatever the input length.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
_BYTES_PER_SAMPLE = 4  # f32le


class AudioDecodeError(RuntimeError):
    """ffmpeg could not decode the input file."""


def ffmpeg_command(path: str | Path, sample_rate: int = SAMPLE_RATE) -> list[str]:
    return [
        "ffmpeg",
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-i",
        str(path),
        "-vn",
        "-ac",
        "1",
        "-ar",
        str(sample_rate),
        "-f",
        "f32le",
        "-acodec",
        "pcm_f32le",
        "pipe:1",
    ]


def stream_pcm(
    path: str | Path, block_s: float = 5.0, sample_rate: int = SAMPLE_RATE
) -> Iterator[np.ndarray]:
    """Yield float32 mono blocks of about ``block_s`` seconds decoded by ffmpeg."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(str(path))
    block_bytes = int(block_s * sample_rate) * _BYTES_PER_SAMPLE
    proc = subprocess.Popen(
        ffmpeg_command(path, sample_rate),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    leftover = b""
    try:
        assert proc.stdout is not None
        while True:
            data = proc.stdout.read(block_bytes)
            if not data:
                break
            data = leftover + data
            usable = len(data) - len(data) % _BYTES_PER_SAMPLE
            leftover = data[usable:]
            if usable:
                yield np.frombuffer(data[:usable], dtype="<f4").copy()
    finally:
        if proc.stdout:
            proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        rc = proc.wait()
    if rc != 0:
        raise AudioDecodeError(f"ffmpeg failed on {path.name}: {err.strip()[-500:]}")


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Whole file as float32 mono (use for short clips only)."""
    blocks = list(stream_pcm(path, sample_rate=sample_rate))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)


@dataclass
class Chunk:
    offset: float  # seconds from the start of the file
    samples: np.ndarray  # float32 mono at SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def _quietest_cut(buf: np.ndarray, lo: int, hi: int, win: int) -> int:
    """Index in [lo, hi) at the centre of the lowest-energy window of ``win`` samples."""
    seg = buf[lo:hi].astype(np.float64)
    if len(seg) <= win:
        return hi
    hop = max(1, win // 4)
    n = (len(seg) - win) // hop + 1
    csum = np.concatenate([[0.0], np.cumsum(seg * seg)])
    starts = np.arange(n) * hop
    energy = csum[starts + win] - csum[starts]
    best = int(np.argmin(energy))
    return lo + int(starts[best]) + win // 2


def chunk_stream(
    blocks: Iterator[np.ndarray],
    max_chunk_s: float = 30.0,
    min_chunk_s: float = 15.0,
    sample_rate: int = SAMPLE_RATE,
    search_win_s: float = 0.2,
) -> Iterator[Chunk]:
    """Cut a stream of blocks into chunks of at most ``max_chunk_s`` seconds,
    cutting at the quietest ``search_win_s`` window between ``min_chunk_s`` and
    ``max_chunk_s``."""
    max_n = int(max_chunk_s * sample_rate)
    min_n = int(min_chunk_s * sample_rate)
    win = int(search_win_s * sample_rate)
    pending: list[np.ndarray] = []
    pending_n = 0
    offset = 0
    for block in blocks:
        pending.append(block)
        pending_n += len(block)
        while pending_n > max_n:
            buf = np.concatenate(pending)
            cut = _quietest_cut(buf, min_n, max_n, win)
            yield Chunk(offset / sample_rate, buf[:cut])
            offset += cut
            rest = buf[cut:]
            pending, pending_n = [rest], len(rest)
    if pending_n:
        buf = np.concatenate(pending)
        if len(buf) > int(0.05 * sample_rate) or offset == 0:
            yield Chunk(offset / sample_rate, buf)


def iter_chunks(path: str | Path, max_chunk_s: float = 30.0, min_chunk_s: float = 15.0) -> Iterator[Chunk]:
    """ffmpeg-decode ``path`` and yield bounded chunks cut at low-energy points."""
    return chunk_stream(stream_pcm(path), max_chunk_s=max_chunk_s, min_chunk_s=min_chunk_s)
