"""Stage 3b: AST -> a Markdown summary a reviewer reads instead of the .pol file.

The Python side turns the AST into plain strings (awards in words, printed conditions,
durations); the template only lays them out. Everything comes from tuples in source
order, so the output is byte-for-byte deterministic: no dates, no sets, no absolute paths.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jinja2

from . import analysis, ast, printer
from .diagnostics import INFO, WARNING, Diagnostic, sorted_diagnostics
from .interpreter import cofunded, paying_clauses, used_facts
from .runtime import ROUNDING, format_money
from .to_python import module_name
from .types import Symbols, Type

NONE = "—"
TEXT_ONLY = "（仅文本，不涉及支付）"
_PRINCIPLES = {
    "就高不重复": "就高不重复（同一事项只支付金额最高的一项）",
    "可叠加": "可叠加（同一事项的各条款分别支付）",
}
_RESOLUTION = {
    "就高不重复": "按就高不重复只支付其中金额最高的一项；金额相同时支付在前的条款；"
                  "一事一议、未列明金额的排在任何列明金额之后。",
    "可叠加": "冲突原则为可叠加：各条款分别计算、叠加支付。",
}
_ASSESSED = {"上一年": "上一年（考核年度 = 评估日的上一年）", "当年": "当年（考核年度 = 评估日所在年度）"}


def cell(text: str) -> str:
    """One line of Markdown: `|` would end a table cell, a newline would end the row or item."""
    return str(text).replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters["cell"] = cell
    return env


# ---------------------------------------------------------------- words
def _date(value: ast.DateValue | None) -> str:
    # Normalised so 2020-01-01 and 2020年1月1日 read the same in every summary.
    return f"{value.value.year}年{value.value.month}月{value.value.day}日" if value else "未规定"


def _amount(node) -> str:
    """A constant reads as money (31亿元); a formula is shown as written in .pol."""
    return format_money(node.value) if isinstance(node, ast.Money) else printer.expr(node)


def _award(award: ast.Award | None) -> str:
    if award is None:
        return NONE
    form = award.form
    if isinstance(form, ast.Exact):
        return _amount(form.amount)
    if isinstance(form, ast.UpTo):
        return f"最高 {_amount(form.ceiling)}（评审确定）"
    if isinstance(form, ast.Range):
        # Spaces keep two formulas apart; 30万元至50万元 reads better without.
        gap = "" if isinstance(form.low, ast.Money) and isinstance(form.high, ast.Money) else " "
        return f"{_amount(form.low)}{gap}至{gap}{_amount(form.high)}"
    if isinstance(form, ast.CaseByCase):
        return "一事一议"
    if isinstance(form, ast.Unspecified):
        return "未列明金额" + (f"（{form.note}）" if form.note else "")
    if isinstance(form, ast.ByLevel):
        rows = "；".join(f"{r.level.text} {_amount(r.amount)}" for r in form.rows)
        return f"按{form.subject.text}：{rows}"
    if isinstance(form, ast.ByTier):
        rows = "；".join(f"{form.op} {_amount(r.threshold)} → {_amount(r.amount)}" for r in form.rows)
        return f"按{printer.expr(form.subject)}分档（自上而下取首个满足的档次）：{rows}"
    if isinstance(form, ast.PerItem):
        return f"每项 {_amount(form.amount)}，每项最高 {_amount(form.item_cap)}，合计"
    if isinstance(form, ast.Routing):
        return f"非金钱结果：由{form.approver}审定"
    raise TypeError(form)


def _payment(clause: ast.Clause) -> str:
    if clause.text_only:
        return TEXT_ONLY
    if clause.modifier is not None:
        return f"系数 {clause.modifier.text}，作用于事项「{clause.modifier.matter.text}」的补助"
    return _award(clause.award)


def _conditions(clause: ast.Clause) -> str:
    # An 或 condition joined with 且 would change meaning without its parentheses.
    several = len(clause.conditions) > 1
    parts = [f"({printer.expr(c)})" if several and isinstance(c, ast.Or) else printer.expr(c)
             for c in clause.conditions]
    return " 且 ".join(parts) or "无附加条件"


def _term(clause: ast.Clause) -> str:
    parts = []
    if clause.duration is not None:
        d = clause.duration
        text = f"每年，最多{d.years}年"
        if d.start_fact is not None:
            text += f"，自{d.start_fact.text}{'次年起' if d.start_next_year else '当年起'}"
        parts.append(text)
    if clause.once:
        parts.append("一次性")
    if clause.quota is not None and clause.quota.share is not None:
        q = clause.quota
        text = f"不超过参评总数的{q.share.text}"
        if q.threshold is not None:
            text = f"超过{q.threshold}{q.unit or ''}的，" + text
        parts.append(text)
    elif clause.quota is not None:
        q = clause.quota
        text = f"每年不超过{q.per_year}{q.unit or '名'}"
        if q.ranking:
            text += "，按" + "、".join(f"{fact.text}{'降序' if d else '升序'}" for fact, d in q.ranking)
        parts.append(text)
    return "；".join(parts) or NONE


def _clause_name(clause: ast.Clause) -> str:
    return clause.label + (f" {clause.title}" if clause.title else "")


def _row(policy: ast.Policy, clause: ast.Clause) -> dict:
    pays = not clause.text_only
    return {
        "name": _clause_name(clause),
        "recipient": clause.recipient or NONE,
        "conditions": _conditions(clause),
        "award": _payment(clause),
        "cap": _amount(clause.award.cap) if pays and clause.award and clause.award.cap else NONE,
        "ceiling": _ceiling(clause),
        "term": _term(clause),
        "matter": clause.matter.text if clause.matter else (f"按{clause.matter_by.text}" if clause.matter_by else NONE),
        "units": "、".join(u.text for u in clause.units) or NONE,
        "cofunded": ("是" if cofunded(policy, clause) else "否") if pays else NONE,
        "cases": len(clause.cases),
    }


def _fact_type(symbols: Symbols, decl: ast.FactDecl) -> str:
    t = decl.type
    prefix = "逐项" if t.items else ""
    if t.base != "enum":
        return prefix + Type(t.base, series=t.series).describe()
    values = symbols.enum_values(t.enum.text)
    return prefix + ("逐年" if t.series else "") + "枚举：" + ("/".join(values) or t.enum.text)


def _facts(policy: ast.Policy) -> list[tuple[str, str, str]]:
    """The facts a policy reads, its own and those it takes from its vocabulary (marked)."""
    symbols = Symbols.of(policy)
    used = used_facts(policy)
    own = {d.name.text for d in policy.facts}
    return [(name + ("" if name in own else "（共用词汇）"), _fact_type(symbols, decl), decl.note or NONE)
            for name, decl in symbols.facts.items() if name in used]


def _transitional(rule: ast.Transitional) -> str:
    if rule.before_year is None:
        return rule.text + "（仅记录文字，不参与计算）"
    return f"{rule.text}（考核年度早于{rule.before_year}年的，依照{rule.governed_by}，本政策不予评估）"


def _split(rule: ast.Split) -> str:
    text = "、".join(f"{payer.text} {share.text}" for payer, share in rule.shares)
    if rule.except_articles:
        text += "（" + "、".join(a.text for a in rule.except_articles) + " 除外）"
    return text + "；每一方的份额四舍五入到分，尾差由最后一方承担"


def _overlaps(policy: ast.Policy, found: list) -> list[dict]:
    """The overlap analysis for every pair of clauses that involves this policy, in order."""
    rows = []
    for overlap in found:
        pair = (overlap.first, overlap.second)
        if all(p is not policy for p, _c in pair):
            continue
        names = [(f"{p.docno} " if p is not policy else "") + _clause_name(c) for p, c in pair]
        principles = {p.principle for p, _c in pair}
        if not overlap.decided:
            verdict = f"无法精确判断：{overlap.reason}"
        elif overlap.witness is None:
            verdict = "条件互斥，不会同时适用"
        elif "就高不重复" in principles:
            verdict = _RESOLUTION["就高不重复"]
        elif principles == {"可叠加"}:
            verdict = _RESOLUTION["可叠加"]
        else:
            verdict = "政策未写冲突原则：同一事项可能重复支付，需补充。"
        rows.append({
            "matter": overlap.matter,
            "clauses": [{"name": name, "award": _payment(c)} for name, (_p, c) in zip(names, pair)],
            "resolution": verdict,
            "witness": json.dumps(overlap.witness, ensure_ascii=False, sort_keys=True) if overlap.witness else None,
            "confirmed": overlap.confirmed,
        })
    return rows


def _ceiling(clause: ast.Clause) -> str:
    """The most a clause can pay: per year, and over its duration when it runs several years."""
    if clause.text_only:
        return NONE
    if clause.modifier is not None or analysis.states_no_amount(clause):
        return "不涉及金额" if clause.modifier is not None or isinstance(clause.award.form, ast.Routing) else "金额未列明"
    per_year = analysis.clause_ceiling(clause)
    if per_year is None:
        return "无上限（原文未设）"
    text = format_money(per_year)
    if clause.duration is not None:
        text += f"/年，全期 {format_money(analysis.clause_total_ceiling(clause))}"
    return text


def _policy_ceiling(policy: ast.Policy) -> list[str]:
    total, unbounded, unstated = analysis.policy_ceiling(policy)
    lines = [f"有上限的条款合计（同一事项取最高）：{format_money(total)}"]
    if unbounded:
        lines.append("另有不设上限的条款：" + "、".join(unbounded))
    if unstated:
        lines.append("另有未列明金额、一事一议或非金钱结果的条款：" + "、".join(unstated))
    return lines


def _finding(d: Diagnostic) -> str:
    where = f" 第{d.span.line}行" if d.span is not None else ""
    return f"{d.code}{where} {d.message.zh}"


def _blockquote(text: str | None) -> str:
    if text is None:
        return "（未录入原文）"
    return "\n".join(f"> {line}".rstrip() for line in text.replace("\r\n", "\n").split("\n"))


def _cofunding(co: ast.CoFunding) -> str:
    text = f"{co.payer.text}配套不低于{co.minimum_share.text}"
    if co.except_articles:
        text += "（" + "、".join(a.text for a in co.except_articles) + " 除外）"
    return text


# ---------------------------------------------------------------- entry point
def to_markdown(policy: ast.Policy, findings: list[Diagnostic], found_overlaps: list = ()) -> str:
    shown = [d for d in sorted_diagnostics(findings) if d.severity in (WARNING, INFO)]
    # Each header entry is a list: one item reads inline, several become a nested list.
    header = [
        ("发布机关", [policy.issuer or "未规定"]),
        ("发布日期", [_date(policy.issued)]),
        ("施行日期", [_date(policy.effective_from)]),
        ("失效日期", [_date(policy.effective_until)]),
        ("废止", ["、".join(policy.repeals) or "无"]),
        ("适用范围", [policy.scope or "未规定"]),
        ("冲突原则", [_PRINCIPLES.get(policy.principle, policy.principle or "未规定")]),
        ("配套", [_cofunding(co) for co in policy.cofunding] or ["无"]),
        ("分担", [_split(rule) for rule in policy.splits] or ["无"]),
        ("过渡", [_transitional(rule) for rule in policy.transitional] or ["无"]),
        ("引用", list(policy.imports) or ["无"]),
        ("考核年度", [_ASSESSED.get(policy.assessed_year, policy.assessed_year)]),
        ("说明", list(policy.notes) or ["无"]),
        # The law beside the code: shown only when the policy names its text (polc check verifies it).
        *([("来源", [f"{policy.source_document.path}（原文已逐字核对）"])] if policy.source_document else []),
        *([("不编码", [f"「{s.text}」：{s.reason}" for s in policy.not_encoded])] if policy.not_encoded else []),
        ("每个申请人每年最高", _policy_ceiling(policy)),
        ("预算", [f"{b.payer.text} 每年 {b.amount.text}" for b in policy.budgets] or ["未规定"]),
        ("金额取整", [ROUNDING]),
    ]
    return _environment().get_template("summary.md.j2").render(
        path=Path(policy.path).as_posix(),
        heading=" ".join(filter(None, (policy.docno, policy.title))),
        header=header,
        rows=[_row(policy, c) for c in policy.clauses],
        overlaps=_overlaps(policy, found_overlaps),
        overlap_infos=[_finding(d) for d in shown if d.severity == INFO],
        clause_notes=[(c.label, note) for c in policy.clauses for note in c.notes],
        findings=[_finding(d) for d in shown],
        sources=[(_clause_name(c), _blockquote(c.source_text)) for c in policy.clauses],
        facts=_facts(policy),
        defs=[(d.name.text, printer.expr(d.expr), d.note or NONE) for d in policy.defs],
    )


# ---------------------------------------------------------------- the index of generated/
def _period(policy: ast.Policy) -> str:
    return f"{_date(policy.effective_from)}至{_date(policy.effective_until) if policy.effective_until else '（未规定失效日期）'}"


def _matters_covered(policy: ast.Policy) -> list[tuple[str, str]]:
    """(matter, clause label) for each paying clause; 事项 按 X gives one row per value of X."""
    symbols = Symbols.of(policy)
    rows = []
    for clause in paying_clauses(policy):
        name = _clause_name(clause)
        if clause.matter is not None:
            rows.append((clause.matter.text, name))
        elif clause.matter_by is not None:
            decl = symbols.facts.get(clause.matter_by.text)
            for value in symbols.enum_values(decl.type.enum.text if decl and decl.type.enum else None):
                rows.append((value, f"{name}（{clause.matter_by.text}为{value}时）"))
        if clause.modifier is not None:
            rows.append((clause.modifier.matter.text, f"{name}（系数 {clause.modifier.text}）"))
    return rows


def index(policies: list[ast.Policy]) -> str:
    """generated/README.md: every policy, and the matters that more than one policy covers."""
    matters: dict[str, dict] = {}
    for policy in policies:
        symbols = Symbols.of(policy)
        for matter, label in _matters_covered(policy):
            entry = matters.setdefault(matter, {"name": matter, "note": None, "clauses": [], "policies": []})
            decl = symbols.matters.get(matter)
            entry["note"] = entry["note"] or (decl.note if decl else None)
            entry["clauses"].append(f"{policy.docno} {label}")
            if policy.docno not in entry["policies"]:
                entry["policies"].append(policy.docno)
    rows = [{
        "docno": p.docno, "title": p.title or NONE, "period": _period(p),
        "paying": len(paying_clauses(p)), "text_only": sum(c.text_only for c in p.clauses),
        "cases": sum(len(c.cases) for c in p.clauses), "module": module_name(p.path),
    } for p in policies]
    readings = [{"docno": p.docno, "notes": [(c.label, note) for c in p.clauses for note in c.notes]}
                for p in policies if any(c.notes for c in p.clauses)]
    return _environment().get_template("index.md.j2").render(
        policies=rows,
        matters=[m for m in matters.values() if len(m["policies"]) > 1],
        readings=readings)
