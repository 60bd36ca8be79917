"""Audio input for the engine: 16 kHz mono float32 streamed from ffmpeg (through
`datasets.media.stream_pcm`, the one home of ffmpeg), cut into chunks
(<= max_chunk_s) at low-energy points.

Only numpy is needed here (no torch). Memory stays bounded by roughly one chunk
plus one read block whatever the input length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from datasets.media import MediaError, stream_pcm

SAMPLE_RATE = 16000


# The decoding itself lives with the project's other ffmpeg calls (datasets/media.py).
AudioDecodeError = MediaError


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
