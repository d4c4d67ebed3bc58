"""Stage 2: checks. Pure functions from AST to diagnostics; nothing here raises.

Each check looks at one concern (names, types, tiers, awards, dates, examples, overlaps)
and returns the diagnostics it found, so several problems are reported in one run.
Codes are stable: `polc explain CODE` describes each one (compiler/explain.py).
"""

from __future__ import annotations

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
                  check_drafting, check_as_written):
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
        # Report where a limit is first crossed, not every expression built on top of it.
        used = [measures[r.name.text] for r in _refs(node) if r.name.text in measures]
        return _over(measure) and not any(_over(m) for m in used)

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


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # attrs class -> its field names, read once per class


def _children(node) -> Iterable:
    """The sub-expressions of an expression node, read from its attrs fields."""
    names = _FIELD_NAMES.get(type(node))
    if names is None:
        if not attrs.has(type(node)):
            return ()
        names = _FIELD_NAMES[type(node)] = tuple(field.name for field in attrs.fields(type(node)))
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
    elif isinstance(form, ast.ByLevel):
        for row in form.rows:
            yield row.amount, "amount"
    elif isinstance(form, ast.PerItem):
        yield form.amount, "item_amount"
        yield form.item_cap, "amount"
    elif isinstance(form, ast.ByTier):
        yield form.subject, "tier_subject"
        for row in form.rows:
            yield row.threshold, "threshold"
            yield row.amount, "amount"
    if award.cap is not None:
        yield award.cap, "amount"


# ---------------------------------------------------------------- types
def check_expressions(policy: ast.Policy, symbols: Symbols) -> Iterator[Diagnostic]:
    for decl in policy.defs:
        yield from _check_expr(decl.expr, symbols)
    for clause in policy.clauses:
        for node, role in clause_expressions(clause):
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
            if role in ("amount", "item_amount") and t.base != "money":
                yield error("E022", node.span, f"奖励金额「{printer.expr(node)}」应为金额，实际是{t.describe()}",
                            f"the award {printer.expr(node)!r} must be money, but it is {t.describe('en')}",
                            suggestion=Message("乘以一个金额，或写明单位（元、万元、亿元）",
                                               "multiply by an amount, or write a unit (元, 万元, 亿元)"))
        form = clause.award.form if clause.award is not None else None
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
    elif isinstance(form, (ast.ByLevel, ast.ByTier)):
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
        if ceiling is None and not clause.uncapped:
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
    def item_refs(node):
        return [r for r in _refs(node) if r.name.text in symbols.facts and symbols.facts[r.name.text].type.items]
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
def find_overlaps(policies: list[ast.Policy]) -> list:
    """Every pair of clauses that pay for one matter, within a policy and across policies,
    decided exactly (compiler/overlaps.py), each witness confirmed by the interpreter."""
    from . import interpreter, overlaps
    from .lower import lower
    prepared: dict[int, tuple] = {}

    def prepare(policy: ast.Policy) -> tuple:
        # Each policy's evaluator is built once per analysis, not once per pair; so is each
        # filler it validates (the same fillers recur in every pair: see _typed_filler).
        if id(policy) not in prepared:
            lowered = lower(policy)
            specs = {spec.label: spec for spec in interpreter.clause_specs(lowered)}
            prepared[id(policy)] = (interpreter.policy_info(lowered), specs, {})
        return prepared[id(policy)]

    return overlaps.analyse(policies, confirm=lambda first, second, facts, year:
                            _confirm(first, second, facts, year, prepare))


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


def _confirm(first, second, facts: dict, year: int, prepare) -> dict | None:
    """Run both clauses on the witness with the reference interpreter. If both apply, return
    the witness completed with the facts the conditions did not constrain; else None."""
    from . import overlaps, runtime
    on = overlaps.evaluation_date(first[0], second[0], year)
    completed = dict(facts)
    fillers: dict[str, tuple] = {}  # fact -> what its filler was made from (see _filler)
    for policy, _clause in (first, second):
        info_, _specs, _typed = prepare(policy)
        for name, (base, series, options, items) in info_.schema.items():
            if name not in completed:
                made_from = (base, series, options, items, on.year - info_.assessed_offset)
                completed[name] = _filler(*made_from)
                fillers[name] = made_from
    for policy, clause in (first, second):
        info_, specs, typed_fillers = prepare(policy)
        spec = specs[clause.label]
        # What runtime.evaluate_clauses does for one clause, except that a filler is validated
        # once per policy, not once per pair (validating the same fillers again and again was
        # half the cost of confirming a witness).
        try:
            typed = _typed_witness(info_.schema, typed_fillers, {name: value for name, value in completed.items()
                                                                 if name in info_.schema and name not in fillers})
            for name in fillers:
                if name in info_.schema:
                    typed.update(_typed_filler(info_.schema, typed_fillers, name, fillers[name], completed[name]))
        except runtime.FactError:
            return None  # the witness does not fit the facts' types: not confirmed
        assessed = on.year - info_.assessed_offset
        if runtime._not_in_force(info_, on, assessed) is not None:
            return None
        # Anything raised here (a clause failing inside the interpreter) propagates: it is a
        # compiler bug, reported as E199 by overlaps.analyse, never swallowed as "cannot decide".
        result = runtime._run_clause(spec, typed, assessed)
        if result.applies is not True:
            return None
    return completed


def _typed_witness(schema: dict, cache: dict, raw: dict) -> dict:
    """runtime.validate_facts of a witness's facts, each fact's typed value remembered by its
    name and value (the witnesses of one policy's pairs repeat the thresholds its clauses
    name). Facts validate one by one, so this gives what validate_facts gives: the typed
    values of the facts that are known, or a FactError if any fact is wrong."""
    from . import runtime
    typed = {}
    for name, value in raw.items():
        key = ("witness", name, _frozen(value))
        if key not in cache:
            try:
                cache[key] = runtime.validate_facts({name: value}, schema)
            except runtime.FactError as exc:
                cache[key] = exc
        found = cache[key]
        if isinstance(found, runtime.FactError):
            raise found
        typed.update(found)
    return typed


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
    from . import runtime
    key = (name, made_from)
    if key not in cache:
        try:
            cache[key] = runtime.validate_facts({name: value}, schema)
        except runtime.FactError as exc:
            cache[key] = exc
    found = cache[key]
    if isinstance(found, runtime.FactError):
        raise found
    return found


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
