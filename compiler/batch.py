"""`polc eval --batch`: every policy against every enterprise of a register.

Rows come from CSV (column names = fact names; a yearly series as columns `营业收入.2019`;
items of a 逐项 fact separated by `;`) or JSON Lines (one facts object per line). The column
or key `申请人` identifies the applicant; it is required whenever a quota or a budget has to
rank applicants, because remaining ties go to it and never to the order of the input.

Two passes, so memory does not grow with the register: pass one streams the rows through
the generated evaluators and writes one JSON line per applicant to a temporary file,
keeping in memory only the applicants that compete for a quota or a budget; then the
quotas and budgets are decided; pass two copies the lines to the output, marking those
outside a quota or a budget. A bad row is reported with its line number and skipped; the
summary counts it.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import IO, Iterator

from . import runtime

IDENTIFIER = "申请人"
MAX_BAD_ROWS_LISTED = 100


class BadRow(Exception):
    """A row that cannot be read at all (not JSON, not an object)."""


def read_rows(path: str) -> Iterator[tuple[int, dict | BadRow]]:
    """(line number, facts) for each row of a CSV or JSON Lines file."""
    suffix = Path(path).suffix.lower()
    handle = sys.stdin if path == "-" else open(path, encoding="utf-8-sig", newline="")
    try:
        if suffix in (".jsonl", ".ndjson", ".json") or path == "-":
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line, parse_float=Decimal)
                except json.JSONDecodeError as exc:
                    yield number, BadRow(f"不是合法的 JSON：{exc.msg}（第{exc.colno}列） / invalid JSON")
                    continue
                yield number, row if isinstance(row, dict) else BadRow("每行应为一个 JSON 对象 / each line must be an object")
        else:
            reader = csv.DictReader(handle)
            for number, row in enumerate(reader, 2):  # line 1 is the header
                yield number, _from_csv(row)
    finally:
        if handle is not sys.stdin:
            handle.close()


def _from_csv(row: dict) -> dict:
    facts: dict = {}
    for column, cell in row.items():
        if column is None or cell is None or cell.strip() == "":
            continue
        cell = cell.strip()
        if "." in column and column.rsplit(".", 1)[1].isdigit():
            name, year = column.rsplit(".", 1)
            facts.setdefault(name, {})[year] = cell
        elif ";" in cell or "；" in cell:
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


def run(modules: list, source: str, on, out: IO, errors: IO, include_all: bool = False) -> dict:
    """Evaluate a register; write JSON lines to `out` and return the summary (also written
    as the last line, {"summary": …})."""
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
    bad_rows, rows_read = [], 0
    progress = _Progress(errors)
    spool = tempfile.TemporaryFile("w+", encoding="utf-8")
    for line_number, row in read_rows(source):
        rows_read += 1
        progress.update(rows_read, len(bad_rows))
        if isinstance(row, BadRow):
            bad_rows.append({"line": line_number, "error": str(row)})
            continue
        applicant = row.pop(IDENTIFIER, None)
        try:
            evaluation = evaluator.evaluate(row, on)
        except runtime.FactError as exc:
            bad_rows.append({"line": line_number, "applicant": applicant,
                             "error": f"事实「{exc.fact}」{exc.problem_zh} / {exc.problem_en}"})
            continue
        shown = [r for r in evaluation.clauses if include_all or r.applies is not False]
        competes = any(r.paid and (r.spec.quota is not None or r.spec.policy in budgets) for r in shown)
        if competes and applicant is None:
            # Ranking needs an identifier for ties; without one the row cannot compete fairly.
            bad_rows.append({"line": line_number, "error": f"缺少「{IDENTIFIER}」列：名额或预算排序需要申请人标识 / "
                                                           f"the {IDENTIFIER} column is needed to rank applicants"})
            continue
        for index, result in enumerate(shown):
            key = _clause_key(result)
            spec = result.spec
            if result.paid and spec.quota is not None:
                quota_specs[key] = spec.quota
                values = _rank(spec.quota[3], row, evaluation, result, infos)
                group = _rank(_group_keys(spec.quota), row, evaluation, result, infos)
                quota_candidates.setdefault(key, []).append((applicant, values, (line_number, index), group))
            if result.paid and result.award.max is not None and spec.policy in budgets:
                for payer, amount, keys in budgets[spec.policy]:
                    cost = result.award.max * runtime.payer_share(spec, payer)
                    if cost > 0:
                        values = _rank(keys, row, evaluation, result, infos)
                        budget_candidates.setdefault((spec.policy, payer), []).append(
                            (applicant, values, (line_number, index), cost))
        record = {"line": line_number, "applicant": applicant, "on": str(evaluation.on),
                  "clauses": [r.to_json() for r in shown], "total": evaluation.total,
                  "warnings": evaluation.warnings}
        spool.write(json.dumps(record, ensure_ascii=False) + "\n")
    progress.done()
    for bad in bad_rows[:MAX_BAD_ROWS_LISTED]:
        errors.write(f"第{bad['line']}行已跳过 / line {bad['line']} skipped: {bad['error']}\n")

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
        for index, clause in enumerate(record["clauses"]):
            decision = decisions.get((record["line"], index))
            if decision is not None:
                _mark(clause, *decision)
        record["total"] = _total(record["clauses"], principles)
        for clause in record["clauses"]:
            _count(stats, clause)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    spool.close()
    summary = {
        "on": str(on) if on else None, "rows": rows_read, "evaluated": rows_read - len(bad_rows),
        "bad_rows": {"count": len(bad_rows), "listed": bad_rows[:MAX_BAD_ROWS_LISTED]},
        "clauses": {key: _finish(value) for key, value in stats.items()},
        "quotas": quota_summary, "budgets": budget_summary,
    }
    out.write(json.dumps({"summary": summary}, ensure_ascii=False) + "\n")
    return summary


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
