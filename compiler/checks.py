"""Stage 2: checks. Pure functions from AST to diagnostics; nothing here raises.

Each check looks at one concern (names, types, tiers, awards, dates, examples, overlaps)
and returns the diagnostics it found, so several problems are reported in one run.
Codes are stable: `polc explain CODE` describes each one (compiler/explain.py).
"""

from __future__ import annotations

import re
import typing
from decimal import Decimal
from typing import Iterable, Iterator

import attrs

from . import ast, limits, printer
from .diagnostics import Diagnostic, Message, error, info, warning
from .types import Symbols, Type, comparable, comparison, infer


def check_policy(policy: ast.Policy) -> list[Diagnostic]:
    """Every check that looks at one policy (with its vocabulary). Overlaps between clauses
    are decided across all files together: find_overlaps / check_overlaps_across."""
    symbols = Symbols.of(policy)
    found = list(check_limits(policy, symbols))
    if found:
        # The other checks follow 定义 recursively: past the limit they could exhaust the stack.
        return found
    for check in (check_declarations, check_expressions, check_clauses, check_awards,
                  check_header, check_cases, check_matters, check_items, check_bounds, check_year_tables,
                  check_drafting, check_as_written, check_tables,
                  check_run_years,  # issue 13: rates over a run of years
                  check_parts,  # issue 13: payments in parts
                  check_offsets,  # issue 13: offsets
                  check_enterprise_caps):  # issue 13: caps per enterprise
        found.extend(check(policy, symbols))
    return found


def check_as_written(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """The text's own forms: a numbering as written (条款 "二、（一）1.", 除外 "二、") must be one,
    and a policy without a document number needs its title to be told apart in summaries."""
    references = [a for rule in (*policy.cofunding, *policy.splits) for a in rule.except_articles]
    numbered = [(c.article, c.numbering_span or c.span) for c in policy.clauses if c.numbered_as_written]
    for text, span in [*numbered, *((a.text, a.span) for a in references)]:
        if not ast.is_numbering(text):
            yield error("E200", span, f"「{text}」不是条款编号：编号应照原文写，如 二、（一）1.（1）",
                        f"{text!r} is not a provision's numbering: write it as the text does, e.g. 二、（一）1.（1）",
                        notes=(Message(f"每一级是 一、 （一） 1. （1） ① 或 第N条/第N款/第N项 之一，中间不留空格，"
                                       f"全长不超过{ast.MAX_NUMBERING_CHARS}字；标题写在「」中",
                                       "each level is one of 一、 （一） 1. （1） ① or 第N条/第N款/第N项, with no spaces, "
                                       f"{ast.MAX_NUMBERING_CHARS} characters at most; a title goes in 「」"),))
    if not policy.numbered and policy.title is None:
        yield error("E201", policy.span, f"政策「{policy.docno}」没有文号，也没有「标题」：摘要无法指明是哪一份文件",
                    f"the policy {policy.docno!r} has no document number and no 标题: its summary cannot say which "
                    f"document it is",
                    suggestion=Message("在「政策 无文号 「简称」」下一行写上原文的完整标题：标题 \"…\"",
                                       "give the document's full title on the next line: 标题 \"…\""))


# ---- issue 13: caps per enterprise (r14-caps)
def check_enterprise_caps(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """企业上限: an amount above 0 (E300), 已获 naming a money fact of one value (E301), and a
    yearly cap that no applicant can reach (W300: the clauses together pay at most less)."""
    from . import analysis
    for cap in policy.enterprise_caps:
        if cap.amount.value <= 0:
            yield error("E300", cap.amount.span, f"企业上限 {cap.amount.text} 不大于0：本政策将不向任何企业支付",
                        f"the enterprise cap {cap.amount.text} is not above 0: the policy would pay no one",
                        suggestion=Message("核对原文的上限金额，如 企业上限 每年 20万元",
                                           "check the text's amount, e.g. 企业上限 每年 20万元"))
        if cap.received is not None:
            decl = symbols.facts.get(cap.received.text)
            t = decl.type if decl is not None else None
            if t is None or t.base != "money" or t.series or t.items:
                what = ("未声明" if decl is None else f"类型为{symbols.fact_type(decl).describe()}",
                        "is not declared" if decl is None else f"is {symbols.fact_type(decl).describe('en')}")
                yield error("E301", cap.received.span,
                            f"「已获 {cap.received.text}」{what[0]}：应为一个金额事实（企业往年已获得的奖补合计）",
                            f"「已获 {cap.received.text}」 {what[1]}: it must be a money fact (what the applicant "
                            f"received in earlier years, in all)",
                            suggestion=Message(f"声明：事实 {cap.received.text}: 金额 说明 \"企业往年已按本政策获得的奖补合计\"",
                                               f"declare it: 事实 {cap.received.text}: 金额"))
        elif cap.amount.value > 0:
            total, unbounded, unstated = analysis.policy_ceiling(policy)
            if not unbounded and not unstated and total <= cap.amount.value and any(
                    not c.text_only and c.award is not None for c in policy.clauses):
                yield warning("W300", cap.span, f"企业上限 {cap.amount.text} 永远不会起作用：各条款合计最高 {_money(total)}",
                              f"the enterprise cap {cap.amount.text} can never bind: the clauses together pay at most "
                              f"{_money(total)}")


def check_vocabulary(vocabulary: ast.Vocabulary) -> list[Diagnostic]:
    symbols = Symbols.of(vocabulary)
    found = list(check_limits(vocabulary, symbols))
    if found:
        return found
    found = list(check_declarations(vocabulary, symbols))
    for decl in vocabulary.defs:
        found.extend(_check_expr(decl.expr, symbols))
    return found


def check_policies(policies: list[ast.Policy]) -> list[Diagnostic]:
    """Checks that look across files: one 文号 per file."""
    found = []
    seen: dict[str, ast.Policy] = {}
    for policy in policies:
        # 嘉政发[2020]6号 and 嘉政发〔2020〕6号 are one document: compared by key, shown as written.
        first = seen.get(policy.key)
        if first is not None:
            written = "" if first.docno == policy.docno else f"（写作「{first.docno}」）"
            written_en = "" if first.docno == policy.docno else f" (written {first.docno!r})"
            found.append(error("E052", policy.span, f"文号「{policy.docno}」已在 {first.path}{written} 中使用",
                               f"document number {policy.docno!r} is already used in {first.path}{written_en}"))
        seen.setdefault(policy.key, policy)
    return found


# ---------------------------------------------------------------- limits
def check_limits(policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """No expression, with the 定义 it uses written out in place, nests deeper than
    limits.MAX_NESTING or costs more than limits.MAX_COST steps to evaluate (the parser has
    already bounded each expression as written). Runs before every other check, and without
    recursing along chains of 定义."""
    measures = definition_measures(symbols)
    own = {decl.name.text for decl in policy.defs}

    def crosses(node, measure: tuple[int, int]) -> bool:
        # Report where a limit is first crossed, not every expression built on top of it
        # (the definitions it uses are looked at only for an expression over a limit).
        if not _over(measure):
            return False
        used = [measures[r.name.text] for r in _refs(node) if r.name.text in measures]
        return not any(_over(m) for m in used)

    for decl in policy.defs:
        measure = measures[decl.name.text]
        if decl.name.text in own and crosses(decl.expr, measure):
            yield _too_big(decl.name.span, measure, True)
    if isinstance(policy, ast.Policy):
        for clause in policy.clauses:
            for node, _role in clause_expressions(clause):
                measure = _measure(node, measures)
                if crosses(node, measure):
                    yield _too_big(node.span, measure, False)


def _over(measure: tuple[int, int]) -> bool:
    depth, cost = measure
    return depth > limits.MAX_NESTING or cost > limits.MAX_COST


def _too_big(span, measure: tuple[int, int], definition: bool) -> Diagnostic:
    depth, cost = measure
    what_zh, what_en = ("定义", "the definition") if definition else ("表达式", "the expression")
    if depth > limits.MAX_NESTING:
        return error("E101", span, f"{what_zh}展开「定义」后嵌套 {depth} 层，超过上限 {limits.MAX_NESTING} 层",
                     f"{what_en} nests {depth} levels deep with the 定义 it uses written out, above the limit of {limits.MAX_NESTING}",
                     notes=(Message("一条「定义」链中的每一环都算一层", "each link of a chain of 定义 counts as a level"),),
                     suggestion=Message("缩短「定义」链，或把条件拆成几行「当 …」", "shorten the chain of 定义, or split the condition over several 当 lines"))
    return error("E101", span, f"{what_zh}展开后过大：求值一次要 {cost} 步，上限 {limits.MAX_COST} 步",
                 f"{what_en} is too large written out: {cost} steps to evaluate once, above the limit of {limits.MAX_COST}",
                 notes=(Message("每用一次「定义」就把它展开一次；「连续/近 N年」里的条件要算 N 次",
                                "each use of a 定义 writes it out again; a condition under 连续/近 N年 is evaluated N times"),),
                 suggestion=Message("不要让「定义」层层重复引用，也不要把「连续 N年」套在另一个「连续」里",
                                    "avoid 定义 that use another several times over, and 连续 N年 inside another 连续"))


def _measure(node, defs: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(nesting depth, evaluation cost) of an expression: a reference to a 定义 counts as the
    definition written out (plus one), a condition under 连续/近 N年 counts N times. Recursive,
    but only over one expression, whose depth the parser has bounded."""
    if isinstance(node, ast.Ref) and node.name.text in defs:
        depth, cost = defs[node.name.text]
        return 1 + depth, 1 + cost
    parts = [_measure(child, defs) for child in _children(node)]
    depth = 1 + max((d for d, _c in parts), default=0)
    cost = sum(c for _d, c in parts)
    if isinstance(node, ast.RunOfYears):
        cost *= node.years
    return depth, 1 + cost


def definition_measures(symbols: Symbols) -> dict[str, tuple[int, int]]:
    """Each 定义's (depth, cost) with the definitions it uses written out, computed in
    dependency order with an explicit stack: a chain of thousands of 定义 must not recurse.
    A cycle (reported as E014) counts the definition that closes it as (1, 1)."""
    measures: dict[str, tuple[int, int]] = {}
    for root in symbols.defs:
        stack, open_ = [(root, False)], set()
        while stack:
            name, ready = stack.pop()
            if name in measures:
                continue
            expr = symbols.defs[name].expr
            if ready:
                open_.discard(name)
                measures[name] = _measure(expr, {n: measures.get(n, (1, 1)) for n in _def_refs(expr, symbols)})
                continue
            open_.add(name)
            stack.append((name, True))
            stack.extend((n, False) for n in _def_refs(expr, symbols) if n not in measures and n not in open_)
    return measures


def _def_refs(expr, symbols: Symbols) -> set[str]:
    return {r.name.text for r in _refs(expr) if r.name.text in symbols.defs}


def _closest(word: str, choices) -> str | None:
    """The choice nearest to word by edit distance, if it is near enough to suggest (at most
    half its length away). Bounded: choices whose length alone puts them too far are skipped,
    and each distance stops as soon as it exceeds the best so far, so a misspelt name of
    any length costs at most len(word) × (2 × bound + 1) steps per candidate."""
    bound = max(1, len(word) // 2)
    best: tuple[int, str] | None = None
    for choice in sorted(set(choices)):
        limit = bound if best is None else best[0]
        if abs(len(choice) - len(word)) > limit:
            continue
        distance = _bounded_distance(word, choice, limit)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, choice)
    return best[1] if best else None


def _bounded_distance(a: str, b: str, limit: int) -> int | None:
    """Levenshtein distance of a and b if it is at most limit, else None (banded: cells
    further than limit from the diagonal can only be over the limit)."""
    if abs(len(a) - len(b)) > limit:
        return None
    big = limit + 1
    previous = [j if j <= limit else big for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        low, high = max(1, i - limit), min(len(b), i + limit)
        current = [big] * (len(b) + 1)
        current[0] = i if i <= limit else big
        for j in range(low, high + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]), big)
        if min(current[max(0, low - 1):high + 1]) > limit:
            return None
        previous = current
    return previous[len(b)] if previous[len(b)] <= limit else None


# ---------------------------------------------------------------- names
def check_declarations(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    # Facts, definitions and enumerations share one namespace. Enumeration values only
    # need to be unique within their enumeration (国家 may be a level of brands and of
    # standards), but may not shadow a fact or a definition.
    declared: dict[str, ast.Name] = {}
    vocabulary = getattr(policy, "vocabulary", None)
    if vocabulary is not None:
        for decl in (*vocabulary.enums, *vocabulary.facts, *vocabulary.defs, *vocabulary.matters):
            declared.setdefault(decl.name.text, decl.name)
    names = [d.name for d in policy.enums] + [d.name for d in policy.facts] + [d.name for d in policy.defs]
    names += [d.name for d in policy.matters]
    for name in names:
        if name.text in declared:
            yield _twice(name, declared[name.text])
        else:
            declared[name.text] = name
    for decl in policy.enums:
        values: dict[str, ast.Name] = {}
        for value in decl.values:
            if value.text in values:
                yield _twice(value, values[value.text])
            elif value.text in symbols.facts or value.text in symbols.defs:
                yield _twice(value, declared[value.text])
            values.setdefault(value.text, value)
    for decl in policy.facts:
        if decl.type.base == "enum" and decl.type.enum.text not in symbols.enums:
            yield _unknown(decl.type.enum, list(symbols.enums), "枚举", "enumeration")
    for decl in policy.defs:
        if _refers_to(decl.expr, decl.name.text, symbols, set()):
            yield error("E014", decl.name.span, f"定义「{decl.name.text}」引用了自身",
                        f"the definition {decl.name.text!r} refers to itself")


def _twice(name: ast.Name, first: ast.Name) -> Diagnostic:
    where = f"{first.span.path}:{first.span.line}" if first.span else "?"
    return error("E010", name.span, f"名称「{name.text}」重复声明（首次声明于 {where}）",
                 f"the name {name.text!r} is declared twice (first at {where})")


def _refers_to(node, target: str, symbols: Symbols, seen: set) -> bool:
    for ref in _refs(node):
        text = ref.name.text
        if text == target:
            return True
        if text in symbols.defs and text not in seen:
            seen.add(text)
            if _refers_to(symbols.defs[text].expr, target, symbols, seen):
                return True
    return False


def _unknown(name: ast.Name, candidates: list[str], what_zh: str, what_en: str) -> Diagnostic:
    from .parser import keyword_against_name  # here, not at the top: checking clean drafts never loads the parser
    glued = keyword_against_name(name.text, name.span)
    if glued is not None:
        return glued
    near = _closest(name.text, candidates)
    return error("E011", name.span, f"未声明的{what_zh}「{name.text}」", f"undeclared {what_en} {name.text!r}",
                 suggestion=Message(f"是否想写「{near}」？", f"did you mean {near!r}?") if near else
                 Message(f"先用「事实 {name.text}: 类型」声明它", f"declare it first: 事实 {name.text}: <type>"))


# The expression node classes, from ast.Expr itself: a new node kind is walked without
# touching this module (a hand list here once missed 取整, so names under it went unchecked).
_EXPRESSION_NODES = tuple(t for t in typing.get_args(ast.Expr) if isinstance(t, type)) + (ast.YearValue,)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # attrs class -> the fields that can hold expressions, read once per class
# Types whose values are never expressions: a field declared with only these (`str | None`,
# `Span | None`, `Name`, `tuple[Name, ...]`) is not looked into. Half the fields of the nodes
# walked were such (every span, every Ref's name, every literal's value and text).
_NO_EXPRESSION_TYPES = frozenset({"str", "int", "bool", "Decimal", "Span", "None", "Name", "tuple", "datetime", "date"})
_ANNOTATION_NAMES = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _may_hold_expressions(annotation) -> bool:
    return not isinstance(annotation, str) or not set(_ANNOTATION_NAMES.findall(annotation)) <= _NO_EXPRESSION_TYPES


def _expression_fields(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(field.name for field in attrs.fields(cls) if _may_hold_expressions(field.type)) \
            if attrs.has(cls) else ()
    return names


def _children(node) -> Iterable:
    """The sub-expressions of an expression node, read from its attrs fields."""
    names = _FIELD_NAMES.get(type(node))
    if names is None:
        names = _expression_fields(type(node))
    if not names:
        return ()
    children = []
    for name in names:
        value = getattr(node, name)
        kind = _VALUE_KINDS.get(type(value))
        if kind is None:
            kind = _value_kind(type(value))
        if kind == _EXPRESSION:
            children.append(value)
        elif kind == _TUPLE:
            for item in value:
                item_kind = _VALUE_KINDS.get(type(item))
                if (item_kind if item_kind is not None else _value_kind(type(item))) == _EXPRESSION:
                    children.append(item)
    return children


# What _children does with a field's value, decided once per type (isinstance against every
# expression class, for every field of every node, was most of walking): an expression node,
# a tuple to look into, or neither.
_OTHER, _EXPRESSION, _TUPLE = range(3)
_VALUE_KINDS: dict[type, int] = {}


def _value_kind(cls: type) -> int:
    kind = _EXPRESSION if issubclass(cls, _EXPRESSION_NODES) else _TUPLE if issubclass(cls, tuple) else _OTHER
    _VALUE_KINDS[cls] = kind
    return kind


def walk(node) -> Iterator:
    """node and every expression under it, depth first in field order. Iterative: a
    generator per level (yield from) cost every node as many steps as it was deep."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        children = _children(current)
        if children:
            stack.extend(reversed(children))


def facts_read(expressions: Iterable, symbols: Symbols) -> set[str]:
    """The facts some expression reads, directly or through the definitions it uses (each
    definition followed once)."""
    read: set[str] = set()
    seen_defs: set[str] = set()
    pending = list(expressions)
    while pending:
        for node in walk(pending.pop()):
            if isinstance(node, ast.Ref):
                text = node.name.text
                if text in symbols.facts:
                    read.add(text)
                elif text in symbols.defs and text not in seen_defs:
                    seen_defs.add(text)
                    pending.append(symbols.defs[text].expr)
    return read


def _refs(node) -> Iterator[ast.Ref]:
    return (n for n in walk(node) if isinstance(n, ast.Ref))


def clause_expressions(clause: ast.Clause) -> Iterator[tuple[object, str]]:
    """Every expression of a clause, with the role it plays (condition, amount, threshold…)."""
    for condition in clause.conditions:
        yield condition, "condition"
    for part in clause.parts:  # issue 13: 其中 50% 待 条件
        if part.condition is not None:
            yield part.condition, "condition"
    award = clause.award
    if award is None:
        return
    form = award.form
    if isinstance(form, ast.Exact):
        yield form.amount, "amount"
    elif isinstance(form, ast.UpTo):
        yield form.ceiling, "amount"
    elif isinstance(form, ast.Range):
        yield form.low, "amount"
        yield form.high, "amount"
    elif isinstance(form, ast.AtLeast):
        yield form.floor, "amount"
    elif isinstance(form, ast.Unspecified) and form.base is not None:
        yield form.base, "amount"
    elif isinstance(form, ast.ByLevel):
        for row in form.rows:
            yield row.amount, "amount"
    elif isinstance(form, ast.PerItem):
        yield form.amount, "item_amount"
        if form.item_cap is not None:
            yield form.item_cap, "amount"
    elif isinstance(form, ast.ByTier):
        yield form.subject, "tier_subject"
        for row in form.rows:
            yield row.threshold, "threshold"
            yield row.amount, "amount"
    elif isinstance(form, ast.ByRunYear):
        for run_row in form.rows:
            yield run_row.amount, "amount"
    elif isinstance(form, (ast.ByTable, ast.ByBand, ast.EachTier, ast.Upgrade)):
        yield from _table_expressions(form)
    if award.cap is not None:
        yield award.cap, "amount"


# ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
def _table_expressions(form) -> Iterator[tuple[object, str]]:
    if isinstance(form, ast.ByTable):
        for row in form.rows:
            for cell in row.cells:
                if cell is not None:
                    yield cell, "amount"
    elif isinstance(form, ast.ByBand):
        yield form.subject, "tier_subject"
        for band in form.rows:
            for bound in band.bounds:
                yield bound.value, "threshold"
            yield band.amount, "unit_price" if form.whole_quantity else "band_amount"  # a unit price there: E325
    elif isinstance(form, ast.EachTier):
        yield form.subject, "tier_subject"
        for row in form.rows:
            yield row.threshold, "threshold"
            yield row.amount, "amount"
    else:
        for level in form.rows:
            yield level.amount, "amount"


def check_tables(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """The issue-13 table forms: a two-key table is complete and its keys are enumerations; bands
    are bounded by written numbers and neither overlap nor leave gaps unsaid; 逐档 reads a
    first-time crossing; 晋级差额 compares two levels of one enumeration."""
    for clause in policy.clauses:
        form = clause.award.form if clause.award is not None else None
        if isinstance(form, ast.ByTable):
            yield from _check_table(form, symbols)
        elif isinstance(form, ast.ByBand):
            yield from _check_bands(form, symbols)
        elif isinstance(form, ast.EachTier):
            yield from _check_each_tier(clause, form, symbols)
        elif isinstance(form, ast.Upgrade):
            yield from _check_upgrade(form, symbols)


def _enum_fact(name: ast.Name, symbols: Symbols, form_text: str) -> Iterator[Diagnostic]:
    decl = symbols.facts.get(name.text)
    if decl is None:
        yield _unknown(name, list(symbols.facts), "事实", "fact")
    elif decl.type.base != "enum" or decl.type.series or decl.type.items:
        yield error("E033", name.span, f"「{form_text}」中的「{name.text}」应为枚举事实",
                    f"{name.text!r} in {form_text} must be an enumeration fact")


def _enum_values(name: ast.Name, symbols: Symbols) -> tuple[str | None, list[str]]:
    decl = symbols.facts.get(name.text)
    if decl is None or decl.type.base != "enum" or decl.type.enum is None:
        return None, []
    enum = decl.type.enum.text
    return enum, [v.text for v in symbols.enums[enum].values] if enum in symbols.enums else []


def _check_table(form: ast.ByTable, symbols: Symbols) -> Iterator[Diagnostic]:
    text = f"按 {form.row_fact.text}、{form.column_fact.text} 分别"
    problems = [*_enum_fact(form.row_fact, symbols, text), *_enum_fact(form.column_fact, symbols, text)]
    yield from problems
    for axis, names in ((form.row_fact, [r.level for r in form.rows]), (form.column_fact, list(form.columns))):
        enum, values = _enum_values(axis, symbols)
        seen: set[str] = set()
        for name in names:
            if enum is not None and name.text not in values:
                yield _not_a_value(name, enum, values)
            elif name.text in seen:
                yield error("E034", name.span, f"奖励表中「{name.text}」重复", f"{name.text!r} appears twice in the table")
            seen.add(name.text)
    for row in form.rows:
        if len(row.cells) != len(form.columns):
            yield error("E320", row.span,
                        f"奖励表「{row.level.text}」一行有{len(row.cells)}格，而表头有{len(form.columns)}列",
                        f"the table row {row.level.text!r} has {len(row.cells)} cells, but the head has {len(form.columns)} columns",
                        notes=(Message("每行按表头的列依次写金额，用「、」隔开；某格无奖励写「—」",
                                       "give one amount per column of the head, separated by 、; write — where a pair gets nothing"),),
                        suggestion=Message(f"写满{len(form.columns)}格，如：{row.level.text} → "
                                           + "、".join(["—"] * len(form.columns)),
                                           f"give {len(form.columns)} cells, e.g. {row.level.text} → "
                                           + "、".join(["—"] * len(form.columns))))


def _band_interval(band: ast.BandRow):
    """(low, low inclusive, high, high inclusive) of a band whose bounds are written numbers
    (None for an open side); None when a bound is not a number or two bound one side."""
    from .analysis import band_side
    low = high = None
    for bound in band.bounds:
        value = _threshold_value(bound.value)
        side = band_side(bound.op)
        if value is None or side is None:
            return None
        inclusive = bound.op in ("不低于", "不少于", "达到", ">=", "≥", "不超过", "不高于", "<=", "≤")
        if side == "lower":
            if low is not None:
                return None
            low = (value, inclusive)
        else:
            if high is not None:
                return None
            high = (value, inclusive)
    return low, high


def _check_bands(form: ast.ByBand, symbols: Symbols) -> Iterator[Diagnostic]:
    from .analysis import band_side
    subject = infer(form.subject, symbols)
    intervals = []
    for band in form.rows:
        sides = [band_side(b.op) for b in band.bounds]
        bad = [b for b in band.bounds if band_side(b.op) is None or _threshold_value(b.value) is None]
        if bad or len(set(sides)) != len(sides):
            where = bad[0] if bad else band.bounds[-1]
            yield error("E323", where.span,
                        "分段的每一行写一个下限和（或）一个上限，各用一个比较词和一个数："
                        f"「{' 且 '.join(f'{b.op} {printer.expr(b.value)}' for b in band.bounds)}」不是",
                        "each band gives a lower and/or an upper bound, each a comparison word and a number: "
                        f"{' 且 '.join(f'{b.op} {printer.expr(b.value)}' for b in band.bounds)!r} is not",
                        notes=(Message("下限用 超过/不低于（或 500以上），上限用 不超过/低于（或 500以下）；「（含500亩）」写作 不超过 500",
                                       "a lower bound is 超过/不低于 (or 500以上), an upper one 不超过/低于 (or 500以下); "
                                       "(含500亩) is 不超过 500"),),
                        suggestion=Message("如：不低于 100 且 不超过 500 → 100元/亩", "e.g. 不低于 100 且 不超过 500 → 100元/亩"))
            intervals.append(None)
            continue
        for bound in band.bounds:
            threshold = infer(bound.value, symbols)
            if subject is not None and threshold is not None and not comparable(subject, threshold):
                yield error("E020", bound.value.span,
                            f"单位不匹配：分段界限 {printer.expr(bound.value)} 是{threshold.describe()}，"
                            f"而「{printer.expr(form.subject)}」是{subject.describe()}",
                            f"units do not match: the band bound {printer.expr(bound.value)} is {threshold.describe('en')}, "
                            f"but {printer.expr(form.subject)!r} is {subject.describe('en')}")
        intervals.append(_band_interval(band))
    yield from _check_band_prices(form, symbols, subject)
    known = sorted(((iv, band) for iv, band in zip(intervals, form.rows) if iv is not None),
                   key=lambda pair: (pair[0][0] is not None, pair[0][0][0] if pair[0][0] is not None else 0))
    for (first, first_band), (second, second_band) in zip(known, known[1:]):
        high, low = first[1], second[0]
        if high is None or low is None or high[0] > low[0] or (high[0] == low[0] and high[1] and low[1]):
            line = first_band.span.line if first_band.span else "?"
            yield error("E324", second_band.span, f"分段重叠：有些值既在这一段，也在第{line}行那一段",
                        f"the bands overlap: some values are both in this band and in the band on line {line}",
                        notes=(Message("相邻两段在同一界限上只能有一段含本数：不超过 500 与 超过 500",
                                       "of two bands meeting at one bound, only one includes it: 不超过 500 and 超过 500"),))
        elif high[0] < low[0] or (not high[1] and not low[1]):
            upper_text = next(printer.expr(b.value) for b in first_band.bounds if band_side(b.op) == "upper")
            lower_text = next(printer.expr(b.value) for b in second_band.bounds if band_side(b.op) == "lower")
            gap = (upper_text if high[0] == low[0]
                   else f"{'超过' if high[1] else '不低于'} {upper_text} 且 {'低于' if low[1] else '不超过'} {lower_text}")
            yield warning("W324", second_band.span, f"分段之间有空档：{gap} 不在任何一段内，不予奖励",
                          f"a gap between the bands: {gap} is in no band and gets nothing",
                          notes=(Message("原文如确不奖励这一段，可忽略；否则把界限接上（不超过 500 与 超过 500）",
                                         "if the text pays nothing there, this is as meant; otherwise make the bounds meet "
                                         "(不超过 500 and 超过 500)"),))


def _check_band_prices(form: ast.ByBand, symbols: Symbols, subject) -> Iterator[Diagnostic]:
    """全量计价: each row is a unit price applied to the whole quantity (a number): the prices all
    per one unit. Without 全量计价 a unit price would pay a price as if it were an amount."""
    types = [(band, infer(band.amount, symbols)) for band in form.rows]
    prices = [(band, t) for band, t in types if t is not None and t.base == "unit_price"]
    if not form.whole_quantity:
        for band, _t in prices[:1]:
            yield error("E325", band.amount.span, f"分段金额 {printer.expr(band.amount)} 是单价，但没有写「全量计价」",
                        f"the band amount {printer.expr(band.amount)} is a unit price, but 全量计价 is not written",
                        notes=(Message("单价 × 全部数量（所在段的单价适用于全部数量，非超额累进）写作「按 X 分段 全量计价」",
                                       "a price × the whole quantity (the band's price applies to all of it, not marginally) "
                                       "is written 按 X 分段 全量计价"),),
                        suggestion=Message(f"给予 按 {printer.expr(form.subject)} 分段 全量计价",
                                           f"给予 按 {printer.expr(form.subject)} 分段 全量计价"))
        return
    for band, t in types:
        if t is not None and t.base != "unit_price":
            yield error("E325", band.amount.span, f"「全量计价」的每段应为单价（如 100元/亩），{printer.expr(band.amount)} 不是",
                        f"with 全量计价 each band is a unit price (e.g. 100元/亩); {printer.expr(band.amount)} is not",
                        suggestion=Message("写成单价：100元/亩；若每段是固定金额，去掉「全量计价」",
                                           "write a unit price: 100元/亩; for a fixed amount per band, drop 全量计价"))
    units = {t.enum for _band, t in prices}
    if len(units) > 1:
        yield error("E325", form.span, f"「全量计价」各段单价的单位不同：{'、'.join(sorted(u or '?' for u in units))}",
                    f"the unit prices of 全量计价 are per different units: {'、'.join(sorted(u or '?' for u in units))}")
    if subject is not None and (subject.base != "number" or subject.series or subject.items):
        yield error("E325", form.subject.span, f"「全量计价」按数量计价，「{printer.expr(form.subject)}」应为数值，实际是{subject.describe()}",
                    f"全量计价 prices a quantity: {printer.expr(form.subject)!r} must be a number, it is {subject.describe('en')}")


def _check_each_tier(clause: ast.Clause, form: ast.EachTier, symbols: Symbols) -> Iterator[Diagnostic]:
    if not form.op.startswith("首次"):
        yield error("E326", form.span, f"「逐档」按首次越过的各档分别给予，比较词应为 首次超过/首次达到/首次不低于，而不是「{form.op}」",
                    f"逐档 pays each tier crossed for the first time: the word must be 首次超过/首次达到/首次不低于, not {form.op!r}",
                    notes=(Message("只付最高一档写作「分档」", "to pay the highest tier only, write 分档"),),
                    suggestion=Message(f"给予 按 {printer.expr(form.subject)} 首次超过 逐档",
                                       f"给予 按 {printer.expr(form.subject)} 首次超过 逐档"))
        return
    yield from _check_tier_subject(form, symbols)  # type: ignore[arg-type]  (the same subject and rows)
    yield from _check_tiers(clause, form, symbols, None)  # type: ignore[arg-type]


def _check_upgrade(form: ast.Upgrade, symbols: Symbols) -> Iterator[Diagnostic]:
    text = f"按 {form.subject.text} 自 {form.held.text} 晋级差额"
    problems = [*_enum_fact(form.subject, symbols, text), *_enum_fact(form.held, symbols, text)]
    yield from problems
    if problems:
        return
    enum, values = _enum_values(form.subject, symbols)
    held_enum, _held_values = _enum_values(form.held, symbols)
    if held_enum != enum:
        yield error("E327", form.held.span, f"「{form.held.text}」是枚举「{held_enum}」，而「{form.subject.text}」是「{enum}」：晋级须在同一等级序列中比较",
                    f"{form.held.text!r} is of the enumeration {held_enum!r} but {form.subject.text!r} of {enum!r}: "
                    "an upgrade compares levels of one enumeration",
                    suggestion=Message(f"把「{form.held.text}」声明为 {enum}：事实 {form.held.text}: {enum}",
                                       f"declare {form.held.text!r} as {enum}: 事实 {form.held.text}: {enum}"))
        return
    seen: dict[str, ast.LevelRow] = {}
    for row in form.rows:
        if row.level.text not in values:
            yield _not_a_value(row.level, enum or "?", values)
        elif row.level.text in seen:
            yield error("E034", row.level.span, f"等级「{row.level.text}」重复", f"level {row.level.text!r} appears twice")
        seen.setdefault(row.level.text, row)
    ordered = sorted(((values.index(name), row) for name, row in seen.items()), key=lambda pair: pair[0])
    for (_i, lower), (_j, higher) in zip(ordered, ordered[1:]):
        low, high = _constant(lower.amount), _constant(higher.amount)
        if low is not None and high is not None and high <= low:
            yield warning("W327", higher.amount.span,
                          f"晋级差额：较高等级「{higher.level.text}」的金额 {printer.expr(higher.amount)} 不高于"
                          f"较低等级「{lower.level.text}」的 {printer.expr(lower.amount)}，由后者晋级到前者将不付钱",
                          f"upgrade difference: the higher level {higher.level.text!r} pays {printer.expr(higher.amount)}, "
                          f"not more than the lower {lower.level.text!r} ({printer.expr(lower.amount)}): that upgrade pays nothing",
                          notes=(Message("等级按枚举声明的顺序由低到高；核对枚举顺序和各级金额",
                                         "levels rise in the enumeration's declared order; check the order and the amounts"),))


# ---------------------------------------------------------------- types
def check_expressions(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    for decl in policy.defs:
        yield from _check_expr(decl.expr, symbols)
    header = [(split.condition, "condition") for split in policy.splits if split.condition is not None]  # issue 13
    for clause in [None, *policy.clauses]:
        for node, role in (header if clause is None else clause_expressions(clause)):
            problems = list(_check_expr(node, symbols))
            yield from problems
            if problems:
                continue
            t = infer(node, symbols)
            if t is None:
                continue
            if role == "condition" and t.base != "bool":
                yield error("E021", node.span, f"条件「{printer.expr(node)}」不是是/否判断（它是{t.describe()}）",
                            f"the condition {printer.expr(node)!r} is not a yes/no test (it is {t.describe('en')})",
                            suggestion=Message("用比较词写成判断，如 X 超过 10万元", "write a comparison, e.g. X 超过 10万元"))
            if (role in ("amount", "item_amount") or (role == "band_amount" and t.base != "unit_price")) and t.base != "money":
                yield error("E022", node.span, f"奖励金额「{printer.expr(node)}」应为金额，实际是{t.describe()}",
                            f"the award {printer.expr(node)!r} must be money, but it is {t.describe('en')}",
                            suggestion=Message("乘以一个金额，或写明单位（元、万元、亿元）",
                                               "multiply by an amount, or write a unit (元, 万元, 亿元)"))
        form = clause.award.form if clause is not None and clause.award is not None else None
        if isinstance(form, ast.ByTier):
            yield from _check_tier_subject(form, symbols)


def _check_expr(node, symbols: Symbols) -> Iterator[Diagnostic]:
    """Names resolve; operands have compatible units; year functions read yearly facts."""
    for ref in _refs(node):
        text = ref.name.text
        if text not in symbols.facts and text not in symbols.defs and text not in symbols.enum_of_value:
            yield _unknown(ref.name, symbols.names(), "名称", "name")
            return
    for sub in walk(node):
        if isinstance(sub, ast.Binary):
            left, right = infer(sub.left, symbols), infer(sub.right, symbols)
            if left is not None and right is not None and infer(sub, symbols) is None:
                yield error("E020", sub.span,
                            f"单位不匹配：{left.describe()} {sub.op} {right.describe()}",
                            f"units do not match: {left.describe('en')} {sub.op} {right.describe('en')}",
                            notes=(Message("金额只能与金额相加减；金额可乘以百分比或数值",
                                           "money adds only to money; money may be multiplied by a percentage or number"),))
        elif isinstance(sub, ast.Compare):
            left, right = infer(sub.left, symbols), infer(sub.right, symbols)
            if left is not None and right is not None and not comparable(left, right):
                yield error("E020", sub.span,
                            f"单位不匹配：不能比较{left.describe()}与{right.describe()}",
                            f"units do not match: cannot compare {left.describe('en')} with {right.describe('en')}",
                            suggestion=Message("比较两边应同为金额，或同为数值/百分比",
                                               "compare money with money, numbers or percentages with each other"))
            yield from _check_first_time(sub.op, sub.left, sub.span, symbols)
        elif isinstance(sub, (ast.Growth, ast.PrevYear)):
            if not _is_series_ref(sub.operand, symbols):
                word = "增速" if isinstance(sub, ast.Growth) else "上年"
                yield error("E023", sub.span, f"「{word}」只能用于逐年事实", f"{word!r} needs a yearly fact",
                            suggestion=Message("把事实声明为「逐年」：事实 X: 逐年 金额", "declare the fact yearly: 事实 X: 逐年 金额"))
        elif isinstance(sub, ast.Member):
            subject = infer(sub.subject, symbols)
            if subject is None:
                continue
            if subject.base != "enum":
                yield error("E020", sub.span, f"「属于」的左边应为枚举事实，实际是{subject.describe()}",
                            f"the left of 属于 must be an enumeration, it is {subject.describe('en')}")
                continue
            values = [v.text for v in symbols.enums[subject.enum].values] if subject.enum in symbols.enums else []
            for option in sub.options:
                if option.text not in values:
                    yield _not_a_value(option, subject.enum, values)
        elif isinstance(sub, ast.RunOfYears):
            if not any(_is_series_ref(r, symbols) for r in _refs(sub.condition)) and not any(
                    isinstance(n, ast.Growth) for n in walk(sub.condition)):
                yield warning("W024", sub.span, f"「{sub.keyword}{sub.years_text}」中的条件不读取任何逐年事实，每年结果相同",
                              f"the condition under {sub.keyword}{sub.years_text} reads no yearly fact, so every year gives the same answer")
        elif isinstance(sub, (ast.And, ast.Or, ast.Not)):
            for operand in _children(sub):
                t = infer(operand, symbols)
                if t is not None and t.base != "bool":
                    yield error("E021", operand.span, f"「{printer.expr(operand)}」不是是/否判断",
                                f"{printer.expr(operand)!r} is not a yes/no test")


def _check_first_time(op: str, subject, span, symbols: Symbols) -> Iterator[Diagnostic]:
    """首次… reads the history of a yearly amount: the subject must be a yearly fact of money,
    a number or a percentage (an enumeration has no "more" to cross for the first time)."""
    _op, first_time = comparison(op)
    if not first_time:
        return
    if not _is_series_ref(subject, symbols):
        yield error("E023", span, f"「{op}」只能用于逐年事实", f"{op!r} needs a yearly fact",
                    suggestion=Message("把事实声明为「逐年」：事实 X: 逐年 金额", "declare the fact yearly: 事实 X: 逐年 金额"))
    elif symbols.facts[subject.name.text].type.base not in ("money", "number", "percent"):
        yield error("E023", span, f"「{op}」只能用于逐年的金额、数值或百分比，「{subject.name.text}」不是",
                    f"{op!r} needs a yearly amount, number or percentage; {subject.name.text!r} is not one",
                    suggestion=Message("枚举用「属于」或「不低于」判断", "test an enumeration with 属于 or 不低于"))


def _check_tier_subject(form: ast.ByTier, symbols: Symbols) -> Iterator[Diagnostic]:
    """Tiers compare their subject with each threshold: the units must match (a threshold in %
    on a money fact would compare 200万元 with 0.1元), and 首次… needs a yearly amount."""
    yield from _check_first_time(form.op, form.subject, form.subject.span, symbols)
    subject = infer(form.subject, symbols)
    for row in form.rows:
        threshold = infer(row.threshold, symbols)
        if subject is not None and threshold is not None and not comparable(subject, threshold):
            yield error("E020", row.threshold.span,
                        f"单位不匹配：分档门槛 {printer.expr(row.threshold)} 是{threshold.describe()}，"
                        f"而「{printer.expr(form.subject)}」是{subject.describe()}",
                        f"units do not match: the tier threshold {printer.expr(row.threshold)} is {threshold.describe('en')}, "
                        f"but {printer.expr(form.subject)!r} is {subject.describe('en')}",
                        suggestion=Message("门槛与分档依据应同为金额，或同为数值/百分比",
                                           "thresholds and the subject must both be money, or both numbers/percentages"))


def _is_series_ref(node, symbols: Symbols) -> bool:
    return (isinstance(node, ast.Ref) and node.name.text in symbols.facts
            and symbols.facts[node.name.text].type.series)


def _not_a_value(option: ast.Name, enum: str, values: list[str]) -> Diagnostic:
    near = _closest(option.text, values)
    return error("E025", option.span, f"「{option.text}」不是枚举「{enum}」的取值",
                 f"{option.text!r} is not a value of the enumeration {enum!r}",
                 expected=Message("、".join(values), ", ".join(values)),
                 suggestion=Message(f"是否想写「{near}」？", f"did you mean {near!r}?") if near else None)


# ---------------------------------------------------------------- clauses
def check_clauses(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    seen: dict[str, ast.Clause] = {}
    for clause in policy.clauses:
        key = ast.numbering_key(clause.label)  # 二、(一) and 二、（一） are one clause
        if key in seen:
            yield error("E043", clause.span, f"条款「{clause.label}」重复（首次出现于第{seen[key].span.line}行）",
                        f"clause {clause.label!r} appears twice (first on line {seen[key].span.line})",
                        suggestion=Message("用「第N项」区分同一条中的不同奖励", "tell items of one article apart with 第N项"))
        seen.setdefault(key, clause)
        if clause.text_only:
            if clause.award is not None or clause.conditions:
                yield error("E041", clause.span, f"{clause.label} 标为「仅文本」，却写了条件或奖励",
                            f"{clause.label} is marked 仅文本 (text only) but has conditions or an award")
            continue
        if clause.modifier is not None:
            if clause.award is not None:
                yield error("E048", clause.modifier.span, f"{clause.label} 既调整系数又给予奖励：请拆成两项",
                            f"{clause.label} both sets a coefficient and pays an award: split it into two items")
            if clause.modifier.factor <= 0:
                yield error("E048", clause.modifier.span, f"系数 {clause.modifier.text} 应大于0",
                            f"the coefficient {clause.modifier.text} must be above 0")
        elif clause.award is None:
            yield error("E040", clause.span, f"{clause.label} 没有写奖励金额（给予 …）",
                        f"{clause.label} has no award (给予 …)",
                        suggestion=Message("写明「给予 …」；金额确未公布时写「给予 金额未定」；不支付的条款标「仅文本」",
                                           "write 给予 …; if the amount was not published write 给予 金额未定; mark clauses that pay nothing 仅文本"))
        if clause.source_text is None:
            yield warning("W044", clause.span, f"{clause.label} 没有「原文」：审阅者无法对照原句",
                          f"{clause.label} has no 原文: reviewers cannot compare it with the original sentence")
        if clause.quota is not None:
            yield from _check_ranking(clause.quota.ranking, symbols)
        if clause.duration is not None and clause.duration.start_fact is not None:
            start = clause.duration.start_fact
            decl = symbols.facts.get(start.text)
            if decl is None:
                yield _unknown(start, list(symbols.facts), "事实", "fact")
            elif decl.type.base != "year" or decl.type.series:
                yield error("E045", start.span, f"期限的起算事实「{start.text}」应为年份",
                            f"the start of a duration, {start.text!r}, must be a year fact")


# ---------------------------------------------------------------- awards
def _check_ranking(keys, symbols: Symbols) -> Iterator[Diagnostic]:
    """A ranking reads facts that can be ordered: numbers, money, percentages, years."""
    for fact, _descending in keys:
        decl = symbols.facts.get(fact.text)
        if decl is None:
            yield _unknown(fact, list(symbols.facts), "事实", "fact")
        elif decl.type.base not in ("money", "number", "percent", "year") or decl.type.items:
            yield error("E017", fact.span, f"排序事实「{fact.text}」应为金额、数值、百分比或年份",
                        f"the ranking fact {fact.text!r} must be money, a number, a percentage or a year")


def check_awards(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    from . import analysis
    for clause in policy.clauses:
        award = clause.award
        if award is None:
            continue
        form = award.form
        cap = _constant(award.cap)
        if isinstance(form, ast.Unspecified):
            yield warning("W042", form.span, f"{clause.label} 的金额未定：评估结果将说明政策未列明金额",
                          f"{clause.label} has no stated amount: evaluation will say the policy does not state one",
                          notes=(Message(form.note, form.note),) if form.note else ())
        cap_high = analysis.upper(award.cap) if award.cap is not None else None
        if cap_high is not None and cap_high <= 0:
            yield error("E035", award.cap.span, f"封顶 {printer.expr(award.cap)} 不大于0：这样的奖励永远是0元",
                        f"the cap {printer.expr(award.cap)} is not above 0: such an award is always 0 元",
                        suggestion=Message("核对原文的封顶金额（最高 50万元），不要写负号", "check the text's cap (最高 50万元); drop the minus sign"))
        if award.cap is not None and isinstance(form, (ast.CaseByCase, ast.Unspecified, ast.Routing)):
            yield error("E046", award.cap.span, "「金额未定」或「由…审定」的奖励不能再设封顶",
                        "an unspecified award or a routing cannot have a cap",
                        notes=(Message("「一事一议 最高 X」可以写：按最高 X、评审确定评估",
                                       "一事一议 最高 X can be written: it is evaluated as up to X, decided by review"),))
        if isinstance(form, ast.ByLevel):
            yield from _check_levels(clause, form, symbols, cap)
        if isinstance(form, ast.ByTier):
            yield from _check_tiers(clause, form, symbols, cap)
        for amount in _constant_amounts(form):
            if cap is not None and amount[0] > cap:
                yield error("E031", amount[1].span, f"金额 {amount[1].text} 超过本条封顶 {award.cap.text}",
                            f"the amount {amount[1].text} is above this clause's cap {award.cap.text}")
        if isinstance(form, ast.Range) and form.rate is not None:  # 投资额 × 20%-5%: the rates themselves
            low_rate, high_rate = form.low.right, form.high.right
            if low_rate.value > high_rate.value:
                yield error("E032", form.span, f"比例区间 {form.rate} 的下限 {low_rate.text} 高于上限 {high_rate.text}",
                            f"the rate range {form.rate}: its low end {low_rate.text} is above its high end {high_rate.text}",
                            suggestion=Message(f"写作 {high_rate.text}-{low_rate.text}", f"write {high_rate.text}-{low_rate.text}"))
        elif isinstance(form, ast.Range):
            low, high = _constant(form.low), _constant(form.high)
            if low is not None and high is not None and low > high:
                yield error("E032", form.span, f"区间下限 {form.low.text} 高于上限 {form.high.text}",
                            f"the range's low end {form.low.text} is above its high end {form.high.text}")
        for node, _role in clause_expressions(clause):
            for sub in walk(node):
                if isinstance(sub, ast.Percent) and sub.value > 1 and not clause.notes:
                    yield error("E047", sub.span, f"比例 {sub.text} 超过100%，且本条没有「说明」理由",
                                f"the rate {sub.text} is above 100% and the clause has no 说明 giving a reason",
                                suggestion=Message("核对原文；确为超过100%时，用「说明」写明理由",
                                                   "check the text; if it really is above 100%, give the reason in 说明"))


def _constant(node) -> Decimal | None:
    return node.value if isinstance(node, ast.Money) else None


def _constant_amounts(form) -> list[tuple[Decimal, ast.Money]]:
    nodes = []
    if isinstance(form, ast.Exact):
        nodes = [form.amount]
    elif isinstance(form, ast.UpTo):
        nodes = [form.ceiling]
    elif isinstance(form, ast.Range):
        nodes = [form.low, form.high]
    elif isinstance(form, ast.AtLeast):
        nodes = [form.floor]
    elif isinstance(form, (ast.ByLevel, ast.ByTier, ast.ByRunYear)):
        nodes = [row.amount for row in form.rows]
    return [(n.value, n) for n in nodes if isinstance(n, ast.Money)]


def _check_levels(clause, form: ast.ByLevel, symbols: Symbols, cap) -> Iterator[Diagnostic]:
    decl = symbols.facts.get(form.subject.text)
    if decl is None:
        yield _unknown(form.subject, list(symbols.facts), "事实", "fact")
        return
    if decl.type.base != "enum":
        yield error("E033", form.subject.span, f"「按 {form.subject.text} 分别」需要一个枚举事实",
                    f"按 {form.subject.text} 分别 needs an enumeration fact")
        return
    enum = decl.type.enum.text
    values = [v.text for v in symbols.enums[enum].values] if enum in symbols.enums else []
    seen = set()
    for row in form.rows:
        if row.level.text not in values:
            yield _not_a_value(row.level, enum, values)
        elif row.level.text in seen:
            yield error("E034", row.level.span, f"等级「{row.level.text}」重复", f"level {row.level.text!r} appears twice")
        seen.add(row.level.text)


def _check_tiers(clause, form: ast.ByTier, symbols: Symbols, cap) -> Iterator[Diagnostic]:
    op, _first = comparison(form.op)
    thresholds = [(_threshold_value(row.threshold), row) for row in form.rows]
    for (previous, prev_row), (current, row) in zip(thresholds, thresholds[1:]):
        if previous is None or current is None:
            continue
        if previous == current:
            yield error("E030", row.threshold.span, f"分档门槛 {printer.expr(row.threshold)} 重复",
                        f"the tier threshold {printer.expr(row.threshold)} appears twice")
            continue
        descending = op in ("gt", "ge")
        if (current > previous) == descending:
            order_zh = "从高到低" if descending else "从低到高"
            order_en = "highest first" if descending else "lowest first"
            yield error("E030", row.threshold.span,
                        f"分档顺序错误：门槛 {printer.expr(row.threshold)} 应排在 {printer.expr(prev_row.threshold)} 之前",
                        f"tiers out of order: threshold {printer.expr(row.threshold)} should come before {printer.expr(prev_row.threshold)}",
                        notes=(Message(f"「{form.op}」分档按门槛{order_zh}排列，先满足的一档生效；顺序错了，较高的档永远达不到",
                                       f"{form.op!r} tiers are listed {order_en} and the first that holds pays; out of order, a higher tier is never reached"),),
                        suggestion=Message(f"按门槛{order_zh}重新排列各档", f"list the tiers {order_en}"))
        amount_prev, amount_cur = _constant(prev_row.amount), _constant(row.amount)
        if amount_prev is not None and amount_cur is not None and amount_cur > amount_prev and (current > previous) != descending:
            yield warning("W031", row.amount.span,
                          f"较低门槛的档（{printer.expr(row.threshold)}）金额 {printer.expr(row.amount)} 高于较高门槛的档",
                          f"the lower tier ({printer.expr(row.threshold)}) pays {printer.expr(row.amount)}, more than the higher tier")


def _threshold_value(node) -> Decimal | None:
    if isinstance(node, (ast.Money, ast.Percent, ast.Number)):
        return node.value
    return None


# ---------------------------------------------------------------- header and dates
def check_header(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    start, end = policy.effective_from, policy.effective_until
    if start is not None and end is not None and end.value < start.value:
        yield error("E050", end.span, f"失效日期 {end.text} 早于施行日期 {start.text}",
                    f"the end date {end.text} is before the start date {start.text}")
    if start is None:
        yield warning("W051", policy.span, "政策没有施行日期：评估时不检查施行期",
                      "the policy has no 施行日期: evaluation cannot check that it is in force")
    if policy.principle is None and any(c.matter for c in policy.clauses):
        yield warning("W053", policy.span, "条款标了「事项」，但政策没有写冲突原则（就高不重复 / 可叠加）",
                      "clauses name matters (事项) but the policy states no conflict principle")
    for rule in policy.splits:
        payers: dict[str, ast.Name] = {}
        for payer, _share in rule.shares:
            if payer.text in payers:
                first = payers[payer.text]
                yield error("E060", payer.span, f"「分担」中付款方「{payer.text}」出现了两次",
                            f"the payer {payer.text!r} appears twice in 分担",
                            notes=(Message(f"首次出现于第{first.span.line}行第{first.span.column}列" if first.span else "",
                                           f"first at line {first.span.line}" if first.span else ""),),
                            suggestion=Message("每个付款方只写一次，合并它的比例", "name each payer once, with its whole share"))
            payers.setdefault(payer.text, payer)
        total = sum((share.value for _payer, share in rule.shares), Decimal(0))
        if total != 1:
            yield error("E055", rule.span, f"分担比例合计为{(total * 100).normalize():f}%，应为100%",
                        f"the shares add up to {(total * 100).normalize():f}%, not 100%")
    for rule in policy.transitional:
        start = policy.effective_from
        if rule.before_year is not None and start is not None and rule.before_year > start.value.year + 1:
            yield warning("W056", rule.span, f"过渡规定把{rule.before_year}年以前的考核年度交给原政策，晚于施行日期",
                          f"the transitional rule hands assessed years before {rule.before_year} to the old policy, later than the start date")
    for co in (*policy.cofunding, *policy.splits):
        for article in co.except_articles:
            # (a reference that is no numbering at all is E200, said once)
            if ast.is_numbering(article.text) and not any(c.under(article.text) for c in policy.clauses):
                yield error("E054", article.span, f"配套的除外条款「{article.text}」不存在",
                            f"the co-funding exception {article.text!r} is not a clause of this policy")


# ---------------------------------------------------------------- examples
def check_cases(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    for clause in policy.clauses:
        pays = clause.award is not None and not clause.text_only
        if pays and not clause.cases:
            yield warning("W061", clause.span, f"{clause.label} 没有案例：`polc test` 无法验证它",
                          f"{clause.label} has no example: `polc test` cannot check it")
        for example in clause.cases:
            if example.expected is None:
                yield error("E062", example.span, "案例没有写「预期」结果", "the example has no 预期 (expected result)")
            for name, value in example.facts:
                decl = symbols.facts.get(name.text)
                if decl is None:
                    yield _unknown(name, list(symbols.facts), "事实", "fact")
                    continue
                yield from _check_value(name, value, decl, symbols)
            if example.expected is not None:
                for literal in (example.expected.low, example.expected.high):
                    if literal is not None and not isinstance(literal, ast.Money):
                        yield error("E063", literal.span, "预期结果应为金额（如 30万元）",
                                    "an expected result must be an amount of money (e.g. 30万元)")


def _check_value(name: ast.Name, value, decl: ast.FactDecl, symbols: Symbols) -> Iterator[Diagnostic]:
    t = decl.type
    if t.items:
        if not isinstance(value, ast.ItemsValue):
            yield error("E064", value.span, f"「{name.text}」是逐项事实，应写成 [值, 值]",
                        f"{name.text!r} is per item: write it as [value, value]")
            return
        for item in value.values:
            yield from _check_scalar(name, item, t, symbols)
        return
    if isinstance(value, ast.ItemsValue):
        yield error("E064", value.span, f"「{name.text}」不是逐项事实，不能写列表", f"{name.text!r} is not per item: give one value")
        return
    if t.series:
        if not isinstance(value, ast.SeriesValue):
            yield error("E064", value.span, f"「{name.text}」是逐年事实，应写成 {{2019: …, 2020: …}}",
                        f"{name.text!r} is yearly: write it as {{2019: ..., 2020: ...}}")
            return
        for _year, item in value.entries:
            yield from _check_scalar(name, item, t, symbols)
    elif isinstance(value, ast.SeriesValue):
        yield error("E064", value.span, f"「{name.text}」不是逐年事实，不能写逐年数据",
                    f"{name.text!r} is not yearly: give one value")
    else:
        yield from _check_scalar(name, value, t, symbols)


_LITERAL_BASE = {ast.Money: "money", ast.Percent: "percent", ast.Number: "number", ast.Bool: "bool",
                 ast.DateValue: "date", ast.YearValue: "year", ast.EnumValue: "enum"}


def _check_scalar(name: ast.Name, value, t: ast.FactType, symbols: Symbols) -> Iterator[Diagnostic]:
    base = _LITERAL_BASE.get(type(value))
    fits = base == t.base or (t.base in ("number", "percent") and base in ("number", "percent")) or (
        t.base == "year" and base == "number")
    if not fits:
        expected = Type(t.base, t.enum.text if t.enum else None)
        yield error("E065", value.span, f"「{name.text}」应为{expected.describe()}，这里写的是「{printer.literal(value)}」",
                    f"{name.text!r} must be {expected.describe('en')}, not {printer.literal(value)!r}")
        return
    if t.base == "enum":
        values = [v.text for v in symbols.enums[t.enum.text].values] if t.enum.text in symbols.enums else []
        if value.name.text not in values:
            yield _not_a_value(value.name, t.enum.text, values)


# ---------------------------------------------------------------- bounds, caps and budgets
def check_bounds(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """Every award has a finite upper bound, or says it has none; caps that can never bind."""
    from . import analysis
    for clause in policy.clauses:
        if clause.text_only or analysis.states_no_amount(clause):
            continue
        award = clause.award
        ceiling = analysis.clause_ceiling(clause)
        if ceiling is not None and ceiling <= 0 and award.cap is not None:
            continue  # a cap not above 0: E035 says so
        # Issue 13 (r14-caps): a 最高 written as a formula of facts (最高 上年 地方财政贡献 × 50%)
        # is a cap like any other, and 不低于 X states a floor and leaves the rest to review.
        formula_cap = award.cap is not None or isinstance(award.form, ast.UpTo)
        if ceiling is None and not clause.uncapped and not formula_cap and not isinstance(award.form, ast.AtLeast):
            yield error("E080", award.span, f"{clause.label} 的奖励没有上限：公式随事实无限增长，且没有「最高」封顶",
                        f"{clause.label} has no upper bound: its formula grows with the facts and there is no 最高 cap",
                        suggestion=Message("加上原文的封顶（最高 …）；原文确无上限时，写「不设上限」并用「说明」记录",
                                           "add the text's cap (最高 …); if the text really sets none, write 不设上限 and say so in 说明"))
        if ceiling is not None and clause.uncapped:
            yield warning("W084", clause.span, f"{clause.label} 标了「不设上限」，但奖励最高为 {_money(ceiling)}",
                          f"{clause.label} says 不设上限 but its award is at most {_money(ceiling)}")
        if award.cap is not None:
            bound = analysis.amount_bound(award.form)
            cap = analysis.upper(award.cap)
            if bound is not None and cap is not None and bound <= cap:
                yield warning("W081", award.cap.span, f"封顶 {printer.expr(award.cap)} 永远不会起作用：奖励最高为 {_money(bound)}",
                              f"the cap {printer.expr(award.cap)} can never bind: the award is at most {_money(bound)}")
    for budget in policy.budgets:
        yield from _check_ranking(budget.ranking, symbols)
        yield from _budget_coverage(policy, budget)
    yield from _check_prorated_budgets(policy)
    yield from _check_fund_minimums(policy)


def _money(value: Decimal) -> str:
    from .runtime import format_money
    return format_money(value)


def _budget_coverage(policy: ast.Policy, budget: ast.Budget) -> Iterator[Diagnostic]:
    """Programme level: how many maximum awards the payer's yearly budget covers."""
    from . import analysis
    from .lower import split_of
    ceilings = [(analysis.clause_ceiling(c), c) for c in policy.clauses if not c.text_only]
    ceilings = [(value, c) for value, c in ceilings if value is not None]
    if not ceilings:
        return
    largest, clause = max(ceilings, key=lambda item: item[0])
    share = Decimal(1)
    split = split_of(policy, clause)
    if split is not None:
        share = dict(split).get(budget.payer.text, Decimal(0))
    borne = largest * share
    if borne <= 0:
        return
    count = int(budget.amount.value // borne)
    share_zh = f"，其中{budget.payer.text}承担{(share * 100).normalize():f}%即{_money(borne)}" if share != 1 else ""
    yield info("I090", budget.span,
               f"{budget.payer.text}每年预算 {budget.amount.text}；单项最高奖励 {_money(largest)}（{clause.label}）{share_zh}："
               f"预算可覆盖 {count} 个最高额奖励",
               f"{budget.payer.text}'s yearly budget {budget.amount.text} covers {count} maximum awards "
               f"({_money(largest)} in {clause.label}, of which this payer bears {_money(borne)})")


# ---- issue 13: fund minimums
def _check_fund_minimums(policy: ast.Policy) -> Iterator[Diagnostic]:
    """资金 F 每年 不少于 A beside 预算 F 每年 B with B < A: the yearly amount the awards draw on
    is below what the fund must hold — one of the two numbers is wrong (W360)."""
    budgets = {b.payer.text: b for b in policy.budgets}
    for minimum in policy.fund_minimums:
        budget = budgets.get(minimum.fund.text)
        if budget is not None and budget.amount.value < minimum.amount.value:
            yield warning("W360", budget.span,
                          f"「{minimum.fund.text}」每年预算 {budget.amount.text} 低于它每年不少于 {minimum.amount.text} 的下限",
                          f"the yearly budget of {minimum.fund.text}, {budget.amount.text}, is below its yearly minimum "
                          f"of {minimum.amount.text}",
                          suggestion=Message("核对原文：预算应不少于资金下限", "check the text: the budget should be at least the minimum"))


# ---- issue 13: budgets that pro-rate
def _check_prorated_budgets(policy: ast.Policy) -> Iterator[Diagnostic]:
    """预算 … 按比例核减 scales each award by budget ÷ wanted. That is defined for an award one
    payer funds from one budget: with 分担 (the award shared) or a second budget for the same
    awards, which part is scaled, and by which ratio, the text does not say (E360)."""
    if policy.budgets and any(split.condition is not None for split in policy.splits):
        yield error("E364", policy.budgets[0].span,
                    "有「预算」的政策不能用带条件的「分担」：各出资方从预算中承担多少取决于每个申请人，批量评估尚不支持",
                    "a policy with a 预算 cannot have a 分担 with a condition: each payer's part of the budget "
                    "depends on the applicant, which batch evaluation does not support yet",
                    suggestion=Message("去掉「分担」的条件（改用「除外」按条款指定出资方），或去掉「预算」",
                                       "drop the 分担's condition (name payers by clause with 除外), or the 预算"))
    for budget in policy.budgets:
        if not budget.prorate:
            continue
        if policy.splits or len(policy.budgets) > 1:
            why_zh = "政策有「分担」" if policy.splits else "政策还有另一项「预算」"
            why_en = "the policy shares awards (分担)" if policy.splits else "the policy has another 预算"
            yield error("E360", budget.span,
                        f"「{budget.prorate}」的预算只能是奖励的唯一出资：{why_zh}，按比例核减哪一部分、按哪个比例，原文未定",
                        f"a {budget.prorate} budget must be the awards' only funding: {why_en}, so which part is scaled, "
                        f"and by which ratio, is not defined",
                        suggestion=Message("删去「分担」或另一项「预算」；确需分担时，改用按排序或择优的预算",
                                           "remove the 分担 or the other 预算; if the award is shared, use a ranked or 择优 budget"))


# ---------------------------------------------------------------- year-by-year tables
def _year_tests(condition) -> Iterator[tuple[str, int]]:
    """(fact or 考核年度, year) for each `X 等于 2020年` joined by 且 at the top of a condition."""
    if isinstance(condition, ast.And):
        yield from _year_tests(condition.left)
        yield from _year_tests(condition.right)
    elif isinstance(condition, ast.Compare) and condition.op == "等于" and isinstance(condition.right, ast.YearValue):
        left = condition.left
        if isinstance(left, ast.Ref):
            yield left.name.text, condition.right.value
        elif isinstance(left, ast.AssessedYear):
            yield "考核年度", condition.right.value


def check_year_tables(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """BY-YEAR-RATE: items of one article keyed on a year must cover every year of validity,
    and none may be keyed on a year outside it."""
    start = policy.effective_from.value.year if policy.effective_from else None
    end = policy.effective_until.value.year if policy.effective_until else None
    tables: dict[tuple[str, str], list[tuple[int, ast.Clause]]] = {}
    for clause in policy.clauses:
        for condition in clause.conditions:
            for fact, year in _year_tests(condition):
                tables.setdefault((clause.article, fact), []).append((year, clause))
    for (article, fact), rows in sorted(tables.items()):
        years = sorted({year for year, _clause in rows})
        for year, clause in rows:
            if (start is not None and year < start) or (end is not None and year > end):
                yield warning("W082", clause.span, f"{clause.label} 按{fact}为{year}年给予，但政策施行期是{start or '…'}–{end or '…'}年",
                              f"{clause.label} applies to {fact} {year}, outside the policy's validity {start or '…'}–{end or '…'}")
        if start is None or end is None or len(years) < 2:
            continue
        missing = [y for y in range(start, end + 1) if y not in years]
        if missing:
            first = rows[0][1]
            yield warning("W083", first.span,
                          f"{article} 按{fact}逐年给出比例，但没有覆盖施行期内的 " + "、".join(f"{y}年" for y in missing),
                          f"{article} gives a rate per year of {fact} but not for " + ", ".join(str(y) for y in missing),
                          notes=(Message("这些年度的申请将不适用任何一档；若原文如此，请在「说明」中记录",
                                         "applications for those years match no rate; if the text says so, record it in 说明"),))


# ---------------------------------------------------------------- matters and items
def check_matters(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """Matters are first-class: a clause pays for (or a modifier scales) a declared matter."""
    for clause in policy.clauses:
        named = [clause.matter] if clause.matter is not None else []
        if clause.matter_by is not None:
            decl = symbols.facts.get(clause.matter_by.text)
            if decl is None or decl.type.base != "enum" or decl.type.series or decl.type.items:
                yield error("E015", clause.matter_by.span, f"「事项 按 {clause.matter_by.text}」需要一个枚举事实",
                            f"事项 按 {clause.matter_by.text} needs an enumeration fact")
                continue
            for value in symbols.enum_values(decl.type.enum.text):
                if value not in symbols.matters:
                    yield error("E015", clause.matter_by.span, f"枚举值「{value}」用作事项，但未声明为事项",
                                f"the value {value!r} is used as a matter but is not declared as one",
                                suggestion=Message(f"声明：定义事项 {value}", f"declare it: 定义事项 {value}"))
        if clause.modifier is not None:
            named.append(clause.modifier.matter)
        for matter in named:
            if matter.text not in symbols.matters:
                near = _closest(matter.text, list(symbols.matters))
                yield error("E015", matter.span, f"未声明的事项「{matter.text}」", f"undeclared matter {matter.text!r}",
                            suggestion=Message(f"是否想写「{near}」？", f"did you mean {near!r}?") if near else
                            Message(f"先声明：定义事项 {matter.text}（可放在共用词汇文件中）",
                                    f"declare it first: 定义事项 {matter.text} (a shared vocabulary file is a good place)"))


def check_items(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """A 逐项 fact is read one item at a time, so only inside 每项 … (the per-item amount)."""
    item_facts = {name for name, decl in symbols.facts.items() if decl.type.items}

    def item_refs(node):
        return [r for r in _refs(node) if r.name.text in item_facts] if item_facts else []  # no 逐项 fact: no walk
    for clause in policy.clauses:
        for node, role in clause_expressions(clause):
            found = item_refs(node)
            if role == "item_amount":
                if len({r.name.text for r in found}) != 1:
                    yield error("E049", node.span, "「每项」后的金额应恰好读取一个逐项事实",
                                "the amount after 每项 must read exactly one 逐项 (per-item) fact",
                                suggestion=Message("把事实声明为「逐项」：事实 设备租赁费: 逐项 金额",
                                                   "declare the fact per item: 事实 设备租赁费: 逐项 金额"))
            elif found:
                yield error("E049", found[0].span, f"逐项事实「{found[0].name.text}」只能在「每项 …」中使用",
                            f"the per-item fact {found[0].name.text!r} can only be used inside 每项 …")


# ---------------------------------------------------------------- overlaps (same matter)
def find_overlaps(policies: list[ast.Policy], remember_runs: bool = True, remember_witnesses: bool = True) -> list:
    """Every pair of clauses that pay for one matter, within a policy and across policies,
    decided exactly (compiler/overlaps.py), each witness confirmed by the interpreter.
    remember_runs: a clause run on facts it has been run on before (the same values of the
    facts it reads, the same assessed year) is not run again (see _confirm); False runs
    every time (the plain computation the tests compare it with); remember_witnesses: see
    overlaps.analyse."""
    from . import interpreter, overlaps
    from .lower import lower_with_reads
    prepared: dict[int, tuple] = {}
    plans: dict[tuple, _ConfirmPlan] = {}
    outcomes: dict[tuple, bool] | None = {} if remember_runs else None
    shared_models: dict = {}  # the models of a shared vocabulary's matters, made once (lower_with_reads)

    def prepare(policy: ast.Policy) -> tuple:
        # Each policy's evaluator is built once per analysis, not once per pair; so is each
        # filler it validates (the same fillers recur in every pair: see _typed_filler).
        if id(policy) not in prepared:
            lowered, clause_reads = lower_with_reads(policy, shared_models)
            specs, reads = {}, {}
            evaluated = [read for clause, read in zip(lowered.clauses, clause_reads) if clause.evaluated]
            for spec, read in zip(interpreter.clause_specs(lowered), evaluated):
                specs[spec.label] = spec
                # Every fact the clause's model can read (through its definitions too): all its
                # run depends on besides the assessed year (see _confirm).
                reads[spec.label] = tuple(sorted(read))
            prepared[id(policy)] = (interpreter.policy_info(lowered), specs, {}, reads)
        return prepared[id(policy)]

    def confirm(first, second, facts: dict, year: int) -> dict | None:
        # What a pair's confirmation needs besides the witness depends only on the two
        # policies, the year and which facts the witness names: worked out once (see _plan).
        key = (id(first[0]), id(second[0]), year, frozenset(facts))
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = _plan(first[0], second[0], facts, year, prepare)
        return _confirm(first, second, facts, plan, prepare, outcomes)

    return overlaps.analyse(policies, confirm=confirm, remember_witnesses=remember_witnesses)


@attrs.frozen
class _ConfirmPlan:
    """For a pair of policies, a year and the names of a witness's facts: the facts filled in
    (a value for each fact of either policy's schema the witness does not name, see _filler),
    and per policy which witness facts it validates, its fillers validated (or the FactError
    one raised), the assessed year, whether it is in force on the evaluation date, and what
    each of its fillers was made from (fact -> key, for _confirm's memory of runs)."""
    fillers: tuple[tuple[str, tuple], ...]  # (fact, what its filler is made from), in order
    sides: tuple[tuple, tuple]  # per policy: (witness facts in its schema, typed fillers or FactError, assessed year, in force, filler keys)
    filled: tuple[tuple[str, object], ...] = ()  # (fact, its filler's value), in the order of fillers


def _plan(first: ast.Policy, second: ast.Policy, facts: dict, year: int, prepare) -> _ConfirmPlan:
    from . import overlaps, runtime
    on = overlaps.evaluation_date(first, second, year)
    named = set(facts)
    fillers: dict[str, tuple] = {}  # fact -> what its filler was made from (see _filler)
    for policy in (first, second):
        info_ = prepare(policy)[0]
        for name, (base, series, options, items) in info_.schema.items():
            if name not in named and name not in fillers:
                fillers[name] = (base, series, options, items, on.year - info_.assessed_offset)
    sides = []
    for policy in (first, second):
        info_, _specs, typed_fillers, _reads = prepare(policy)
        typed: dict | runtime.FactError = {}
        try:
            for name, made_from in fillers.items():
                if name in info_.schema:
                    typed.update(_typed_filler(info_.schema, typed_fillers, name, made_from, _filler(*made_from)))
        except runtime.FactError as exc:
            typed = exc
        assessed = on.year - info_.assessed_offset
        filler_keys = {name: ("filler", made_from) for name, made_from in fillers.items() if name in info_.schema}
        sides.append((frozenset(name for name in facts if name in info_.schema), typed, assessed,
                      runtime._not_in_force(info_, on, assessed) is None, filler_keys))
    return _ConfirmPlan(tuple(fillers.items()), (sides[0], sides[1]),
                        tuple((name, _filler(*made_from)) for name, made_from in fillers.items()))


def _confirm(first, second, facts: dict, plan: _ConfirmPlan, prepare, outcomes: dict | None = None) -> dict | None:
    """Run both clauses on the witness with the reference interpreter. If both apply, return
    the witness completed with the facts the conditions did not constrain; else None.

    outcomes (when given): whether a clause applied, remembered by the clause, the assessed
    year and what each fact it can read was made from (the witness's value, or a filler's
    making, or absent). A clause's run reads nothing else (its model names every fact it
    reads: lower.lower_with_reads), so a clause met again with the same values (the clauses of one
    matter in different policies often give the same witness) is not run again. Every fact
    of the witness is still validated each time: one that does not fit fails the pair."""
    from . import runtime
    keys = {name: _witness_key(name, value) for name, value in facts.items()}  # each worked out once per pair
    completed = dict(facts)
    for name, value in plan.filled:  # a fresh copy of each filler: the witnesses are separate values
        completed[name] = value.copy() if value.__class__ is dict or value.__class__ is list else value
    for (policy, clause), (named, typed_fillers, assessed, in_force, filler_keys) in zip((first, second), plan.sides):
        info_, specs, cache, reads = prepare(policy)
        spec = specs[clause.label]
        if isinstance(typed_fillers, runtime.FactError) or not in_force:
            return None
        key = None
        if outcomes is not None:
            key = (id(spec), assessed, tuple(keys[name] if name in named else filler_keys.get(name)
                                             for name in reads[spec.label]))
            applied = outcomes.get(key)
            if applied is not None:
                if not _witness_fits(info_.schema, cache, facts, keys, named):
                    return None  # the witness does not fit the facts' types: not confirmed
                if not applied:
                    return None
                continue
        # What runtime.evaluate_clauses does for one clause, except that a fact's value is
        # validated once per policy and value, not once per pair (validating the same
        # fillers again and again was half the cost of confirming a witness).
        try:
            typed = _typed_witness(info_.schema, cache, {name: value for name, value in facts.items() if name in named}, keys)
        except runtime.FactError:
            return None  # the witness does not fit the facts' types: not confirmed
        typed.update(typed_fillers)
        # Anything raised here (a clause failing inside the interpreter) propagates: it is a
        # compiler bug, reported as E199 by overlaps.analyse, never swallowed as "cannot decide".
        # A QuietRun decides exactly as a Run does (tests/test_compact.py compares them) and
        # builds no trace, which nobody reads here.
        result = runtime._run_clause(spec, typed, assessed, None, runtime.QuietRun)
        if key is not None:
            outcomes[key] = result.applies is True  # type: ignore[index]
        if result.applies is not True:
            return None
    return completed


def _witness_key(name: str, value) -> tuple:
    """The key a witness fact's value is validated and remembered under (see _typed_witness)."""
    cls = value.__class__
    # A plain value is its own key (with its type: 1 and True differ); a series or a list
    # is frozen (_frozen). The two kinds of key have different lengths, so never meet.
    return ("witness", name, cls, value) if cls is str or cls is int or cls is bool else ("witness", name, _frozen(value))


def _witness_fits(schema: dict, cache: dict, facts: dict, keys: dict, named: frozenset) -> bool:
    """Whether every witness fact the policy reads validates (_typed_witness without the values)."""
    from . import runtime
    for name in named:
        key = keys[name]
        found = cache.get(key)
        if found is None or found.__class__ is not dict:
            try:
                _validated_once(schema, cache, key, name, facts[name])
            except runtime.FactError:
                return False
    return True


def check_overlaps_across(found_overlaps: list) -> list[Diagnostic]:
    """The diagnostics for the overlaps found: information when a principle resolves them
    (with the witness), an error when nothing does."""
    import json
    found = []
    for overlap in found_overlaps:
        (p1, c1), (p2, c2) = overlap.first, overlap.second
        span = (c2.matter or c2.matter_by or ast.Name("")).span or c2.span
        where = f"{p1.docno}{c1.label}（{p1.path}:{c1.span.line}）" if p1 is not p2 else f"{c1.label}（第{c1.span.line}行）"
        pair_zh = f"{where} 与 {p2.docno if p1 is not p2 else ''}{c2.label}"
        pair_en = f"{p1.docno}{c1.label} and {p2.docno}{c2.label}"
        if overlap.internal_error is not None:
            found.append(error("E199", span, f"编译器内部错误：判断事项「{overlap.matter}」的 {pair_zh} 是否重叠时失败：{overlap.internal_error}",
                               f"internal compiler error while deciding whether {pair_en} overlap for {overlap.matter!r}: "
                               f"{overlap.internal_error}",
                               notes=(Message("这是 polc 的缺陷，不是草稿的问题；请连同此草稿报告", "this is a bug in polc, not in the draft; please report it with this draft"),)))
            continue
        if not overlap.decided:
            found.append(warning("W073", span, f"无法精确判断事项「{overlap.matter}」的 {pair_zh} 能否同时适用：{overlap.reason}",
                                 f"cannot decide exactly whether {pair_en} can both apply for {overlap.matter!r}: {overlap.reason}"))
            continue
        if overlap.witness is None:
            found.append(info("I074", span, f"事项「{overlap.matter}」的 {pair_zh} 条件互斥，不会同时适用",
                              f"{pair_en} cover {overlap.matter!r} but their conditions exclude each other"))
            continue
        witness = json.dumps(overlap.witness, ensure_ascii=False, sort_keys=True)
        checked = Message("见证已经解释器验证：两条款均适用", "the witness was run through the interpreter: both apply") \
            if overlap.confirmed else Message("见证未能经解释器验证（可能涉及增速等近似）", "the witness could not be confirmed by the interpreter")
        notes = (Message(f"见证（同时适用的申请人）：{witness}", f"witness (an applicant for whom both apply): {witness}"), checked)
        if overlap.note:
            notes += (Message(overlap.note, overlap.note),)
        principles = {p1.principle, p2.principle}
        if "就高不重复" in principles:
            found.append(info("I070", span, f"事项「{overlap.matter}」由 {pair_zh} 共同涵盖：按就高不重复只支付最高一项",
                              f"{pair_en} both cover {overlap.matter!r}: 就高不重复 pays only the highest", notes=notes))
        elif principles == {"可叠加"}:
            found.append(info("I072", span, f"事项「{overlap.matter}」由 {pair_zh} 共同涵盖：政策明确可叠加",
                              f"{pair_en} both cover {overlap.matter!r}: the policies say they add up", notes=notes))
        else:
            found.append(error("E071", span, f"事项「{overlap.matter}」由 {pair_zh} 共同涵盖，但政策没有说明如何处理重复",
                               f"the matter {overlap.matter!r} is covered by {pair_en} but no policy says how overlaps resolve",
                               notes=notes,
                               suggestion=Message("在政策头部写「冲突原则 就高不重复」或「冲突原则 可叠加」",
                                                  "state 冲突原则 就高不重复 or 冲突原则 可叠加 in the header")))
    return found


def _typed_witness(schema: dict, cache: dict, raw: dict, keys: dict | None = None) -> dict:
    """runtime.validate_facts of a witness's facts, each fact's typed value remembered by its
    name and value (the witnesses of one policy's pairs repeat the thresholds its clauses
    name). Facts validate one by one, so this gives what validate_facts gives: the typed
    values of the facts that are known, or a FactError if any fact is wrong."""
    typed = {}
    for name, value in raw.items():
        key = keys[name] if keys is not None else _witness_key(name, value)
        found = cache.get(key)
        if found is None or found.__class__ is not dict:
            found = _validated_once(schema, cache, key, name, value)  # validates, or raises the FactError
        typed.update(found)
    return typed


def _validated_once(schema: dict, cache: dict, key: tuple, name: str, value) -> dict:
    """runtime.validate_facts({name: value}), remembered under key (a FactError too, raised
    again each time it is asked for)."""
    from . import runtime
    if key not in cache:
        try:
            cache[key] = runtime.validate_facts({name: value}, schema)
        except runtime.FactError as exc:
            cache[key] = exc
    found = cache[key]
    if isinstance(found, runtime.FactError):
        raise found
    return found


def _frozen(value) -> tuple:
    """A JSON-like value as a key: its type kept (1 and True are one key otherwise), mappings
    and lists in their order."""
    if isinstance(value, dict):
        return (dict, *((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list):
        return (list, *(_frozen(item) for item in value))
    return (type(value), value)


def _typed_filler(schema: dict, cache: dict, name: str, made_from: tuple, value) -> dict:
    """runtime.validate_facts of one filler, remembered by what it was made from (a FactError
    too). The typed values are shared between pairs: the interpreter only reads them."""
    return _validated_once(schema, cache, (name, made_from), name, value)


def _filler(base, series, options, items, year):
    """A value for a fact the conditions do not read (only an amount does)."""
    value = {"money": "100万元", "number": 1, "percent": "10%", "bool": True, "year": year - 1,
             "date": f"{year}-06-30", "enum": options[0] if options else None, "text": "甲"}[base]
    if items:
        return [value]
    return {str(year - k): value for k in range(5)} if series else value


# ---------------------------------------------------------------- drafting mistakes that change money
_FIELD_WORDS = {
    "source_text": "原文", "recipient": "对象", "units": "责任单位", "matter": "事项", "matter_by": "事项 按",
    "award": "给予", "duration": "期限", "once": "一次性", "uncapped": "不设上限", "quota": "名额",
    "modifier": "系数", "text_only": "仅文本", "title": "标题", "issuer": "发布机关", "issued": "发布日期",
    "effective_from": "施行日期", "effective_until": "失效日期", "repeals": "废止", "scope": "适用范围",
    "principle": "冲突原则", "assessed_year": "考核年度", "on": "评估日", "expected": "预期",
}


def check_drafting(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """Mistakes that pass every other check and silently change what is paid."""
    for owner, where_zh, where_en in [(policy, "政策头部", "the header"),
                                      *((c, c.label, c.label) for c in policy.clauses),
                                      *((case, f"{c.label}的案例{'「' + case.title + '」' if case.title else ''}",
                                         f"an example of {c.label}") for c in policy.clauses for case in c.cases)]:
        for key, span in owner.repeated:
            word = _FIELD_WORDS.get(key, key)
            yield error("E019", span if span is not None else owner.span,
                        f"{where_zh}的「{word}」写了两次：只有最后一次生效，前一次被丢弃",
                        f"{where_en} has {word} twice: only the last one counts, the earlier is dropped",
                        suggestion=Message(f"删去多余的「{word}」，或把它们合并为一行",
                                           f"delete the extra {word}, or merge them into one line"))
    for clause in policy.clauses:
        if clause.duration is not None and clause.duration.start_fact is None and not clause.text_only:
            yield warning("W057", clause.duration.span,
                          f"{clause.label} 的期限 {clause.duration.years_text} 没有起算年度：期限不会被执行，以后任何年度评估都照付",
                          f"{clause.label}'s duration of {clause.duration.years_text} has no start: it is never enforced, "
                          f"and any later year still pays",
                          suggestion=Message("写明起算：「期限 最多 3年 自 首次获奖年度 当年起」（起算事实为年份）",
                                             "say when it starts: 期限 最多 3年 自 <year fact> 当年起|次年起"))
        if clause.quota is not None:
            yield from _check_quota_facts(clause.quota, symbols)
    if policy.principle == "就高不重复":
        yield from _matterless_twins(policy, symbols)
    yield from _unreachable_years(policy, symbols)
    yield from _silent_overwrites(policy)


# ---- issue 13: no silent overwrite (the lines E019 did not yet cover)
def _twice_error(span, where_zh: str, where_en: str, word: str, taken_zh: str, taken_en: str) -> Diagnostic:
    return error("E019", span, f"{where_zh}的「{word}」写了两次：{taken_zh}",
                 f"{where_en} has {word} twice: {taken_en}",
                 suggestion=Message(f"删去多余的「{word}」，或把它们合并为一项", f"delete the extra {word}, or merge them into one"))


def _silent_overwrites(policy: ast.Policy) -> Iterator[Diagnostic]:
    """Single-valued things written twice where one silently wins: a fact given twice in one
    example (已知 X = 1, X = 2), a year twice in one series value, a payer's 预算 or 配套
    twice (E019); a 分担 after one that excepts nothing, which no clause can reach (E361);
    the same fact twice in one ranking (按 X 降序、X 升序) or one grouping (每个 X、X) (E362)."""
    for clause in policy.clauses:
        for case in clause.cases:
            where_zh = f"{clause.label}的案例{'「' + case.title + '」' if case.title else ''}"
            where_en = f"an example of {clause.label}"
            seen: set[str] = set()
            for name, value in case.facts:
                if name.text in seen:
                    yield _twice_error(name.span, where_zh, where_en, f"已知 {name.text}",
                                       "只有最后一次生效，前一次被丢弃", "only the last counts, the earlier is dropped")
                seen.add(name.text)
                if isinstance(value, ast.SeriesValue):
                    years = [year for year, _v in value.entries]
                    for (year, literal), earlier in zip(value.entries[1:], years):
                        if year == earlier:
                            yield _twice_error(literal.span or value.span, where_zh, where_en, f"{name.text} 的 {year}年",
                                               "只有一个值会被采用", "only one value is used")
    taken = {"预算": ("同一出资方每年只有一项预算（写两项时，批量评估只会采用其中一项）",
                      "a payer has one yearly budget (with two, a batch would use only one of them)"),
             "配套": ("同一出资方只有一个最低配套比例（两项互相矛盾）", "a payer has one minimum share (two contradict each other)")}
    for kind, rules in (("预算", policy.budgets), ("配套", policy.cofunding)):
        payers: set[str] = set()
        for rule in rules:
            if rule.payer.text in payers:
                yield _twice_error(rule.span, "政策头部", "the header", f"{kind} {rule.payer.text}", *taken[kind])
            payers.add(rule.payer.text)
    funds: set[str] = set()
    for minimum in policy.fund_minimums:
        if minimum.fund.text in funds:
            yield _twice_error(minimum.span, "政策头部", "the header", f"资金 {minimum.fund.text}",
                               "同一资金只有一个每年下限（两项互相矛盾）", "a fund has one yearly minimum (two contradict each other)")
        funds.add(minimum.fund.text)
    for index, split in enumerate(policy.splits):
        if not split.except_articles and split.condition is None and index + 1 < len(policy.splits):
            for later in policy.splits[index + 1:]:
                yield error("E361", later.span,
                            "这一条「分担」永远不会被采用：前面的「分担」没有「除外」，已适用于每个条款",
                            "this 分担 is never used: an earlier 分担 excepts nothing, so it covers every clause",
                            suggestion=Message("在前一条「分担」后写明「除外 …」（本条适用的条款），或删去本条",
                                               "add 除外 … (the clauses this one is for) to the earlier 分担, or delete this one"))
            break
    latest: int | None = None  # 过渡 rules are tried in order: the first whose year is later than the assessed year wins
    for rule in policy.transitional:
        if rule.before_year is None:
            continue
        if latest is not None and rule.before_year <= latest:
            yield error("E363", rule.span,
                        f"这一条「过渡」永远不会被采用：早于 {rule.before_year}年的考核年度已由前面「早于 {latest}年」的一条处理",
                        f"this 过渡 is never used: years before {rule.before_year} are already taken by an earlier rule "
                        f"(before {latest})",
                        suggestion=Message("按年份从早到晚排列「过渡」（早于 2019年 … 在 早于 2020年 … 之前），或删去本条",
                                           "order the 过渡 rules by year, earliest first, or delete this one"))
        latest = rule.before_year if latest is None else max(latest, rule.before_year)
    rankings = [(b.ranking, b.span, f"预算 {b.payer.text}", f"the budget of {b.payer.text}") for b in policy.budgets]
    for clause in policy.clauses:
        if clause.quota is not None:
            rankings.append((clause.quota.ranking, clause.quota.span, f"{clause.label} 的名额", f"{clause.label}'s quota"))
            names = [g.text for g in clause.quota.groups]
            for name in sorted({n for n in names if names.count(n) > 1}):
                yield error("E362", clause.quota.span, f"{clause.label} 的名额分组「每个」把「{name}」写了两次",
                            f"{clause.label}'s quota groups by {name} twice (每个)",
                            suggestion=Message(f"只写一次「{name}」", f"write {name} once"))
    for keys, span, where_zh, where_en in rankings:
        names = [fact.text for fact, _descending in keys]
        for name in sorted({n for n in names if names.count(n) > 1}):
            yield error("E362", span, f"{where_zh}排序把「{name}」写了两次：后一次永远不起作用（前一次已按它排完）",
                        f"{where_en} ranking names {name} twice: the later key never counts",
                        suggestion=Message(f"只写一次「{name}」，升序或降序按原文", f"write {name} once, in the text's order"))


def _condition_facts(clause: ast.Clause, symbols: Symbols) -> frozenset[str]:
    return frozenset(node.name.text for condition in clause.conditions for node in walk(condition)
                     if isinstance(node, ast.Ref) and node.name.text in symbols.facts)


def _pinned(clause: ast.Clause) -> dict[str, str]:
    """X 等于 Y conditions of a clause, as printed text: left -> right."""
    return {printer.expr(c.left): printer.expr(c.right) for c in clause.conditions
            if isinstance(c, ast.Compare) and c.op == "等于"}


def _pinned_apart(first: ast.Clause, second: ast.Clause) -> bool:
    """Two clauses that fix one quantity to different values (实施年度 等于 2020年 / 2021年;
    考核年度 等于 认定年度 / 认定年度 + 1) never apply together: not one matter paid twice."""
    a, b = _pinned(first), _pinned(second)
    return any(key in b and b[key] != value for key, value in a.items())


def _matterless_twins(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """就高不重复 only resolves clauses that name the same 事项. A paying clause with no 事项
    whose conditions read exactly the facts another paying clause reads is most likely the
    same matter written twice (a copied clause with other thresholds): both would pay."""
    paying = [c for c in policy.clauses if not c.text_only and c.award is not None]
    read = {id(c): _condition_facts(c, symbols) for c in paying}
    for clause in paying:
        if clause.matter is not None or clause.matter_by is not None or not read[id(clause)]:
            continue
        twins = [o for o in paying if o is not clause and read[id(o)] == read[id(clause)]
                 and not _pinned_apart(clause, o)]
        if not twins:
            continue
        other = twins[0]
        facts = "、".join(sorted(read[id(clause)]))
        yield warning("W058", clause.span,
                      f"{clause.label} 没有写「事项」，却与 {other.label} 读取相同的事实（{facts}）：政策为就高不重复，"
                      f"若两条是同一事项，它们都会支付",
                      f"{clause.label} names no 事项 but reads the same facts as {other.label} ({facts}): under "
                      f"就高不重复, if they are one matter both are paid",
                      suggestion=Message("同一事项的，两条都写同一个「事项」；不同事项的，各写各的事项",
                                         "give both the same 事项 if they are one matter, or each its own if not"))


def _check_quota_facts(quota: ast.Quota, symbols: Symbols) -> Iterator[Diagnostic]:
    """基数 is the round's nominee count (a number); 每个 facts name a group (one value each)."""
    if quota.base is not None:
        decl = symbols.facts.get(quota.base.text)
        if decl is None:
            yield _unknown(quota.base, list(symbols.facts), "事实", "fact")
        elif decl.type.base != "number" or decl.type.series or decl.type.items:
            yield error("E018", quota.base.span, f"名额的基数「{quota.base.text}」应为数值事实（该批参评总数）",
                        f"the quota's base {quota.base.text!r} must be a number fact (the round's nominee count)")
    for group in quota.groups:
        decl = symbols.facts.get(group.text)
        if decl is None:
            yield _unknown(group, list(symbols.facts), "事实", "fact")
        elif decl.type.series or decl.type.items or decl.type.base not in ("enum", "text", "number", "year", "bool"):
            yield error("E018", group.span, f"名额的分组事实「{group.text}」应为单个取值的枚举、标识、数值、年份或是否",
                        f"the quota's group fact {group.text!r} must hold one value: an enumeration, identifier, number, year or yes/no")


def _reads_assessed_year(policy: ast.Policy, symbols: Symbols) -> bool:
    """Whether any result depends on which year is assessed (a yearly fact, 考核年度, a duration)."""
    expressions = [expr for clause in policy.clauses for expr, _role in clause_expressions(clause)]
    expressions += [decl.expr for decl in policy.defs]
    for expr in expressions:
        for node in walk(expr):
            if isinstance(node, (ast.AssessedYear, ast.PrevYear, ast.Growth)):
                return True
            if isinstance(node, ast.Ref):
                decl = symbols.facts.get(node.name.text)
                if decl is not None and decl.type.series:
                    return True
    return any(c.duration is not None and c.duration.start_fact is not None for c in policy.clauses)


def _unreachable_years(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """With 考核年度 上一年 an evaluation in year Y assesses Y-1, so the last year of the
    validity window is never assessed by an evaluation inside it."""
    start, end = policy.effective_from, policy.effective_until
    if start is None or end is None or end.value < start.value or policy.assessed_year != "上一年":
        return
    if not _reads_assessed_year(policy, symbols):
        return
    first, last = start.value.year - 1, end.value.year - 1
    unreachable = [year for year in range(start.value.year, end.value.year + 1) if not first <= year <= last]
    if unreachable:
        years = "、".join(f"{y}年" for y in unreachable)
        yield warning("W059", end.span,
                      f"施行期 {start.value.year}–{end.value.year}年，考核年度为上一年：施行期内的评估只考核 {first}–{last}年度，"
                      f"{years}度永远不会被考核",
                      f"in force {start.value.year}–{end.value.year} with the assessed year the year before: evaluations in force "
                      f"assess {first}–{last}, and {', '.join(str(y) for y in unreachable)} is never assessed",
                      suggestion=Message("若本政策考核施行期内的年度，写「考核年度 当年」；或延后失效日期；原文如此的，在说明中写明",
                                         "if the policy assesses the years it is in force, write 考核年度 当年; or extend 失效日期; "
                                         "if the text says so, record it in a 说明"))


# ---------------------------------------------------------------- issue 13: rates over a run of years
def check_run_years(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """分年度 counts the years of the clause's 期限 from its start fact: without one the year of
    the run would be guessed (E340); its rows cover the 期限's years once each, in order (E341).
    自 F 起 第N年 counts from F, which must be a year fact (E342)."""
    for clause in policy.clauses:
        for condition in clause.conditions:
            for node in walk(condition):
                if isinstance(node, (ast.Compare, ast.And)) and node.run_year is not None:
                    compare = node if isinstance(node, ast.Compare) else node.left
                    start = compare.right.left.name
                    decl = symbols.facts.get(start.text)
                    if decl is not None and (decl.type.base != "year" or decl.type.series):
                        yield error("E342", start.span, f"「自 {start.text} 起 {node.run_year}」从事实「{start.text}」起算，它应为年份",
                                    f"「自 {start.text} 起 {node.run_year}」 counts from {start.text!r}, which must be a year fact",
                                    suggestion=Message(f"声明为年份：事实 {start.text}: 年份", f"declare it a year: 事实 {start.text}: 年份"))
        form = clause.award.form if clause.award is not None else None
        if not isinstance(form, ast.ByRunYear):
            continue
        duration = clause.duration
        if duration is None or duration.start_fact is None:
            yield error("E340", form.span, f"{clause.label} 分年度给予，但没有写期限从哪一年起算：第几年无从判断",
                        f"{clause.label} pays by year of a run, but its 期限 has no start year: which year of the run "
                        f"an assessed year is cannot be known",
                        notes=(Message("起算年度须是申请人提供的年份事实（如 认定年度）；原文没有写起算年度时，声明一个事实由申请人提供，"
                                       "缺少它的评估为「无法判定」，polc 不会自行假定",
                                       "the start must be a year fact the applicant states (such as 认定年度); where the text "
                                       "names none, declare a fact for it: an evaluation without it cannot be decided, polc "
                                       "never assumes one"),),
                        suggestion=Message(f"期限 最多 {form.rows[-1].last}年 自 认定年度 当年起",
                                           f"期限 最多 {form.rows[-1].last}年 自 认定年度 当年起"))
        expected_first = 1
        for run_row in form.rows:
            if run_row.first != expected_first:
                yield error("E341", run_row.span,
                            f"分年度的「{run_row.text}」是第{run_row.first}–{run_row.last}年，应从第{expected_first}年接续",
                            f"the row {run_row.text!r} covers years {run_row.first}–{run_row.last} of the run; it should "
                            f"continue from year {expected_first}",
                            notes=(Message("各行依次覆盖期限的每一年，不重叠、不留空：前三年、后两年，或 第1至3年、第4至5年",
                                           "the rows cover each year of the 期限 once, in order: 前三年, 后两年, or 第1至3年, 第4至5年"),))
                break
            expected_first = run_row.last + 1
        else:
            if duration is not None and expected_first - 1 != duration.years:
                yield error("E341", form.span,
                            f"分年度各行共{expected_first - 1}年，与期限 {duration.years_text} 不一致",
                            f"the rows cover {expected_first - 1} years, but the 期限 is {duration.years_text}",
                            suggestion=Message(f"期限 最多 {expected_first - 1}年", f"期限 最多 {expected_first - 1}年"))


# ---------------------------------------------------------------- issue 13: payments in parts
def check_parts(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """其中 …: the parts of one award add up to exactly 100%, each above 0 (E343); only an
    award with an amount is paid in parts (E345)."""
    for clause in policy.clauses:
        if not clause.parts:
            continue
        form = clause.award.form if clause.award is not None else None
        if clause.text_only or form is None or isinstance(form, (ast.CaseByCase, ast.Unspecified, ast.Routing)):
            yield error("E345", clause.parts[0].span, f"{clause.label} 没有金额，不能分期兑现",
                        f"{clause.label} pays no amount, so it cannot be paid in parts",
                        notes=(Message("「其中 …」把本条「给予」的金额分成几部分；本条须有金额（不是仅文本、系数、一事一议、金额未定或由…审定）",
                                       "其中 … splits the amount of the clause's 给予; the clause must pay an amount (not text "
                                       "only, a modifier, 一事一议, 金额未定 or 由…审定)"),))
            continue
        total = sum((part.share.value for part in clause.parts), Decimal(0))
        zero = next((part for part in clause.parts if part.share.value <= 0), None)
        if zero is not None:
            yield error("E343", zero.share.span, f"{clause.label} 的分期比例 {zero.share.text} 不大于0",
                        f"the part {zero.share.text} of {clause.label} is not above 0")
        elif total != 1:
            shown = "、".join(part.share.text for part in clause.parts)
            rest = (Decimal(1) - total) * 100
            yield error("E343", clause.parts[-1].span,
                        f"{clause.label} 的分期比例 {shown} 合计 {_plain_percent(total)}，应为100%",
                        f"the parts of {clause.label}, {shown}, add up to {_plain_percent(total)}, not 100%",
                        notes=(Message("每一部分都要写出，包括本期兑现的部分（其中 50%），各部分合计100%",
                                       "write every part, the one paid now too (其中 50%): together they are 100%"),),
                        suggestion=Message(f"补上其余部分：其中 {_plain_number(rest)}%", f"add the rest: 其中 {_plain_number(rest)}%")
                        if rest > 0 else None)


def _plain_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _plain_percent(fraction: Decimal) -> str:
    return _plain_number(fraction * 100) + "%"


# ---------------------------------------------------------------- issue 13: offsets
def check_offsets(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    """抵扣 X: X is a declared matter or a money fact (E346); a clause never offsets its own
    matter, and offsets between matters do not go round in a cycle (E347); only an award
    with an amount, not paid in parts, is reduced (E348)."""
    offsets_of: dict[str, set[str]] = {}  # matter -> the matters its clauses offset
    for clause in policy.clauses:
        if not clause.offsets:
            continue
        form = clause.award.form if clause.award is not None else None
        if clause.text_only or form is None or isinstance(form, (ast.CaseByCase, ast.Unspecified, ast.Routing)) \
                or clause.parts:
            yield error("E348", clause.offsets[0].span, f"{clause.label} 没有可抵扣的确定金额（或已分期兑现），不能写「抵扣」",
                        f"{clause.label} has no amount to reduce (or is paid in parts), so it cannot have 抵扣",
                        notes=(Message("「抵扣」从本条「给予」的金额中扣除；本条须有金额，且不与「其中 …」同用",
                                       "抵扣 reduces the amount of the clause's 给予: it needs an amount, and is not used "
                                       "with 其中 …"),))
        for name in clause.offsets:
            decl = symbols.facts.get(name.text)
            if name.text in symbols.matters:
                if clause.matter is not None and clause.matter.text == name.text:
                    yield error("E347", name.span, f"{clause.label} 抵扣它自己的事项「{name.text}」",
                                f"{clause.label} offsets its own matter {name.text!r}")
                elif clause.matter is not None:
                    offsets_of.setdefault(clause.matter.text, set()).add(name.text)
            elif decl is None or decl.type.base != "money" or decl.type.series or decl.type.items:
                yield error("E346", name.span, f"「抵扣 {name.text}」：{name.text} 既不是已定义的事项，也不是金额事实",
                            f"抵扣 {name.text}: {name.text!r} is neither a declared matter nor a money fact",
                            notes=(Message("抵扣另一项奖励写它的事项（定义事项 X，且那一条写 事项 X）；抵扣已获得的金额写一个金额事实",
                                           "to offset another award name its matter (定义事项 X, and 事项 X on that clause); "
                                           "to offset an amount already received, name a money fact"),))
    # a cycle: matter A's clauses offset B, …, and some clause of that chain offsets A again
    for start in sorted(offsets_of):
        seen, pending = set(), list(offsets_of[start])
        while pending:
            current = pending.pop()
            if current == start:
                clause = next(c for c in policy.clauses if c.matter is not None and c.matter.text == start and c.offsets)
                yield error("E347", clause.offsets[0].span, f"「抵扣」成环：事项「{start}」经抵扣又回到自身",
                            f"offsets go round in a cycle: matter {start!r} is offset, through others, by itself",
                            notes=(Message("抵扣须有先后：一项奖励在另一项中扣除，后者不能再在前者中扣除",
                                           "offsets have an order: if one award is deducted from another, the other cannot "
                                           "be deducted from the first"),))
                break
            if current not in seen:
                seen.add(current)
                pending.extend(offsets_of.get(current, ()))
