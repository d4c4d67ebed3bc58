"""A register loaded into DuckDB as the typed view of CONTRACTS.md §4, for the SQL batch engine.

Sources: CSV (any encoding polc reads), JSON Lines, Parquet, or a table of a DuckDB database
file written `FILE.duckdb:TABLE` (also `.db`). The view `register` has `_line` (the physical
line a row starts on; for Parquet and a table the row number from 1), `申请人`, and one
typed column per declared fact: a yearly series as `名.2019`, `名.2020` … (the years whose
columns the register has), a 逐项 fact as a list. Money, numbers and percentages are
DECIMAL(38,6) (a percentage as the fraction), yes/no BOOLEAN, dates DATE, years INTEGER,
enumerations and 标识 VARCHAR; a missing value is NULL.

Cells are validated in two steps, so that the result is exactly runtime.validate_facts':
SQL accepts the common forms of each type (`300000`, `25亿元`, `12.5%`, `是`, `2019`,
`2020-06-30`, an enumeration label) with patterns that only ever accept what the runtime
accepts, with the same value; a row holding any other cell (grouped digits, `+5`, `1e3`,
a misspelt label, a value out of range…) is handed to the runtime itself, which either types
it (and the row is updated) or says why it is bad, in the words the Python engine uses.
Bad rows are rare, so this costs nothing on a clean register and keeps one definition of a
valid fact.

A CSV that DuckDB can read as it is (UTF-8, no quotes, one record per line, no blank lines,
no line over the limit) is read by DuckDB directly; any other (GBK, UTF-16, quoted fields,
ragged rows…) is read by polc's own streaming CSV reader (the Python engine's, so bad rows
are the same) and staged as UTF-8 JSON lines for DuckDB. JSON Lines registers are read and
validated by the runtime row by row, then staged the same way.

Tables: `reg_cells` holds a row per register line, made by one CREATE TABLE … AS on every
core, in the database Loaded.database names: up to IN_MEMORY_BYTES the in-memory database
MEMORY_DATABASE, beyond it the batch's database file; either way an attached database, so
that every cursor of the connection reads the register (a TEMP table is its own connection's
only). The view `reg` over it adds `_line` (on the direct CSV path rowid plus the header's
line: no stored column, no window); `reg_fixed` holds the rows the runtime typed; the view
`register_rows` is the good rows of both. It is loaded on every core DuckDB has (see
_ordered_insert_room on why it is not one thread, and why one was not kept for small files).

On the direct CSV path a row's cells are checked by plain_checks: one pattern for the row
over its numbers, amounts, years, identifiers and 逐项 amounts (list_pattern), an IN for each
yes/no and enumeration cell. Where the CPU of loading 100,000 rows of the bench register goes
(round 19, one thread, the CREATE alone about 2.6 s): DuckDB splitting 218 columns about
0.9 s, joining the pattern's cells (`concat`) about 0.45 s and matching them about 0.1 s,
typing the 187 columns kept about 0.4 s, storing them about 0.45 s; checking the file's bytes
in Python before (_plain_utf8) about 0.15 s.

Round 20, the same register, the CREATE alone run by hand on two threads as the loader runs it
(a shared machine, load average 2.5-4.7; compare within a line only): 2.7-2.95 s CPU. DuckDB's
read of the 218 columns 0.95 s, of which 0.35 s is finding the fields (count(*) over the same
read) and the rest making each cell's string; the row check 0.7 s (concat 0.15 s, the match
0.07 s, the 132 IN checks of yes/no and enumeration cells about 0.25 s); typing and storing the
187 columns kept about 1.2 s (36 money columns 0.45 s, 92 yes/no 0.3 s, 33 enumerations 0.25 s,
15 numbers 0.1-0.15 s, 11 years 0.1 s). On one thread the statement took 2.43-2.66 s against
2.82-2.95 s on two: DuckDB's order-keeping insert copies every batch of its CSV read (each under
a row group, 122,880 rows) once more, and so does an insert that keeps no order
(preserve_insertion_order false: 2.75-2.82 s). Planning it costs about 0.06 s whatever the size
(0.028 s of it parsing its 60 KB of text): most of `_create` at 1,000 rows.
Measured and not taken in round 20:
- The two halves of the file at once, each on one DuckDB thread into a table of its own (the
  second half's lines copied into the work directory by copy_file_range; `reg` the UNION ALL of
  the two), which avoids that copy: load_bench 2.96-3.31 s against 3.15-3.38 s CPU (four runs
  each, alternated), but the whole command gained nothing measurable (batch_stages 10.94 and
  12.18 s against 10.39 and 10.82 s CPU): the per-applicant query read the two tables on two
  threads (1.73-1.80 s against 1.64-1.71 s CPU), each statement is planned (0.06 s), and every
  later stage would read a register of another layout.
- Enumerations stored as ENUM but still checked by their IN (cast back to VARCHAR in
  register_rows): 0-0.1 s in load_bench, within the noise. Taken instead: ValueChecked, where
  the ENUM is also the check.
- The register in a database file with force_compression 'uncompressed' and no checkpoint
  (row groups of 8,192 rows, so no copy): 3.55-3.77 s for the CREATE.
- read_csv with a 128 MB buffer, strict_mode off, or no quote character: the read unchanged.
- `coalesce(t IN (…), true)` as the IN check: slower than the OR form (0.197 against 0.126 s
  for 4 million yes/no cells, one thread).
- Money read through BIGINT rather than DECIMAL(38,6): 0.128 against 0.151 s for 3.6 million
  cells, one thread; too little for another branch in every money value.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime
import functools
import json
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Callable

from . import batch, runtime, source as sources

IDENTIFIER = batch.IDENTIFIER
# Every character Python's str.strip() removes, so a cell is trimmed as batch._from_csv does.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
              "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
SCALE = 6  # DECIMAL(38,6): a value with more decimal places is refused, never rounded
SQL_TYPES = {"money": "DECIMAL(38,6)", "number": "DECIMAL(38,6)", "percent": "DECIMAL(38,6)", "bool": "BOOLEAN",
             "date": "DATE", "year": "INTEGER", "enum": "VARCHAR", "text": "VARCHAR"}
_UNIT_FACTORS = (("万亿元", 10 ** 12), ("亿元", 10 ** 8), ("万元", 10 ** 4), ("元", 1))
_JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
_TABLE_SOURCE = re.compile(r"^(?P<file>.+\.(?:duckdb|db)):(?P<table>[^:/\\]+)$")
# Two line feeds in a row (a blank line) found by re: a third of the CPU of `b"\n\n" in chunk`
# (Python's substring search for this needle), 0.7 s of a 1.25 GB register read before DuckDB starts.
_BLANK_LINE = re.compile(rb"\n\n")
# A CSV or JSON Lines register up to this size is loaded into a table held in memory (not
# compressed into the database file: a fifth of the cost of loading); a larger one (a million
# rows of the bench register is 1.25 GB, which would not fit in POLC_DUCKDB_MEMORY and spill
# uncompressed) into a table of the database file, as before.
IN_MEMORY_BYTES = 512 << 20
# The database that holds a register of up to IN_MEMORY_BYTES: attached in memory, without
# COMPRESS, so its tables are kept as a TEMP table's are (uncompressed: with COMPRESS, loading
# 100,000 rows cost 0.9 s more CPU), and unlike a TEMP table every cursor of the connection
# reads them (a query can run on several cursors at once).
MEMORY_DATABASE = "polc_memory"
DEFAULT_MEMORY = "1280MB"  # the bound is 2 GB for the whole process (Python and DuckDB's own)


def memory_limit() -> str:
    """DuckDB's memory limit for a batch: POLC_DUCKDB_MEMORY, or DEFAULT_MEMORY."""
    return os.environ.get("POLC_DUCKDB_MEMORY", DEFAULT_MEMORY)


# While the register's table is created, DuckDB's memory limit is this many times
# POLC_DUCKDB_MEMORY, so that its order-keeping insert runs on every core
# (Loader._ordered_insert_room): for a register held in memory, and for one loaded into the
# database file (FILE_INSERT_ROOM = 1 keeps the limit for that one, as before round 17).
INSERT_ROOM = 4
FILE_INSERT_ROOM = 16
STAGED_LIST_SEPARATOR = "\x01"  # items of a 逐项 fact staged from JSON (never in a valid item)


def ident(name: str) -> str:
    """A quoted SQL identifier, never pasted: the quote doubled, as sqlglot writes it for
    DuckDB (tests/test_batch_fixed_costs.py compares the two). Written here so that a batch whose
    query comes from polc's cache does not import sqlglot (a fifth of a second)."""
    return '"' + name.replace('"', '""') + '"'


@functools.lru_cache(maxsize=4096)  # the same few literals recur once per column
def literal(text: str) -> str:
    """A SQL string literal, never pasted: the quote doubled, as sqlglot writes it for DuckDB
    (tests/test_batch_fixed_costs.py compares the two; DuckDB reads no backslash escapes in '…')."""
    return "'" + text.replace("'", "''") + "'"


def table_source(path: str) -> tuple[str, str] | None:
    """(database file, table) for a register written FILE.duckdb:TABLE, else None."""
    match = _TABLE_SOURCE.match(path)
    if match and not os.path.exists(path):
        return match.group("file"), match.group("table")
    return None


def register_format(path: str) -> str:
    if path == "-":
        return "jsonl"
    if table_source(path):
        return "table"
    suffix = Path(path).suffix.lower()
    if suffix in _JSON_SUFFIXES:
        return "jsonl"
    if suffix == ".parquet":
        return "parquet"
    return "csv"


class Column:
    """One column of the register's header and what it holds."""

    __slots__ = ("position", "name", "role", "fact", "year", "as_list")

    def __init__(self, position: int, name: str, role: str, fact: str | None = None, year: int | None = None):
        self.position = position
        self.name = name
        self.role = role  # "id" | "fact" | "year" | "other": a value under "other" is always checked by the runtime
        self.fact = fact
        self.year = year
        self.as_list = False  # the source gives a 逐项 fact's items as a list, not as text to split


def classify(names: list[str], schema: dict, conflicts: frozenset | set = frozenset()) -> list[Column]:
    """What each header column is. Anything the fast path does not know (an unknown fact, a
    year column of a fact that is not yearly, an unnamed column…) is 'other': the runtime
    reads a row with a value there, and reports it as the Python engine does."""
    columns = []
    for position, name in enumerate(names):
        if name == IDENTIFIER:
            columns.append(Column(position, name, "id"))
            continue
        spec = schema.get(name)
        if name in conflicts or (name.rsplit(".", 1)[0] in conflicts and name.rsplit(".", 1)[-1].isdigit()):
            columns.append(Column(position, name, "other"))
            continue
        if spec is not None and not spec[1]:
            columns.append(Column(position, name, "fact", name))
            continue
        if "." in name and name.rsplit(".", 1)[1].isdigit():
            base, year = name.rsplit(".", 1)
            spec = schema.get(base)
            if (spec is not None and spec[1] and not (len(spec) > 3 and spec[3]) and year.isascii()
                    and len(year) == 4 and 1000 <= int(year) <= 9999):
                columns.append(Column(position, name, "year", base, int(year)))
                continue
        columns.append(Column(position, name, "other"))
    return columns


# ---------------------------------------------------------------- the fast forms, in SQL
def _re2_literal(text: str) -> str:
    """text as an RE2 pattern matching exactly it: every character not an ASCII letter or
    digit written as \\x{…} (valid in RE2 whatever the character)."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


_EDGE = "".join(_re2_literal(c) for c in WHITESPACE)
BOOL_WORDS = ("是", "true", "True", "否", "false", "False")  # what runtime.validate_facts reads as yes/no
BOOL_YES, BOOL_NO = BOOL_WORDS[:3], BOOL_WORDS[3:]  # those it reads as yes, and as no
# The forms SQL accepts for a (stripped, non-empty) cell, as RE2 patterns without anchors. Each
# accepts only text runtime.validate_facts accepts, and the value SQL gives it (_fast_scalar) is
# the runtime's. None of them matches "," or a line break, so cells joined by "," and grouped
# by "\n" are checked by one pattern per row (_row_check). Money: at most 15 digits before the
# point and 6 after, fewer with a unit, so that the value is below 10^15 and exact in
# DECIMAL(38,6) (a longer form, e.g. with leading zeros, goes to the runtime).
CELL_PATTERNS = {
    "money": (r"-?[0-9]{1,15}(?:\.[0-9]{1,6})?(?:\x{5143})?|-?[0-9]{1,11}(?:\.[0-9]{1,6})?\x{4e07}\x{5143}"
              r"|-?[0-9]{1,7}(?:\.[0-9]{1,6})?\x{4ebf}\x{5143}|-?[0-9]{1,3}(?:\.[0-9]{1,6})?\x{4e07}\x{4ebf}\x{5143}"),
    "number": r"-?[0-9]{1,15}(?:\.[0-9]{1,6})?",
    "percent": r"-?[0-9]{1,6}(?:(?:\.[0-9]{1,4})?%|(?:\.[0-9]{1,6})?)",
    "bool": "|".join(_re2_literal(w) for w in BOOL_WORDS),
    "year": r"[1-9][0-9]{3}(?:\x{5e74})?",
    # A date's month and day are checked by the cast (2020-02-30 is not a date); year 0 is not one.
    "date": r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-[0-9]{2}-[0-9]{2}",
    "text": f"[^,\\n{_EDGE}](?:[^,\\n]*[^,\\n{_EDGE}])?",
}


def cell_pattern(base: str, options) -> str:
    """The RE2 pattern of a cell SQL accepts for a fact of this base type (see CELL_PATTERNS);
    an enumeration's labels holding "," or a line break are left out (the runtime reads them)."""
    if base == "enum":
        labels = [o for o in options if o and "," not in o and "\n" not in o and o.strip() == o]
        return "|".join(_re2_literal(o) for o in labels) or r"[^\x{0}-\x{10ffff}]"  # (no label: matches nothing)
    return CELL_PATTERNS[base]


def _fast_scalar(base: str, options, t: str) -> tuple[str, str]:
    """(accepted, value) SQL for a non-null raw cell `t`: `accepted` is true only for text
    runtime.validate_facts accepts (after batch's strip), and `value` is then the value it
    gives. A cell with whitespace around it, or in any other form, is not accepted here: its
    row goes to the runtime. `value` is computed without a guard (NULL or anything for a cell
    not accepted): a row with such a cell is either typed by the runtime or bad."""
    value = _fast_value(base, t)
    if base == "enum":
        # A label with whitespace at an edge is never matched here: the runtime strips the
        # cell first, so such a cell is not that label (the runtime says so).
        labels = [o for o in options if o.strip() == o] or [None]
        return f"({t} IN ({', '.join('NULL' if o is None else literal(o) for o in labels)}))", value
    if base == "bool":  # CELL_PATTERNS["bool"]'s six words, compared as strings (cheaper than a pattern)
        return f"({t} IN ({', '.join(literal(w) for w in BOOL_WORDS)}))", value
    if base == "text":  # any text without whitespace at its edges (CELL_PATTERNS["text"] also refuses "," inside)
        return f"(NOT regexp_matches({t}, {literal(f'^[{WHITESPACE}]|[{WHITESPACE}]$')}))", value
    accepted = f"regexp_full_match({t}, {literal('(?:' + cell_pattern(base, options) + ')')})"
    if base == "date":
        accepted = f"({accepted} AND {value} IS NOT NULL)"
    return accepted, value


def _enum_labels(spec) -> list[str]:
    """The labels of a (scalar) enumeration fact as the ENUM type reg_cells holds it as, or []
    when it is held as VARCHAR: a 逐项 fact, no label, a label empty or with whitespace at an
    edge (the IN of _fast_scalar then checks it, as before)."""
    if spec[0] != "enum" or (len(spec) > 3 and spec[3]):
        return []
    labels = list(dict.fromkeys(spec[2]))
    if not labels or any(not label or label.strip() != label for label in labels):
        return []
    return labels


class ValueChecked:
    """A kept yes/no or enumeration cell is typed once, in a layer under the row check, and
    checked by its typed value: yes/no, its value (one of the three yes words) or one of the
    three no words; an enumeration, TRY_CAST to an ENUM of its labels (which matches a label
    exactly, as the IN did) not NULL, and held as that ENUM (one byte, not the label's text;
    register_rows reads it as VARCHAR). Round 20, the bench register's CREATE alone (two threads,
    alternated three times, load average 4.6-5.0): 2.83-2.89 s CPU with the IN checks and the
    values computed apart, 2.70-2.80 s with yes/no checked by its value, 2.53-2.57 s with the
    enumerations too (an ENUM without reusing it for the check: 2.64-2.72 s)."""

    @staticmethod
    def of(spec, position: int) -> tuple[str, str, str]:
        """(name in the layer, its SQL over the raw cell t{position}, the cell's check)."""
        t = f"t{position}"
        if spec[0] == "bool":
            no = ", ".join(literal(word) for word in BOOL_NO)
            return f"_v{position}", _fast_value("bool", t), f"({t} IS NULL OR _v{position} OR {t} IN ({no}))"
        labels = ", ".join(literal(label) for label in _enum_labels(spec))
        return f"_e{position}", f"TRY_CAST({t} AS ENUM({labels}))", f"({t} IS NULL OR _e{position} IS NOT NULL)"


def _fast_value(base: str, t: str) -> str:
    """The SQL value of a cell `t` that cell_pattern accepts (anything, or NULL, for any other)."""
    if base == "money":
        # A plain number is read by one cast; only a cell with a unit (it ends in 元) takes the
        # second branch. (A CASE, not coalesce(cast, …): a third of the cost of typing money.)
        factor = " ".join(f"WHEN suffix({t}, {literal(unit)}) THEN {f}" for unit, f in _UNIT_FACTORS[:3])
        # The number before a unit is read as DECIMAL(18,6): every accepted form fits (at most 11
        # digits before the point), and a longer one (not accepted) gives NULL rather than an
        # overflow in the product that would stop the whole load (…万亿元 with 32 digits did).
        return (f"CASE WHEN suffix({t}, '元') THEN CAST(TRY_CAST(rtrim({t}, '万亿元') AS DECIMAL(18,6)) * "
                f"CAST(CASE {factor} ELSE 1 END AS DECIMAL(38,0)) AS DECIMAL(38,6)) ELSE TRY_CAST({t} AS DECIMAL(38,6)) END")
    if base == "number":
        return f"TRY_CAST({t} AS DECIMAL(38,6))"
    if base == "percent":
        return (f"CASE WHEN suffix({t}, '%') THEN CAST(TRY_CAST(rtrim({t}, '%') AS DECIMAL(38,6)) * 0.01 AS DECIMAL(38,6)) "
                f"ELSE TRY_CAST({t} AS DECIMAL(38,6)) END")
    if base == "bool":
        return f"({t} IN ({', '.join(literal(word) for word in BOOL_YES)}))"
    if base == "year":
        return f"TRY_CAST(left({t}, 4) AS INTEGER)"
    if base == "date":
        return f"TRY_CAST({t} AS DATE)"
    if base in ("enum", "text"):
        return t
    raise ValueError(base)


def _fast_cell(spec, t: str, as_list: bool, separator: str) -> tuple[str, str]:
    """(accepted, typed) for a column's raw cell `t` (accepted is true for NULL)."""
    base, _series, options = spec[0], spec[1], spec[2]
    sql_type = SQL_TYPES[base]
    if len(spec) > 3 and spec[3]:
        items = t if as_list else (
            f"list_filter(list_transform(string_split({t}, {literal(separator)}), "
            f"lambda x: trim(x, {literal(WHITESPACE)})), lambda x: x <> '')"
            if separator == STAGED_LIST_SEPARATOR else
            f"list_filter(list_transform(string_split(replace({t}, '；', ';'), ';'), "
            f"lambda x: trim(x, {literal(WHITESPACE)})), lambda x: x <> '')")
        ok, value = _fast_scalar(base, options, "x")
        typed = f"CAST(list_transform({items}, lambda x: {value}) AS {sql_type}[])"
        if not as_list:
            # A cell of one item (no separator, nothing to trim, not empty) is [its value]: the
            # same list as split, trimmed and filtered, for a fifth of the cost (most such
            # cells hold one item: 0.1 s a column at 100,000 rows).
            separators = (separator,) if separator == STAGED_LIST_SEPARATOR else (";", "；")
            one = " AND ".join(f"NOT contains({t}, {literal(s)})" for s in separators)
            typed = (f"CASE WHEN {one} AND {t} <> '' AND {t} = trim({t}, {literal(WHITESPACE)}) "
                     f"THEN CAST([{_fast_value(base, t)}] AS {sql_type}[]) ELSE {typed} END")
        return (f"({t} IS NULL OR list_bool_and(list_transform({items}, lambda x: coalesce({ok}, false))) IS NOT false)",
                typed)
    ok, value = _fast_scalar(base, options, t)
    return f"({t} IS NULL OR coalesce({ok}, false))", f"CAST({value} AS {sql_type})"


# Bases whose cells a plain row checks one by one, as strings in a list (IN), not in the row's
# pattern: a cell of such a base is one of a few fixed words, and an IN costs less than the cell's
# share of the row pattern (most of that share is `concat` copying the cell, not the match).
# Round 19, 100,000 rows of the bench register (92 yes/no and 33 enumeration columns of 218),
# load_bench CPU alternated: 3.32-3.66 s with them in the pattern, 3.26-3.38 s with IN.
BY_LIST = ("bool", "enum")


# The bases of a 逐项 fact whose items' pattern holds no whitespace, ";" or "；", so that a
# whole cell of items is matched by one pattern (list_pattern) in the row's.
LIST_IN_ROW = ("money", "number", "percent", "year")
_LIST_EDGE = "".join(_re2_literal(c) for c in WHITESPACE if c != "\n")


def list_pattern(base: str) -> str:
    """The RE2 pattern of a 逐项 cell (LIST_IN_ROW base) that _fast_cell accepts: pieces
    between ";" or "；", each empty once trimmed or its item with whitespace around. No "," or
    line break (the row pattern's promise)."""
    piece = f"[{_LIST_EDGE}]*(?:(?:{CELL_PATTERNS[base]})[{_LIST_EDGE}]*)?"
    return f"(?:{piece}(?:;|\\x{{ff1b}}))*{piece}"


def plain_checks(cells: list[tuple]) -> list[str]:
    """The checks of a row whose cells hold no "," and no line break (DuckDB's direct read of a
    plain CSV), for its cells (base, options, SQL of the raw cell[, True for a 逐项 cell of a
    LIST_IN_ROW base]): one pattern for the row (_row_check) over every cell but those of a
    BY_LIST base, each of which is checked by its own IN; and a date's day by its cast. Each
    check is true or NULL for a NULL cell."""
    grouped: dict[str, list[str]] = {}  # pattern -> the cells it checks
    checks = []
    for base, options, t, *items in cells:
        if items and items[0]:
            grouped.setdefault(list_pattern(base), []).append(t)
            continue
        if base in BY_LIST:
            checks.append(_fast_cell((base, False, options), t, False, ";")[0])
            continue
        grouped.setdefault(cell_pattern(base, options), []).append(t)
        if base == "date":  # the pattern pins the form; the cast, the day
            checks.append(f"({t} IS NULL OR {_fast_value('date', t)} IS NOT NULL)")
    return ([_row_check(grouped)] if grouped else []) + checks


def _row_check(grouped: dict[str, list[str]]) -> str:
    """SQL true when every cell of the row is NULL or matches its pattern: the cells joined,
    each followed by ",", each group of cells sharing a pattern followed by a line break, and
    matched by one pattern `(?:(?:P)?,)*\n` per group. No pattern matches "," or a line break
    and no cell holds one (the caller's promise), so the only way to match is cell by cell.
    One match per row instead of one per cell: RE2 runs it as one small automaton."""
    parts, patterns = [], []
    for pattern, cells in grouped.items():
        parts += [item for cell in cells for item in (cell, "','")] + [literal("\n")]
        patterns.append(f"(?:(?:{pattern})?,)*\\n")
    return f"regexp_full_match(concat({', '.join(parts)}), {literal(''.join(patterns))})"


class Loaded:
    """The register in DuckDB: the view `register`, its years, the rows read and the bad rows."""

    def __init__(self):
        self.rows = 0
        self.bad: list[dict] = []  # {"line", "error"[, "applicant"], "structural"}
        self.years: dict[str, tuple[int, ...]] = {}
        # The attached database holding the register's table reg_cells: MEMORY_DATABASE or
        # "polc" (the database file). Both are readable by every cursor of the connection
        # (con.cursor()), as the views reg and register_rows over it are.
        self.database = MEMORY_DATABASE
        # (column, SQL type) of every declared fact column the register has, after _line and 申请人
        self.view_columns: list[tuple[str, str]] = []
        # Those of them in the view register_rows, typed: all, or those Loader.wanted named
        # (a stage reading any other fails loudly: no such column, never a silent NULL).
        self.typed_columns: list[tuple[str, str]] = []
        self.columns: list[Column] = []
        self.reader = "staged"  # "duckdb": DuckDB read the CSV itself (one pattern per row checks it)


class Loader:
    """Loads one register into a DuckDB connection (see the module docstring)."""

    def __init__(self, con, policies: list, evaluator, path: str, encoding: str | None, work: str,
                 stdin=None, wanted: Callable[[], set[str] | None] | None = None):
        self.con = con
        self.policies = policies  # [(PolicyInfo, clauses)]
        self.evaluator = evaluator
        # One view column per fact, typed as the first policy declaring it types it. A fact two
        # policies declare differently is read only by the runtime (each policy validates it
        # as it declares it, as in the Python engine).
        self.schema: dict = {}
        self.conflicts: set[str] = set()
        for policy, _clauses in policies:
            for name, spec in policy.schema.items():
                if name in self.schema and tuple(self.schema[name]) != tuple(spec):
                    self.conflicts.add(name)
                self.schema.setdefault(name, spec)
        self.known = evaluator.known  # what batch.py reads the register with
        self.path = path
        self.encoding = encoding
        self.work = work
        self.stdin = stdin
        self.in_memory = False  # reg_cells held in MEMORY_DATABASE (load decides: IN_MEMORY_BYTES)
        self.first_line: int | None = None  # the direct path's line of rowid 0 (_create)
        self.fixed = False  # whether reg_fixed holds rows the runtime typed (_apply)
        self.enum_columns: set[str] = set()  # typed columns reg_cells holds as an ENUM (ValueChecked)
        self.loaded = Loaded()
        # Called once the register's columns and years are known (self.loaded.years): the
        # view columns the later stages read (a set of names), or None for every column.
        self.wanted: Callable[[], set[str] | None] | None = wanted

    # ------------------------------------------------------------ entry
    def load(self) -> Loaded:
        kind = register_format(self.path)
        self.in_memory = kind in ("csv", "jsonl") and (self.path == "-" or os.path.getsize(self.path) <= IN_MEMORY_BYTES)
        self.loaded.database = MEMORY_DATABASE if self.in_memory else "polc"
        if self.in_memory:
            self.con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {MEMORY_DATABASE}")
        if kind == "csv":
            self._csv()
        elif kind == "jsonl":
            self._jsonl()
        elif kind == "parquet":
            self._columnar(f"read_parquet({literal(self.path)}, file_row_number = true)", "file_row_number + 1")
        else:
            database, table = table_source(self.path)
            self.con.execute(f"ATTACH {literal(database)} AS polc_register (READ_ONLY)")
            self._columnar(f"polc_register.main.{ident(table)}", "row_number() OVER (ORDER BY rowid)", rowid=True)
        self._check_rows()
        self._view()
        return self.loaded

    # ------------------------------------------------------------ CSV
    def _csv(self) -> None:
        plain = self._plain_utf8()
        encoding = self.encoding
        if plain and encoding is None:
            # No BOM or UTF-16 look, and the header is UTF-8: read as UTF-8 (open_text would
            # decode the whole file once more to guess). If some later line is not UTF-8,
            # DuckDB's read refuses it and polc's reader reads the file, guessing as it does.
            with open(self.path, "rb") as handle:
                name, skip, _tried = sources.choose_encoding(handle.read(sources._SNIFF_BYTES))
            encoding = "utf-8" if name == "utf-8" and not skip else None
        stream, used = sources.open_text(self.path, encoding)
        try:
            header_line, names, simple = self._csv_header(stream, used)
        except batch.RegisterError:
            if encoding is None or self.encoding is not None:
                raise
            # Read as UTF-8 on the strength of its first 64 KB: polc's own reader decides the
            # encoding from the whole file (and words any error in the header as it reads it).
            header_line, names, simple = 0, [], False
        finally:
            stream.close()
        self.loaded.columns = classify(names, self.schema, self.conflicts)
        self.header_names = names
        if simple and plain and codecs.lookup(used).name in ("utf-8", "utf-8-sig"):
            self.data_lines = self.file_lines - header_line
            try:
                self._csv_direct(header_line, len(names))
                return
            except Exception as exc:  # noqa: BLE001 - any DuckDB reading error: read it polc's way
                if not (_is_duckdb_error(exc) or isinstance(exc, _DirectReadMismatch)):
                    raise
                self.con.execute("DROP VIEW IF EXISTS reg")
                self.con.execute(f"DROP TABLE IF EXISTS {self._cells}")
                self.first_line = None
        self._csv_staged()

    def _csv_header(self, stream, used: str) -> tuple[int, list[str], bool]:
        """The header's line number and names (checked as batch does); simple is whether the
        header is the first line and unquoted."""
        import csv
        csv.field_size_limit(batch.MAX_LINE_CHARS)
        lines = batch._lines(stream)
        number = 0
        for text in lines:
            number += 1
            try:
                fields = next(csv.reader([text]))
            except (csv.Error, StopIteration):
                fields = None
            if fields is None or ("\"" in text):
                return number, [], False  # let the streaming reader decide (and report)
            if not fields or all(not f.strip() for f in fields):
                continue
            names = batch._header(self.path, number, fields, used, self.known)
            return number, names, number == 1
        return number, [], False

    def _plain_utf8(self) -> bool:
        """Whether DuckDB reads this file line for line as polc would: UTF-8, no quote
        character, one line-ending style, no blank line. Read in 16 MiB chunks, as bytes: the
        first line (the header, which polc reads) is checked as UTF-8 here, every other line by
        DuckDB's own read, which refuses any invalid UTF-8 as Python does (the file is then read
        polc's way: _csv). Decoding the whole file here cost a tenth of loading."""
        if self.encoding is not None and codecs.lookup(self.encoding).name != "utf-8":
            return False
        carry, tail, crlf, lf, lines, last, first = b"", b"", False, False, 0, b"\n", True
        with open(self.path, "rb") as handle:
            while chunk := handle.read(1 << 24):
                if first:
                    first = False
                    end = chunk.find(b"\n")
                    try:
                        chunk[:end if end >= 0 else len(chunk)].decode("utf-8")
                    except UnicodeDecodeError:
                        return False
                    if end < 0:
                        return False  # a header line over 16 MiB: polc's reader says what is wrong
                if b'"' in chunk:
                    return False
                if not carry and b"\r" not in chunk:
                    # The usual file (LF only): no copy of the chunk; a blank line is "\n\n",
                    # possibly across the previous chunk's end.
                    if _BLANK_LINE.search(chunk) or (tail.endswith(b"\n") and chunk.startswith(b"\n")):
                        return False
                    lf = lf or b"\n" in chunk
                    tail = (tail + chunk[-2:])[-2:]
                else:
                    data = carry + chunk
                    carry = b"\r" if data.endswith(b"\r") else b""
                    data = data[:-1] if carry else data
                    if b"\r" in data.replace(b"\r\n", b""):
                        return False
                    if b"\n\n" in tail + data or b"\n\r\n" in tail + data:
                        return False
                    crlf = crlf or b"\r\n" in data
                    lf = lf or data.count(b"\n") != data.count(b"\r\n")
                    tail = (tail + data)[-2:]
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        if carry or (crlf and lf):
            return False
        # DuckDB must give one row per line after the header: checked after reading.
        self.file_lines = lines + (0 if last == b"\n" else 1)
        return True

    def _csv_direct(self, header_line: int, width: int) -> None:
        columns = "{" + ", ".join(f"{literal(f'c{i}')}: 'VARCHAR'" for i in range(width)) + "}"
        scan = (f"read_csv({literal(self.path)}, header = false, skip = {header_line}, columns = {columns}, "
                f"delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
                f"null_padding = false, strict_mode = true, max_line_size = {batch.MAX_LINE_CHARS - 2}, "
                f"comment = '', ignore_errors = false, encoding = 'utf-8')")
        raw = [f"c{i}" for i in range(width)]
        # Rows come in the file's order, one line each (no quote, no blank line: _plain_utf8;
        # as many rows as lines: checked below), and CREATE TABLE … AS keeps the order of its
        # source (preserve_insertion_order, set by sql_batch.connect), so the row's number in
        # the table, rowid, gives its physical line. No column is stored for it: row_number()
        # OVER (), which did, is a streaming window that made the whole load one thread's work.
        read = self._create(scan, raw, line=None, blanks=True, plain=True, first_line=header_line + 1)
        self.loaded.reader = "duckdb"
        if read != self.data_lines:
            # (DuckDB 2.0 with new_line '\r\n' and strict_mode reads nothing, silently.)
            raise _DirectReadMismatch(f"DuckDB read {read} rows for {self.data_lines} lines")
        self.loaded.rows = read - self.con.execute("SELECT count(*) FROM reg WHERE _blank").fetchone()[0]

    def _csv_staged(self) -> None:
        """Any CSV: read with batch's streaming reader (bad rows as it reports them) and staged
        for DuckDB as UTF-8 JSON lines of raw cells."""
        staged = os.path.join(self.work, "register.staged.jsonl")
        names = None
        width = 0
        with open(staged, "w", encoding="utf-8") as out:
            for line, fields in _csv_fields(self.path, self.encoding, self.known):
                if isinstance(fields, batch.RegisterError):
                    raise fields
                if isinstance(fields, list) and names is None:
                    names = fields
                    continue
                if isinstance(fields, batch.BadRow):
                    self.loaded.rows += 1
                    self.loaded.bad.append({"line": line, "error": str(fields), "structural": True})
                    continue
                out.write(json.dumps({"_line": line, "c": fields[1]}, ensure_ascii=False) + "\n")
        if names is None:
            names = []
        self.header_names = names
        self.loaded.columns = classify(names, self.schema, self.conflicts)
        width = len(names)
        scan = (f"read_json({literal(staged)}, format = 'newline_delimited', "
                f"columns = {{'_line': 'BIGINT', 'c': 'VARCHAR[]'}}, maximum_object_size = {1 << 26})")
        self._create(scan, [f"c[{i + 1}]" for i in range(width)], line="_line")
        self.loaded.rows += self.con.execute("SELECT count(*) FROM reg").fetchone()[0]

    # ------------------------------------------------------------ JSON Lines
    def _jsonl(self) -> None:
        """Each row read and validated by the runtime (exactly the Python engine's reading),
        then staged as canonical text that the fast forms accept with the same value."""
        staged = os.path.join(self.work, "register.staged.jsonl")
        positions: dict[str, int] = {IDENTIFIER: 0}
        names = [IDENTIFIER]
        binary = self.stdin if self.path == "-" else None
        with open(staged, "w", encoding="utf-8") as out:
            for line, row in batch.read_rows(self.path, self.known, self.encoding, binary):
                self.loaded.rows += 1
                if isinstance(row, batch.BadRow):
                    self.loaded.bad.append({"line": line, "error": str(row), "structural": True})
                    continue
                applicant = batch._identifier(row.pop(IDENTIFIER, None))
                if isinstance(applicant, batch.BadRow):
                    self.loaded.bad.append({"line": line, "error": str(applicant), "structural": True})
                    continue
                typed = self._validate(row)
                if isinstance(typed, str):
                    self.loaded.bad.append({"line": line, "error": typed, "applicant": applicant, "structural": False})
                    continue
                cells: list = [None] * len(names)
                cells[0] = applicant
                for name, value in typed.items():
                    spec = self.schema[name]
                    if spec[1] and not (len(spec) > 3 and spec[3]):
                        for year, item in value.items():
                            key = f"{name}.{year}"
                            if key not in positions:
                                positions[key] = len(names)
                                names.append(key)
                                cells.append(None)
                            cells[positions[key]] = _canonical(item)
                        continue
                    if name not in positions:
                        positions[name] = len(names)
                        names.append(name)
                        cells.append(None)
                    cells[positions[name]] = (STAGED_LIST_SEPARATOR.join(_canonical(i) for i in value) or
                                              STAGED_LIST_SEPARATOR) if isinstance(value, list) else _canonical(value)
                out.write(json.dumps({"_line": line, "c": cells}, ensure_ascii=False) + "\n")
        self.header_names = names
        self.loaded.columns = classify(names, self.schema, self.conflicts)
        self.list_separator = STAGED_LIST_SEPARATOR
        scan = (f"read_json({literal(staged)}, format = 'newline_delimited', "
                f"columns = {{'_line': 'BIGINT', 'c': 'VARCHAR[]'}}, maximum_object_size = {1 << 26})")
        self._create(scan, [f"c[{i + 1}]" for i in range(len(names))], line="_line")

    # ------------------------------------------------------------ Parquet, DuckDB table
    def _columnar(self, relation: str, line: str, rowid: bool = False) -> None:
        described = self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        names = [name for name, *_rest in described if name != "file_row_number"]
        types = {name: kind for name, kind, *_rest in described}
        where = f"{self.path}"
        batch._header(where, 1, names, "utf-8", self.known)
        self.header_names = names
        self.loaded.columns = classify(names, self.schema, self.conflicts)
        raw = []
        for column in self.loaded.columns:
            kind = types[column.name]
            if kind.endswith("[]") and column.role == "fact" and len(self.schema[column.fact]) > 3 and self.schema[column.fact][3]:
                column.as_list = True
                raw.append(f"CAST({ident(column.name)} AS VARCHAR[])")
            elif kind.startswith("TIMESTAMP") and column.role == "fact" and self.schema[column.fact][0] == "date":
                raw.append(f"CAST(CAST({ident(column.name)} AS DATE) AS VARCHAR)")
            else:
                raw.append(f"CAST({ident(column.name)} AS VARCHAR)")
        scan = f"(SELECT {line} AS _line, * FROM {relation})"
        self._create(scan, raw, line="_line")
        self.loaded.rows = self.con.execute("SELECT count(*) FROM reg").fetchone()[0]

    # ------------------------------------------------------------ the typed table
    def _create(self, scan: str, raw: list[str], line: str | None, blanks: bool = False, plain: bool = False,
                first_line: int | None = None) -> int:
        """CREATE TABLE reg_cells and the view reg over it: per row _line, 申请人, whether every cell is in a fast form
        (_fast), whether it is blank, the raw cells of a row that is not, and typed facts; the
        number of rows. The check is computed once per row (inner projection) and each value
        without a guard. `plain`: no cell can hold "," or a line break (DuckDB read the CSV
        itself, unquoted), so the scalar cells are checked by one pattern per row (plain_checks)
        rather than one per cell, which is most of the cost of loading. `line` is the SQL of a
        row's line in the scan, or None with `first_line`: the table's rows are the file's lines
        in order from first_line, and _line is rowid + first_line (reg_cells stores no _line;
        its rows are never deleted, nor moved by an UPDATE: _apply writes fixed rows apart)."""
        separator = getattr(self, "list_separator", ";")
        cells = [f"{cell} AS t{position}" for position, cell in enumerate(raw)]
        checks, blank, outputs = [], [], []
        plain_cells: list[tuple] = []  # plain: (base, options, cell) for plain_checks
        by_value: dict[int, tuple] = {}  # position -> (spec, cell) of a yes/no or enumeration cell (ValueChecked)
        typed_once: dict[int, tuple[str, str, str]] = {}  # position -> ValueChecked.of(...) of a kept one
        identifier = "NULL::VARCHAR"
        by_fact: dict[str, list[Column]] = {}
        for position, column in enumerate(self.loaded.columns):
            t = f"t{position}"
            blank.append(f"{t} IS NULL" if not column.as_list else f"({t} IS NULL OR len({t}) = 0)")
            if column.role == "id":
                identifier = t
                if plain:
                    plain_cells.append(("text", None, t))
                else:
                    edges = literal(f"^[{WHITESPACE}]|[{WHITESPACE}]$")
                    checks.append(f"({t} IS NULL OR NOT regexp_matches({t}, {edges}))")
            elif column.role == "other":
                checks.append(f"{t} IS NULL")
            else:
                by_fact.setdefault(column.fact, []).append(column)
                spec = self.schema[column.fact]
                if not column.as_list and (spec[0] == "bool" or _enum_labels(spec)):
                    by_value[position] = (spec, t)  # checked below, by its typed value if it is kept
                    continue
                if plain and not column.as_list and not (len(spec) > 3 and spec[3]):
                    plain_cells.append((spec[0], spec[2], t))
                    continue
                if plain and not column.as_list and spec[0] in LIST_IN_ROW:
                    plain_cells.append((spec[0], spec[2], t, True))
                    continue
                ok, _value = _fast_cell(spec, t, column.as_list, separator)
                checks.append(ok)
        checks[:0] = plain_checks(plain_cells)
        self.loaded.years = {}
        self.loaded.view_columns = []
        self.loaded.typed_columns = []
        for name, spec in self.schema.items():
            if spec[1] and not (len(spec) > 3 and spec[3]):
                self.loaded.years[name] = tuple(sorted({c.year for c in by_fact.get(name, [])}))
        for name, spec in self.schema.items():
            if spec[1] and not (len(spec) > 3 and spec[3]):
                self.loaded.view_columns += [(f"{name}.{year}", SQL_TYPES[spec[0]]) for year in self.loaded.years[name]]
            else:
                self.loaded.view_columns.append((name, SQL_TYPES[spec[0]] + ("[]" if len(spec) > 3 and spec[3] else "")))
        # Only the columns a later stage reads are typed and kept (every cell is checked all
        # the same): typing and storing the others was a third of the cost of loading.
        wanted = self.wanted() if self.wanted is not None else None
        for name, sql_type in self.loaded.view_columns:
            if wanted is not None and name not in wanted:
                continue
            self.loaded.typed_columns.append((name, sql_type))
            fact, source = name, next(iter(by_fact.get(name, [])), None)  # the header column it comes from
            if source is None and "." in name and name.rsplit(".", 1)[0] in self.loaded.years:
                fact, year = name.rsplit(".", 1)
                source = next(c for c in by_fact[fact] if c.year == int(year))
            if source is None:
                outputs.append(f"CAST(NULL AS {sql_type}) AS {ident(name)}")
                continue
            if source.position in by_value:
                typed_once[source.position] = once = ValueChecked.of(self.schema[fact], source.position)
                outputs.append(f"{once[0]} AS {ident(name)}")
                if self.schema[fact][0] == "enum":
                    self.enum_columns.add(name)
                continue
            _ok, value = _fast_cell(self.schema[fact], f"t{source.position}", source.as_list, separator)
            outputs.append(f"{value} AS {ident(name)}")
        for position, (spec, t) in by_value.items():
            checks.append(typed_once[position][2] if position in typed_once else _fast_cell(spec, t, False, separator)[0])
        inner = f"SELECT {(line or 'NULL::BIGINT') + ' AS _src_line, ' if first_line is None else ''}{', '.join(cells)} FROM {scan}"
        if typed_once:
            inner = f"SELECT *, {', '.join(f'{value} AS {name}' for name, value, _check in typed_once.values())} FROM ({inner})"
        fast = " AND ".join(f"coalesce({c}, false)" for c in checks) or "true"
        middle = f"SELECT *, {fast} AS _ok FROM ({inner})"
        raw_list = "[" + ", ".join(f"CAST(t{i} AS VARCHAR)" if not c.as_list else f"array_to_string(t{i}, ';')"
                                   for i, c in enumerate(self.loaded.columns)) + "]"
        # In memory for a register of moderate size (IN_MEMORY_BYTES). The later stages read
        # register_lines, sql_batch's view (or copy) of the rows evaluated.
        create = (f"CREATE TABLE {self._cells} AS SELECT "
                  f"{'_src_line AS _line, ' if first_line is None else ''}{identifier} AS {ident(IDENTIFIER)}, "
                  f"_ok AS _fast, ({' AND '.join(blank) if blanks and blank else 'false'}) AS _blank, "
                  f"CASE WHEN NOT _ok THEN {raw_list} END AS _raw"
                  f"{''.join(', ' + o for o in outputs)} FROM ({middle})")
        with self._ordered_insert_room():
            read = self.con.execute(create).fetchone()[0]
        self.first_line = first_line
        self.con.execute("CREATE VIEW reg AS SELECT " + ("*" if first_line is None else f"rowid + {int(first_line)} AS _line, *")
                         + f" FROM {self._cells}")
        return read

    @property
    def _cells(self) -> str:
        """reg_cells, qualified by the database that holds it (Loaded.database)."""
        return f"{self.loaded.database}.main.reg_cells"

    @contextlib.contextmanager
    def _ordered_insert_room(self):
        """DuckDB's memory limit raised to INSERT_ROOM (FILE_INSERT_ROOM for a register loaded
        into the database file) times POLC_DUCKDB_MEMORY while the register's table is
        created, then set back. CREATE TABLE … AS keeps its source's order
        (preserve_insertion_order) by holding the parts of the file read ahead of the first
        unfinished one; what it counts as held is the blocks allocated for those parts (a block
        per column per part: with 187 typed columns several times the rows' size), and when
        that passes a quarter of the limit, every thread but one waits. At 1280 MB a register
        of 100,000 rows was created on one thread whatever the number of cores (the threads'
        states sampled every 5 ms: 1.0 runnable on average with 1280 MB, 2 GB or 3 GB; 1.8 with
        4 GB or more, and 2.2-2.4 s wall instead of 3.6-4.1 s for the same CPU), and so was a
        register of 300,000 rows loaded into the database file (1.01 runnable with 1280 MB, 1.90
        with 5 GB). The memory used is not what the limit allows: a register in memory is held
        whole either way (peak RSS of that statement 360-400 MB at 100,000 rows with every
        limit), and the database file's table is written out as it is made. With 4 × 1280 MB,
        a register loaded into the file still went to one thread past a few hundred thousand
        rows (400,000 rows under 512 MB × 4: 1.01 runnable; × 16: 1.92); FILE_INSERT_ROOM = 16
        keeps both cores working at 1,000,000 rows under 1280 MB with the same peak (the load's
        peak RSS 857 MB with × 16, 874 MB with × 4; 400,000 rows: 543-595 MB either way).
        Round 19 tried the opposite for files of up to 160 MB: one thread on purpose. On two
        threads the order-keeping insert collects each thread's rows apart and appends them
        after, a second copy; on one it appends them once. The 100,000-row bench register's
        CREATE alone took 2.56-2.66 s CPU on one thread against 2.87-3.01 s on two, but the
        whole command took 1-1.5 s more wall time for a CPU difference lost in the noise of
        whole runs (alternated three times, idle machine: 11.1-11.9 against 11.1-12.3 s CPU,
        8.2-8.7 against 6.6-7.4 s wall). It was not kept: POLC_DUCKDB_THREADS=1 gives the
        least CPU to whoever wants it."""
        limit = memory_limit()  # as sql_batch.connect set it
        room = INSERT_ROOM if self.in_memory else FILE_INSERT_ROOM
        if room <= 1 or not _bytes(limit):
            yield
            return
        self.con.execute(f"SET memory_limit = '{room * _bytes(limit)}B'")
        try:
            yield
        finally:
            self.con.execute(f"SET memory_limit = {literal(limit)}")

    # ------------------------------------------------------------ rows the fast forms do not cover
    def _check_rows(self) -> None:
        """Rows with a cell outside the fast forms go through the runtime: typed (the row is
        updated) or bad (with the Python engine's message)."""
        pending = self.con.execute("SELECT _line, _raw FROM reg WHERE NOT _fast AND NOT _blank ORDER BY _line")
        blank_lines: list = []
        fixes = []
        schema_with_items = self.known
        while chunk := pending.fetchmany(10_000):
            for line, raw in chunk:
                fields = ["" if cell is None else cell for cell in raw]
                if register_format(self.path) == "csv" and all(not field.strip() for field in fields):
                    blank_lines.append((line,))  # only whitespace: a blank line, as batch skips it
                    continue
                facts = batch._from_csv(self.header_names, fields, schema_with_items)
                if register_format(self.path) == "jsonl":
                    # Staged from validated JSON: a cell outside the fast forms is a value this
                    # engine cannot hold exactly (should not happen: _canonical refuses those).
                    self.loaded.bad.append({"line": line, "error": _engine_limit("*"), "structural": True})
                    continue
                if isinstance(facts, batch.BadRow):
                    self.loaded.bad.append({"line": line, "error": str(facts), "structural": True})
                    continue
                applicant = batch._identifier(facts.pop(IDENTIFIER, None))
                if isinstance(applicant, batch.BadRow):
                    self.loaded.bad.append({"line": line, "error": str(applicant), "structural": True})
                    continue
                typed = self._validate(facts)
                if isinstance(typed, str):
                    self.loaded.bad.append({"line": line, "error": typed, "applicant": applicant, "structural": False})
                    continue
                fixes.append((line, applicant, typed))
        if fixes:
            self._apply(fixes)
        if blank_lines:
            self.loaded.rows -= len(blank_lines)
            self._mark_blank(blank_lines)
        bad_lines = [(b["line"],) for b in self.loaded.bad]
        self.con.execute("CREATE TABLE bad_lines (_line BIGINT)")
        if bad_lines:
            self.con.executemany("INSERT INTO bad_lines VALUES (?)", bad_lines) if len(bad_lines) < 1000 else \
                self._stage_lines(bad_lines)

    def _mark_blank(self, lines: list) -> None:
        """Rows found blank by the runtime (only whitespace) are marked so (a BOOLEAN updated in
        place: the row keeps its rowid, which is its line on the direct path)."""
        if self.first_line is None:
            self.con.executemany(f"UPDATE {self._cells} SET _blank = true WHERE _line = ?", lines)
        else:
            self.con.executemany(f"UPDATE {self._cells} SET _blank = true WHERE rowid = ?",
                                 [(line - self.first_line,) for (line,) in lines])

    def _stage_lines(self, lines) -> None:
        path = os.path.join(self.work, "bad.lines")
        with open(path, "w") as out:
            out.write("".join(f"{line}\n" for (line,) in lines))
        self.con.execute(f"INSERT INTO bad_lines SELECT * FROM read_csv({literal(path)}, header = false, "
                         f"columns = {{'_line': 'BIGINT'}}, auto_detect = false)")

    def _validate(self, facts: dict) -> dict | str:
        """Typed facts, or the error as the Python engine words it: the same steps as its
        batch._Engine.typed, in its order, so the first problem named is the same."""
        try:
            unknown = next((name for name in facts if name not in self.known), None)
            if unknown is not None:
                runtime.validate_facts({unknown: facts[unknown]}, self.known)  # raises, with a suggestion
            if not self.conflicts:
                typed = runtime.validate_facts(facts, self.known)
            else:
                typed = {}
                for policy, _clauses in self.policies:
                    own = {name: value for name, value in facts.items() if name in policy.schema}
                    for name, value in runtime.validate_facts(own, policy.schema).items():
                        typed.setdefault(name, value)
        except runtime.FactError as exc:
            return f"事实「{exc.fact}」{exc.problem_zh} / {exc.problem_en}"
        for name, value in typed.items():
            for item in _values(value):
                if isinstance(item, Decimal) and item != item.quantize(Decimal(1).scaleb(-SCALE)):
                    return _engine_limit(name, item)
        return typed

    def _apply(self, fixes: list) -> None:
        """Rows the runtime typed: a table of their typed values (reg_fixed), which the view
        register_rows reads in place of the row, which counts as read. Not an UPDATE of
        reg_cells: DuckDB updates a list column (a 逐项 fact) by deleting the row and inserting
        it again, with a new rowid, which is the line of a row on the direct path."""
        path = os.path.join(self.work, "fixes.jsonl")
        columns = self.loaded.typed_columns
        with open(path, "w", encoding="utf-8") as out:
            for line, applicant, typed in fixes:
                cells = {"_line": line, "a": applicant, "v": [_typed_cell(typed, name) for name, _t in columns]}
                out.write(json.dumps(cells, ensure_ascii=False) + "\n")
        self.con.execute(f"CREATE TABLE fixes AS SELECT * FROM read_json({literal(path)}, format = 'newline_delimited', "
                         f"columns = {{'_line': 'BIGINT', 'a': 'VARCHAR', 'v': 'JSON[]'}}, "
                         f"maximum_object_size = {1 << 26})")
        values = ["_line", f"a AS {ident(IDENTIFIER)}"]
        for index, (name, sql_type) in enumerate(columns, 1):
            if sql_type.endswith("[]"):
                value = f"CAST(CAST(v[{index}] AS VARCHAR[]) AS {sql_type})"
            else:
                value = f"CAST(CAST(v[{index}] ->> '$' AS VARCHAR) AS {sql_type})"
            values.append(f"{value} AS {ident(name)}")
        self.con.execute(f"CREATE TABLE reg_fixed AS SELECT {', '.join(values)} FROM fixes")
        self.con.execute("DROP TABLE fixes")
        self.fixed = True

    def _view(self) -> None:
        # An enumeration held as an ENUM (ValueChecked) is read as the VARCHAR of CONTRACTS.md §4.
        cols = ", ".join(f"CAST({ident(name)} AS VARCHAR) AS {ident(name)}" if name in self.enum_columns else ident(name)
                         for name, _t in self.loaded.typed_columns)
        select = f"SELECT _line, {ident(IDENTIFIER)}{', ' + cols if cols else ''}"
        # A row the runtime typed is read from reg_fixed (_apply); reg_cells still holds it as not fast.
        fixed = f" UNION ALL {select} FROM reg_fixed" if self.fixed else ""
        self.con.execute(f"CREATE VIEW register_rows AS {select} FROM reg WHERE _fast AND NOT _blank{fixed}")


_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?i?b|bytes)\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "bytes": 1, "kb": 10 ** 3, "mb": 10 ** 6, "gb": 10 ** 9, "tb": 10 ** 12,
          "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}


def _bytes(size: str) -> int:
    """Bytes of a memory size written as DuckDB reads one (`1280MB`, `2GB`, `1.5GiB`, `500 bytes`;
    KB is 1,000 bytes, KiB 1,024); 0 for anything else (nothing is then changed)."""
    match = _SIZE.match(size)
    if not match or match.group(2).lower() not in _UNITS:
        return 0
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def _values(value):
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    return [value]


def _canonical(value) -> str:
    """Text the fast forms read back as exactly this typed value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _typed_cell(typed: dict, column: str):
    if column in typed:
        value = typed[column]
        if isinstance(value, list):
            return [_canonical(v) for v in value]
        return None if value is None else _canonical(value)
    if "." in column:
        name, year = column.rsplit(".", 1)
        series = typed.get(name)
        if isinstance(series, dict):
            value = series.get(int(year))
            return None if value is None else _canonical(value)
    return None


def _engine_limit(fact: str, value=None) -> str:
    shown = "" if value is None else f"{runtime.shown(str(value))} "
    return (f"事实「{fact}」的值 {shown}超过 {SCALE} 位小数：DuckDB 引擎按 DECIMAL(38,{SCALE}) 精确计算，不作舍入"
            f"（可用 --engine python 评估这一行） / fact {fact!r}: the value {shown}has more than {SCALE} decimal places, "
            f"which the DuckDB engine holds exactly only up to {SCALE} (never rounded): use --engine python for it")


class _DirectReadMismatch(Exception):
    """DuckDB's direct read did not give one row per line: the file is read polc's way."""


def _is_duckdb_error(exc: BaseException) -> bool:
    import duckdb
    return isinstance(exc, duckdb.Error)


def _csv_fields(path: str, encoding: str | None, schema: dict):
    """(line, header names | (line, fields) | BadRow) from batch's CSV reader, raw cells kept."""
    import csv
    stream, used = sources.open_text(path, encoding)
    try:
        csv.field_size_limit(batch.MAX_LINE_CHARS)
        reader = csv.reader(batch._lines(stream))
        names = None
        end = 0
        while True:
            start = end + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                end = reader.line_num
                if names is None:
                    raise batch.RegisterError(f"{path}:{start}: 表头无法读取：{exc}", f"{path}:{start}: cannot read the header: {exc}")
                yield start, batch.BadRow(f"CSV 格式错误：{exc} / malformed CSV: {exc}")
                continue
            end = reader.line_num
            if not fields or all(not field.strip() for field in fields):
                continue
            if names is None:
                names = batch._header(path, start, fields, used, schema)
                yield start, names
                continue
            damage = batch._damage("".join(fields), used)
            if damage:
                yield start, batch.BadRow(" / ".join(damage))
            elif len(fields) != len(names):
                yield start, batch.BadRow(f"有 {len(fields)} 列，而表头有 {len(names)} 列 / "
                                          f"{len(fields)} fields, but the header has {len(names)}")
            else:
                yield start, (start, fields)
    finally:
        stream.close()


def work_directory() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="polc-duckdb-")
