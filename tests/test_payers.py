"""Payers by condition (issue 13): "乡镇招商的项目由各乡镇参照执行" is a 分担 with a condition,
`分担 乡镇财政 100% 当 招商主体 属于 乡镇` then `分担 县级财政 100%`: a clause takes the first
分担 that does not except it and whose condition holds for the applicant; when a condition
before it cannot be decided, no funding is stated (the amount is unchanged). The interpreter,
the generated Python, the SQL query and both batch engines agree."""

import io
import json

import pytest

from compiler import batch, compact, driver, printer, sql_batch
from compiler.checks import check_policy
from compiler.parser import parse
from compiler.source import SourceFile

from conftest import ROOT, run_polc

POLICY = "tests/language/payer-by-condition/payer-by-condition.pol"


def _eval(tmp_path, facts):
    path = tmp_path / "f.json"
    path.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    done = run_polc("eval", POLICY, "--facts", str(path), "--on", "2024-06-30", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["clauses"][0]


@pytest.mark.parametrize("level, payer", [("乡镇", "乡镇财政"), ("县级", "县级财政")])
def test_the_payer_follows_the_applicants_fact(tmp_path, level, payer):
    row = _eval(tmp_path, {"实际到位资金": "1亿元", "招商主体": level})
    assert row["funding"] == {payer: {"min": "500000.00", "max": "500000.00"}}
    assert row["missing"] == []


def test_an_unknown_payer_fact_states_no_funding_and_keeps_the_amount(tmp_path):
    row = _eval(tmp_path, {"实际到位资金": "1亿元"})
    assert row["paid"] is True and row["award"]["max"] == "500000.00"
    assert "funding" not in row and row["missing"] == []
    assert any("分担无法判定" in line and "招商主体" in line for line in row["trace"])


def test_the_form_round_trips_and_is_checked():
    text = (ROOT / POLICY).read_text(encoding="utf-8")
    policy, problems = parse(SourceFile("d.pol", text))
    assert problems == []
    assert printer.policy(parse(SourceFile("d.pol", printer.policy(policy)))[0]) == printer.policy(policy)
    assert "  分担 乡镇财政 100% 当 招商主体 属于 乡镇\n  分担 县级财政 100%\n" in printer.policy(policy)
    assert check_policy(policy) == []
    typo = parse(SourceFile("d.pol", text.replace("当 招商主体 属于 乡镇", "当 招商主休 属于 乡镇")))[0]
    assert "E011" in [d.code for d in check_policy(typo)]
    not_a_test = parse(SourceFile("d.pol", text.replace("当 招商主体 属于 乡镇", "当 实际到位资金")))[0]
    assert "E021" in [d.code for d in check_policy(not_a_test)]
    with_budget = parse(SourceFile("d.pol", text.replace("分担 县级财政 100%\n", "分担 县级财政 100%\n预算 县级财政 每年 500万元\n")))[0]
    assert "E364" in [d.code for d in check_policy(with_budget)]
    # a conditional 分担 does not cover every clause: the one after it is reached (no E361)
    assert "E361" not in [d.code for d in check_policy(policy)]


def test_both_batch_engines_and_the_python_stand_in_agree(tmp_path, monkeypatch):
    project = driver.load([str(ROOT / POLICY)])
    modules, models = [driver.load_module(p) for p in project.policies], [project.model(p) for p in project.policies]
    register = tmp_path / "r.csv"
    register.write_text("申请人,招商主体,实际到位资金\nA,乡镇,1亿元\nB,县级,2亿元\nC,,1亿元\nD,乡镇,1元\n", encoding="utf-8")
    outs = []
    for engine in ("python", "duckdb", "stand-in"):
        out = io.StringIO()
        if engine == "python":
            batch.run(modules, str(register), "2024-06-30", out, io.StringIO())
        else:
            sql_batch.run(modules, str(register), "2024-06-30", out, io.StringIO(),
                          models=models if engine == "duckdb" else None)
        outs.append(out.getvalue())
    assert outs[0] == outs[1] == outs[2]
    records = [compact.flatten(json.loads(line)) for line in outs[0].splitlines()[:-1]]
    assert [r["clauses"][0].get("funding") for r in records[:3]] == [
        {"乡镇财政": {"min": "500000.00", "max": "500000.00"}}, {"县级财政": {"min": "500000.00", "max": "500000.00"}},
        None]


def test_the_summary_states_the_condition():
    done = run_polc("build", "--emit", "md", POLICY)
    assert "当 招商主体 属于 乡镇 时：乡镇财政 100%" in done.stdout
