"""`polc facts` and `polc explain --list`, end to end through the command line."""

import csv
import io
import json

import pytest

from compiler.explain import EXPLANATIONS
from conftest import ROOT, run_polc

POLICY = "policies/jzf-2020-06.pol"


def _template(*args):
    result = run_polc("facts", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stdout


def test_json_template_describes_each_fact_a_clause_reads():
    document, _ = _template(POLICY)
    assert document["polc"] == "polc-facts-template/1"
    assert document["policies"] == ["嘉政发〔2020〕6号"]
    assert document["assessed_year"] == 2020  # 过渡: years before 2020 follow the old policy
    revenue = document["facts"]["年营业收入"]
    assert revenue["type"] == "金额" and revenue["kind"] == "逐年" and revenue["unit"].startswith("元")
    assert revenue["description"] == "企业的年营业收入"
    assert revenue["years"] == [2018, 2019, 2020]  # 首次超过 looks two years back
    assert revenue["value"] == {"2018": None, "2019": None, "2020": None}
    assert "嘉政发〔2020〕6号 第七条" in revenue["used_by"]
    assert revenue["example"] == {"2019": "25亿元", "2020": "31亿元"}  # from the first example
    category = document["facts"]["企业服务业类别"]
    assert category["values"] == ["生产性服务业", "生活性服务业", "非服务业"]
    # 上年 inside a 定义 reaches the fact it reads: 超额增长 = 地方留存税收 - 上年 地方留存税收 × 110%
    assert document["facts"]["地方留存税收"]["years"] == [2019, 2020]
    # A fact named only by 按 … 分别 is read too.
    assert "第二条第1项" in " ".join(document["facts"]["楼宇星级等级"]["used_by"])
    # Facts from the imported vocabulary that a clause reads are listed; unread ones are not.
    assert "投资额" in document["facts"]
    farm, _ = _template("policies/jnf-2020-16.pol")
    assert "投资额" in farm["facts"] and "主导标准级别" not in farm["facts"]


@pytest.mark.fresh_process  # two runs compared: each its own interpreter (and hash seed)
def test_output_is_deterministic_from_any_directory(tmp_path):
    here = run_polc("facts", POLICY).stdout
    elsewhere = run_polc("facts", ROOT / POLICY, cwd=tmp_path).stdout
    assert here == elsewhere and here.startswith("{")


def test_a_filled_template_is_read_back_by_eval(tmp_path):
    document, _ = _template(POLICY)
    facts = document["facts"]
    facts["企业服务业类别"]["value"] = "生产性服务业"
    facts["实现税收"]["value"] = True
    facts["年营业收入"]["value"] = {"2018": "25亿元", "2019": "25亿元", "2020": "31亿元"}
    filled = tmp_path / "applicant.json"
    filled.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = run_polc("eval", POLICY, "--facts", filled, "--on", "2021-06-30", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["article"] + str(row["item"] or ""): row for row in json.loads(result.stdout)["clauses"]}
    assert rows["第七条"]["applies"] is True and rows["第七条"]["award"]["max"] == "300000.00"
    # Unfilled facts stay unknown: nothing else is decided on made-up example values.
    assert all(row["applies"] is not True for key, row in rows.items() if key != "第七条")


def test_csv_header_is_a_register_that_batch_reads(tmp_path):
    result = run_polc("facts", POLICY, "--format", "csv")
    assert result.returncode == 0
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert result.stdout.count("\n") == 1
    assert header[0] == "申请人"
    assert header[header.index("年营业收入.2018"):header.index("年营业收入.2018") + 3] == [
        "年营业收入.2018", "年营业收入.2019", "年营业收入.2020"]
    assert "年营业收入" not in header and len(header) == len(set(header))
    row = {column: "" for column in header}
    row.update({"申请人": "甲公司", "企业服务业类别": "生产性服务业", "实现税收": "是",
                "年营业收入.2019": "25亿元", "年营业收入.2020": "31亿元"})
    register = tmp_path / "register.csv"
    with open(register, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerow(row)
    batch = run_polc("eval", POLICY, "--batch", register, "--on", "2021-06-30")
    assert batch.returncode == 0, batch.stderr
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert lines[-1]["summary"]["bad_rows"]["count"] == 0
    assert "第七条" in lines[0]["policies"]["嘉政发〔2020〕6号"]["paid"]


def test_year_option_moves_the_columns():
    header = run_polc("facts", POLICY, "--format", "csv", "--year", "2022").stdout
    assert "年营业收入.2020,年营业收入.2021,年营业收入.2022" in header


def test_a_policy_with_errors_gives_diagnostics_not_a_template(tmp_path):
    bad = tmp_path / "bad.pol"
    bad.write_text("政策 嘉政发〔2020〕99号\n条款 第一条\n  当 乙\n  给予 1万元\n", encoding="utf-8")
    result = run_polc("facts", bad)
    assert result.returncode == 1 and result.stdout == "" and "E011" in result.stderr


def test_without_a_start_date_the_year_must_be_given(tmp_path):
    draft = tmp_path / "d.pol"
    draft.write_text("政策 嘉政发〔2020〕99号\n事实 甲: 是否\n条款 第一条\n  当 甲\n  给予 1万元\n", encoding="utf-8")
    assert run_polc("facts", draft).returncode == 2
    document = json.loads(run_polc("facts", draft, "--year", "2020").stdout)
    assert document["facts"]["甲"]["used_by"] == ["嘉政发〔2020〕99号 第一条"]


def test_explain_list_names_every_code_with_severity_and_title():
    zh = run_polc("explain", "--list")
    en = run_polc("explain", "--list", "--lang", "en")
    assert zh.returncode == 0 and en.returncode == 0
    zh_lines, en_lines = zh.stdout.splitlines(), en.stdout.splitlines()
    assert [l.split()[0] for l in zh_lines] == sorted(EXPLANATIONS) == [l.split()[0] for l in en_lines]
    assert "E002  错误  关键字与名称连写" in zh_lines
    assert "W044  warning  A clause has no 原文 (original sentence)" in en_lines
    assert any(l.startswith("I070  提示  ") for l in zh_lines)
    assert run_polc("explain").returncode == 2


def test_golden_facts_of_the_shapes_fixture():
    """Every award shape's facts, as JSON and as a register header, byte for byte."""
    from conftest import golden
    shapes = "tests/fixtures/shapes.pol"
    golden(ROOT / "tests" / "golden" / "shapes.facts.json", run_polc("facts", shapes).stdout)
    golden(ROOT / "tests" / "golden" / "shapes.facts.csv", run_polc("facts", shapes, "--format", "csv").stdout)
