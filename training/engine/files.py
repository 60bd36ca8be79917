"""Files the engine keeps beside a model (transcripts of its own clips, an anchor set's encoder
states): written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_whole(path: Path, write: Callable[[IO[bytes]], object]) -> bool:
    """`write` into a file beside `path`, then renamed over it: a reader sees the old file or the
    new one, never half of one. False, leaving nothing behind, where the folder cannot be written
    (a read-only model directory): what is kept there is only ever a saving."""
    path = Path(path)
    scratch = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f"{path.name}.", suffix=".tmp", delete=False
        ) as out:
            scratch = out.name
            write(out)
        os.replace(scratch, path)
    except OSError:
        if scratch:
            with contextlib.suppress(OSError):
                os.unlink(scratch)
        return False
    return True
