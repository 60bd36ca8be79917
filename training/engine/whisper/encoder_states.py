"""Where a frozen encoder's states live: a run's windows in a memory-mapped file of its own, and
the anchor set's, with the base's greedy transcripts of it, kept beside the set's recordings for
every later run on the same base."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch

# Bumped when the greedy decoding that wrote kept transcripts changes what it writes.
DECODING_VERSION = 1


class EncoderStates:
    """Encoder states of the windows by index, in a memory-mapped float16 file in the run's work
    directory (made when the first state arrives, so its shape is the model's)."""

    def __init__(self, path: Path, count: int) -> None:
        self.path, self.count = Path(path), count
        self.array = None
        self.stored: set[int] = set()

    def __contains__(self, index: int) -> bool:
        return index in self.stored

    def __setitem__(self, index: int, state: torch.Tensor) -> None:
        if self.array is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.array = np.lib.format.open_memmap(
                self.path, mode="w+", dtype=np.float16, shape=(self.count, *state.shape)
            )
        self.array[index] = state.detach().to("cpu", torch.float16).numpy()
        self.stored.add(index)

    def __getitem__(self, index: int) -> torch.Tensor:
        return torch.from_numpy(self.array[index].copy())


class KeptAnchor:
    """The anchor set as the base hears it (encoder states, float16, and the base's greedy
    transcripts), in the anchor set's folder. Every run measures its base on the same everyday
    sentences with the same frozen encoder: kept, a later run neither encodes them again nor
    decodes them with the base (about 7 s of a 12-minute run on tiny.en, more on larger bases).

    The key covers the base's weights and the recordings (name, size, modification time) and the
    texts, so a rebuilt set or a reinstalled base is heard again."""

    def __init__(self, rows: list[dict], pytorch_dir: Path, language: str) -> None:
        folder = Path(rows[0]["wav"]).parent
        self.states_path = folder / "encoder-states.npy"
        self.transcripts_path = folder / "encoder-states.json"
        weights = sorted(p for p in Path(pytorch_dir).iterdir() if p.suffix in {".safetensors", ".bin"})
        stamp = [
            DECODING_VERSION,
            language,
            [_stamp(path) for path in weights],
            [(_stamp(Path(row["wav"])), row["text"]) for row in rows],
        ]
        self.key = hashlib.sha256(json.dumps(stamp).encode()).hexdigest()

    def recall(self) -> tuple[np.ndarray, list[str]] | None:
        """The kept states and transcripts, or None when nothing (or something stale) is kept."""
        try:
            kept = json.loads(self.transcripts_path.read_text())
            if kept.get("key") != self.key:
                return None
            states = np.load(self.states_path, mmap_mode="r")
        except (OSError, ValueError):
            return None
        if len(states) != len(kept["transcripts"]):
            return None
        return states, kept["transcripts"]

    def keep(self, states: np.ndarray, transcripts: list[str]) -> None:
        """States first, so a key never names states it lacks. A folder that cannot be written (a
        read-only base) keeps nothing: the next run hears the set again."""
        from ..files import write_whole

        if write_whole(self.states_path, lambda out: np.save(out, np.asarray(states, dtype=np.float16))):
            text = json.dumps({"key": self.key, "transcripts": transcripts})
            write_whole(self.transcripts_path, lambda out: out.write(text.encode()))


def _stamp(path: Path) -> list:
    status = path.stat()
    return [path.name, status.st_size, status.st_mtime_ns]
