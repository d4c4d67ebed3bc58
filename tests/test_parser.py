"""Parsing: literals, full-width input, names vs keywords, and the print/parse round trip."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import ast, printer
from compiler.parser import chinese_number, money_value, parse, parse_text
from compiler.source import SourceFile

from conftest import FIXTURES, ROOT

HEADER = "政策 测试〔2020〕1号\n事实 投资额: 金额\n事实 收入: 逐年 金额\n事实 实现税收: 是否\n"


def clause_of(body: str) -> ast.Clause:
    policy, problems = parse_text(HEADER + "条款 第一条\n" + body)
    assert problems == [], problems
    return policy.clauses[0]


@pytest.mark.parametrize("text, yuan", [
    ("30万元", "300000"), ("1.6万亿元", "1600000000000"), ("5000万元", "50000000"),
    ("800元", "800"), ("30亿元", "3000000000"), ("0.5万元", "5000"),
])
def test_money_units_normalise_to_yuan(text, yuan):
    assert money_value(text) == Decimal(yuan)


@pytest.mark.parametrize("text, number", [("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("一百零三", 103), ("两", 2)])
def test_chinese_numbers(text, number):
    assert chinese_number(text) == number


def test_full_width_punctuation_and_digits_mean_the_same():
    half = HEADER + "条款 第一条\n  当 投资额 超过 100万元 且 (实现税收)\n  给予 投资额 × 5% 最高 200万元\n"
    full = half.replace(":", "：").replace("100", "１００").replace("(", "（").replace(")", "）").replace("5%", "５％")
    a, b = parse_text(half, "x.pol"), parse_text(full, "x.pol")
    assert a[1] == b[1] == []
    assert a[0] == b[0]


def test_durations_in_digits_or_chinese():
    three = clause_of("  给予 10万元\n  期限 最多 三年\n").duration
    digits = clause_of("  给予 10万元\n  期限 最多 3年\n").duration
    assert three.years == digits.years == 3


def test_dates_in_both_forms():
    a, _ = parse_text("政策 测试〔2020〕1号\n  施行日期 2020年1月1日\n")
    b, _ = parse_text("政策 测试〔2020〕1号\n  施行日期 2020-01-01\n")
    assert a.effective_from.value == b.effective_from.value


def test_percent_is_a_fraction_and_keeps_its_text():
    award = clause_of("  给予 投资额 × 5%\n").award
    assert award.form.amount.right == ast.Percent(Decimal("0.05"), "5%")


def test_unit_price_literal():
    amount = clause_of("  给予 投资额 ÷ 1万元 × 150元/平方米\n").award.form.amount
    assert amount.right == ast.UnitPrice(Decimal(150), "平方米", "150元/平方米")


def test_digits_end_a_name_so_no_space_is_needed_before_money():
    assert clause_of("  给予30万元\n").award.form.amount.value == Decimal(300000)


def test_spans_are_kept_and_ignored_by_equality():
    a = clause_of("  给予 10万元\n")
    b = clause_of("\n\n  给予 10万元\n")
    assert a.award == b.award
    assert a.award.span.line != b.award.span.line


@pytest.mark.parametrize("body, keyword, fixed", [
    ("  当实现税收\n  给予 10万元\n", "当", "当 实现税收"),
    ("  当 收入首次超过 1亿元\n  给予 10万元\n", "首次超过", "收入 首次超过"),
    ("  当 实现税收且实现税收\n  给予 10万元\n", "且", "实现税收 且 实现税收"),
])
def test_keyword_written_against_a_name_says_so(body, keyword, fixed):
    _policy, problems = parse_text(HEADER + "条款 第一条\n" + body)
    if not problems:  # parsed: then the checker must say it (unknown name with a keyword in it)
        from compiler.checks import check_policy
        problems = [d for d in check_policy(_policy) if d.is_error]
    assert [d.code for d in problems] == ["E002"]
    assert f"关键字「{keyword}」" in problems[0].message.zh
    assert fixed in problems[0].suggestion.zh  # a syntax error shows the whole fixed line


def test_shipped_and_fixture_policies_round_trip_through_the_printer():
    for path in [*sorted((ROOT / "policies").glob("*.pol")), FIXTURES / "shapes.pol"]:
        policy, problems = parse(SourceFile.read(str(path)))
        assert problems == []
        text = printer.vocabulary(policy) if isinstance(policy, ast.Vocabulary) else printer.policy(policy)
        again, problems = parse_text(text, policy.path)
        assert problems == []
        assert again == policy, path


# ---------------------------------------------------------------- property: round trip
names = st.sampled_from(["投资额", "收入", "实现税收", "「2018年末人数」", "甲"])
money = st.builds(lambda n, u: f"{n}{u}", st.integers(0, 99999), st.sampled_from(["元", "万元", "亿元"]))
percent = st.builds(lambda n: f"{n}%", st.integers(0, 300))
atoms = st.one_of(names, money, percent, st.integers(0, 999).map(str))


def _arith(children):
    return st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", children, st.sampled_from(["+", "-", "×", "÷"]), children),
        children.map(lambda a: f"({a})"),
        children.map(lambda a: f"上年 {a}"),
    )


arith = st.recursive(atoms, _arith, max_leaves=6)
comparisons = st.builds(lambda a, op, b: f"{a} {op} {b}", arith,
                        st.sampled_from(["超过", "不低于", "不超过", "低于", "等于", "首次超过", "均超过", ">="]), arith)


def _logic(children):
    return st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", children, st.sampled_from(["且", "或"]), children),
        children.map(lambda a: f"非 {a}"),
        children.map(lambda a: f"({a})"),
        children.map(lambda a: f"连续 3年 ({a})"),
    )


conditions = st.recursive(st.one_of(comparisons, names), _logic, max_leaves=5)


@settings(max_examples=300, deadline=None)
@given(conditions)
def test_print_then_parse_gives_the_same_ast(condition):
    policy, problems = parse_text(HEADER + "条款 第一条\n  当 " + condition + "\n  给予 10万元\n")
    assert problems == [], condition
    printed = printer.policy(policy)
    again, problems = parse_text(printed, policy.path)
    assert problems == [], printed
    assert again == policy
