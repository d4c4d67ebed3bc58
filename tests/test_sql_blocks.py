"""The SQL backend's building blocks, each against the runtime function it stands for:
Kleene logic, rounding to cents half up, exact quotients (compared, floored, rounded),
first-time crossings and runs of years over yearly columns. Run in DuckDB, the tested
dialect."""

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from compiler import model, runtime, to_sql
from compiler.model import Base, CompareOp

CONNECTION = duckdb.connect()
OPS = list(CompareOp)


def value_of(node: exp.Expression):
    return CONNECTION.execute("SELECT " + node.sql(dialect="duckdb")).fetchone()[0]


def literal(value: Decimal | None) -> to_sql.Num:
    """A DECIMAL(38,6) value as the register holds it (NULL for None)."""
    if value is None:
        return to_sql.Num(to_sql._null(to_sql.FACT_DECIMAL), 6)
    return to_sql.Num(to_sql._cast(exp.Literal.number(format(value, "f")), to_sql.FACT_DECIMAL), 6)


# Register values: at most six decimals, below 10^15, and the awkward ones (halves of a cent,
# zero, negatives) often.
register_values = st.one_of(
    st.decimals(min_value=-10 ** 6, max_value=10 ** 6, places=6, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("0"), Decimal("0.005"), Decimal("-0.005"), Decimal("0.015"), Decimal("2.675"),
                     Decimal("1.5"), Decimal("0.1"), Decimal("3"), Decimal("-7")]),
    st.integers(-10 ** 14, 10 ** 14).map(Decimal),
)


@pytest.mark.parametrize("left", [True, False, None])
@pytest.mark.parametrize("right", [True, False, None])
def test_sql_and_or_not_are_the_runtimes_kleene_logic(left, right):
    def boolean(value):
        return to_sql._null("BOOLEAN") if value is None else exp.Boolean(this=value)
    assert value_of(to_sql._and(boolean(left), boolean(right))) is runtime.kleene_and(left, right)
    assert value_of(to_sql._or(boolean(left), boolean(right))) is runtime.kleene_or(left, right)
    assert value_of(to_sql._not(boolean(left))) is runtime.kleene_not(left)


@settings(max_examples=150, deadline=None)
@given(register_values)
def test_cents_round_half_up_as_the_runtime(value):
    assert value_of(to_sql.num_cents(literal(value))) == runtime._rounded(value)


# A quotient is compared by multiplying out (a/b > c is a > c·b), so the operands' digits add
# up: values to 10^9 with six decimals stay inside DECIMAL(38) (growth rates and ratios of
# counts, the quotients the policies have, are far inside it).
quotient_values = st.one_of(
    st.decimals(min_value=-10 ** 9, max_value=10 ** 9, places=6, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("0"), Decimal("0.005"), Decimal("3"), Decimal("-7"), Decimal("0.1"), Decimal("1.5")]))


@settings(max_examples=150, deadline=None)
@given(quotient_values, quotient_values, quotient_values, st.sampled_from(OPS))
def test_quotients_are_exact_compared_floored_and_rounded_as_the_runtime(a, b, c, op):
    quotient = to_sql.num_div(literal(a), literal(b))
    expected = runtime.div(a, b)  # None when b is 0
    assert value_of(to_sql.num_floor(quotient).num) == runtime.floor(expected)
    assert value_of(to_sql.num_cents(quotient)) == runtime._rounded(expected)
    compared = value_of(to_sql.num_compare(op, quotient, literal(c)))
    assert compared == (None if expected is None else runtime._COMPARE[op.value](expected, c))

@settings(max_examples=100, deadline=None)
@given(*(st.decimals(min_value=-10 ** 5, max_value=10 ** 5, places=4) for _ in range(3)), st.sampled_from(OPS))
def test_sums_of_quotients_compare_exactly_as_the_runtime(a, b, c, op):
    """Both sides fractions, and arithmetic on them: (a/b) + c against c/b. Each step
    multiplies scales, so a formula of several quotients over large values can outgrow
    DECIMAL(38): DuckDB then stops with an overflow error, never a rounded answer."""
    quotient = to_sql.num_div(literal(a), literal(b))
    expected = runtime.div(a, b)
    other = to_sql.num_div(literal(c), literal(b))
    total = to_sql.num_add(quotient, literal(c))
    want = None if expected is None else runtime._COMPARE[op.value](expected + c, runtime.div(c, b))
    assert value_of(to_sql.num_compare(op, total, other)) == want


@settings(max_examples=100, deadline=None)
@given(register_values, st.one_of(st.none(), register_values), st.one_of(st.none(), st.sampled_from(
    [Decimal("1.5"), Decimal("2"), Decimal("0.5")])))
def test_exact_award_floors_scales_caps_and_rounds_once_as_the_runtime(amount, cap, factor):
    run = runtime.Run({}, 2020, (factor, "系数") if factor is not None else None)
    expected = runtime.exact(run, amount, cap, "cap")
    num = literal(amount)
    if factor is not None:
        num = to_sql.num_mul(num, to_sql._const(factor))
    got = value_of(to_sql.num_cents(to_sql._capped(to_sql._nonnegative(num), literal(cap) if cap is not None else None)))
    assert got == expected.min == expected.max


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.none(), register_values), st.one_of(st.none(), register_values),
       st.one_of(st.none(), st.sampled_from([Decimal("1.5"), Decimal("0.5")])))
def test_an_award_against_a_stated_cap_and_stated_amounts_decided_when_built_as_the_runtime(amount, cap, factor):
    """_bounded (one CASE for the floor at 0 and a stated cap, what the query builds for an
    amount read from the register) and the constants folded in Python (a stated amount, a
    stated cap: floored, capped and rounded half up when the query is built) give what
    runtime.exact gives, unknown included."""
    run = runtime.Run({}, 2020, (factor, "系数") if factor is not None else None)
    stated_cap = to_sql._const(cap) if cap is not None else None
    award = runtime.exact(run, amount, cap, "cap")
    expected = award.min if award is not None else None  # no award: the amount is unknown
    num = literal(amount)
    if factor is not None:
        num = to_sql.num_mul(num, to_sql._const(factor))
    assert value_of(to_sql.num_cents(to_sql._bounded(num, stated_cap))) == expected
    if amount is not None:
        stated = to_sql._const(amount)
        if factor is not None:
            stated = to_sql.num_mul(stated, to_sql._const(factor))
        folded = to_sql.num_cents(to_sql._bounded(stated, stated_cap))
        assert folded.find(exp.Column) is None and folded.find(exp.Case) is None  # decided when built
        assert value_of(folded) == expected


FACT = model.Fact("营业收入", model.Type(Base.MONEY, series=True))
POLICY = model.PolicyModel(docno="测试〔2020〕1号", path="x.pol")
YEARS = (2015, 2016, 2017, 2018, 2019, 2020)
series_values = st.dictionaries(st.sampled_from(YEARS), st.one_of(
    st.sampled_from([Decimal(100), Decimal(110), Decimal(99), Decimal(0), Decimal("115.5")]),
    st.decimals(0, 1000, places=2)), max_size=6)


def evaluate_condition(condition: model.Expr, series: dict, year: int):
    """The condition in SQL over a one-row table with the series as 营业收入.<year> columns."""
    columns = ", ".join(f'CAST({("NULL" if series.get(y) is None else format(series[y], "f"))} AS DECIMAL(38,6)) '
                        f'AS "营业收入.{y}"' for y in YEARS)
    sql = to_sql._PolicySql(POLICY, year, {FACT.name: YEARS}, lambda matter: None)
    predicate = sql.condition(condition, 0).sql(dialect="duckdb")
    return CONNECTION.execute(f"SELECT {predicate} FROM (SELECT {columns})").fetchone()[0]


@settings(max_examples=120, deadline=None)
@given(series_values, st.sampled_from([Decimal(100), Decimal(110), Decimal(0)]), st.sampled_from(OPS),
       st.sampled_from([2018, 2019, 2020, 2021]))
def test_first_time_crossing_over_year_columns_as_the_runtime(series, threshold, op, year):
    condition = model.Compare(op, model.FactRef(FACT, FACT.name), model.Constant(threshold, model.Type(Base.MONEY), "t"),
                              "首次", "首次", first_time=True, kind=Base.MONEY)
    run = runtime.Run({FACT.name: series}, year)
    assert evaluate_condition(condition, series, year) == run.first_time("t", op.value, FACT.name, threshold, "money", 0)


@settings(max_examples=120, deadline=None)
@given(series_values, st.sampled_from([Decimal("0.1"), Decimal("0"), Decimal("0.155")]), st.integers(1, 4),
       st.sampled_from([2019, 2020, 2021]))
def test_run_of_years_of_growth_over_year_columns_as_the_runtime(series, rate, years, year):
    """连续 N年 营业收入 增速 超过 rate: growth is a fraction (never divided in SQL), unknown
    when the year before is 0 or missing; the run is the Kleene and of each year."""
    growth = model.Growth(FACT, "增速")
    condition = model.RunOfYears(model.RunKind.CONSECUTIVE, years, str(years), model.Compare(
        CompareOp.GT, growth, model.Constant(rate, model.Type(Base.PERCENT), "r"), "c", "超过", kind=Base.PERCENT),
        "run")
    run = runtime.Run({FACT.name: series}, year)
    expected = run.run_of_years("run", [run.compare("c", "gt", run.growth(FACT.name, k), rate, "percent")
                                        for k in range(years)])
    assert evaluate_condition(condition, series, year) == expected


def test_a_quotient_too_large_for_decimal_stops_the_query_rather_than_rounding():
    big = Decimal(10 ** 13)
    with pytest.raises(duckdb.OutOfRangeException):
        value_of(to_sql.num_compare(CompareOp.GT, to_sql.num_div(literal(big), literal(big)), literal(big)))


def test_a_year_the_register_has_no_column_for_reads_as_unknown():
    sql = to_sql._PolicySql(POLICY, 2020, {FACT.name: (2019,)}, lambda matter: None)
    assert value_of(sql.at(FACT, 0)) is None


def test_names_and_labels_go_into_sql_quoted():
    """A fact or value holding quotes cannot end the identifier or literal it is put in."""
    fact = model.Fact('a"b\'; DROP TABLE x; --', model.Type(Base.ENUM))
    condition = model.Member(model.FactRef(fact, "x"), ("it's", 'say "hi"'), False, "m")
    sql = to_sql._PolicySql(POLICY, 2020, {}, lambda matter: None)
    text = sql.condition(condition, 0).sql(dialect="duckdb")
    assert text == '"a""b\'; DROP TABLE x; --" IN (\'it\'\'s\', \'say "hi"\')'
    assert CONNECTION.execute(f"SELECT {text} FROM (SELECT 'it''s' AS \"a\"\"b'; DROP TABLE x; --\")").fetchone()[0]
