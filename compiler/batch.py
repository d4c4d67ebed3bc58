"""`polc eval --batch`: every policy against every enterprise of a register.

Rows come from CSV (column names = fact names; a yearly series as columns `营业收入.2019`;
items of a 逐项 fact separated by `;`) or JSON Lines (one facts object per line). The column
or key `申请人` identifies the applicant; it is required whenever a quota or a budget has to
rank applicants, because remaining ties go to it and never to the order of the input.

Two passes, so the rows themselves are never all in memory: pass one streams the rows
through the generated evaluators and writes one JSON line per applicant to a temporary
file, keeping in memory only the applicants that compete for a quota or a budget (they
must all be ranked) and a 16-byte fingerprint per applicant (to refuse one named twice);
then the quotas and budgets are decided; pass two copies the lines to the output, marking
those outside a quota or a budget. A bad row is reported with its physical line number and
skipped; the summary counts it.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import heapq
import json
import marshal
import os
import stat
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import IO, Iterator

from . import compact, runtime, source as sources

IDENTIFIER = "申请人"
MAX_BAD_ROWS_LISTED = 100
# A JSON line, a CSV line and a CSV field are each at most 1 MiB of text: a register's cells
# are short, and a longer one is damage, reported as a bad row (not read into memory whole).
MAX_LINE_CHARS = 1 << 20
_TOO_LONG = "\udcfe"  # marks a physical line cut short; like UNDECODABLE it cannot occur in text


class BadRow(Exception):
    """A row that cannot be read at all (not JSON, not an object, undecodable, ragged)."""


class RegisterError(Exception):
    """The register as a whole cannot be read (an undecodable header, duplicate columns):
    nothing is evaluated and nothing is written."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


def _lines(stream: IO[str]) -> Iterator[str]:
    """Physical lines of a text stream, each at most MAX_LINE_CHARS (the rest of a longer
    line is skipped, and the line is marked _TOO_LONG)."""
    while line := stream.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            while (more := stream.readline(MAX_LINE_CHARS)) and not more.endswith(("\n", "\r")):
                pass
            line = line[:64] + _TOO_LONG + "\n"
        yield line


def _damage(text: str, encoding: str) -> tuple[str, str] | None:
    """Why a row's text cannot be trusted (zh, en), or None."""
    if sources.UNDECODABLE in text:
        return (f"有字节无法按 {encoding} 解码（可用 --encoding 指定编码）",
                f"bytes that do not decode as {encoding} (name the encoding with --encoding)")
    if _TOO_LONG in text:
        return f"有一行超过 {MAX_LINE_CHARS} 字符", f"a line longer than {MAX_LINE_CHARS} characters"
    return None


def read_rows(path: str, schema: dict | None = None, encoding: str | None = None,
              stdin: IO[bytes] | None = None) -> Iterator[tuple[int, dict | BadRow]]:
    """(physical line number, facts) for each row of a CSV or JSON Lines file, streamed.

    schema (the declared facts) tells which CSV columns are 逐项 lists. Raises RegisterError
    for a register that cannot be read at all; a row that cannot be read is a BadRow.
    """
    suffix = Path(path).suffix.lower()
    binary = (stdin or sys.stdin.buffer) if path == "-" else None
    stream, used = sources.open_text(path, encoding, binary)
    try:
        if suffix in (".jsonl", ".ndjson", ".json") or path == "-":
            yield from _json_rows(stream, used)
        else:
            yield from _csv_rows(path, stream, used, schema)
    finally:
        if binary is None:
            stream.close()
        else:
            stream.detach()


def _json_rows(stream: IO[str], encoding: str) -> Iterator[tuple[int, dict | BadRow]]:
    for number, line in enumerate(_lines(stream), 1):
        damage = _damage(line, encoding)
        if damage:
            yield number, BadRow(" / ".join(damage))
            continue
        if not line.strip():
            continue
        try:
            row = sources.load_json(line)
        except json.JSONDecodeError as exc:
            yield number, BadRow(f"不是合法的 JSON：{exc.msg}（第{exc.colno}列） / invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        except sources.JSONLimitError as exc:
            yield number, BadRow(str(exc))
            continue
        yield number, row if isinstance(row, dict) else BadRow("每行应为一个 JSON 对象 / each line must be an object")


def _header(path: str, line: int, fields: list[str], encoding: str, schema: dict | None = None) -> list[str]:
    """Column names, checked: decodable, no name twice, no fact both whole and by year, and
    (given the declared facts) at least one column a declared fact."""
    damage = _damage("".join(fields), encoding)
    if damage:
        raise RegisterError(f"{path}:{line}: 表头{damage[0]}", f"{path}:{line}: the header has {damage[1]}")
    names = [field.strip() for field in fields]
    seen: dict[str, int] = {}
    # X -> the first column seen named X.<anything>: the same answer as searching every column
    # seen for one, without the search per column (quadratic: 218 columns took 0.04 s).
    dotted: dict[str, str] = {}
    for column, name in enumerate(names, 1):
        if not name:
            continue
        key = name
        if "." in name and name.rsplit(".", 1)[1].isdigit():
            base, year = name.rsplit(".", 1)
            key = f"{base}.{int(year)}" if len(year) <= 4 else name
            if base in seen:
                raise RegisterError(f"{path}:{line}: 列「{base}」与按年的列「{name}」同时出现（第{seen[base]}、{column}列）",
                                    f"{path}:{line}: column {base!r} and the yearly column {name!r} both appear "
                                    f"(columns {seen[base]} and {column})")
        elif name in dotted:
            other = dotted[name]
            raise RegisterError(f"{path}:{line}: 列「{name}」与按年的列「{other}」同时出现（第{seen[other]}、{column}列）",
                                f"{path}:{line}: column {name!r} and the yearly column {other!r} both appear "
                                f"(columns {seen[other]} and {column})")
        if key in seen:
            raise RegisterError(f"{path}:{line}: 列名「{name}」重复（第{seen[key]}、{column}列）：无法判断取哪一列",
                                f"{path}:{line}: the column {name!r} appears twice (columns {seen[key]} and {column})")
        seen[key] = column
        dot = key.find(".")
        while dot >= 0:
            dotted.setdefault(key[:dot], key)
            dot = key.find(".", dot + 1)
    if schema is not None:
        _names_a_fact(path, line, names, schema)
    return names


def _names_a_fact(path: str, line: int, names: list[str], schema: dict) -> None:
    """A header that names no declared fact is not a register of these policies (a file in
    another encoding read as junk, the wrong file, a header row missing): evaluating its rows
    would only report each one as bad, or — with no rows — report success on nothing."""
    bases = [name.rsplit(".", 1)[0] if "." in name and name.rsplit(".", 1)[1].isdigit() else name for name in names]
    if any(base in schema for base in bases):
        return
    shown = "、".join(runtime.shown(name) for name in names if name)[:200] or "（空）"
    shown_en = ", ".join(runtime.shown(name) for name in names if name)[:200] or "(empty)"
    near = [(name, runtime._closest(base, schema)) for name, base in zip(names, bases)
            if name and base != IDENTIFIER and len(base) <= 64]
    near = [(name, fact) for name, fact in near if fact]
    hint_zh = "".join(f"；列「{name}」是否想写「{fact}」？" for name, fact in near[:3])
    hint_en = "".join(f"; column {name!r}: did you mean {fact!r}?" for name, fact in near[:3])
    raise RegisterError(
        f"{path}:{line}: 表头没有一列是这些政策声明的事实（表头为 {shown}）：不是这些政策的名册，"
        f"或编码不对（可用 --encoding 指定）{hint_zh}",
        f"{path}:{line}: no column of the header is a fact these policies declare (header: {shown_en}): "
        f"not a register for these policies, or read in the wrong encoding (name it with --encoding){hint_en}")


def _csv_rows(path: str, stream: IO[str], encoding: str, schema: dict | None) -> Iterator[tuple[int, dict | BadRow]]:
    csv.field_size_limit(MAX_LINE_CHARS)
    reader = csv.reader(_lines(stream))
    names = None
    end = 0  # the physical line the previous row ended on: fields may hold newlines
    while True:
        start = end + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            if names is None:
                raise RegisterError(f"{path}:{start}: 表头无法读取：{exc}", f"{path}:{start}: cannot read the header: {exc}")
            yield start, BadRow(f"CSV 格式错误：{exc} / malformed CSV: {exc}")
            continue
        end = reader.line_num
        if not fields or all(not field.strip() for field in fields):
            continue  # a blank line
        if names is None:
            names = _header(path, start, fields, encoding, schema)
            columns = _columns(names, schema or {})
            continue
        damage = _damage("".join(fields), encoding)
        if damage:
            yield start, BadRow(" / ".join(damage))
        elif len(fields) != len(names):
            yield start, BadRow(f"有 {len(fields)} 列，而表头有 {len(names)} 列 / "
                                f"{len(fields)} fields, but the header has {len(names)}")
        else:
            yield start, _from_cells(columns, fields)


def _from_csv(names: list[str], fields: list[str], schema: dict) -> dict | BadRow:
    """The facts of one CSV row under the header `names`."""
    return _from_cells(_columns(names, schema), fields)


# What a CSV column holds, worked out once per header (not once per cell of every row).
_PLAIN, _BY_YEAR, _ITEMS, _UNNAMED = range(4)


def _columns(names: list[str], schema: dict) -> list[tuple]:
    """Per column: (_PLAIN, fact), (_BY_YEAR, fact, year text) for `营业收入.2019`, (_ITEMS, fact)
    for a 逐项 fact, or (_UNNAMED,) for a column with no name."""
    columns: list[tuple] = []
    for column in names:
        if not column:
            columns.append((_UNNAMED,))
        elif "." in column and column.rsplit(".", 1)[1].isdigit():
            columns.append((_BY_YEAR, *column.rsplit(".", 1)))
        elif len(schema.get(column, ())) > 3 and schema[column][3]:
            columns.append((_ITEMS, column))
        else:
            columns.append((_PLAIN, column))
    return columns


def _from_cells(columns: list[tuple], fields: list[str]) -> dict | BadRow:
    facts: dict = {}
    for column, cell in zip(columns, fields):
        cell = cell.strip()
        if cell == "":
            continue
        kind = column[0]
        if kind == _PLAIN:
            facts[column[1]] = cell
        elif kind == _BY_YEAR:
            facts.setdefault(column[1], {})[column[2]] = cell
        elif kind == _ITEMS:
            # A 逐项 fact: items separated by ";" — one item needs none.
            facts[column[1]] = [part.strip() for part in cell.replace("；", ";").split(";") if part.strip()]
        else:
            return BadRow(f"无列名的列有值 {runtime.shown(cell)} / a value under a column with no name")
    return facts


def _clause_key(result) -> str:
    return f"{result.spec.policy} {result.spec.label}"


class _Progress:
    """A one-line progress report on a terminal, redrawn at most a few times a second."""

    def __init__(self, stream: IO | None):
        self.stream = stream if stream is not None and stream.isatty() else None
        self.start = time.monotonic()
        self.shown = 0.0

    def update(self, rows: int, bad: int) -> None:
        now = time.monotonic()
        if self.stream is None or now - self.shown < 0.25:
            return
        self.shown = now
        rate = rows / max(now - self.start, 1e-9)
        self.stream.write(f"\r已处理 {rows} 行（{rate:,.0f} 行/秒），跳过 {bad} 行")
        self.stream.flush()

    def done(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")


def _identifier(value) -> str | None | BadRow:
    """The 申请人 of a row: text (or a whole number) that names one applicant."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return BadRow(f"「{IDENTIFIER}」应为文字，得到的是 {runtime.shown(value)} / "
                  f"{IDENTIFIER} must be text, got {runtime.shown(value)}")


def _fingerprint(applicant: str) -> bytes:
    """16 bytes per applicant, to find one named twice in constant memory per row."""
    return hashlib.blake2b(applicant.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class _BadRows:
    """Counts every bad row; keeps the MAX_BAD_ROWS_LISTED with the lowest line numbers."""

    def __init__(self):
        self.count = 0
        self._heap: list = []  # (-line, order, entry): a max-heap on the line number

    def add(self, line: int, error: str, applicant=None) -> None:
        self.count += 1
        entry = {"line": line, "error": error} if applicant is None else {"line": line, "applicant": applicant,
                                                                          "error": error}
        item = (-line, self.count, entry)
        if len(self._heap) < MAX_BAD_ROWS_LISTED:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def listed(self) -> list[dict]:
        return [entry for _line, _order, entry in sorted(self._heap, key=lambda item: (-item[0], item[1]))]


class Explain:
    """Which rows get today's full record (with the Chinese trace) instead of the compact
    one: every row (`--trace`), or those named by `--explain` (申请人 values, or `@LINE` for
    a physical line). Only the chosen rows are written then."""

    def __init__(self, every: bool = False, applicants=(), lines=()):
        self.every = every
        self.applicants = set(applicants)
        self.lines = set(lines)
        self.found: set = set()

    @classmethod
    def parse(cls, names) -> "Explain":
        applicants, lines = [], []
        for name in names:
            if name.startswith("@") and name[1:].isascii() and name[1:].isdigit():
                lines.append(int(name[1:]))
            else:
                applicants.append(name.strip())
        return cls(False, applicants, lines)

    def chosen(self, line: int, applicant: str | None) -> bool:
        return self.every or line in self.lines or (applicant is not None and applicant in self.applicants)

    def written(self, line: int, applicant: str | None) -> None:
        """A chosen row's full record was written (a bad row's never is)."""
        self.found.update((f"@{line}", applicant))

    def missing(self) -> list[str]:
        """The names given that matched no evaluated row, in the order given."""
        wanted = [*sorted(self.applicants), *(f"@{line}" for line in sorted(self.lines))]
        return [name for name in wanted if name not in self.found]


# A Run that keeps no trace (the compact output never shows one): the runtime's, so that
# generated decision functions falling back on their clause function use the same one.
_QuietRun = runtime.QuietRun


_COMPARE = runtime._COMPARE


class _Engine:
    """The policies evaluated for one applicant at a time, as runtime.Evaluator does, but
    with the facts validated once per row (not once per policy and again per ranking), the
    evaluation date's consequences (assessed years, policies not in force) worked out once,
    and no trace unless the row's full record is wanted."""

    def __init__(self, modules: list, on):
        self.policies = [(m.POLICY, m.CLAUSES) for m in modules]
        self.evaluator = runtime.Evaluator(self.policies)
        self.known = self.evaluator.known
        self.principles = self.evaluator.principles
        self.on = on = runtime.parse_date(on, "--on") if on is not None else datetime.date.today()
        # One validation serves every policy when every policy that declares a fact declares
        # it alike (vocabulary.pol makes that the rule); otherwise each policy validates its own.
        declared: dict = {}
        self.uniform = True
        for policy, _clauses in self.policies:
            for name, spec in policy.schema.items():
                if declared.setdefault(name, spec) != spec:
                    self.uniform = False
        self.cells: dict = {}  # (fact, cell text) -> its typed value (see _typed_row)
        # Per policy, per clause (spec, decision function, matter, special): `special` when the
        # clause is not simply decided by its decision function (see compact).
        self.steps = [[(spec, spec.decide, spec.matter,
                        spec.decide is None or spec.modifies is not None or bool(spec.payer_rules)
                        or spec.matter_fact is not None) for spec in clauses] for _policy, clauses in self.policies]
        self.plan = []  # per policy: (info, clauses, modifiers, others, assessed year, not in force)
        for (policy, clauses), modifiers, others in zip(self.policies, self.evaluator.modifiers,
                                                         self.evaluator.others):
            year = on.year - policy.assessed_offset
            self.plan.append((policy, clauses, modifiers, others, year, runtime._not_in_force(policy, on, year)))
        self.warnings = [f"{policy.docno}：{outside}，其条款均未评估"
                         for policy, _c, _m, _o, _y, outside in self.plan if outside is not None]
        # For the compact output (decisions, below): the policies whose 就高不重复 resolves a
        # matter, and the matters every result names whatever the facts (not 事项 按 X).
        self.resolving = {docno for docno, principle in self.principles.items() if principle == "就高不重复"}
        self.fixed_matters = {spec.matter for policy, clauses in self.policies if policy.docno in self.resolving
                              for spec in clauses if spec.matter is not None and spec.matter_fact is None}

    def typed(self, row: dict) -> list[dict]:
        """The row's facts validated: one dict per policy (the same dict when uniform)."""
        unknown = next((name for name in row if name not in self.known), None)
        if unknown is not None:
            runtime.validate_facts({unknown: row[unknown]}, self.known)  # raises, with a suggestion
        if self.uniform:
            return [_typed_row(row, self.known, self.cells)] * len(self.plan)
        return [runtime.validate_facts({k: v for k, v in row.items() if k in policy.schema}, policy.schema)
                for policy, *_rest in self.plan]

    def evaluate(self, typed: list[dict], traced: bool) -> list:
        """Every clause's result for one applicant, 就高不重复 applied (runtime.Evaluator.evaluate)."""
        make_run = runtime.Run if traced else _QuietRun
        factors, modifier_results = {}, {}
        for (policy, _clauses, modifiers, _others, year, outside), facts in zip(self.plan, typed):
            for spec in modifiers:
                result = _outside(spec, outside) if outside is not None else \
                    runtime._run_clause(spec, facts, year, None, make_run)
                modifier_results[id(spec)] = result
                if result.applies is True:
                    matter, coefficient = spec.modifies
                    if matter not in factors or coefficient > factors[matter][0]:
                        factors[matter] = (coefficient, f"{policy.docno}{spec.label}")
        results = []
        for (_policy, clauses, _modifiers, _others, year, outside), facts in zip(self.plan, typed):
            for spec in clauses:
                if spec.modifies is not None:
                    results.append(modifier_results[id(spec)])
                elif outside is not None:
                    results.append(_outside(spec, outside))
                else:
                    results.append(runtime._run_clause(spec, facts, year, factors.get(spec.matter), make_run))
        results = runtime.resolve(results, self.principles)  # results are frozen: the losers come back replaced
        if self.evaluator.offsetting:  # OFFSETS (抵扣, issue 13), after 就高不重复 as runtime.Evaluator does
            results = runtime.apply_offsets(results, {plan[0].docno: facts for plan, facts in zip(self.plan, typed)})
        return results


    def compact(self, typed: list[dict], include_all: bool) -> tuple[list[list], list[tuple]]:
        """The compact rows of one applicant (compact_clause's, before quotas and budgets) and
        its paid clauses ((index in the rows, spec, award min, award max)), from the clauses'
        decision functions (runtime, "decisions"): no ClauseResult, Award or trace is built,
        and a clause that does not apply costs its decision and nothing else. The same rows as
        compact_clause makes of evaluate()'s results, which tests/test_compact.py and the
        engine-agreement tests hold. A clause whose compact row needs more than its decision
        (payers by condition; a 期限 together with 事项 按 X, whose matter is read even when
        its period fails) is evaluated whole, without a trace; with offsets (抵扣), which
        reduce one clause by another, the applicant is."""
        if self.evaluator.offsetting:
            return _compact_results(self.evaluate(typed, False), include_all, self.resolving)
        decide_spec = runtime.decide_spec
        factors, modifier_decisions = {}, {}
        for (policy, _clauses, modifiers, _others, year, outside), facts in zip(self.plan, typed):
            for spec in modifiers:
                decision = False if outside is not None else decide_spec(spec, facts, year, None)
                modifier_decisions[id(spec)] = decision
                if decision is True:
                    matter, coefficient = spec.modifies
                    if matter not in factors or coefficient > factors[matter][0]:
                        factors[matter] = (coefficient, f"{policy.docno}{spec.label}")
        # (spec, applies, award decision or None, matter, payers) of each listed clause
        listed: list[list] = []
        matters = set(self.fixed_matters)
        spec = None
        try:
            for (_policy, _clauses, _modifiers, _others, year, outside), facts, steps in zip(self.plan, typed, self.steps):
                for spec, decide, matter, special in steps:
                    if special or outside is not None:
                        self._decide_special(spec, facts, year, outside, factors, modifier_decisions, include_all,
                                             listed, matters)
                        continue
                    decision = decide(facts, year, factors.get(matter) if factors else None)
                    if decision.__class__ is tuple:
                        listed.append([spec, True, decision, matter, None])
                    elif decision is None:
                        listed.append([spec, None, None, matter, None])
                    elif decision is True:
                        listed.append([spec, True, None, matter, None])
                    elif include_all:  # False, or why not
                        listed.append([spec, False, None, matter, None])
        except Exception as exc:  # as runtime._run_clause: name the clause a generated function failed in
            if spec is None or isinstance(exc, RuntimeError) and str(exc).startswith(spec.source):
                raise
            raise RuntimeError(f"{spec.source} {spec.policy} {spec.label}: {type(exc).__name__}: {exc}") from exc
        return _compact_decisions(listed, matters, self.principles)

    def _decide_special(self, spec, facts: dict, year: int, outside, factors: dict, modifier_decisions: dict,
                        include_all: bool, listed: list, matters: set) -> None:
        """compact() for a clause of a policy not in force, a modifier (decided first), one
        with payers by condition (evaluated whole, without a trace), or one whose matter is a
        fact's value (事项 按 X: read when the clause gives an award; with a 期限 too, evaluated
        whole, since the matter is read even when the period fails)."""
        if spec.modifies is not None:
            decision = modifier_decisions[id(spec)]
        elif outside is not None:
            decision = False
        elif spec.payer_rules or (spec.matter_fact is not None and spec.start_fact is not None):
            result = runtime._run_clause(spec, facts, year, factors.get(spec.matter), _QuietRun)
            if result.matter is not None and spec.policy in self.resolving:
                matters.add(result.matter)
            if result.applies is not False or include_all:
                listed.append([spec, result.applies, runtime.decision_of(result.award), result.matter, result.payers])
            return
        else:
            decision = runtime.decide_spec(spec, facts, year, factors.get(spec.matter))
        matter = spec.matter
        if spec.matter_fact is not None:  # 事项 按 X: an award's matter is X's value, when known
            value = facts.get(spec.matter_fact) if decision.__class__ is tuple else None
            if value is not None:
                matter = value
            if matter is not None and spec.policy in self.resolving:
                matters.add(matter)
        if decision.__class__ is tuple:
            listed.append([spec, True, decision, matter, None])
        elif decision is None:
            listed.append([spec, None, None, matter, None])
        elif decision is True:
            listed.append([spec, True, None, matter, None])
        elif include_all:  # False, or why not
            listed.append([spec, False, None, matter, None])


class _Slow(Exception):
    """A row _typed_row leaves to runtime.validate_facts."""


_MAX_CELLS = 200_000  # typed cells remembered; past that the memory is cleared and starts again


def _typed_row(row: dict, known: dict, cells: dict) -> dict:
    """runtime.validate_facts(row, known), remembering the typed value of each (fact, cell
    text): a register's cells repeat (amounts, 是/否, labels, years), and checking a cell
    costs more than looking it up. Values are immutable (Decimal, bool, int, str, date), so
    rows may share them. Only good cells are remembered: a row with any problem, a year
    written twice, or anything unusual is validated by validate_facts itself, which then
    gives the same value or the same FactError listing every problem."""
    if len(cells) > _MAX_CELLS:
        cells.clear()
    typed = {}
    try:
        for name, value in row.items():
            spec = known[name]  # a name not declared was refused before (Engine.typed)
            if value is None:
                continue
            if value.__class__ is str:
                checked = cells.get((name, value))
                if checked is None:
                    checked = cells[(name, value)] = runtime._validate_fact(name, value, known)
            elif value.__class__ is dict and spec[1] and not (len(spec) > 3 and spec[3]):
                checked = {}
                for year, item in value.items():
                    if item is None:
                        continue
                    number = cells.get((None, year))
                    if number is None:
                        number = cells[(None, year)] = runtime.parse_year(year)
                    if number in checked:
                        raise _Slow  # a year twice ("2019" and "2019年"): validate_facts words it
                    if item.__class__ is str:
                        item_value = cells.get((name, item))
                        if item_value is None:
                            item_value = cells[(name, item)] = runtime._parse_scalar(name, spec, item)
                    else:
                        item_value = runtime._parse_scalar(name, spec, item)
                    checked[number] = item_value
            else:
                checked = runtime._validate_fact(name, value, known)
            if checked is not None:
                typed[name] = checked
    except (runtime.FactError, _Slow):
        return runtime.validate_facts(row, known)
    return typed


def _compact_decisions(listed: list[list], matters: set, principles: dict) -> tuple[list[list], list[tuple]]:
    """The compact rows of the listed decisions, 就高不重复 applied (runtime.resolve's rule)."""
    groups: dict = {}
    for position, (_spec, applies, award, matter, _payers) in enumerate(listed):
        if applies is True and award is not None and matter is not None:
            groups.setdefault(matter, []).append(position)
    unpaid = set()
    for positions in groups.values():
        if len(positions) < 2 or not any(principles.get(listed[p][0].policy) == "就高不重复" for p in positions):
            continue
        winner, best = positions[0], runtime.award_rank(*listed[positions[0]][2][:3])
        for position in positions[1:]:
            rank = runtime.award_rank(*listed[position][2][:3])
            if rank > best:
                winner, best = position, rank
        unpaid.update(p for p in positions if p != winner)
    rows, paying = [], []
    for position, (spec, applies, award, matter, payers) in enumerate(listed):
        resolved_matter = matter if matter in matters else None
        if applies is False:
            rows.append([spec.policy, spec.label, _NOT_APPLICABLE, None, None, None, None, False, None,
                         resolved_matter, None])
            continue
        if applies is None:
            possible = spec.modifies is None
            rows.append([spec.policy, spec.label, _UNDECIDABLE, None, None, None,
                         _yuan(spec.ceiling) if possible else None, possible, None, resolved_matter, None])
            continue
        if spec.modifies is not None:
            rows.append([spec.policy, spec.label, _MODIFIER, None, None, None, None, False, None, resolved_matter,
                         None])
            continue
        if award is None:
            raise ValueError(f"{spec.policy}{spec.label}: applies, not a modifier, and no award")
        kind, low, high = award[0], award[1], award[2]
        funding = None
        if position in unpaid:
            why = _NOT_HIGHEST
        else:
            paying.append((len(rows), spec, low, high))
            if kind == "routing":
                why = _ROUTING
            else:
                why = _PAID
                split = payers if spec.payer_rules else spec.split
                if split is not None and low is not None and high is not None:
                    funding = {share.payer: {"min": _yuan(share.min), "max": _yuan(share.max)}
                               for share in runtime.funding_shares(split, low, high)}
        rows.append([spec.policy, spec.label, why, kind, _yuan(low), _yuan(high), None, False, funding,
                     resolved_matter, None])
    return rows, paying


def _compact_results(results: list, include_all: bool, resolving: set) -> tuple[list[list], list[tuple]]:
    """The compact rows and paid clauses of full results (a traced row's, or with offsets)."""
    shown = results if include_all else [r for r in results if r.applies is not False]
    # 就高不重复 resolves a matter when any policy covering it (any result naming it) says so.
    resolved = {r.matter for r in results if r.matter is not None and r.spec.policy in resolving}
    rows = [compact_clause(r, r.matter if r.matter in resolved else None) for r in shown]
    paying = [(index, r.spec, r.award.min, r.award.max) for index, r in enumerate(shown) if r.paid]
    return rows, paying


def _outside(spec, outside: str):
    return runtime.clause_result(spec, False, None, outside, [outside], [])


# A clause row while the batch runs: the compact row's fields, plus what the total needs.
# Plain lists of str/None so that marshal spools them without a second JSON encoding.
POLICY, LABEL, REASON, KIND, MIN, MAX, COULD_PAY, POSSIBLE, FUNDING, MATTER, ALLOCATION = range(11)


_R = compact.Reason
_NOT_APPLICABLE, _UNDECIDABLE, _MODIFIER, _NOT_HIGHEST, _ROUTING, _PAID = (
    _R.NOT_APPLICABLE.value, _R.UNDECIDABLE.value, _R.MODIFIER.value, _R.NOT_HIGHEST.value, _R.ROUTING.value,
    _R.PAID.value)
_yuan = runtime.yuan


def compact_clause(result, matter) -> list:
    """The compact row of one result (before quotas and budgets), as compact.project_clause
    gives for its full row; `matter` is its matter if 就高不重复 resolves it, else None."""
    spec, award, applies = result.spec, result.award, result.applies
    possible = False
    could_pay = funding = None
    if applies is False:
        why = _NOT_APPLICABLE
    elif applies is None:
        why = _UNDECIDABLE
        possible = spec.modifies is None
        could_pay = _yuan(spec.ceiling) if possible else None
    elif spec.modifies is not None:
        why = _MODIFIER
    elif award is None:
        raise ValueError(f"{spec.policy}{spec.label}: applies, not a modifier, and no award")
    elif not result.paid:
        why = _NOT_HIGHEST
    elif award.kind == "routing":
        why = _ROUTING
    else:
        why = _PAID
        if spec.split is not None or spec.payer_rules:  # issue 13: payers by condition
            shares = result.funding  # Decimal shares; strings in the output, as in the full record
            funding = None if shares is None else {s.payer: {"min": _yuan(s.min), "max": _yuan(s.max)} for s in shares}
    if award is None:
        return [spec.policy, spec.label, why, None, None, None, could_pay, possible, funding, matter, None]
    return [spec.policy, spec.label, why, award.kind, _yuan(award.min), _yuan(award.max), could_pay, possible,
            funding, matter, None]


def _compact_row(clause: list) -> dict:
    row = {"policy": clause[POLICY], "clause": clause[LABEL], "reason": clause[REASON]}
    if clause[KIND] is not None:
        row["kind"] = clause[KIND]
        if clause[MIN] is not None:
            row["min"] = clause[MIN]
        if clause[MAX] is not None or clause[MIN] is not None:  # an at_least award: a minimum, max null (open)
            row["max"] = clause[MAX]
    if clause[COULD_PAY] is not None and clause[REASON] == "undecidable":
        row["could_pay"] = clause[COULD_PAY]
    if clause[ALLOCATION] is not None:
        row["allocation"] = clause[ALLOCATION]
    if clause[FUNDING] is not None and clause[REASON] == "paid":
        row["funding"] = clause[FUNDING]
    return row


def _total(clauses: list[list], rooms=None) -> dict:
    """The applicant's total after quotas and budgets, as runtime.totals adds it up: `max`
    also counts what undecidable clauses and those awaiting the reviewers' selection
    (needs_selection, list_over) could pay, with 就高不重复 applied per matter."""
    paid, possible = [], []
    for c in clauses:
        reason = c[REASON]
        if reason in ("paid", "routing"):
            paid.append((c[KIND], _number(c[MIN]), _number(c[MAX]), c[POLICY] + c[LABEL], c[MATTER], c[POLICY]))
        elif reason == "undecidable":
            if c[POSSIBLE]:
                possible.append((c[POLICY] + c[LABEL], _number(c[COULD_PAY]), c[MATTER], c[POLICY]))
        elif reason in ("needs_selection", "list_over") and c[KIND] is not None and c[KIND] != "routing":
            possible.append((c[POLICY] + c[LABEL], _number(c[MAX]), c[MATTER], c[POLICY]))
    return runtime.add_up(paid, possible, rooms)


# ---- issue 13: caps per enterprise (r14-caps)
def _rooms_text(policies, typed) -> dict | None:
    """The row's room under each policy's 企业上限 (runtime.cap_rooms), as text for the spool."""
    rooms = runtime.cap_rooms(policies, typed)
    return {docno: (str(low), str(high)) for docno, (low, high) in rooms.items()} or None


def _capped(clauses: list[list], full: dict | None, rooms: dict | None) -> dict | None:
    """After quotas and budgets: each paid money clause of a policy whose 企业上限 binds
    (runtime.cap_cuts over the clauses still paid) marked "capped" (as runtime.mark_capped; a within_quota/within_budget
    mark gives way to it, an unpaid one is not paid and not counted). Returns the rooms
    (Decimals) for _total."""
    if not rooms:
        return None
    rooms = {docno: (Decimal(low), Decimal(high)) for docno, (low, high) in rooms.items()}
    paid = [(c[POLICY], c[KIND], _number(c[MIN]), _number(c[MAX])) for c in clauses if c[REASON] == _PAID]
    cuts = runtime.cap_cuts(paid, rooms)
    for index, c in enumerate(clauses):
        if c[REASON] == _PAID and c[POLICY] in cuts and c[KIND] not in runtime._OPEN_KINDS:
            c[ALLOCATION] = "capped"
            if full is not None:
                full["clauses"][index]["allocation"] = "capped"
    return rooms


def _number(text):
    return None if text is None else Decimal(text)


class _Spool:
    """Rows between the passes, in a temporary file, marshalled (plain lists and strings),
    each behind its length: marshal.load on a file reads value by value, far slower."""

    def __init__(self):
        self.file = tempfile.TemporaryFile("w+b")

    def write(self, item) -> None:
        data = marshal.dumps(item)
        self.file.write(len(data).to_bytes(4, "little") + data)

    def __iter__(self):
        self.file.seek(0)
        read, loads = self.file.read, marshal.loads
        while size := read(4):
            yield loads(read(int.from_bytes(size, "little")))

    def close(self) -> None:
        self.file.close()


def run(modules: list, source: str, on, out, errors: IO, include_all: bool = False,
        encoding: str | None = None, explain: Explain | None = None) -> dict:
    """Evaluate a register; write the results to `out` (a compact writer, or a text stream
    for JSON Lines) and return the summary (also written, as the last line in JSON Lines).
    Compact records for every row, or with `explain`, full records for the rows it chooses.
    Raises RegisterError before writing anything if the register cannot be read at all."""
    writer = out if hasattr(out, "record") else compact.JsonLinesWriter(out)
    engine = _Engine(modules, on)
    on = engine.on
    budgets = {policy.docno: policy.budgets for policy, _ in engine.policies if policy.budgets}
    infos = {policy.docno: policy for policy, _ in engine.policies}
    index_of_policy = {policy.docno: index for index, (policy, _) in enumerate(engine.policies)}
    quota_candidates: dict[str, list] = {}
    quota_specs: dict[str, tuple] = {}
    budget_candidates: dict[tuple, list] = {}
    stats: dict[str, dict] = {}
    bad_rows, rows_read = _BadRows(), 0
    seen: set[bytes] = set()  # fingerprints of the applicants of the rows evaluated
    named_twice: set[str] = set()  # applicants on more than one line
    progress = _Progress(errors)
    spool = _Spool()
    on_text = str(on)
    for line_number, row in read_rows(source, engine.known, encoding):
        rows_read += 1
        progress.update(rows_read, bad_rows.count)
        if isinstance(row, BadRow):
            bad_rows.add(line_number, str(row))
            continue
        applicant = _identifier(row.pop(IDENTIFIER, None))
        if isinstance(applicant, BadRow):
            bad_rows.add(line_number, str(applicant))
            continue
        fingerprint = _fingerprint(applicant) if applicant is not None else None
        if fingerprint in seen:
            # The earlier row is set aside after pass one, when it is read back.
            named_twice.add(applicant)
            bad_rows.add(line_number, _twice(applicant), applicant)
            continue
        traced = explain is not None and explain.chosen(line_number, applicant)
        full = None
        try:
            typed = engine.typed(row)
            if traced:
                results = engine.evaluate(typed, True)
                clauses, paying = _compact_results(results, include_all, engine.resolving)
                full = {"line": line_number, "applicant": applicant, "on": on_text,
                        "clauses": [r.to_json() for r in results if include_all or r.applies is not False],
                        "total": None, "warnings": engine.warnings}
            else:
                clauses, paying = engine.compact(typed, include_all)
        except runtime.FactError as exc:
            bad_rows.add(line_number, f"事实「{exc.fact}」{exc.problem_zh} / {exc.problem_en}", applicant)
            continue
        competing = []  # (quota key or budget key, candidate): added only when the whole row is good
        for index, spec, award_min, award_max in paying:
            if spec.quota is None and spec.policy not in budgets:
                continue
            if applicant is None:
                # Ranking needs an identifier for ties; without one the row cannot compete fairly.
                competing = None
                break
            facts = typed[index_of_policy[spec.policy]]
            if spec.quota is not None:
                key = f"{spec.policy} {spec.label}"
                values = _rank(spec.quota[3], facts, infos[spec.policy], on)
                group = _rank(_group_keys(spec.quota), facts, infos[spec.policy], on)
                competing.append(("quota", key, spec.quota, (applicant, values, (line_number, index), group)))
            if award_max is not None and spec.policy in budgets:
                for budget in budgets[spec.policy]:
                    payer, keys = budget[0], budget[2]
                    cost = award_max * runtime.payer_share(spec, payer)
                    if cost > 0:
                        values = _rank(keys, facts, infos[spec.policy], on)
                        candidate = (applicant, values, (line_number, index), cost)
                        if _prorated(budget):  # the minimum is scaled too
                            candidate += (award_min,)
                        competing.append(("budget", (spec.policy, payer), None, candidate))
        if competing is None:
            bad_rows.add(line_number, f"缺少「{IDENTIFIER}」列：名额或预算排序需要申请人标识 / "
                                      f"the {IDENTIFIER} column is needed to rank applicants")
            continue
        for kind, key, quota, candidate in competing:
            if kind == "quota":
                quota_specs[key] = quota
                quota_candidates.setdefault(key, []).append(candidate)
            else:
                budget_candidates.setdefault(key, []).append(candidate)
        if fingerprint is not None:
            seen.add(fingerprint)
        spool.write((line_number, applicant, clauses, full, _rooms_text(engine.policies, typed)))
    progress.done()
    seen.clear()
    if named_twice:
        # No row of an applicant named on several lines is ranked or paid: which of them
        # counts is not for the order of the input to decide.
        quota_candidates = {k: [c for c in v if c[0] not in named_twice] for k, v in quota_candidates.items()}
        budget_candidates = {k: [c for c in v if c[0] not in named_twice] for k, v in budget_candidates.items()}

    decisions, quota_summary, budget_summary = _allocate(quota_specs, quota_candidates, budget_candidates, budgets)

    for line_number, applicant, clauses, full, rooms in spool:
        if applicant in named_twice:
            bad_rows.add(line_number, _twice(applicant), applicant)
            continue
        for index, clause in enumerate(clauses):
            decision = decisions.get((line_number, index))
            if decision is None:
                continue
            allocation = decision[0]
            clause[ALLOCATION] = allocation
            if allocation in compact.UNPAID_ALLOCATIONS:
                clause[REASON] = allocation
            if allocation == runtime.PRORATED:
                _apply_prorated(clause, None if full is None else full["clauses"][index], decision[3])
            elif full is not None:
                _mark(full["clauses"][index], *decision)
        total = _total(clauses, _capped(clauses, full, rooms))  # marks "capped"; the rooms as Decimals
        for clause in clauses:
            _count(stats, clause)
        if explain is None:
            writer.record({"line": line_number, IDENTIFIER: applicant,
                           "clauses": [_compact_row(c) for c in clauses], "total": compact.project_total(total)})
        elif full is not None:
            full["total"] = total
            writer.full(full)
            explain.written(line_number, applicant)
    spool.close()
    for bad in bad_rows.listed():
        errors.write(f"{source}:{bad['line']}: 第{bad['line']}行已跳过 / line {bad['line']} skipped: {bad['error']}\n")
    if bad_rows.count > MAX_BAD_ROWS_LISTED:
        errors.write(f"……共跳过 {bad_rows.count} 行，只列出前 {MAX_BAD_ROWS_LISTED} 行 / "
                     f"{bad_rows.count} rows skipped, the first {MAX_BAD_ROWS_LISTED} listed\n")
    summary = {
        "on": str(on) if on else None, "rows": rows_read, "evaluated": rows_read - bad_rows.count,
        "bad_rows": {"count": bad_rows.count, "listed": bad_rows.listed()},
        "clauses": {f"{policy} {label}": _finish(value) for (policy, label), value in stats.items()},
        "quotas": quota_summary, "budgets": budget_summary,
    }
    outcomes = outcome_counts({f"{spec.policy} {spec.label}": spec for _p, specs in engine.policies for spec in specs},
                              summary["clauses"])
    if outcomes:
        summary["outcomes"] = outcomes
    writer.summary(summary)
    return summary


def _allocate(quota_specs: dict, quota_candidates: dict, budget_candidates: dict, budgets: dict):
    """Quotas, then budgets (rows outside a quota, needing selection or over a list do not
    draw on a budget): {(line, clause index): (allocation, place, 名额|预算)} and the summaries."""
    decisions: dict[tuple, tuple] = {}
    quota_summary = {}
    for key, candidates in sorted(quota_candidates.items()):
        decided, summary = runtime.allocate_quota(quota_specs[key], candidates)
        quota_summary[key] = summary
        for payload, (allocation, place) in decided.items():
            decisions[payload] = (allocation, place, "名额")
    budget_summary = {}
    for (policy, payer), candidates in sorted(budget_candidates.items()):
        eligible = [c for c in candidates
                    if decisions.get(c[2], ("within_quota",))[0] not in ("outside_quota", "needs_selection", "list_over")]
        budget = next(b for b in budgets[policy] if b[0] == payer)
        if _prorated(budget):
            _allocate_prorated(budget, eligible, decisions, budget_summary, f"{policy} {payer}")
            continue
        decided, summary = runtime.allocate_budget(budget, eligible)
        budget_summary[f"{policy} {payer}"] = summary
        for payload, (allocation, place) in decided.items():
            if allocation == "outside_budget" or payload not in decisions:
                decisions[payload] = (allocation, place, "预算")
    return decisions, quota_summary, budget_summary


# ---- issue 13: outcomes that are not money
def outcome_counts(specs: dict, clauses: dict) -> dict:
    """The summary's `outcomes`: for each listed clause whose result is not money (免收手续费,
    优先保障用地指标, 列入名单, 由X审定), its verb, its object and how many applicants are
    given it (its `paid` count: within any quota). Both engines build it from their
    per-clause counts, in the same order."""
    counts = {}
    for key, entry in clauses.items():
        spec = specs.get(key)
        if spec is not None and spec.outcome is not None:
            counts[key] = {"outcome": spec.outcome[0], "object": spec.outcome[1], "count": entry["paid"]}
    return counts


# ---- issue 13: budgets that pro-rate (预算 … 按比例核减)
def _prorated(budget) -> bool:
    return len(budget) > 3 and budget[3] == "prorate"


def _allocate_prorated(budget, eligible: list, decisions: dict, budget_summary: dict, key: str) -> None:
    """runtime.allocate_budget_prorata over the awards a quota left in; its decision replaces
    a within_quota one (the award's amount changes, and the row must say why)."""
    decided, amounts, summary = runtime.allocate_budget_prorata(budget, eligible)
    budget_summary[key] = summary
    for payload, (allocation, place) in decided.items():
        decisions[payload] = (allocation, place, "预算", amounts.get(payload))


def _apply_prorated(clause: list, full: dict | None, amounts) -> None:
    """A prorated award: the compact row (and the full record, if written) get the funded
    amounts; the reason stays paid."""
    low, high = amounts
    before = clause[MAX]
    if low is not None:
        clause[MIN] = _yuan(low)
    clause[MAX] = _yuan(high)
    if full is not None:
        full["allocation"] = runtime.PRORATED
        award = full.get("award") or {}
        if low is not None:
            award["min"] = _yuan(low)
        award["max"] = _yuan(high)
        full["reason"] = f"符合条件；申请总额超出预算，按比例核减：{before} 元核减为 {_yuan(high)} 元"


def _twice(applicant: str) -> str:
    return (f"「{IDENTIFIER}」{runtime.shown(applicant)} 出现在多于一行：这些行都不评估（以哪一行为准不能由输入顺序决定） / "
            f"{IDENTIFIER} {runtime.shown(applicant)} is on more than one line: none of them is evaluated "
            f"(the order of the input may not decide which counts)")


def _group_keys(quota) -> tuple:
    """The facts that place an applicant in a quota's group: 每个 facts, then 基数."""
    base, groups = (quota[4], quota[5]) if len(quota) > 5 else (None, ())
    return tuple((name, False) for name in (*groups, *((base,) if base else ())))


def _rank(keys, facts: dict, info, on) -> tuple:
    """Typed values of the ranking facts for one applicant (yearly: the assessed year)."""
    values = []
    for name, _descending in keys:
        typed = facts.get(name) if name in info.schema else None
        if isinstance(typed, dict):
            typed = typed.get(on.year - info.assessed_offset)
        values.append(typed)
    return tuple(values)


# allocation values (README, batch): within_quota / within_budget; outside_quota /
# outside_budget (ranked: past the limit in the declared order, not paid); needs_selection
# (no declared order and more qualify than the places or the money: the reviewers choose,
# not paid until they do); list_over (a percentage quota exceeded by the proposed list, which
# its proposers must cut).
def _mark(clause: dict, allocation: str, place, what: str) -> None:
    clause["allocation"] = allocation
    if allocation in ("outside_quota", "outside_budget"):
        clause["paid"] = False
        clause["reason"] = f"符合条件，但{what}已满（排第{place}位），本年度不予支付"
    elif allocation == "needs_selection" and place == runtime.UNPLACED:
        clause["paid"] = False
        clause["reason"] = f"符合条件；缺少{what}的分组或基数事实，无法归入{what}，由评审确定（待定，暂不计入已付）"
    elif allocation == "needs_selection":
        clause["paid"] = False
        clause["reason"] = f"符合条件；符合者超出{what}，政策未规定排序，由评审择优确定（待定，暂不计入已付）"
    elif allocation == "list_over":
        clause["paid"] = False
        clause["reason"] = f"符合条件；本批名单超出{what}比例，需由推荐单位按规定核减（政策未规定排序）"


def _count(stats: dict, clause: list) -> None:
    key = (clause[POLICY], clause[LABEL])
    entry = stats.get(key)
    if entry is None:
        entry = stats[key] = {"applies": 0, "undecidable": 0, "paid": 0, "outside_quota": 0, "outside_budget": 0,
                              "list_over": 0, "needs_selection": 0, "min": Decimal(0), "max": Decimal(0)}
    reason = clause[REASON]
    if reason == "undecidable":
        entry["undecidable"] += 1
    elif reason != "not_applicable":
        entry["applies"] += 1
    if clause[ALLOCATION] in compact.UNPAID_ALLOCATIONS:
        entry[clause[ALLOCATION]] += 1
    if reason == "paid" or reason == "routing":
        entry["paid"] += 1
        if clause[MAX] is not None:
            entry["min"] += Decimal(clause[MIN])
            entry["max"] += Decimal(clause[MAX])


def _finish(entry: dict) -> dict:
    return {**entry, "min": runtime.yuan(entry["min"]), "max": runtime.yuan(entry["max"])}


class Output:
    """Where `--out` results go: a temporary file beside the target, renamed over it only
    when the run is complete, so the target is either the old file or the whole new one
    (a run killed half way leaves the old file and a `.NAME.*.partial` beside it). The
    file gets the mode of the file it replaces, or 0666 less the umask for a new one.
    A target that exists but is not a regular file (a FIFO, /dev/stdout) is written directly.

    Raises OSError (a path that cannot be written); the caller checks the path first."""

    def __init__(self, target: str):
        self.target = os.path.realpath(target)  # write through a symlink, not over it
        self.temp = None
        try:
            status = os.stat(self.target)
        except FileNotFoundError:
            status = None
        if status is not None and not stat.S_ISREG(status.st_mode):
            self.stream = open(self.target, "w", encoding="utf-8", newline="\n")
            return
        if status is not None:
            self.mode = stat.S_IMODE(status.st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            self.mode = 0o666 & ~umask
        directory, name = os.path.split(self.target)
        handle, self.temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".partial")
        self.stream = os.fdopen(handle, "w", encoding="utf-8", newline="\n")

    def commit(self) -> None:
        self.stream.flush()
        if self.temp is None:
            self.stream.close()
            return
        os.fsync(self.stream.fileno())
        self.stream.close()
        os.chmod(self.temp, self.mode)
        os.replace(self.temp, self.target)
        self.temp = None

    def discard(self) -> None:
        try:
            self.stream.close()
        except OSError:
            pass  # closing flushes: on a full disk that fails too, and the file goes anyway
        if self.temp is not None:
            try:
                os.unlink(self.temp)
            except OSError:
                pass
            self.temp = None
