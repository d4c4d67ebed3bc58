"""Issue 13's tables (r14-tables): two-key tables, bands with their own bounds (全量计价),
per-item awards with only a total cap, tiers crossed one by one (逐档) and upgrade differences
(晋级差额) — evaluated identically by the reference interpreter, the generated Python and the SQL
backend, on each construct's policy in tests/language/ (its examples, then random registers
around its constants), and checked as CONTRACTS.md §5 asks.
"""

import datetime
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import analysis, driver, interpreter, model
from compiler.checks import check_policy
from compiler.lower import lower
from compiler.parser import parse
from compiler.source import SourceFile

from conftest import ROOT, run_polc
from test_properties import fact_values
from test_sql_clauses import DATES, Register, _register_strategy, compare

LANGUAGE = ROOT / "tests" / "language"
FOLDERS = ["two-key-table", "bands", "per-item-total-cap", "each-tier-crossed", "upgrade-difference"]
PATHS = [LANGUAGE / folder / f"{folder}.pol" for folder in FOLDERS]
ON = [datetime.date(2022, 6, 30), datetime.date(2023, 6, 30)]


def _examples(policy):
    return [driver.case_facts(case) for clause in policy.clauses for case in clause.cases]


# ---------------------------------------------------------------- the three engines agree
@pytest.mark.parametrize("path", PATHS, ids=FOLDERS)
def test_sql_agrees_with_the_runtime_on_the_examples_and_random_registers(path):
    register = Register([path.relative_to(ROOT)], items_as_text=True)
    for on in ON:
        compare(register, _examples(register.asts[0]), on)

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(register), st.sampled_from(DATES + ON))
    def check(rows, on):
        compare(register, rows, on)
    check()


@pytest.mark.parametrize("path", PATHS, ids=FOLDERS)
def test_generated_code_agrees_with_the_interpreter_and_keeps_within_the_ceiling(path):
    policy = driver.load([str(path.relative_to(ROOT))]).policies[0]
    module = driver.load_module(policy)
    lowered = lower(policy)
    ceilings = {c.label: analysis.clause_ceiling(c) for c in policy.clauses}

    def agree(facts, on):
        generated = module.evaluate(facts, on=on).to_json()
        assert generated == interpreter.evaluate([lowered], facts, on).to_json()
        for row in generated["clauses"]:
            award = row["award"]
            label = row["article"] + (f"第{row['item']}项" if row["item"] is not None else "")
            if award is not None and award["max"] is not None and ceilings[label] is not None:
                assert Decimal("0") <= Decimal(award["max"]) <= ceilings[label], row

    for facts in _examples(policy):
        for on in ON:
            agree(facts, on)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fact_values(policy), st.sampled_from(DATES + ON))
    def check(facts, on):
        agree(facts, on)
    check()


# ---------------------------------------------------------------- what each construct means
def _award(path, facts, on=datetime.date(2023, 6, 30), clause=0):
    policy = driver.load([str(path.relative_to(ROOT))]).policies[0]
    row = interpreter.evaluate([lower(policy)], facts, on).to_json()["clauses"][clause]
    return row["applies"], (row["award"] or {}).get("max")


def test_a_band_price_applies_to_the_whole_quantity_not_marginally():
    path = LANGUAGE / "bands" / "bands.pol"
    assert _award(path, {"盘活存量用地面积": 600}) == (True, "120000.00")  # 600 × 200, not 500 × 100 + 100 × 200
    assert _award(path, {"盘活存量用地面积": 500}) == (True, "50000.00")
    assert _award(path, {"盘活存量用地面积": Decimal("99.99")}) == (False, None)


def test_each_tier_crossed_pays_every_tier_and_needs_the_year_before():
    path = LANGUAGE / "each-tier-crossed" / "each-tier-crossed.pol"
    both = {"年营业收入": {2021: Decimal(8_000_000), 2022: Decimal(25_000_000)}}
    assert _award(path, both) == (True, "300000.00")
    assert _award(path, {"年营业收入": {2022: Decimal(25_000_000)}}) == (None, None)
    # the same history read as 分档 (highest tier only) pays the higher tier alone: the stated alternative
    text = (path.read_text(encoding="utf-8").replace("首次超过 逐档", "首次超过 分档").replace("预期 30万元", "预期 20万元")
            .replace("预期 80万元", "预期 50万元"))
    policy, problems = parse(SourceFile("x.pol", text))
    assert problems == [] and not [d for d in check_policy(policy) if d.severity == "error"]
    row = interpreter.evaluate([lower(policy)], both, datetime.date(2023, 6, 30)).to_json()["clauses"][0]
    assert row["award"]["max"] == "200000.00"


def test_an_upgrade_pays_the_difference_and_nothing_without_an_upgrade():
    path = LANGUAGE / "upgrade-difference" / "upgrade-difference.pol"
    assert _award(path, {"新认定等级": "国家级", "已获等级": "省级"}) == (True, "500000.00")
    assert _award(path, {"新认定等级": "市级", "已获等级": "省级"}) == (False, None)
    assert _award(path, {"已获等级": "省级"}) == (None, None)


def test_a_table_cell_is_chosen_by_both_facts():
    path = LANGUAGE / "two-key-table" / "two-key-table.pol"
    facts = {"项目类型": "战新项目", "改造类型": "数字化车间", "设备投资额": Decimal(10_000_000)}
    assert _award(path, facts) == (True, "1500000.00")
    assert _award(path, {**facts, "改造类型": "单纯购置软件"}) == (False, None)


def test_per_item_without_an_item_cap_is_capped_in_total_only():
    path = LANGUAGE / "per-item-total-cap" / "per-item-total-cap.pol"
    assert _award(path, {"设备租赁费": [Decimal(3_000_000)]}) == (True, "900000.00")
    assert _award(path, {"设备租赁费": [Decimal(3_000_000), Decimal(400_000)]}) == (True, "1000000.00")


def test_the_model_holds_each_form():
    kinds = {folder: type(lower(driver.load([str(path.relative_to(ROOT))]).policies[0]).clauses[0].award.form)
             for folder, path in zip(FOLDERS, PATHS)}
    assert kinds == {"two-key-table": model.ByTable, "bands": model.ByBand, "per-item-total-cap": model.PerItem,
                     "each-tier-crossed": model.EachTier, "upgrade-difference": model.Upgrade}


# ---------------------------------------------------------------- checks
HEAD = ("政策 测试〔2021〕1号\n  施行日期 2021年1月1日\n\n枚举 类: 甲、乙\n枚举 型: 子、丑\n枚举 等级: 无、市级、省级\n"
        "事实 面积: 数值\n事实 收入: 逐年 金额\n事实 现有: 金额\n事实 清单: 逐项 金额\n事实 甲类: 类\n事实 乙型: 型\n"
        "事实 新级: 等级\n事实 旧级: 等级\n事实 旧类: 类\n\n条款 第一条\n  原文 \"x\"\n")


def _codes(award: str) -> list[str]:
    policy, problems = parse(SourceFile("draft.pol", HEAD + award))
    assert problems == [], [p.message.zh for p in problems]
    return sorted(d.code for d in check_policy(policy) if d.code not in ("W061",))


@pytest.mark.parametrize("rows, codes", [
    ("    不低于 100 且 不超过 500 → 1元/亩\n    超过 500 且 不超过 900 → 2元/亩\n", []),
    ("    不低于 100 且 不超过 500 → 1元/亩\n    不低于 500 且 不超过 900 → 2元/亩\n", ["E324"]),
    ("    不低于 100 且 低于 500 → 1元/亩\n    超过 500 且 不超过 900 → 2元/亩\n", ["W324"]),
    ("    不低于 100 且 不超过 400 → 1元/亩\n    超过 500 且 不超过 900 → 2元/亩\n", ["W324"]),
    ("    不低于 100 → 1元/亩\n    超过 500 且 不超过 900 → 2元/亩\n", ["E080", "E324"]),
    ("    超过 500 且 不超过 900 → 2元/亩\n    不低于 100 且 不超过 500 → 1元/亩\n", []),  # order as written does not matter
    ("    100以上 且 500以下 → 1元/亩\n    500以上(不含) 且 不超过 900 → 2元/亩\n", []),
    ("    不低于 100 且 不低于 500 → 1元/亩\n", ["E080", "E323"]),
    ("    不低于 100 且 不超过 500 → 1万元\n", ["E325"]),
    ("    不低于 100 且 不超过 500 → 1元/亩\n    超过 500 且 不超过 900 → 2元/平方米\n", ["E325"]),
])
def test_bands_are_checked_for_overlaps_gaps_bounds_and_prices(rows, codes):
    assert _codes(f"  给予 按 面积 分段 全量计价\n{rows}") == codes


def test_a_band_on_money_with_fixed_amounts_and_one_on_a_formula_bound():
    assert _codes("  给予 按 现有 分段\n    超过 5万元 且 不超过 10万元 → 5万元\n    超过 10万元 → 10万元\n") == []
    assert "E323" in _codes("  给予 按 现有 分段\n    超过 面积 → 5万元\n")  # a bound is a written number
    assert "E020" in _codes("  给予 按 现有 分段\n    超过 5% → 5万元\n")


def test_a_table_is_checked_for_missing_and_repeated_cells_and_enumerations():
    table = "  给予 按 甲类、乙型 分别\n    列 子、丑\n"
    assert _codes(table + "    甲 → 1万元、—\n    乙 → 2万元、3万元\n") == []
    assert _codes(table + "    甲 → 1万元\n") == ["E320"]
    assert _codes(table + "    甲 → 1万元、2万元\n    甲 → 1万元、2万元\n") == ["E034"]
    assert _codes(table + "    丙 → 1万元、2万元\n") != []  # not a value of the enumeration
    assert "E022" in _codes(table + "    甲 → 1%、2万元\n")
    assert "E033" in _codes("  给予 按 面积、乙型 分别\n    列 子\n    甲 → 1万元\n")


def test_each_tier_needs_a_first_time_word_and_a_yearly_amount():
    assert _codes("  给予 按 收入 首次超过 逐档\n    20万元 → 2万元\n    10万元 → 1万元\n") == []
    assert _codes("  给予 按 收入 超过 逐档\n    20万元 → 2万元\n") == ["E326"]
    assert "E023" in _codes("  给予 按 现有 首次超过 逐档\n    20万元 → 2万元\n")
    assert "E030" in _codes("  给予 按 收入 首次超过 逐档\n    10万元 → 1万元\n    20万元 → 2万元\n")


def test_an_upgrade_compares_levels_of_one_enumeration():
    assert _codes("  给予 按 新级 自 旧级 晋级差额\n    省级 → 5万元\n    市级 → 2万元\n") == []
    assert _codes("  给予 按 新级 自 旧类 晋级差额\n    省级 → 5万元\n") == ["E327"]
    assert _codes("  给予 按 新级 自 旧级 晋级差额\n    省级 → 1万元\n    市级 → 2万元\n") == ["W327"]


def test_per_item_with_neither_cap_is_unbounded():
    assert _codes("  给予 每项 清单 × 30% 最高 100万元\n") == []
    assert _codes("  给予 每项 清单 × 30%\n") == ["E080"]


def test_summaries_say_which_reading_each_form_takes():
    summaries = {folder: run_polc("build", "--emit", "md", str(path.relative_to(ROOT))).stdout
                 for folder, path in zip(FOLDERS, PATHS)}
    assert "全量计价（所在段的单价 × 全部盘活存量用地面积，不是超额累进）" in summaries["bands"]
    assert "同一年越过两档则两档都付；另一读法是只付最高一档" in summaries["each-tier-crossed"]
    assert "新等级金额减去已获等级对应金额" in summaries["upgrade-difference"]
    assert "单纯购置软件 无" in summaries["two-key-table"]
    assert "各项不设单项上限" in summaries["per-item-total-cap"]


def test_emit_sql_writes_every_form():
    result = run_polc("build", "--emit", "sql", *(str(p.relative_to(ROOT)) for p in PATHS), "--on", "2023-06-30")
    assert result.returncode == 0, result.stderr
    for docno in ("县经信[2022]15号", "县自然资源[2021]7号", "区经信[2023]4号", "县政发[2022]3号", "市科技[2021]22号"):
        # each policy's clauses are rows of the query's table of clause constants: (place, 文号, …)
        assert re.search(rf"\(\s*\d+,\s*'{re.escape(docno)}',", result.stdout), docno


def test_sql_agrees_near_every_band_bound_and_tier_threshold():
    """Values at, just under and just over each bound, with and without the year before."""
    bands = Register([(LANGUAGE / "bands" / "bands.pol").relative_to(ROOT)])
    areas = [Decimal(v) for v in ("0", "99.999999", "100", "100.000001", "499.999999", "500", "500.000001", "10000",
                                  "10000.000001", "1000000")]
    money = [Decimal(v) for v in ("49999.99", "50000", "50000.01", "99999.99", "100000", "100000.01")]
    compare(bands, [{"盘活存量用地面积": a, "亩均税收增加额": m} for a, m in zip(areas, money * 2)], ON[0])
    tiers = Register([(LANGUAGE / "each-tier-crossed" / "each-tier-crossed.pol").relative_to(ROOT)])
    values = [Decimal(v) for v in ("9999999.99", "10000000", "10000000.01", "20000000", "20000000.01", "50000000.01")]
    histories = [{2022: now} for now in values] + [{2021: before, 2022: now} for before in values for now in values] \
        + [{2020: before, 2022: now} for before in values for now in values]
    compare(tiers, [{"年营业收入": history} for history in histories], ON[1])


def test_highest_only_across_the_new_forms_agrees_in_sql(tmp_path):
    """就高不重复 over clauses of one matter paid by a band, a table, tiers crossed and an upgrade."""
    path = tmp_path / "matter.pol"
    path.write_text(HEAD.replace("  施行日期 2021年1月1日\n", "  施行日期 2021年1月1日\n  冲突原则 就高不重复\n")
                    .replace("\n\n条款 第一条\n  原文 \"x\"\n", "\n定义事项 用地\n")
                    + "".join(f"\n条款 第{n}条\n  原文 \"x\"\n  事项 用地\n{award}" for n, award in (
                        ("一", "  给予 按 面积 分段 全量计价\n    不低于 100 且 不超过 500 → 100元/亩\n    超过 500 且 不超过 900 → 200元/亩\n"),
                        ("二", "  给予 按 甲类、乙型 分别\n    列 子、丑\n    甲 → 1万元、—\n    乙 → 2万元、3万元\n"),
                        ("三", "  给予 按 收入 首次超过 逐档\n    20万元 → 2万元\n    10万元 → 1万元\n"),
                        ("四", "  给予 按 新级 自 旧级 晋级差额\n    省级 → 5万元\n    市级 → 2万元\n"),
                        ("五", "  给予 每项 清单 × 30% 最高 4万元\n"),
                        # amounts that are formulas: an unknown fact makes a crossed tier or a level undecidable
                        ("六", "  给予 按 收入 首次超过 逐档\n    20万元 → 现有 × 10%\n    10万元 → 1万元\n  最高 5万元\n"),
                        ("七", "  给予 按 新级 自 旧级 晋级差额\n    省级 → 现有 × 5%\n    市级 → 现有 × 2%\n  最高 5万元\n"))),
                    encoding="utf-8")
    register = Register([path])

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(register), st.sampled_from(DATES + ON))
    def check(rows, on):
        compare(register, rows, on)
        for facts in rows:  # and the generated modules agree with the reference interpreter
            assert register.evaluator.evaluate(facts, on).to_json() == interpreter.evaluate(register.models, facts, on).to_json()
    check()


# ---------------------------------------------------------------- printing and formatting
_numbers = st.integers(1, 10 ** 6).map(str)
_lower = st.sampled_from(["超过", "不低于", "达到"])
_upper = st.sampled_from(["不超过", "低于"])
_bound = st.one_of(st.tuples(_lower, _numbers).map(" ".join), st.tuples(_upper, _numbers).map(" ".join),
                   st.tuples(_lower, _numbers, _upper, _numbers).map(lambda t: f"{t[0]} {t[1]} 且 {t[2]} {t[3]}"),
                   _numbers.map(lambda n: f"{n}以上"), _numbers.map(lambda n: f"{n}以下(不含)"))
_cell = st.one_of(st.just("—"), st.integers(1, 999).map(lambda n: f"{n}万元"))


@settings(max_examples=40, deadline=None)
@given(st.lists(_bound, min_size=1, max_size=4), st.booleans(),
       st.lists(st.lists(_cell, min_size=2, max_size=2), min_size=1, max_size=2), st.sampled_from(["分档", "逐档"]))
def test_the_new_forms_survive_print_and_fmt(bands, whole, cells, tiers):
    from compiler import fmt, printer
    price = "元/亩" if whole else "万元"
    text = (HEAD + f"  给予 按 面积 分段{' 全量计价' if whole else ''}\n"
            + "".join(f"    {b} → {i + 1}{price}\n" for i, b in enumerate(bands)) + "  最高 10万元\n"
            + "\n条款 第二条\n  给予 按 甲类、乙型 分别\n    列 子、丑\n"
            + "".join(f"    {level} → {'、'.join(row)}\n" for level, row in zip(["甲", "乙"], cells))
            + f"\n条款 第三条\n  给予 按 收入 首次超过 {tiers}\n    20万元 → 2万元\n    10万元 → 1万元\n"
            + "\n条款 第四条\n  给予 按 新级 自 旧级 晋级差额\n    省级 → 5万元\n    市级 → 2万元\n"
            + "\n条款 第五条\n  给予 每项 清单 × 30% 最高 4万元\n")
    policy, problems = parse(SourceFile("draft.pol", text))
    assert problems == [], [p.message.zh for p in problems]
    printed = printer.policy(policy)
    again, _ = parse(SourceFile("draft.pol", printed))
    assert again == policy and printer.policy(again) == printed
    formatted = fmt.format_text(text).text
    assert parse(SourceFile("draft.pol", formatted))[0] == policy and fmt.format_text(formatted).text == formatted


def test_batch_engines_write_the_same_results_for_every_form(tmp_path):
    """`polc eval --batch` of the five policies together on one CSV register: DuckDB and Python byte for byte."""
    register = tmp_path / "register.csv"
    register.write_text(
        "申请人,项目类型,改造类型,设备投资额,盘活存量用地面积,亩均税收增加额,设备租赁费,年营业收入.2020,年营业收入.2021,"
        "年营业收入.2022,新认定等级,已获等级\n"
        "A1,技改项目,智能工厂,2500万元,600,100001元,300万元;40万元,,800万元,2500万元,国家级,市级\n"
        "A2,战新项目,单纯购置软件,800万元,500,5万元,,2100万元,900万元,2500万元,省级,省级\n"
        "A3,,数字化车间,800万元,99.9,,100万元,,,2500万元,国家级,\n"
        "A4,,单纯购置软件,5000000.5,100,10万元,,,1500万元,5000.01万元,,未认定\n", encoding="utf-8")
    outputs = {}
    for engine in ("duckdb", "python"):
        out = tmp_path / f"{engine}.jsonl"
        result = run_polc("eval", *(str(p.relative_to(ROOT)) for p in PATHS), "--batch", str(register),
                          "--on", "2023-06-30", "--engine", engine, "--out", str(out))
        assert result.returncode == 0, result.stderr
        outputs[engine] = out.read_bytes()
    assert outputs["duckdb"] == outputs["python"]
    first = outputs["python"].decode("utf-8").splitlines()[0]
    assert '"paid":{"第五条第1项":["exact","120000.00"]' in first
