"""Outcomes that are not money (issue 13): 免收手续费, 优先保障用地指标, 列入名单, 授予称号 are
written as the text says them (给予 免收 "手续费"), recorded in results as a typed outcome
(kind routing, with `outcome` and `object`), shown in summaries, and counted in batch
summaries by both engines — not forced into 仅文本. 由 "…" 审定 is the same form and keeps
its JSON (`approver`)."""

import io
import json

import pytest

from compiler import batch, compact, driver, printer, runtime, sql_batch
from compiler.parser import parse
from compiler.source import SourceFile

from conftest import ROOT, run_polc

POLICY = "tests/language/outcomes/outcomes.pol"


def _project():
    project = driver.load([str(ROOT / POLICY)])
    assert not project.has_errors
    return [driver.load_module(p) for p in project.policies], [project.model(p) for p in project.policies]


@pytest.mark.parametrize("verb", runtime.OUTCOME_VERBS)
def test_each_verb_parses_prints_and_evaluates(verb, tmp_path):
    text = (f"政策 测试〔2023〕1号\n  施行日期 2023年1月1日\n\n事实 合格: 是否\n\n条款 第一条\n  当 合格\n"
            f"  给予 {verb} \"某某\"\n  案例 已知 合格 = 是 评估日 2024-06-30 预期 {verb} \"某某\"\n")
    policy, problems = parse(SourceFile("d.pol", text))
    assert problems == []
    form = policy.clauses[0].award.form
    assert (form.outcome, form.approver) == (verb, "某某")
    assert printer.policy(policy) == text
    path = tmp_path / "p.pol"
    path.write_text(text, encoding="utf-8")
    assert run_polc("test", str(path)).returncode == 0


def test_an_example_expecting_another_outcome_fails(tmp_path):
    text = ("政策 测试〔2023〕1号\n  施行日期 2023年1月1日\n\n事实 合格: 是否\n\n条款 第一条\n  当 合格\n"
            "  给予 免收 \"手续费\"\n  案例 已知 合格 = 是 评估日 2024-06-30 预期 列入 \"手续费\"\n")
    path = tmp_path / "p.pol"
    path.write_text(text, encoding="utf-8")
    done = run_polc("test", str(path))
    assert done.returncode == 1 and "免收 手续费" in done.stdout


def test_results_name_the_outcome_and_routing_keeps_its_json(tmp_path):
    facts = tmp_path / "f.json"
    facts.write_text(json.dumps({"新认定专精特新": True, "设备投资额": "5000万元", "研发投入占比": "2%"}), encoding="utf-8")
    done = run_polc("eval", POLICY, "--facts", str(facts), "--on", "2024-06-30", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["clauses"]
    assert rows[0]["award"] == {"kind": "routing", "min": None, "max": None, "outcome": "免收", "object": "担保手续费"}
    assert rows[1]["award"]["outcome"] == "优先保障" and rows[1]["award"]["object"] == "用地指标"
    assert rows[2]["applies"] is False
    assert "非金钱结果：免收担保手续费" in rows[0]["trace"]
    assert json.loads(done.stdout)["total"] == {"min": "0.00", "max": "0.00", "open": []}
    assert runtime.Award("routing", note="市农业农村局").to_json() == {
        "kind": "routing", "min": None, "max": None, "approver": "市农业农村局"}


def test_the_summary_shows_each_outcome():
    done = run_polc("build", "--emit", "md", POLICY)
    assert done.returncode == 0
    for text in ("非金钱结果：免收担保手续费", "非金钱结果：优先保障用地指标", "非金钱结果：列入县级重点培育企业名单"):
        assert text in done.stdout


def test_batch_summaries_count_each_outcome_in_both_engines(tmp_path):
    register = tmp_path / "r.csv"
    register.write_text("申请人,新认定专精特新,研发投入占比,设备投资额\nA,是,3%,6000万元\nB,否,2%,\n"
                        "C,是,,5000万元\nD,,4%,1元\nE,是,5%,1元\n", encoding="utf-8")
    modules, models = _project()
    outs = []
    for engine in ("python", "duckdb"):
        out = io.StringIO()
        if engine == "python":
            batch.run(modules, str(register), "2024-06-30", out, io.StringIO())
        else:
            sql_batch.run(modules, str(register), "2024-06-30", out, io.StringIO(), models=models)
        outs.append(out.getvalue())
    assert outs[0] == outs[1]
    summary = json.loads(outs[0].splitlines()[-1])["summary"]
    assert summary["outcomes"] == {
        "县经信[2023]7号 一、（一）": {"outcome": "免收", "object": "担保手续费", "count": 3},
        "县经信[2023]7号 一、（二）": {"outcome": "优先保障", "object": "用地指标", "count": 2},
        "县经信[2023]7号 一、（三）": {"outcome": "列入", "object": "县级重点培育企业名单", "count": 3},
    }
    first = compact.flatten(json.loads(outs[0].splitlines()[0]))
    assert [c["reason"] for c in first["clauses"]] == ["routing"] * 3
    assert first["total"] == {"min": "0.00", "max": "0.00"}


def test_the_cli_prints_the_counts(tmp_path):
    register = tmp_path / "r.csv"
    register.write_text("申请人,新认定专精特新\nA,是\nB,是\n", encoding="utf-8")
    done = run_polc("eval", POLICY, "--batch", str(register), "--on", "2024-06-30")
    assert done.returncode == 0
    assert "非金钱结果 县经信[2023]7号 一、（一）：免收担保手续费 2 个" in done.stderr
