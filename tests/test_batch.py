"""Batch evaluation over a register: streaming, quotas and budgets across applicants, bad
rows, and failures inside generated code that name their .pol source."""

import csv
import dataclasses
import itertools
import json

import pytest

from compiler import driver

from conftest import ROOT, run_polc


def _module(path):
    project = driver.load([path])
    assert not project.has_errors
    return driver.load_module(project.policies[0])


def _batch(tmp_path, rows, *policies, suffix=".jsonl", on="2021-06-30"):
    register = tmp_path / f"register{suffix}"
    if suffix == ".jsonl":
        register.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    else:
        with open(register, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    out = tmp_path / "results.jsonl"
    # --trace: the full records (with reasons and traces) that these tests read
    result = run_polc("eval", *policies, "--batch", register, "--on", on, "--out", out, "--trace")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return lines[:-1], lines[-1]["summary"], result


def _platform(applicant, turnover_2020):
    return {"申请人": applicant, "互联网平台企业": True, "平台企业经认定": True, "平台类别": "其他平台",
            "平台交易额": {"2018": "3亿元", "2019": "4亿元", "2020": turnover_2020}}


def _clause(record, policy, label):
    for clause in record["clauses"]:
        if clause["policy"] == policy and clause["article"] + (f"第{clause['item']}项" if clause["item"] else "") == label:
            return clause
    return None


def test_evaluate_many_streams_rows_one_at_a_time():
    module = _module("policies/jzf-2020-06.pol")
    endless = ({"实现税收": True, "企业服务业类别": "生产性服务业",
                "年营业收入": {"2019": "9亿元", "2020": f"{10 + n % 3}亿元"}} for n in itertools.count())
    results = module.evaluate_many(endless, on="2021-06-30")
    first = list(itertools.islice(results, 5))  # an endless register: only streaming can answer
    assert [number for number, _ in first] == [1, 2, 3, 4, 5]
    awards = [evaluation.clause("第七条").to_json()["award"] for _, evaluation in first]
    assert awards[0] is None and awards[1]["max"] == "100000.00"


# Quotas and budgets across applicants: tests/test_quotas.py.


def test_csv_with_yearly_columns_and_bad_rows_reported_by_line(tmp_path):
    rows = [{"申请人": "C1", "实现税收": "true", "企业服务业类别": "生活性服务业", "年营业收入.2019": "9亿元", "年营业收入.2020": "10.5亿元"},
            {"申请人": "C2", "实现税收": "perhaps", "企业服务业类别": "生活性服务业", "年营业收入.2019": "9亿元", "年营业收入.2020": "11亿元"},
            {"申请人": "C3", "实现税收": "否", "企业服务业类别": "生活性服务业", "年营业收入.2019": "", "年营业收入.2020": "11亿元"}]
    records, summary, result = _batch(tmp_path, rows, "policies/jzf-2020-06.pol", suffix=".csv")
    assert [r["applicant"] for r in records] == ["C1", "C3"]
    assert _clause(records[0], "嘉政发〔2020〕6号", "第七条")["award"]["max"] == "100000.00"
    assert summary["bad_rows"]["count"] == 1 and summary["bad_rows"]["listed"][0]["line"] == 3
    assert "第3行已跳过" in result.stderr and "实现税收" in result.stderr
    assert summary["rows"] == 3 and summary["evaluated"] == 2


def test_a_failure_inside_a_generated_clause_names_the_pol_file_line_and_article():
    module = _module("policies/jzf-2020-06.pol")
    # Clause specs are frozen: a failing clause goes in through an evaluator of its own.
    clauses = [dataclasses.replace(s, evaluate=lambda run: 1 / 0) if s.label == "第七条" else s for s in module.CLAUSES]
    with pytest.raises(RuntimeError) as caught:
        module.Evaluator([(module.POLICY, clauses)]).evaluate({"实现税收": True}, on="2021-06-30")
    message = str(caught.value)
    assert "policies/jzf-2020-06.pol:" in message and "第七条" in message and "ZeroDivisionError" in message


def test_results_are_plain_json():
    module = _module("policies/jzf-2020-06.pol")
    evaluation = module.evaluate({"实现税收": True}, on="2021-06-30")
    assert json.loads(json.dumps(evaluation.to_json(), ensure_ascii=False)) == evaluation.to_json()


# A header that names no declared fact is a register error: found by the soak (outpath-batch
# "batch-fails", a UTF-16 BOM then junk), which exited 0 with "共 0 行" and replaced --out.
@pytest.mark.parametrize("register", [b"\xff\xfe\x00garbage", "申请人,验收平分\n甲,90\n".encode()])
def test_a_header_naming_no_declared_fact_is_refused_and_out_is_kept(tmp_path, register):
    (tmp_path / "reg.csv").write_bytes(register)
    (tmp_path / "old").mkdir()
    kept = tmp_path / "old" / "res.jsonl"
    kept.write_text('{"earlier": "run"}\n', encoding="utf-8")
    result = run_polc("eval", ROOT / "policies" / "jnf-2020-16.pol", "--batch", tmp_path / "reg.csv",
                      "--on", "2021-06-30", "--out", kept, "--lang", "en")
    assert result.returncode == 1, result.stderr
    assert "reg.csv:1: no column of the header is a fact these policies declare" in result.stderr
    assert "nothing was written" in result.stderr and "Traceback" not in result.stderr
    assert kept.read_text(encoding="utf-8") == '{"earlier": "run"}\n'
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["res.jsonl"]
    if b"\xe5\xb9\xb3" in register:  # 验收平分, one character from 验收评分
        assert "did you mean '验收评分'?" in result.stderr


def test_a_header_with_one_unknown_column_still_reads_the_rest(tmp_path):
    register = tmp_path / "reg.csv"
    register.write_text("申请人,验收评分,备注\n甲,90,\n乙,80,x\n", encoding="utf-8")
    result = run_polc("eval", ROOT / "policies" / "jnf-2020-16.pol", "--batch", register, "--on", "2021-06-30",
                      "--out", tmp_path / "res.jsonl", "--lang", "en")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "reg.csv:3:" in result.stderr and "is not a declared fact" in result.stderr
    assert "2 rows: 1 evaluated, 1 skipped" in result.stdout + result.stderr
    assert len((tmp_path / "res.jsonl").read_text(encoding="utf-8").splitlines()) == 2  # 甲 and the summary
