"""End-to-end tests of the `polc` command line, run in a subprocess as a user would."""

import json
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, run_polc

SHAPES = FIXTURES / "shapes.pol"
# Every command here starts the interpreter itself, as a user does (no zygote: conftest.run_polc).
pytestmark = pytest.mark.fresh_process


def test_check_clean_policies_exits_zero():
    result = run_polc("check", "policies/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "检查通过" in result.stdout


def test_check_errors_exit_one_with_location_marker_and_english():
    result = run_polc("check", "tests/bad/E002-keyword-before-name.pol")
    assert result.returncode == 1
    assert "tests/bad/E002-keyword-before-name.pol:14:3" in result.stdout
    lines = result.stdout.splitlines()
    source_line = lines.index("14 |   当实现税收")
    # The marker sits under the span: 2 columns of indent, then 5 full-width characters.
    assert lines[source_line + 1].endswith("|   " + "^" * 10)
    english = run_polc("check", "--lang", "en", "tests/bad/E002-keyword-before-name.pol")
    assert "is written straight against the name" in english.stdout


def test_check_json_format():
    result = run_polc("check", "--format", "json", "tests/bad/E020-money-vs-percent.pol")
    rows = json.loads(result.stdout)
    assert {r["code"] for r in rows} >= {"E020"}
    assert all({"file", "line", "column", "message"} <= set(r) for r in rows)


@pytest.mark.parametrize("args", [["check", "no/such/dir"], ["frobnicate"], ["eval", "policies/"], ["check", "--lang", "fr"]])
def test_usage_errors_exit_two_without_traceback(args):
    result = run_polc(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_two_files_with_one_document_number(tmp_path):
    for name in ("a.pol", "b.pol"):
        shutil.copy(SHAPES, tmp_path / name)
    result = run_polc("check", tmp_path)
    assert result.returncode == 1 and "[E052]" in result.stdout


def test_build_writes_outputs_and_check_detects_staleness(tmp_path):
    out = tmp_path / "out"
    result = run_polc("build", SHAPES.relative_to(ROOT), "--out", out)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "__init__.py", "py.typed", "runtime.py", "shapes.md",
                                                     "shapes.py"]
    assert run_polc("build", "--check", SHAPES.relative_to(ROOT), "--out", out).returncode == 0
    (out / "shapes.md").write_text("edited by hand\n", encoding="utf-8")
    stale = run_polc("build", "--check", SHAPES.relative_to(ROOT), "--out", out)
    assert stale.returncode == 1 and "shapes.md" in stale.stdout
    (out / "shapes.py").unlink()
    assert "缺失" in run_polc("build", "--check", SHAPES.relative_to(ROOT), "--out", out).stdout


def test_failed_build_writes_nothing_and_keeps_previous_outputs(tmp_path):
    policies, out = tmp_path / "policies", tmp_path / "out"
    policies.mkdir()
    shutil.copy(SHAPES, policies / "shapes.pol")
    shutil.copy(FIXTURES / "shapes.pol", policies / "other.pol")
    (policies / "other.pol").write_text(SHAPES.read_text(encoding="utf-8").replace("测试〔2020〕1号", "测试〔2020〕2号"),
                                        encoding="utf-8")
    assert run_polc("build", policies, "--out", out).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = (policies / "other.pol").read_text(encoding="utf-8").replace("给予 10万元", "给予 5%")
    (policies / "other.pol").write_text(broken, encoding="utf-8")
    result = run_polc("build", policies, "--out", out)
    assert result.returncode == 1 and "[E022]" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_emit_stops_after_a_stage():
    assert run_polc("build", "--emit", "ast", SHAPES.relative_to(ROOT)).stdout.startswith("政策 测试〔2020〕1号")
    assert "def evaluate(facts: Facts, on: datetime.date | str) -> Evaluation:" in run_polc(
        "build", "--emit", "py", SHAPES.relative_to(ROOT)).stdout
    assert "## 条款一览" in run_polc("build", "--emit", "md", SHAPES.relative_to(ROOT)).stdout


def test_test_command_passes_shipped_examples():
    result = run_polc("test", "policies/", FIXTURES)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().splitlines()[-1].endswith("0 failed")


def test_test_command_reports_a_failing_example_with_clause_and_difference(tmp_path):
    wrong = SHAPES.read_text(encoding="utf-8").replace("投资额 = 4000万元 预期 200万元", "投资额 = 4000万元 预期 150万元")
    path = tmp_path / "wrong.pol"
    path.write_text(wrong, encoding="utf-8")
    result = run_polc("test", path)
    assert result.returncode == 1
    assert "第二条" in result.stdout and "预期：150万元" in result.stdout and "实际：200万元" in result.stdout
    assert "封顶 200万元" in result.stdout  # the trace says whether the cap bound
    assert "1 failed" in result.stdout


def _eval(facts, *extra, policies=("policies/jzf-2020-06.pol",)):
    return run_polc("eval", *policies, "--facts", "-", "--format", "json", *extra, stdin=json.dumps(facts, ensure_ascii=False))


def test_eval_json_contract_for_first_time_revenue():
    facts = {"年营业收入": {"2018": "15亿元", "2019": "22亿元", "2020": 3000000001},
             "企业服务业类别": "生产性服务业", "实现税收": True}
    result = _eval(facts, "--on", "2021-06-30")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["on"] == "2021-06-30"
    row = next(r for r in report["clauses"] if r["article"] == "第七条")
    assert row["applies"] is True and row["paid"] is True
    assert row["award"] == {"kind": "exact", "min": "300000.00", "max": "300000.00"}
    assert any("首次超过 30亿元" in line for line in row["trace"])
    assert set(row) >= {"policy", "article", "applies", "paid", "award", "reason", "trace"}
    # total.max also counts what the clauses that cannot be decided from these facts could pay
    assert report["total"]["min"] == "300000.00" and float(report["total"]["max"]) > 300000
    undecided = [r for r in report["clauses"] if r["applies"] is None]
    assert undecided and all(r["reason"].startswith("无法判定") for r in undecided)


def test_eval_before_the_policy_starts_says_so():
    report = json.loads(_eval({"实现税收": True}, "--on", "2019-06-30").stdout)
    assert all(r["applies"] is False and "施行期" in r["reason"] for r in report["clauses"])
    assert report["warnings"] and "嘉政发〔2020〕6号" in report["warnings"][0]


@pytest.mark.parametrize("facts, words", [
    ({"年营业收": {"2019": 1}}, ["年营业收", "年营业收入"]),
    ({"实现税收": "maybe"}, ["实现税收"]),
    ({"年营业收入": "30亿元"}, ["年营业收入", "逐年"]),
    ({"企业服务业类别": "生产服务业"}, ["企业服务业类别", "生产性服务业"]),
])
def test_eval_bad_facts_name_the_fact_without_traceback(facts, words):
    result = _eval(facts, "--on", "2021-06-30")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_eval_malformed_json(tmp_path):
    path = tmp_path / "facts.json"
    path.write_text('{"实现税收": tru', encoding="utf-8")
    result = run_polc("eval", "policies/", "--facts", path)
    assert result.returncode == 1 and "JSON" in result.stderr and "Traceback" not in result.stderr


def test_eval_text_format_is_readable():
    result = run_polc("eval", SHAPES.relative_to(ROOT), "--facts", "-", "--on", "2020-06-30",
                      stdin=json.dumps({"实现税收": True, "投资额": "1亿元", "企业行业": "生产性服务业"}))
    assert result.returncode == 0
    assert "第二条" in result.stdout and "合计" in result.stdout


def test_explain():
    result = run_polc("explain", "E030")
    assert result.returncode == 0 and "错误写法" in result.stdout and "正确写法" in result.stdout
    assert run_polc("explain", "E999").returncode == 2


def test_generated_module_needs_only_the_standard_library(tmp_path):
    """-S: no site-packages, so lark, attrs and jinja2 cannot be imported at all."""
    code = (
        "import sys, json; sys.path.insert(0, '.'); from generated import jzf_2020_06 as m; "
        "r = m.evaluate({'实现税收': True, '企业服务业类别': '生活性服务业', "
        "'年营业收入': {'2019': '9亿元', '2020': '10.5亿元'}}, on='2021-06-30'); "
        "assert not {'lark', 'attrs', 'jinja2'} & set(sys.modules); "
        "print(json.dumps(r.clause('第七条').to_json()['award']))"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"kind": "exact", "min": "100000.00", "max": "100000.00"}
