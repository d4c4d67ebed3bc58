"""AST -> .pol source. Used for readable labels (traces, summaries) and for the
parse/print round-trip property: parse(print(ast)) == ast.

Printing is canonical: half-width punctuation, one space between tokens, names quoted
with 「」 only when a bare name could not carry them.
"""

from __future__ import annotations

import functools
import re

from . import ast

_BARE_NAME = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z_][\u3400-\u4dbf\u4e00-\u9fffA-Za-z_·]*")
_YEARS_LIKE = re.compile(r"[一二两三四五六七八九十]+年")

# Binding strength, loosest first; used to decide where parentheses are needed.
_PRECEDENCE = {ast.Or: 1, ast.And: 2, ast.Not: 3, ast.Compare: 4, ast.Member: 4, ast.RunOfYears: 4}
_ADDITIVE, _MULTIPLICATIVE, _UNARY, _ATOM = 5, 6, 7, 9


def name(node: ast.Name) -> str:
    return _name_text(node.text)


@functools.lru_cache(maxsize=4096)
def _name_text(text: str) -> str:
    """A name as printed: bare when it reads as one name, else quoted (decided once per text:
    the keywords are the grammar's, fixed for the process)."""
    from .grammar_tables import keywords
    if _BARE_NAME.fullmatch(text) and text not in keywords() and not _YEARS_LIKE.match(text):
        return text
    return f"「{text}」"


def string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_DOCNO = re.compile(r"[\u4e00-\u9fff]+(〔[0-9]{4}〕|\[[0-9]{4}\]|\([0-9]{4}\))[0-9]+号")
_ARTICLE = re.compile(r"第[一二三四五六七八九十百零]+条")


def policy_ref(text: str) -> str:
    """A reference to another policy: its document number as written, or 「简称」 of one without."""
    from .source import normalise
    return text if _DOCNO.fullmatch(normalise(text)) else f"「{text}」"


_ARTICLE_ITEM = re.compile(r"(第[一二三四五六七八九十百零]+条)(第[0-9]+项)")


def article_ref(node: ast.Name) -> str:
    """除外 第十二条, 除外 第十二条 第2项, or a numbering as written: 除外 "二、（一）"."""
    if _ARTICLE.fullmatch(node.text):
        return node.text
    item = _ARTICLE_ITEM.fullmatch(node.text)
    return f"{item.group(1)} {item.group(2)}" if item else string(node.text)


def _precedence(node) -> int:
    if isinstance(node, ast.Binary):
        return _ADDITIVE if node.op in "+-" else _MULTIPLICATIVE
    if isinstance(node, (ast.Neg, ast.PrevYear, ast.Floor)):
        return _UNARY
    if isinstance(node, ast.Growth):
        return 8
    if isinstance(node, ast.And) and node.run_year is not None:  # 自 F 起 第4至5年: one comparison
        return _PRECEDENCE[ast.Compare]
    return _PRECEDENCE.get(type(node), _ATOM)


def _wrapped(node, minimum: int, texts: dict | None = None) -> str:
    text = expr(node, texts)
    return f"({text})" if _precedence(node) < minimum else text


def expr(node, texts: dict | None = None) -> str:
    """The canonical text of an expression. texts: id(node) -> (node, text) of nodes printed
    before, filled as nodes are printed (lowering gives every node of a clause its text, and
    printing each one afresh printed a node once per level above it)."""
    if texts is None:
        return _expr(node, None)
    known = texts.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    text = _expr(node, texts)
    texts[id(node)] = (node, text)  # the node kept beside its text, so its id cannot be reused
    return text


def _expr(node, texts: dict | None) -> str:
    if isinstance(node, ast.Ref):
        return name(node.name)
    if isinstance(node, (ast.Money, ast.UnitPrice, ast.Percent, ast.Number)):
        return node.text
    if isinstance(node, ast.Bool):
        return "是" if node.value else "否"
    if isinstance(node, ast.Binary):
        level = _precedence(node)
        # Left-associative: the right operand needs parentheses at the same level.
        return f"{_wrapped(node.left, level, texts)} {node.op} {_wrapped(node.right, level + 1, texts)}"
    if isinstance(node, ast.Neg):
        return f"-{_wrapped(node.operand, _UNARY, texts)}"
    if isinstance(node, ast.PrevYear):
        return f"上年 {_wrapped(node.operand, _UNARY, texts)}"
    if isinstance(node, ast.Floor):
        return f"取整 {_wrapped(node.operand, _UNARY, texts)}"
    if isinstance(node, ast.AssessedYear):
        return "考核年度"
    if isinstance(node, ast.YearValue):
        return f"{node.value}年"
    if isinstance(node, ast.Growth):
        return f"{_wrapped(node.operand, _ATOM, texts)} 增速"
    if isinstance(node, ast.Compare) and node.run_year is not None:  # issue 13: 自 F 起 第4年
        return f"自 {name(node.right.left.name)} 起 {node.run_year}"
    if isinstance(node, ast.And) and node.run_year is not None:  # issue 13: 自 F 起 第4至5年
        return f"自 {name(node.left.right.left.name)} 起 {node.run_year}"
    if isinstance(node, ast.Compare):
        return f"{_wrapped(node.left, _ADDITIVE, texts)} {node.op} {_wrapped(node.right, _ADDITIVE, texts)}"
    if isinstance(node, ast.Member):
        word = "不属于" if node.negated else "属于"
        return f"{_wrapped(node.subject, _ADDITIVE, texts)} {word} " + "、".join(name(o) for o in node.options)
    if isinstance(node, ast.RunOfYears):
        return f"{node.keyword} {node.years_text} {_wrapped(node.condition, 4, texts)}"
    if isinstance(node, ast.And):
        return f"{_wrapped(node.left, 2, texts)} 且 {_wrapped(node.right, 3, texts)}"
    if isinstance(node, ast.Or):
        return f"{_wrapped(node.left, 1, texts)} 或 {_wrapped(node.right, 2, texts)}"
    if isinstance(node, ast.Not):
        return f"非 {_wrapped(node.operand, 3, texts)}"
    raise TypeError(f"not an expression: {node!r}")


def literal(node) -> str:
    if isinstance(node, ast.DateValue):
        return node.text
    if isinstance(node, ast.YearValue):
        return f"{node.value}年"
    if isinstance(node, ast.EnumValue):
        return name(node.name)
    if isinstance(node, ast.ItemsValue):
        return "[" + ", ".join(literal(value) for value in node.values) + "]"
    if isinstance(node, ast.SeriesValue):
        return "{" + ", ".join(f"{year}: {literal(value)}" for year, value in node.entries) + "}"
    return expr(node)


def award(node: ast.Award, indent: str = "    ") -> str:
    form = node.form
    if isinstance(form, ast.Exact):
        text = expr(form.amount)
    elif isinstance(form, ast.UpTo):
        text = f"{'一事一议 ' if form.case_by_case else ''}最高 {expr(form.ceiling)}"
    elif isinstance(form, ast.Range) and form.rate is not None:
        text = f"{_wrapped(form.low.left, _MULTIPLICATIVE)} × {form.rate}"
    elif isinstance(form, ast.Range):
        text = f"{expr(form.low)} 至 {expr(form.high)}"
    elif isinstance(form, ast.CaseByCase):
        text = "一事一议"
    elif isinstance(form, ast.Unspecified) and form.base is not None:
        text = f"{_wrapped(form.base, _MULTIPLICATIVE)} × 一定比例"
    elif isinstance(form, ast.Unspecified):
        text = "金额未定" + (f" {string(form.note)}" if form.note is not None else "")
    elif isinstance(form, ast.ByLevel):
        rows = "".join(f"\n{indent}{name(r.level)} → {expr(r.amount)}" for r in form.rows)
        text = f"按 {name(form.subject)} 分别{rows}"
    elif isinstance(form, ast.PerItem):
        text = f"每项 {expr(form.amount)}" + (f" 每项最高 {expr(form.item_cap)}" if form.item_cap is not None else "")
    elif isinstance(form, ast.Routing):
        text = _outcome(form.outcome, form.approver)
    elif isinstance(form, ast.ByTier):
        rows = "".join(f"\n{indent}{_wrapped(r.threshold, _ADDITIVE)} → {expr(r.amount)}" for r in form.rows)
        text = f"按 {_wrapped(form.subject, _ADDITIVE)} {form.op} 分档{rows}"
    elif isinstance(form, ast.ByRunYear):  # issue 13: 分年度 + rows
        text = "分年度" + "".join(f"\n{indent}{r.text} → {expr(r.amount)}" for r in form.rows)
    elif isinstance(form, ast.AtLeast):  # issue 13: floors
        text = f"不低于 {expr(form.floor)}"
    elif isinstance(form, (ast.ByTable, ast.ByBand, ast.EachTier, ast.Upgrade)):
        text = _table_award(form, indent)
    else:
        raise TypeError(form)
    if node.cap is not None:
        tabular = (ast.ByLevel, ast.ByTier, ast.ByTable, ast.ByBand, ast.EachTier, ast.Upgrade, ast.ByRunYear)
        text += f"{chr(10) + indent[:-2] if isinstance(form, tabular) else ' '}最高 {expr(node.cap)}"
    return text


# ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
def _table_award(form, indent: str) -> str:
    """The issue-13 table forms: a head line, then one row per line at `indent`."""
    if isinstance(form, ast.ByTable):
        rows = "".join(f"\n{indent}{name(r.level)} → " + "、".join("—" if c is None else expr(c) for c in r.cells)
                       for r in form.rows)
        columns = "、".join(name(c) for c in form.columns)
        return f"按 {name(form.row_fact)}、{name(form.column_fact)} 分别\n{indent}列 {columns}{rows}"
    if isinstance(form, ast.ByBand):
        rows = "".join(f"\n{indent}" + " 且 ".join(f"{b.op} {_wrapped(b.value, _ADDITIVE)}" for b in r.bounds)
                       + f" → {expr(r.amount)}" for r in form.rows)
        return f"按 {_wrapped(form.subject, _ADDITIVE)} 分段{' 全量计价' if form.whole_quantity else ''}{rows}"
    if isinstance(form, ast.EachTier):
        rows = "".join(f"\n{indent}{_wrapped(r.threshold, _ADDITIVE)} → {expr(r.amount)}" for r in form.rows)
        return f"按 {_wrapped(form.subject, _ADDITIVE)} {form.op} 逐档{rows}"
    rows = "".join(f"\n{indent}{name(r.level)} → {expr(r.amount)}" for r in form.rows)
    return f"按 {name(form.subject)} 自 {name(form.held)} 晋级差额{rows}"


def ranking(keys, select: bool = False) -> str:
    if not keys:
        return " 择优" if select else ""
    return " 按 " + "、".join(f"{name(fact)} {'降序' if descending else '升序'}" for fact, descending in keys)


def expected(node: ast.Expected) -> str:
    if node.kind == "exact":
        return literal(node.low)
    if node.kind == "up_to":
        return f"最高 {literal(node.high)}"
    if node.kind == "range":
        return f"{literal(node.low)} 至 {literal(node.high)}"
    if node.kind == "routing":
        return _outcome(node.outcome, node.approver)
    if node.kind == "parts":  # issue 13: the whole award, then what is paid now
        return f"{literal(node.high)} 本期 {literal(node.low)}"
    if node.kind == "at_least":  # issue 13: floors (this test was lost when parts and caps were merged)
        return f"不低于 {literal(node.low)}"
    return {"applies": "适用", "case_by_case": "一事一议", "unspecified": "金额未定", "not_applicable": "不适用",
            "undecidable": "无法判定"}[node.kind]


def case(node: ast.Case) -> str:
    parts = ["案例"]
    if node.title is not None:
        parts.append(f"「{node.title}」")
    if node.facts:
        parts.append("已知 " + ", ".join(f"{name(n)} = {literal(v)}" for n, v in node.facts))
    if node.on is not None:
        parts.append(f"评估日 {node.on.text}")
    if node.expected is not None:
        parts.append(f"预期 {expected(node.expected)}")
    return " ".join(parts)


def fact_type(node: ast.FactType) -> str:
    words = {"money": "金额", "number": "数值", "percent": "百分比", "bool": "是否", "date": "日期", "year": "年份", "text": "标识"}
    base = name(node.enum) if node.base == "enum" else words[node.base]
    return ("逐年 " if node.series else "逐项 " if node.items else "") + base


def clause(node: ast.Clause) -> str:
    head = f"条款 {string(node.article) if node.numbered_as_written else node.article}"
    if node.item is not None:
        head += f" 第{node.item}项"
    if node.title is not None:
        head += f" 「{node.title}」"
    lines = [head]
    if node.source_text is not None:
        lines.append(f"  原文 {string(node.source_text)}")
    if node.recipient is not None:
        lines.append(f"  对象 {string(node.recipient)}")
    if node.units:
        lines.append("  责任单位 " + "、".join(name(u) for u in node.units))
    if node.matter is not None:
        lines.append(f"  事项 {name(node.matter)}")
    if node.matter_by is not None:
        lines.append(f"  事项 按 {name(node.matter_by)}")
    for condition in node.conditions:
        lines.append(f"  当 {expr(condition)}")
    if node.award is not None:
        lines.append(f"  给予 {award(node.award)}")
    for part in node.parts:  # issue 13: payments in parts
        lines.append(f"  {part_text(part)}")
    if node.offsets:  # issue 13: offsets
        lines.append("  抵扣 " + "、".join(name(n) for n in node.offsets))
    if node.duration is not None:
        d = node.duration
        start = f" 自 {name(d.start_fact)} {'次年起' if d.start_next_year else '当年起'}" if d.start_fact else ""
        lines.append(f"  期限 最多 {d.years_text}{start}")
    if node.once:
        lines.append("  一次性")
    if node.uncapped:
        lines.append("  不设上限")
    if node.quota is not None:
        q = node.quota
        if q.share is not None:
            text = f"  名额 比例 {q.share.text} 基数 {name(q.base)}"
            if q.threshold is not None:
                text += f" 起点 {q.threshold}" + (f" {name(ast.Name(q.unit))}" if q.unit else "")
        else:
            text = f"  名额 每年 {q.per_year}"
            if q.unit:
                text += f" {name(ast.Name(q.unit))}"
        if q.groups:
            text += " 每个 " + "、".join(name(g) for g in q.groups)
        text += ranking(q.ranking, q.select)
        lines.append(text)
    if node.modifier is not None:
        lines.append(f"  系数 {node.modifier.text} 作用于 {name(node.modifier.matter)}")
    for note in node.notes:
        lines.append(f"  说明 {string(note)}")
    if node.text_only:
        lines.append("  仅文本")
    for example in node.cases:
        lines.append(f"  {case(example)}")
    return "\n".join(lines)


def policy(node: ast.Policy) -> str:
    lines = [f"政策 {node.docno}" if node.numbered else f"政策 无文号 「{node.docno}」"]
    if node.title is not None:
        lines.append(f"  标题 {string(node.title)}")
    if node.issuer is not None:
        lines.append(f"  发布机关 {string(node.issuer)}")
    if node.issued is not None:
        lines.append(f"  发布日期 {node.issued.text}")
    if node.effective_from is not None:
        lines.append(f"  施行日期 {node.effective_from.text}")
    if node.effective_until is not None:
        lines.append(f"  失效日期 {node.effective_until.text}")
    if node.repeals:
        lines.append("  废止 " + "、".join(policy_ref(r) for r in node.repeals))
    if node.scope is not None:
        lines.append(f"  适用范围 {string(node.scope)}")
    if node.principle is not None:
        lines.append(f"  冲突原则 {node.principle}")
    for co in node.cofunding:
        text = f"  配套 {name(co.payer)} 不低于 {co.minimum_share.text}"
        if co.except_articles:
            text += " 除外 " + "、".join(article_ref(a) for a in co.except_articles)
        lines.append(text)
    for split in node.splits:
        text = "  分担 " + "、".join(f"{name(payer)} {share.text}" for payer, share in split.shares)
        if split.except_articles:
            text += " 除外 " + "、".join(article_ref(a) for a in split.except_articles)
        if split.condition is not None:  # issue 13: payers by condition
            text += f" 当 {expr(split.condition)}"
        lines.append(text)
    for budget in node.budgets:
        tail = f" {budget.prorate}" if budget.prorate else ranking(budget.ranking, budget.select)
        lines.append(f"  预算 {name(budget.payer)} 每年 {budget.amount.text}{tail}")
    for cap in node.enterprise_caps:
        if cap.cumulative:
            lines.append(f"  企业上限 累计 {cap.amount.text} 已获 {name(cap.received)}")
        else:
            lines.append(f"  企业上限 每年 {cap.amount.text}")
    for rule in node.transitional:
        text = f"  过渡 {string(rule.text)}"
        if rule.before_year is not None:
            text += f" 当 考核年度 早于 {rule.before_year}年 依照 {policy_ref(rule.governed_by)}"
        lines.append(text)
    for path in node.imports:
        lines.append(f"  引用 {string(path)}")
    if node.assessed_year != "上一年":
        lines.append(f"  考核年度 {node.assessed_year}")
    for note in node.notes:
        lines.append(f"  说明 {string(note)}")
    if node.source_document is not None:
        lines.append(f"  来源 {string(node.source_document.path)}")
    for sentence in node.not_encoded:
        lines.append(f"  不编码 {string(sentence.text)} 说明 {string(sentence.reason)}")
    for minimum in node.fund_minimums:  # issue 13
        lines.append(f"  资金 {name(minimum.fund)} 每年 不少于 {minimum.amount.text}")
    blocks = ["\n".join(lines)]
    for decl in node.enums:
        blocks.append(f"枚举 {name(decl.name)}: " + "、".join(name(v) for v in decl.values))
    blocks += declarations(node)
    for item in node.clauses:
        blocks.append(clause(item))
    return "\n\n".join(blocks) + "\n"


def declarations(node) -> list[str]:
    """Facts, definitions and matters of a policy or a vocabulary (enumerations come first)."""
    def noted(text, note):
        return text + (f" 说明 {string(note)}" if note is not None else "")
    blocks = [noted(f"事实 {name(d.name)}: {fact_type(d.type)}", d.note) for d in node.facts]
    blocks += [noted(f"定义 {name(d.name)} = {expr(d.expr)}", d.note) for d in node.defs]
    blocks += [noted(f"定义事项 {name(d.name)}", d.note) for d in node.matters]
    return blocks


def vocabulary(node: ast.Vocabulary) -> str:
    blocks = [f"词汇 {name(ast.Name(node.name))}"]
    for decl in node.enums:
        blocks.append(f"枚举 {name(decl.name)}: " + "、".join(name(v) for v in decl.values))
    blocks += declarations(node)
    return "\n\n".join(blocks) + "\n"


# ---- issue 13: outcomes that are not money
def _outcome(verb: str, what: str) -> str:
    """由 "X" 审定, or 免收 "手续费" / 优先保障 "用地指标" / 列入 "…" / 授予 "…"."""
    return f"由 {string(what)} 审定" if verb == "审定" else f"{verb} {string(what)}"


# ---- issue 13: payments in parts
def part_text(node: ast.Part) -> str:
    """其中 50% [第2年] [待 达产升规]."""
    text = f"其中 {node.share.text}"
    if node.year_text is not None:
        text += f" {node.year_text}"
    if node.condition is not None:
        text += f" 待 {expr(node.condition)}"
    return text
