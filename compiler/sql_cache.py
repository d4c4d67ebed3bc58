"""The per-applicant SQL text of `polc eval --batch`, kept in polc's private cache.

Making the query of the six shipped policies (to_sql.applicant_clauses, then sqlglot writing
its 107 clauses as text) took about 0.9 s, and lowering the policies it is made from (after
parsing them) most of another second, every run, while the text depends only on:
- the sources: each policy and the vocabularies it imports, by path and SHA-256 of their
  text (what fast_eval checks to know a generated module is current), in the order given;
- `--on`, the years the register has columns for (`营业收入.2019` …), and whether every
  row is kept (`--all`) or only the listed ones (the query filters them itself);
- polc itself: its own source files, grammar and Python's version
  (fast_eval.compiler_fingerprint, which covers to_sql.py and sql_batch.py), and sqlglot's
  version (its generator writes the text).
An entry is named by a hash of exactly these, so an edited policy or vocabulary, another
date, a register with other years or another polc looks up another name: a stale query is
never used. When the entry is there, the policies are neither parsed nor lowered (`Models`
makes them only when the query has to be made).

Entries are written whole (temporary file, then rename: compiler/cache.py) and only in the
user's own private cache directory; without one, the query is made every run. A query the
SQL backend cannot make (to_sql.SqlUnsupported, the runtime then decides row by row) is not
kept: it is found again, with its note, every run. At most KEEP entries are kept, the least
recently used removed first, so changing `--on` every day does not grow the cache.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from . import cache
from .fast_eval import compiler_fingerprint

_PREFIX = "sql-"
KEEP = 32  # entries kept (about 0.3 MB each for the six shipped policies)


@functools.cache
def sqlglot_version() -> str:
    """sqlglot's version, read from its package without importing it (importing sqlglot and its
    DuckDB generator is a fifth of a second); importing it is the fallback."""
    import importlib.util
    try:
        spec = importlib.util.find_spec("sqlglot")
        text = (Path(spec.origin).parent / "_version.py").read_text(encoding="utf-8")  # type: ignore[union-attr, arg-type]
        found = re.search(r"""^__version__\s*=\s*(?:version\s*=\s*)?["']([^"']+)["']""", text, re.MULTILINE)
        if found:
            return found.group(1)
    except (ImportError, OSError, AttributeError, TypeError, ValueError, UnicodeDecodeError):
        pass
    import sqlglot
    return str(sqlglot.__version__)


class SourcesChanged(Exception):
    """A policy or vocabulary changed between verifying the generated modules and making the
    SQL from its text: the two would not be of the same text, so nothing is evaluated."""

    zh = "政策或词汇文件在 polc 运行时被改动；请重新运行"
    en = "a policy or vocabulary file changed while polc was running: run it again"

    def __init__(self):
        super().__init__(f"{self.zh} / {self.en}")


class Models(Sequence):
    """The lowered models of a batch's policies, made only when they are needed (the query is
    not in the cache), with what the query made from them depends on.

    sources: per policy, in order, [its path, [(path from the project root, SHA-256 of the
    text) of the policy and of each vocabulary it imports]] (driver.module_inputs, or
    fast_eval's probe, which checked them); make: () -> the models, in the same order."""

    def __init__(self, sources: list, make: Callable[[], list]):
        self.sources = sources
        self._make = make
        self._made: list | None = None
        self.made_count = 0  # how many times the models were made (tests)

    def _models(self) -> list:
        if self._made is None:
            self._made = list(self._make())
            self.made_count += 1
        return self._made

    def __len__(self) -> int:
        return len(self.sources)  # without making them: `if not models` stays cheap

    def __bool__(self) -> bool:
        return bool(self.sources)

    def __getitem__(self, index):
        return self._models()[index]

    def __iter__(self):
        return iter(self._models())

    def key(self, on, years, only_listed: bool = True) -> str:
        """The entry name of the query for these sources on `on` over a register with these
        year columns (series fact -> years), keeping only the listed rows or every row (--all:
        the query filters its rows itself, so the two are different texts)."""
        made_from = json.dumps([compiler_fingerprint(), sqlglot_version(), self.sources, on.isoformat(),
                                sorted([name, sorted(int(y) for y in ys)] for name, ys in (years or {}).items()),
                                only_listed],
                               ensure_ascii=True)
        return f"{_PREFIX}{hashlib.sha256(made_from.encode('ascii')).hexdigest()}.sql"


def cached(make_query: Callable) -> Callable:
    """For sql_batch.Engine._to_sql: the query text from the cache when these inputs made it
    before; otherwise made (the models made then) and kept. Engines whose models are a plain
    list (a caller with its own models) make the query as before."""

    @functools.wraps(make_query)
    def query(engine) -> str | None:
        models = engine.models
        if not isinstance(models, Models) or not models or os.environ.get("POLC_SQL_CLAUSES") == "python":
            return make_query(engine)
        name = models.key(engine.on, engine.loaded.years, not engine.include_all)
        data = cache.read(name)
        if data is not None:
            with contextlib.suppress(UnicodeDecodeError):
                text = data.decode("utf-8")
                _touch(name)
                return text
        text = make_query(engine)
        if text is not None:
            cache.write(name, text.encode("utf-8"))
            _prune()
        return text

    return query


def _touch(name: str) -> None:
    """Mark an entry used (its modification time), so _prune removes the least recently used."""
    base = cache.directory()
    if base is not None:
        with contextlib.suppress(OSError):
            os.utime(base / name)


def _prune() -> None:
    """Keep the KEEP most recently used entries."""
    base = cache.directory()
    if base is None:
        return
    with contextlib.suppress(OSError):
        entries = []
        for path in base.glob(f"{_PREFIX}*.sql"):
            with contextlib.suppress(OSError):
                entries.append((path.stat().st_mtime_ns, path.name, path))
        entries.sort(reverse=True)
        for _mtime, _name, path in entries[KEEP:]:
            with contextlib.suppress(OSError):
                path.unlink()
