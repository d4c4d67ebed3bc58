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
  就高不重复 across policies is a window over the applicant's clauses that can share a
  matter; offsets (抵扣, runtime.apply_offsets) follow it, with window sums over the
  applicant's rows, read before any offset is applied; co-funding parts are rounded half
  up from the reduced amounts, the last payer taking the remainder.

Nothing from a policy or a register becomes SQL text except through sqlglot: names become
quoted identifiers, labels, 文号 and enumeration values string literals, numbers DECIMAL
literals made from Decimals.
"""

from __future__ import annotations

import datetime
import functools
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Iterable, Mapping, Sequence, assert_never

import attrs
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, SqlglotError

from . import model
from .model import Base

CENT = Decimal("0.01")
FACT_DECIMAL = "DECIMAL(38,6)"   # the register's numbers (CONTRACTS.md §4)
MONEY_OUT = "DECIMAL(38,2)"      # amounts in results: 元 with two places
DIALECT = "duckdb"               # the one dialect the tests run; sqlglot can write others
_ITEM = "_polc_item"             # the lambda variable for one item of a 逐项 fact
_HELPER = "_polc_"               # prefix of the query's own columns (never a fact's name)
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


def _and(*parts: exp.Expr) -> exp.Expr:
    result = parts[0]
    for part in parts[1:]:
        result = exp.And(this=_p(result), expression=_p(part))
    return result


def _or(*parts: exp.Expr) -> exp.Expr:
    result = parts[0]
    for part in parts[1:]:
        result = exp.Or(this=_p(result), expression=_p(part))
    return result


def _not(node: exp.Expr) -> exp.Expr:
    return exp.Not(this=_p(node))


def _is(node: exp.Expr, value: bool | None) -> exp.Expr:
    """node IS TRUE / IS FALSE / IS NULL: a test that is itself never unknown."""
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
    DECIMAL(38,2): runtime._rounded."""
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
    return num_case(num_compare(model.CompareOp.LT, a, _const(0)), _const(0), a)


def _capped(a: Num, cap: Num | None) -> Num:
    """runtime._apply_cap: the cap when the amount is over it."""
    if cap is None:
        return a
    return num_case(num_compare(model.CompareOp.GT, a, cap), cap, a)


def _is_null(a: Num) -> exp.Expr:
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
        self.read: set[str] = set()  # the register's columns the expressions read

    def column(self, name: str) -> exp.Column:
        """A column of the register (a fact, or a fact's year), noted as read."""
        self.read.add(name)
        return _col(name)

    def bind(self, node: exp.Expr) -> exp.Expr:
        """node computed once in the clause's inner SELECT; a reference to it for the outer."""
        if isinstance(node, exp.Literal):
            return node
        name = f"{_HELPER}v{len(self.bound) + 1}"
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
        value = num_cents(_capped(_nonnegative(self.scaled(clause, amount)), cap))
        return exp.Not(this=_is(amount.num, None)), value

    def award(self, clause: model.ClauseModel) -> AwardSql:
        award = clause.award
        assert award is not None
        cap = self.amount(award.cap) if award.cap is not None else None
        known_cap = exp.Not(this=_is_null(cap)) if cap is not None else None

        def with_cap(known: exp.Expr) -> exp.Expr:
            # an unknown cap makes the award unknown, before anything else is read (interpreter.award)
            if known_cap is None:
                return known
            return _case([(_not(known_cap), _null("BOOLEAN"))], known)

        def truth(expr: exp.Expr) -> exp.Expr:
            """TRUE when expr is, NULL otherwise: an amount's 'known' flag."""
            return _case([(expr, exp.Boolean(this=True))], _null("BOOLEAN"))

        form = award.form
        match form:
            case model.Exact(amount=amount_node):
                amount = self.amount(amount_node)
                known, value = self.exact(clause, amount, cap)
                return AwardSql("exact", with_cap(truth(known)), value, value)
            case model.UpTo(ceiling=ceiling_node):
                ceiling = self.amount(ceiling_node)
                value = num_cents(_capped(_nonnegative(self.scaled(clause, ceiling)), cap))
                return AwardSql("up_to", with_cap(truth(exp.Not(this=_is_null(ceiling)))),
                                _cast(_decimal_literal(Decimal("0.00"))[0], MONEY_OUT), value)
            case model.Range(low=low_node, high=high_node):
                low, high = self.amount(low_node), self.amount(high_node)
                known = _and(exp.Not(this=_is_null(low)), exp.Not(this=_is_null(high)))
                return AwardSql("range", with_cap(truth(known)),
                                num_cents(_capped(_nonnegative(self.scaled(clause, low)), cap)),
                                num_cents(_capped(_nonnegative(self.scaled(clause, high)), cap)))
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
                floor_cents = num_cents(_capped(_nonnegative(self.scaled(clause, floor)), cap))
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


def _paid_now(parts: tuple[model.Part, ...], low: exp.Expr) -> exp.Expr:
    """runtime.in_parts: the award's `min` becomes the sum of the parts paid now — due in the
    first year of payment, with a condition that holds (column _polc_part{i}) or none — each
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
            holds = _is(_col(f"_polc_part{position}"), True)
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


def applicant_clauses(policies: Sequence[model.PolicyModel], register: str, on: datetime.date,
                      years: Mapping[str, Iterable[int]] | None = None, only_listed: bool = False) -> exp.Select:
    """One row per (register row, evaluated clause of every policy), decided as the Python
    runtime decides it for that applicant on `on` (CONTRACTS.md §2). `register` names a table
    or view laid out as CONTRACTS.md §4; `years` gives, for each 逐年 fact, the years that
    have a column `名.年份` (any other year reads as unknown). With `only_listed`, the rows
    whose `applies` is false are left out (the compact batch output lists only the others);
    every other row is the same."""
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

    # -- every evaluated clause, per applicant
    # 就高不重复 needs a window over the applicant's clauses of one matter; only clauses that
    # can share a matter with another (the same 事项, or one that a 事项 按 X can take) go
    # through it, the others are paid as they are (most clauses name no matter).
    could_be: list[set[str]] = []
    for policy in policies:
        for clause in policy.evaluated_clauses:
            matters = {clause.matter.name} if clause.matter is not None else set()
            if clause.matter_by is not None:
                matters |= set(clause.matter_by.values)
            could_be.append(matters)
    offsetting = any(clause.offsets for policy in policies for clause in policy.evaluated_clauses)
    shared = {m for i, ms in enumerate(could_be) for m in ms if any(m in other for j, other in enumerate(could_be) if j != i)}
    contested: list[exp.Select] = []
    alone: list[exp.Select] = []
    position = 0
    splits: list[tuple[tuple[str, Decimal], ...]] = []  # distinct 分担 rules, by payer and share
    split_rules: list[tuple[model.Share, ...]] = []
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
            elif clause.payer_rules:  # issue 13: payers by condition (built inside the clause's SELECT)
                split_no = _PayerRuleNo(sql, clause, splits, split_rules)
            select = _clause_select(policy, policy_index, clause, clause_index, sql, outside, split_no, register,
                                    offsetting)
            (contested if could_be[position] & shared else alone).append(select)
            position += 1

    # -- across the applicant's clauses: 就高不重复 (runtime.resolve), then reasons and funding
    participant = _and(_is(_col("applies"), True), exp.Not(this=_is(_col("award_kind"), None)),
                       exp.Not(this=_is(_col("matter"), None)))
    rank_class = _case([(exp.In(this=_col("award_kind"), expressions=[_str(k) for k in
                                                                      ("case_by_case", "unspecified", "routing")]),
                         _int(0))], _int(1))
    window = exp.Window(this=exp.RowNumber(), partition_by=[_col("_line"), _col("matter"), _col("_polc_participant")],
                        order=exp.Order(expressions=[
                            exp.Ordered(this=_col("_polc_rank_class"), desc=True),
                            exp.Ordered(this=_col("_polc_rank_amount"), desc=True, nulls_first=False),
                            exp.Ordered(this=_col("policy_index")), exp.Ordered(this=_col("clause_index"))]))
    ranked = _columns(
        exp.Star(),
        participant.as_("_polc_participant", copy=False),
        rank_class.as_("_polc_rank_class", copy=False),
        # an at_least award (no maximum) ranks by its floor, as runtime._rank
        _case([(exp.EQ(this=rank_class.copy(), expression=_int(1)),
                exp.Coalesce(this=_col("amount_max"), expressions=[_col("amount_min")]))],
              _cast(_int(0), MONEY_OUT)).as_("_polc_rank_amount", copy=False),
    ).from_(copy=False, expression=_from(_union(contested, register, offsetting), "_polc_clauses"))
    # One window specification for both values (the same partition, order and a frame of the
    # whole partition for BOOL_OR), so DuckDB sorts the contested rows once; a place after the
    # first already means two members or more, so no COUNT window is needed.
    whole = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                           end="UNBOUNDED", end_side="FOLLOWING")
    principle_window = window.copy()
    principle_window.set("this", exp.Anonymous(this="BOOL_OR", expressions=[_col("highest_only")]))
    principle_window.set("spec", whole)
    # The window runs over the participants alone, narrow (keys and ranks, not the whole
    # result row), and its places join back to every contested row: sorting wide rows of
    # every contested clause was most of the query's time.
    places = _columns(
        _col("_line").as_("_polc_pl", copy=False), _col("policy_index").as_("_polc_pp", copy=False),
        _col("clause_index").as_("_polc_pc", copy=False),
        principle_window.as_("_polc_principle", copy=False),
        window.as_("_polc_place", copy=False),
    ).from_(copy=False, expression=_from(ranked.copy(), "_polc_ranked")).where(_col("_polc_participant"), copy=False)
    joined = exp.Join(this=_from(places, "_polc_places"), side="LEFT",
                      on=_and(exp.EQ(this=_col("_line", "_polc_ranked"), expression=_col("_polc_pl")),
                              exp.EQ(this=_col("policy_index", "_polc_ranked"), expression=_col("_polc_pp")),
                              exp.EQ(this=_col("clause_index", "_polc_ranked"), expression=_col("_polc_pc"))))
    resolved = _columns(
        exp.Column(this=exp.Star(), table=_ident("_polc_ranked")),
        exp.Coalesce(this=_col("_polc_principle", "_polc_places"), expressions=[exp.Boolean(this=False)]
                     ).as_("_polc_principle", copy=False),
        exp.Coalesce(this=_col("_polc_place", "_polc_places"), expressions=[_cast(_int(1), "BIGINT")]
                     ).as_("_polc_place", copy=False),
    ).from_(copy=False, expression=_from(ranked, "_polc_ranked"))
    resolved.set("joins", [joined])
    unresolved = _columns(
        exp.Star(),
        exp.Boolean(this=False).as_("_polc_participant", copy=False),
        _int(1).as_("_polc_rank_class", copy=False),
        _null(MONEY_OUT).as_("_polc_rank_amount", copy=False),
        exp.Boolean(this=False).as_("_polc_principle", copy=False),
        _cast(_int(1), "BIGINT").as_("_polc_place", copy=False),
    ).from_(copy=False, expression=_from(_union(alone, register, offsetting), "_polc_alone"))
    every = exp.Union(this=resolved, expression=unresolved, distinct=False)
    lost = _and(_col("_polc_principle"), exp.GT(this=_col("_polc_place"), expression=_int(1)))
    awarded = _and(_is(_col("applies"), True), exp.Not(this=_is(_col("award_kind"), None)))
    paid = _and(awarded, _not(_and(_col("_polc_participant"), lost)))
    reason = _case([
        (_is(_col("applies"), None), _str("undecidable")),
        (_not(_col("applies")), _str("not_applicable")),
        (_col("is_modifier"), _str("modifier")),
        (_not(paid), _str("not_highest")),
        (exp.EQ(this=_col("kind"), expression=_str("routing")), _str("routing")),
    ], _str("paid"))
    funding_cases = [(exp.EQ(this=_col("split_no"), expression=_int(number)),
                      _funding(split, _col("amount_min"), _col("amount_max")))
                     for number, split in enumerate(split_rules, 1)]
    funding = (_case([(_and(paid, exp.Not(this=_is(_col("amount_max"), None))), _case(funding_cases))],
                     _null("VARCHAR")) if funding_cases else _null("VARCHAR"))
    final = _columns(
        _col("_line"), _col("申请人"), _col("policy"), _col("policy_index"), _col("clause_index"), _col("clause"),
        _col("matter"), _col("applies"), _cast(paid, "BOOLEAN").as_("paid", copy=False), _col("kind"), _col("amount_min"),
        _col("amount_max"), _col("could_pay"), reason.as_("reason", copy=False), _cast(funding, "VARCHAR").as_("funding", copy=False),
    ).from_(copy=False, expression=_from(_offsets_applied(every, policies, paid, only_listed)
                                         if offsetting else every, "_polc_resolved"))
    if only_listed:
        # A clause that does not apply takes no part in 就高不重复 (not a participant) and pays
        # nothing, so leaving its rows out changes no other row. DuckDB pushes the filter into
        # each clause's SELECT (a clause not in force drops out whole).
        final = final.where(exp.Not(this=_is(_col("applies"), False)), copy=False)
    return final


# ---------------------------------------------------------------- issue 13: offsets (抵扣)
_WITH_AMOUNT = ("exact", "up_to", "range")  # runtime._WITH_AMOUNT: the kinds with a stated amount


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
    return [("_polc_fact_lo", least), ("_polc_fact_hi", total(values))]


def _offset_fact_columns(reads_facts: bool) -> tuple[exp.Expr, ...]:
    """The two columns every clause's SELECT has when some clause offsets: what its money-fact
    sources take off at least and at most (0 and 0 for a clause with none)."""
    zero = _cast(_int(0), FACT_DECIMAL)
    return (_cast(_col("_polc_fact_lo") if reads_facts else zero, FACT_DECIMAL).as_("_polc_fact_lo", copy=False),
            _cast(_col("_polc_fact_hi") if reads_facts else zero.copy(), FACT_DECIMAL).as_("_polc_fact_hi", copy=False))


_OFFSET_CARRIED = ("_line", "申请人", "policy", "policy_index", "clause_index", "clause", "matter", "applies",
                   "award_kind", "kind", "could_pay", "is_modifier", "split_no",
                   "_polc_participant", "_polc_principle", "_polc_place")


def _offsets_applied(every: exp.Expr, policies: Sequence[model.PolicyModel], paid: exp.Expr,
                     only_listed: bool) -> exp.Select:
    """runtime.apply_offsets over the applicant's rows, after 就高不重复 and before the
    funding split: each paid clause with 抵扣 and an amount (exact, up_to, range) is reduced
    by its sources, read before any offset is applied (one pass).

    A matter source M is what the applicant is paid for M by every other clause of every
    policy (windows partitioned by `_line`, less the row's own part): a paid amount adds its
    min to the least taken and its max to the most; a paid award with no stated amount
    (一事一议, 金额未定, a floor) and a clause that cannot be decided with no stated ceiling make
    the most unbounded; one that cannot be decided with a ceiling adds it to the most. A money
    fact adds its value (missing: unbounded). The award becomes max(0, min − most) (0 when
    unbounded) to max(0, max − least), rounded to 0.01 元 half up, as the runtime."""
    zero_money = _cast(_int(0), MONEY_OUT)
    amounts = _or(*(exp.EQ(this=_col("award_kind"), expression=_str(kind)) for kind in _WITH_AMOUNT))
    has_amount = _and(_col("_polc_paid"), amounts)
    unstated = _and(_col("_polc_paid"), exp.Not(this=_is(_col("award_kind"), None)), _not(amounts.copy()),
                    exp.NEQ(this=_col("award_kind"), expression=_str("routing")))
    undecided = _and(_is(_col("applies"), None), _not(_col("is_modifier")))

    def of_matter(matter: str) -> tuple[exp.Expr, exp.Expr, exp.Expr]:
        """A row's part in matter source M: (least, most, unbounded 0/1); 0 when not of M."""
        is_m = _is(exp.EQ(this=_col("matter"), expression=_str(matter)), True)
        least = _case([(_and(is_m, has_amount.copy()), _col("amount_min"))], zero_money.copy())
        most = _case([(_and(is_m.copy(), has_amount.copy()), _col("amount_max")),
                      (_and(is_m.copy(), undecided.copy(), exp.Not(this=_is(_col("could_pay"), None))), _col("could_pay"))],
                     zero_money.copy())
        unbounded = _case([(_and(is_m.copy(), _or(unstated.copy(), _and(undecided.copy(), _is(_col("could_pay"), None)))),
                            _int(1))], _int(0))
        return least, most, unbounded

    matters = sorted({offset.name for policy in policies for clause in policy.evaluated_clauses
                      for offset in clause.offsets if offset.source is model.OffsetSource.MATTER})
    with_paid = _columns(
        *(_col(name) for name in _OFFSET_CARRIED), _col("amount_min"), _col("amount_max"),
        _col("_polc_fact_lo"), _col("_polc_fact_hi"), _cast(paid.copy(), "BOOLEAN").as_("_polc_paid", copy=False),
    ).from_(copy=False, expression=_from(every, "_polc_every"))
    if only_listed:  # rows that do not apply are no source (neither paid nor undecidable): leave them out first
        with_paid = with_paid.where(exp.Not(this=_is(_col("applies"), False)), copy=False)
    # Sums over the applicant's rows: one window (PARTITION BY _line) per value; a row's own
    # part is taken off again below, since a clause is never its own source.
    sums: list[exp.Expr] = []
    for number, matter in enumerate(matters):
        for part, value in zip(("lo", "hi", "open"), of_matter(matter)):
            window = exp.Window(this=exp.Sum(this=value), partition_by=[_col("_line")])
            sums.append(window.as_(f"_polc_m{number}_{part}", copy=False))
    windowed = _columns(exp.Star(), *sums).from_(copy=False, expression=_from(with_paid, "_polc_paid_rows"))

    def taken(clause: model.ClauseModel) -> tuple[exp.Expr, exp.Expr]:
        """(least, most — NULL when unbounded) the clause's sources take off, as DECIMAL(38,6)."""
        least: exp.Expr = _col("_polc_fact_lo")
        most: exp.Expr = _col("_polc_fact_hi")
        unbounded: list[exp.Expr] = []
        for offset in clause.offsets:
            if offset.source is not model.OffsetSource.MATTER:
                continue  # the money facts are in _polc_fact_lo/_hi, each once per offset written
            number = matters.index(offset.name)
            own_lo, own_hi, own_open = of_matter(offset.name)
            least = exp.Add(this=_p(least), expression=exp.Paren(this=exp.Sub(
                this=_col(f"_polc_m{number}_lo"), expression=_p(own_lo))))
            most = exp.Add(this=_p(most), expression=exp.Paren(this=exp.Sub(
                this=_col(f"_polc_m{number}_hi"), expression=_p(own_hi))))
            unbounded.append(exp.GT(this=exp.Paren(this=exp.Sub(this=_col(f"_polc_m{number}_open"), expression=_p(own_open))),
                                    expression=_int(0)))
        if unbounded:
            most = _case([(_or(*unbounded), _null(FACT_DECIMAL))], most)
        return least, most

    def at_least_zero(value: exp.Expr) -> exp.Expr:
        return _case([(exp.LT(this=_p(value), expression=_int(0)), _cast(_int(0), FACT_DECIMAL))], value.copy())

    low_cases: list[tuple[exp.Expr, exp.Expr]] = []
    high_cases: list[tuple[exp.Expr, exp.Expr]] = []
    for policy_index, policy in enumerate(policies, 1):
        for clause_index, clause in enumerate(policy.evaluated_clauses, 1):
            if not clause.offsets:
                continue
            this_clause = _and(exp.EQ(this=_col("policy_index"), expression=_int(policy_index)),
                               exp.EQ(this=_col("clause_index"), expression=_int(clause_index)), has_amount.copy())
            least, most = taken(clause)
            reduced_min = _case([(_is(most, None), _cast(_int(0), FACT_DECIMAL))],
                                at_least_zero(exp.Sub(this=_col("amount_min"), expression=_p(most.copy()))))
            reduced_max = at_least_zero(exp.Sub(this=_col("amount_max"), expression=_p(least)))
            low_cases.append((this_clause, _cast(exp.Round(this=reduced_min, decimals=_int(2)), MONEY_OUT)))
            high_cases.append((this_clause.copy(), _cast(exp.Round(this=reduced_max, decimals=_int(2)), MONEY_OUT)))
    return _columns(
        *(_col(name) for name in _OFFSET_CARRIED),
        _cast(_case(low_cases, _col("amount_min")), MONEY_OUT).as_("amount_min", copy=False),
        _cast(_case(high_cases, _col("amount_max")), MONEY_OUT).as_("amount_max", copy=False),
    ).from_(copy=False, expression=_from(windowed, "_polc_sources"))


def _conditions(sql: _PolicySql, clause: model.ClauseModel) -> exp.Expr:
    """The Kleene and of a clause's conditions (TRUE when it has none)."""
    parts = [sql.condition(condition, 0) for condition in clause.conditions]
    return _and(*parts) if parts else exp.Boolean(this=True)


def _from(select: exp.Expr, alias: str) -> exp.Subquery:
    return exp.Subquery(this=select, alias=exp.TableAlias(this=_ident(alias)))


def _clause_select(policy: model.PolicyModel, policy_index: int, clause: model.ClauseModel, clause_index: int,
                   sql: _PolicySql, outside: bool, split_no: "int | _PayerRuleNo | exp.Expr | None",
                   register: str, offsetting: bool = False) -> exp.Select:
    """One clause for every applicant: the columns of CONTRACTS.md §2 before 就高不重复,
    plus what the resolution needs (award_kind, highest_only, is_modifier, split_no).

    Built in steps, each a SELECT over the one before, so that every value is written (and
    computed) once: (1) from the applicant's row, the conditions and the values the award
    reads; (2) the award: known or not, its amounts; (3) whether the clause applies, its
    matter, and the result columns."""
    sql.bound = []
    if outside and isinstance(split_no, _PayerRuleNo):  # not applicable: pays nothing, so no payers
        split_no = None
    static_matter = _str(clause.matter.name) if clause.matter is not None else _null("VARCHAR")
    is_modifier = clause.modifier is not None
    applicant = exp.Table(this=_ident(register))
    keys = [_col("_line"), _col("申请人")]
    award = None if is_modifier or clause.award is None else sql.award(clause)
    kind = award.kind if award is not None else None
    # issue 13 (抵扣 F, F a money fact): what the facts take off, read from the applicant's row
    fact_offsets = [offset.name for offset in clause.offsets if offset.source is model.OffsetSource.FACT]
    reads_facts = bool(fact_offsets) and award is not None and not outside
    if outside:
        # not in force on the date, or an assessed year another policy governs: not applicable
        applies: exp.Expr = exp.Boolean(this=False)
        matter: exp.Expr = static_matter
        low: exp.Expr = _null(MONEY_OUT)
        high: exp.Expr = _null(MONEY_OUT)
        source: exp.Expr = applicant
    else:
        read = [*keys, _conditions(sql, clause).as_("_polc_c", copy=False)]
        if isinstance(split_no, _PayerRuleNo):  # issue 13: payers by condition
            split_no = split_no.build()
        duration = clause.duration
        start_fact = duration.start_fact if duration is not None else None
        timed = start_fact is not None and award is not None
        if start_fact is not None and award is not None:
            read.append(sql.column(start_fact.name).as_("_polc_start", copy=False))
        if clause.matter_by is not None and award is not None:
            read.append(sql.column(clause.matter_by.name).as_("_polc_by", copy=False))
        # issue 13 (其中 … 待 条件): each part's condition, read in step 1 like a tier's test
        part_tests = [sql.bind(sql.condition(part.condition, 0)) if part.condition is not None else None
                      for part in clause.parts] if award is not None else []
        read += [node.as_(name, copy=False) for name, node in sql.bound]
        if reads_facts:
            read += [node.as_(name, copy=False) for name, node in _fact_offsets(sql, fact_offsets)]
        conditional_payers = isinstance(split_no, exp.Expr)
        if conditional_payers:  # issue 13: payers by condition, read from the applicant's row here
            assert isinstance(split_no, exp.Expr)
            read.append(split_no.as_("_polc_payers", copy=False))
            split_no = _col("_polc_payers")
        step1 = _columns(*read).from_(copy=False, expression=applicant)
        holds = _col("_polc_c")
        if award is None:  # a modifier: applies when its conditions hold, pays nothing itself
            applies, matter, low, high = holds, static_matter, _null(MONEY_OUT), _null(MONEY_OUT)
            source = _from(step1, "_polc_read")
        else:
            carried = [*keys, holds] + ([_col("_polc_start")] if timed else []) + (
                [_col("_polc_by")] if clause.matter_by is not None else []) + (
                [_col("_polc_payers")] if conditional_payers else []) + (
                [_col("_polc_fact_lo"), _col("_polc_fact_hi")] if reads_facts else [])
            step2 = _columns(*carried, _cast(award.known, "BOOLEAN").as_("_polc_known", copy=False),
                               _cast(award.low if award.low is not None else _null(), MONEY_OUT).as_("_polc_lo", copy=False),
                               _cast(award.high if award.high is not None else _null(), MONEY_OUT).as_("_polc_hi", copy=False),
                               *(_cast(test, "BOOLEAN").as_(f"_polc_part{i}", copy=False)
                                 for i, test in enumerate(part_tests) if test is not None),
                               ).from_(copy=False, expression=_from(step1, "_polc_read"))
            known = _col("_polc_known")
            within: exp.Expr = exp.Boolean(this=True)
            if timed:
                # runtime._within_duration: the assessed year in first … first + N − 1
                assert duration is not None
                start = _col("_polc_start")
                lead = 1 if duration.start_next_year else 0
                first = exp.Add(this=start, expression=_int(lead))
                last = exp.Add(this=start.copy(), expression=_int(lead + duration.years - 1))
                within = _case([(_is(start.copy(), None), _null("BOOLEAN"))],
                               _and(exp.LTE(this=_p(first), expression=_int(sql.year)),
                                    exp.LTE(this=_int(sql.year), expression=_p(last))))
            applies = _case([(_not(_is(holds.copy(), True)), holds.copy()),
                             (_not(_is(known.copy(), True)), known.copy())], within)
            matter = static_matter
            if clause.matter_by is not None:
                # 事项 按 X: a result that has an award takes the applicant's value of X as its matter
                outcome = _and(_is(holds.copy(), True), _is(known.copy(), True))
                matter = _case([(outcome, exp.Coalesce(this=_col("_polc_by"), expressions=[static_matter.copy()]))],
                               static_matter.copy())
            low, high = _col("_polc_lo"), _col("_polc_hi")
            if clause.parts:  # issue 13: amount_min is what is paid now (runtime.in_parts)
                low = _paid_now(clause.parts, low)
            source = _from(step2, "_polc_award")
    if_applies = _is(applies.copy(), True)
    could_pay: exp.Expr = _null(MONEY_OUT)
    if clause.could_pay is not None and not is_modifier:
        bound = _decimal_literal(clause.could_pay.quantize(CENT, ROUND_HALF_UP))[0]
        could_pay = _case([(_is(applies.copy(), None), bound)])
    principle = policy.principle is model.Principle.HIGHEST_ONLY
    return _columns(
        *keys,
        _str(policy.docno).as_("policy", copy=False),
        _cast(_int(policy_index), "INTEGER").as_("policy_index", copy=False),
        _cast(_int(clause_index), "INTEGER").as_("clause_index", copy=False),
        _str(clause.label).as_("clause", copy=False),
        _cast(matter, "VARCHAR").as_("matter", copy=False),
        _cast(applies, "BOOLEAN").as_("applies", copy=False),
        _cast(_str(kind) if kind else _null(), "VARCHAR").as_("award_kind", copy=False),
        _cast(_case([(if_applies, _str(kind))]) if kind else _null(), "VARCHAR").as_("kind", copy=False),
        _cast(_case([(if_applies.copy(), low)]), MONEY_OUT).as_("amount_min", copy=False),
        _cast(_case([(if_applies.copy(), high)]), MONEY_OUT).as_("amount_max", copy=False),
        _cast(could_pay, MONEY_OUT).as_("could_pay", copy=False),
        exp.Boolean(this=principle).as_("highest_only", copy=False),
        exp.Boolean(this=is_modifier).as_("is_modifier", copy=False),
        _cast(split_no if isinstance(split_no, exp.Expr) else _int(split_no) if isinstance(split_no, int) else _null(),
              "INTEGER").as_("split_no", copy=False),
        *(_offset_fact_columns(reads_facts) if offsetting else ()),
    ).from_(copy=False, expression=source)


def _union(selects: list[exp.Select], register: str, offsetting: bool = False) -> exp.Expr:
    """UNION ALL of the selects (a query with no rows when there are none)."""
    if not selects:
        return _empty_clauses(register, offsetting)
    union: exp.Expr = selects[0]
    for select in selects[1:]:
        union = exp.Union(this=union, expression=select, distinct=False)
    return union


def _empty_clauses(register: str, offsetting: bool = False) -> exp.Select:
    """No clause is evaluated: a query of the right columns and no rows."""
    return _columns(
        _col("_line"), _col("申请人"), _null("VARCHAR").as_("policy", copy=False), _null("INTEGER").as_("policy_index", copy=False),
        _null("INTEGER").as_("clause_index", copy=False), _null("VARCHAR").as_("clause", copy=False), _null("VARCHAR").as_("matter", copy=False),
        _null("BOOLEAN").as_("applies", copy=False), _null("VARCHAR").as_("award_kind", copy=False), _null("VARCHAR").as_("kind", copy=False),
        _null(MONEY_OUT).as_("amount_min", copy=False), _null(MONEY_OUT).as_("amount_max", copy=False), _null(MONEY_OUT).as_("could_pay", copy=False),
        exp.Boolean(this=False).as_("highest_only", copy=False), exp.Boolean(this=False).as_("is_modifier", copy=False),
        _null("INTEGER").as_("split_no", copy=False),
        *(_offset_fact_columns(False) if offsetting else ()),
    ).from_(copy=False, expression=exp.Table(this=_ident(register))).where(exp.Boolean(this=False), copy=False)


def dialect(name: str) -> Dialect:
    """The sqlglot dialect of that name; ValueError (with a suggestion) if there is none."""
    return Dialect.get_or_raise(name)


def to_sql(query: exp.Expr, dialect: str = DIALECT, pretty: bool = True) -> str:
    """The query as text in a dialect (DuckDB is the one tested). A construct the dialect
    cannot express raises SqlglotError rather than being written approximately."""
    return query.sql(dialect=dialect, pretty=pretty, copy=False, unsupported_level=ErrorLevel.RAISE)
