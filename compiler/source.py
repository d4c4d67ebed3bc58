"""Source text: loading, full-width normalisation and display widths.

Drafters type full-width punctuation and digits (：，（）１２３) as often as half-width ones.
We map each full-width ASCII form to its half-width form *one character for one*, so that a
character offset in the normalised text is the same offset in the original text. The parser
sees the normalised text; diagnostics and quoted strings use the original.
"""

from __future__ import annotations

import bisect
import codecs
import errno
import functools
import io
import json
import os
import re
import stat
import unicodedata
from decimal import Decimal
from typing import IO

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
    def read(cls, path: str, encoding: str | None = None) -> "SourceFile":
        """Read (bounded) and decode a .pol file (see decode()); DecodeError names the file and encoding."""
        data = read_bounded(path, MAX_SOURCE_BYTES)
        return cls(path=path, text=decode(data, path, encoding).replace("\r\n", "\n"))

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


class Span:
    """A region of a source file. Lines and columns are 1-based; columns count characters;
    start and end are character offsets into the text, end exclusive.

    A value: equal (and hashed) by all seven, immutable (read-only properties). A span made
    by span_of_offsets keeps only its offsets and the file's line index, and works out its
    lines and columns when one is first read: parsing makes a span for nearly every node
    (115,000 for 5,000 clauses), and the lines and columns of most are never shown."""

    __slots__ = ("_path", "_start", "_end", "_starts", "_position")

    def __init__(self, path: str, line: int, column: int, end_line: int, end_column: int, start: int = 0, end: int = 0):
        self._path, self._start, self._end = path, start, end
        self._starts = None
        self._position = (line, column, end_line, end_column)

    def _where(self) -> tuple[int, int, int, int]:
        position = self._position
        if position is None:
            starts, start, end = self._starts, self._start, self._end
            line = bisect.bisect_right(starts, start)
            end_line = bisect.bisect_right(starts, end)
            position = self._position = (line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1)
        return position

    path = property(lambda self: self._path)
    start = property(lambda self: self._start)
    end = property(lambda self: self._end)
    line = property(lambda self: self._where()[0])
    column = property(lambda self: self._where()[1])
    end_line = property(lambda self: self._where()[2])
    end_column = property(lambda self: self._where()[3])

    def _values(self) -> tuple:
        return (self._path, *self._where(), self._start, self._end)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        line, column, end_line, end_column = self._where()
        return (f"Span(path={self._path!r}, line={line!r}, column={column!r}, end_line={end_line!r}, "
                f"end_column={end_column!r}, start={self._start!r}, end={self._end!r})")

    def __reduce__(self):
        # Pickled (the parse cache) as its values: every span of a file shares one line index,
        # which pickle writes once.
        if self._position is None:
            return (_span_at, (self._path, self._start, self._end, self._starts))
        return (Span, (self._path, *self._position, self._start, self._end))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


def _span_at(path: str, start: int, end: int, starts: list[int]) -> Span:
    """A span of text[start:end] whose lines and columns are read from starts (the offset
    where each line begins) when first asked for."""
    span = _new_span(Span)
    span._path, span._start, span._end, span._starts, span._position = path, start, end, starts, None
    return span


_new_span = object.__new__


def span_of_offsets(source: SourceFile, start: int, end: int) -> Span:
    """Span covering text[start:end] of a source file."""
    return _span_at(source.path, start, end, _line_starts(source.text))


@functools.lru_cache(maxsize=16)
def _line_starts(text: str) -> list[int]:
    """The offset where each line begins, so a span costs a binary search rather than a
    count from the top of the file (which made parsing quadratic in the file's length)."""
    return [0, *(match.end() for match in re.finditer("\n", text))]


# ---------------------------------------------------------------- decoding input files
# Files from Chinese offices come in several encodings: UTF-8 (with or without the BOM Excel
# writes), GBK/GB18030 (what Excel on Chinese Windows writes for "CSV"), and UTF-16 (Excel's
# "Unicode text"). Every reader of a .pol file, a facts file or a register decodes through
# the functions below, so they all read the same encodings and word their errors alike.
ENCODINGS_READ = "UTF-8（可带 BOM）、GB18030（含 GBK、GB2312）、带 BOM 的 UTF-16/UTF-32"
ENCODINGS_READ_EN = "UTF-8 (with or without BOM), GB18030 (which includes GBK and GB2312), UTF-16/UTF-32 with a BOM"

# Longest first: the UTF-32 LE BOM begins with the UTF-16 LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_SNIFF_BYTES = 1 << 16  # without a BOM, a stream that cannot be re-read is judged on this prefix
_CHUNK = 1 << 20

# Stands in for bytes that do not decode, so that a streamed register can report the row
# that holds them (with its line number) and go on. A lone surrogate never comes out of a
# strict decoder, so it cannot be mistaken for text.
UNDECODABLE = "\udcff"
_ERRORS = "polc-undecodable"
codecs.register_error(_ERRORS, lambda exc: (UNDECODABLE, exc.end))


class DecodeError(ValueError):
    """A file that cannot be decoded: names the file, the encodings tried and where it failed."""

    def __init__(self, path: str, tried: list[str], line: int | None = None, column: int | None = None,
                 bad: bytes = b""):
        self.path, self.tried, self.line, self.column = path, tried, line, column
        where = f":{line}:{column}" if line is not None else ""
        shown = bad.hex(" ")
        self.zh = (f"{path}{where}: 无法按 {'、'.join(tried)} 解码{f'（字节 {shown}）' if bad else ''}；"
                   f"可用 --encoding 指定编码（可读：{ENCODINGS_READ}）")
        self.en = (f"{path}{where}: cannot decode as {' or '.join(tried)}{f' (bytes {shown})' if bad else ''}; "
                   f"name the encoding with --encoding (read: {ENCODINGS_READ_EN})")
        super().__init__(f"{self.zh} / {self.en}")


def check_encoding(name: str) -> str:
    """The codec's canonical name; ValueError for an unknown one (a usage error)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"未知的编码 {name!r} / unknown encoding {name!r}") from None


def _bom(prefix: bytes) -> tuple[str, int] | None:
    for mark, name in _BOMS:
        if prefix.startswith(mark):
            return name, len(mark)
    return None


def _no_bom_utf16(prefix: bytes) -> str | None:
    """UTF-16 without a BOM shows as a NUL in every other byte of ASCII text."""
    sample = prefix[:4096]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    return "utf-16-le" if odd > even else "utf-16-be"


def _first_error(data: bytes, encoding: str, final: bool = True) -> UnicodeDecodeError | None:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final)
    except UnicodeDecodeError as exc:
        return exc
    return None


def _position(data: bytes, offset: int, encoding: str) -> tuple[int, int]:
    """1-based line and column of a byte offset (the column counts decoded characters)."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode(encoding, errors="replace")) + 1
    return line, column


def choose_encoding(prefix: bytes, requested: str | None = None) -> tuple[str, int, list[str]]:
    """(codec, length of a BOM to skip, encodings to try in order) for a file starting with prefix.

    A BOM decides; else a requested encoding (--encoding); else UTF-8, then GB18030.
    """
    if requested is not None:
        name = check_encoding(requested)
        found = _bom(prefix)
        skip = found[1] if found and codecs.lookup(found[0]).name.replace("-", "_").startswith(
            name.replace("-", "_")) else 0
        return name, skip, [name]
    found = _bom(prefix)
    if found is not None:
        return found[0], found[1], [found[0] + " (BOM)"]
    wide = _no_bom_utf16(prefix)
    if wide is not None:
        return wide, 0, [wide]
    return "utf-8", 0, ["utf-8", "gb18030"]


def decode(data: bytes, path: str, encoding: str | None = None) -> str:
    """The text of a whole file: BOM, else --encoding, else UTF-8, else GB18030.

    Raises DecodeError naming the file, each encoding tried and (for the first one) the line
    and column of the first byte that does not decode.
    """
    name, skip, tried = choose_encoding(data[:8], encoding)
    body = data[skip:]
    first = _first_error(body, name)
    if first is None:
        return body.decode(name)
    if encoding is None and name == "utf-8" and _first_error(body, "gb18030") is None:
        return body.decode("gb18030")
    line, column = _position(body, first.start, name)
    raise DecodeError(path, tried, line, column, body[first.start:first.start + 4])


def open_text(path: str, encoding: str | None = None, binary: IO[bytes] | None = None) -> tuple[IO[str], str]:
    """A text stream over a file (or an open binary stream such as stdin), and its encoding.

    Decoding is incremental, so a register of any size is read in constant memory. Without
    a BOM or --encoding, a file that can be re-read is checked as UTF-8 from end to end
    (chunk by chunk) and read as GB18030 if it is not UTF-8 but is GB18030 (or gets further
    as GB18030); a stream that cannot be re-read is judged on its first 64 KB. Bytes that
    still do not decode become UNDECODABLE, so the caller reports that row and goes on.
    """
    # A buffer as large as the prefix judged, so that peek() can see all of it.
    handle = binary if binary is not None else open(path, "rb", buffering=_SNIFF_BYTES)
    try:
        stream = handle
        if binary is not None and not binary.seekable():
            stream = io.BufferedReader(getattr(binary, "raw", binary), _SNIFF_BYTES)  # nothing read from it yet
        prefix = stream.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
        name, skip, _tried = choose_encoding(prefix, encoding)
        if encoding is None and name == "utf-8":
            name = _guess_utf8_or_gb18030(stream, prefix)
        if skip:
            stream.read(skip)
        return io.TextIOWrapper(stream, encoding=name, errors=_ERRORS, newline=""), name
    except BaseException:
        if binary is None:
            handle.close()
        raise


def _guess_utf8_or_gb18030(stream, prefix: bytes) -> str:
    if not stream.seekable():
        if _first_error(prefix, "utf-8", final=False) is None:
            return "utf-8"
        return "gb18030" if _first_error(prefix, "gb18030", final=False) is None else "utf-8"
    start = stream.tell()
    reached = {}
    for name in ("utf-8", "gb18030"):
        stream.seek(start)
        decoder, done = codecs.getincrementaldecoder(name)(), 0
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
                done += len(chunk)
            decoder.decode(b"", True)
        except UnicodeDecodeError as exc:
            reached[name] = done + max(exc.start, 0)
            continue
        stream.seek(start)
        return name
    stream.seek(start)
    # Neither decodes every byte: take the one that gets further; the rest are bad rows.
    return "gb18030" if reached["gb18030"] > reached["utf-8"] else "utf-8"


# ---------------------------------------------------------------- JSON with stated bounds
MAX_JSON_DEPTH = 16  # facts need 2 (an object of series or lists); deeper is not facts
MAX_NUMBER_CHARS = 64  # a JSON number or numeric text longer than this is not a fact value


class JSONLimitError(ValueError):
    """JSON that is well formed but outside the stated bounds (depth, number length)."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r'[^\[\]{}]+')


def _depth(text: str) -> int:
    # Strings go first (a bracket inside one does not nest), then all but the brackets: the
    # regular expressions do the scanning, and the loop sees only the few brackets left.
    depth = deepest = 0
    for char in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        else:
            depth -= 1
    return deepest


class _Refused:
    """A number read but refused (too long, NaN, Infinity), kept until the object holding it
    says whose value it is, so the message can name the fact."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en


def _number(kind, refused: list):
    def parse(text: str):
        if len(text) > MAX_NUMBER_CHARS:
            refused.append(_Refused(f"数字过长（{len(text)} 位，上限 {MAX_NUMBER_CHARS}）",
                                    f"a number of {len(text)} characters (at most {MAX_NUMBER_CHARS})"))
            return refused[-1]
        return kind(text)
    return parse


def _constant(refused: list):
    def parse(name: str) -> _Refused:
        refused.append(_Refused(f"{name} 不是数值（事实须为有限数）", f"{name} is not a number (facts must be finite)"))
        return refused[-1]
    return parse


def _refuse(value, key: str | None = None) -> None:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, list):
            _refuse(item, key)
        elif isinstance(item, _Refused):
            if key is None:
                raise JSONLimitError(item.zh, item.en)
            raise JSONLimitError(f"「{key}」的值：{item.zh}", f"the value of {key!r}: {item.en}")


def _object(refused: list):
    def check(pairs: dict) -> dict:
        if refused:  # only once a number was refused need an object be searched for it
            for key, value in pairs.items():
                _refuse(value, key)
        return pairs
    return check


def load_json(text: str):
    """json.loads with Decimal numbers, no NaN/Infinity, numbers of at most MAX_NUMBER_CHARS
    characters and nesting of at most MAX_JSON_DEPTH. Raises json.JSONDecodeError or
    JSONLimitError (both ValueError)."""
    # Counting brackets (in strings too) bounds the depth from above: a batch's rows, nested
    # 2 deep with a handful of series, skip the exact scan.
    if text.count("{") + text.count("[") > MAX_JSON_DEPTH and _depth(text) > MAX_JSON_DEPTH:
        raise JSONLimitError(f"嵌套超过 {MAX_JSON_DEPTH} 层", f"nested deeper than {MAX_JSON_DEPTH} levels")
    refused: list = []  # numbers refused so far: the object holding one names its fact
    value = json.loads(text, parse_float=_number(Decimal, refused), parse_int=_number(int, refused),
                       parse_constant=_constant(refused), object_hook=_object(refused))
    if refused:
        _refuse(value)  # one outside any object
    return value
