"""Local paths for stored files: tools like ffmpeg and the trainer need a file on disk."""

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePath

from django.core.files.storage import FileSystemStorage, default_storage


@contextlib.contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """The stored file as a local path: the file itself on local storage, else a temporary download."""
    if isinstance(default_storage, FileSystemStorage):
        yield Path(default_storage.path(name))
        return
    with tempfile.TemporaryDirectory(prefix="cm-") as folder:
        target = Path(folder) / f"file{PurePath(name).suffix}"
        with default_storage.open(name, "rb") as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, length=1024 * 1024)
        yield target
