"""Quotas and budgets across applicants, as the law says them (issue 9). Each register is
built from the law's own numbers: 嘉政办发〔2020〕10号 第四条 (a share of all nominees of one
round), 嘉政发〔2020〕6号 第十二条第1项 (10 per headquarters) and 第四条 (10 a year, no order),
嘉农发〔2020〕16号 (600万元 a year, no order), and a fixture for the ranked forms.

The allocation values: within_quota / within_budget, outside_quota / outside_budget (ranked,
past the limit), needs_selection (no declared order: the reviewers choose), list_over (a
percentage quota that the proposed list exceeds)."""

import json
from decimal import Decimal

from compiler import runtime

from test_batch import _batch, _clause, _platform

POLICY_10 = "policies/jzbf-2020-10.pol"
DOC_10 = "嘉政办发〔2020〕10号"


def _allocations(records, policy, label):
    return {r["applicant"]: _clause(r, policy, label)["allocation"] for r in records}


# ---------------------------------------------------------------- a share of all nominees
def test_fifteen_leaders_among_a_hundred_nominees_are_within_twenty_percent(tmp_path):
    rows = [{"申请人": f"L{n:02d}", "奖励对象类型": "个人", "参评对象层级": "县处级领导干部", "参评总人数": 100}
            for n in range(15)]
    records, summary, _ = _batch(tmp_path, rows, POLICY_10, on="2020-06-30")
    assert set(_allocations(records, DOC_10, "第四条第4项").values()) == {"within_quota"}
    quota = summary["quotas"][f"{DOC_10} 第四条第4项"]
    assert quota["groups"] == [{"group": {"参评总人数": "100"}, "candidates": 15, "limit": 20}]


def test_twenty_five_leaders_among_a_hundred_are_a_list_over_the_share(tmp_path):
    rows = [{"申请人": f"L{n:02d}", "奖励对象类型": "个人", "参评对象层级": "县处级领导干部", "参评总人数": 100}
            for n in range(25)]
    records, summary, _ = _batch(tmp_path, rows, POLICY_10, on="2020-06-30")
    assert set(_allocations(records, DOC_10, "第四条第4项").values()) == {"list_over"}
    assert summary["quotas"][f"{DOC_10} 第四条第4项"]["groups"][0]["over_by"] == 5
    assert summary["clauses"][f"{DOC_10} 第四条第4项"]["list_over"] == 25


def test_three_third_class_merits_among_a_hundred_get_a_limit_of_fifteen_not_zero(tmp_path):
    rows = [{"申请人": f"M{n}", "奖励种类": "记三等功", "奖励对象类型": "个人", "同类参评总数": 100} for n in range(3)]
    records, summary, _ = _batch(tmp_path, rows, POLICY_10, on="2020-06-30")
    assert set(_allocations(records, DOC_10, "第四条第5项").values()) == {"within_quota"}
    assert summary["quotas"][f"{DOC_10} 第四条第5项"]["groups"][0]["limit"] == 15


def test_individuals_and_collectives_are_counted_separately(tmp_path):
    individuals = [{"申请人": f"P{n:02d}", "奖励种类": "记三等功", "奖励对象类型": "个人", "同类参评总数": 100}
                   for n in range(15)]
    collectives = [{"申请人": f"C{n:02d}", "奖励种类": "记三等功", "奖励对象类型": "集体", "同类参评总数": 20}
                   for n in range(4)]  # 15% of 20 collectives is 3
    records, summary, _ = _batch(tmp_path, individuals + collectives, POLICY_10, on="2020-06-30")
    allocation = _allocations(records, DOC_10, "第四条第5项")
    assert {allocation[f"P{n:02d}"] for n in range(15)} == {"within_quota"}  # pooled, 19 > 15 would flag them
    assert {allocation[f"C{n:02d}"] for n in range(4)} == {"list_over"}
    groups = summary["quotas"][f"{DOC_10} 第四条第5项"]["groups"]
    assert [(g["group"]["奖励对象类型"], g["limit"]) for g in groups] == [("个人", 15), ("集体", 3)]


def test_the_two_hundred_threshold_is_read_from_the_base_not_from_the_list(tmp_path):
    # 3 individuals proposed in a round of 250 nominees: 1% of 250 is 2, so the list is over.
    rows = [{"申请人": f"N{n}", "奖励对象类型": "个人", "参评总人数": 250} for n in range(3)]
    records, summary, _ = _batch(tmp_path, rows, POLICY_10, on="2020-06-30")
    assert set(_allocations(records, DOC_10, "第四条第1项").values()) == {"list_over"}
    assert summary["quotas"][f"{DOC_10} 第四条第1项"]["groups"][0]["limit"] == 2


def test_no_limit_when_the_base_is_at_the_threshold():
    quota = (None, Decimal("0.01"), 200, (), "参评总人数", ())
    candidates = [(f"N{n}", (), n, (Decimal(200),)) for n in range(150)]
    decisions, summary = runtime.allocate_quota(quota, candidates)
    assert {d for d, _place in decisions.values()} == {"within_quota"}
    assert summary["groups"][0]["limit"] is None


# ---------------------------------------------------------------- per group
def _executive(applicant, headquarters):
    return {"申请人": applicant, "总部型企业": True, "副职以上高管": True, "高管个税地方留存": "8万元",
            "高管首次奖励年度": 2020, "所属总部企业": headquarters}


def test_fifteen_executives_of_two_headquarters_are_within_ten_per_headquarters(tmp_path):
    rows = [_executive(f"A{n}", "总部甲") for n in range(9)] + [_executive(f"B{n}", "总部乙") for n in range(6)]
    records, summary, _ = _batch(tmp_path, rows, "policies/jzf-2020-06.pol")
    assert set(_allocations(records, "嘉政发〔2020〕6号", "第十二条第1项").values()) == {"within_quota"}
    groups = summary["quotas"]["嘉政发〔2020〕6号 第十二条第1项"]["groups"]
    assert [(g["group"]["所属总部企业"], g["candidates"], g["limit"]) for g in groups] == [("总部乙", 6, 10), ("总部甲", 9, 10)]


def test_a_headquarters_over_ten_needs_selection_and_the_other_is_untouched(tmp_path):
    rows = [_executive(f"A{n:02d}", "总部甲") for n in range(11)] + [_executive(f"B{n}", "总部乙") for n in range(4)]
    rows.append({**_executive("X", "总部甲"), "所属总部企业": None})
    records, summary, _ = _batch(tmp_path, rows, "policies/jzf-2020-06.pol")
    allocation = _allocations(records, "嘉政发〔2020〕6号", "第十二条第1项")
    assert {allocation[f"A{n:02d}"] for n in range(11)} == {"needs_selection"}
    assert {allocation[f"B{n}"] for n in range(4)} == {"within_quota"}
    assert allocation["X"] == "needs_selection"  # no headquarters named: cannot be placed in a group
    unplaced = next(_clause(r, "嘉政发〔2020〕6号", "第十二条第1项") for r in records if r["applicant"] == "X")
    assert "无法归入名额" in unplaced["reason"]
    assert summary["quotas"]["嘉政发〔2020〕6号 第十二条第1项"]["unplaced"] == 1


# ---------------------------------------------------------------- unranked
def test_twelve_platforms_for_ten_places_with_no_order_need_selection(tmp_path):
    rows = [_platform(f"P{n:02d}", f"{6 + n}亿元") for n in range(11)]
    rows.append({**_platform("CLOUD", "6000万元"), "平台类别": "云计算",
                 "平台交易额": {"2018": "3000万元", "2019": "4000万元", "2020": "6000万元"}})
    records, summary, _ = _batch(tmp_path, rows, "policies/jzf-2020-06.pol")
    by_applicant = {r["applicant"]: r for r in records}
    clauses = {a: _clause(r, "嘉政发〔2020〕6号", "第四条") for a, r in by_applicant.items()}
    assert {c["allocation"] for c in clauses.values()} == {"needs_selection"}  # the cloud platform too
    cloud = clauses["CLOUD"]
    assert cloud["applies"] is True and cloud["paid"] is False and "择优" in cloud["reason"]
    assert summary["quotas"]["嘉政发〔2020〕6号 第四条"] == {"candidates": 12, "limit": 10, "over_by": 2}
    assert summary["clauses"]["嘉政发〔2020〕6号 第四条"]["needs_selection"] == 12


def test_needs_selection_is_not_paid_but_counts_in_total_max(tmp_path):
    rows = [{"申请人": a, "择优对象": True, "平台企业": False, "另一奖励条件": False, "申报项目": False} for a in "AB"]
    records, _summary, _ = _batch(tmp_path, rows, "tests/fixtures/quotas.pol")
    for record in records:
        assert _clause(record, "测试〔2020〕9号", "第四条")["allocation"] == "needs_selection"
        assert record["total"] == {"min": "0.00", "max": "50000.00", "open": []}


def test_ten_platforms_for_ten_places_are_all_within(tmp_path):
    rows = [_platform(f"P{n:02d}", f"{6 + n}亿元") for n in range(10)]
    records, _summary, _ = _batch(tmp_path, rows, "policies/jzf-2020-06.pol")
    assert set(_allocations(records, "嘉政发〔2020〕6号", "第四条").values()) == {"within_quota"}


def _farm(applicant):
    return {"申请人": applicant, "市本级创建项目": True, "补助类别": "其他美丽农场项目", "投资额": "400万元"}


def test_unranked_budget_over_needs_selection(tmp_path):
    records, summary, _ = _batch(tmp_path, [_farm(f"F{n}") for n in range(8)], "policies/jnf-2020-16.pol")
    assert set(_allocations(records, "嘉农发〔2020〕16号", "第六条第3项").values()) == {"needs_selection"}
    budget = summary["budgets"]["嘉农发〔2020〕16号 市级财政"]
    assert budget["wanted"] == "8000000.00" and budget["over_by"] == "2000000.00"


def test_unranked_budget_that_suffices_funds_everyone(tmp_path):
    records, summary, _ = _batch(tmp_path, [_farm(f"F{n}") for n in range(6)], "policies/jnf-2020-16.pol")
    assert set(_allocations(records, "嘉农发〔2020〕16号", "第六条第3项").values()) == {"within_budget"}
    assert summary["budgets"]["嘉农发〔2020〕16号 市级财政"]["funded"] == 6


# ---------------------------------------------------------------- ranked (the text names an order)
FIXTURE = "tests/fixtures/quotas.pol"


def test_ranked_quota_cuts_in_the_declared_order_and_breaks_ties_by_applicant(tmp_path):
    rows = [{"申请人": f"P{n:02d}", "平台企业": True, "平台交易额": f"{7 + n}亿元"} for n in range(9)]
    rows += [{"申请人": a, "平台企业": True, "平台交易额": "6亿元"} for a in ("Z-tie", "A-tie", "M-tie")]
    records, summary, _ = _batch(tmp_path, rows, FIXTURE)
    allocation = _allocations(records, "测试〔2020〕9号", "第一条")
    assert sorted(a for a, d in allocation.items() if d == "outside_quota") == ["M-tie", "Z-tie"]
    assert summary["quotas"]["测试〔2020〕9号 第一条"]["limit"] == 10


def test_ranked_budget_funds_in_order_until_spent(tmp_path):
    rows = [{"申请人": f"F{n}", "申报项目": True, "验收评分": 90 - n} for n in range(8)]
    records, summary, _ = _batch(tmp_path, rows, FIXTURE)
    allocation = _allocations(records, "测试〔2020〕9号", "第三条")
    assert sorted(a for a, d in allocation.items() if d == "outside_budget") == ["F6", "F7"]
    assert summary["budgets"]["测试〔2020〕9号 市级财政"]["funded"] == 6


# ---------------------------------------------------------------- total.max of undecided clauses
def _eval(facts, *policies, on="2021-06-30"):
    from conftest import run_polc
    result = run_polc("eval", *policies, "--facts", "-", "--on", on, "--format", "json",
                      stdin=json.dumps(facts, ensure_ascii=False))
    return json.loads(result.stdout)


def test_total_max_includes_what_an_undecidable_clause_could_pay():
    # 第二条 (30万元, the same matter as the paid 第一条) cannot be decided
    report = _eval({"平台企业": True, "申报项目": False, "择优对象": False}, FIXTURE)
    assert report["total"]["min"] == "200000.00"
    # 就高不重复: the matter pays at most 30万元, not 20万元 + 30万元
    assert report["total"]["max"] == "300000.00"
    undecided = [c for c in report["clauses"] if c["applies"] is None]
    assert [(c["article"], c["could_pay"]) for c in undecided] == [("第二条", "300000.00")]


def test_total_max_adds_an_undecidable_clause_of_its_own_matter():
    report = _eval({"平台企业": True, "另一奖励条件": False, "择优对象": False}, FIXTURE)
    assert report["total"] == {"min": "200000.00", "max": "1200000.00", "open": []}  # + 第三条's 100万元


def test_an_undecidable_clause_with_no_stated_bound_is_listed_as_undecided():
    report = _eval({"总部型企业": True, "副职以上高管": True, "高管首次奖励年度": 2020}, "policies/jzf-2020-06.pol")
    assert "嘉政发〔2020〕6号第十二条第1项" in report["total"]["undecided"]  # 100% of an unknown tax: no bound
