"""Lowering: what the model decides once, read by every backend."""

from __future__ import annotations

import datetime
from decimal import Decimal

from compiler import driver, interpreter, model
from compiler.lower import lower
from compiler.parser import parse_text

HEADER = "政策 测试〔2020〕1号\n  施行日期 2020年1月1日\n"


def _lowered(text: str) -> model.PolicyModel:
    policy, problems = parse_text(HEADER + text, "t.pol")
    assert policy is not None, problems
    return lower(policy)


def test_words_become_enums_and_names_resolve():
    lowered = _lowered(
        "  冲突原则 就高不重复\n  考核年度 当年\n"
        "枚举 等级: 一级、二级\n事实 营业收入: 逐年 金额\n事实 级别: 等级\n定义事项 奖励\n"
        "条款 第一条\n  原文 \"x\"\n  事项 奖励\n  当 营业收入 首次超过 10亿元 且 级别 不低于 一级\n  给予 10万元\n")
    assert lowered.principle is model.Principle.HIGHEST_ONLY
    assert lowered.assessed_year is model.AssessedYearRule.CURRENT and lowered.assessed_year.offset == 0
    clause = lowered.clauses[0]
    assert clause.matter is not None and clause.matter.declared
    both = clause.conditions[0]
    assert isinstance(both, model.And)
    first, ordered = both.left, both.right
    assert isinstance(first, model.Compare) and first.op is model.CompareOp.GT and first.first_time
    assert isinstance(first.left, model.FactRef) and first.left.fact.type.series
    assert isinstance(ordered, model.Compare) and ordered.op is model.CompareOp.GE and ordered.ordered
    assert ordered.order == ("一级", "二级")
    assert isinstance(ordered.right, model.EnumValue) and ordered.right.enumeration == "等级"
    assert clause.decisive_facts == ("级别", "营业收入")
    assert clause.ceiling == Decimal(100000) and clause.could_pay == Decimal(100000)


def test_each_tier_carries_its_own_comparison():
    lowered = _lowered(
        "事实 营业收入: 金额\n条款 第一条\n  原文 \"x\"\n"
        "  给予 按 营业收入 超过 分档\n    20亿元 → 20万元\n    10亿元 → 10万元\n")
    form = lowered.clauses[0].award.form
    assert isinstance(form, model.ByTier) and form.op is model.CompareOp.GT
    assert [row.test.text for row in form.rows] == ["营业收入 超过 20亿元", "营业收入 超过 10亿元"]
    assert lowered.clauses[0].ceiling == Decimal(200000)


def test_a_definition_from_the_vocabulary_is_evaluated_by_every_backend(tmp_path):
    # It used to reach the Python backend as a name with no function: a KeyError at build.
    (tmp_path / "vocabulary.pol").write_text(
        "词汇 共用\n事实 营业收入: 金额\n定义 大企业 = 营业收入 超过 10亿元\n", encoding="utf-8")
    (tmp_path / "p.pol").write_text(
        HEADER + "  引用 \"vocabulary.pol\"\n条款 第一条\n  原文 \"大企业奖励10万元。\"\n  当 大企业\n  给予 10万元\n",
        encoding="utf-8")
    project = driver.load([str(tmp_path / "p.pol")])
    assert not project.has_errors, project.diagnostics
    policy = project.policies[0]
    lowered = project.model(policy)
    assert lowered.used_definitions == ("大企业",) and lowered.used_facts == ("营业收入",)
    module = driver.load_module(policy)
    on = datetime.date(2020, 6, 30)
    for revenue, paid in ((Decimal(2e9), True), (Decimal(5e8), False)):
        facts = {"营业收入": revenue}
        generated = module.evaluate(facts, on).to_json()
        assert generated == interpreter.evaluate([lowered], facts, on).to_json()
        assert generated["clauses"][0]["applies"] is paid
    summary = driver.outputs(project)["p.md"]
    assert "| 大企业（共用词汇） | 营业收入 超过 10亿元 |" in summary


def test_fields_walking_leaves_out_hold_no_nodes():
    """model.walk skips the fields whose declared type holds no node (str, enums, Type…):
    in every model of the shipped policies and of the language folders, each field it skips
    holds no node, so walking finds the same nodes it would find reading every field."""
    import attrs
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    project = driver.load([str(root / "policies"), *map(str, sorted((root / "tests" / "language").iterdir()))],
                          overlaps=False)
    assert project.policies and not project.has_errors
    checked = set()
    for policy in project.policies:
        for node in model.walk(project.model(policy)):
            followed = model._child_fields(type(node))
            for field in attrs.fields(type(node)):
                if field.name != "span" and field.name not in followed:
                    checked.add((type(node).__name__, field.name))
                    value = getattr(node, field.name)
                    kind = model._value_kind(type(value))  # as walking reads a value: Type, str, enums are leaves
                    found: list = [value] if kind == model._NODE else []
                    if kind in (model._SEQUENCE, model._MAPPING):
                        model._collect(value, kind, found)
                    assert not found, (type(node).__name__, field.name)
    assert {("Fact", "type"), ("Compare", "text"), ("ClauseModel", "decisive_facts")} <= checked
