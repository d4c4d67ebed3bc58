"""The Lark grammar of .pol files, its LALR tables (cached) and its keywords.

Its own module so that the parser, the syntax-error classifier (compiler/syntax_errors.py)
and the printer share one grammar without importing one another (no import cycles among
compiler modules: tests/test_layers.py).
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import sys
from pathlib import Path

GRAMMAR_PATH = Path(__file__).resolve().parent.parent / "grammar" / "polc.lark"


_LARK_OPTIONS = {"parser": "lalr", "lexer": "basic", "propagate_positions": True, "maybe_placeholders": False}


@functools.cache
def lark_version() -> str:
    """Lark's version, read from its package without importing it: a check whose files all come
    from the parse cache (compiler/parse_cache.py) never loads Lark, yet the cache names carry
    its version. Importing it is the fallback (tests/test_fast_parse.py checks the two agree)."""
    import importlib.util
    try:
        spec = importlib.util.find_spec("lark")
        text = Path(spec.origin).read_text(encoding="utf-8")  # type: ignore[union-attr, arg-type]
        found = re.search(r"""^__version__(?:\s*:\s*str)?\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
        if found:
            return found.group(1)
    except (ImportError, OSError, AttributeError, TypeError, ValueError, UnicodeDecodeError):
        pass
    import lark
    return lark.__version__


@functools.cache
def _lark():
    """The parser, its LALR tables built once and kept in polc's cache directory.

    The cache entry is named by a hash of everything the tables are made from (the grammar
    text, the options, Lark's and Python's versions), so a changed grammar looks up another
    name and a stale table can never be used. It is a pickle, so it is read only from the
    user's own private cache directory (compiler/cache.py); without one, the tables are
    built on every run, as before.
    """
    from . import cache
    text = GRAMMAR_PATH.read_text(encoding="utf-8")
    return _cached_lark(text, cache)


def grammar_cache_name(text: str) -> str:
    made_from = "\0".join([text, repr(sorted(_LARK_OPTIONS.items())), lark_version(), sys.version])
    return f"grammar-{hashlib.sha256(made_from.encode('utf-8')).hexdigest()}.lark"


def _cached_lark(text: str, cache):
    from lark import Lark  # imported when a file is parsed, not by every command
    name = grammar_cache_name(text)
    data = cache.read(name)
    if data is not None:
        try:
            return Lark.load(io.BytesIO(data))
        except Exception:  # an unreadable entry (another Lark's format): rebuild and replace it
            pass
    parser = Lark(text, **_LARK_OPTIONS)
    stream = io.BytesIO()
    parser.save(stream)
    cache.write(name, stream.getvalue())
    return parser


@functools.cache
def keywords() -> frozenset[str]:
    """Every keyword of the language written in CJK characters (the ones a name can swallow).

    Kept in the cache beside the parser tables, under the same hash of the grammar: the
    printer needs the keywords to quote names, and a check whose files all come from the
    parse cache (compiler/parse_cache.py) then never loads the parser at all."""
    import json
    from . import cache
    name = grammar_cache_name(GRAMMAR_PATH.read_text(encoding="utf-8")).replace(".lark", ".keywords.json")
    data = cache.read(name)
    if data is not None:
        try:
            return frozenset(json.loads(data.decode("utf-8")))
        except (ValueError, TypeError):  # an unreadable entry: work them out again
            pass
    words = set()
    for terminal in _lark().terminals:
        pattern = terminal.pattern
        if pattern.type == "str" and re.fullmatch(r"[\u3400-\u9fff]+", pattern.value):
            words.add(pattern.value)
    cache.write(name, json.dumps(sorted(words), ensure_ascii=False).encode("utf-8"))
    return frozenset(words)


def split_keyword(name: str) -> tuple[str, str, str] | None:
    """If a name swallowed a keyword, return (before, keyword, after); prefer the longest keyword."""
    best = None
    for word in keywords():
        if word == name:
            continue
        index = name.find(word)
        if index < 0:
            continue
        # A keyword at the very start or end is the common mistake; in the middle it is
        # likely a real part of a name (e.g. 首次 in a long name), so rank those lower.
        edge = index == 0 or index + len(word) == len(name)
        key = (edge, len(word))
        if best is None or key > best[0]:
            best = (key, (name[:index], word, name[index + len(word):]))
    return best[1] if best else None
