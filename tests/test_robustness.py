"""Bad input gets a clear error, never a traceback: random drafts assembled from the
language's own words, numbers and punctuation are parsed and checked without an exception."""

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import checks, driver
from compiler.to_markdown import to_markdown
from compiler.lower import lower, lower_overlaps
from compiler.to_python import to_python
from compiler.diagnostics import render
from compiler.parser import keywords, parse
from compiler.source import SourceFile

WORDS = sorted(keywords()) + ["投资额", "收入", "甲", "「5A级」", "国家", "30万元", "5%", "2020年", "三年", "12",
                              "2020年1月1日", "150元/平方米", "嘉政发〔2020〕6号", "第七条", "第1项", '"原文"',
                              "→", "(", ")", "，", "：", ":", "、", "{", "}", "[", "]", "=", "+", "×", "÷", "-",
                              "\n", "  ", "＃注释", "“", "￥"]
HEADER = "政策 测试〔2020〕1号\n  施行日期 2020年1月1日\n  冲突原则 就高不重复\n事实 投资额: 金额\n事实 收入: 逐年 金额\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS), max_size=40), st.booleans())
def test_random_drafts_never_raise(words, with_header):
    text = (HEADER + "条款 第一条\n  " if with_header else "") + " ".join(words)
    source = SourceFile("random.pol", text)
    policy, problems = parse(source)
    if policy is not None and hasattr(policy, "clauses"):
        problems = checks.check_policy(policy) + checks.check_overlaps_across(checks.find_overlaps([policy]))
    for problem in problems:
        assert render(problem, {"random.pol": source})


SHAPES = (__import__("pathlib").Path(__file__).parent / "fixtures" / "shapes.pol").read_text(encoding="utf-8")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_valid_drafts_never_raise(data):
    """Drop, repeat or reword lines of a valid policy: the checks must cope with whatever parses."""
    lines = SHAPES.split("\n")
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "repeat", "reword"]))
        if action == "drop":
            del lines[index]
        elif action == "repeat":
            lines.insert(index, lines[index])
        else:
            words = lines[index].split(" ")
            words[data.draw(st.integers(0, len(words) - 1))] = data.draw(st.sampled_from(WORDS))
            lines[index] = " ".join(words)
    source = SourceFile("mutated.pol", "\n".join(lines))
    policy, problems = parse(source)
    if policy is not None and hasattr(policy, "clauses"):
        problems = checks.check_policy(policy)
        if not any(p.is_error for p in problems):
            found = checks.find_overlaps([policy])
            problems += checks.check_overlaps_across(found)
            # A draft that checks cleanly also compiles, summarises and runs its examples.
            compile(to_python(lower(policy)), "mutated.py", "exec")
            assert to_markdown(lower(policy), problems, lower_overlaps(found, [policy]))
            driver.run_cases(policy)
    for problem in problems:
        assert render(problem, {"mutated.pol": source})


# ---------------------------------------------------------------- mutated shipped policies
POLICIES = Path(__file__).resolve().parent.parent / "policies"
SHIPPED = {path.name: path.read_text(encoding="utf-8") for path in sorted(POLICIES.glob("*.pol"))
           if path.name != "vocabulary.pol"}
VOCABULARY = (POLICIES / "vocabulary.pol").read_text(encoding="utf-8")
# Literals a hostile draft may hold: out-of-range and malformed numbers, deep nesting, long
# names, imports that reach outside, words Decimal would take for special values.
HOSTILE = ["NaN", "Infinity", "sNaN", "-Infinity", "1e400", "9" * 5000, "9" * 400 + "元", "1" * 40 + "元",
           "0.0000001%", "99999999年", "0年", "连续 99999999年", "最高 -50万元", "- -5万元", "10.5", "「" + "名" * 150 + "」",
           "非 " * 120, "(" * 150, ")" * 150, "税收 且 (" * 60, '引用 "../../etc/passwd"', '引用 "/etc/passwd"',
           "首次超过", "分档", "→", "第" + "9" * 30 + "项", "2020年2月30日", "\x00", "\u202e", '"', "「"]


def _excerpt(text: str, start: int, count: int) -> str:
    """A shipped policy cut to its header and declarations plus `count` clauses from
    `start`: small enough to check, build and run in a fraction of a second."""
    head, *clauses = re.split(r"\n(?=条款 )", text)
    start = start % max(len(clauses), 1)
    return "\n".join([head, *clauses[start:start + count]])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_shipped_policies_never_raise_in_check_build_test_or_eval(data):
    """Delete, duplicate or swap tokens of a shipped policy, or insert a hostile literal:
    check, build, test and eval must give diagnostics or results, never an exception."""
    name = data.draw(st.sampled_from(sorted(SHIPPED)))
    text = _excerpt(SHIPPED[name], data.draw(st.integers(0, 200)), data.draw(st.integers(1, 3)))
    tokens = re.split(r"( +|\n)", text)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(tokens) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "swap", "hostile"]))
        if action == "delete":
            del tokens[index]
        elif action == "duplicate":
            tokens.insert(index, tokens[index])
        elif action == "swap":
            other = data.draw(st.integers(0, len(tokens) - 1))
            tokens[index], tokens[other] = tokens[other], tokens[index]
        else:
            tokens.insert(index, " " + data.draw(st.sampled_from(HOSTILE)) + " ")
        if not tokens:
            tokens = [""]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "vocabulary.pol").write_text(VOCABULARY, encoding="utf-8")
        path = Path(folder) / name
        path.write_text("".join(tokens), encoding="utf-8")
        project = driver.load([str(path)])
        for problem in project.diagnostics:
            assert render(problem, project.sources)
        if project.has_errors or not project.policies:
            return
        policy = project.policies[0]
        compile(to_python(project.model(policy)), "mutated.py", "exec")
        assert to_markdown(project.model(policy), project.findings_for(policy), project.model_overlaps())
        driver.run_cases(policy)
        module = driver.load_module(policy)
        for clause in policy.clauses:
            for case in clause.cases:
                try:
                    module.evaluate(driver.case_facts(case), on=case.on.value if case.on else None)
                except module.FactError:
                    pass  # e.g. an example of another clause's facts: a documented refusal
