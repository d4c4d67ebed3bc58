"""Source text: loading, full-width normalisation and display widths.

Drafters type full-width punctuation and digits (：，（）１２３) as often as half-width ones.
We map each full-width ASCII form to its half-width form *one character for one*, so that a
character offset in the normalised text is the same offset in the original text. The parser
sees the normalised text; diagnostics and quoted strings use the original.
"""

from __future__ import annotations

import bisect
import errno
import functools
import os
import stat
import unicodedata

import attrs

# A .pol file larger than this is refused before it is read: the largest shipped policy is
# about 60 KB, so 1 MB leaves room for any real policy and keeps a hostile file bounded.
MAX_SOURCE_BYTES = 1_000_000

# U+FF01..U+FF5E are the full-width forms of ASCII 0x21..0x7E; U+3000 is the ideographic space.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
# The brackets of a document number 〔〕 are kept; 「」 quote names; 、 separates list items.


def normalise(text: str) -> str:
    """Map full-width ASCII forms to half-width, keeping every character offset."""
    normalised = text.translate(_FULLWIDTH)
    assert len(normalised) == len(text)
    return normalised


def display_width(text: str) -> int:
    """Terminal columns taken by text: East Asian Wide and Full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


@attrs.frozen
class SourceFile:
    """One .pol file as read from disk (original text, before normalisation)."""

    path: str
    text: str

    @classmethod
    def read(cls, path: str) -> "SourceFile":
        text = read_bounded(path, MAX_SOURCE_BYTES).decode("utf-8-sig")
        return cls(path=path, text=text.replace("\r\n", "\n"))

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def line(self, number: int) -> str:
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else ""


def read_bounded(path: str, limit: int) -> bytes:
    """The bytes of a regular file of at most limit bytes; OSError otherwise.

    Opened non-blocking so a FIFO named *.pol cannot hang us, and checked with fstat on the
    open descriptor (not the name), so /dev/zero, a directory or a FIFO is refused unread.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", path)
        return b"".join(chunks)
    finally:
        os.close(fd)


@attrs.frozen
class Span:
    """A region of a source file. Lines and columns are 1-based; columns count characters."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0  # character offsets into the text, end exclusive
    end: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@functools.lru_cache(maxsize=8)
def _line_starts(text: str) -> list[int]:
    """Offsets at which each line starts. Kept per text, so that a span costs a binary search
    rather than a count from the start of the file (quadratic on a large file)."""
    return [0] + [index + 1 for index, ch in enumerate(text) if ch == "\n"]


def span_of_offsets(source: SourceFile, start: int, end: int) -> Span:
    """Span covering text[start:end] of a source file."""
    starts = _line_starts(source.text)
    line = bisect.bisect_right(starts, start)
    end_line = bisect.bisect_right(starts, end)
    column = start - starts[line - 1] + 1
    end_column = end - starts[end_line - 1] + 1
    return Span(source.path, line, column, end_line, end_column, start, end)
