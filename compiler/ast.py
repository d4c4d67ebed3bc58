"""The typed AST: frozen attrs classes. Every node keeps its source span; equality ignores it.

Money is held in 元 as an exact Decimal; percentages as the Decimal fraction (5% -> 0.05)
with their original text kept for display.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Collection, Iterator, Union

import attrs

from .source import Span, normalise


def _span():
    return attrs.field(default=None, eq=False, repr=False)


# ---------------------------------------------------------------- walking
# Children come from the attrs field declarations, as CPython's ast.iter_child_nodes reads
# _fields: a new kind of node is walked without a hand-kept list (one such list once missed 取整).
def _nodes_in(value) -> Iterator:
    if isinstance(value, (tuple, list)):
        for item in value:
            yield from _nodes_in(item)
    elif attrs.has(type(value)):
        yield value


def iter_child_nodes(node, skip: Collection[str] = ()) -> Iterator:
    """The nodes directly under node, in field order (tuples followed; spans and the fields
    named in skip left out)."""
    for field in attrs.fields(type(node)):
        if field.name != "span" and field.name not in skip:
            yield from _nodes_in(getattr(node, field.name))


def walk(root, skip: Collection[str] = ()) -> Iterator:
    """root (a node or a tuple of nodes) and every node under it, depth first in field order.
    Iterative, so a deep tree costs no Python stack."""
    stack = list(_nodes_in(root))[::-1]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(list(iter_child_nodes(node, skip))[::-1])


@attrs.frozen
class Name:
    text: str
    span: Span | None = _span()


# ---------------------------------------------------------------- expressions
@attrs.frozen
class Ref:
    name: Name
    span: Span | None = _span()


@attrs.frozen
class Money:
    value: Decimal  # in 元
    text: str       # as written (full-width digits made half-width), e.g. 30万元
    span: Span | None = _span()


@attrs.frozen
class UnitPrice:
    """Money per unit of a quantity: 150元/平方米 (value in 元 per one 平方米)."""
    value: Decimal
    unit: str
    text: str
    span: Span | None = _span()


@attrs.frozen
class Percent:
    value: Decimal  # the fraction: 5% -> 0.05
    text: str
    span: Span | None = _span()


@attrs.frozen
class Number:
    value: Decimal
    text: str
    span: Span | None = _span()


@attrs.frozen
class Bool:
    value: bool
    span: Span | None = _span()


@attrs.frozen
class Binary:
    op: str  # + - × ÷
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@attrs.frozen
class Neg:
    operand: "Expr"
    span: Span | None = _span()


@attrs.frozen
class PrevYear:
    """上年 X: the value of a yearly series one year before the year being read."""
    operand: "Expr"
    span: Span | None = _span()


@attrs.frozen
class Floor:
    """取整 X: the whole part of X (for STEP: each further 0.1 counts once)."""
    operand: "Expr"
    span: Span | None = _span()


@attrs.frozen
class AssessedYear:
    """考核年度: the year an evaluation assesses (by default the year before the date)."""
    span: Span | None = _span()


@attrs.frozen
class Growth:
    """X 增速: (X of the year - X of the year before) / X of the year before."""
    operand: "Expr"
    span: Span | None = _span()


@attrs.frozen
class Compare:
    op: str  # the word as written: 超过, 不低于, 首次超过, 均超过, >=, …
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()
    # issue 13: 自 认定年度 起 第4年 is read as 考核年度 等于 认定年度 + 3; the year as the
    # drafter wrote it (第4年) is kept for printing. None for a comparison written as one.
    run_year: str | None = None


@attrs.frozen
class Member:
    subject: "Expr"
    options: tuple[Name, ...]
    negated: bool = False
    span: Span | None = _span()


@attrs.frozen
class RunOfYears:
    """连续N年 cond / 近N年 cond: cond holds in each of the last N years."""
    keyword: str  # 连续 | 近
    years: int
    years_text: str
    condition: "Expr"
    span: Span | None = _span()


@attrs.frozen
class And:
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()
    # issue 13: 自 认定年度 起 第4至5年 is read as 考核年度 不低于 认定年度 + 3 且 考核年度 不超过
    # 认定年度 + 4; the years as written (第4至5年) are kept for printing.
    run_year: str | None = None


@attrs.frozen
class Or:
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@attrs.frozen
class Not:
    operand: "Expr"
    span: Span | None = _span()


Expr = Union[Ref, Money, UnitPrice, Percent, Number, Bool, Binary, Neg, PrevYear, Growth, Compare,
             Member, RunOfYears, And, Or, Not, Floor, AssessedYear, "YearValue"]


# ---------------------------------------------------------------- literal values (examples)
@attrs.frozen
class DateValue:
    value: datetime.date
    text: str
    span: Span | None = _span()


@attrs.frozen
class YearValue:
    value: int
    span: Span | None = _span()


@attrs.frozen
class EnumValue:
    name: Name
    span: Span | None = _span()


@attrs.frozen
class SeriesValue:
    entries: tuple[tuple[int, "Literal"], ...]
    span: Span | None = _span()


@attrs.frozen
class ItemsValue:
    values: tuple["Literal", ...]
    span: Span | None = _span()


Literal = Union[Money, Percent, Number, Bool, DateValue, YearValue, EnumValue]
Value = Union[Literal, SeriesValue, ItemsValue]


# ---------------------------------------------------------------- declarations
@attrs.frozen
class FactType:
    base: str  # money | number | percent | bool | date | year | enum | text (标识: names a thing, for 每个)
    series: bool = False  # 逐年: a value per year
    items: bool = False   # 逐项: a list of values, one per item (e.g. per set of equipment)
    enum: Name | None = None
    span: Span | None = _span()


@attrs.frozen
class EnumDecl:
    name: Name
    values: tuple[Name, ...]
    span: Span | None = _span()


@attrs.frozen
class FactDecl:
    name: Name
    type: FactType
    note: str | None = None
    span: Span | None = _span()


@attrs.frozen
class MatterDecl:
    """A matter (事项) that clauses pay for; clauses naming one matter may overlap."""
    name: Name
    note: str | None = None
    span: Span | None = _span()


@attrs.frozen
class DefDecl:
    name: Name
    expr: Expr
    note: str | None = None
    span: Span | None = _span()


# ---------------------------------------------------------------- awards
@attrs.frozen
class Exact:
    amount: Expr
    span: Span | None = _span()


@attrs.frozen
class UpTo:
    ceiling: Expr
    span: Span | None = _span()
    # 一事一议 最高 X ("一事一议，补助比例最高不超过20%"): decided case by case, at most X. In
    # money it is 最高 X (a panel decides, up to X); the flag keeps the text's words for printing.
    case_by_case: bool = False


@attrs.frozen
class Range:
    low: Expr
    high: Expr
    span: Span | None = _span()
    # 投资额 × 5%-20%: the rate range as written ("5%-20%"); low and high are base × 5% and
    # base × 20%, so evaluation is that of any range. None for 低 至 高.
    rate: str | None = None


@attrs.frozen
class CaseByCase:
    span: Span | None = _span()


@attrs.frozen
class Unspecified:
    note: str | None = None
    span: Span | None = _span()
    # 地方财政贡献 × 一定比例 (issue 13): the text names the base and leaves the rate open
    base: "Expr | None" = None


@attrs.frozen
class LevelRow:
    level: Name
    amount: Expr
    span: Span | None = _span()


@attrs.frozen
class ByLevel:
    subject: Name
    rows: tuple[LevelRow, ...]
    span: Span | None = _span()


@attrs.frozen
class TierRow:
    threshold: Expr
    amount: Expr
    span: Span | None = _span()


@attrs.frozen
class ByTier:
    subject: Expr
    op: str
    rows: tuple[TierRow, ...]
    span: Span | None = _span()


@attrs.frozen
class PerItem:
    """每项 X [每项最高 C]: X for each item of a 逐项 fact, each capped at C, added up. Without
    每项最高 no item has a cap of its own (only the award's total cap, 最高, bounds it)."""
    amount: Expr
    item_cap: Expr | None
    span: Span | None = _span()


@attrs.frozen
class Routing:
    """由 "…" 审定: a non-money outcome, who decides. Issue 13: the other non-money outcomes
    (免收 "手续费", 优先保障 "用地指标", 列入 "…名单", 授予 "…称号") are the same form with their
    verb in `outcome`; `approver` then holds what is waived, secured, listed or conferred."""
    approver: str
    span: Span | None = _span()
    outcome: str = "审定"


# ---- issue 13: rates over a run of years
@attrs.frozen
class RunYearRow:
    """One row of 分年度: 前三年 / 后两年 (a span, following the row before) or 第4年 / 第4至5年;
    `first`..`last` are the years of the clause's 期限 it covers (the first year is 1)."""
    text: str  # as written, half-width digits kept (前三年, 第4至5年)
    first: int
    last: int
    amount: "Expr"
    span: Span | None = _span()


@attrs.frozen
class ByRunYear:
    """分年度 + rows: "前三年给予80%，后两年给予50%" — the year of the clause's 期限 (counted
    from its start fact) picks the row."""
    rows: tuple[RunYearRow, ...]
    span: Span | None = _span()


# ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
@attrs.frozen
class TableRow:
    """One row of a two-key table: the row fact's value, then one cell per column (None: 无,
    no award for that pair)."""
    level: Name
    cells: tuple[Expr | None, ...]
    span: Span | None = _span()


@attrs.frozen
class ByTable:
    """按 A、B 分别 / 列 c1、c2 / r1 → x、y: the cell at (A's value, B's value)."""
    row_fact: Name
    column_fact: Name
    columns: tuple[Name, ...]
    rows: tuple[TableRow, ...]
    span: Span | None = _span()


@attrs.frozen
class BandBound:
    """One bound of a band row: the comparison word as written (不低于, 超过, 不超过, 低于 …;
    500亩以上 is read as 不低于 500) and the value."""
    op: str
    value: Expr
    span: Span | None = _span()


@attrs.frozen
class BandRow:
    """A band with its own bounds (one or two), and its amount (a unit price with 全量计价)."""
    bounds: tuple[BandBound, ...]
    amount: Expr
    span: Span | None = _span()


@attrs.frozen
class ByBand:
    """按 X 分段 [全量计价]: the row whose bounds hold X pays; with 全量计价 its amount is a unit
    price applied to the whole of X (not marginal, not progressive)."""
    subject: Expr
    rows: tuple[BandRow, ...]
    whole_quantity: bool = False
    span: Span | None = _span()


@attrs.frozen
class EachTier:
    """按 X 首次超过 逐档: every tier X crosses for the first time pays (two crossed in one year:
    both), instead of the highest tier only (分档)."""
    subject: Expr
    op: str
    rows: tuple[TierRow, ...]
    span: Span | None = _span()


@attrs.frozen
class Upgrade:
    """按 新等级 自 原等级 晋级差额: the new level's amount less the held level's (a level with no
    row counts 0); no upgrade (the same or a lower level) pays nothing."""
    subject: Name
    held: Name
    rows: tuple[LevelRow, ...]
    span: Span | None = _span()


# ---- issue 13: floors (r14-caps)
@attrs.frozen
class AtLeast:
    """不低于 X ("给予不低于10%的资金支持"): at least X; the amount above it is set by review
    (no upper bound unless a 最高 cap follows)."""
    floor: Expr
    span: Span | None = _span()


AwardForm = Union[Exact, UpTo, Range, CaseByCase, Unspecified, ByLevel, ByTier, PerItem, Routing,
                  ByTable, ByBand, EachTier, Upgrade, ByRunYear, AtLeast]


@attrs.frozen
class Award:
    form: AwardForm
    cap: Expr | None = None
    span: Span | None = _span()


@attrs.frozen
class Duration:
    """MULTI-YEAR: paid each year, at most `years` years, optionally counted from a year fact."""
    years: int
    years_text: str
    start_fact: Name | None = None
    start_next_year: bool = False
    span: Span | None = _span()


@attrs.frozen
class Quota:
    """QUOTA, across applicants (see runtime.allocate_quota for the exact rule).

    名额 每年 10 家 [每个 X] [按 K 降序 | 择优] — a count per year, for each value of X;
    名额 比例 15% 基数 F [起点 200 人] [每个 X] [按 … | 择优] — a share of F, the number of
    nominees of the round that each applicant states (the threshold is read from F too).
    With no ranking the text leaves the choice to reviewers (择优 says so explicitly)."""
    per_year: int | None       # 名额 每年 10 家
    unit: str | None = None
    ranking: tuple[tuple[Name, bool], ...] = ()  # (fact, descending) keys that decide who is in
    share: "Percent | None" = None  # 名额 比例 1%: a share of the base
    threshold: int | None = None    # … 起点 200: only when the base is more than 200
    base: Name | None = None        # 基数 参评总人数: the fact giving the round's nominee count
    groups: tuple[Name, ...] = ()   # 每个 总部企业: one limit per value of these facts
    select: bool = False            # 择优: written explicitly: the reviewers choose
    span: Span | None = _span()


@attrs.frozen
class Modifier:
    """系数 1.5 作用于 事项: when this clause applies, awards for that matter are scaled."""
    factor: Decimal
    text: str
    matter: Name
    span: Span | None = _span()


# ---------------------------------------------------------------- examples
@attrs.frozen
class Expected:
    kind: str  # exact | up_to | range | case_by_case | unspecified | not_applicable | undecidable | routing | parts | at_least
    low: Literal | None = None
    high: Literal | None = None
    approver: str | None = None
    span: Span | None = _span()
    outcome: str = "审定"  # kind routing: the verb (审定, or an issue-13 outcome: 免收 优先保障 列入 授予)


@attrs.frozen
class Case:
    title: str | None
    facts: tuple[tuple[Name, Value], ...]
    on: DateValue | None
    expected: Expected | None
    span: Span | None = _span()
    # 评估日 or 预期 written more than once (name, span of the later one): reported as E019.
    repeated: tuple[tuple[str, Span | None], ...] = attrs.field(default=(), eq=False, repr=False)


# ---- issue 13: payments in parts
@attrs.frozen
class Part:
    """其中 50% [第2年] [待 达产升规]: a share of the clause's award, paid now, in year N of
    payment (第1年 is now), or once the condition holds."""
    share: Percent
    year: int | None = None
    year_text: str | None = None
    condition: "Expr | None" = None
    span: Span | None = _span()


# ---------------------------------------------------------------- clauses and policies
@attrs.frozen
class Clause:
    article: str           # 第七条
    article_number: int    # 7
    item: int | None       # 第2项 -> 2
    title: str | None
    source_text: str | None = None
    source_span: Span | None = _span()  # where the 原文 string is written (for the source checks)
    recipient: str | None = None  # 对象: who is paid (楼宇运管企业, 申报主体, …)
    units: tuple[Name, ...] = ()
    matter: Name | None = None
    matter_by: Name | None = None  # 事项 按 X: the matter is the value of the enumeration fact X
    conditions: tuple[Expr, ...] = ()
    award: Award | None = None
    duration: Duration | None = None
    once: bool = False
    uncapped: bool = False  # 不设上限: the text sets no upper bound, and the drafter says so
    quota: Quota | None = None
    modifier: Modifier | None = None
    notes: tuple[str, ...] = ()
    text_only: bool = False
    cases: tuple[Case, ...] = ()
    span: Span | None = _span()
    # Single fields written more than once (name, span of the later one): reported as E019.
    repeated: tuple[tuple[str, Span | None], ...] = attrs.field(default=(), eq=False, repr=False)
    # 条款 "二、（一）1.（1）": the text numbers its provisions in levels, not 第N条; article holds
    # the numbering exactly as written (full-width brackets kept) and item is None.
    numbered_as_written: bool = False
    numbering_span: Span | None = _span()  # where that numbering string is written (for E200)
    # issue 13: 其中 P [第N年] [待 条件] — the award paid in parts (in the order written)
    parts: tuple["Part", ...] = ()
    # issue 13: 抵扣 X、Y — the award is reduced by what is paid for matter X (or by fact X)
    offsets: tuple[Name, ...] = ()

    @property
    def label(self) -> str:
        """The clause's name in results, summaries and diagnostics: 第七条, 第十二条第2项, or the
        numbering as written (二、（一）1.（1）). Every output takes it from here."""
        return self.article + (f"第{self.item}项" if self.item is not None else "")

    def under(self, reference: str) -> bool:
        """Whether an article reference (除外 第十二条, 除外 第十二条 第2项, 除外 "二、（一）") names
        this clause: the same article or item, or for a numbering as written, the clause itself or a level above it
        (二、（一） covers 二、（一）1.（1）). Full-width and half-width brackets are one."""
        if not self.numbered_as_written:
            return reference in (self.article, self.label)  # 第十二条 (every item), 第十二条第2项 (one)
        own, wanted = numbering_key(self.article), numbering_key(reference)
        # a level boundary: "二、1" names 二、1.（1）, not 二、12.
        return own == wanted or (own.startswith(wanted) and not (wanted[-1].isdigit() and own[len(wanted)].isdigit()))


def numbering_key(numbering: str) -> str:
    """A numbering compared whatever width its brackets and stops are written in."""
    return normalise(numbering).replace(" ", "")


_CN_NUMERAL = "一二三四五六七八九十百零〇两"
# One level of a numbering as the gazettes write it (after full-width forms are made
# half-width): 第三章 第十二条 第二款 第3项 | 二、 | (一) | 1. 1、 1.2 | (1) | ①.
# Each level is told from the next by its own closing mark, so a string can be read only one
# way and a failed match costs linear time (a nested 1.2.3 quantifier backtracked exponentially);
# only the last level may be a bare number (3.2.1, or 二、1 in a reference).
_NUMBERING_LEVEL = (rf"第[{_CN_NUMERAL}0-9]+[编章节条款项目]|[{_CN_NUMERAL}]+、|\([{_CN_NUMERAL}]+\)"
                    r"|[0-9]+[.、]|\([0-9]+\)|[\u2460-\u2473]")
NUMBERING = re.compile(rf"(?:{_NUMBERING_LEVEL})*[0-9]*")
MAX_NUMBERING_CHARS = 40  # the deepest real numbering (第三章第十二条第二款第（三）项) is far shorter


def is_numbering(text: str) -> bool:
    """Whether text is a provision's numbering (二、（一）1.（1）), as 条款 "…" and 除外 "…" take."""
    key = numbering_key(text)
    return 0 < len(key) <= MAX_NUMBERING_CHARS and NUMBERING.fullmatch(key) is not None


@attrs.frozen
class CoFunding:
    payer: Name
    minimum_share: Percent
    except_articles: tuple[Name, ...] = ()
    span: Span | None = _span()


@attrs.frozen
class Split:
    """分担 市级财政 50%、区级财政 50%: how each award is shared between payers."""
    shares: tuple[tuple[Name, Percent], ...]
    except_articles: tuple[Name, ...] = ()
    span: Span | None = _span()
    # Issue 13, payers by condition ("乡镇招商的项目由各乡镇参照执行"): 分担 … 当 条件 — the rule
    # holds for the applicants (projects) the condition holds for; a clause takes the first rule
    # that does not except it and whose condition holds.
    condition: "Expr | None" = None


@attrs.frozen
class Budget:
    """预算 市级财政 每年 600万元: what one payer sets aside for the programme each year."""
    payer: Name
    amount: Money
    ranking: tuple[tuple[Name, bool], ...] = ()  # the order in which awards are funded
    select: bool = False  # 择优: no order; over budget, the reviewers choose
    span: Span | None = _span()
    # 按比例核减 / 按比例分配 as written: over budget, every award is scaled by budget ÷ wanted.
    prorate: str | None = None


@attrs.frozen
class FundMinimum:
    """资金 专项资金 每年 不少于 2000万元 ("专项资金每年不少于2000万元"): what a fund is to hold
    each year, at least — a statement about the fund, not a cap on any applicant."""
    fund: Name
    amount: Money
    span: Span | None = _span()


@attrs.frozen
class Transitional:
    """过渡 "…" [考核年度 早于 2020年 依照 文号]: earlier years follow the old policy."""
    text: str
    before_year: int | None = None
    governed_by: str | None = None
    span: Span | None = _span()


@attrs.frozen
class SourceDocument:
    """来源 "sources/jzf-2020-06.md": the published text the policy encodes, relative to the file."""
    path: str
    span: Span | None = _span()


@attrs.frozen
class NotEncoded:
    """不编码 "…" 说明 "…": a sentence of the source that pays or limits something and is
    deliberately not encoded, with the reason (so the source check does not list it)."""
    text: str
    reason: str
    span: Span | None = _span()


# ---- issue 13: caps per enterprise (r14-caps)
@attrs.frozen
class EnterpriseCap:
    """企业上限 每年 20万元 ("每个企业最高奖补不超过20万元"): what one applicant is paid in one
    year by every clause of the policy together, at most `amount`; 企业上限 累计 100万元 已获 F
    ("累计最高…"): across years, so this year at most `amount` less the applicant's fact F (what
    it already received in earlier years, stated by the applicant, never assumed)."""
    amount: Money
    cumulative: bool = False
    received: Name | None = None
    span: Span | None = _span()


@attrs.frozen
class Vocabulary:
    """Declarations shared by several policies (引用 "vocabulary.pol")."""
    name: str
    path: str
    enums: tuple[EnumDecl, ...] = ()
    facts: tuple[FactDecl, ...] = ()
    defs: tuple[DefDecl, ...] = ()
    matters: tuple[MatterDecl, ...] = ()
    span: Span | None = _span()


# The brackets a document number's year may be written in, each mapped to the gazette's 〔〕.
_DOCNO_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "(": "〔", ")": "〕", "［": "〔", "］": "〕",
                                 "（": "〔", "）": "〕"})


def document_key(docno: str) -> str:
    """The identity of a document number, whatever brackets its year is written in:
    嘉政发[2020]6号, 嘉政发（2020）6号 and 嘉政发〔2020〕6号 name one document. Results and
    summaries show the number as written; comparisons (the same number in two files,
    references) use this key."""
    return docno.translate(_DOCNO_BRACKETS)


@attrs.frozen
class Policy:
    docno: str  # as written (嘉政发〔2020〕6号, 浙经信[2021]12号), or the short name of a 无文号 policy
    path: str
    title: str | None = None
    issuer: str | None = None
    issued: DateValue | None = None
    effective_from: DateValue | None = None
    effective_until: DateValue | None = None
    repeals: tuple[str, ...] = ()
    scope: str | None = None
    principle: str | None = None
    cofunding: tuple[CoFunding, ...] = ()
    splits: tuple[Split, ...] = ()
    budgets: tuple[Budget, ...] = ()
    transitional: tuple[Transitional, ...] = ()
    imports: tuple[str, ...] = ()
    import_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)  # one per 引用 line
    assessed_year: str = "上一年"
    notes: tuple[str, ...] = ()
    source_document: SourceDocument | None = None
    not_encoded: tuple[NotEncoded, ...] = ()
    enums: tuple[EnumDecl, ...] = ()
    facts: tuple[FactDecl, ...] = ()
    defs: tuple[DefDecl, ...] = ()
    matters: tuple[MatterDecl, ...] = ()
    clauses: tuple[Clause, ...] = ()
    # The imported vocabulary, merged; filled in by the driver, not by the parser.
    vocabulary: Vocabulary | None = attrs.field(default=None, eq=False, repr=False)
    span: Span | None = _span()
    # Header fields written more than once (name, span of the later one): reported as E019.
    repeated: tuple[tuple[str, Span | None], ...] = attrs.field(default=(), eq=False, repr=False)
    # 政策 无文号 「简称」: published without a document number; docno holds the short name.
    numbered: bool = True
    fund_minimums: tuple["FundMinimum", ...] = ()  # issue 13: 资金 X 每年 不少于 A
    # 企业上限: caps on the sum of every clause's award for one applicant (issue 13, r14-caps)
    enterprise_caps: tuple[EnterpriseCap, ...] = ()

    @property
    def key(self) -> str:
        """The policy's identity for comparisons (see document_key)."""
        return document_key(self.docno)
