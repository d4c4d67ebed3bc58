"""`polc facts`: the facts an applicant (or a register) must provide for some policies.

For each fact a clause reads — directly, through a 定义, a quota's or a budget's ranking, a
duration's start or a 事项 按 — we report its name, type, unit, whether it is yearly (逐年)
or per item (逐项), the enumeration's values, its 说明, the clauses that use it, and an
example value (taken from the first 案例 that sets it, else a neutral one of its type).
Facts declared but read by no clause are left out: nobody needs to collect them.

Which years a yearly fact needs (the CSV columns 名.年份 and the template's series): the
*assessed year* A, and as many years before it as the conditions look back — 上年 and 增速
one year, 连续/近 N年 N−1 more, and 首次超过/首次达到 (no earlier recorded year was over)
two earlier years, the least that lets 首次 be told from "again"; a register may add older
columns, which are read the same way. A is `--year` if given; otherwise, for each policy,
the first assessed year it governs — the year before (考核年度 上一年) or of (当年) its
施行日期, moved on to the year a 过渡 rule hands earlier years to the old policy — and the
latest of these over the policies given, so that every policy listed is in force for it.

Output is deterministic: facts in the order the clauses first use them (policies in the
order given, clauses in article order), years ascending.
"""

from __future__ import annotations

import csv
import io
import json

import attrs

from . import ast
from .types import Symbols

TEMPLATE_MARK = "polc-facts-template/1"
_TYPE_NAMES = {"money": "金额", "number": "数值", "percent": "百分比", "bool": "是否", "date": "日期", "year": "年份"}
_UNITS = {"money": "元（也可写 \"30万元\"、\"1.2亿元\"）", "percent": "%（写 \"5%\" 或小数 0.05）",
          "year": "年（整数，如 2020）", "date": "日期（\"2020-06-30\"）"}
_FIRST_LOOKBACK = 2


@attrs.define
class FactNeed:
    name: str
    decl: ast.FactDecl
    enum_values: tuple[str, ...]
    used_by: list[str] = attrs.Factory(list)
    lookback: int = 0  # years before the assessed year that are read
    example: object = None


class _Collector:
    """Which facts one clause reads, and how far back in years."""

    def __init__(self, symbols: Symbols):
        self.symbols = symbols
        self.reads: dict[str, int] = {}

    def fact(self, name: str, back: int) -> None:
        if name in self.symbols.facts:
            self.reads[name] = max(self.reads.get(name, 0), back)

    def expr(self, node, back: int = 0, seen: frozenset = frozenset()) -> None:
        if isinstance(node, ast.Ref):
            name = node.name.text
            if name in self.symbols.defs and name not in seen:
                self.expr(self.symbols.defs[name].expr, back, seen | {name})
            else:
                self.fact(name, back)
        elif isinstance(node, ast.PrevYear):
            self.expr(node.operand, back + 1, seen)
        elif isinstance(node, ast.Growth):
            self.expr(node.operand, back + 1, seen)
        elif isinstance(node, ast.RunOfYears):
            self.expr(node.condition, back + node.years - 1, seen)
        elif isinstance(node, ast.Compare) and node.op.startswith("首次"):
            self.expr(node.left, back + _FIRST_LOOKBACK, seen)
            self.expr(node.right, back, seen)
        elif isinstance(node, ast.ByLevel):
            self.fact(node.subject.text, back)
            self.expr(node.rows, back, seen)
        elif isinstance(node, (ast.ByTable, ast.Upgrade)):  # issue 13: the two facts a table or an upgrade reads
            for name in ((node.row_fact, node.column_fact) if isinstance(node, ast.ByTable) else (node.subject, node.held)):
                self.fact(name.text, back)
            self.expr(node.rows, back, seen)
        elif isinstance(node, (ast.ByTier, ast.EachTier)) and node.op.startswith("首次"):
            self.expr(node.subject, back + _FIRST_LOOKBACK, seen)
            for row in node.rows:
                self.expr(row, back, seen)
        elif attrs.has(type(node)) or isinstance(node, tuple):
            children = node if isinstance(node, tuple) else [
                getattr(node, f.name) for f in attrs.fields(type(node)) if f.name not in ("span", "cases")]
            for child in children:
                if isinstance(child, ast.Name):
                    continue
                self.expr(child, back, seen)

    def clause(self, clause: ast.Clause) -> None:
        self.expr(clause.conditions)
        if clause.award is not None:
            self.expr(clause.award)
        if clause.matter_by is not None:
            self.fact(clause.matter_by.text, 0)
        if clause.duration is not None and clause.duration.start_fact is not None:
            self.fact(clause.duration.start_fact.text, 0)
        if clause.quota is not None:
            for key, _descending in clause.quota.ranking:
                self.fact(key.text, 0)
        # issue 13: the conditions of parts (其中 … 待 条件) and facts that offset (抵扣 F)
        self.expr(tuple(part.condition for part in clause.parts if part.condition is not None))
        for name in clause.offsets:
            if name.text not in self.symbols.matters:  # a matter is another award, not a fact
                self.fact(name.text, 0)


def assessed_year(policy: ast.Policy) -> int | None:
    """The first assessed year a policy governs (see the module docstring)."""
    if policy.effective_from is None:
        return None
    year = policy.effective_from.value.year - (1 if policy.assessed_year == "上一年" else 0)
    for rule in policy.transitional:
        if rule.before_year is not None:
            year = max(year, rule.before_year)
    return year


def collect(policies: list[ast.Policy]) -> list[FactNeed]:
    needs: dict[str, FactNeed] = {}
    for policy in policies:
        symbols = Symbols.of(policy)
        users: list[tuple[str, dict[str, int]]] = []
        for clause in policy.clauses:
            collector = _Collector(symbols)
            collector.clause(clause)
            users.append((f"{policy.docno} {clause.label}", collector.reads))
        for budget in policy.budgets:
            collector = _Collector(symbols)
            for key, _descending in budget.ranking:
                collector.fact(key.text, 0)
            users.append((f"{policy.docno} 预算 {budget.payer.text}", collector.reads))
        for cap in policy.enterprise_caps:  # issue 13: 企业上限 累计 … 已获 F reads F
            if cap.received is not None and cap.received.text in symbols.facts:
                collector = _Collector(symbols)
                collector.fact(cap.received.text, 0)
                users.append((f"{policy.docno} 企业上限", collector.reads))
        for label, reads in users:
            for name, back in reads.items():
                decl = symbols.facts[name]
                need = needs.get(name)
                if need is None:
                    enum = decl.type.enum.text if decl.type.enum else None
                    need = needs[name] = FactNeed(name, decl, symbols.enum_values(enum))
                if label not in need.used_by:
                    need.used_by.append(label)
                need.lookback = max(need.lookback, back)
        for clause in policy.clauses:
            for case in clause.cases:
                for fact_name, value in case.facts:
                    need = needs.get(fact_name.text)
                    if need is not None and need.example is None:
                        need.example = _json_value(value)
    return list(needs.values())


def _json_value(node):
    """An example's literal as a facts file writes it."""
    if isinstance(node, ast.SeriesValue):
        return {str(year): _json_value(item) for year, item in node.entries}
    if isinstance(node, ast.ItemsValue):
        return [_json_value(item) for item in node.values]
    if isinstance(node, ast.EnumValue):
        return node.name.text
    if isinstance(node, (ast.Money, ast.Percent)):
        return node.text
    if isinstance(node, ast.Number):
        return int(node.value) if node.value == node.value.to_integral_value() else str(node.value)
    if isinstance(node, ast.Bool):
        return node.value
    if isinstance(node, ast.DateValue):
        return node.value.isoformat()
    if isinstance(node, ast.YearValue):
        return node.value
    return None


def _neutral_example(need: FactNeed, year: int):
    base = need.decl.type.base
    return {"money": "100万元", "number": 1, "percent": "5%", "bool": True, "date": f"{year}-06-30",
            "year": year}.get(base, need.enum_values[0] if need.enum_values else None)


def years_of(need: FactNeed, year: int) -> list[int]:
    return list(range(year - need.lookback, year + 1))


def _example(need: FactNeed, year: int):
    if need.example is not None:
        return need.example
    scalar = _neutral_example(need, year)
    if need.decl.type.series:
        return {str(y): scalar for y in years_of(need, year)}
    if need.decl.type.items:
        return [scalar, scalar]
    return scalar


def _describe(need: FactNeed, year: int) -> dict:
    t = need.decl.type
    kind = "逐年" if t.series else "逐项" if t.items else "单值"
    entry = {
        "value": ({str(y): None for y in years_of(need, year)} if t.series else None),
        "type": _TYPE_NAMES.get(t.base, t.enum.text if t.enum else t.base),
        "unit": _UNITS.get(t.base),
        "kind": kind,
        "values": list(need.enum_values) or None,
        "description": need.decl.note,
        "used_by": need.used_by,
        "example": _example(need, year),
    }
    if t.series:
        entry["years"] = years_of(need, year)
    return entry


def default_year(policies: list[ast.Policy]) -> int | None:
    years = [y for y in (assessed_year(p) for p in policies) if y is not None]
    return max(years) if years else None


def to_json(policies: list[ast.Policy], year: int) -> str:
    needs = collect(policies)
    document = {
        "polc": TEMPLATE_MARK,
        "how_to_fill": "把每个事实的 value 换成申请人的值（null 表示未知），然后 polc eval 政策… --facts 本文件 / "
                       "replace each fact's value (null = unknown), then run polc eval POLICY… --facts THIS_FILE",
        "policies": [p.docno for p in policies],
        "assessed_year": year,
        "facts": {need.name: _describe(need, year) for need in needs},
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def csv_columns(policies: list[ast.Policy], year: int) -> list[str]:
    columns = ["申请人"]
    for need in collect(policies):
        if need.decl.type.series:
            columns.extend(f"{need.name}.{y}" for y in years_of(need, year))
        else:
            columns.append(need.name)
    return columns


def to_csv(policies: list[ast.Policy], year: int) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(csv_columns(policies, year))
    return out.getvalue()


def template_facts(document: dict) -> dict:
    """A filled template's facts as `polc eval --facts` takes them: each fact's value."""
    facts = document.get("facts")
    if not isinstance(facts, dict):
        raise ValueError("事实模板缺少 facts 对象 / the template has no facts object")
    values = {}
    for name, entry in facts.items():
        value = entry.get("value") if isinstance(entry, dict) else entry
        if isinstance(value, dict) and all(v is None for v in value.values()):
            value = None
        values[name] = value
    return values
