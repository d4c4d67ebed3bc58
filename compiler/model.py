"""The lowered model: what a policy *means*, decided once, read by every backend.

    .pol text ─parser─▶ AST (syntax, drafter's words) ─lower─▶ model ─▶ interpreter / to_python
                                                                     ─▶ to_markdown / to_sql

The AST (compiler/ast.py) keeps what the drafter wrote; this model keeps what it means:

- names are resolved: a reference is a `FactRef` (to a `Fact` with its declared `Type`), a
  `DefRef` (to a `Definition`), or an `EnumValue` (with its enumeration when known); the
  imported vocabulary (引用) is merged, so a backend never looks a name up;
- operators, principles and assessed-year rules are enums (`CompareOp.GT`, not "超过";
  `Principle.HIGHEST_ONLY`, not "就高不重复"); the drafter's words are kept beside them
  only for printing (`text` on every expression is the canonical .pol text of it, the label
  a trace or a summary shows);
- an award is one of a closed set of forms (`AwardForm`); a backend dispatches with `match`
  and `typing.assert_never`, so a form it forgets fails mypy;
- what today was re-derived by each consumer is a field: a clause's ceiling, what it could
  pay when undecidable, whether it is cofunded, its split, the facts that decide it, each
  tier's comparison, the 逐项 fact of a 每项 award, an enumeration comparison's order.

Every node is a frozen attrs class with a `span` back to the source that takes no part in
equality. Children are iterated from the field declarations (`iter_child_nodes`, `walk`),
as CPython's ast module reads `_fields`; nothing lists a node's children by hand.

Money is an exact Decimal in 元; a percentage is the Decimal fraction (5% -> 0.05).

Contract (CONTRACTS.md §1): fields are only added, never renamed or removed.
"""

from __future__ import annotations

import datetime
import enum
import re
from decimal import Decimal
from typing import Collection, Iterator, Mapping, Union

import attrs

from .source import Span


def _span():
    return attrs.field(default=None, eq=False, repr=False)


# ---------------------------------------------------------------- walking
_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that can hold nodes: all but its span and those whose
    declared type holds none (read once per class). A Fact, a Matter or a Constant has
    only such fields, and they were half of the nodes lowering walked."""
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in attrs.fields(cls)
                                     if f.name != "span" and not _holds_no_node(f.type))
    return names


_ANNOTATION_NAMES = re.compile(r"[A-Za-z_][A-Za-z_0-9.]*")
_PLAIN = {"None": type(None), "str": str, "bool": bool, "int": int, "tuple": tuple, "datetime.date": datetime.date}


def _holds_no_node(annotation) -> bool:
    """Whether a field's declared type (the annotation's text) is made only of leaves
    (_LEAVES, None) and tuples of them: `str | None`, `tuple[str, ...]`, `CompareOp`.
    Anything else (a node class, `object`, a mapping, a union with a node) is followed.
    mypy holds the fields to their declared types; tests/test_model.py checks every node of
    the shipped policies' models against it."""
    if not isinstance(annotation, str):
        return False
    for token in _ANNOTATION_NAMES.findall(annotation):
        cls = _PLAIN.get(token, globals().get(token))
        if not isinstance(cls, type) or not (cls in (type(None), tuple) or issubclass(cls, _LEAVES)):
            return False
    return True


def _nodes_in(value) -> Iterator:
    if isinstance(value, (tuple, list)):
        for item in value:
            yield from _nodes_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _nodes_in(item)
    elif hasattr(type(value), "__attrs_attrs__"):
        yield value


# Values, not nodes: a Type describes a node and has no children worth visiting.
_LEAVES: tuple[type, ...] = (str, bool, int, Decimal, enum.Enum, datetime.date)


def iter_child_nodes(node, skip: Collection[str] = ()) -> Iterator:
    """The model nodes directly under node, in field order (tuples and mappings followed;
    spans and the fields named in skip left out)."""
    return iter(_child_list(node, skip))


def _child_list(node, skip: Collection[str]) -> list:
    """iter_child_nodes as a list, built without a generator per field and with what each
    value is decided once per type (_value_kind): lowering and every analysis walk the model
    many times over (a fifth of checking 5,000 clauses went here)."""
    found: list = []
    for name in _child_fields(type(node)):
        if name not in skip:
            value = getattr(node, name)
            kind = _KINDS.get(type(value))
            if kind is None:
                kind = _value_kind(type(value))
            if kind == _NODE:
                found.append(value)
            elif kind != _LEAF:
                _collect(value, kind, found)
    return found


_LEAF, _NODE, _SEQUENCE, _MAPPING = range(4)
_KINDS: dict[type, int] = {type(None): _LEAF}


def _value_kind(cls: type) -> int:
    """What _nodes_in does with a value of this type, as iter_child_nodes reads a field: leaves
    (_LEAVES, None, anything else not a node) hold no nodes; tuples and lists, mappings are followed."""
    if issubclass(cls, _LEAVES):
        kind = _LEAF
    elif issubclass(cls, (tuple, list)):
        kind = _SEQUENCE
    elif issubclass(cls, dict):
        kind = _MAPPING
    elif hasattr(cls, "__attrs_attrs__"):
        kind = _NODE
    else:
        kind = _LEAF
    _KINDS[cls] = kind
    return kind


def _collect(value, kind: int, found: list) -> None:
    """The nodes in a tuple, list or mapping, in order, followed as deep as they nest."""
    for item in (value if kind == _SEQUENCE else value.values()):
        item_kind = _KINDS.get(type(item))
        if item_kind is None:
            item_kind = _value_kind(type(item))
        if item_kind == _NODE:
            found.append(item)
        elif item_kind != _LEAF:
            _collect(item, item_kind, found)


def walk(root, skip: Collection[str] = ()) -> Iterator:
    """root (a node or a tuple of nodes) and every node under it, depth first in field order.
    Iterative, so a deep tree costs no Python stack. A `DefRef` is a leaf (the definition
    is reached through `PolicyModel.definitions`; see facts_read to follow it)."""
    stack = list(_nodes_in(root))[::-1]
    while stack:
        node = stack.pop()
        yield node
        if not (_FIELDS.get(type(node)) or _child_fields(type(node))):
            continue  # a Constant, a Fact, a Matter: nearly half the nodes, and nothing under them
        children = _child_list(node, skip)
        if children:
            children.reverse()
            stack.extend(children)


# ---------------------------------------------------------------- enums of meaning
class Base(enum.Enum):
    """The base type of a value. `.value` is the word the runtime uses for a trace's kind."""
    MONEY = "money"
    UNIT_PRICE = "unit_price"  # money per unit of a quantity (150元/平方米)
    NUMBER = "number"
    PERCENT = "percent"
    BOOL = "bool"
    DATE = "date"
    YEAR = "year"
    ENUM = "enum"
    TEXT = "text"  # 标识: names a thing (for 每个), never computed with


@attrs.frozen
class Type:
    """A value's type. `enum` is the enumeration's name (None when a value is shared by
    several enumerations and the context decides); `unit` the unit of a unit price."""
    base: Base
    enum: str | None = None
    series: bool = False  # 逐年: a value per year
    items: bool = False   # 逐项: a list of values, one per item
    unit: str | None = None

    @property
    def kind(self) -> str:
        """How a runtime value of this type is shown in a trace (runtime.format_value)."""
        return self.base.value


_LEAVES += (Type,)


class CompareOp(enum.Enum):
    """A comparison; `.value` is the runtime's operator name (runtime._COMPARE)."""
    GT = "gt"  # 超过 高于 大于 >
    GE = "ge"  # 不低于 不少于 达到 >= ≥
    LE = "le"  # 不超过 不高于 <= ≤
    LT = "lt"  # 低于 少于 不足 <
    EQ = "eq"  # 等于


class ArithOp(enum.Enum):
    """An arithmetic operator; `.value` is the drafter's symbol (runtime.ARITHMETIC's key)."""
    ADD = "+"
    SUB = "-"
    MUL = "×"
    DIV = "÷"

    @property
    def function(self) -> str:
        """The runtime function generated code calls (add, sub, mul, div)."""
        return {"+": "add", "-": "sub", "×": "mul", "÷": "div"}[self.value]


class RunKind(enum.Enum):
    """连续N年 and 近N年 mean the same test (each of the last N years); the word is kept."""
    CONSECUTIVE = "连续"
    RECENT = "近"


class Principle(enum.Enum):
    """冲突原则: what happens when several clauses pay the same matter. `.value` is the word."""
    HIGHEST_ONLY = "就高不重复"  # only the highest award of a matter is paid
    CUMULATIVE = "可叠加"        # every clause pays


class AssessedYearRule(enum.Enum):
    """考核年度: which year an evaluation on a date assesses. `.value` is the word."""
    PREVIOUS = "上一年"  # the year before the evaluation date (the default)
    CURRENT = "当年"     # the evaluation date's own year

    @property
    def offset(self) -> int:
        """Years back from the evaluation date's year (runtime.PolicyInfo.assessed_offset)."""
        return 1 if self is AssessedYearRule.PREVIOUS else 0


# ---------------------------------------------------------------- declarations (resolved)
@attrs.frozen(eq=False)
class Enumeration:
    """枚举: a closed set of values, in declared order (the order 不低于 compares by)."""
    name: str
    values: tuple[str, ...]
    shared: bool = False  # declared in the imported vocabulary
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Fact:
    """事实: a value an applicant states. `values` are the enumeration's ordered values for
    an enumeration fact (empty otherwise)."""
    name: str
    type: Type
    note: str | None = None
    values: tuple[str, ...] = ()
    shared: bool = False  # declared in the imported vocabulary
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Definition:
    """定义 name = expr. `type` is the expression's type (None when ill-typed); `name_text`
    the name as .pol prints it (quoted with 「」 when a bare name could not carry it)."""
    name: str
    name_text: str
    expr: "Expr"
    type: Type | None
    note: str | None = None
    shared: bool = False  # declared in the imported vocabulary
    span: Span | None = _span()

    @property
    def kind(self) -> str:
        """How its value is shown in a trace (a number when ill-typed)."""
        return self.type.kind if self.type is not None else Base.NUMBER.value


@attrs.frozen(eq=False)
class Matter:
    """事项: what clauses pay for; clauses naming one matter overlap (冲突原则)."""
    name: str
    note: str | None = None
    shared: bool = False
    declared: bool = True  # False: named by a clause but declared nowhere (the checks say so)
    span: Span | None = _span()


# ---------------------------------------------------------------- expressions
# Every expression carries `text`: its canonical .pol text (printer.expr of the AST node),
# the label traces and summaries show. `type` is its type (None when ill-typed).
@attrs.frozen(eq=False)
class Constant:
    """A number as written: money (30万元 -> 300000), unit price, percent (5% -> 0.05), number."""
    value: Decimal
    type: Type
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class BoolConstant:
    value: bool
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class YearConstant:
    """2020年."""
    value: int
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class AssessedYear:
    """考核年度: the year being assessed (moved back by the year offset inside 连续N年)."""
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class FactRef:
    """A fact read: a 逐年 fact at the year being read (offset), a 逐项 fact's current item
    inside 每项, else the applicant's value (a 是否 fact is traced as it is read)."""
    fact: Fact
    text: str
    span: Span | None = _span()

    @property
    def type(self) -> Type:
        return self.fact.type


@attrs.frozen(eq=False)
class DefRef:
    """A definition used: `PolicyModel.definitions[name]` (by name, so a cycle the checks
    report cannot make the model infinite). `type` is the definition's type."""
    name: str
    type: Type | None
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class EnumValue:
    """An enumeration value named in a condition (一级); stands for itself at run time."""
    value: str
    enumeration: str | None  # None: shared by several enumerations, or not declared
    text: str
    span: Span | None = _span()

    @property
    def type(self) -> Type:
        return Type(Base.ENUM, self.enumeration)


@attrs.frozen(eq=False)
class PrevYear:
    """上年 X: the 逐年 fact X one year before the year being read."""
    fact: Fact
    text: str
    span: Span | None = _span()

    @property
    def type(self) -> Type:
        return attrs.evolve(self.fact.type, series=True)


@attrs.frozen(eq=False)
class Growth:
    """X 增速: (X of the year - X of the year before) / X of the year before (a percent)."""
    fact: Fact
    text: str
    span: Span | None = _span()

    @property
    def type(self) -> Type:
        return Type(Base.PERCENT, series=True)


@attrs.frozen(eq=False)
class Floor:
    """取整 X: the whole part of X, rounded down."""
    operand: "Expr"
    type: Type | None
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Neg:
    operand: "Expr"
    type: Type | None
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Arith:
    """left op right; unknown (None) if either side is."""
    op: ArithOp
    left: "Expr"
    right: "Expr"
    type: Type | None
    text: str
    span: Span | None = _span()


class _Condition:
    """A condition: its type is always 是/否 (one definition for every condition node)."""
    __slots__ = ()

    @property
    def type(self) -> Type:
        return Type(Base.BOOL)


@attrs.frozen(eq=False)
class Compare(_Condition):
    """left op right, three-valued (None if either side is unknown).

    first_time (首次…): left is a 逐年 `FactRef`; true when the year's value passes and no
    recorded earlier year did (runtime.Run.first_time). each_year (均…): the drafter's word
    for the same test read in each year of an enclosing 连续N年; it changes nothing else.
    kind: how both sides are shown in the trace (the left side's type). order: for an
    enumeration comparison (荣誉等级 不低于 记三等功), the enumeration's values in declared
    order, lowest first (empty if the enumeration is not known). per_year: a side reads a
    逐年 value, so the trace names the year."""
    op: CompareOp
    left: "Expr"
    right: "Expr"
    text: str
    word: str  # the drafter's comparison word (首次超过, 不低于, >=, …)
    first_time: bool = False
    each_year: bool = False
    kind: Base = Base.NUMBER
    order: tuple[str, ...] = ()
    per_year: bool = False
    span: Span | None = _span()

    @property
    def ordered(self) -> bool:
        """An enumeration comparison: by declared order (runtime.Run.compare_ordered)."""
        return self.kind is Base.ENUM


@attrs.frozen(eq=False)
class Member(_Condition):
    """subject 属于 A、B (or 不属于 when negated)."""
    subject: "Expr"
    options: tuple[str, ...]
    negated: bool
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class RunOfYears(_Condition):
    """连续N年 cond / 近N年 cond: cond holds in each of the last N years (year offsets 0..N-1)."""
    kind: RunKind
    years: int
    years_text: str
    condition: "Expr"
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class And(_Condition):
    """Kleene and: false wins over unknown; the right side is not read after false."""
    left: "Expr"
    right: "Expr"
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Or(_Condition):
    """Kleene or: true wins over unknown; the right side is not read after true."""
    left: "Expr"
    right: "Expr"
    text: str
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Not(_Condition):
    operand: "Expr"
    text: str
    span: Span | None = _span()


Expr = Union[Constant, BoolConstant, YearConstant, AssessedYear, FactRef, DefRef, EnumValue, PrevYear,
             Growth, Floor, Neg, Arith, Compare, Member, RunOfYears, And, Or, Not]
CONNECTIVES = (And, Or, Not, RunOfYears)  # conditions built of conditions


def is_money_constant(node: Expr) -> bool:
    """A constant amount of money (30万元): shown as money, needs no trace line of its own."""
    return isinstance(node, Constant) and node.type.base is Base.MONEY


# ---------------------------------------------------------------- awards: a closed set of forms
@attrs.frozen(eq=False)
class Exact:
    """A fixed amount (or a formula over facts): paid in full (runtime.exact)."""
    amount: Expr
    span: Span | None = _span()


@attrs.frozen(eq=False)
class UpTo:
    """最高 X: anything from 0 to X, reviewers decide (runtime.up_to)."""
    ceiling: Expr
    span: Span | None = _span()
    # 一事一议 最高 X: written as case by case with a ceiling; evaluated exactly as 最高 X.
    case_by_case: bool = False


@attrs.frozen(eq=False)
class Range:
    """X 至 Y: reviewers decide within the range (runtime.between)."""
    low: Expr
    high: Expr
    span: Span | None = _span()
    # 投资额 × 5%-20%: the rate range as written ("5%-20%"); low/high are base × each rate.
    rate: str | None = None


@attrs.frozen(eq=False)
class CaseByCase:
    """一事一议: no amount, decided case by case."""
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Unspecified:
    """金额未定 ["note"]: the text pays but states no amount. `base` (issue 13): X × 一定比例,
    the text names what the amount is a share of but not the rate (the note says so)."""
    note: str | None = None
    span: Span | None = _span()
    base: Expr | None = None


@attrs.frozen(eq=False)
class LevelRow:
    level: str  # a value of the subject fact's enumeration
    amount: Expr
    span: Span | None = _span()


@attrs.frozen(eq=False)
class ByLevel:
    """按 X 分别: the row for the applicant's value of the enumeration fact X
    (runtime.pick_level; a value with no row pays nothing)."""
    subject: Fact
    rows: tuple[LevelRow, ...]
    span: Span | None = _span()


@attrs.frozen(eq=False)
class TierRow:
    """One tier: `test` is the comparison subject op threshold (decided at lowering, one per
    row, so a backend never builds a comparison)."""
    threshold: Expr
    amount: Expr
    test: Compare
    span: Span | None = _span()


@attrs.frozen(eq=False)
class ByTier:
    """按 X op 分档: the first row, top down, whose test holds; an unknown test before it makes
    the award unknown; no row met pays nothing (NO_TIER_MET)."""
    subject: Expr
    op: CompareOp
    word: str  # the drafter's comparison word
    rows: tuple[TierRow, ...]
    span: Span | None = _span()


NO_TIER_MET = "未达到任何一档门槛"  # the reason a tiered award pays nothing


@attrs.frozen(eq=False)
class PerItem:
    """每项 X [每项最高 C]: for each item of the 逐项 fact `item_fact`, X capped at C, added up
    (runtime.items / runtime.per_item); inside X, a FactRef to item_fact reads the item.
    item_cap None: no cap per item (runtime.per_item_uncapped; only the award's cap bounds it)."""
    item_fact: Fact
    amount: Expr
    item_cap: Expr | None
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Routing:
    """由 "…" 审定: a non-money outcome and who decides it. Issue 13: every non-money outcome
    is this form, its verb in `outcome` (审定; 免收 优先保障 列入 授予, for which `approver`
    holds what is waived, secured, listed or conferred)."""
    approver: str
    span: Span | None = _span()
    outcome: str = "审定"

    @property
    def text(self) -> str:
        """The outcome as the summary and the results say it: 由X审定, 免收手续费."""
        return f"由{self.approver}审定" if self.outcome == "审定" else f"{self.outcome}{self.approver}"


# ---- issue 13: floors (r14-caps)
@attrs.frozen(eq=False)
class AtLeast:
    """不低于 X: at least X, the amount above it set by review (runtime.at_least: kind
    `at_least`, min X, max open; with a 最高 C cap, the range min(X, C) … C)."""
    floor: Expr
    span: Span | None = _span()


AwardForm = Union[Exact, UpTo, Range, CaseByCase, Unspecified, ByLevel, ByTier, PerItem, Routing,
                  "ByTable", "ByBand", "EachTier", "Upgrade", "ByRunYear", AtLeast]
NO_AMOUNT_FORMS = (CaseByCase, Unspecified, Routing)  # forms that state no amount to bound


@attrs.frozen(eq=False)
class Award:
    """An award form and its cap (最高 C after the form): the form's amount, at most C; an
    unknown cap makes the award unknown."""
    form: AwardForm
    cap: Expr | None = None
    span: Span | None = _span()


# ---------------------------------------------------------------- clause terms
@attrs.frozen(eq=False)
class Duration:
    """期限 最多 N年 [自 F 当年起|次年起]: paid each year, at most `years` years, counted from
    the year in fact `start_fact` (or the year after it)."""
    years: int
    years_text: str
    start_fact: Fact | None = None
    start_next_year: bool = False
    span: Span | None = _span()


@attrs.frozen(eq=False)
class RankKey:
    """One key of a ranking: the fact compared, highest first when descending."""
    fact: str
    descending: bool
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Quota:
    """名额, across applicants (runtime.allocate_quota has the exact rule).

    Either a count per year (`per_year`, `unit`), or a share (`share`, the fraction, with
    `share_text` as written) of the nominee count in fact `base`, applied only above
    `threshold`. One limit per value of the `groups` facts. `ranking` decides who is in;
    with none (or `select`, 择优 written) the reviewers choose."""
    per_year: int | None
    unit: str | None = None
    ranking: tuple[RankKey, ...] = ()
    share: Decimal | None = None
    share_text: str | None = None
    threshold: int | None = None
    base: str | None = None
    groups: tuple[str, ...] = ()
    select: bool = False
    span: Span | None = _span()

    def runtime_spec(self) -> tuple:
        """(per year, share, threshold, ranking keys, 基数 fact, 每个 facts): ClauseSpec.quota."""
        return (self.per_year, self.share, self.threshold, tuple((k.fact, k.descending) for k in self.ranking),
                self.base, self.groups)


@attrs.frozen(eq=False)
class Modifier:
    """系数 F 作用于 M: when this clause applies, awards for matter M are multiplied by F;
    the clause itself pays nothing."""
    factor: Decimal
    text: str
    matter: str
    span: Span | None = _span()


# ---------------------------------------------------------------- policy-level terms
@attrs.frozen(eq=False)
class Share:
    payer: str
    share: Decimal  # the fraction
    text: str       # as written (50%)
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Split:
    """分担 A 50%、B 50% [除外 第X条]: how each award is shared between payers."""
    shares: tuple[Share, ...]
    except_articles: tuple[str, ...] = ()
    span: Span | None = _span()
    condition: "Expr | None" = None  # issue 13: 分担 … 当 条件 (payers by condition)


@attrs.frozen(eq=False)
class CoFunding:
    """配套 P 不低于 S [除外 …]: the district matches at least S of the award."""
    payer: str
    minimum_share: Decimal
    minimum_share_text: str
    except_articles: tuple[str, ...] = ()
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Budget:
    """预算 P 每年 A: what payer P sets aside each year; `ranking` the order awards are funded
    in; none (or `select`) means the reviewers choose when it runs out."""
    payer: str
    amount: Decimal
    amount_text: str
    ranking: tuple[RankKey, ...] = ()
    select: bool = False
    span: Span | None = _span()
    # 按比例核减 / 按比例分配: over budget, each award is scaled by budget ÷ wanted (the words as written).
    prorate: str | None = None


@attrs.frozen(eq=False)
class Transitional:
    """过渡 "…" [当 考核年度 早于 Y 依照 D]: assessed years before `before_year` follow policy
    `governed_by` and this policy does not evaluate them; without a year, text only."""
    text: str
    before_year: int | None = None
    governed_by: str | None = None
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Validity:
    """施行/失效: the dates (inclusive) on which the policy governs an evaluation."""
    effective_from: datetime.date | None = None
    effective_until: datetime.date | None = None
    span: Span | None = _span()


@attrs.frozen(eq=False)
class NotEncoded:
    """不编码 "…" 说明 "…": a sentence deliberately not encoded, and why."""
    text: str
    reason: str
    span: Span | None = _span()


# ---- issue 13: payers and funds
@attrs.frozen(eq=False)
class PayerRule:
    """One 分担 rule a clause may take, in order: `condition` None holds always (and ends the
    list); otherwise the rule holds for the applicants the condition holds for (乡镇招商的项目
    由各乡镇参照执行: 分担 乡镇财政 100% 当 招商主体 等于 乡镇). The first that holds pays."""
    condition: "Expr | None"
    shares: tuple[Share, ...]
    span: Span | None = _span()


@attrs.frozen(eq=False)
class FundMinimum:
    """资金 F 每年 不少于 A: fund F holds at least A a year (a statement about the fund, shown
    in summaries; not a cap on applicants, and not the 预算 awards draw on)."""
    fund: str
    amount: Decimal
    amount_text: str
    span: Span | None = _span()


# ---- issue 13: rates over a run of years
@attrs.frozen(eq=False)
class RunYearRow:
    """One row of 分年度 (前三年, 后两年, 第4年, 第4至5年): years `first`..`last` of the clause's
    期限 (the first year of the run is 1). `test` is the condition that the assessed year is
    one of them, decided at lowering (考核年度 不低于 F + a 且 考核年度 不超过 F + b, F the
    期限's start fact, a and b counted from it), so a backend evaluates it as any condition."""
    text: str
    first: int
    last: int
    amount: Expr
    test: Expr
    span: Span | None = _span()

    @property
    def label(self) -> str:
        """The trace's words for the row reached: 分年度：后两年（第4–5年）."""
        years = f"第{self.first}年" if self.first == self.last else f"第{self.first}–{self.last}年"
        return f"分年度：{self.text}" + ("" if self.text == years else f"（{years}）")


@attrs.frozen(eq=False)
class ByRunYear:
    """分年度: "前三年给予80%，后两年给予50%". The row whose years hold the assessed year pays
    (evaluated as ByTier: rows in order, an unknown test makes the award unknown); none —
    the assessed year is outside the run — pays nothing (NO_RUN_YEAR). `start` is the 期限's
    start fact (the checks require one: the year of a run is never guessed)."""
    start: Fact
    start_next_year: bool
    rows: tuple[RunYearRow, ...]
    span: Span | None = _span()


NO_RUN_YEAR = "考核年度不在分年度的年次之内"  # the reason 分年度 pays nothing


# ---- issue 13: payments in parts
@attrs.frozen(eq=False)
class Part:
    """其中 50% [第2年] [待 达产升规]: a share of the clause's award (runtime.in_parts has the
    rule). Paid now when it has no year after the first and its condition (if any) holds;
    pending when it is due in a later year of payment or its condition does not hold yet;
    cannot be decided when its condition is unknown. `text` is as printed (the trace's label)."""
    share: Decimal
    share_text: str
    year: int | None
    condition: Expr | None
    text: str
    span: Span | None = _span()


# ---- issue 13: offsets
class OffsetSource(enum.Enum):
    """What 抵扣 X names: a matter (what the applicant is paid for it, in any policy evaluated
    together) or a money fact (an amount already received, such as an earlier year's award)."""
    MATTER = "matter"
    FACT = "fact"


@attrs.frozen(eq=False)
class Offset:
    """抵扣 X: this clause's award is reduced by X (runtime.apply_offsets has the rule)."""
    name: str
    source: OffsetSource
    span: Span | None = _span()


# ---- issue 13: caps per enterprise (r14-caps)
@attrs.frozen(eq=False)
class EnterpriseCap:
    """企业上限: the sum of every clause's award for one applicant in one year is at most
    `amount` (每年); with `received` (累计 … 已获 F), at most `amount` less what the applicant
    states it already received in earlier years (F, a money fact; unknown F: this year's room
    is anything from 0 to `amount`). runtime.cap_room/cap_cuts/mark_capped have the rule."""
    amount: Decimal
    amount_text: str
    received: Fact | None = None
    span: Span | None = _span()

    def runtime_spec(self) -> tuple:
        """(limit, received fact or None): an entry of runtime.PolicyInfo.caps."""
        return (self.amount, self.received.name if self.received is not None else None)


# ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
@attrs.frozen(eq=False)
class TableRow:
    """One row of a two-key table: the row fact's value and one cell per column (None: —,
    no award for that pair)."""
    level: str
    cells: tuple[Expr | None, ...]
    span: Span | None = _span()


@attrs.frozen(eq=False)
class ByTable:
    """按 A、B 分别 / 列 …: the cell at (the applicant's A, the applicant's B) (runtime.pick_cell).
    A value with no row or column, or an empty cell, pays nothing; an unknown value is
    undecidable unless every cell it could pick is empty (then it pays nothing either way)."""
    row_fact: Fact
    column_fact: Fact
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]
    span: Span | None = _span()

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(row.level for row in self.rows)

    @property
    def filled(self) -> tuple[tuple[bool, ...], ...]:
        """Which cells hold an award, row by row (runtime.pick_cell reads it)."""
        return tuple(tuple(cell is not None for cell in row.cells) for row in self.rows)


@attrs.frozen(eq=False)
class BandRow:
    """A band: `test` is its bounds as one condition on the subject (a Compare, or two joined
    by And: 不低于 100 且 不超过 500), decided at lowering; `amount` what it pays — with 全量计价
    `subject × price` (the price is `price`), else the amount as written."""
    test: Expr
    amount: Expr
    price: Expr | None = None
    span: Span | None = _span()


@attrs.frozen(eq=False)
class ByBand:
    """按 X 分段 [全量计价]: the row, top down, whose bounds hold X (the checks make sure no two
    rows overlap); no row holds → nothing (NO_BAND_MET); X unknown → undecidable. With
    `whole_quantity`, the row's unit price × the whole of X — not marginal, not progressive."""
    subject: Expr
    rows: tuple[BandRow, ...]
    whole_quantity: bool = False
    span: Span | None = _span()


NO_BAND_MET = "不在任何一段之内"  # the reason a banded award pays nothing


@attrs.frozen(eq=False)
class EachTier:
    """按 X 首次超过 逐档: every tier whose threshold X crosses for the first time in the assessed
    year pays, and the amounts add up (runtime.crossed; a tier crossed before pays nothing).
    Unlike 首次 in a condition, the year before must be on record: without it a tier the year
    passes is undecidable (it may have been crossed then). Nothing crossed: NO_TIER_MET."""
    subject: Fact
    op: CompareOp
    word: str
    rows: tuple[TierRow, ...]
    kind: Base = Base.MONEY
    span: Span | None = _span()


@attrs.frozen(eq=False)
class Upgrade:
    """按 新等级 自 原等级 晋级差额: the row of the applicant's new level less the row of the
    level held (a held level with no row counts 0) (runtime.pick_upgrade). The new level
    must be above the held one in the enumeration's declared order (`order`, lowest first);
    the same or a lower level pays nothing; either level unknown is undecidable."""
    subject: Fact
    held: Fact
    rows: tuple[LevelRow, ...]
    order: tuple[str, ...]
    span: Span | None = _span()


# ---------------------------------------------------------------- clauses and policies
@attrs.frozen(eq=False)
class ClauseModel:
    """One clause (条款 / 第N项), with everything a backend needs decided.

    `evaluated`: the clause is run (not text only, and it has an award or is a modifier).
    `ceiling`: the most it can pay in one year (None: unbounded or no amount stated);
    `total_ceiling`: over its whole duration; `could_pay`: what an undecidable result could
    pay, counted in total.max (0 for a routing outcome, else `ceiling`). `cofunded`: the
    policy's 配套 applies to it; `split`: the 分担 shares that apply to it, or None.
    `decisive_facts`: the facts that decide whether it applies and to which matter (its
    conditions through definitions, a tier subject, 事项 按, a 按 level fact), sorted."""
    article: str           # 第七条
    article_number: int    # 7
    item: int | None       # 第2项 -> 2
    title: str | None
    line: int              # the .pol line of 条款
    source: str            # "policies/x.pol:12": where a trace points
    source_text: str | None = None  # 原文
    recipient: str | None = None    # 对象
    units: tuple[str, ...] = ()     # 责任单位
    matter: Matter | None = None
    matter_by: Fact | None = None   # 事项 按 X: the matter is the applicant's value of X
    conditions: tuple[Expr, ...] = ()
    award: Award | None = None
    duration: Duration | None = None
    once: bool = False
    uncapped: bool = False  # 不设上限 written
    quota: Quota | None = None
    modifier: Modifier | None = None
    notes: tuple[str, ...] = ()
    text_only: bool = False
    evaluated: bool = False
    ceiling: Decimal | None = None
    total_ceiling: Decimal | None = None
    could_pay: Decimal | None = None
    cofunded: bool = False
    split: tuple[Share, ...] | None = None
    decisive_facts: tuple[str, ...] = ()
    case_count: int = 0
    # Issue 13: the 分担 rules, in order, when the first that applies to this clause has a
    # condition (payers by condition); `split` is then None. Empty otherwise.
    payer_rules: tuple[PayerRule, ...] = ()
    parts: tuple[Part, ...] = ()  # issue 13: 其中 … (payments in parts), in the order written
    offsets: tuple[Offset, ...] = ()  # issue 13: 抵扣 … (what reduces the award), in the order written
    span: Span | None = _span()

    @property
    def outcome(self) -> tuple[str, str] | None:
        """Issue 13: (verb, what) of a non-money outcome (由X审定 → ("审定", X), 免收手续费 →
        ("免收", "手续费")), else None."""
        if self.award is not None and isinstance(self.award.form, Routing):
            return (self.award.form.outcome, self.award.form.approver)
        return None

    @property
    def label(self) -> str:
        """第七条, 第十二条第2项, or a numbering as written (二、（一）1.), as the runtime labels results."""
        return self.article + (f"第{self.item}项" if self.item is not None else "")

    @property
    def states_no_amount(self) -> bool:
        """Case by case, unspecified, routing, modifiers (and text-only clauses) state no amount."""
        return self.award is None or isinstance(self.award.form, NO_AMOUNT_FORMS)


@attrs.frozen(eq=False)
class PolicyModel:
    """One policy, its vocabulary merged.

    The name tables are in declaration order, vocabulary first, and hold every name the
    policy can use (`shared` marks the vocabulary's); `used_facts` are the facts the policy
    reads (its own, and the vocabulary's it refers to), in the same order: the facts schema
    (`schema()`). `ceiling` is the most the policy pays one applicant in a year after
    就高不重复 (bounded clauses), with `unbounded_clauses` and `unstated_clauses` labels."""
    docno: str  # as written (浙经信[2021]12号), or the short name of a 无文号 policy
    path: str   # as given (relative), posix separators in `source`
    title: str | None = None
    issuer: str | None = None
    issued: datetime.date | None = None
    validity: Validity = Validity()
    repeals: tuple[str, ...] = ()
    scope: str | None = None
    principle: Principle | None = None
    assessed_year: AssessedYearRule = AssessedYearRule.PREVIOUS
    cofunding: tuple[CoFunding, ...] = ()
    splits: tuple[Split, ...] = ()
    budgets: tuple[Budget, ...] = ()
    transitional: tuple[Transitional, ...] = ()
    imports: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    source_document: str | None = None  # 来源 path, relative to the .pol file
    not_encoded: tuple[NotEncoded, ...] = ()
    enumerations: Mapping[str, Enumeration] = attrs.Factory(dict)
    facts: Mapping[str, Fact] = attrs.Factory(dict)
    definitions: Mapping[str, Definition] = attrs.Factory(dict)
    matters: Mapping[str, Matter] = attrs.Factory(dict)
    clauses: tuple[ClauseModel, ...] = ()
    used_facts: tuple[str, ...] = ()
    # The definitions the policy evaluates: its own, then the vocabulary's it refers to
    # (directly or through another definition), each in declaration order.
    used_definitions: tuple[str, ...] = ()
    ceiling: Decimal = Decimal(0)
    unbounded_clauses: tuple[str, ...] = ()
    unstated_clauses: tuple[str, ...] = ()
    span: Span | None = _span()
    numbered: bool = True  # False: 政策 无文号 「简称」 (docno holds the short name)
    fund_minimums: tuple[FundMinimum, ...] = ()  # issue 13: 资金 F 每年 不少于 A
    enterprise_caps: tuple[EnterpriseCap, ...] = ()  # 企业上限 (issue 13): on the sum of the clauses

    def caps_spec(self) -> tuple:
        """((limit, received fact or None), …) for runtime.PolicyInfo.caps."""
        return tuple(cap.runtime_spec() for cap in self.enterprise_caps)

    @property
    def effective_from(self) -> datetime.date | None:
        return self.validity.effective_from

    @property
    def effective_until(self) -> datetime.date | None:
        return self.validity.effective_until

    @property
    def evaluated_clauses(self) -> tuple[ClauseModel, ...]:
        """The clauses that are run, in order (their index from 1 names generated functions)."""
        return tuple(c for c in self.clauses if c.evaluated)

    @property
    def own_definitions(self) -> tuple[Definition, ...]:
        return tuple(d for d in self.definitions.values() if not d.shared)

    @property
    def evaluated_definitions(self) -> tuple[Definition, ...]:
        """The definitions a backend must be able to evaluate (`used_definitions`): the
        policy's own first, so their order does not depend on the vocabulary."""
        own = [self.definitions[name] for name in self.used_definitions if not self.definitions[name].shared]
        return tuple(own + [self.definitions[name] for name in self.used_definitions if self.definitions[name].shared])

    def schema(self) -> dict:
        """The fact schema runtime.validate_facts expects: name -> (base, series, enumeration
        values or None, items), in declaration order (vocabulary first)."""
        result = {}
        for name in self.used_facts:
            fact = self.facts[name]
            t = fact.type
            result[name] = (t.base.value, t.series, fact.values if t.base is Base.ENUM else None, t.items)
        return result

    def transitional_spec(self) -> tuple:
        """((before_year, governing docno), …) for runtime.PolicyInfo.transitional."""
        return tuple((rule.before_year, rule.governed_by) for rule in self.transitional if rule.before_year is not None)

    def budgets_spec(self) -> tuple:
        """((payer, yearly amount, ranking keys[, "prorate"]), …) for runtime.PolicyInfo.budgets:
        a pro-rated budget (按比例核减) has a fourth element, so the others keep their shape."""
        return tuple((b.payer, b.amount, tuple((k.fact, k.descending) for k in b.ranking))
                     + (("prorate",) if b.prorate else ()) for b in self.budgets)


@attrs.frozen(eq=False)
class Overlap:
    """Two clauses (of one policy or two) that pay the same matter, as the overlap check
    found them, for the summaries: whether both can apply (decided; witness: an applicant
    to whom both apply, None when they exclude each other), confirmed by the interpreter."""
    first: tuple[PolicyModel, ClauseModel]
    second: tuple[PolicyModel, ClauseModel]
    matter: str
    decided: bool
    witness: dict | None
    reason: str | None = None
    confirmed: bool = False
    span: Span | None = _span()


# ---------------------------------------------------------------- shared analyses
def facts_read(expressions, policy: PolicyModel) -> set[str]:
    """The facts some expressions read, directly or through the definitions they use (each
    definition followed once)."""
    read: set[str] = set()
    seen: set[str] = set()
    pending = list(expressions)
    while pending:
        for node in walk(pending.pop()):
            if isinstance(node, (FactRef, PrevYear, Growth)):
                read.add(node.fact.name)
            elif isinstance(node, Fact):
                read.add(node.name)
            elif isinstance(node, DefRef) and node.name not in seen and node.name in policy.definitions:
                seen.add(node.name)
                pending.append(policy.definitions[node.name].expr)
    return read
