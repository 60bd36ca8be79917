"""Epoch checkpoints as bytes: what a family writes at each epoch end so that a run whose worker
died continues from there (see `engine.Checkpoint`; where the bytes live is the caller's).

A checkpoint is a dict of tensors, numbers, strings, lists and tuples written by `torch.save`, so
it loads with `weights_only=True`. It names its family and the data it was trained on: a
checkpoint that does not load, or that another run's data wrote, is ignored with a warning and
training starts over."""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import torch

VERSION = 1


def read(checkpoint, log: Callable[[str], None], *, expect: dict) -> dict | None:
    """The state last written, or None: none written, or one that cannot be used (warned)."""
    if checkpoint is None:
        return None
    try:
        data = checkpoint.read()
        if not data:
            return None
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # a broken checkpoint costs the epochs it held, never the run
        log(f"warning: the checkpoint cannot be read ({type(exc).__name__}: {exc}); training from the start")
        return None
    wanted = {"version": VERSION, **expect}
    if not isinstance(state, dict) or any(state.get(key) != value for key, value in wanted.items()):
        found = {key: state.get(key) for key in wanted} if isinstance(state, dict) else type(state).__name__
        log(
            f"warning: the checkpoint is not this run's (expected {wanted}, found {found}); "
            "training from the start"
        )
        return None
    return state


def write(checkpoint, state: dict, log: Callable[[str], None], *, expect: dict) -> None:
    """Store `state` (with what `read` checks); a failing store is warned about, not raised:
    the run itself is worth more than being able to resume it."""
    buffer = io.BytesIO()
    torch.save({**state, "version": VERSION, **expect}, buffer)
    try:
        checkpoint.write(buffer.getvalue())
    except Exception as exc:
        log(f"warning: the checkpoint after epoch {state.get('epoch')} could not be stored: {exc}")


def random_states() -> dict:
    """Every random generator training draws from besides its loaders' own."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(),
    }


def set_random_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    random.setstate(states["python"])
