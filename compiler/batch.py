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
import hashlib
import heapq
import json
import os
import stat
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import IO, Iterator

from . import runtime, source as sources

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
        elif any(other.startswith(name + ".") for other in seen):
            other = next(o for o in seen if o.startswith(name + "."))
            raise RegisterError(f"{path}:{line}: 列「{name}」与按年的列「{other}」同时出现（第{seen[other]}、{column}列）",
                                f"{path}:{line}: column {name!r} and the yearly column {other!r} both appear "
                                f"(columns {seen[other]} and {column})")
        if key in seen:
            raise RegisterError(f"{path}:{line}: 列名「{name}」重复（第{seen[key]}、{column}列）：无法判断取哪一列",
                                f"{path}:{line}: the column {name!r} appears twice (columns {seen[key]} and {column})")
        seen[key] = column
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
            continue
        damage = _damage("".join(fields), encoding)
        if damage:
            yield start, BadRow(" / ".join(damage))
        elif len(fields) != len(names):
            yield start, BadRow(f"有 {len(fields)} 列，而表头有 {len(names)} 列 / "
                                f"{len(fields)} fields, but the header has {len(names)}")
        else:
            yield start, _from_csv(names, fields, schema or {})


def _from_csv(names: list[str], fields: list[str], schema: dict) -> dict | BadRow:
    facts: dict = {}
    for column, cell in zip(names, fields):
        cell = cell.strip()
        if cell == "":
            continue
        if not column:
            return BadRow(f"无列名的列有值 {runtime.shown(cell)} / a value under a column with no name")
        if "." in column and column.rsplit(".", 1)[1].isdigit():
            name, year = column.rsplit(".", 1)
            facts.setdefault(name, {})[year] = cell
        elif len(schema.get(column, ())) > 3 and schema[column][3]:
            # A 逐项 fact: items separated by ";" — one item needs none.
            facts[column] = [part.strip() for part in cell.replace("；", ";").split(";") if part.strip()]
        else:
            facts[column] = cell
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


def run(modules: list, source: str, on, out: IO, errors: IO, include_all: bool = False,
        encoding: str | None = None) -> dict:
    """Evaluate a register; write JSON lines to `out` and return the summary (also written
    as the last line, {"summary": …}). Raises RegisterError before writing anything if the
    register cannot be read at all."""
    policies = [(m.POLICY, m.CLAUSES) for m in modules]
    evaluator = runtime.Evaluator(policies)
    on = runtime.parse_date(on, "--on") if on is not None else None
    budgets = {policy.docno: policy.budgets for policy, _ in policies if policy.budgets}
    infos = {policy.docno: policy for policy, _ in policies}
    principles = {policy.docno: policy.principle for policy, _ in policies}
    quota_candidates: dict[str, list] = {}
    quota_specs: dict[str, tuple] = {}
    budget_candidates: dict[tuple, list] = {}
    stats: dict[str, dict] = {}
    bad_rows, rows_read = _BadRows(), 0
    seen: set[bytes] = set()  # fingerprints of the applicants of the rows evaluated
    named_twice: set[str] = set()  # applicants on more than one line
    progress = _Progress(errors)
    spool = tempfile.TemporaryFile("w+", encoding="utf-8")
    for line_number, row in read_rows(source, evaluator.known, encoding):
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
        try:
            evaluation = evaluator.evaluate(row, on)
            shown = [r for r in evaluation.clauses if include_all or r.applies is not False]
            competes = any(r.paid and (r.spec.quota is not None or r.spec.policy in budgets) for r in shown)
            if competes and applicant is None:
                # Ranking needs an identifier for ties; without one the row cannot compete fairly.
                bad_rows.add(line_number, f"缺少「{IDENTIFIER}」列：名额或预算排序需要申请人标识 / "
                                          f"the {IDENTIFIER} column is needed to rank applicants")
                continue
            competing = []  # (quota key or budget key, candidate): added only when the whole row is good
            for index, result in enumerate(shown):
                key = _clause_key(result)
                spec = result.spec
                if result.paid and spec.quota is not None:
                    values = _rank(spec.quota[3], row, evaluation, result, infos)
                    group = _rank(_group_keys(spec.quota), row, evaluation, result, infos)
                    competing.append(("quota", key, spec.quota, (applicant, values, (line_number, index), group)))
                if result.paid and result.award.max is not None and spec.policy in budgets:
                    for payer, amount, keys in budgets[spec.policy]:
                        cost = result.award.max * runtime.payer_share(spec, payer)
                        if cost > 0:
                            values = _rank(keys, row, evaluation, result, infos)
                            competing.append(("budget", (spec.policy, payer), None,
                                              (applicant, values, (line_number, index), cost)))
        except runtime.FactError as exc:
            bad_rows.add(line_number, f"事实「{exc.fact}」{exc.problem_zh} / {exc.problem_en}", applicant)
            continue
        for kind, key, quota, candidate in competing:
            if kind == "quota":
                quota_specs[key] = quota
                quota_candidates.setdefault(key, []).append(candidate)
            else:
                budget_candidates.setdefault(key, []).append(candidate)
        if fingerprint is not None:
            seen.add(fingerprint)
        record = {"line": line_number, "applicant": applicant, "on": str(evaluation.on),
                  "clauses": [r.to_json() for r in shown], "total": evaluation.total.to_json(),
                  "warnings": evaluation.warnings}
        spool.write(json.dumps(record, ensure_ascii=False) + "\n")
    progress.done()
    seen.clear()
    if named_twice:
        # No row of an applicant named on several lines is ranked or paid: which of them
        # counts is not for the order of the input to decide.
        quota_candidates = {k: [c for c in v if c[0] not in named_twice] for k, v in quota_candidates.items()}
        budget_candidates = {k: [c for c in v if c[0] not in named_twice] for k, v in budget_candidates.items()}

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
        decided, summary = runtime.allocate_budget(budget, eligible)
        budget_summary[f"{policy} {payer}"] = summary
        for payload, (allocation, place) in decided.items():
            if allocation == "outside_budget" or payload not in decisions:
                decisions[payload] = (allocation, place, "预算")

    spool.seek(0)
    for text in spool:
        record = json.loads(text)
        if record["applicant"] in named_twice:
            bad_rows.add(record["line"], _twice(record["applicant"]), record["applicant"])
            continue
        for index, clause in enumerate(record["clauses"]):
            decision = decisions.get((record["line"], index))
            if decision is not None:
                _mark(clause, *decision)
        record["total"] = _total(record["clauses"], principles)
        for clause in record["clauses"]:
            _count(stats, clause)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    spool.close()
    for bad in bad_rows.listed():
        errors.write(f"{source}:{bad['line']}: 第{bad['line']}行已跳过 / line {bad['line']} skipped: {bad['error']}\n")
    if bad_rows.count > MAX_BAD_ROWS_LISTED:
        errors.write(f"……共跳过 {bad_rows.count} 行，只列出前 {MAX_BAD_ROWS_LISTED} 行 / "
                     f"{bad_rows.count} rows skipped, the first {MAX_BAD_ROWS_LISTED} listed\n")
    summary = {
        "on": str(on) if on else None, "rows": rows_read, "evaluated": rows_read - bad_rows.count,
        "bad_rows": {"count": bad_rows.count, "listed": bad_rows.listed()},
        "clauses": {key: _finish(value) for key, value in stats.items()},
        "quotas": quota_summary, "budgets": budget_summary,
    }
    out.write(json.dumps({"summary": summary}, ensure_ascii=False) + "\n")
    return summary


def _twice(applicant: str) -> str:
    return (f"「{IDENTIFIER}」{runtime.shown(applicant)} 出现在多于一行：这些行都不评估（以哪一行为准不能由输入顺序决定） / "
            f"{IDENTIFIER} {runtime.shown(applicant)} is on more than one line: none of them is evaluated "
            f"(the order of the input may not decide which counts)")


def _group_keys(quota) -> tuple:
    """The facts that place an applicant in a quota's group: 每个 facts, then 基数."""
    base, groups = (quota[4], quota[5]) if len(quota) > 5 else (None, ())
    return tuple((name, False) for name in (*groups, *((base,) if base else ())))


def _rank(keys, row: dict, evaluation, result, infos: dict) -> tuple:
    """Typed values of the ranking facts for one applicant (yearly: the assessed year)."""
    info = infos[result.spec.policy]
    values = []
    for name, _descending in keys:
        spec = info.schema.get(name)
        if row.get(name) is None or spec is None:
            values.append(None)
            continue
        typed = runtime.validate_facts({name: row[name]}, {name: spec})[name]
        if isinstance(typed, dict):
            typed = typed.get(evaluation.on.year - info.assessed_offset)
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


def _total(clauses: list[dict], principles: dict) -> dict:
    """The applicant's total after quotas and budgets, added up as runtime.totals does: `max`
    also counts what undecidable clauses and those awaiting the reviewers' selection
    (needs_selection, list_over) could pay, with 就高不重复 applied per matter."""
    def number(text):
        return None if text is None else Decimal(text)

    def label(c):
        return c["policy"] + c["article"] + (f"第{c['item']}项" if c["item"] is not None else "")
    resolved = {c["matter"] for c in clauses if c["matter"] is not None and principles.get(c["policy"]) == "就高不重复"}

    def matter(c):
        return c["matter"] if c["matter"] in resolved else None
    possible = [(label(c), number(c.get("could_pay")), matter(c)) for c in clauses
                if c["applies"] is None and "could_pay" in c]
    possible += [(label(c), number(c["award"]["max"]), matter(c)) for c in clauses
                 if c.get("allocation") in ("needs_selection", "list_over") and c["award"] is not None
                 and c["award"]["kind"] != "routing"]
    return runtime.add_up(((c["award"]["kind"], number(c["award"]["min"]), number(c["award"]["max"]), label(c), matter(c))
                           for c in clauses if c["paid"] and c["award"] is not None), possible)


def _count(stats: dict, clause: dict) -> None:
    label = clause["article"] + (f"第{clause['item']}项" if clause["item"] is not None else "")
    entry = stats.setdefault(f"{clause['policy']} {label}", {
        "applies": 0, "undecidable": 0, "paid": 0, "outside_quota": 0, "outside_budget": 0, "list_over": 0,
        "needs_selection": 0,
        "min": Decimal(0), "max": Decimal(0)})
    if clause["applies"] is True:
        entry["applies"] += 1
    elif clause["applies"] is None:
        entry["undecidable"] += 1
    if clause.get("allocation") in ("outside_quota", "outside_budget", "list_over", "needs_selection"):
        entry[clause["allocation"]] += 1
    if clause["paid"]:
        entry["paid"] += 1
        award = clause["award"]
        if award and award["max"] is not None:
            entry["min"] += Decimal(award["min"])
            entry["max"] += Decimal(award["max"])


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
