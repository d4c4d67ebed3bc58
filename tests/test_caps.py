"""Issue 13, caps and floors (r14-caps): 企业上限 (a cap on the sum of a policy's awards to one
applicant, per year or across years), and the engines that must agree on it.

The cap crosses clauses, so `polc test` (which runs each 案例 on its own clause) cannot show
it: here the policies of tests/language/enterprise-cap/ are evaluated whole, at the cap's
boundaries, by the reference interpreter and the generated module (the same JSON), and
registers of them by both batch engines (the same bytes, and the same totals and marks as a
single evaluation).
"""

import datetime
import io
import json
import random
from decimal import Decimal

import pytest

from compiler import batch, compact, driver, interpreter, runtime, sql_batch
from compiler.lower import lower

from conftest import ROOT, run_polc

LANGUAGE = ROOT / "tests" / "language"
PER_YEAR = LANGUAGE / "enterprise-cap" / "per-year.pol"
CUMULATIVE = LANGUAGE / "enterprise-cap" / "cumulative.pol"
HIGHEST_ONLY = LANGUAGE / "enterprise-cap" / "highest-only.pol"
_LOADED: dict = {}


def _load(*paths):
    key = tuple(str(p) for p in paths)
    if key not in _LOADED:
        project = driver.load([str(p.relative_to(ROOT)) for p in paths])
        assert not project.has_errors
        models = [lower(p) for p in project.policies]
        modules = [driver.load_module(p) for p in project.policies]
        _LOADED[key] = (models, modules)
    return _LOADED[key]


def _evaluate(path, facts, on):
    """The JSON of the generated module, checked equal to the reference interpreter's."""
    models, modules = _load(path)
    generated = runtime.Evaluator([(m.POLICY, m.CLAUSES) for m in modules]).evaluate(facts, on).to_json()
    reference = interpreter.evaluate(models, facts, on).to_json()
    assert generated == reference
    return generated


def _marks(report):
    return [row.get("allocation") for row in report["clauses"]]


# ---------------------------------------------------------------- per year, at the boundary
@pytest.mark.parametrize("investment, total, capped", [
    ("40万元", "200000.00", False),        # 10 + 8 + 2 = 20万元 exactly: the cap does not bind
    ("40.0002万元", "200000.00", True),     # 20000.01元 more: binds, total stays 20万元
    ("300万元", "200000.00", True),         # 10 + 8 + 5 = 23万元 → 20万元
    ("20万元", "190000.00", False),
])
def test_a_yearly_cap_binds_only_above_it_and_marks_every_paid_clause(investment, total, capped):
    report = _evaluate(PER_YEAR, {"研发投入": "600万元", "新认定专精特新": True, "技改投资额": investment},
                       datetime.date(2023, 6, 30))
    assert report["total"]["min"] == report["total"]["max"] == total
    assert _marks(report) == (["capped"] * 3 if capped else [None] * 3)
    # no clause's own award changes: the text does not say which one is reduced
    assert [row["award"]["max"] for row in report["clauses"]][:2] == ["100000.00", "80000.00"]


def test_what_an_undecidable_clause_could_pay_is_capped_too_but_marks_nothing():
    report = _evaluate(PER_YEAR, {"研发投入": "600万元", "新认定专精特新": True}, datetime.date(2023, 6, 30))
    # 10 + 8 paid (below the cap: no mark), 第五条 could pay 5万元: 23万元 → max 20万元
    assert report["total"] == {"min": "180000.00", "max": "200000.00", "open": []}
    assert _marks(report) == [None, None, None]
    report = _evaluate(PER_YEAR, {"研发投入": "600万元"}, datetime.date(2023, 6, 30))
    assert report["total"] == {"min": "100000.00", "max": "200000.00", "open": []}  # 10 + 8 + 5 possible


# ---------------------------------------------------------------- across years
@pytest.mark.parametrize("received, low, high", [
    (None, "0.00", "300000.00"),          # not stated: anything from 0 to the cap is left
    ("0元", "300000.00", "300000.00"),     # 20 + 15 = 35万元 → 30万元
    ("5万元", "250000.00", "250000.00"),
    ("29.99万元", "100.00", "100.00"),
    ("30万元", "0.00", "0.00"),
    ("40万元", "0.00", "0.00"),           # more than the cap already: nothing, never negative
])
def test_a_cumulative_cap_leaves_the_room_the_applicant_states(received, low, high):
    facts = {"高新技术企业": True, "研发费用增长额": "200万元"}
    if received is not None:
        facts["往年已获奖励"] = received
    report = _evaluate(CUMULATIVE, facts, datetime.date(2024, 6, 30))
    assert (report["total"]["min"], report["total"]["max"]) == (low, high)
    assert _marks(report) == ["capped", "capped"]


def test_a_cumulative_cap_with_room_enough_marks_nothing():
    report = _evaluate(CUMULATIVE, {"高新技术企业": True, "往年已获奖励": "10万元"}, datetime.date(2024, 6, 30))
    assert report["total"]["max"] == "200000.00" and _marks(report)[0] is None


# ---------------------------------------------------------------- the batch engines
def _both(paths, register, on):
    models, modules = _load(*paths)
    out = {}
    for name, engine in (("python", batch.run), ("duckdb", sql_batch.run)):
        stream, errors = io.StringIO(), io.StringIO()
        kwargs = {"models": models} if name == "duckdb" else {}
        engine(modules, str(register), on, stream, errors, **kwargs)
        out[name] = stream.getvalue()
    return out


def _register(tmp_path, header, rows):
    path = tmp_path / "register.csv"
    path.write_text(",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_both_batch_engines_and_a_single_evaluation_agree_on_caps(tmp_path, seed):
    rng = random.Random(seed)
    money = ["", "0元", "19.99万元", "20万元", "40万元", "40.0002万元", "300万元", "500万元", "500.01万元", "600万元"]
    received = ["", "0元", "5万元", "29.99万元", "30万元", "40万元"]
    sales = ["", "4.99亿元", "5亿元", "10亿元", "1亿元", "1.5亿元", "30亿元"]
    rows = []
    for number in range(60):
        rows.append([f"E{number:03d}", rng.choice(money), rng.choice(["", "是", "否"]), rng.choice(money),
                     rng.choice(received), rng.choice(["", "是", "否"]), rng.choice(money),
                     rng.choice(sales), rng.choice(["", "是", "否"]), rng.choice(sales)])
    header = ["申请人", "研发投入", "新认定专精特新", "技改投资额", "往年已获奖励", "高新技术企业", "研发费用增长额",
              "年销售额", "首次入统", "网络零售额"]
    register = _register(tmp_path, header, rows)
    out = _both((PER_YEAR, CUMULATIVE, HIGHEST_ONLY), register, "2024-06-30")
    assert out["python"] == out["duckdb"]
    written = [json.loads(line) for line in out["python"].splitlines()[:-1]]
    lines = [compact.flatten(line) for line in written]  # the grouped compact line (README "Compact results")
    assert sum(c.get("allocation") == "capped" for line in lines for c in line["clauses"]) > 10
    models, modules = _load(PER_YEAR, CUMULATIVE, HIGHEST_ONLY)
    evaluator = runtime.Evaluator([(m.POLICY, m.CLAUSES) for m in modules])
    for line, raw, row in zip(lines, written, rows):
        facts = {name: value for name, value in zip(header[1:], row[1:]) if value != ""}
        full = evaluator.evaluate(facts, datetime.date(2024, 6, 30)).to_json()
        full["clauses"] = [c for c in full["clauses"] if c["applies"] is not False]  # the rows batch lists
        single = compact.project({**full, "line": line["line"], "applicant": row[0]})
        assert compact.grouped(single) == raw and single["total"] == line["total"]


QUOTA_AND_CAP = """政策 测试〔2022〕40号
  施行日期 2022年1月1日
  企业上限 每年 20万元

事实 研发投入: 金额
事实 专精特新: 是否

条款 第一条 「研发奖励」
  当 研发投入 超过 500万元
  给予 15万元
  名额 每年 1 家 按 研发投入 降序

条款 第二条 「专精特新奖励」
  当 专精特新
  给予 10万元
"""


def test_a_clause_left_outside_its_quota_does_not_count_against_the_cap(tmp_path):
    policy = tmp_path / "quota-cap.pol"
    policy.write_text(QUOTA_AND_CAP, encoding="utf-8")
    register = _register(tmp_path, ["申请人", "研发投入", "专精特新"],
                         [["A", "900万元", "是"], ["B", "800万元", "是"]])
    for engine in ("python", "duckdb"):
        result = run_polc("eval", str(policy), "--batch", str(register), "--on", "2023-06-30", "--engine", engine)
        a, b = [compact.flatten(json.loads(line)) for line in result.stdout.splitlines()[:2]]
        # A: 15 (within quota) + 10 = 25万元 → 20万元, both marked; B: 15 outside quota, 10 paid, no cap
        assert a["total"] == {"min": "200000.00", "max": "200000.00"}
        assert [c.get("allocation") for c in a["clauses"]] == ["capped", "capped"]
        assert b["total"] == {"min": "100000.00", "max": "100000.00"}
        assert [c.get("allocation") for c in b["clauses"]] == ["outside_quota", None]


def test_the_cap_is_printed_checked_and_summarised():
    text = PER_YEAR.read_text(encoding="utf-8")
    assert "  企业上限 每年 20万元\n" in run_polc("build", "--emit", "ast", str(PER_YEAR.relative_to(ROOT))).stdout
    summary = run_polc("build", "--emit", "md", str(CUMULATIVE.relative_to(ROOT))).stdout
    assert "企业上限：每个企业跨年度累计最高 30万元" in summary and "标为 capped" in summary
    assert "企业上限 每年 20万元" in text


@pytest.mark.parametrize("facts, low, high, marks", [
    ({"年销售额": "10亿元", "首次入统": True, "网络零售额": "5亿元"}, "500000.00", "500000.00",
     ["capped", None, "capped", "capped"]),                    # 40 (20 not paid: 就高不重复) + 5 + 20 → 50
    ({"年销售额": "10亿元", "首次入统": True}, "450000.00", "500000.00", [None, None, None, None]),  # + could pay 20
    ({"年销售额": "5亿元", "首次入统": True, "网络零售额": "5亿元"}, "450000.00", "450000.00", [None] * 3),
])
def test_the_cap_comes_after_highest_only(facts, low, high, marks):
    report = _evaluate(HIGHEST_ONLY, facts, datetime.date(2024, 6, 30))
    assert (report["total"]["min"], report["total"]["max"]) == (low, high)
    assert [r.get("allocation") for r in report["clauses"] if r["applies"] is not False] == marks


# ---------------------------------------------------------------- floors (不低于 X)
FLOOR = LANGUAGE / "floor" / "floor.pol"


def test_a_floor_counts_at_its_floor_and_leaves_the_maximum_open():
    report = _evaluate(FLOOR, {"设备投资额": "1000万元", "列入示范项目": True}, datetime.date(2024, 6, 30))
    first, second = report["clauses"]
    assert first["award"] == {"kind": "at_least", "min": "1000000.00", "max": None}
    assert second["award"] == {"kind": "range", "min": "500000.00", "max": "2000000.00"}
    assert report["total"] == {"min": "1500000.00", "max": "3000000.00", "open": ["云溪经信〔2023〕12号第五条"]}
    undecided = _evaluate(FLOOR, {"列入示范项目": True}, datetime.date(2024, 6, 30))
    assert undecided["clauses"][0]["could_pay"] is None  # no bound stated: listed, never guessed
    # 第五条 states no bound (listed in undecided); 第六条 could pay its cap, counted in max
    assert undecided["total"] == {"min": "0.00", "max": "2000000.00", "open": [],
                                  "undecided": ["云溪经信〔2023〕12号第五条"]}


def test_a_floor_under_an_enterprise_cap_is_capped_at_its_floor(tmp_path):
    policy = tmp_path / "floor-cap.pol"
    text = FLOOR.read_text(encoding="utf-8")
    assert text.count("施行日期 2023年1月1日\n") == 1
    policy.write_text(text.replace("施行日期 2023年1月1日\n", "施行日期 2023年1月1日\n企业上限 每年 100万元\n"),
                      encoding="utf-8")
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"设备投资额": "1000万元", "列入示范项目": True}), encoding="utf-8")
    result = run_polc("eval", str(policy), "--facts", str(facts), "--on", "2024-06-30", "--format", "json")
    report = json.loads(result.stdout)
    assert report["total"]["min"] == report["total"]["max"] == "1000000.00"
    assert [c.get("allocation") for c in report["clauses"]] == ["capped", "capped"]


@pytest.mark.parametrize("path", [FLOOR, PER_YEAR, CUMULATIVE, HIGHEST_ONLY, LANGUAGE / "formula-cap" / "formula-cap.pol"],
                         ids=lambda p: p.stem)
def test_the_per_applicant_sql_agrees_with_the_runtime(path):
    """to_sql.applicant_clauses (before quotas, budgets and caps) on random registers around
    the thresholds, row by row and clause by clause, as tests/test_sql_clauses.py does."""
    from hypothesis import HealthCheck, given, settings, strategies as st
    from test_sql_clauses import Register, _register_strategy, compare
    register = Register([path.relative_to(ROOT)])

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(register), st.sampled_from([datetime.date(2024, 6, 30), datetime.date(2025, 3, 1)]))
    def check(rows, on):
        compare(register, rows, on)
    check()


def test_both_batch_engines_agree_on_floors(tmp_path):
    rng = random.Random(7)
    money = ["", "0元", "499.99万元", "500万元", "1000万元", "4000万元", "5000万元"]
    rows = [[f"F{n:03d}", rng.choice(money), rng.choice(["", "是", "否"])] for n in range(40)]
    register = _register(tmp_path, ["申请人", "设备投资额", "列入示范项目"], rows)
    out = _both((FLOOR,), register, "2024-06-30")
    assert out["python"] == out["duckdb"]
    assert '["at_least",' in out["python"] and ',null]' in out["python"] and '"open":[' in out["python"]


# ---------------------------------------------------------------- caps that are formulas of facts
FORMULA = LANGUAGE / "formula-cap" / "formula-cap.pol"
HEAD = "政策 测试〔2023〕1号\n  施行日期 2023年1月1日\n\n事实 投资额: 金额\n事实 贡献: 逐年 金额\n事实 甲: 是否\n\n条款 第一条\n"


def _codes(body: str) -> list[str]:
    from compiler.checks import check_policy
    from compiler.parser import parse
    from compiler.source import SourceFile
    policy, problems = parse(SourceFile("draft.pol", HEAD + body))
    assert problems == [], [p.message.zh for p in problems]
    return [d.code for d in check_policy(policy)]


@pytest.mark.parametrize("body, unbounded", [
    ("  给予 投资额 × 5%\n", True),                                   # a formula, nothing caps it
    ("  给予 最高 贡献 × 50%\n", False),                               # 最高不超过…的50%: a cap
    ("  给予 投资额 × 5% 最高 贡献 × 50%\n", False),                     # a formula cap on a formula
    ("  当 投资额 低于 1000万元\n  给予 投资额 × 5%\n", False),              # the condition bounds it: 50万元
    ("  当 投资额 1000万元以下 且 甲\n  给予 投资额 × 5%\n", False),          # a side of 且 counts
    ("  当 投资额 低于 1000万元 或 甲\n  给予 投资额 × 5%\n", True),          # not under 或
    ("  当 非 投资额 超过 1000万元\n  给予 投资额 × 5%\n", True),             # nor under 非
    ("  当 投资额 超过 1000万元\n  给予 投资额 × 5%\n", True),               # a lower bound bounds nothing
    ("  当 贡献 低于 100万元\n  给予 上年 贡献 × 50%\n", True),              # another year is another value
    ("  给予 不低于 投资额 × 10%\n", False),                            # a floor: the rest by review
])
def test_e080_sees_formula_caps_and_the_clauses_own_bounds(body, unbounded):
    assert ("E080" in _codes(body)) is unbounded


def test_a_bound_from_the_conditions_is_the_clauses_ceiling():
    models, _modules = _load(FORMULA)
    clauses = {c.label: c for c in models[0].clauses}
    assert clauses["第五条"].ceiling == Decimal("500000") and clauses["第五条"].could_pay == Decimal("500000")
    assert clauses["第三条"].ceiling is None and clauses["第四条"].ceiling is None  # bounded per applicant only
    report = _evaluate(FORMULA, {"技改投资额": None, "新落户总部": True, "设备投资额": "0元", "总部经济贡献奖励": False},
                       datetime.date(2024, 6, 30))
    # 第五条 could pay 50万元 (its condition's bound); 第三条's cap is a formula of a missing fact: no bound stated
    assert report["total"] == {"min": "0.00", "max": "500000.00", "open": [], "undecided": ["云溪政发〔2023〕9号第三条"]}


def test_an_open_rate_names_its_base_and_invents_no_rate():
    report = _evaluate(FORMULA, {"总部经济贡献奖励": True}, datetime.date(2024, 6, 30))
    row = report["clauses"][3]
    assert row["award"] == {"kind": "unspecified", "min": None, "max": None}
    assert "按地方财政贡献的一定比例，比例原文未定" in "".join(row["trace"])
    assert report["total"]["open"] == ["云溪政发〔2023〕9号第六条"]
    printed = run_polc("build", "--emit", "ast", str(FORMULA.relative_to(ROOT))).stdout
    assert "  给予 地方财政贡献 × 一定比例\n" in printed
    summary = run_polc("build", "--emit", "md", str(FORMULA.relative_to(ROOT))).stdout
    assert "按 地方财政贡献 的一定比例（比例原文未定，金额未列明）" in summary
    assert "另有按公式封顶的条款（封顶随企业事实而定）：第三条（地方财政贡献 × 50%）" in summary


def test_the_received_fact_is_asked_for_and_traced_records_carry_the_marks(tmp_path):
    template = json.loads(run_polc("facts", str(CUMULATIVE.relative_to(ROOT))).stdout)
    assert template["facts"]["往年已获奖励"]["used_by"] == ["云溪科〔2023〕2号 企业上限"]
    register = _register(tmp_path, ["申请人", "往年已获奖励", "高新技术企业", "研发费用增长额"],
                         [["B1", "5万元", "是", "200万元"], ["B2", "", "是", ""]])
    models, modules = _load(CUMULATIVE)
    evaluator = runtime.Evaluator([(m.POLICY, m.CLAUSES) for m in modules])
    for engine in ("python", "duckdb"):
        result = run_polc("eval", str(CUMULATIVE.relative_to(ROOT)), "--batch", str(register), "--on", "2024-06-30",
                          "--engine", engine, "--trace")
        records = [json.loads(line) for line in result.stdout.splitlines()[:-1]]
        for record, facts in zip(records, [{"往年已获奖励": "5万元", "高新技术企业": True, "研发费用增长额": "200万元"},
                                           {"高新技术企业": True}]):
            single = evaluator.evaluate(facts, datetime.date(2024, 6, 30)).to_json()
            assert record["clauses"] == [c for c in single["clauses"] if c["applies"] is not False]
            assert record["total"] == single["total"]
        assert [c.get("allocation") for c in records[0]["clauses"]] == ["capped", "capped"]
