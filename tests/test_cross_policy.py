"""The overlaps a careful reader finds across the gazette's documents (end of the rule
inventory) are resolved by `polc eval policies/*.pol`: the highest is paid once, the others
are shown as not paid, with the clause that was paid. The checker finds each overlap by
itself, with a witness."""

import json

import pytest

from compiler import driver

from conftest import ROOT, run_polc

ALL = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "policies").glob("*.pol"))


def evaluate(facts: dict, on: str) -> dict:
    result = run_polc("eval", *ALL, "--facts", "-", "--on", on, "--format", "json",
                      stdin=json.dumps(facts, ensure_ascii=False))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def row(report, policy, label):
    for r in report["clauses"]:
        if r["policy"] == policy and r["article"] + (f"第{r['item']}项" if r["item"] is not None else "") == label:
            return r
    raise KeyError((policy, label))


def paid_rows(report, matter):
    return [r for r in report["clauses"] if r["matter"] == matter and r["applies"] is True]


def test_a_well_known_trademark_of_an_industrial_firm_is_paid_50_wan_once():
    facts = {"获得品牌类型": "驰名商标", "品牌级别": "国家", "经司法认定": False, "工业企业": True}
    report = evaluate(facts, "2021-06-30")
    manufacturing = row(report, "嘉政发〔2020〕8号", "第十二条第2项")
    service = row(report, "嘉政发〔2020〕6号", "第十条第1项")
    assert manufacturing["paid"] and manufacturing["award"]["max"] == "500000.00"
    assert service["applies"] is True and not service["paid"]
    assert service["award"]["max"] == "300000.00" and "嘉政发〔2020〕8号第十二条第2项" in service["reason"]
    assert report["total"]["min"] == "500000.00"


@pytest.mark.parametrize("level, amount", [("国家", "300000.00"), ("省", "200000.00")])
def test_brand_demonstration_is_paid_once_at_each_level(level, amount):
    facts = {"获得品牌类型": "商标品牌示范", "品牌级别": level, "工业企业": True}
    report = evaluate(facts, "2021-06-30")
    rows = paid_rows(report, "商标品牌示范")
    assert {r["policy"] for r in rows} == {"嘉政发〔2020〕6号", "嘉政发〔2020〕8号"}
    paid = [r for r in rows if r["paid"]]
    assert len(paid) == 1 and paid[0]["award"]["max"] == amount
    # Equal amounts: the tie goes to the earlier policy on the command line (6号 sorts first).
    assert paid[0]["policy"] == "嘉政发〔2020〕6号"


def test_leading_an_international_standard_is_paid_once_at_the_higher_amount():
    facts = {"主导制修订标准": True, "主导标准级别": "国际标准", "标准排名第一": True, "智能制造领域标准": True}
    report = evaluate(facts, "2021-06-30")
    smart = row(report, "嘉政办发〔2020〕14号", "第三条第13项")
    service = row(report, "嘉政发〔2020〕6号", "第十条第4项")
    assert smart["paid"] and smart["award"]["max"] == "1000000.00"
    assert service["applies"] is True and service["paid"] is False
    assert "嘉政办发〔2020〕14号第三条第13项" in service["reason"] and "就高不重复" in service["reason"]
    assert [r["paid"] for r in paid_rows(report, "主导标准")].count(True) == 1


def test_service_and_industrial_investment_subsidies_are_different_matters():
    # The reading taken (issue 9): 6号's service-industry project subsidy and 14号's industrial
    # renovation subsidy are different matters (different funds); 8号's coefficient scales only
    # the industrial one. A project classed under both is paid under both (the alternative,
    # one matter, would pay 200万元 only; see 14号 第三条第4项's note).
    facts = {"项目类别": "生产性服务业", "项目投资方式": "新增投资项目", "竣工验收": True, "投资额": "1000万元",
             "智能化改造投资项目": True, "经认定高质量项目": False, "项目实施年度": 2020}
    report = evaluate(facts, "2021-06-30")
    smart = row(report, "嘉政办发〔2020〕14号", "第三条第6项")
    service = row(report, "嘉政发〔2020〕6号", "第五条")
    assert smart["paid"] and smart["award"]["max"] == "2000000.00" and smart["matter"] == "工业项目投资补助"
    assert service["paid"] and service["award"]["max"] == "500000.00" and service["matter"] == "项目投资补助"


def test_the_two_job_keeping_refunds_exclude_each_other():
    facts = {"市本级参保企业": True, "国有企业": False, "严重失信企业": False, "参保企业行业": "非排除行业",
             "僵尸企业": False, "2019年12月实缴社会保险费": "12.5万元", "2018年末参保人数": 200,
             "2019年末参保人数": 210, "2019年不计入裁员人数": 0, "2019年度实缴失业保险费": "8万元",
             "已享受社会保险费返还": False}
    report = evaluate(facts, "2020-06-30")
    refunds = paid_rows(report, "稳岗返还")
    assert len(refunds) == 2
    assert [r["paid"] for r in refunds].count(True) == 1
    winner = next(r for r in refunds if r["paid"])
    assert winner["award"]["max"] == "125000.00"


def test_a_firm_that_received_the_social_insurance_refund_gets_no_unemployment_refund_even_if_higher():
    # 嘉人社〔2020〕11号 六（三）, read in the text's order: the automatic refund excludes the other.
    facts = {"市本级参保企业": True, "国有企业": False, "严重失信企业": False, "参保企业行业": "非排除行业",
             "僵尸企业": False, "2019年12月实缴社会保险费": "12.5万元", "2018年末参保人数": 200,
             "2019年末参保人数": 210, "2019年不计入裁员人数": 0, "2019年度实缴失业保险费": "40万元",
             "已享受社会保险费返还": True}
    report = evaluate(facts, "2020-06-30")
    unemployment = row(report, "嘉人社〔2020〕11号", "第一条第2项")
    assert unemployment["applies"] is False  # 20万元 would have been higher than 12.5万元
    assert row(report, "嘉人社〔2020〕11号", "第一条第1项")["paid"] and report["total"]["min"] == "125000.00"


@pytest.mark.parametrize("matter, documents", [
    ("驰名商标", {"嘉政发〔2020〕6号", "嘉政发〔2020〕8号"}),
    ("商标品牌示范", {"嘉政发〔2020〕6号", "嘉政发〔2020〕8号"}),
    ("主导标准", {"嘉政发〔2020〕6号", "嘉政办发〔2020〕14号"}),
    ("智能化改造示范激励", {"嘉政发〔2020〕8号", "嘉政办发〔2020〕14号"}),
    ("稳岗返还", {"嘉人社〔2020〕11号"}),
])
def test_the_checker_finds_the_overlap_by_itself_with_a_confirmed_witness(matter, documents):
    project = driver.load(["policies"])
    assert not project.has_errors
    found = [o for o in project.overlaps if o.matter == matter and o.witness is not None]
    pairs = [{o.first[0].docno, o.second[0].docno} for o in found]
    assert documents in pairs


def test_a_leading_firm_s_industrial_subsidy_is_scaled_by_the_modifier_of_8_but_not_its_service_subsidy():
    service = {"项目类别": "生产性服务业", "项目投资方式": "新增投资项目", "竣工验收": True, "投资额": "1000万元"}
    report = evaluate({**service, "重点行业绩效评价领跑企业": True}, "2021-06-30")
    assert row(report, "嘉政发〔2020〕6号", "第五条")["award"]["max"] == "500000.00"  # 1000万 × 5%, not × 1.5
    modifier = row(report, "嘉政发〔2020〕8号", "第二十一条第2项")
    assert modifier["applies"] is True and modifier["modifies"] == {"matter": "工业项目投资补助", "factor": "1.5"}
    industrial = {"智能化改造投资项目": True, "经认定高质量项目": False, "项目实施年度": 2020, "投资额": "1000万元"}
    plain = row(evaluate(industrial, "2021-06-30"), "嘉政办发〔2020〕14号", "第三条第6项")
    scaled = row(evaluate({**industrial, "重点行业绩效评价领跑企业": True}, "2021-06-30"), "嘉政办发〔2020〕14号", "第三条第6项")
    assert plain["award"]["max"] == "2000000.00" and scaled["award"]["max"] == "3000000.00"
    assert any("系数1.5" in line for line in scaled["trace"])
