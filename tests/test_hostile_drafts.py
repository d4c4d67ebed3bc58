"""Hostile drafts: everything a .pol file can do to check, build, test and eval.

Each class of input is bounded by a stated limit (compiler/limits.py, the README's
"Limits"): past it the draft gets a diagnostic with its span, within it the draft compiles
and evaluates. Nothing raises, nothing hangs, nothing outside the policy's folder is read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from compiler import driver, limits, overlaps, runtime
from compiler.checks import _closest
from compiler.parser import parse_text
from compiler.source import SourceFile

from conftest import ROOT, run_polc

HEADER = """政策 测试〔2020〕1号
  施行日期 2020年1月1日
  冲突原则 就高不重复

定义事项 甲事
枚举 级别: 国家、省、市
事实 投资额: 金额
事实 收入: 逐年 金额
事实 税收: 是否
事实 品牌: 逐年 级别
"""


def draft(body: str, header: str = HEADER) -> str:
    return header + "\n" + body


def clause(*lines: str, award: str = "给予 1万元") -> str:
    return "条款 第一条 「测试」\n  原文 \"测试。\"\n" + "".join(f"  {line}\n" for line in lines) + f"  {award}\n"


def load(tmp_path, text: str, name: str = "hostile.pol") -> driver.Project:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return driver.load([str(path)])


def codes(project: driver.Project) -> set[str]:
    return {d.code for d in project.diagnostics}


def polc(tmp_path, text: str, *args: str, name: str = "hostile.pol"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run_polc(*args, path)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-2000:]
    return result


# ---------------------------------------------------------------- deep input
def condition(depth: int) -> str:
    """A condition exactly `depth` levels deep, mixing 且, 或, 非 and 连续, equivalent to
    税收 且 连续 2年 收入 超过 1元."""
    if depth == 3:
        return "连续 2年 收入 超过 1元"
    if depth % 3 == 0:
        return f"税收 且 ({condition(depth - 1)})"
    if depth % 3 == 1:
        return f"否 或 ({condition(depth - 1)})"
    return f"非 (非 ({condition(depth - 2)}))"


def formula(depth: int) -> str:
    """投资额 + 1元 + … : `depth` levels deep (each + is one)."""
    return " + ".join(["投资额"] + ["1元"] * (depth - 1))


def definition_chain(links: int) -> str:
    """定义 「链1」 = 投资额 + 1元, 「链2」 = 「链1」 + 1元, …; a clause using the last one
    nests 2 × links + 1 levels with the definitions written out."""
    lines = ["定义 「链1」 = 投资额 + 1元"]
    lines += [f"定义 「链{k}」 = 「链{k - 1}」 + 1元" for k in range(2, links + 1)]
    return "\n".join(lines) + "\n"


AT_THE_LIMIT = draft(
    definition_chain(49) + "\n"
    + clause(f"当 {condition(limits.MAX_NESTING)}",
             award=f"给予 {formula(limits.MAX_NESTING)} 最高 1亿元\n"
                   "  案例 已知 税收 = 是, 收入 = {2018: 2元, 2019: 2元}, 投资额 = 1万元 评估日 2020-06-30 预期 10099元\n"
                   "  案例 已知 税收 = 否, 收入 = {2018: 2元, 2019: 2元}, 投资额 = 1万元 评估日 2020-06-30 预期 不适用")
    + clause("当 「链49」 超过 0元", award="给予 「链49」 最高 1亿元\n"
             "  案例 已知 投资额 = 1万元 预期 10049元").replace("第一条", "第二条"))


def test_a_draft_at_every_nesting_limit_checks_builds_tests_and_evaluates(tmp_path):
    path = tmp_path / "deep.pol"
    path.write_text(AT_THE_LIMIT, encoding="utf-8")
    check = run_polc("check", path)
    assert check.returncode == 0, check.stdout + check.stderr
    out = tmp_path / "out"
    build = run_polc("build", path, "--out", out)
    assert build.returncode == 0, build.stderr
    module = (out / "deep.py").read_text(encoding="utf-8")
    compile(module, "deep.py", "exec")
    # The generated code does not nest Python blocks as deep as the condition goes.
    assert max(len(line) - len(line.lstrip(" ")) for line in module.splitlines()) <= 4 * 10
    tested = run_polc("test", path)
    assert tested.returncode == 0 and "3 passed, 0 failed" in tested.stdout, tested.stdout + tested.stderr
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"税收": True, "收入": {"2018": 5, "2019": 5}, "投资额": 20000}), encoding="utf-8")
    evaluated = run_polc("eval", path, "--facts", facts, "--on", "2020-06-30", "--format", "json")
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert [c["award"]["max"] for c in report["clauses"]] == ["20099.00", "20049.00"]


@pytest.mark.parametrize("body", [
    clause(f"当 {condition(limits.MAX_NESTING + 1)}"),
    clause(award=f"给予 {formula(limits.MAX_NESTING + 1)} 最高 1亿元"),
    definition_chain(50) + clause(award="给予 「链50」 最高 1亿元"),
], ids=["condition", "formula", "definition-chain"])
def test_one_level_past_the_limit_is_E101_at_the_offending_node(tmp_path, body):
    result = polc(tmp_path, draft(body), "check")
    assert result.returncode == 1 and "[E101]" in result.stdout
    project = load(tmp_path, draft(body))
    (found,) = [d for d in project.diagnostics if d.code == "E101"]
    assert found.span is not None and found.span.line > HEADER.count("\n")


FAR_PAST = {
    "and-5000": clause("当 " + " 且 ".join(["税收"] * 5000)),
    "or-5000": clause("当 " + " 或 ".join(["税收"] * 5000)),
    "not-5000": clause("当 " + "非 " * 5000 + "税收"),
    "right-nested-and-2000": clause("当 " + "税收 且 (" * 2000 + "税收" + ")" * 2000),
    "sum-5000": clause(award="给予 " + " + ".join(["1元"] * 5000)),
    "product-3000": clause(award="给予 1元" + " × 1" * 3000),
    "minus-3000": clause(award="给予 " + "-" * 3000 + "1元"),
    "run-of-years-300": clause("当 " + "连续 2年 (" * 300 + "收入 超过 1元" + ")" * 300),
    "definitions-3000": definition_chain(3000) + clause(award="给予 「链3000」 最高 1亿元"),
    "definitions-doubling": "定义 「倍0」 = 投资额\n" + "".join(
        f"定义 「倍{k}」 = 「倍{k - 1}」 + 「倍{k - 1}」\n" for k in range(1, 60)) + clause(award="给予 「倍59」 最高 1亿元"),
    "run-in-run": clause("当 " + "连续 9年 (" * 12 + "收入 超过 1元" + ")" * 12),
}


@pytest.mark.parametrize("name", sorted(FAR_PAST))
def test_far_past_the_limit_is_a_diagnostic_not_a_recursion_error(tmp_path, name):
    started = time.process_time()
    project = load(tmp_path, draft(FAR_PAST[name]))
    assert "E101" in codes(project)
    assert time.process_time() - started < 10


def test_thousands_of_parentheses_are_not_nesting(tmp_path):
    project = load(tmp_path, draft(clause("当 " + "(" * 5000 + "税收" + ")" * 5000, award="给予 1万元\n  案例 已知 税收 = 是 预期 1万元")))
    assert not project.has_errors
    assert all(outcome.ok for outcome in driver.run_cases(project.policies[0]))


def test_the_cli_gives_E101_for_a_deep_draft_without_a_traceback(tmp_path):
    result = polc(tmp_path, draft(FAR_PAST["right-nested-and-2000"]), "build", "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "[E101]" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_wide_condition_gives_up_as_too_complex_instead_of_expanding(tmp_path):
    wide = " 且 ".join(f"(投资额 超过 {k}元 或 投资额 低于 {k}元)" for k in range(1, 40))
    body = (clause("事项 甲事", f"当 {wide}") + clause("事项 甲事", f"当 {wide}").replace("第一条", "第二条"))
    started = time.process_time()
    project = load(tmp_path, draft(body))
    assert time.process_time() - started < 20
    (undecided,) = [d for d in project.diagnostics if d.code == "W073"]
    assert "析取范式过大" in undecided.message.zh


# ---------------------------------------------------------------- numbers
HOSTILE_NUMBERS = {
    "5000-digit-integer": (clause(award="给予 " + "9" * 5000 + "元"), "E102"),
    "900000-digit-money": (clause(award="给予 " + "9" * 900_000 + "元"), "E102"),
    "40-digit-threshold": (clause(award="给予 按 投资额 超过 分档\n    " + "1" * 40 + "元 → 1万元"), "E102"),
    "seven-decimals": (clause(award="给予 1.0000001元"), "E102"),
    "run-of-99999999-years": (clause("当 连续 99999999年 收入 超过 1元"), "E102"),
    "5000-digit-years": (clause("期限 最多 " + "9" * 5000 + "年"), "E102"),
    "zero-years": (clause("当 近 0年 收入 超过 1元"), "E102"),
    "year-99999": (clause("当 收入 超过 1元", award="给予 1万元\n  案例 已知 收入 = {99999: 1元} 预期 1万元"), "E102"),
    "fractional-quota": (clause("名额 每年 10.5 家"), "E102"),
    "huge-coefficient": (clause("系数 1000 作用于 甲事", award=""), "E102"),
    "item-5000-digits": (clause().replace("第一条", "第一条 第" + "1" * 5000 + "项"), "E102"),
    "percent-above-1000": (clause(award="给予 投资额 × 5000% 最高 1万元"), "E102"),
    "NaN": (clause(award="给予 NaN"), "E011"),
    "Infinity-fact": (clause(award="给予 投资额 × 1% 最高 1万元\n  案例 已知 投资额 = Infinity 预期 1万元"), "E065"),
    "sNaN-fact": (clause(award="给予 投资额 × 1% 最高 1万元\n  案例 已知 投资额 = sNaN 预期 1万元"), "E065"),
    "1e400": (clause(award="给予 1e400元"), "E001"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_NUMBERS))
def test_numbers_out_of_range_get_a_diagnostic(tmp_path, name):
    body, code = HOSTILE_NUMBERS[name]
    result = polc(tmp_path, draft(body), "check")
    assert result.returncode == 1 and f"[{code}]" in result.stdout, result.stdout[-3000:]


def test_numbers_are_converted_exactly_or_refused():
    # 16 digits before the point and 6 after fit exactly; nothing is rounded to 28 digits.
    assert limits.money("1234567890.123456万元") == runtime.Decimal("12345678901234.56")
    assert limits.percent("12.345678%") == runtime.Decimal("0.12345678")
    with pytest.raises(limits.OutOfRange):
        limits.money("1" * 40 + "元")


# ---------------------------------------------------------------- silently wrong
def test_a_percentage_tier_threshold_on_money_is_E020(tmp_path):
    project = load(tmp_path, draft(clause(award="给予 按 投资额 超过 分档\n    10% → 1万元")))
    assert "E020" in codes(project)


def test_first_time_tiers_on_a_fact_that_is_not_yearly_are_E023(tmp_path):
    project = load(tmp_path, draft(clause(award="给予 按 投资额 首次超过 分档\n    10万元 → 1万元")))
    assert "E023" in codes(project)


def test_first_time_on_an_enumeration_is_E023(tmp_path):
    project = load(tmp_path, draft(clause("当 品牌 首次超过 省")))
    assert "E023" in codes(project)


def test_a_negative_cap_is_E035_not_no_cap(tmp_path):
    project = load(tmp_path, draft(clause(award="给予 投资额 × 5% 最高 -50万元")))
    assert "E035" in codes(project) and "E080" not in codes(project)


def test_a_cap_that_binds_after_subtracting_a_negative_is_not_W081(tmp_path):
    body = clause(award="给予 10万元 - -5万元 最高 12万元\n  案例 预期 12万元")
    project = load(tmp_path, draft(body))
    assert not project.has_errors and "W081" not in codes(project)
    assert all(outcome.ok for outcome in driver.run_cases(project.policies[0]))


def test_the_same_payer_twice_in_a_split_is_E060(tmp_path):
    header = HEADER.replace("  冲突原则 就高不重复\n", "  冲突原则 就高不重复\n  分担 市级财政 50%、市级财政 50%\n")
    project = load(tmp_path, draft(clause(), header))
    assert "E060" in codes(project)


OUTSIDE_FRAGMENT = draft(
    "事实 上限额: 金额\n\n"
    + clause("事项 甲事", "当 投资额 超过 上限额")
    + clause("事项 甲事", "当 投资额 超过 1元").replace("第一条", "第二条"))


def test_an_internal_error_while_confirming_a_witness_is_E199_not_W073(tmp_path, monkeypatch):
    # Normally the pair is honestly undecided: a comparison of two facts, no witness confirmed.
    assert "W073" in codes(load(tmp_path, OUTSIDE_FRAGMENT))

    def broken(*args, **kwargs):
        raise RuntimeError("hostile.pol:9 第一条: ZeroDivisionError: a bug in a clause function")
    monkeypatch.setattr(runtime, "_run_clause", broken)  # how _confirm runs one clause
    project = load(tmp_path, OUTSIDE_FRAGMENT)
    assert "E199" in codes(project) and "W073" not in codes(project)
    (bug,) = [d for d in project.diagnostics if d.code == "E199"]
    assert "ZeroDivisionError" in bug.message.en and bug.is_error


def test_an_internal_error_inside_the_analysis_is_E199(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise AssertionError("a bug in the solver")
    monkeypatch.setattr(overlaps, "solve", broken)
    assert "E199" in codes(load(tmp_path, OUTSIDE_FRAGMENT))


# ---------------------------------------------------------------- resource use
def test_a_200000_character_misspelt_name_is_refused_at_once(tmp_path):
    started = time.process_time()
    project = load(tmp_path, draft(clause("当 " + "投资" * 100_000 + " 超过 1元")))
    assert "E103" in codes(project)
    assert time.process_time() - started < 5


def test_did_you_mean_is_bounded():
    candidates = [f"事实{chr(0x4e00 + k)}{chr(0x4e00 + k * 7 % 500)}" for k in range(5000)]
    started = time.process_time()
    assert _closest("投" * limits.MAX_NAME_CHARS, candidates) is None
    assert _closest("事实一", candidates) == "事实一一"
    assert time.process_time() - started < 2


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    text = draft(clause().replace('"测试。"', '"' + "字" * limits.MAX_SOURCE_CHARS + '"'))
    result = polc(tmp_path, text, "check")  # read from disk: refused unread past 1,000,000 bytes
    assert result.returncode == 1 and "[E000]" in result.stdout and "1000000" in result.stdout
    policy, problems = parse_text(text)  # handed to the parser directly (an editor, a test)
    assert policy is None and [p.code for p in problems] == ["E103"]


def test_a_long_string_literal_within_the_limit_costs_little_memory():
    text = draft(clause().replace('"测试。"', '"' + "字" * (limits.MAX_SOURCE_CHARS - 2000) + '"'))
    # VmHWM is the peak of this process's own memory map; ru_maxrss would also count the
    # pytest process it was forked from (Linux keeps that high-water mark across exec).
    probe = ("import re, sys; from compiler.parser import parse_text; "
             "policy, problems = parse_text(sys.stdin.read()); "
             "peak = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); "
             "print(int(policy is None), peak // 1024)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, input=text,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    failed, megabytes = map(int, result.stdout.split())
    assert failed == 0 and megabytes < 150, result.stdout + result.stderr


# ---------------------------------------------------------------- imports
@pytest.mark.parametrize("wanted", ["../../../../../../../../etc/passwd", "/etc/passwd", "../outside.pol", "link.pol",
                                    "sub/../../outside.pol"])
def test_imports_outside_the_policy_folder_are_refused_unread(tmp_path, monkeypatch, wanted):
    folder = tmp_path / "policies"
    folder.mkdir()
    (tmp_path / "outside.pol").write_text("词汇 外面\n事实 秘密: 金额\n", encoding="utf-8")
    (folder / "link.pol").symlink_to(tmp_path / "outside.pol")
    header = HEADER.replace("  冲突原则 就高不重复\n", f'  冲突原则 就高不重复\n  引用 "{wanted}"\n')
    opened = []
    real_read = SourceFile.read
    monkeypatch.setattr(SourceFile, "read", classmethod(lambda cls, path, encoding=None: opened.append(path) or real_read(path, encoding)))
    project = load(folder, draft(clause(), header))
    assert [p for p in opened if not p.endswith("hostile.pol")] == []
    (refused,) = [d for d in project.diagnostics if d.code == "E016"]
    assert refused.span.line == 4 and refused.span.column == 3  # the 引用 line, not 1:1
    result = run_polc("check", folder / "hostile.pol")
    assert result.returncode == 1 and "root:" not in result.stdout and "秘密" not in result.stdout


def test_an_import_inside_the_policy_folder_still_works(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "words.pol").write_text("词汇 共用\n事实 共用额: 金额\n", encoding="utf-8")
    header = HEADER.replace("  冲突原则 就高不重复\n", '  冲突原则 就高不重复\n  引用 "sub/words.pol"\n')
    project = load(tmp_path, draft(clause("当 共用额 超过 1元"), header))
    assert not project.has_errors, [d.message.en for d in project.diagnostics]


# ---------------------------------------------------------------- syntax-error recovery is bounded
# Found by the soak (bench/fuzz_soak.py, seeds 1673757052 and 276480821): a mutated shipped policy
# whose 说明 lost its closing quote and kept Chinese quotation marks inside. The lexer repair turned
# “ into ", which still could not be lexed at the same place, and repaired the same character again
# and again (50 identical problems); each problem's fix was then checked by re-reading the whole
# 48 KB file 50 times: check ran for minutes.
UNCLOSED_WITH_CHINESE_QUOTES = '说明 "“不超过100%”读作“最高”。名额10人是每\n'


def test_an_unclosed_string_with_chinese_quotes_is_reported_once_per_character(tmp_path):
    started = time.perf_counter()
    policy, diagnostics = parse_text(draft("# 填充\n" * 4000 + UNCLOSED_WITH_CHINESE_QUOTES))
    assert time.perf_counter() - started < 10
    assert policy is None and diagnostics
    starts = [d.span.start for d in diagnostics]
    assert len(starts) == len(set(starts)) and len(starts) < 10


def test_fix_checking_in_a_file_full_of_stray_characters_is_bounded(tmp_path):
    # A shipped policy (about 48 KB) with a stray character on every tenth line: each of the ~45
    # problems has a fix to check, and checking each re-read the whole file once per problem (40 s).
    lines = (ROOT / "policies" / "jzf-2020-06.pol").read_text(encoding="utf-8").split("\n")
    for index in range(0, len(lines), 10):
        if not lines[index].lstrip().startswith("#"):
            lines[index] += " $"
    started = time.perf_counter()
    result = polc(tmp_path, "\n".join(lines), "check", name="m.pol")
    assert time.perf_counter() - started < 15
    assert result.returncode == 1
