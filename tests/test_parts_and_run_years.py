"""Issue 13: payments in parts (其中 P [第N年] [待 条件]) and rates over a run of years
(分年度, 自 F 起 第N年), beyond the examples of tests/language/parts and run-years: what the
results say about each part, how totals count them, the runtime's splitting rule, the
summary; offsets (抵扣), which the SQL backend and so the DuckDB batch engine decide too."""

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import interpreter, runtime
from compiler.lower import lower
from compiler.parser import parse
from compiler.source import SourceFile

from conftest import ROOT, run_polc

PARTS = ROOT / "tests" / "language" / "parts" / "parts.pol"
RUN_YEARS = ROOT / "tests" / "language" / "run-years" / "run-years.pol"


def _model(path):
    policy, problems = parse(SourceFile.read(str(path)))
    assert not problems
    return lower(policy)


def _clause(evaluation, label):
    return next(c for c in evaluation["clauses"] if c["article"] == label)


def test_each_part_is_shown_with_its_status_and_totals_count_only_what_is_paid_now():
    model = _model(PARTS)
    evaluation = interpreter.evaluate([model], {"设备投资额": "1000万元", "项目投资额": "1亿元", "投资进度": "60%",
                                                "首台套装备": True}, "2024-03-31").to_json()
    fourth = _clause(evaluation, "第四条")  # 达产升规 unknown: that part cannot be decided, the clause is paid
    assert fourth["applies"] is True and fourth["paid"] is True
    assert fourth["award"]["min"] == "500000.00" and fourth["award"]["max"] == "1000000.00"
    assert [(p["part"], p["status"], p["max"]) for p in fourth["award"]["parts"]] == [
        ("50%", "paid", "500000.00"), ("50% 待 达产升规", "undecidable", "500000.00")]
    fifth = _clause(evaluation, "第五条")  # 竣工投产 unknown, 投资进度 60% ≥ 50%
    assert [(p["status"], p["max"]) for p in fifth["award"]["parts"]] == [("paid", "2000000.00"),
                                                                          ("undecidable", "3000000.00")]
    sixth = _clause(evaluation, "第六条")
    assert [(p["part"], p["status"], p.get("year")) for p in sixth["award"]["parts"]] == [
        ("60% 第1年", "paid", 1), ("40% 第2年", "pending", 2)]
    # min: what is paid now (50万 + 200万 + 120万); max: the whole awards (100万 + 500万 + 200万)
    assert evaluation["total"]["min"] == "3700000.00" and evaluation["total"]["max"] == "8000000.00"
    assert "其中 50% 待 达产升规：50万元，无法判定是否兑现" in fourth["trace"]


def test_a_clause_that_does_not_pay_reads_no_part_condition():
    model = _model(PARTS)
    result = interpreter.evaluate([model], {"设备投资额": "10万元"}, "2024-03-31").clause("第四条")
    assert result.applies is False and result.award is None
    assert not any("达产升规" in line for line in result.trace)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**11), st.lists(st.integers(1, 97), min_size=1, max_size=5),
       st.lists(st.sampled_from([True, False, None]), min_size=6, max_size=6))
def test_parts_add_up_to_the_award_each_rounded_half_up_the_last_taking_the_rest(cents, weights, outcomes):
    amount = Decimal(cents) / 100
    shares = [Decimal(w) / sum(weights) for w in weights[:-1]]
    shares.append(Decimal(1) - sum(shares, Decimal(0)))
    parts = tuple((share, f"{i}", None, outcomes[i]) for i, share in enumerate(shares))
    run = runtime.Run({}, 2023)
    award = runtime.in_parts(run, runtime.Award("exact", amount, amount), parts)
    assert sum(p.max for p in award.parts) == amount and award.max == amount
    for part, share in zip(award.parts[:-1], shares):
        assert part.min == part.max == (amount * share).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    assert award.min == sum((p.min for p in award.parts if p.status == "paid"), Decimal("0.00"))
    assert [p.status for p in award.parts] == [{True: "paid", False: "pending", None: "undecidable"}[o]
                                               for o in outcomes[:len(shares)]]




def test_summaries_show_parts_and_the_rates_of_each_year_of_the_run():
    parts = run_polc("build", "--emit", "md", str(PARTS.relative_to(ROOT))).stdout
    assert "分期兑现：50% 本期兑现；50% 待「达产升规」成立后兑现" in parts
    assert "60% 本期兑现；40% 第2年兑现" in parts
    years = run_polc("build", "--emit", "md", str(RUN_YEARS.relative_to(ROOT))).stdout
    assert ("分年度（认定年度次年为第1年）：前三年（第1–3年）地方财政贡献 × 80%；后两年（第4–5年）地方财政贡献 × 50%"
            in years)
    assert "全期 2500万元" in years  # each year capped at 500万元, five years


def test_the_year_of_the_run_is_traced_and_outside_it_the_clause_does_not_apply():
    model = _model(RUN_YEARS)
    facts = {"总部企业": True, "地方财政贡献": {"2022": "100万元"}}
    fourth = interpreter.evaluate([model], {**facts, "认定年度": 2018}, "2023-06-30").clause("第三条")
    assert "分年度：后两年（第4–5年）" in fourth.trace and fourth.award.max == Decimal("500000.00")
    later = interpreter.evaluate([model], {**facts, "认定年度": 2016}, "2023-06-30").clause("第三条")
    assert later.applies is False and later.reason == "考核年度不在分年度的年次之内"
    unknown = interpreter.evaluate([model], facts, "2023-06-30").clause("第三条")
    assert unknown.applies is None and "认定年度" in unknown.missing


def test_two_awards_are_still_an_error_parts_are_the_way_to_split_one(tmp_path):
    draft = tmp_path / "d.pol"
    draft.write_text("政策 测试〔2023〕1号\n  施行日期 2023年1月1日\n\n事实 投资额: 金额\n\n条款 第一条\n"
                     "  给予 投资额 × 5%\n  给予 投资额 × 5%\n  不设上限\n", encoding="utf-8")
    result = run_polc("check", str(draft))
    assert result.returncode == 1 and "[E019]" in result.stdout


def test_full_batch_records_carry_the_parts(tmp_path):
    register = tmp_path / "r.jsonl"
    register.write_text(json.dumps({"申请人": "A1", "设备投资额": "1000万元", "达产升规": False},
                                   ensure_ascii=False) + "\n", encoding="utf-8")
    result = run_polc("eval", str(PARTS.relative_to(ROOT)), "--batch", str(register), "--on", "2024-03-31",
                      "--trace")
    record = json.loads(result.stdout.splitlines()[0])
    fourth = next(c for c in record["clauses"] if c["article"] == "第四条")
    assert [p["status"] for p in fourth["award"]["parts"]] == ["paid", "pending"]
    assert record["total"]["min"] == "500000.00" and record["total"]["max"] == "13000000.00"  # with what 第五、六条 could pay


# ---------------------------------------------------------------- offsets (抵扣)
OFFSETS = ROOT / "tests" / "language" / "offsets" / "offsets.pol"


def test_an_award_is_reduced_by_another_and_says_by_which_and_how_much():
    model = _model(OFFSETS)
    facts = {"固定资产投资额": "2000万元", "亩均税收": "30万元", "用地面积": 150, "往年已获技改奖励": "80万元"}
    evaluation = interpreter.evaluate([model], facts, "2024-03-31").to_json()
    performance = _clause(evaluation, "第八条")  # 150万元 less the 60万元 of 第七条
    assert performance["award"] == {"kind": "exact", "min": "900000.00", "max": "900000.00"}
    assert performance["offsets"] == [{"offset": "固定资产投资奖励", "by": ["区政发[2023]3号第七条"],
                                       "min": "600000.00", "max": "600000.00"}]
    assert "抵扣「固定资产投资奖励」（区政发[2023]3号第七条）：60万元" in performance["trace"]
    followup = _clause(evaluation, "第九条")  # 75万元 less 80万元 received before: never below 0
    assert followup["award"]["min"] == followup["award"]["max"] == "0.00"
    assert evaluation["total"]["min"] == evaluation["total"]["max"] == "1500000.00"  # 60 + 90 + 0


def test_an_offset_whose_source_cannot_be_decided_leaves_a_range():
    model = _model(OFFSETS)
    evaluation = interpreter.evaluate([model], {"亩均税收": "30万元", "用地面积": 150}, "2024-03-31").to_json()
    performance = _clause(evaluation, "第八条")  # 第七条 could pay up to 300万元
    assert performance["award"]["min"] == "0.00" and performance["award"]["max"] == "1500000.00"
    assert performance["offsets"][0]["by"] == ["区政发[2023]3号第七条（无法判定）"]
    followup = _clause(evaluation, "第九条")  # the amount received before is unknown: no upper bound
    assert followup["award"]["min"] == "0.00" and followup["award"]["max"] == "750000.00"
    assert followup["offsets"][0]["max"] is None


def test_without_the_source_nothing_is_taken_off():
    model = _model(OFFSETS)
    evaluation = interpreter.evaluate([model], {"固定资产投资额": "100万元", "亩均税收": "30万元", "用地面积": 150,
                                                "往年已获技改奖励": "0元"}, "2024-03-31").to_json()
    performance = _clause(evaluation, "第八条")
    assert performance["award"]["max"] == "1500000.00" and performance["offsets"][0]["by"] == []


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 4000), st.integers(0, 400), st.integers(0, 200), st.sampled_from(["2024-03-31", "2022-06-30"]))
def test_offsets_agree_between_the_interpreter_the_generated_module_and_the_python_batch(invest, area, before, on):
    from compiler import batch, driver
    project = driver.load([str(OFFSETS)])
    module = driver.load_module(project.policies[0])
    facts = {"固定资产投资额": Decimal(invest) * 10000, "亩均税收": Decimal(300000), "用地面积": Decimal(area),
             "往年已获技改奖励": Decimal(before) * 10000}
    reference = interpreter.evaluate([project.model(project.policies[0])], facts, on).to_json()
    generated = runtime.Evaluator([(module.POLICY, module.CLAUSES)]).evaluate(facts, on).to_json()
    assert generated == reference
    engine = batch._Engine([module], on)  # the Python batch's own evaluation loop
    assert [r.to_json() for r in engine.evaluate(engine.typed(facts), True)] == reference["clauses"]
    for row in reference["clauses"]:
        if row["award"] is not None:
            assert Decimal(row["award"]["min"]) >= 0 and Decimal(row["award"]["min"]) <= Decimal(row["award"]["max"])


def test_sql_expresses_offsets_and_the_duckdb_batch_matches_the_python_batch(tmp_path):
    """The SQL backend decides offsets itself: `polc build --emit sql` writes the query, and the
    DuckDB batch engine runs it (no fallback to the Python runtime) with the same bytes."""
    result = run_polc("build", "--emit", "sql", str(OFFSETS.relative_to(ROOT)))
    assert result.returncode == 0 and "SELECT" in result.stdout, result.stderr
    register = tmp_path / "r.csv"
    register.write_text("申请人,固定资产投资额,亩均税收,用地面积,往年已获技改奖励\n"
                        "A1,2000万元,30万元,150,80万元\nA2,,30万元,150,\nA3,1亿元,30万元,400,10万元\n", encoding="utf-8")
    outputs = {}
    for engine in ("duckdb", "python"):
        out = tmp_path / f"{engine}.jsonl"
        done = run_polc("eval", str(OFFSETS.relative_to(ROOT)), "--batch", str(register), "--on", "2024-03-31",
                        "--out", str(out), "--engine", engine)
        assert done.returncode == 0, done.stderr
        assert "cannot express" not in done.stderr and "不能表达" not in done.stderr
        outputs[engine] = out.read_bytes()
    assert outputs["duckdb"] == outputs["python"]
    first = json.loads(outputs["python"].decode("utf-8").splitlines()[0])
    assert first["total"] == {"min": "1500000.00", "max": "1500000.00"}


def test_polc_facts_lists_the_facts_of_part_conditions_and_offsets():
    parts = json.loads(run_polc("facts", str(PARTS.relative_to(ROOT))).stdout)["facts"]
    assert {"达产升规", "投资进度", "竣工投产"} <= set(parts)
    offsets = json.loads(run_polc("facts", str(OFFSETS.relative_to(ROOT))).stdout)["facts"]
    assert "往年已获技改奖励" in offsets and "固定资产投资奖励" not in offsets
    assert {"达产升规", "投资进度"} <= set(_model(PARTS).used_facts) and "往年已获技改奖励" in _model(OFFSETS).used_facts
