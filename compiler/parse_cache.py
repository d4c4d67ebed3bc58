"""Parsed files kept in polc's private cache, so a file that has not changed is not parsed again.

Parsing was most of what `polc check` did on unchanged drafts (0.3 s of 0.5 s for the six
shipped policies; loading a kept AST takes a tenth of that). An entry is the pickled AST of
one file that parsed without errors, named by a hash of its path and of everything the AST
is made from: its text, polc's own source files and grammar, Python's version
(fast_eval.compiler_fingerprint), and Lark's version. A changed file or a changed polc
looks up another name, so a stale AST is never used; a file with syntax errors is never
kept (its diagnostics are worked out again, as before).

Entries are pickles, so they are read only from the user's own private cache directory
(compiler/cache.py); without one, every file is parsed. Each file keeps one entry: writing
a new one for a path removes that path's older entries, so editing a draft does not grow
the cache. Only files read from disk are kept, never an editor's unsaved buffers.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle

from . import cache
from .fast_eval import compiler_fingerprint
from .grammar_tables import lark_version
from .source import SourceFile

_PREFIX = "ast-"


def _names(source: SourceFile) -> tuple[str, str]:
    """(the prefix shared by every entry of this path, this entry's name)."""
    by_path = hashlib.sha256(source.path.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    made_from = hashlib.sha256(compiler_fingerprint().encode("ascii"))
    made_from.update(f"\0lark {lark_version()}".encode("ascii"))
    made_from.update(b"\0" + source.path.encode("utf-8", "surrogatepass") + b"\0")
    made_from.update(source.text.encode("utf-8", "surrogatepass"))
    prefix = f"{_PREFIX}{by_path}-"
    return prefix, f"{prefix}{made_from.hexdigest()}.pickle"


def parse(source: SourceFile):
    """parser.parse, imported only when a file is parsed: a check whose files all come from
    the cache does not load the parser, nor Lark with it."""
    from .parser import parse as parse_source
    return parse_source(source)


def parse_kept(source: SourceFile):
    """parser.parse(source), from the cache when this exact file was parsed before."""
    base = cache.directory()
    if base is None:
        return parse(source)
    prefix, name = _names(source)
    data = cache.read(name)
    if data is not None:
        try:
            return pickle.loads(data), []
        except Exception:  # noqa: BLE001 - an unreadable entry only costs a parse
            pass
    tree, problems = parse(source)
    if tree is not None and not problems:
        try:
            data = pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - an AST that does not pickle is simply not kept
            return tree, problems
        with contextlib.suppress(OSError):
            for older in base.glob(f"{prefix}*.pickle"):
                if older.name != name:
                    older.unlink()
        cache.write(name, data)
    return tree, problems
