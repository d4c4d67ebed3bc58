"""Bad input gets a clear error, never a traceback: random drafts assembled from the
language's own words, numbers and punctuation are parsed and checked without an exception."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import checks, driver
from compiler.to_markdown import to_markdown
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
            compile(to_python(policy), "mutated.py", "exec")
            assert to_markdown(policy, problems, found)
            driver.run_cases(policy)
    for problem in problems:
        assert render(problem, {"mutated.pol": source})
