"""Text files of domain sentences: one sentence a line, UTF-8, no audio.

Pure functions over a local file, read in chunks so that a file of any size (a model may hold
200 MB of text) costs bounded memory and a single 10 MB "line" is refused without being held.
"""

from collections.abc import Iterator
from pathlib import Path

READ_SIZE = 1024 * 1024
# A UTF-8 character takes at most 4 bytes: a line longer than this in bytes is too long in characters.
BYTES_PER_CHAR = 4


class TextError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


def _lines(path: Path, max_line_chars: int) -> Iterator[tuple[int, str]]:
    """(number, text) of each line, checked: UTF-8, no NUL byte, at most `max_line_chars` characters."""
    max_bytes = max_line_chars * BYTES_PER_CHAR
    number, pending, first = 0, b"", True
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_SIZE):
            if first:
                chunk, first = chunk.removeprefix(b"\xef\xbb\xbf"), False
            pieces = (pending + chunk).split(b"\n")
            pending = pieces.pop()
            for piece in pieces:
                number += 1
                yield number, _decode(piece, number, max_line_chars)
            if len(pending) > max_bytes:  # refused before the rest of the line is read
                raise TextError(f"a line is longer than {max_line_chars:,} characters", number + 1)
    if pending:
        yield number + 1, _decode(pending, number + 1, max_line_chars)


def _decode(raw: bytes, number: int, max_line_chars: int) -> str:
    if b"\x00" in raw:
        raise TextError("the file holds binary data (a NUL byte), not text", number)
    try:
        line = raw.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise TextError("the file is not UTF-8 text", number) from None
    if len(line) > max_line_chars:
        raise TextError(f"a line is longer than {max_line_chars:,} characters", number)
    return line


def count_sentences(path: Path, *, max_line_chars: int) -> int:
    """The file's sentences (non-blank lines); raises TextError naming the first bad line."""
    return sum(1 for _, line in _lines(path, max_line_chars) if line.strip())


def sentences(path: Path, *, max_line_chars: int) -> Iterator[str]:
    """The file's sentences, whitespace collapsed, in order."""
    for _, line in _lines(path, max_line_chars):
        if text := " ".join(line.split()):
            yield text
