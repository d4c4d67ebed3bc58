"""The SQL backend: every policy decided per applicant, as one query over a register.

    model (PolicyModel …) ──to_sql──▶ sqlglot expression tree ──▶ DuckDB SQL (or another dialect)

`applicant_clauses(policies, register, on, years=…)` builds a query over the table or view
named `register` (laid out as CONTRACTS.md §4 says: `_line`, `申请人`, one column per fact,
`名.2019` columns for a 逐年 fact, a list for a 逐项 fact) that gives one row per register row
and evaluated clause, with everything the Python runtime decides for one applicant decided
the same way in SQL (CONTRACTS.md §2 lists the columns). The runtime (compiler/runtime.py)
and the reference interpreter are the specification; tests/test_sql_clauses.py checks the
two agree, row by row and clause by clause.

How the runtime's meaning carries over:
- three-valued conditions are SQL's own: NULL is "cannot decide", and SQL's AND, OR and NOT
  are Kleene's (false wins over unknown in 且, true in 或), as runtime.kleene_and/or/not;
- numbers are DECIMAL, never floating point: every constant goes in as a DECIMAL of its own
  scale and the register's numbers are DECIMAL(38,6), so + - × are exact (DuckDB multiplies
  at the sum of the operands' scales, and refuses rather than rounds when that overflows).
  DuckDB divides DECIMALs in DOUBLE, so the SQL never divides: a quotient (÷, 增速) is kept as
  a fraction `num / den` and compared by cross-multiplying, floored (取整) and rounded to
  cents with integer division (HUGEINT) — exact. Python's Decimal divides to 28 significant
  digits; a quotient of two register values (below 10^15, six decimals) that is not exactly
  a threshold or a half cent differs from it by more than that rounding, so both give the
  same answer. Multiplying out adds up digits: a formula of several quotients over very
  large values can pass DECIMAL(38), and DuckDB then stops with an overflow error;
- money is rounded once, to 0.01 元, half up, where runtime.exact / up_to / between round it:
  after the modifier's coefficient, the floor at zero and the cap (DuckDB's ROUND of a
  DECIMAL rounds half away from zero, which is ROUND_HALF_UP for the amounts, never below 0);
- first-time crossings, runs of years, 上年 and 增速 read the year columns `名.年份` that the
  register has (`years`); a year with no column is unknown, as a year missing from a series;
- whether a policy is in force on the date (施行/失效, 过渡) and the assessed year are known
  when the query is built, so they are constants in it;
- 系数 … 作用于 事项 (modifiers, across all policies given): the highest coefficient whose
  clause applies, worked out in each clause of that matter from the applicant's row;
  就高不重复 across policies and offsets (抵扣, runtime.apply_offsets, every source read
  before any offset is applied) are expressions over the other clauses' columns of the
  applicant's one wide row (see applicant_clauses: no window); co-funding parts are rounded
  half up from the reduced amounts, the last payer taking the remainder.

Nothing from a policy or a register becomes SQL text except through sqlglot: names become
quoted identifiers, labels, 文号 and enumeration values string literals, numbers DECIMAL
literals made from Decimals.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import functools
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Iterable, Mapping, Sequence, assert_never

import attrs
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel
from sqlglot.errors import SqlglotError as SqlglotError  # sql_batch catches it as to_sql.SqlglotError

from . import model
from .model import Base

CENT = Decimal("0.01")
FACT_DECIMAL = "DECIMAL(38,6)"   # the register's numbers (CONTRACTS.md §4)
MONEY_OUT = "DECIMAL(38,2)"      # amounts in results: 元 with two places
DIALECT = "duckdb"               # the one dialect the tests run; sqlglot can write others
_ITEM = "_polc_item"             # the lambda variable for one item of a 逐项 fact
_HELPER = "_polc_"               # prefix of the query's own columns (never a fact's name)
_FEW_CARRIED = 4                 # clauses whose own value is carried beside the unnested lists (per_row)
_NUMERIC = (Base.MONEY, Base.NUMBER, Base.PERCENT, Base.UNIT_PRICE, Base.YEAR)


class SqlUnsupported(ValueError):
    """A construct the SQL backend cannot express exactly (said, never approximated)."""


# ---------------------------------------------------------------- small sqlglot helpers
def _ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=_ident(name), table=_ident(table) if table else None)


def _str(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _int(value: int) -> exp.Expr:
    literal = exp.Literal.number(str(abs(value)))
    return exp.Neg(this=literal) if value < 0 else literal


@functools.lru_cache(maxsize=None)
def _parsed_type(text: str) -> exp.DataType:
    return exp.DataType.build(text, dialect=DIALECT)


def _type(text: str) -> exp.DataType:
    return _parsed_type(text).copy()  # parsing a type name is slow; a copy of a parsed one is not


def _cast(node: exp.Expr, to: str) -> exp.Expr:
    return exp.Cast(this=node, to=_type(to))


def _p(node: exp.Expr) -> exp.Expr:
    """node, parenthesised unless it is atomic: the tree is built, never parsed, so
    precedence must be explicit. (sqlglot's And and Or are also Funcs: test the operator
    classes, not the atomic ones.)"""
    if isinstance(node, exp.Paren):
        return node
    if isinstance(node, (exp.Binary, exp.Unary, exp.Connector, exp.In, exp.Between)):
        return exp.Paren(this=node)
    return node


def _columns(*columns: exp.Expr) -> exp.Select:
    """SELECT columns, built directly: sqlglot's builders copy their arguments unless told
    not to (copy=False below), which costs seconds on a query of every clause."""
    return exp.Select(expressions=list(columns))


def _constant_truth(node: exp.Expr) -> bool | None:
    """True or False when node is that whatever the row (TRUE, FALSE, NOT of one), else None."""
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Boolean):
        return not node.this.this
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    return None


def _and(*parts: exp.Expr) -> exp.Expr:
    """Kleene's and; constant parts are decided when the query is built (TRUE AND x is x,
    FALSE AND x is FALSE even when x is unknown), so DuckDB neither parses nor folds them."""
    return _connective(parts, exp.And, absorbing=False)


def _or(*parts: exp.Expr) -> exp.Expr:
    """Kleene's or; constant parts decided when the query is built (FALSE OR x is x, TRUE OR x
    is TRUE even when x is unknown)."""
    return _connective(parts, exp.Or, absorbing=True)


def _connective(parts, node_class, absorbing: bool) -> exp.Expr:
    """parts joined by node_class (AND or OR), left to right: a constant part equal to
    `absorbing` decides the whole, one equal to its opposite is left out."""
    kept = []
    for part in parts:
        truth = _constant_truth(part)
        if truth is absorbing:
            return exp.Boolean(this=absorbing)
        if truth is None:
            kept.append(part)
    if not kept:
        return exp.Boolean(this=not absorbing)
    result = kept[0]
    for part in kept[1:]:
        result = node_class(this=_p(result), expression=_p(part))
    return result


def _folded_case(ifs: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None) -> exp.Expr:
    """CASE WHEN … with the conditions known when the query is built decided: a WHEN that is
    FALSE is left out, one that is TRUE ends the CASE with its value (the value alone when it
    comes first)."""
    kept: list[tuple[exp.Expr, exp.Expr]] = []
    for condition, value in ifs:
        truth = _constant_truth(condition)
        if truth is False:
            continue
        if truth is True:
            default = value
            break
        kept.append((condition, value))
    if not kept:
        return default if default is not None else exp.Null()
    return _case(kept, default)


def _folded_not_paid(paid: exp.Expr, applies: exp.Expr) -> exp.Expr:
    """NOT paid, for a clause that applies: FALSE when paid is `applies IS TRUE` itself (a
    clause no other clause can take the place of under 就高不重复)."""
    if (isinstance(paid, exp.Is) and paid.this == applies and isinstance(paid.expression, exp.Boolean)
            and paid.expression.this):
        return exp.Boolean(this=False)
    truth = _constant_truth(paid)
    return exp.Boolean(this=not truth) if truth is not None else _not(paid.copy())


def _not(node: exp.Expr) -> exp.Expr:
    return exp.Not(this=_p(node))


def _is(node: exp.Expr, value: bool | None) -> exp.Expr:
    """node IS TRUE / IS FALSE / IS NULL: a test that is itself never unknown."""
    truth = _constant_truth(node)
    if truth is not None:
        return exp.Boolean(this=truth is value)
    target = exp.Null() if value is None else exp.Boolean(this=value)
    return exp.Is(this=_p(node), expression=target)


def _case(ifs: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None,
          subject: exp.Expr | None = None) -> exp.Expr:
    return exp.Case(this=subject, ifs=[exp.If(this=cond, true=value) for cond, value in ifs], default=default)


def _null(to: str | None = None) -> exp.Expr:
    return _cast(exp.Null(), to) if to else exp.Null()


_COMPARE = {model.CompareOp.GT: exp.GT, model.CompareOp.GE: exp.GTE, model.CompareOp.LT: exp.LT,
            model.CompareOp.LE: exp.LTE, model.CompareOp.EQ: exp.EQ}


def _compare(op: model.CompareOp, left: exp.Expr, right: exp.Expr) -> exp.Expr:
    return _COMPARE[op](this=_p(left), expression=_p(right))


def _decimal_literal(value: Decimal) -> tuple[exp.Expr, int]:
    """A Decimal as a SQL number of its own scale (no digit is lost or invented): a plain
    literal (DuckDB types 0.05 as DECIMAL(3,2), never DOUBLE), or a CAST to DECIMAL(38,s)
    when it is too long for that."""
    if not value.is_finite():
        raise SqlUnsupported(f"not a finite number: {value}")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    scale = max(0, -exponent)
    text = format(abs(value), "f")
    digits = len(text.replace(".", "").lstrip("0")) or 1
    if max(digits, scale + 1) > 38:
        raise SqlUnsupported(f"more than 38 digits: {value}")
    node: exp.Expr = exp.Literal.number(text)
    if len(text.replace(".", "")) > 18:
        node = _cast(node, f"DECIMAL(38,{scale})")
    return (exp.Neg(this=node) if value < 0 else node), scale


# ---------------------------------------------------------------- exact numbers
@attrs.frozen
class Num:
    """A number in SQL: `num / den`, each a DECIMAL of a known scale (den None: the number is
    `num` itself). A fraction stands for a quotient, which SQL cannot hold exactly; `den` is
    never 0 where num is known (a division by 0 makes num NULL, as runtime.div gives None)."""
    num: exp.Expr
    scale: int
    den: exp.Expr | None = None
    den_scale: int = 0
    const: Decimal | None = None  # the value, when it is a constant (folded as the runtime would compute it)

    @property
    def plain(self) -> bool:
        return self.den is None


def _const(value: Decimal | int) -> Num:
    node, scale = _decimal_literal(Decimal(value))
    return Num(node, scale, const=Decimal(value))




def _check_scale(scale: int) -> int:
    if scale > 38:
        raise SqlUnsupported(f"a product needs {scale} decimal places (DECIMAL holds 38)")
    return scale


def _mul_plain(a: exp.Expr, sa: int, b: exp.Expr, sb: int) -> tuple[exp.Expr, int]:
    return exp.Mul(this=_p(a), expression=_p(b)), _check_scale(sa + sb)


def num_add(a: Num, b: Num, subtract: bool = False) -> Num:
    if a.const is not None and b.const is not None:
        return _const(a.const - b.const if subtract else a.const + b.const)
    node = exp.Sub if subtract else exp.Add
    if a.plain and b.plain:
        return Num(node(this=_p(a.num), expression=_p(b.num)), max(a.scale, b.scale))
    ad, ads = (a.den, a.den_scale) if a.den is not None else (_const(1).num, 0)
    bd, bds = (b.den, b.den_scale) if b.den is not None else (_const(1).num, 0)
    left, ls = _mul_plain(a.num, a.scale, bd, bds)
    right, rs = _mul_plain(b.num, b.scale, ad, ads)
    den, ds = _mul_plain(ad, ads, bd, bds)
    return Num(node(this=_p(left), expression=_p(right)), max(ls, rs), den, ds)


def num_mul(a: Num, b: Num) -> Num:
    if a.const is not None and b.const is not None:
        return _const(a.const * b.const)
    num, scale = _mul_plain(a.num, a.scale, b.num, b.scale)
    if a.plain and b.plain:
        return Num(num, scale)
    if a.den is not None and b.den is not None:
        den, ds = _mul_plain(a.den, a.den_scale, b.den, b.den_scale)
    elif a.den is not None:
        den, ds = a.den, a.den_scale
    else:
        assert b.den is not None
        den, ds = b.den, b.den_scale
    return Num(num, scale, den, ds)


def num_div(a: Num, b: Num) -> Num:
    """a ÷ b as a fraction; unknown when b is 0 (runtime.div)."""
    ad, ads = (a.den, a.den_scale) if a.den is not None else (_const(1).num, 0)
    bd, bds = (b.den, b.den_scale) if b.den is not None else (_const(1).num, 0)
    num, scale = _mul_plain(a.num, a.scale, bd, bds)
    den, ds = _mul_plain(ad, ads, b.num, b.scale)
    guarded = _case([(_compare(model.CompareOp.EQ, b.num, _const(0).num), _null())], num)
    return Num(guarded, scale, den, ds)


def num_neg(a: Num) -> Num:
    if a.const is not None:
        return _const(-a.const)
    return Num(exp.Neg(this=_p(a.num)), a.scale, a.den, a.den_scale)


def num_compare(op: model.CompareOp, a: Num, b: Num) -> exp.Expr:
    """a op b, exactly: fractions are compared by cross-multiplying with |den| (> 0)."""
    if a.plain and b.plain:
        return _compare(op, a.num, b.num)
    left, right = a.num, b.num
    if a.den is not None:  # a/d op b  <=>  a·sign(d) op b·|d|
        left = exp.Mul(this=_p(left), expression=exp.Sign(this=a.den))
        right = exp.Mul(this=_p(right), expression=exp.Abs(this=a.den))
    if b.den is not None:
        left = exp.Mul(this=_p(left), expression=exp.Abs(this=b.den))
        right = exp.Mul(this=_p(right), expression=exp.Sign(this=b.den))
    return _compare(op, left, right)


def num_case(condition: exp.Expr, then: Num, otherwise: Num) -> Num:
    """CASE WHEN condition THEN then ELSE otherwise END, for numbers that may be fractions."""
    num = _case([(condition, then.num)], otherwise.num)
    if then.plain and otherwise.plain:
        return Num(num, max(then.scale, otherwise.scale))
    td = then.den if then.den is not None else _const(1).num
    od = otherwise.den if otherwise.den is not None else _const(1).num
    return Num(num, max(then.scale, otherwise.scale), _case([(condition, td)], od), max(then.den_scale, otherwise.den_scale))


def _unscaled(node: exp.Expr, scale: int, to: int) -> exp.Expr:
    """A DECIMAL of `scale` places times 10^to, as a HUGEINT (exact: to >= scale)."""
    power = _cast(exp.Literal.number(str(10 ** to)), "DECIMAL(38,0)")
    return _cast(exp.Mul(this=_cast(node, f"DECIMAL(38,{scale})"), expression=power), "HUGEINT")


def _integer_pair(a: Num) -> tuple[exp.Expr, exp.Expr]:
    """num and den of a fraction as HUGEINTs of one common scale."""
    assert a.den is not None
    common = max(a.scale, a.den_scale)
    return _unscaled(a.num, a.scale, common), _unscaled(a.den, a.den_scale, common)


def _floor_div(n: exp.Expr, d: exp.Expr) -> exp.Expr:
    """floor(n / d) for HUGEINTs (SQL's integer division truncates toward zero)."""
    truncated = exp.IntDiv(this=_p(n), expression=_p(d))
    inexact = exp.NEQ(this=exp.Mod(this=_p(n), expression=_p(d)), expression=_int(0))
    signs_differ = exp.NEQ(this=exp.Paren(this=exp.LT(this=_p(n), expression=_int(0))),
                           expression=exp.Paren(this=exp.LT(this=_p(d), expression=_int(0))))
    return _case([(_and(inexact, signs_differ), exp.Sub(this=truncated, expression=_int(1)))], truncated)


def num_floor(a: Num) -> Num:
    """取整: the whole part, rounded down (runtime.floor)."""
    if a.plain:
        return Num(exp.Floor(this=a.num), 0)
    n, d = _integer_pair(a)
    return Num(_cast(_floor_div(n, d), "DECIMAL(38,0)"), 0)


def num_cents(a: Num) -> exp.Expr:
    """The amount rounded to 0.01 元, half up (ROUND_HALF_UP: halves away from zero), as
    DECIMAL(38,2): runtime._rounded. A constant is rounded here, as the runtime rounds it."""
    if a.const is not None:
        with contextlib.suppress(decimal.InvalidOperation):  # too many digits for Decimal: DuckDB rounds it
            return _cast(_decimal_literal(a.const.quantize(CENT, ROUND_HALF_UP))[0], MONEY_OUT)
    if a.plain:
        return _cast(exp.Round(this=a.num, decimals=_int(2)), MONEY_OUT)
    n, d = _integer_pair(a)
    twice = exp.Mul(this=exp.Abs(this=d), expression=_int(2))
    # round(|n|/|d| × 100) half up = floor((200|n| + |d|) / 2|d|); then the sign back.
    cents = exp.IntDiv(this=exp.Paren(this=exp.Add(this=exp.Mul(this=exp.Abs(this=n), expression=_int(200)),
                                                     expression=exp.Abs(this=d))),
                       expression=exp.Paren(this=twice))
    signed = exp.Mul(this=exp.Mul(this=_p(cents), expression=exp.Sign(this=n)), expression=exp.Sign(this=d))
    hundredth, _scale = _decimal_literal(CENT)
    return _cast(exp.Mul(this=_cast(signed, "DECIMAL(38,0)"), expression=hundredth), MONEY_OUT)


def _nonnegative(a: Num) -> Num:
    """runtime._non_negative: below zero counts as 0."""
    if a.const is not None:
        return _const(0) if a.const < 0 else a
    return num_case(num_compare(model.CompareOp.LT, a, _const(0)), _const(0), a)


def _capped(a: Num, cap: Num | None) -> Num:
    """runtime._apply_cap: the cap when the amount is over it."""
    if cap is None:
        return a
    if a.const is not None and cap.const is not None:
        return cap if a.const > cap.const else a
    return num_case(num_compare(model.CompareOp.GT, a, cap), cap, a)


def _bounded(a: Num, cap: Num | None) -> Num:
    """_capped(_nonnegative(a), cap) (runtime._bounded_amount: below zero counts as 0, then the
    cap). With a stated cap of at least 0 and an amount that is no fraction, as one CASE that
    tests the amount against 0 once: `CASE WHEN a < 0 THEN 0 WHEN a > cap THEN cap ELSE a END`
    gives the same for every a (below 0: 0, which is not over the cap; unknown: unknown)."""
    if cap is None or a.const is not None or cap.const is None or cap.const < 0 or not a.plain:
        return _capped(_nonnegative(a), cap)
    zero = _const(0)
    return Num(_case([(_compare(model.CompareOp.LT, a.num, zero.num), zero.num),
                      (_compare(model.CompareOp.GT, a.num.copy(), cap.num), cap.num.copy())], a.num.copy()),
               max(a.scale, cap.scale, zero.scale))


def _is_null(a: Num) -> exp.Expr:
    if a.const is not None:
        return exp.Boolean(this=False)  # a constant is known
    return _is(a.num, None)


# ---------------------------------------------------------------- one policy's expressions
@attrs.frozen
class AwardSql:
    """What an award form gives for an applicant whose conditions hold.

    known: TRUE an award, FALSE nothing (no tier met, a level with no row: not applicable),
    NULL unknown (a fact it needs is missing); low/high the amounts (DECIMAL(38,2)) or None
    for the forms with no amount; kind the contract's word."""
    kind: str
    known: exp.Expr
    low: exp.Expr | None
    high: exp.Expr | None


class _PolicySql:
    """Expressions of one policy for one register row: the assessed year is a constant."""

    def __init__(self, policy: model.PolicyModel, year: int, years: Mapping[str, Sequence[int]],
                 factor: Callable[[str], exp.Expr | None]):
        self.policy = policy
        self.year = year
        self.years = years
        self.factor = factor  # a matter's modifier coefficient for the applicant (NULL: none applies)
        self.item: tuple[str, exp.Expr] | None = None  # inside 每项: the 逐项 fact and its lambda variable
        # Values read from the applicant's row that an award uses more than once (an amount is
        # floored, capped and rounded, a tier's test decides both whether and how much): each
        # is computed once, as a column of an inner SELECT, and the outer one refers to it.
        self.bound: list[tuple[str, exp.Expr]] = []
        self.prefix = _HELPER  # of the bound columns' names: each clause has its own in the wide row
        self.read: set[str] = set()  # the register's columns the expressions read

    def column(self, name: str) -> exp.Column:
        """A column of the register (a fact, or a fact's year), noted as read."""
        self.read.add(name)
        return _col(name)

    def bind(self, node: exp.Expr) -> exp.Expr:
        """node computed once in the clause's inner SELECT; a reference to it for the outer."""
        if isinstance(node, exp.Literal):
            return node
        name = f"{self.prefix}v{len(self.bound) + 1}"
        self.bound.append((name, node))
        return _col(name)

    def bind_num(self, value: Num) -> Num:
        if value.const is not None:
            return value
        den = self.bind(value.den) if value.den is not None else None
        return Num(self.bind(value.num), value.scale, den, value.den_scale)

    # -- facts
    def at(self, fact: model.Fact, offset: int) -> exp.Expr:
        """A 逐年 fact in the year `offset` years before the assessed year (unknown when the
        register has no column for that year)."""
        year = self.year - offset
        if year not in self.years.get(fact.name, ()):
            return _null(self._sql_type(fact.type))
        return self.column(f"{fact.name}.{year}")

    def _sql_type(self, t: model.Type) -> str:
        return {Base.BOOL: "BOOLEAN", Base.YEAR: "INTEGER", Base.DATE: "DATE", Base.ENUM: "VARCHAR",
                Base.TEXT: "VARCHAR"}.get(t.base, FACT_DECIMAL)

    def fact(self, fact: model.Fact, offset: int) -> exp.Expr:
        if self.item is not None and self.item[0] == fact.name:
            return self.item[1]
        if fact.type.series:
            return self.at(fact, offset)
        return self.column(fact.name)

    @staticmethod
    def _as_num(node: exp.Expr, t: model.Type) -> Num:
        """A fact's column as a number: the register holds DECIMAL(38,6), years INTEGER."""
        return Num(node, 0 if t.base is Base.YEAR else 6)

    # -- values
    def number(self, node: model.Expr, offset: int) -> Num:
        """A numeric expression (money, number, percent, unit price, year) as an exact Num."""
        match node:
            case model.Constant(value=value):
                return _const(value)
            case model.YearConstant(value=value):
                return _const(value)
            case model.AssessedYear():
                return _const(self.year - offset)
            case model.FactRef(fact=fact):
                return self._as_num(self.fact(fact, offset), fact.type)
            case model.DefRef(name=name):
                return self.number(self.policy.definitions[name].expr, offset)
            case model.PrevYear(fact=fact):
                return self._as_num(self.at(fact, offset + 1), fact.type)
            case model.Growth(fact=fact):
                current = self._as_num(self.at(fact, offset), fact.type)
                previous = self._as_num(self.at(fact, offset + 1), fact.type)
                # (current − previous) / previous; unknown when the previous year is 0 (runtime.Run.growth)
                change = num_add(current, previous, subtract=True)
                guarded = _case([(_compare(model.CompareOp.EQ, previous.num, _const(0).num), _null())], change.num)
                return Num(guarded, change.scale, previous.num, previous.scale)
            case model.Floor(operand=operand):
                return num_floor(self.number(operand, offset))
            case model.Neg(operand=operand):
                return num_neg(self.number(operand, offset))
            case model.Arith(op=op, left=left, right=right):
                a, b = self.number(left, offset), self.number(right, offset)
                match op:
                    case model.ArithOp.ADD:
                        return num_add(a, b)
                    case model.ArithOp.SUB:
                        return num_add(a, b, subtract=True)
                    case model.ArithOp.MUL:
                        return num_mul(a, b)
                    case model.ArithOp.DIV:
                        return num_div(a, b)
                    case _:
                        assert_never(op)
            case _:
                raise SqlUnsupported(f"not a number: {node.text}")

    def scalar(self, node: model.Expr, offset: int) -> exp.Expr:
        """A value that is not computed with: an enumeration value, text, a date, a bool."""
        match node:
            case model.EnumValue(value=value):
                return _str(value)
            case model.BoolConstant(value=value):
                return exp.Boolean(this=value)
            case model.FactRef(fact=fact):
                return self.fact(fact, offset)
            case model.PrevYear(fact=fact):
                return self.at(fact, offset + 1)
            case model.DefRef(name=name):
                return self.scalar(self.policy.definitions[name].expr, offset)
            case _:
                return self.condition(node, offset)

    def _order_index(self, node: model.Expr, order: tuple[str, ...], offset: int) -> exp.Expr:
        """An enumeration value's position in its declared order (runtime.Run.compare_ordered)."""
        if isinstance(node, model.EnumValue):
            if node.value not in order:
                raise SqlUnsupported(f"{node.value} is not a value of the enumeration compared")
            return _int(order.index(node.value))
        subject = self.scalar(node, offset)
        return _case([(_str(value), _int(index)) for index, value in enumerate(order)], subject=subject)

    @staticmethod
    def _is_numeric(node: model.Expr) -> bool:
        if isinstance(node, (model.Constant, model.YearConstant, model.AssessedYear)):
            return True
        t = getattr(node, "type", None)
        return t is not None and t.base in _NUMERIC

    # -- conditions (three-valued: NULL = cannot decide)
    def condition(self, node: model.Expr, offset: int) -> exp.Expr:
        match node:
            case model.And(left=left, right=right):
                return _and(self.condition(left, offset), self.condition(right, offset))
            case model.Or(left=left, right=right):
                return _or(self.condition(left, offset), self.condition(right, offset))
            case model.Not(operand=operand):
                return _not(self.condition(operand, offset))
            case model.RunOfYears(years=years, condition=inner):
                # each of the last N years (runtime.Run.run_of_years: Kleene and of them all)
                return _and(*(self.condition(inner, offset + k) for k in range(years)))
            case model.Member(subject=subject, options=options, negated=negated):
                test = exp.In(this=_p(self.scalar(subject, offset)), expressions=[_str(o) for o in options])
                return _not(test) if negated else test
            case model.Compare():
                return self.compare(node, offset)
            case model.BoolConstant(value=value):
                return exp.Boolean(this=value)
            case model.FactRef(fact=fact):
                return self.fact(fact, offset)
            case model.DefRef(name=name):
                return self.condition(self.policy.definitions[name].expr, offset)
            case _:
                raise SqlUnsupported(f"not a condition: {node.text}")

    def compare(self, node: model.Compare, offset: int) -> exp.Expr:
        if node.first_time:
            return self.first_time(node, offset)
        if node.ordered:
            return _compare(node.op, self._order_index(node.left, node.order, offset),
                            self._order_index(node.right, node.order, offset))
        if node.kind in _NUMERIC or self._is_numeric(node.left) or self._is_numeric(node.right):
            return num_compare(node.op, self.number(node.left, offset), self.number(node.right, offset))
        return _compare(node.op, self.scalar(node.left, offset), self.scalar(node.right, offset))

    def first_time(self, node: model.Compare, offset: int) -> exp.Expr:
        """首次…: the year's value passes, and no recorded earlier year did
        (runtime.Run.first_time: unknown when the year's value or the threshold is)."""
        subject = node.left
        if not isinstance(subject, model.FactRef) or not subject.fact.type.series:
            raise SqlUnsupported(f"首次 needs a yearly fact: {node.text}")
        fact = subject.fact
        year = self.year - offset
        current = self._as_num(self.at(fact, offset), fact.type)
        threshold = self.number(node.right, offset)
        passes = num_compare(node.op, current, threshold)
        earlier = [y for y in sorted(self.years.get(fact.name, ())) if y < year]
        ifs = [(_or(_is_null(current), _is_null(threshold)), _null()),
               (_not(passes), exp.Boolean(this=False))]
        if earlier:
            # a year with no value is no record: it never counts as passed
            before = [_is(num_compare(node.op, self._as_num(self.column(f"{fact.name}.{y}"), fact.type), threshold), True)
                      for y in earlier]
            ifs.append((_or(*before), exp.Boolean(this=False)))
        return _case(ifs, exp.Boolean(this=True))

    # -- awards
    def amount(self, node: model.Expr) -> Num:
        """An award's amount, read once from the applicant's row (see bind)."""
        return self.bind_num(self.number(node, 0))

    def scaled(self, clause: model.ClauseModel, amount: Num) -> Num:
        """runtime._scaled: a modifier's coefficient for the clause's matter, before any cap."""
        coefficient = self.factor(clause.matter.name) if clause.matter is not None else None
        if coefficient is None:
            return amount
        factor = Num(self.bind(coefficient), 6)
        return num_case(_is(factor.num, None), amount, num_mul(amount, factor))

    def exact(self, clause: model.ClauseModel, amount: Num, cap: Num | None) -> tuple[exp.Expr, exp.Expr]:
        """runtime.exact: (known, rounded amount)."""
        value = num_cents(_bounded(self.scaled(clause, amount), cap))
        return exp.Not(this=_is_null(amount)), value

    def award(self, clause: model.ClauseModel) -> AwardSql:
        award = clause.award
        assert award is not None
        cap = self.amount(award.cap) if award.cap is not None else None
        known_cap = exp.Not(this=_is_null(cap)) if cap is not None and cap.const is None else None  # a constant is

        def with_cap(known: exp.Expr) -> exp.Expr:
            # an unknown cap makes the award unknown, before anything else is read (interpreter.award)
            if known_cap is None:
                return known
            return _case([(_not(known_cap), _null("BOOLEAN"))], known)

        def truth(expr: exp.Expr) -> exp.Expr:
            """TRUE when expr is, NULL otherwise: an amount's 'known' flag."""
            if _constant_truth(expr) is True:
                return exp.Boolean(this=True)
            return _case([(expr, exp.Boolean(this=True))], _null("BOOLEAN"))

        form = award.form
        match form:
            case model.Exact(amount=amount_node):
                amount = self.amount(amount_node)
                known, value = self.exact(clause, amount, cap)
                return AwardSql("exact", with_cap(truth(known)), value, value)
            case model.UpTo(ceiling=ceiling_node):
                ceiling = self.amount(ceiling_node)
                value = num_cents(_bounded(self.scaled(clause, ceiling), cap))
                return AwardSql("up_to", with_cap(truth(exp.Not(this=_is_null(ceiling)))),
                                _cast(_decimal_literal(Decimal("0.00"))[0], MONEY_OUT), value)
            case model.Range(low=low_node, high=high_node):
                low, high = self.amount(low_node), self.amount(high_node)
                known = _and(exp.Not(this=_is_null(low)), exp.Not(this=_is_null(high)))
                return AwardSql("range", with_cap(truth(known)),
                                num_cents(_bounded(self.scaled(clause, low), cap)),
                                num_cents(_bounded(self.scaled(clause, high), cap)))
            case model.CaseByCase():
                return AwardSql("case_by_case", with_cap(exp.Boolean(this=True)), None, None)
            case model.Unspecified():
                return AwardSql("unspecified", with_cap(exp.Boolean(this=True)), None, None)
            case model.Routing():
                return AwardSql("routing", with_cap(exp.Boolean(this=True)), None, None)
            case model.ByLevel(subject=subject, rows=rows):
                # runtime.pick_level: unknown level → unknown; a level with no row → nothing
                level = self.bind(self.column(subject.name))
                ifs_known: list[tuple[exp.Expr, exp.Expr]] = []
                ifs_value: list[tuple[exp.Expr, exp.Expr]] = []
                for row in rows:
                    amount = self.amount(row.amount)
                    known, value = self.exact(clause, amount, cap)
                    hit = exp.EQ(this=_p(level), expression=_str(row.level))
                    ifs_known.append((hit, truth(known)))
                    ifs_value.append((hit, value))
                known = _case([(_is(level, None), _null("BOOLEAN"))] + ifs_known, exp.Boolean(this=False))
                value = _case(ifs_value) if ifs_value else _null(MONEY_OUT)
                return AwardSql("exact", with_cap(known), value, value)
            case model.ByTier(rows=rows):
                # the first row, top down, whose test holds; an unknown test before it → unknown
                ifs_known, ifs_value = [], []
                for tier in rows:
                    test = self.bind(self.condition(tier.test, 0))
                    amount = self.amount(tier.amount)
                    known, value = self.exact(clause, amount, cap)
                    ifs_known += [(_is(test, None), _null("BOOLEAN")), (test, truth(known))]
                    ifs_value += [(_is(test, None), _null(MONEY_OUT)), (test, value)]
                known = _case(ifs_known, exp.Boolean(this=False))
                value = _case(ifs_value) if ifs_value else _null(MONEY_OUT)
                return AwardSql("exact", with_cap(known), value, value)
            case model.PerItem(item_fact=item_fact, amount=amount_node, item_cap=cap_node):
                return self.per_item(clause, item_fact, amount_node, cap_node, cap, with_cap, truth)
            case model.ByRunYear(rows=run_rows):
                # issue 13 (分年度): as ByTier — the first row whose years hold the assessed year
                ifs_known, ifs_value = [], []
                for run_row in run_rows:
                    test = self.bind(self.condition(run_row.test, 0))
                    known, value = self.exact(clause, self.amount(run_row.amount), cap)
                    ifs_known += [(_is(test, None), _null("BOOLEAN")), (test, truth(known))]
                    ifs_value += [(_is(test, None), _null(MONEY_OUT)), (test, value)]
                known = _case(ifs_known, exp.Boolean(this=False))
                value = _case(ifs_value) if ifs_value else _null(MONEY_OUT)
                return AwardSql("exact", with_cap(known), value, value)
            case model.AtLeast(floor=floor_node):  # issue 13: floors (runtime.at_least)
                floor = self.amount(floor_node)
                floor_known = truth(exp.Not(this=_is_null(floor)))
                floor_cents = num_cents(_bounded(self.scaled(clause, floor), cap))
                if cap is None:
                    return AwardSql("at_least", with_cap(floor_known), floor_cents, None)
                return AwardSql("range", with_cap(floor_known), floor_cents, num_cents(cap))
            case model.ByTable() | model.ByBand() | model.EachTier() | model.Upgrade():
                return self.table_award(clause, form, cap, with_cap, truth)
            case _:
                assert_never(form)

    # ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
    def table_award(self, clause: model.ClauseModel, form: model.ByTable | model.ByBand | model.EachTier | model.Upgrade,
                    cap: Num | None, with_cap, truth) -> AwardSql:
        false, unknown = exp.Boolean(this=False), _null("BOOLEAN")
        match form:
            case model.ByTable():
                # runtime.pick_cell: a value outside the table or an empty cell → nothing; a value
                # unknown → undecidable, unless every cell it could pick is empty
                row = self.bind(self.column(form.row_fact.name))
                col = self.bind(self.column(form.column_fact.name))
                filled = form.filled
                rows_paying = [_str(r) for i, r in enumerate(form.levels) if any(filled[i])]
                cols_paying = [_str(c) for j, c in enumerate(form.columns) if any(f[j] for f in filled)]

                def either(values: Sequence[exp.Expr], subject: exp.Expr) -> exp.Expr:
                    return _case([(exp.In(this=_p(subject), expressions=values), unknown.copy())], false.copy()) \
                        if values else false.copy()
                ifs_known: list[tuple[exp.Expr, exp.Expr]] = [
                    (_and(exp.Not(this=_is(row, None)), _not(exp.In(this=_p(row), expressions=[_str(r) for r in form.levels]))),
                     false.copy()),
                    (_and(exp.Not(this=_is(col, None)), _not(exp.In(this=_p(col), expressions=[_str(c) for c in form.columns]))),
                     false.copy()),
                    (_and(_is(row, None), _is(col, None)), unknown.copy() if rows_paying else false.copy()),
                    (_is(row, None), either(cols_paying, col)),
                    (_is(col, None), either(rows_paying, row)),
                ]
                ifs_value: list[tuple[exp.Expr, exp.Expr]] = []
                for table_row in form.rows:
                    for column, cell in zip(form.columns, table_row.cells):
                        if cell is None:
                            continue
                        known, value = self.exact(clause, self.amount(cell), cap)
                        hit = _and(exp.EQ(this=_p(row), expression=_str(table_row.level)),
                                   exp.EQ(this=_p(col), expression=_str(column)))
                        ifs_known.append((hit, truth(known)))
                        ifs_value.append((hit.copy(), value))
                value = _case(ifs_value) if ifs_value else _null(MONEY_OUT)
                return AwardSql("exact", with_cap(_case(ifs_known, false.copy())), value, value.copy())
            case model.ByBand():
                # the first band, top down, whose bounds hold (the checks keep bands apart)
                ifs_known, ifs_value = [], []
                for band in form.rows:
                    test = self.bind(self.condition(band.test, 0))
                    known, value = self.exact(clause, self.amount(band.amount), cap)
                    ifs_known += [(_is(test, None), unknown.copy()), (test, truth(known))]
                    ifs_value += [(_is(test, None), _null(MONEY_OUT)), (test, value)]
                value = _case(ifs_value) if ifs_value else _null(MONEY_OUT)
                return AwardSql("exact", with_cap(_case(ifs_known, false.copy())), value, value.copy())
            case model.EachTier():
                # runtime.crossed for each tier; any undecidable → undecidable; the amounts of those crossed add up
                tests = [self.bind(self.crossed(form, tier)) for tier in form.rows]
                total = _const(0)
                for tier, test in zip(form.rows, tests):
                    total = num_add(total, num_case(_is(test, True), self.amount(tier.amount), _const(0)))
                known, value = self.exact(clause, self.bind_num(total), cap)
                decided = _case([(_or(*(_is(t, None) for t in tests)), unknown.copy()),
                                 (_or(*(_is(t, True) for t in tests)), truth(known))], false.copy())
                return AwardSql("exact", with_cap(decided), value, value.copy())
            case model.Upgrade():
                # runtime.pick_upgrade: the new level's row less the held level's (none: 0)
                new = self.bind(self.column(form.subject.name))
                held = self.bind(self.column(form.held.name))
                levels = [r.level for r in form.rows]
                new_amount, held_amount = Num(_null(), 0), _const(0)
                for level in reversed(form.rows):
                    amount = self.amount(level.amount)
                    new_amount = num_case(exp.EQ(this=_p(new), expression=_str(level.level)), amount, new_amount)
                    again = Num(amount.num.copy(), amount.scale, amount.den.copy() if amount.den is not None else None,
                                amount.den_scale, amount.const)
                    held_amount = num_case(exp.EQ(this=_p(held), expression=_str(level.level)), again, held_amount)
                known, value = self.exact(clause, self.bind_num(num_add(new_amount, held_amount, subtract=True)), cap)

                def position(subject: exp.Expr) -> exp.Expr:
                    return _case([(_str(v), _int(i)) for i, v in enumerate(form.order)], subject=subject)
                decided = _case([
                    (_is(new, None), unknown.copy()),
                    (_not(exp.In(this=_p(new), expressions=[_str(v) for v in levels])), false.copy()),
                    (_is(held, None), unknown.copy()),
                    (exp.LTE(this=position(new), expression=position(held)), false.copy()),
                ], truth(known))
                return AwardSql("exact", with_cap(decided), value, value.copy())
            case _:
                assert_never(form)

    def crossed(self, form: model.EachTier, row: model.TierRow) -> exp.Expr:
        """runtime.crossed: the year passes, no earlier recorded year did, and the year before
        is on record (else undecidable)."""
        fact = form.subject
        current = self._as_num(self.at(fact, 0), fact.type)
        previous = self.at(fact, 1)
        threshold = self.number(row.threshold, 0)
        earlier = [y for y in sorted(self.years.get(fact.name, ())) if y < self.year]
        ifs = [(_or(_is_null(current), _is_null(threshold)), _null()),
               (_not(num_compare(form.op, current, threshold)), exp.Boolean(this=False))]
        if earlier:
            before = [_is(num_compare(form.op, self._as_num(self.column(f"{fact.name}.{y}"), fact.type), threshold), True)
                      for y in earlier]
            ifs.append((_or(*before), exp.Boolean(this=False)))
        ifs.append((_is(previous, None), _null()))
        return _case(ifs, exp.Boolean(this=True))

    def per_item(self, clause, item_fact: model.Fact, amount_node: model.Expr, cap_node: model.Expr | None,
                 cap: Num | None, with_cap, truth) -> AwardSql:
        """每项: each item's amount (at least 0), capped on its own, added up, then the award's
        own cap (runtime.per_item, runtime.exact). An item whose amount is unknown makes the
        whole award unknown; no items pay 0."""
        variable = exp.Column(this=exp.Identifier(this=_ITEM, quoted=False))
        self.item = (item_fact.name, _cast(variable, FACT_DECIMAL) if item_fact.type.base in _NUMERIC else variable)
        try:
            part = self.number(amount_node, 0)
            item_cap = self.number(cap_node, 0) if cap_node is not None else None
        finally:
            self.item = None
        if not part.plain or (item_cap is not None and not item_cap.plain):
            raise SqlUnsupported("a 每项 amount with ÷ cannot be added up exactly in SQL")
        floored = _nonnegative(part)
        if item_cap is None:  # 每项 with the total cap only (runtime.per_item_uncapped)
            one = num_case(_is_null(part), Num(_null(), 0), floored)
        else:
            one = num_case(_or(_is_null(part), _is_null(item_cap)), Num(_null(), 0),
                           num_case(num_compare(model.CompareOp.GT, floored, item_cap), item_cap, floored))
        items = self.column(item_fact.name)
        lam = exp.Lambda(this=one.num, expressions=[exp.Identifier(this=_ITEM, quoted=False)])
        parts = exp.Anonymous(this="LIST_TRANSFORM", expressions=[items, lam])
        p = exp.Identifier(this="_polc_part", quoted=False)
        missing = exp.Anonymous(this="LIST_FILTER", expressions=[
            parts, exp.Lambda(this=_is(exp.Column(this=p), None), expressions=[p])])
        total = _case([
            (_is(items, None), _null()),
            (exp.EQ(this=exp.Length(this=items), expression=_int(0)), _const(0).num),
            (exp.GT(this=exp.Length(this=missing), expression=_int(0)), _null()),
        ], exp.Anonymous(this="LIST_SUM", expressions=[parts]))
        total_num = self.bind_num(Num(total, one.scale))
        known, value = self.exact(clause, total_num, cap)
        return AwardSql("exact", with_cap(truth(known)), value, value)


# ---------------------------------------------------------------- the query
def _not_in_force(policy: model.PolicyModel, on: datetime.date, year: int) -> bool:
    """runtime._not_in_force: outside 施行…失效, or an assessed year a 过渡 rule hands on."""
    if policy.effective_from is not None and on < policy.effective_from:
        return True
    if policy.effective_until is not None and on > policy.effective_until:
        return True
    return any(rule.before_year is not None and year < rule.before_year for rule in policy.transitional)


# ---- issue 13: payers by condition
@attrs.frozen
class _PayerRuleNo:
    """The rule number of a clause's conditional 分担, built when the clause's SELECT reads
    the applicant's row (after its bound values are reset), so what it binds is read there."""
    sql: "_PolicySql"
    clause: model.ClauseModel
    splits: list
    split_rules: list

    def build(self) -> exp.Expr:
        return _payer_rule_no(self.sql, self.clause, self.splits, self.split_rules)


def _payer_rule_no(sql: "_PolicySql", clause: model.ClauseModel, splits: list, split_rules: list) -> exp.Expr:
    """The number of the 分担 rule an applicant's award takes (runtime._choose_payers): the
    first whose condition holds; NULL (no funding stated) when one before it cannot be
    decided, or none holds."""
    whens: list[tuple[exp.Expr, exp.Expr]] = []
    for rule in clause.payer_rules:
        key = tuple((share.payer, share.share) for share in rule.shares)
        if key not in splits:
            splits.append(key)
            split_rules.append(rule.shares)
        number = _int(splits.index(key) + 1)
        if rule.condition is None:
            whens.append((exp.Boolean(this=True), number))
            break
        holds = sql.condition(rule.condition, 0)
        whens.append((_is(holds.copy(), True), number))
        whens.append((_is(holds, None), _null("INTEGER")))
    return _case(whens, _null("INTEGER"))


def _paid_now(parts: tuple[model.Part, ...], low: exp.Expr, prefix: str = _HELPER) -> exp.Expr:
    """runtime.in_parts: the award's `min` becomes the sum of the parts paid now — due in the
    first year of payment, with a condition that holds (column {prefix}part{i}) or none — each
    part share × min rounded half up to 0.01 元, the last taking what is left."""
    taken: list[exp.Expr] = []
    now: exp.Expr = _cast(_decimal_literal(Decimal("0.00"))[0], MONEY_OUT)
    for position, part in enumerate(parts):
        if position == len(parts) - 1:
            amount: exp.Expr = low.copy()
            for earlier in taken:
                amount = exp.Sub(this=_p(amount), expression=_p(earlier.copy()))
            amount = _cast(amount, MONEY_OUT)
        else:
            amount = num_cents(num_mul(Num(low.copy(), 2), Num(*_decimal_literal(part.share))))
        taken.append(amount)
        if part.year is not None and part.year > 1:
            continue  # due in a later year of payment: pending
        if part.condition is None:
            now = exp.Add(this=_p(now), expression=_p(amount.copy()))
        else:
            holds = _is(_col(f"{prefix}part{position}"), True)
            now = exp.Add(this=_p(now), expression=_p(_case([(holds, amount.copy())],
                                                            _cast(_decimal_literal(Decimal("0.00"))[0], MONEY_OUT))))
    return _case([(_is(low.copy(), None), _null(MONEY_OUT))], _cast(now, MONEY_OUT))


def _funding(split: tuple[model.Share, ...], low: exp.Expr, high: exp.Expr) -> exp.Expr:
    """runtime.ClauseResult.funding as JSON text: each part rounded half up to 0.01 元, the
    last payer taking what is left, so the parts add up to the award."""
    parts: dict[str, dict[str, exp.Expr]] = {}
    for bound, amount in (("min", low), ("max", high)):
        taken: list[exp.Expr] = []
        for position, share in enumerate(split):
            if position == len(split) - 1:
                part: exp.Expr = amount
                for earlier in taken:
                    part = exp.Sub(this=_p(part), expression=_p(earlier))
                part = _cast(part, MONEY_OUT)
            else:
                fraction = _decimal_literal(share.share)
                part = num_cents(num_mul(Num(amount, 2), Num(*fraction)))
            taken.append(part)
            parts.setdefault(share.payer, {})[bound] = part
    pieces: list[exp.Expr] = []
    text = "{"
    for index, (payer, bounds) in enumerate(parts.items()):
        text += ("" if index == 0 else ", ") + json.dumps(payer, ensure_ascii=False) + ': {"min": "'
        pieces += [_str(text), _cast(bounds["min"], "VARCHAR")]
        text = '", "max": "'
        pieces += [_str(text), _cast(bounds["max"], "VARCHAR")]
        text = '"}'
    pieces.append(_str(text + "}"))
    result = pieces[0]
    for piece in pieces[1:]:
        result = exp.DPipe(this=result, expression=piece)
    return result


OUTPUT_COLUMNS = ("_line", "申请人", "policy", "policy_index", "clause_index", "clause", "matter", "applies", "paid",
                  "kind", "amount_min", "amount_max", "could_pay", "reason", "funding")
_WITH_AMOUNT = ("exact", "up_to", "range")  # runtime._WITH_AMOUNT: the kinds with a stated amount
_UNRANKED = ("case_by_case", "unspecified", "routing")  # runtime._rank: below every amount under 就高不重复


def applicant_clauses(policies: Sequence[model.PolicyModel], register: str, on: datetime.date,
                      years: Mapping[str, Iterable[int]] | None = None, only_listed: bool = False,
                      keep_matters_read: bool = False, narrow: bool = False) -> exp.Select:
    """One row per (register row, evaluated clause of every policy), decided as the Python
    runtime decides it for that applicant on `on` (CONTRACTS.md §2). `register` names a table
    or view laid out as CONTRACTS.md §4; `years` gives, for each 逐年 fact, the years that
    have a column `名.年份` (any other year reads as unknown). With `only_listed`, the rows
    whose `applies` is false are left out (the compact batch output lists only the others);
    every other row is the same. With `keep_matters_read` too, a row left out that way is kept
    when its clause reads its matter from a fact (事项 按 X) in a 就高不重复 policy and the
    matter is known: the batch totals resolve that matter for the applicant with it.
    With `narrow` (the batch engine's own rows, see _listed_narrow), the rows are the same,
    with the columns NARROW_COLUMNS — `_line, pos, matter, applies, paid, kind,
    amount_min, amount_max, could_pay, reason, funding`, `pos` the clause's place among all
    the clauses given, counted from 0 as the batch engine counts them — instead of
    CONTRACTS.md §2's: no labels, no 申请人.

    The query is wide, then long: one scan of the register gives ONE row per applicant with
    every clause's values as columns (`_polc_<n>_…`, n the clause's place among all the
    clauses), in layers that each compute a value once — read from the register row, the
    award, whether the clause applies, 就高不重复 and offsets as expressions over the other
    clauses' columns of the same row (no window, no sort) — and only the last layer unnests
    the row into one row per clause, joined with a small table of each clause's constants
    (labels, award kind, ceiling). Planning one SELECT of columns is far cheaper for DuckDB
    than a UNION of a SELECT per clause, and the register is read once instead of once per
    clause."""
    found = _applicant_clauses(policies, register, on, years, only_listed, keep_matters_read, narrow)
    return found.rows() if isinstance(found, CodedClauses) else found


def coded_clauses(policies: Sequence[model.PolicyModel], register: str, on: datetime.date,
                  years: Mapping[str, Iterable[int]] | None = None, only_listed: bool = False,
                  keep_matters_read: bool = False) -> "CodedClauses":
    """The narrow rows of applicant_clauses(…, narrow=True) in their two parts (CodedClauses):
    `rows()` of the result is that query."""
    found = _applicant_clauses(policies, register, on, years, only_listed, keep_matters_read, True)
    assert isinstance(found, CodedClauses)
    return found


def _applicant_clauses(policies: Sequence[model.PolicyModel], register: str, on: datetime.date,
                       years: Mapping[str, Iterable[int]] | None, only_listed: bool, keep_matters_read: bool,
                       narrow: bool) -> "exp.Select | CodedClauses":
    """applicant_clauses; the narrow form as its CodedClauses."""
    years_present = {name: tuple(sorted(set(ys))) for name, ys in (years or {}).items()}

    # -- modifiers first (runtime.Evaluator): per matter, the highest coefficient that applies
    modifiers: dict[str, list[tuple[Decimal, exp.Expr]]] = {}
    for policy in policies:
        year = on.year - policy.assessed_year.offset
        if _not_in_force(policy, on, year):
            continue
        sql = _PolicySql(policy, year, years_present, lambda matter: None)
        for clause in policy.evaluated_clauses:
            if clause.modifier is not None:
                modifiers.setdefault(clause.modifier.matter, []).append(
                    (clause.modifier.factor, _conditions(sql, clause)))
    coefficients: dict[str, exp.Expr] = {}
    for matter, found in modifiers.items():
        # highest coefficient first; among equals the first declared (runtime: strictly greater replaces)
        by_factor = sorted(enumerate(found), key=lambda pair: (-pair[1][0], pair[0]))
        ifs = [(_is(condition, True), _decimal_literal(factor)[0]) for _i, (factor, condition) in by_factor]
        coefficients[matter] = _cast(_case(ifs), FACT_DECIMAL)

    def coefficient(matter: str) -> exp.Expr | None:
        # read in each clause of the matter from the applicant's own row
        return coefficients[matter].copy() if matter in coefficients else None

    # -- every evaluated clause: its columns in the wide row
    splits: list[tuple[tuple[str, Decimal], ...]] = []  # distinct 分担 rules, by payer and share
    split_rules: list[tuple[model.Share, ...]] = []
    clauses: list[_ClauseColumns] = []
    for policy_index, policy in enumerate(policies, 1):
        year = on.year - policy.assessed_year.offset
        outside = _not_in_force(policy, on, year)
        sql = _PolicySql(policy, year, years_present, coefficient)
        for clause_index, clause in enumerate(policy.evaluated_clauses, 1):
            split_no: int | _PayerRuleNo | None = None
            if clause.split is not None:
                key = tuple((share.payer, share.share) for share in clause.split)
                if key not in splits:
                    splits.append(key)
                    split_rules.append(clause.split)
                split_no = splits.index(key) + 1
            elif clause.payer_rules:  # issue 13: payers by condition (read from the applicant's row)
                split_no = _PayerRuleNo(sql, clause, splits, split_rules)
            clauses.append(_clause_columns(len(clauses) + 1, policy, policy_index, clause, clause_index, sql, outside,
                                           split_no))
    if not clauses:
        return _empty_coded(exp.Table(this=_ident(register))) if narrow else _empty_clauses(register)

    keys = [_col("_line"), _col("申请人")]
    # Layers, each `SELECT *, <new columns> FROM <the one before>`.
    layer: exp.Expr = _columns(*keys, *(c for clause in clauses for c in clause.read)).from_(
        copy=False, expression=exp.Table(this=_ident(register)))
    for number, columns in enumerate(([c for clause in clauses for c in clause.award],
                                      [c for clause in clauses for c in clause.decided],
                                      _highest_only(clauses),
                                      _offsets(clauses, policies))):
        if columns:
            layer = _columns(exp.Star(), *columns).from_(copy=False, expression=_from(layer, f"_polc_layer{number}"))

    if narrow:
        return _listed_narrow(clauses, layer, split_rules, keep_matters_read, every_row=not only_listed)

    # -- the wide row unnested: one row per clause, with its constants joined by its place
    def unnest(name: str, values: list[exp.Expr]) -> exp.Expr:
        return exp.Unnest(expressions=[exp.Array(expressions=values)]).as_(name, copy=False)

    lists = [unnest("_polc_pos", [_int(clause.pos) for clause in clauses]),
             unnest("applies", [clause.applies_column() for clause in clauses]),
             unnest("_polc_paid", [clause.paid_column() for clause in clauses]),
             unnest("amount_min", [clause.final_column("min") for clause in clauses]),
             unnest("amount_max", [clause.final_column("max") for clause in clauses])]
    carried: list[exp.Expr] = []

    def per_row(what: str, owners: list[_ClauseColumns], sql_type: str) -> exp.Expr | None:
        """A value only some clauses have (a matter read from a fact, payers by condition), for
        each unnested row: NULL for the other clauses. From a few clauses, their columns are
        carried beside the lists and picked by place (a list of NULLs for every clause cost
        more); from many, a list like the others."""
        if not owners:
            return None
        if len(owners) <= _FEW_CARRIED:
            carried.extend(clause.column(what) for clause in owners)
            return _case([(exp.EQ(this=_col("_polc_pos"), expression=_int(clause.pos)), clause.column(what))
                          for clause in owners])
        lists.append(unnest(f"_polc_{what}", [clause.column(what) if clause in owners else _null(sql_type)
                                              for clause in clauses]))
        return _col(f"_polc_{what}")

    matter_read = per_row("matter", [clause for clause in clauses if clause.dynamic_matter], "VARCHAR")
    payers_chosen = per_row("payers", [clause for clause in clauses if clause.payers], "INTEGER")
    long = _columns(*keys, *carried, *lists).from_(copy=False, expression=_from(layer, "_polc_wide"))
    if only_listed:
        # A clause that does not apply takes no part in 就高不重复 and pays nothing, so leaving
        # its rows out changes no other row. Filtered before the join: most rows go here.
        keep: exp.Expr = exp.Not(this=_is(_col("applies"), False))
        by_fact = [clause for clause in clauses if clause.clause.matter_by is not None and clause.highest_only]
        if keep_matters_read and by_fact:
            # read from the fact (a column), or, not in force or with no award, the stated matter
            read = [_int(clause.pos) for clause in by_fact if clause.dynamic_matter]
            stated = [_int(clause.pos) for clause in by_fact if not clause.dynamic_matter and clause.static_matter]
            if read:
                assert matter_read is not None
                keep = _or(keep, _and(exp.In(this=_col("_polc_pos"), expressions=read),
                                      exp.Not(this=_is(matter_read.copy(), None))))
            if stated:
                keep = _or(keep, exp.In(this=_col("_polc_pos"), expressions=stated))
        long = _listed_only(keys, carried, lists, keep, layer)

    constants = exp.Values(expressions=[exp.Tuple(expressions=clause.constants()) for clause in clauses],
                           alias=exp.TableAlias(this=_ident("_polc_clauses"),
                                                columns=[_ident(name) for name in _CONSTANTS]))
    applies, paid = _col("applies"), _col("_polc_paid")
    kind = _case([(_is(applies, True), _col("award_kind"))])
    matter_of_row: exp.Expr = (exp.Coalesce(this=matter_read, expressions=[_col("static_matter")])
                               if matter_read is not None else _col("static_matter"))
    split_of_row: exp.Expr = (exp.Coalesce(this=payers_chosen, expressions=[_col("split_no")])
                              if payers_chosen is not None else _col("split_no"))
    reason = _case([
        (_is(applies.copy(), None), _str("undecidable")),
        (_not(applies.copy()), _str("not_applicable")),
        (_col("is_modifier"), _str("modifier")),
        (_not(paid.copy()), _str("not_highest")),
        (exp.EQ(this=_col("award_kind"), expression=_str("routing")), _str("routing")),
    ], _str("paid"))
    funding_cases = [(exp.EQ(this=_p(split_of_row.copy()), expression=_int(number)),
                      _funding(split, _col("amount_min"), _col("amount_max")))
                     for number, split in enumerate(split_rules, 1)]
    funding = (_case([(_and(paid.copy(), exp.Not(this=_is(_col("amount_max"), None))), _case(funding_cases))],
                     _null("VARCHAR")) if funding_cases else _null("VARCHAR"))
    final = _columns(
        _col("_line"), _col("申请人"), _cast(_col("policy"), "VARCHAR").as_("policy", copy=False),
        _cast(_col("policy_index"), "INTEGER").as_("policy_index", copy=False),
        _cast(_col("clause_index"), "INTEGER").as_("clause_index", copy=False),
        _cast(_col("clause"), "VARCHAR").as_("clause", copy=False),
        _cast(matter_of_row, "VARCHAR").as_("matter", copy=False), _cast(applies.copy(), "BOOLEAN").as_("applies", copy=False),
        _cast(paid.copy(), "BOOLEAN").as_("paid", copy=False), _cast(kind, "VARCHAR").as_("kind", copy=False),
        # the award's amounts where the clause applies (_ClauseColumns.bound: unmasked in the wide row)
        _cast(_case([(_is(applies.copy(), True), _col("amount_min"))]), MONEY_OUT).as_("amount_min", copy=False),
        _cast(_case([(_is(applies.copy(), True), _col("amount_max"))]), MONEY_OUT).as_("amount_max", copy=False),
        _cast(_case([(_is(applies.copy(), None), _col("ceiling"))]), MONEY_OUT).as_("could_pay", copy=False),
        reason.as_("reason", copy=False), _cast(funding, "VARCHAR").as_("funding", copy=False),
    ).from_(copy=False, expression=_from(long, "_polc_rows"))
    final.set("joins", [exp.Join(this=constants, on=exp.EQ(this=_col("_polc_pos", "_polc_rows"),
                                                           expression=_col("pos", "_polc_clauses")))])
    return final


def _listed_only(keys: Sequence[exp.Expr], carried: Sequence[exp.Expr], lists: Sequence[exp.Expr], keep: exp.Expr,
                 wide: exp.Expr) -> exp.Select:
    """The unnested rows that `keep` keeps (only_listed), with the columns the lists give:
    each clause's values as one STRUCT of a list, the list filtered by `keep` (a lambda over
    a STRUCT, its fields in place of the columns it names), and only the structs kept are
    unnested. Unnesting every clause's row and then filtering them cost more: most rows are
    of clauses that do not apply, and each carried every list's value. (DuckDB's LIST_FILTER
    and STRUCT literals: the batch engine's form; the contract's query unnests the lists.)"""
    fields = [node.alias for node in lists]
    values = [node.this.this.expressions if isinstance(node.this, exp.Explode) else node.expressions[0].expressions
              for node in lists]
    structs = [exp.Struct(expressions=[exp.PropertyEQ(this=_ident(field), expression=column[i])
                                       for field, column in zip(fields, values)])
               for i in range(len(values[0]))]
    variable = exp.Identifier(this=f"{_HELPER}x", quoted=False)
    test = keep.copy()
    for column in list(test.find_all(exp.Column)):
        if column.name in fields and not column.table:
            column.replace(exp.Dot(this=exp.Column(this=variable.copy()), expression=_ident(column.name)))
    kept = exp.Anonymous(this="LIST_FILTER", expressions=[exp.Array(expressions=structs),
                                                          exp.Lambda(this=test, expressions=[variable.copy()])])
    row = f"{_HELPER}row"
    inner = _columns(*[k.copy() for k in keys], *[c.copy() for c in carried],
                     exp.Unnest(expressions=[kept]).as_(row, copy=False)).from_(
        copy=False, expression=_from(wide, "_polc_wide"))
    return _columns(*[k.copy() for k in keys], *[c.copy() for c in carried],
                    *[exp.Dot(this=_col(row), expression=_ident(field)).as_(field, copy=False) for field in fields]
                    ).from_(copy=False, expression=_from(inner, "_polc_long"))


# The states of a listed row in the narrow form (_listed_narrow): code = pos × 4 + state.
PAID_STATE, NOT_PAID_STATE, UNDECIDABLE_STATE, NOT_APPLICABLE_STATE = 0, 1, 2, 3


def _listed_narrow(clauses: list["_ClauseColumns"], wide: exp.Expr, split_rules: list[tuple[model.Share, ...]],
                   keep_matters_read: bool, every_row: bool = False) -> CodedClauses:
    """The batch engine's rows (narrow), as CodedClauses: the wide row unnested through a list of small integers
    instead of a list of every clause's values; the rows listed (only_listed), or every row.

    Each clause gives one code per applicant, `pos × 4 + state` — 0: applies and paid; 1:
    applies, not paid (就高不重复, or a modifier or an outcome with no award); 2: cannot be
    decided; 3: does not apply but is kept (its matter is read from a fact, keep_matters_read)
    — or NULL when its row is not listed; the list of codes is filtered and unnested. Amounts
    that differ between applicants travel beside the code in a STRUCT (`v1`, and `v2` for a
    clause with two different ones). Everything else a row holds depends only on its code and
    comes from a VALUES table joined on it: the place, applies, paid, the kind, the stated
    amounts, the ceiling, the reason, the stated matter. (Unnesting a STRUCT of the five values
    of every clause cost more than computing the wide row: the list is built, filtered and
    unnested element by element and field by field, and the rows' reasons were then worked
    out row by row.)"""
    owners = {"matter": [c for c in clauses if c.dynamic_matter], "payers": [c for c in clauses if c.payers]}
    carried = [c.column(what) for what in ("matter", "payers") if len(owners[what]) <= _FEW_CARRIED
               for c in owners[what]]
    fields: list[str] = []  # the STRUCT fields beside the code, as needed
    elements: list[exp.Expr] = []
    values_of: list[dict[str, exp.Expr]] = []
    constants: list[exp.Tuple] = []
    for clause in clauses:
        applies, paid = clause.applies_column(), clause.paid_column()
        kept_matter: exp.Expr = exp.Boolean(this=every_row)
        if not every_row and keep_matters_read and clause.clause.matter_by is not None and clause.highest_only:
            kept_matter = (exp.Not(this=_is(clause.column("matter"), None)) if clause.dynamic_matter
                           else exp.Boolean(this=clause.static_matter is not None))
        p = clause.pos * 4
        if _constant_truth(applies) is False:
            ifs: list[tuple[exp.Expr, exp.Expr]] = []
        else:
            not_paid = _folded_not_paid(paid, applies)
            when_applies = _folded_case([(not_paid, _int(p + NOT_PAID_STATE))], _int(p + PAID_STATE))
            ifs = [(_is(applies.copy(), None), _int(p + UNDECIDABLE_STATE)), (applies.copy(), when_applies)]
        ifs.append((kept_matter, _int(p + NOT_APPLICABLE_STATE)))
        code = _folded_case(ifs)
        states = sorted(number - p for number in _case_results(code))
        if not states:
            continue  # never listed (not in force, no matter to keep): no element at all
        values: dict[str, exp.Expr] = {}
        sources: dict[str, exp.Expr | str] = {}
        for bound in ("min", "max"):
            value = clause.final_column(bound)
            if not isinstance(value, exp.Column):
                sources[bound] = value  # NULL: no amount
            elif not clause.offset and bound in clause.stated:
                sources[bound] = clause.stated[bound]
            else:
                field = next((name for name, node in values.items() if node == value), f"v{len(values) + 1}")
                values[field] = value
                sources[bound] = field
        for what in ("matter", "payers"):
            if clause in owners[what] and len(owners[what]) > _FEW_CARRIED:
                values[what] = clause.column(what)
        fields += [field for field in values if field not in fields]
        elements.append(code)
        values_of.append(values)
        constants += [exp.Tuple(expressions=clause.narrow_constants(state, sources, typed=not constants and not n))
                      for n, state in enumerate(states)]
    if not elements:
        return _empty_coded(_from(wide, f"{_HELPER}wide"))
    types = {"v1": MONEY_OUT, "v2": MONEY_OUT, "matter": "VARCHAR", "payers": "INTEGER"}
    fields.sort(key=list(types).index)
    row = f"{_HELPER}row"
    items = [exp.Struct(expressions=[exp.PropertyEQ(this=_ident("c"), expression=code)] + [
        exp.PropertyEQ(this=_ident(field), expression=values.get(field, _null(types[field]))) for field in fields])
        if fields else code for code, values in zip(elements, values_of)]
    variable = exp.Identifier(this=f"{_HELPER}x", quoted=False)
    test: exp.Expr = exp.Column(this=variable.copy())
    if fields:
        test = exp.Dot(this=test, expression=_ident("c"))
    kept = exp.Anonymous(this="LIST_FILTER", expressions=[
        exp.Array(expressions=items), exp.Lambda(this=exp.Not(this=_is(test, None)), expressions=[variable.copy()])])
    long = _columns(_col("_line"), *carried, exp.Unnest(expressions=[kept]).as_(row, copy=False)).from_(
        copy=False, expression=_from(wide, f"{_HELPER}wide"))
    rows = _columns(_col("_line"), *[c.copy() for c in carried],
                    *([exp.Dot(this=_col(row), expression=_ident(name)).as_(f"{_HELPER}{name}", copy=False)
                       for name in ["c", *fields]] if fields else [_col(row).as_(f"{_HELPER}c", copy=False)])
                    ).from_(copy=False, expression=_from(long, f"{_HELPER}long"))

    def picked(what: str) -> exp.Expr | None:
        """A value only some clauses have, for each row (NULL for the others): a carried
        column, picked by the row's code (its clause's codes are pos × 4 … pos × 4 + 3)."""
        if not owners[what]:
            return None
        if len(owners[what]) <= _FEW_CARRIED:
            return _case([(exp.Between(this=_col(f"{_HELPER}c"), low=_int(c.pos * 4), high=_int(c.pos * 4 + 3)),
                           c.column(what)) for c in owners[what]])
        return _col(f"{_HELPER}{what}")

    # the codes' own columns (CODED_TYPES): what differs between applicants beyond the code
    varying = {"matter": picked("matter"), "v1": _col(f"{_HELPER}v1") if "v1" in fields else None,
               "v2": _col(f"{_HELPER}v2") if "v2" in fields else None, "payers": picked("payers")}
    present = tuple(name for name, value in varying.items() if value is not None)
    codes = _columns(_col("_line"), _cast(_col(f"{_HELPER}c"), CODED_TYPES["code"]).as_("code", copy=False),
                     *(_cast(varying[name], CODED_TYPES[name]).as_(name, copy=False)  # type: ignore[arg-type]
                       for name in present)).from_(copy=False, expression=_from(rows, f"{_HELPER}rows"))
    table = exp.Values(expressions=constants, alias=exp.TableAlias(
        this=_ident("_polc_clauses"), columns=[_ident(name) for name in _NARROW_CONSTANTS]))
    return CodedClauses(codes, ("_line", "code") + present, table, tuple(split_rules))


def _case_results(node: exp.Expr) -> set[int]:
    """The integers a CASE of integer literals (nested ones included) can give (none for NULL)."""
    if isinstance(node, exp.Case):
        found = {n for branch in node.args.get("ifs") or [] for n in _case_results(branch.args["true"])}
        return found | (_case_results(node.args["default"]) if node.args.get("default") is not None else set())
    if isinstance(node, exp.Literal) and not node.is_string:
        return {int(node.this)}
    return set()


NARROW_COLUMNS = ("_line", "pos", "matter", "applies", "paid", "kind", "amount_min", "amount_max", "could_pay", "reason",
                  "funding")
_NARROW_CONSTANTS = ("code", "pos", "applies", "paid", "kind", "could_pay", "reason", "static_matter", "split_no",
                     "stated_min", "stated_max", "min_from", "max_from")


# The columns of the codes (CodedClauses.codes), those beyond _line and code only when some
# clause needs them: a matter read from a fact, a second and third amount read per applicant
# (STRUCT fields v1, v2), the payers chosen by condition (a 分担 rule's number).
CODED_TYPES = {"_line": "BIGINT", "code": "INTEGER", "matter": "VARCHAR", "v1": MONEY_OUT, "v2": MONEY_OUT,
               "payers": "INTEGER"}


@attrs.frozen
class CodedClauses:
    """The narrow rows in two parts (_listed_narrow): `codes`, over the register, one row per
    listed (applicant, clause) with only what differs between applicants — `_line`, the code
    (pos × 4 + state) and the present `columns` of CODED_TYPES; and `states`, a VALUES table of
    one row per code (_NARROW_CONSTANTS: place, applies, paid, kind, ceiling, reason, stated
    matter and amounts, where the others come from). `rows()` joins them into NARROW_COLUMNS.
    The batch engine keeps the codes (a third of the bytes of the decoded rows, and cheaper to
    write) and reads the decoded rows through a view (sql_batch.Engine._clause_rows)."""
    codes: exp.Select
    columns: tuple[str, ...]
    table: exp.Values
    split_rules: tuple[tuple[model.Share, ...], ...]

    def states(self) -> exp.Select:
        """SELECT * of the VALUES table: its columns typed as the first row's typed NULLs make them."""
        return _columns(exp.Star()).from_(copy=False, expression=self.table.copy())

    def rows(self, codes: exp.Expr | None = None, states: exp.Expr | None = None) -> exp.Select:
        """NARROW_COLUMNS from `codes` joined with `states` on the code (tables, or by default
        the query's own codes and VALUES table)."""
        if codes is None:
            codes = _from(self.codes.copy(), f"{_HELPER}rows")
        else:
            codes = codes.copy()
            codes.set("alias", exp.TableAlias(this=_ident(f"{_HELPER}rows")))
        if states is None:
            source: exp.Expr = self.table.copy()
        else:
            source = states.copy()
            source.set("alias", exp.TableAlias(this=_ident("_polc_clauses")))

        def own(name: str) -> exp.Column:
            return _col(name, f"{_HELPER}rows")

        def amount(bound: str) -> exp.Expr:
            """min or max: the field the VALUES table names for the row's code (1: v1, 2: v2),
            else the amount it states (NULL where the clause does not apply)."""
            ifs = [(exp.EQ(this=_col(f"{bound}_from"), expression=_int(number)), own(field))
                   for number, field in enumerate(("v1", "v2"), 1) if field in self.columns]
            return _case(ifs, _col(f"stated_{bound}")) if ifs else _col(f"stated_{bound}")

        matter: exp.Expr = (exp.Coalesce(this=own("matter"), expressions=[_col("static_matter")])
                            if "matter" in self.columns else _col("static_matter"))
        split_of_row: exp.Expr = (exp.Coalesce(this=own("payers"), expressions=[_col("split_no")])
                                  if "payers" in self.columns else _col("split_no"))
        # typed as the contract's columns whatever the VALUES rows' literals make of them (a column
        # of DECIMAL literals alone is as wide as its widest literal)
        decided = _columns(
            own("_line"), _cast(_col("pos"), "INTEGER").as_("pos", copy=False),
            _cast(matter, "VARCHAR").as_("matter", copy=False), _cast(_col("applies"), "BOOLEAN").as_("applies", copy=False),
            _cast(_col("paid"), "BOOLEAN").as_("paid", copy=False), _cast(_col("kind"), "VARCHAR").as_("kind", copy=False),
            _cast(amount("min"), MONEY_OUT).as_("amount_min", copy=False),
            _cast(amount("max"), MONEY_OUT).as_("amount_max", copy=False),
            _cast(_col("could_pay"), MONEY_OUT).as_("could_pay", copy=False),
            _cast(_col("reason"), "VARCHAR").as_("reason", copy=False), split_of_row.as_(f"{_HELPER}split", copy=False),
        ).from_(copy=False, expression=codes)
        decided.set("joins", [exp.Join(this=source, on=exp.EQ(this=own("code"),
                                                              expression=_col("code", "_polc_clauses")))])
        funding_cases = [(exp.EQ(this=_col(f"{_HELPER}split"), expression=_int(number)),
                          _funding(rule, _col("amount_min"), _col("amount_max")))
                         for number, rule in enumerate(self.split_rules, 1)]
        funding = (_case([(_and(_col("paid"), exp.Not(this=_is(_col("amount_max"), None))), _case(funding_cases))],
                         _null("VARCHAR")) if funding_cases else _null("VARCHAR"))
        return _columns(*(_col(name) for name in NARROW_COLUMNS[:-1]),
                        _cast(funding, "VARCHAR").as_("funding", copy=False)
                        ).from_(copy=False, expression=_from(decided, f"{_HELPER}decided"))


def _empty_coded(source: exp.Expr) -> CodedClauses:
    """No row listed (narrow form): codes of no rows, and a VALUES table of one row of typed
    NULLs that no code joins (so that every column has its type)."""
    types = {"code": "INTEGER", "pos": "INTEGER", "applies": "BOOLEAN", "paid": "BOOLEAN", "kind": "VARCHAR",
             "could_pay": MONEY_OUT, "reason": "VARCHAR", "static_matter": "VARCHAR", "split_no": "INTEGER",
             "stated_min": MONEY_OUT, "stated_max": MONEY_OUT, "min_from": "INTEGER", "max_from": "INTEGER"}
    codes = _columns(_col("_line"), _null(CODED_TYPES["code"]).as_("code", copy=False)).from_(
        copy=False, expression=source).where(exp.Boolean(this=False), copy=False)
    table = exp.Values(expressions=[exp.Tuple(expressions=[_null(types[name]) for name in _NARROW_CONSTANTS])],
                       alias=exp.TableAlias(this=_ident("_polc_clauses"),
                                            columns=[_ident(name) for name in _NARROW_CONSTANTS]))
    return CodedClauses(codes, ("_line", "code"), table, ())


# The constants of each clause, joined to its rows by `pos` (the query's VALUES table).
_CONSTANTS = ("pos", "policy", "policy_index", "clause_index", "clause", "static_matter", "award_kind", "ceiling",
              "is_modifier", "split_no")


@attrs.define
class _ClauseColumns:
    """One clause's expressions in the wide row; its own columns are named `_polc_<pos>_<name>`.

    read: aliased, over the register row (conditions, values read more than once, payers,
    the start fact, 事项 按 X's fact, money facts offset); award: over `read` (known, lo, hi,
    the parts' tests); decided: over `award` (applies, a matter read from a fact, the amount
    paid now). The award's amounts are not blanked in the wide row: min and max are NULL
    unless the clause applies only once the rows are unnested (see bound)."""
    pos: int
    policy: model.PolicyModel
    policy_index: int
    clause: model.ClauseModel
    clause_index: int
    outside: bool
    kind: str | None
    split_no: int | None
    read: list[exp.Expr] = attrs.Factory(list)
    award: list[exp.Expr] = attrs.Factory(list)
    decided: list[exp.Expr] = attrs.Factory(list)
    amounts: dict[str, str] = attrs.Factory(dict)  # "min"/"max" -> the column that holds it (bound)
    stated: dict[str, exp.Expr] = attrs.Factory(dict)  # "min"/"max" -> its literal, the same for every applicant
    dynamic_matter: bool = False
    payers: bool = False
    fact_offsets: bool = False
    offset: bool = False  # its amounts are reduced by 抵扣 (the columns omin / omax)
    contested: bool = False  # takes part in 就高不重复 with another clause (then has a column paid)

    def name(self, what: str) -> str:
        return f"{_HELPER}{self.pos}_{what}"

    def column(self, what: str) -> exp.Column:
        return _col(self.name(what))

    @property
    def ceiling(self) -> Decimal | None:
        if self.clause.could_pay is None or self.clause.modifier is not None:
            return None
        return self.clause.could_pay.quantize(CENT, ROUND_HALF_UP)

    @property
    def static_matter(self) -> str | None:
        return self.clause.matter.name if self.clause.matter is not None else None

    @property
    def highest_only(self) -> bool:
        return self.policy.principle is model.Principle.HIGHEST_ONLY

    def applies_column(self) -> exp.Expr:
        return exp.Boolean(this=False) if self.outside else self.column("applies")

    def matter_of(self) -> exp.Expr:
        """The applicant's matter of the clause (a column when read from a fact)."""
        if self.dynamic_matter:
            return self.column("matter")
        return _str(self.static_matter) if self.static_matter is not None else _null("VARCHAR")

    def bound(self, bound: str) -> exp.Expr:
        """The award's min (what is paid now, with parts) or max column as awarded, whether
        or not the clause applies: read where it applies (paid, taking part in 就高不重复, an
        offset), and made NULL where it does not when the rows are unnested (the final
        SELECT), so the wide row has no layer of CASEs only to blank them. An exact award has
        one column for both; an award with no amount (or no maximum) none (NULL)."""
        name = self.amounts.get(bound)
        return self.column(name) if name is not None else _null(MONEY_OUT)

    def amount(self, bound: str) -> exp.Expr:
        """min or max as awarded (before offsets); NULL unless the clause applies once masked."""
        return _null(MONEY_OUT) if self.outside or self.kind is None else self.bound(bound)

    def final_column(self, bound: str) -> exp.Expr:
        return self.column("o" + bound) if self.offset else self.amount(bound)

    def awarded(self) -> exp.Expr:
        """applies and an award (runtime: an outcome that can be paid)."""
        if self.outside or self.kind is None:
            return exp.Boolean(this=False)
        return _is(self.column("applies"), True)

    def paid_column(self) -> exp.Expr:
        return self.column("paid") if self.contested else self.awarded()

    def narrow_constants(self, state: int, sources: dict, typed: bool) -> list[exp.Expr]:
        """_NARROW_CONSTANTS of the clause's rows in a state (_listed_narrow); sources: where its
        min and max come from (a STRUCT field's name, a stated literal, or NULL). Only the
        table's first row has typed NULLs: DuckDB gives each column of a VALUES table the type
        that holds every row's value, and a bare NULL binds in half the time of a CAST."""

        def _null(to: str) -> exp.Expr:
            return _cast(exp.Null(), to) if typed else exp.Null()

        applying = state in (PAID_STATE, NOT_PAID_STATE)
        ceiling = self.ceiling if state == UNDECIDABLE_STATE else None
        if state == UNDECIDABLE_STATE:
            reason = "undecidable"
        elif state == NOT_APPLICABLE_STATE:
            reason = "not_applicable"
        elif self.clause.modifier is not None:
            reason = "modifier"
        elif state == NOT_PAID_STATE:
            reason = "not_highest"
        else:
            reason = "routing" if self.kind == "routing" else "paid"
        stated = [source.copy() if applying and isinstance(source, exp.Expr) and _constant_value(source) is not None
                  else _null(MONEY_OUT) for source in (sources["min"], sources["max"])]
        taken = [_int(int(source[1:]) if applying and isinstance(source, str) else 0)
                 for source in (sources["min"], sources["max"])]
        applies = {PAID_STATE: exp.Boolean(this=True), NOT_PAID_STATE: exp.Boolean(this=True),
                   UNDECIDABLE_STATE: _null("BOOLEAN"), NOT_APPLICABLE_STATE: exp.Boolean(this=False)}[state]
        return [_int(self.pos * 4 + state), _int(self.pos - 1), applies, exp.Boolean(this=state == PAID_STATE),
                _str(self.kind) if applying and self.kind else _null("VARCHAR"),
                _decimal_literal(ceiling)[0] if ceiling is not None else _null(MONEY_OUT), _str(reason),
                _str(self.static_matter) if self.static_matter is not None else _null("VARCHAR"),
                _int(self.split_no) if self.split_no is not None else _null("INTEGER"), *stated, *taken]

    def constants(self) -> list[exp.Expr]:
        ceiling = self.ceiling
        return [_int(self.pos), _str(self.policy.docno), _int(self.policy_index), _int(self.clause_index),
                _str(self.clause.label),
                _str(self.static_matter) if self.static_matter is not None else _null("VARCHAR"),
                _str(self.kind) if self.kind else _null("VARCHAR"),
                _decimal_literal(ceiling)[0] if ceiling is not None else _null(MONEY_OUT),
                exp.Boolean(this=self.clause.modifier is not None),
                _int(self.split_no) if self.split_no is not None else _null("INTEGER")]


def _clause_columns(pos: int, policy: model.PolicyModel, policy_index: int, clause: model.ClauseModel,
                    clause_index: int, sql: _PolicySql, outside: bool,
                    split_no: "int | _PayerRuleNo | None") -> _ClauseColumns:
    """One clause's columns for every applicant: the values of CONTRACTS.md §2 before
    就高不重复, each computed once in the layer where it can be (see _ClauseColumns)."""
    prefix = f"{_HELPER}{pos}_"
    sql.bound = []
    sql.prefix = prefix
    is_modifier = clause.modifier is not None
    award = None if is_modifier or clause.award is None or outside else sql.award(clause)
    kind = None if is_modifier or clause.award is None else _award_kind(clause)
    if award is not None:
        assert award.kind == kind
    columns = _ClauseColumns(pos, policy, policy_index, clause, clause_index, outside, kind,
                             split_no if isinstance(split_no, int) else None)
    if outside:
        # not in force on the date, or an assessed year another policy governs: not applicable,
        # so no column at all (FALSE and NULLs where the rows are unnested)
        return columns
    c = columns.column
    static_matter = _str(clause.matter.name) if clause.matter is not None else _null("VARCHAR")
    read = [_conditions(sql, clause).as_(prefix + "c", copy=False)]
    duration = clause.duration
    start_fact = duration.start_fact if duration is not None else None
    timed = start_fact is not None and award is not None
    if timed and start_fact is not None:  # (timed implies it; said again for the type checker)
        read.append(sql.column(start_fact.name).as_(prefix + "start", copy=False))
    if clause.matter_by is not None and award is not None:
        read.append(sql.column(clause.matter_by.name).as_(prefix + "by", copy=False))
    # issue 13 (其中 … 待 条件): each part's condition, read like a tier's test
    part_tests = [sql.bind(sql.condition(part.condition, 0)) if part.condition is not None else None
                  for part in clause.parts] if award is not None else []
    if isinstance(split_no, _PayerRuleNo):  # issue 13: payers by condition, read from the applicant's row
        read.append(split_no.build().as_(prefix + "payers", copy=False))
        columns.payers = True
    read += [node.as_(name, copy=False) for name, node in sql.bound]
    fact_offsets = [offset.name for offset in clause.offsets if offset.source is model.OffsetSource.FACT]
    if fact_offsets and award is not None:
        read += [node.as_(prefix + name, copy=False) for name, node in _fact_offsets(sql, fact_offsets)]
        columns.fact_offsets = True
    columns.read = read
    holds = c("c")
    if award is None:  # a modifier: applies when its conditions hold, pays nothing itself
        columns.decided = [_cast(holds, "BOOLEAN").as_(prefix + "applies", copy=False)]
        return columns
    # the amounts, each computed once: an exact award's min is its max (AwardSql: the same value)
    amounts = []
    if award.low is not None:
        amounts.append(_cast(award.low, MONEY_OUT).as_(prefix + "lo", copy=False))
        columns.amounts["min"] = "lo"
        _note_stated(columns, "min", award.low)
    if award.kind == "exact" and award.low is not None:
        columns.amounts["max"] = "lo"
        _note_stated(columns, "max", award.low)
    elif award.high is not None:
        amounts.append(_cast(award.high, MONEY_OUT).as_(prefix + "hi", copy=False))
        columns.amounts["max"] = "hi"
        _note_stated(columns, "max", award.high)
    always_known = _constant_truth(award.known) is True  # a stated amount: no column, and applies is the conditions
    columns.award = [
        *([] if always_known else [_cast(award.known, "BOOLEAN").as_(prefix + "known", copy=False)]), *amounts,
        *(_cast(test, "BOOLEAN").as_(f"{prefix}part{i}", copy=False) for i, test in enumerate(part_tests)
          if test is not None)]
    known: exp.Expr = exp.Boolean(this=True) if always_known else c("known")
    within: exp.Expr = exp.Boolean(this=True)
    if timed:
        # runtime._within_duration: the assessed year in first … first + N − 1
        assert duration is not None
        start = c("start")
        lead = 1 if duration.start_next_year else 0
        first = exp.Add(this=start, expression=_int(lead))
        last = exp.Add(this=start.copy(), expression=_int(lead + duration.years - 1))
        within = _case([(_is(start.copy(), None), _null("BOOLEAN"))],
                       _and(exp.LTE(this=_p(first), expression=_int(sql.year)),
                            exp.LTE(this=_int(sql.year), expression=_p(last))))
    # the conditions unless they hold, then whether the award is known, then the duration
    # (with an award always known and no duration, that is the conditions themselves)
    applies = holds.copy() if always_known and not timed else _case(
        [(_not(_is(holds.copy(), True)), holds.copy())] + ([] if always_known else
                                                           [(_not(_is(known.copy(), True)), known.copy())]), within)
    decided = [_cast(applies, "BOOLEAN").as_(prefix + "applies", copy=False)]
    if clause.matter_by is not None:
        # 事项 按 X: a result that has an award takes the applicant's value of X as its matter
        outcome = _and(_is(holds.copy(), True), _is(known.copy(), True))
        matter = _case([(outcome, exp.Coalesce(this=c("by"), expressions=[static_matter.copy()]))], static_matter.copy())
        decided.append(_cast(matter, "VARCHAR").as_(prefix + "matter", copy=False))
        columns.dynamic_matter = True
    if clause.parts:  # issue 13: amount_min is what is paid now (runtime.in_parts; _ClauseColumns.bound)
        decided.append(_cast(_paid_now(clause.parts, columns.bound("min"), prefix), MONEY_OUT).as_(prefix + "now",
                                                                                                  copy=False))
        columns.amounts["min"] = "now"
        columns.stated.pop("min", None)
    columns.decided = decided
    return columns


def _constant_value(node: exp.Expr) -> exp.Literal | None:
    """The number literal of an amount decided when the query is built (num_cents of a constant
    is CAST(literal AS DECIMAL(38,2)), a long literal CAST to DECIMAL(38,s) itself), else None."""
    inner = node.this if isinstance(node, exp.Cast) else None
    if isinstance(inner, exp.Neg):
        inner = inner.this
    if isinstance(inner, exp.Cast):
        inner = inner.this
    return inner if isinstance(inner, exp.Literal) and not inner.is_string else None


def _note_stated(columns: _ClauseColumns, bound: str, node: exp.Expr) -> None:
    """Record an amount that is the same for every applicant (a stated amount)."""
    if _constant_value(node) is not None:
        columns.stated[bound] = node


def _award_kind(clause: model.ClauseModel) -> str:
    """The contract's award kind of a clause (AwardSql.kind, known without building the award)."""
    assert clause.award is not None
    form = clause.award.form
    match form:
        case model.UpTo():
            return "up_to"
        case model.Range():
            return "range"
        case model.CaseByCase():
            return "case_by_case"
        case model.Unspecified():
            return "unspecified"
        case model.Routing():
            return "routing"
        case model.AtLeast():
            return "at_least" if clause.award.cap is None else "range"
        case (model.Exact() | model.ByLevel() | model.ByTier() | model.PerItem() | model.ByRunYear() | model.ByTable()
              | model.ByBand() | model.EachTier() | model.Upgrade()):
            return "exact"
        case _:
            assert_never(form)


def _highest_only(clauses: list[_ClauseColumns]) -> list[exp.Expr]:
    """就高不重复 across policies (runtime.resolve), as columns `_polc_<n>_paid` of the clauses
    that can share a matter with another. Among the applicant's clauses of one matter that
    take part (apply, with an award, a matter), ranked as runtime._rank — an amount above
    一事一议/金额未定/routing, the greater maximum (a floor: its minimum) first, unknown last,
    then the earlier policy and clause — only the first is paid when any of them belongs to
    a 就高不重复 policy. Each comparison is an expression over the two clauses' columns: the
    ranking constants (kind, order) are known when the query is built."""
    could_be: list[set[str]] = []
    for clause in clauses:
        matters = {clause.static_matter} if clause.static_matter is not None else set()
        if clause.clause.matter_by is not None:
            matters |= set(clause.clause.matter_by.values)
        could_be.append(matters if not clause.outside and clause.kind is not None else set())
    shared = {m for i, ms in enumerate(could_be) for m in ms
              if any(m in other for j, other in enumerate(could_be) if j != i)}

    def participant(clause: _ClauseColumns) -> exp.Expr:
        """applies, with an award and a matter (the clauses here all have an award)."""
        if clause.dynamic_matter:
            return _and(_is(clause.column("applies"), True), exp.Not(this=_is(clause.column("matter"), None)))
        if clause.static_matter is not None:
            return _is(clause.column("applies"), True)
        return exp.Boolean(this=False)

    def same(j: _ClauseColumns, k: _ClauseColumns) -> exp.Expr | None:
        """j takes part in k's matter (None: never, known when the query is built)."""
        if not (j.dynamic_matter or k.dynamic_matter):
            if j.static_matter != k.static_matter:
                return None
            return participant(j)
        return _and(participant(j), _is(exp.EQ(this=_p(j.matter_of()), expression=_p(k.matter_of())), True))

    def rank_class(clause: _ClauseColumns) -> int:
        return 0 if clause.kind in _UNRANKED else 1

    def rank_amount(clause: _ClauseColumns) -> exp.Expr:
        if clause.amounts.get("max") == clause.amounts.get("min"):  # an exact award: one column
            return clause.bound("max")
        return exp.Coalesce(this=clause.bound("max"), expressions=[clause.bound("min")])

    def before(j: _ClauseColumns, k: _ClauseColumns) -> exp.Expr:
        """j ranks before k (both taking part in one matter)."""
        if rank_class(j) != rank_class(k):
            return exp.Boolean(this=rank_class(j) > rank_class(k))
        if rank_class(j) == 0:
            return exp.Boolean(this=j.pos < k.pos)  # equal ranks: the earlier policy and clause
        a_j, a_k = rank_amount(j), rank_amount(k)
        if j.pos < k.pos:  # greater first, unknown last; a tie to j
            return _or(_is(a_k, None), _is(exp.GTE(this=a_j, expression=a_k.copy()), True))
        return _and(exp.Not(this=_is(a_j, None)),
                    _or(_is(a_k, None), _is(exp.GT(this=a_j.copy(), expression=a_k.copy()), True)))

    columns: list[exp.Expr] = []
    for i, k in enumerate(clauses):
        if not (could_be[i] & shared):
            continue
        partners = [j for n, j in enumerate(clauses) if n != i and could_be[n] & could_be[i]]
        principle: list[exp.Expr] = []  # another 就高不重复 clause of the matter (k's own policy: always)
        ahead: list[exp.Expr] = []
        for j in partners:
            together = same(j, k)
            if together is None:
                continue
            if j.highest_only and not k.highest_only:
                principle.append(together)
            ahead.append(_and(together.copy(), before(j, k)))
        if not ahead or not (k.highest_only or principle):
            continue
        lost = _and(participant(k), *([] if k.highest_only else [_or(*principle)]), _or(*ahead))
        k.contested = True
        columns.append(_and(k.awarded(), _not(lost)).as_(k.name("paid"), copy=False))
    return columns


def _offsets(clauses: list[_ClauseColumns], policies: Sequence[model.PolicyModel]) -> list[exp.Expr]:
    """runtime.apply_offsets, after 就高不重复 and before the funding split: each paid clause
    with 抵扣 and an amount (exact, up_to, range) is reduced by its sources, read before any
    offset is applied (one pass), as columns `_polc_<n>_omin` / `_omax`.

    A matter source M is what the applicant is paid for M by every other clause of every
    policy: a paid amount adds its min to the least taken and its max to the most; a paid
    award with no stated amount (一事一议, 金额未定, a floor) and a clause that cannot be
    decided with no stated ceiling make the most unbounded; one that cannot be decided with a
    ceiling adds it to the most. A money fact adds its value (missing: unbounded). The award
    becomes max(0, min − most) (0 when unbounded) to max(0, max − least), rounded to 0.01 元
    half up, as the runtime."""
    zero = _cast(_int(0), FACT_DECIMAL)

    def of_matter(j: _ClauseColumns, matter: str) -> tuple[exp.Expr, exp.Expr, exp.Expr] | None:
        """j's part in matter source M: (least, most, unbounded); None when it never has one."""
        if j.outside or j.clause.modifier is not None:
            return None
        if j.dynamic_matter:
            is_m: exp.Expr = _is(exp.EQ(this=j.column("matter"), expression=_str(matter)), True)
        elif j.static_matter == matter:
            is_m = exp.Boolean(this=True)
        else:
            return None
        paid = j.paid_column()
        undecided = _and(is_m.copy(), _is(j.column("applies"), None))
        ceiling = j.ceiling
        if j.kind in _WITH_AMOUNT:
            with_amount = _and(is_m, paid)
            least = _case([(with_amount, j.bound("min"))], zero.copy())
            most = _case([(with_amount.copy(), j.bound("max"))] + (
                [(undecided, _decimal_literal(ceiling)[0])] if ceiling is not None else []), zero.copy())
            unbounded = undecided.copy() if ceiling is None else exp.Boolean(this=False)
        else:
            least = zero.copy()
            most = _case([(undecided, _decimal_literal(ceiling)[0])], zero.copy()) if ceiling is not None else zero.copy()
            unstated = _and(is_m.copy(), paid.copy()) if j.kind is not None and j.kind != "routing" \
                else exp.Boolean(this=False)
            unbounded = _or(unstated, undecided.copy()) if ceiling is None else unstated
        return least, most, unbounded

    def total(terms: list[exp.Expr]) -> exp.Expr:
        result = terms[0]
        for term in terms[1:]:
            result = exp.Add(this=_p(result), expression=_p(term))
        return result

    def at_least_zero(value: exp.Expr) -> exp.Expr:
        return _case([(exp.LT(this=_p(value), expression=_int(0)), zero.copy())], value.copy())

    columns: list[exp.Expr] = []
    for k in clauses:
        if not k.clause.offsets or k.outside or k.kind not in _WITH_AMOUNT:
            continue  # nothing to reduce (its amounts, if any, are as awarded)
        least_terms: list[exp.Expr] = [k.column("fact_lo") if k.fact_offsets else zero.copy()]
        most_terms: list[exp.Expr] = [k.column("fact_hi") if k.fact_offsets else zero.copy()]
        unbounded: list[exp.Expr] = []
        for offset in k.clause.offsets:
            if offset.source is not model.OffsetSource.MATTER:
                continue  # the money facts are in fact_lo / fact_hi, each once per offset written
            for j in clauses:
                part = of_matter(j, offset.name) if j is not k else None
                if part is None:
                    continue
                least_terms.append(part[0])
                most_terms.append(part[1])
                unbounded.append(part[2])
        least, most = total(least_terms), total(most_terms)
        if unbounded:
            most = _case([(_or(*unbounded), _null(FACT_DECIMAL))], most)
        reduced_min = _case([(_is(most, None), zero.copy())],
                            at_least_zero(exp.Sub(this=k.bound("min"), expression=_p(most.copy()))))
        reduced_max = at_least_zero(exp.Sub(this=k.bound("max"), expression=_p(least)))
        reduces = k.paid_column()
        columns.append(_cast(_case([(reduces, _cast(exp.Round(this=reduced_min, decimals=_int(2)), MONEY_OUT))],
                                   k.bound("min")), MONEY_OUT).as_(k.name("omin"), copy=False))
        columns.append(_cast(_case([(reduces.copy(), _cast(exp.Round(this=reduced_max, decimals=_int(2)), MONEY_OUT))],
                                   k.bound("max")), MONEY_OUT).as_(k.name("omax"), copy=False))
        k.offset = True
    return columns


def _fact_offsets(sql: _PolicySql, names: Sequence[str]) -> list[tuple[str, exp.Expr]]:
    """抵扣 F (money facts), read from the applicant's row as runtime._offset_by reads them:
    each value below 0 counts as 0; the least taken is the sum of the known values, the most
    is unbounded (NULL) as soon as one is missing (NULL + x is NULL)."""
    values = [_case([(exp.LT(this=sql.column(name), expression=_int(0)), _cast(_int(0), FACT_DECIMAL))],
                    _cast(sql.column(name), FACT_DECIMAL)) for name in names]
    def total(terms: list[exp.Expr]) -> exp.Expr:
        result = terms[0]
        for term in terms[1:]:
            result = exp.Add(this=_p(result), expression=_p(term))
        return result
    least = total([exp.Coalesce(this=value.copy(), expressions=[_cast(_int(0), FACT_DECIMAL)]) for value in values])
    return [("fact_lo", least), ("fact_hi", total(values))]


def _conditions(sql: _PolicySql, clause: model.ClauseModel) -> exp.Expr:
    """The Kleene and of a clause's conditions (TRUE when it has none)."""
    parts = [sql.condition(condition, 0) for condition in clause.conditions]
    return _and(*parts) if parts else exp.Boolean(this=True)


def _from(select: exp.Expr, alias: str) -> exp.Subquery:
    return exp.Subquery(this=select, alias=exp.TableAlias(this=_ident(alias)))


def _empty_clauses(register: str) -> exp.Select:
    """No clause is evaluated: a query of the right columns and no rows."""
    types = {"policy": "VARCHAR", "policy_index": "INTEGER", "clause_index": "INTEGER", "clause": "VARCHAR",
             "matter": "VARCHAR", "applies": "BOOLEAN", "paid": "BOOLEAN", "kind": "VARCHAR", "amount_min": MONEY_OUT,
             "amount_max": MONEY_OUT, "could_pay": MONEY_OUT, "reason": "VARCHAR", "funding": "VARCHAR"}
    return _columns(
        _col("_line"), _col("申请人"), *(_null(types[name]).as_(name, copy=False) for name in OUTPUT_COLUMNS[2:]),
    ).from_(copy=False, expression=exp.Table(this=_ident(register))).where(exp.Boolean(this=False), copy=False)


def dialect(name: str) -> Dialect:
    """The sqlglot dialect of that name; ValueError (with a suggestion) if there is none."""
    return Dialect.get_or_raise(name)


def to_sql(query: exp.Expr, dialect: str = DIALECT, pretty: bool = True) -> str:
    """The query as text in a dialect (DuckDB is the one tested). A construct the dialect
    cannot express raises SqlglotError rather than being written approximately."""
    return query.sql(dialect=dialect, pretty=pretty, copy=False, unsupported_level=ErrorLevel.RAISE)
