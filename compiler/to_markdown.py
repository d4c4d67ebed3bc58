"""Stage 3b: model -> a Markdown summary a reviewer reads instead of the .pol file.

The Python side turns the model into plain strings (awards in words, printed conditions,
durations); the template only lays them out, escaping every value for the place it lands
(compiler/markdown_escape.py). Everything comes from tuples in source order, so the output
is byte-for-byte deterministic: no dates, no sets, no absolute paths.

The reader is a reviewer, not the drafter: diagnostic codes and line numbers stay out (a
link to the source line takes their place), an overlap's example applicant shows only the
facts that decide it, in 万元/亿元, and a column or header line that says nothing is left out.
"""

from __future__ import annotations

import datetime
import functools
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Sequence, assert_never

import jinja2

from . import markdown_escape, model
from .diagnostics import INFO, WARNING, Diagnostic, sorted_diagnostics
from .paths import module_name
from .runtime import ROUNDING, format_money

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
_ASSESSED = {model.AssessedYearRule.PREVIOUS: "上一年（考核年度 = 评估日的上一年）",
             model.AssessedYearRule.CURRENT: "当年（考核年度 = 评估日所在年度）"}
_TYPE_WORDS = {model.Base.MONEY: "金额", model.Base.NUMBER: "数值", model.Base.PERCENT: "百分比", model.Base.BOOL: "是否",
               model.Base.DATE: "日期", model.Base.YEAR: "年份", model.Base.TEXT: "标识"}


@functools.cache
def _environment() -> jinja2.Environment:
    # autoescape is for HTML; Markdown needs an escape per context, so every {{ }} in the
    # templates names one of markdown_escape's filters (tests/test_markdown.py checks it).
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters.update(markdown_escape.FILTERS)
    return env


# ---------------------------------------------------------------- words
def _date(value: datetime.date | None) -> str:
    # Normalised so 2020-01-01 and 2020年1月1日 read the same in every summary.
    return f"{value.year}年{value.month}月{value.day}日" if value else "未规定"


def _amount(node: model.Expr) -> str:
    """A constant reads as money (31亿元); a formula is shown as written in .pol."""
    return format_money(node.value) if isinstance(node, model.Constant) and model.is_money_constant(node) else node.text


def _award(award: model.Award | None) -> str:
    if award is None:
        return NONE
    form = award.form
    match form:
        case model.Exact():
            return _amount(form.amount)
        case model.UpTo():
            return f"{'一事一议，' if form.case_by_case else ''}最高 {_amount(form.ceiling)}（评审确定）"
        case model.Range() if form.rate is not None:  # the text's 5%-20%, then what it means
            # low is base × 5% as printed: keep its base (with any parentheses), put the range after ×
            base = form.low.text.removesuffix(form.low.right.text) if isinstance(form.low, model.Arith) else ""
            return f"{base}{form.rate}（即 {_amount(form.low)} 至 {_amount(form.high)}）"
        case model.Range():
            # Spaces keep two formulas apart; 30万元至50万元 reads better without.
            gap = "" if model.is_money_constant(form.low) and model.is_money_constant(form.high) else " "
            return f"{_amount(form.low)}{gap}至{gap}{_amount(form.high)}"
        case model.CaseByCase():
            return "一事一议"
        case model.Unspecified() if form.base is not None:
            return f"按 {_amount(form.base)} 的一定比例（比例原文未定，金额未列明）"
        case model.Unspecified():
            return "未列明金额" + (f"（{form.note}）" if form.note else "")
        case model.ByLevel():
            levels = "；".join(f"{r.level} {_amount(r.amount)}" for r in form.rows)
            return f"按{form.subject.name}：{levels}"
        case model.ByTier():
            tiers = "；".join(f"{form.word} {_amount(r.threshold)} → {_amount(r.amount)}" for r in form.rows)
            return f"按{form.subject.text}分档（自上而下取首个满足的档次）：{tiers}"
        case model.PerItem():
            if form.item_cap is None:  # 每项 with the total cap only
                return f"每项 {_amount(form.amount)}，各项不设单项上限，合计（受总额封顶）"
            return f"每项 {_amount(form.amount)}，每项最高 {_amount(form.item_cap)}，合计"
        case model.Routing():
            return f"非金钱结果：{form.text}"
        case model.ByRunYear():  # issue 13: 前三年 X；后两年 Y, with the years they are
            start = f"{form.start.name}{'次年' if form.start_next_year else '当年'}为第1年"
            rows = "；".join(f"{r.text}（第{r.first}–{r.last}年）{_amount(r.amount)}" if r.first != r.last
                            else f"{r.text} {_amount(r.amount)}" for r in form.rows)
            return f"分年度（{start}）：{rows}"
        case model.AtLeast():
            return f"不低于 {_amount(form.floor)}（超出部分由评审确定）"
        case model.ByTable() | model.ByBand() | model.EachTier() | model.Upgrade():
            return _table_award(form)
        case _:
            assert_never(form)


# ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
def _table_award(form: model.ByTable | model.ByBand | model.EachTier | model.Upgrade) -> str:
    """The issue-13 table forms in words, with the reading each one takes stated."""
    match form:
        case model.ByTable():
            rows = "；".join(f"{row.level}：" + "、".join(f"{column} {'无' if cell is None else _amount(cell)}"
                                                      for column, cell in zip(form.columns, row.cells))
                            for row in form.rows)
            return f"按{form.row_fact.name}和{form.column_fact.name}查表：{rows}（表外或“无”的组合不予奖励）"
        case model.ByBand():
            if form.whole_quantity:
                rows = "；".join(f"{row.test.text} → 单价 {row.price.text if row.price is not None else ''}" for row in form.rows)
                return (f"按{form.subject.text}分段，全量计价（所在段的单价 × 全部{form.subject.text}，"
                        f"不是超额累进）：{rows}")
            rows = "；".join(f"{row.test.text} → {_amount(row.amount)}" for row in form.rows)
            return f"按{form.subject.text}分段（各段上下限如所写）：{rows}"
        case model.EachTier():
            tiers = "；".join(f"{form.word} {_amount(r.threshold)} → {_amount(r.amount)}" for r in form.rows)
            return (f"按{form.subject.name}逐档给予（每个首次越过的档次各付一次，同一年越过两档则两档都付；"
                    f"另一读法是只付最高一档；上一年无记录时无法判定）：{tiers}")
        case model.Upgrade():
            levels = "；".join(f"{r.level} {_amount(r.amount)}" for r in form.rows)
            return (f"按{form.subject.name}晋级差额（新等级金额减去{form.held.name}对应金额，"
                    f"原等级无金额按0计；未晋级不予奖励）：{levels}")
        case _:
            assert_never(form)


def _payment(clause: model.ClauseModel) -> str:
    if clause.text_only:
        return TEXT_ONLY
    if clause.modifier is not None:
        return f"系数 {clause.modifier.text}，作用于事项「{clause.modifier.matter}」的补助"
    text = _award(clause.award)
    if clause.parts:  # issue 13: payments in parts, each with when it is paid
        text += "；分期兑现：" + "；".join(_part(part) for part in clause.parts)
    if clause.offsets:  # issue 13: what reduces the award
        text += "；" + _offsets(clause.offsets)
    return text


def _offsets(offsets: tuple[model.Offset, ...]) -> str:
    """抵扣 → 抵扣事项「固定资产投资奖励」所获奖励、已获投资奖励（事实），不低于0."""
    names = "、".join(f"事项「{o.name}」所获奖励" if o.source is model.OffsetSource.MATTER else f"「{o.name}」（申报事实）"
                     for o in offsets)
    return f"扣除{names}，扣后不低于0"


def _part(part: model.Part) -> str:
    """其中 50% 待 达产升规 → 50% 待「达产升规」成立后兑现; 30% 第2年 → 30% 第2年兑现; 50% → 50% 本期兑现."""
    when = []
    if part.year is not None and part.year > 1:
        when.append(f"第{part.year}年")
    if part.condition is not None:
        when.append(f"待「{_condition(part.condition)}」成立后")
    return f"{part.share_text} {''.join(when) or '本期'}兑现"


def _condition(node: model.Expr) -> str:
    """A condition as printed in .pol, except that 且 inside 或 and 或 inside 且 are always
    parenthesised: a reviewer should not need the binding rules to read it."""
    if isinstance(node, (model.And, model.Or)):
        kind, word = type(node), " 且 " if isinstance(node, model.And) else " 或 "
        parts: list[model.Expr] = []
        pending: list[model.Expr] = [node]
        while pending:  # flatten a chain of one connective, keeping its order
            current = pending.pop()
            if isinstance(current, (model.And, model.Or)) and isinstance(current, kind):
                pending += [current.right, current.left]
            else:
                parts.append(current)
        return word.join(f"({_condition(p)})" if isinstance(p, (model.And, model.Or)) else _condition(p) for p in parts)
    if isinstance(node, model.Not):
        inner = _condition(node.operand)
        return f"非 ({inner})" if isinstance(node.operand, (model.And, model.Or)) else f"非 {inner}"
    if isinstance(node, model.RunOfYears):
        inner = _condition(node.condition)
        compound = isinstance(node.condition, (model.And, model.Or, model.Not))
        return f"{node.kind.value} {node.years_text} " + (f"({inner})" if compound else inner)
    return node.text


def _conditions(clause: model.ClauseModel) -> str:
    several = len(clause.conditions) > 1
    parts = [f"({_condition(c)})" if several and isinstance(c, model.Or) else _condition(c) for c in clause.conditions]
    return " 且 ".join(parts) or "无附加条件"


def _term(clause: model.ClauseModel) -> str:
    parts = []
    if clause.duration is not None:
        d = clause.duration
        text = f"每年，最多{d.years}年"
        if d.start_fact is not None:
            text += f"，自{d.start_fact.name}{'次年起' if d.start_next_year else '当年起'}"
        parts.append(text)
    if clause.once:
        parts.append("一次性")
    if clause.quota is not None:
        parts.append(_quota(clause.quota))
    return "；".join(parts) or NONE


def _quota(q: model.Quota) -> str:
    """名额 as a reviewer reads it: who is counted, against what, per which group, in what order."""
    if q.share is not None:
        text = f"名额：不超过{q.base or '参评总数'}的{q.share_text}"
        if q.threshold is not None:
            text = f"名额：{q.base or '参评总数'}超过{q.threshold}{q.unit or ''}的，不超过其{q.share_text}"
    else:
        text = f"名额：每年不超过{q.per_year}{q.unit or '名'}"
    if q.groups:
        text += "，每个" + "、".join(q.groups) + "分别计算"
    if q.ranking:
        text += "，按" + "、".join(f"{key.fact}{'降序' if key.descending else '升序'}" for key in q.ranking) + "取舍"
    elif q.share is not None:
        text += "；超出时名单需核减（原文未规定顺序，批量结果标为 list_over）"
    else:
        text += "；超出时由评审择优（原文未规定顺序，批量结果标为 needs_selection）"
    return text


def _clause_name(clause: model.ClauseModel) -> str:
    return clause.label + (f" {clause.title}" if clause.title else "")


# The clause table: (heading, key) in order. A column in which no clause says anything is
# dropped (no 责任单位 anywhere, no 配套 in the policy), so every column a reviewer reads speaks.
_COLUMNS = (("条款", "name"), ("对象", "recipient"), ("条件", "conditions"), ("奖励", "award"), ("封顶", "cap"),
            ("最高支付", "ceiling"), ("期限/名额", "term"), ("事项", "matter"), ("责任单位", "units"),
            ("区级配套", "cofunded"), ("案例数", "cases"))


def _row(policy: model.PolicyModel, clause: model.ClauseModel) -> dict:
    pays = not clause.text_only
    return {
        "name": _clause_name(clause),
        "recipient": clause.recipient or NONE,
        "conditions": _conditions(clause),
        "award": _payment(clause),
        "cap": _amount(clause.award.cap) if pays and clause.award and clause.award.cap else NONE,
        "ceiling": _ceiling(clause),
        "term": _term(clause),
        "matter": clause.matter.name if clause.matter else (f"按{clause.matter_by.name}" if clause.matter_by else NONE),
        "units": "、".join(clause.units) or NONE,
        "cofunded": ("是" if clause.cofunded else "否") if pays and policy.cofunding else NONE,
        "cases": str(clause.case_count),
    }


def _table(policy: model.PolicyModel) -> tuple[list[str], list[list[str]]]:
    rows = [_row(policy, c) for c in policy.clauses]
    keep = [(title, key) for title, key in _COLUMNS if any(r[key] != NONE for r in rows)]
    return [title for title, _key in keep], [[r[key] for _title, key in keep] for r in rows]


def _fact_type(fact: model.Fact) -> str:
    t = fact.type
    prefix = "逐项" if t.items else ""
    if t.base is not model.Base.ENUM:
        word = _TYPE_WORDS[t.base]
        return prefix + (f"逐年{word}" if t.series else word)
    return prefix + ("逐年" if t.series else "") + "枚举：" + ("/".join(fact.values) or (t.enum or ""))


def _facts(policy: model.PolicyModel) -> list[tuple[str, str, str]]:
    """The facts a policy reads, its own and those it takes from its vocabulary (marked)."""
    return [(name + ("（共用词汇）" if fact.shared else ""), _fact_type(fact), fact.note or NONE)
            for name, fact in policy.facts.items() if name in policy.used_facts]


def _transitional(rule: model.Transitional) -> str:
    if rule.before_year is None:
        return rule.text + "（仅记录文字，不参与计算）"
    return f"{rule.text}（考核年度早于{rule.before_year}年的，依照{rule.governed_by}，本政策不予评估）"


def _split(rule: model.Split) -> str:
    text = "、".join(f"{share.payer} {share.text}" for share in rule.shares)
    if rule.except_articles:
        text += "（" + "、".join(rule.except_articles) + " 除外）"
    if rule.condition is not None:  # issue 13: payers by condition
        text = f"当 {_condition(rule.condition)} 时：" + text + "（条款取第一条成立的分担；条件无法判定时不列出资方）"
    return text + "；每一方的份额四舍五入到分，尾差由最后一方承担"


def _fact_value(value, decl: model.Fact | None) -> str:
    """A witness value as a reviewer reads it: money in 万元/亿元, 是/否, series by year."""
    if isinstance(value, dict):
        return "，".join(f"{year}年 {_fact_value(v, decl)}" for year, v in value.items())
    if isinstance(value, list):
        return "、".join(_fact_value(v, decl) for v in value) or "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if decl is not None and decl.type.base is model.Base.MONEY and isinstance(value, (str, int, Decimal)):
        try:
            return format_money(Decimal(str(value).removesuffix("元").strip()))
        except InvalidOperation:
            return str(value)  # already in words (100万元)
    if decl is not None and decl.type.base is model.Base.YEAR and isinstance(value, int):
        return f"{value}年"
    return str(value)


def _witness(overlap: model.Overlap) -> str | None:
    if not overlap.witness:
        return None
    (first, c1), (second, c2) = overlap.first, overlap.second
    read = set(c1.decisive_facts) | set(c2.decisive_facts)
    facts = {**second.facts, **first.facts}  # the first policy's declaration wins
    shown = [f"{name} = {_fact_value(value, facts.get(name))}"
             for name, value in sorted(overlap.witness.items()) if name in read]
    return "；".join(shown) or "（任何申请人）"


def _overlaps(policy: model.PolicyModel, found: Sequence[model.Overlap]) -> list[dict]:
    """One entry per matter: the clauses (of this and other policies) that cover it, and for
    each pair whether both can apply, with a witness in the facts that decide it."""
    groups: dict[str, dict] = {}
    for overlap in found:
        pair = (overlap.first, overlap.second)
        if all(p is not policy for p, _c in pair):
            continue
        names = [(f"{p.docno} " if p is not policy else "") + _clause_name(c) for p, c in pair]
        labels = [(f"{p.docno} " if p is not policy else "") + c.label for p, c in pair]  # named in full above
        principles = {p.principle.value if p.principle else None for p, _c in pair}
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
        group = groups.setdefault(overlap.matter, {"matter": overlap.matter, "clauses": [], "pairs": []})
        for name, (_p, clause) in zip(names, pair):
            entry = {"name": name, "award": _payment(clause)}
            if entry not in group["clauses"]:
                group["clauses"].append(entry)
        witness = _witness(overlap)
        group["pairs"].append({
            "names": labels,
            "exclusive": overlap.decided and overlap.witness is None,
            "applies_together": overlap.decided and overlap.witness is not None,
            "resolution": verdict,
            "witness": witness,
            "confirmed": overlap.confirmed,
        })
    for group in groups.values():
        # The resolution is usually one for the whole matter: said once, not per pair.
        resolutions = {p["resolution"] for p in group["pairs"] if p["applies_together"]}
        group["resolution"] = resolutions.pop() if len(resolutions) == 1 else None
        # Pairs that exclude each other are one line, not one item each (7 clauses, 21 pairs).
        group["exclusive"] = [" 与 ".join(p["names"]) for p in group["pairs"] if p["exclusive"]]
        group["all_exclusive"] = len(group["exclusive"]) == len(group["pairs"])
        group["pairs"] = [p for p in group["pairs"] if not p["exclusive"]]
    return list(groups.values())


def _ceiling(clause: model.ClauseModel) -> str:
    """The most a clause can pay: per year, and over its duration when it runs several years."""
    if clause.text_only:
        return NONE
    if clause.modifier is not None or clause.states_no_amount:
        routing = clause.award is not None and isinstance(clause.award.form, model.Routing)
        return "不涉及金额" if clause.modifier is not None or routing else "金额未列明"
    per_year = clause.ceiling
    if per_year is None and _formula_cap(clause) is not None:
        return f"按公式封顶：{_formula_cap(clause)}"
    if per_year is None and clause.award is not None and isinstance(clause.award.form, model.AtLeast):
        return "无上限（原文只定下限，超出部分由评审确定）"
    if per_year is None:
        return "无上限（原文未设）"
    text = format_money(per_year)
    if clause.duration is not None and clause.total_ceiling is not None:
        text += f"/年，全期 {format_money(clause.total_ceiling)}"
    return text


def _policy_ceiling(policy: model.PolicyModel) -> list[str]:
    total, unbounded, unstated = policy.ceiling, policy.unbounded_clauses, policy.unstated_clauses
    lines = [f"有上限的条款合计（同一事项取最高）：{format_money(total)}"]
    by_label = {c.label: c for c in policy.clauses}
    by_formula = [label for label in unbounded if label in by_label and _formula_cap(by_label[label]) is not None]
    floors = [label for label in unbounded if label in by_label and _is_floor(by_label[label])]
    unbounded = tuple(label for label in unbounded if label not in by_formula and label not in floors)
    if floors:  # issue 13: 不低于 X, the rest by review
        lines.append("另有只定下限的条款（超出部分由评审确定）：" + "、".join(floors))
    if by_formula:  # issue 13: a cap that is a formula of the applicant's facts
        lines.append("另有按公式封顶的条款（封顶随企业事实而定）：" + "、".join(
            f"{label}（{_formula_cap(by_label[label])}）" for label in by_formula))
    if unbounded:
        lines.append("另有不设上限的条款：" + "、".join(unbounded))
    if unstated:
        lines.append("另有未列明金额、一事一议或非金钱结果的条款：" + "、".join(unstated))
    return lines + _enterprise_caps(policy)


# ---- issue 13: caps that are formulas of facts (r14-caps)
def _formula_cap(clause: model.ClauseModel) -> str | None:
    """The text of a clause's 最高 when it is a formula of facts (最高 地方财政贡献 × 50%), else None."""
    award = clause.award
    if award is None or clause.ceiling is not None:
        return None
    if award.cap is not None:
        return award.cap.text
    if isinstance(award.form, model.UpTo):
        return award.form.ceiling.text
    return None


def _is_floor(clause: model.ClauseModel) -> bool:
    return clause.award is not None and isinstance(clause.award.form, model.AtLeast)


# ---- issue 13: caps per enterprise (r14-caps)
def _enterprise_caps(policy: model.PolicyModel) -> list[str]:
    """企业上限 as a reviewer reads it: what is capped, and how a binding cap is reported."""
    lines = []
    for cap in policy.enterprise_caps:
        if cap.received is None:
            lines.append(f"企业上限：每个企业每年从本政策各条款所得合计最高 {cap.amount_text}")
        else:
            lines.append(f"企业上限：每个企业跨年度累计最高 {cap.amount_text}，今年最多为其减去企业申报的「{cap.received.name}」"
                         f"（未申报时今年可得在0至{cap.amount_text}之间）")
    if lines:
        lines.append("超过企业上限时合计按上限计；原文未规定核减哪一条，各条金额照列并标为 capped（在各条系数、封顶、就高不重复"
                     "及名额、预算之后）")
    return lines


# Checker findings are for drafters; a reviewer gets the sentence without its code and line
# numbers (the message's own "（第52行）" included), and a link to the source line instead.
_LINE_REFERENCE = re.compile(r"（第\d+行）")
_OVERLAP_INFOS = {"I070", "I072", "I074"}  # the overlap section says the same, per matter


def _finding(d: Diagnostic, source_link: str | None) -> dict:
    link = f"{source_link}#L{d.span.line}" if source_link and d.span is not None else None
    return {"text": _LINE_REFERENCE.sub("", d.message.zh), "link": link}


def _lines(text: str | None) -> list[str]:
    """原文 as lines of a block quote (the template escapes each line)."""
    if text is None:
        return ["（未录入原文）"]
    return text.replace("\r\n", "\n").split("\n")


def _cofunding(co: model.CoFunding) -> str:
    text = f"{co.payer}配套不低于{co.minimum_share_text}"
    if co.except_articles:
        text += "（" + "、".join(co.except_articles) + " 除外）"
    return text


# ---------------------------------------------------------------- entry point
def to_markdown(policy: model.PolicyModel, findings: list[Diagnostic], found_overlaps: Sequence[model.Overlap] = (),
                source_path: str | None = None, source_link: str | None = None) -> str:
    shown = [d for d in sorted_diagnostics(findings) if d.severity in (WARNING, INFO)]
    # Each header entry is a list: one item reads inline, several become a nested list.
    header = [
        # 政策 无文号 「简称」: say so, and what results call it (numbered policies need no line).
        *([("文号", [f"无（结果中以简称「{policy.docno}」标识）"])] if not policy.numbered else []),
        ("发布机关", [policy.issuer or "未规定"]),
        ("发布日期", [_date(policy.issued)]),
        ("施行日期", [_date(policy.effective_from)]),
        ("失效日期", [_date(policy.effective_until)]),
        ("废止", ["、".join(policy.repeals) or "无"]),
        ("适用范围", [policy.scope or "未规定"]),
        ("冲突原则", [_PRINCIPLES[policy.principle.value] if policy.principle else "未规定"]),
        ("配套", [_cofunding(co) for co in policy.cofunding] or ["无"]),
        ("分担", [_split(rule) for rule in policy.splits] or ["无"]),
        ("过渡", [_transitional(rule) for rule in policy.transitional] or ["无"]),
        ("引用", list(policy.imports) or ["无"]),
        ("考核年度", [_ASSESSED[policy.assessed_year]]),
        ("说明", list(policy.notes) or ["无"]),
        # The law beside the code: shown only when the policy names its text (polc check verifies it).
        *([("来源", [f"{policy.source_document}（原文已逐字核对）"])] if policy.source_document else []),
        *([("不编码", [f"「{s.text}」：{s.reason}" for s in policy.not_encoded])] if policy.not_encoded else []),
        ("每个申请人每年最高", _policy_ceiling(policy)),
        ("预算", [f"{b.payer} 每年 {b.amount_text}" + _budget_rule(b) for b in policy.budgets] or ["未规定"]),
        *([("资金安排", [f"{f.fund} 每年不少于 {f.amount_text}（对资金总量的要求，不是对申请人的上限）"
                         for f in policy.fund_minimums])] if policy.fund_minimums else []),
        ("金额取整", [ROUNDING]),
    ]
    # Lines that would only say 无 are left out; 未规定 stays (a missing date matters).
    header = [(label, items) for label, items in header if items != ["无"]]
    columns, rows = _table(policy)
    return _environment().get_template("summary.md.j2").render(
        path=source_path or Path(policy.path).as_posix(),
        source_link=source_link,
        heading=" ".join(filter(None, (policy.docno, policy.title))),
        header=header,
        columns=columns,
        rows=rows,
        overlaps=_overlaps(policy, found_overlaps),
        clause_notes=[(c.label, note) for c in policy.clauses for note in c.notes],
        findings=[_finding(d, source_link) for d in shown if d.code not in _OVERLAP_INFOS],
        sources=[(_clause_name(c), _lines(c.source_text)) for c in policy.clauses],
        facts=_facts(policy),
        defs=[(d.name + ("（共用词汇）" if d.shared else ""), d.expr.text, d.note or NONE)
              for d in policy.evaluated_definitions],
    )


# ---------------------------------------------------------------- the index of generated/
def _period(policy: model.PolicyModel) -> str:
    return f"{_date(policy.effective_from)}至{_date(policy.effective_until) if policy.effective_until else '（未规定失效日期）'}"


def _matters_covered(policy: model.PolicyModel) -> list[tuple[str, str]]:
    """(matter, clause label) for each paying clause; 事项 按 X gives one row per value of X."""
    rows = []
    for clause in policy.evaluated_clauses:
        name = _clause_name(clause)
        if clause.matter is not None:
            rows.append((clause.matter.name, name))
        elif clause.matter_by is not None:
            for value in clause.matter_by.values:
                rows.append((value, f"{name}（{clause.matter_by.name}为{value}时）"))
        if clause.modifier is not None:
            rows.append((clause.modifier.matter, f"{name}（系数 {clause.modifier.text}）"))
    return rows


# A 说明 that records a contested reading says the reading taken, then 另一读法 (the
# alternative), then optionally 金额影响 (what the choice changes in money). The index splits
# it at those words into the columns of one table.
ALTERNATIVE, MONEY_EFFECT = "另一读法", "金额影响"
_TEXT_SHOWN = 60


def split_reading(note: str) -> tuple[str, str, str] | None:
    """(reading taken, alternative, money effect) of a 说明 that names an alternative, else None."""
    if ALTERNATIVE not in note:
        return None
    taken, _, rest = note.partition(ALTERNATIVE)
    alternative, _, money = rest.partition(MONEY_EFFECT)
    alternative = alternative.lstrip("：:").removeprefix("是")
    def tidy(text: str) -> str:
        return text.strip().lstrip("：:，,；;").strip()
    return tidy(taken) or NONE, tidy(alternative) or NONE, tidy(money) or "未写明"


def readings_of(policy: model.PolicyModel) -> list[dict]:
    """Every contested reading of a policy (header and clauses), in source order."""
    rows = []
    sources = [("总则", policy.notes, None)] + [(c.label, c.notes, c.source_text) for c in policy.clauses]
    for label, notes, text in sources:
        for note in notes:
            parts = split_reading(note)
            if parts is None:
                continue
            shown = NONE if not text else (text if len(text) <= _TEXT_SHOWN else text[:_TEXT_SHOWN] + "…")
            rows.append({"docno": policy.docno, "clause": label, "text": shown, "reading": parts[0],
                         "alternative": parts[1], "money": parts[2]})
    return rows


def index(policies: list[model.PolicyModel]) -> str:
    """generated/README.md: every policy, and the matters that more than one policy covers."""
    matters: dict[str, dict] = {}
    for policy in policies:
        for matter, label in _matters_covered(policy):
            entry = matters.setdefault(matter, {"name": matter, "note": None, "clauses": [], "policies": []})
            decl = policy.matters.get(matter)
            entry["note"] = entry["note"] or (decl.note if decl else None)
            entry["clauses"].append(f"{policy.docno} {label}")
            if policy.docno not in entry["policies"]:
                entry["policies"].append(policy.docno)
    rows = [{
        "docno": p.docno, "title": p.title or NONE, "period": _period(p),
        "paying": len(p.evaluated_clauses), "text_only": sum(c.text_only for c in p.clauses),
        "cases": sum(c.case_count for c in p.clauses), "module": module_name(p.path),
    } for p in policies]
    readings = [row for p in policies for row in readings_of(p)]
    return _environment().get_template("index.md.j2").render(
        policies=rows,
        matters=[m for m in matters.values() if len(m["policies"]) > 1],
        readings=readings)


# ---- issue 13: budgets that pro-rate
def _budget_rule(budget: model.Budget) -> str:
    """How a budget is shared when the awards want more than it holds."""
    if budget.prorate:
        return (f"；资金不足时{budget.prorate}：各项奖励按 预算 ÷ 申请总额 同比例核减，四舍五入到分，"
                "尾差按舍入差额大小逐分调整（批量结果标为 prorated）")
    if budget.ranking:
        return "，按" + "、".join(f"{k.fact}{'降序' if k.descending else '升序'}" for k in budget.ranking) + "安排"
    return "；超出时由评审择优（批量结果标为 needs_selection）"
