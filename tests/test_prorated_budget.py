"""Budgets that pro-rate (预算 … 按比例核减 / 按比例分配, issue 13): when the qualifying awards
want more than the budget, each is scaled by budget ÷ wanted, rounded once half up to the
cent, and the remainder cents go to the awards rounding cut the most (taken from those it
raised the most), ties to the applicant identifier — so the budget is spent exactly, no cent
lost or invented. Both batch engines must agree byte for byte; 择优 and ranked budgets keep
their meaning (needs_selection, outside_budget)."""

import io
import json
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from compiler import batch, compact, driver, runtime, sql_batch
from compiler.checks import check_policy
from compiler.parser import parse
from compiler.source import SourceFile

from conftest import ROOT, run_polc

POLICY = "tests/language/prorated-budget/prorated-budget.pol"
_LOADED: dict = {}


def _project(text: str | None = None, tmp_path=None):
    key = text or POLICY
    if key not in _LOADED:
        path = ROOT / POLICY
        if text is not None:
            path = tmp_path / "p.pol"
            path.write_text(text, encoding="utf-8")
        project = driver.load([str(path)])
        assert not project.has_errors
        _LOADED[key] = ([driver.load_module(p) for p in project.policies], [project.model(p) for p in project.policies])
    return _LOADED[key]


def _both(register, project, on="2023-06-30"):
    modules, models = project
    python_out, python_err = io.StringIO(), io.StringIO()
    batch.run(modules, str(register), on, python_out, python_err)
    sql_out, sql_err = io.StringIO(), io.StringIO()
    sql_batch.run(modules, str(register), on, sql_out, sql_err, models=models)
    return python_out.getvalue(), sql_out.getvalue()


def _register(tmp_path, rows, name="r.csv"):
    path = tmp_path / name
    path.write_text("申请人,出口额,展会摊位费\n" + "".join(f"{a},{x},{y}\n" for a, x, y in rows), encoding="utf-8")
    return path


def _records(text):
    lines = [json.loads(line) for line in text.splitlines()]
    return [compact.flatten(line) for line in lines[:-1]], lines[-1]["summary"]


# ---------------------------------------------------------------- the law's own numbers
def test_over_budget_every_award_is_scaled_and_the_budget_is_spent_to_the_cent(tmp_path):
    # 13 exporters want 13 × 10万元 = 130万元 of a 100万元 budget: each gets 10万 × 100/130
    # = 76923.0769…元 → 76923.08 half up; 13 × 76923.08 = 1000000.04: four cents too many,
    # taken from the four awards rounding raised the most (all equal: the first four by 申请人).
    rows = [(f"E{i:02d}", "1000万元", "") for i in range(13)]
    python, sql = _both(_register(tmp_path, rows), _project())
    assert python == sql
    records, summary = _records(python)
    funded = [Decimal(r["clauses"][0]["max"]) for r in records]
    assert funded == [Decimal("76923.07")] * 4 + [Decimal("76923.08")] * 9
    assert sum(funded) == Decimal("1000000.00")
    assert {r["clauses"][0]["allocation"] for r in records} == {"prorated"}
    assert {r["clauses"][0]["reason"] for r in records} == {"paid"}
    assert all(r["clauses"][0]["min"] == r["clauses"][0]["max"] for r in records)  # exact stays exact
    # the booth subsidy (第四条) is undecidable here: total.max adds what it could pay (5万元)
    assert records[0]["total"] == {"min": "76923.07", "max": "126923.07"}
    budget = summary["budgets"]["县商务[2022]5号 外贸专项资金"]
    assert budget == {"payer": "外贸专项资金", "budget": "1000000.00", "wanted": "1300000.00", "candidates": 13,
                      "spent": "1000000.00", "funded": 13, "prorated": 13, "over_by": "300000.00"}
    assert summary["clauses"]["县商务[2022]5号 第三条"]["max"] == "1000000.00"


def test_within_budget_nothing_changes(tmp_path):
    rows = [(f"E{i:02d}", "1000万元", "") for i in range(10)]  # exactly 100万元: not over
    python, sql = _both(_register(tmp_path, rows), _project())
    assert python == sql
    records, summary = _records(python)
    assert {(r["clauses"][0]["max"], r["clauses"][0]["allocation"]) for r in records} == {("100000.00", "within_budget")}
    assert summary["budgets"]["县商务[2022]5号 外贸专项资金"]["spent"] == "1000000.00"
    assert "prorated" not in summary["budgets"]["县商务[2022]5号 外贸专项资金"]


def test_one_cent_over_prorates_and_the_cent_comes_from_one_award(tmp_path):
    rows = [(f"E{i:02d}", "1000万元", "0元") for i in range(10)] + [("F00", "0元", "0.02元")]  # 0.01 over
    python, sql = _both(_register(tmp_path, rows), _project())
    assert python == sql
    records, summary = _records(python)
    funded = [Decimal(c["max"]) for r in records for c in r["clauses"]]
    assert sum(funded) == Decimal("1000000.00") and len(funded) == 11
    assert all(c["allocation"] == "prorated" for r in records for c in r["clauses"])
    # 10万 × 1000000/1000000.01 = 99999.99900… → 100000.00; 0.01 × … → 0.01: one cent over, taken
    # from the award rounding raised the most (the 0.01 元 one was raised by 0.0000000…1, less)
    assert funded.count(Decimal("99999.99")) == 1 and funded[-1] == Decimal("0.01")


def test_trace_shows_the_prorated_amount_and_why(tmp_path):
    rows = [(f"E{i:02d}", "1000万元", "") for i in range(13)]
    modules, _models = _project()
    out = io.StringIO()
    batch.run(modules, str(_register(tmp_path, rows)), "2023-06-30", out, io.StringIO(),
              explain=batch.Explain(every=True))
    first = json.loads(out.getvalue().splitlines()[0])
    clause = first["clauses"][0]
    assert clause["allocation"] == "prorated" and clause["paid"] is True
    assert clause["award"]["max"] == "76923.07" and "按比例核减" in clause["reason"]
    assert first["total"]["min"] == "76923.07"


# ---------------------------------------------------------------- the rule, for any claims
claims_strategy = st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(claims_strategy, st.integers(min_value=1, max_value=10**10), st.randoms(use_true_random=False))
def test_prorata_spends_the_budget_exactly_and_each_share_is_within_a_cent(claims, budget_cents, rng):
    candidates = [(f"A{rng.randint(0, 5)}", (), (i, 0), Decimal(c) / 100, None) for i, c in enumerate(claims)]
    budget = ("资金", Decimal(budget_cents) / 100, (), "prorate")
    decided, amounts, summary = runtime.allocate_budget_prorata(budget, candidates)
    wanted = sum(claims)
    if wanted <= budget_cents:
        assert amounts == {} and {d for d, _p in decided.values()} == {"within_budget"}
        return
    funded = {payload: high for payload, (_low, high) in amounts.items()}
    assert sum(funded.values()) == Decimal(budget_cents) / 100  # nothing lost or invented
    for (_a, _v, payload, claim, _low) in candidates:
        exact = Fraction(claim) * budget_cents / wanted
        assert abs(Fraction(funded[payload]) - exact) < Fraction(1, 100)
        assert funded[payload] >= 0
    assert summary["spent"] == runtime.yuan(Decimal(budget_cents) / 100)


# ---------------------------------------------------------------- both engines on random registers
@pytest.mark.parametrize("seed", range(4))
def test_both_engines_agree_on_random_registers(tmp_path, seed):
    rng = random.Random(seed)
    rows = []
    for i in range(rng.randint(5, 60)):
        export = rng.choice(["1000万元", "5000万元", "999万元", ""])
        booth = rng.choice(["", "3333.33元", "12万元", "1.7万元", "0.01元", "77777.77元"])
        rows.append((f"E{rng.randint(0, 10**6):07d}", export, booth))
    rows = list({r[0]: r for r in rows}.values())
    python, sql = _both(_register(tmp_path, rows), _project())
    assert python == sql
    _records_, summary = _records(python)
    budget = summary["budgets"].get("县商务[2022]5号 外贸专项资金")
    if budget and "prorated" in budget:
        assert budget["spent"] == "1000000.00"


def test_up_to_and_range_awards_scale_their_minimum_too(tmp_path):
    text = ("政策 测试〔2022〕1号\n  施行日期 2022年1月1日\n  预算 专项资金 每年 10万元 按比例分配\n\n"
            "事实 投资额: 金额\n\n条款 第一条\n  当 投资额 超过 0元\n  给予 投资额 × 10% 至 投资额 × 20%\n"
            "  不设上限\n  说明 \"测试\"\n")
    project = _project(text, tmp_path)
    register = tmp_path / "r.csv"
    register.write_text("申请人,投资额\nA,50万元\nB,100万元\nC,100万元\n", encoding="utf-8")
    python, sql = _both(register, project)
    assert python == sql
    records, _summary = _records(python)
    # wanted 10万 + 20万 + 20万 = 50万 for 10万: ratio 1/5.
    assert [(r["clauses"][0]["min"], r["clauses"][0]["max"]) for r in records] == [
        ("10000.00", "20000.00"), ("20000.00", "40000.00"), ("20000.00", "40000.00")]


def test_selection_and_ranking_keep_their_meaning(tmp_path):
    # 择优 over budget: needs_selection, never ranked by invention (issue 9), unchanged.
    text = ("政策 测试〔2022〕2号\n  施行日期 2022年1月1日\n  预算 专项资金 每年 10万元 择优\n\n"
            "事实 投资额: 金额\n\n条款 第一条\n  当 投资额 超过 0元\n  给予 5万元\n")
    project = _project(text, tmp_path)
    register = tmp_path / "r.csv"
    register.write_text("申请人,投资额\nA,50万元\nB,100万元\nC,100万元\n", encoding="utf-8")
    python, sql = _both(register, project)
    assert python == sql
    records, _summary = _records(python)
    assert {r["clauses"][0]["reason"] for r in records} == {"needs_selection"}


# ---------------------------------------------------------------- the form
def test_the_form_prints_and_parses_as_written():
    from compiler import printer
    for word in ("按比例核减", "按比例分配"):
        text = f"政策 测试〔2022〕1号\n  预算 专项资金 每年 10万元 {word}\n"
        policy, problems = parse(SourceFile("d.pol", text))
        assert problems == [] and policy.budgets[0].prorate == word
        assert printer.policy(policy) == text


@pytest.mark.parametrize("extra", ["  分担 市级财政 50%、县级财政 50%\n", "  预算 县级财政 每年 5万元\n"])
def test_a_prorated_budget_beside_a_split_or_another_budget_is_E360(extra):
    text = (f"政策 测试〔2022〕1号\n  施行日期 2022年1月1日\n  预算 市级财政 每年 10万元 按比例核减\n{extra}\n"
            "事实 投资额: 金额\n\n条款 第一条\n  当 投资额 超过 0元\n  给予 5万元\n")
    policy, problems = parse(SourceFile("d.pol", text))
    assert "E360" in [d.code for d in check_policy(policy)]


def test_the_summary_states_the_rule():
    done = run_polc("build", "--emit", "md", POLICY)
    assert done.returncode == 0
    assert "资金不足时按比例核减" in done.stdout and "prorated" in done.stdout


# ---------------------------------------------------------------- fund minimums (资金 … 每年 不少于 …)
def test_a_fund_minimum_is_recorded_shown_and_never_a_cap(tmp_path):
    from compiler import printer
    text = (ROOT / POLICY).read_text(encoding="utf-8")
    policy, problems = parse(SourceFile("d.pol", text))
    assert problems == [] and [(f.fund.text, f.amount.text) for f in policy.fund_minimums] == [("外贸专项资金", "100万元")]
    assert "  资金 外贸专项资金 每年 不少于 100万元\n" in printer.policy(policy)
    assert "外贸专项资金 每年不少于 100万元（对资金总量的要求，不是对申请人的上限）" in run_polc(
        "build", "--emit", "md", POLICY).stdout
    # the same register with the line taken out gives the same bytes: it pays and limits nothing
    without = tmp_path / "without.pol"
    without.write_text(text.replace("资金 外贸专项资金 每年 不少于 100万元\n", ""), encoding="utf-8")
    rows = [(f"E{i:02d}", "1000万元", "") for i in range(13)]
    register = _register(tmp_path, rows)
    assert _both(register, _project()) == _both(register, _project(without.read_text(encoding="utf-8"), tmp_path))


def test_a_budget_below_the_fund_minimum_is_W360():
    text = ("政策 测试〔2022〕1号\n  施行日期 2022年1月1日\n  预算 专项资金 每年 10万元\n  资金 专项资金 每年 不少于 20万元\n\n"
            "事实 投资额: 金额\n\n条款 第一条\n  当 投资额 超过 0元\n  给予 5万元\n")
    policy, _problems = parse(SourceFile("d.pol", text))
    assert "W360" in [d.code for d in check_policy(policy)]
    assert "W360" not in [d.code for d in check_policy(parse(SourceFile("d.pol", text.replace("10万元", "20万元")))[0])]


# ---------------------------------------------------------------- 分担 … 除外 for an item (issue 13, on main): both engines
def test_payer_by_item_funding_is_the_same_in_both_engines(tmp_path):
    path = ROOT / "tests" / "language" / "payer-by-item" / "payer-by-item.pol"
    project = driver.load([str(path)])
    modules, models = [driver.load_module(p) for p in project.policies], [project.model(p) for p in project.policies]
    register = tmp_path / "r.csv"
    register.write_text("申请人,获评高新技术企业,获评科技小巨人\nA,是,是\nB,否,是\nC,是,\n", encoding="utf-8")
    python, sql = _both(register, (modules, models), on="2023-06-30")
    assert python == sql
    first = compact.flatten(json.loads(python.splitlines()[0]))
    assert [c["funding"] for c in first["clauses"]] == [
        {"市级财政": {"min": "100000.00", "max": "100000.00"}, "县级财政": {"min": "100000.00", "max": "100000.00"}},
        {"市级财政": {"min": "500000.00", "max": "500000.00"}}]
