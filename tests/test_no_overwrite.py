"""No silent overwrite (issue 13): every line that holds one value, in a clause, an example or
the header, written twice is an error (E019) — or, for the lines that are lists, means
something defined. The lines E019 already covered (给予, 事项, 期限, 名额, 系数, 原文, 对象,
一次性, 不设上限, 仅文本, 标题 … 考核年度 in the header, 评估日 and 预期 in an example) are
tested in tests/test_language.py; these are the rest of the audit:

- 已知 X twice in one example, a year twice in one series value: E019 (the last one won);
- 预算 or 配套 twice for one payer: E019 (the batch used one of the budgets);
- 分担 after one that excepts nothing: E361 (a clause takes the first 分担 that does not
  except it, so the later one was silently ignored);
- 过渡 rules out of order: E363 (they are tried in order, so a later rule with an earlier year
  was silently ignored);
- the same fact twice in one ranking (按 X 降序、X 升序) or grouping (每个 X、X): E362.

Lines that are lists mean all of what they say: 当 (AND-ed), 说明, 案例, 不编码, 引用, 过渡
in year order, 分担 with 除外; a name repeated inside a list (责任单位 A、A, 属于 X、X, 除外
第一条、第一条, 废止 D、D) is the same set and changes nothing.
"""

import pytest

from compiler.checks import check_policy
from compiler.parser import parse
from compiler.source import SourceFile

from conftest import run_polc

HEAD = "政策 测试〔2021〕1号\n  施行日期 2021年1月1日\n"
DECL = "枚举 级别: 国家、省\n事实 投资额: 金额\n事实 收入: 逐年 金额\n事实 级: 级别\n事实 总部: 标识\n"
CLAUSE = "条款 第一条\n  当 投资额 超过 100万元\n  给予 10万元\n"


def _codes(text: str) -> list[str]:
    policy, problems = parse(SourceFile("d.pol", text))
    assert policy is not None, [p.message.zh for p in problems]
    return [d.code for d in check_policy(policy)]


ERRORS = {
    "example fact twice": (HEAD + DECL + CLAUSE
                           + "  案例 已知 投资额 = 200万元, 投资额 = 50万元 评估日 2022-06-30 预期 10万元\n", "E019"),
    "series year twice": (HEAD + DECL + "条款 第一条\n  当 收入 超过 100万元\n  给予 10万元\n"
                          "  案例 已知 收入 = {2021: 200万元, 2021: 50万元} 评估日 2022-06-30 预期 10万元\n", "E019"),
    "budget of one payer twice": (HEAD + "  预算 市级财政 每年 600万元\n  预算 市级财政 每年 500万元\n" + DECL + CLAUSE, "E019"),
    "cofunding of one payer twice": (HEAD + "  配套 区级财政 不低于 50%\n  配套 区级财政 不低于 30%\n" + DECL + CLAUSE, "E019"),
    "fund minimum twice": (HEAD + "  资金 专项资金 每年 不少于 600万元\n  资金 专项资金 每年 不少于 500万元\n" + DECL + CLAUSE,
                           "E019"),
    "split after one excepting nothing": (HEAD + "  分担 市级财政 50%、区级财政 50%\n  分担 市级财政 100%\n" + DECL + CLAUSE,
                                          "E361"),
    "transitional out of order": (HEAD + "  过渡 \"a\" 当 考核年度 早于 2021年 依照 嘉政发〔2016〕29号\n"
                                  "  过渡 \"b\" 当 考核年度 早于 2020年 依照 嘉政发〔2016〕28号\n" + DECL + CLAUSE, "E363"),
    "transitional year twice": (HEAD + "  过渡 \"a\" 当 考核年度 早于 2020年 依照 嘉政发〔2016〕29号\n"
                                "  过渡 \"b\" 当 考核年度 早于 2020年 依照 嘉政发〔2016〕28号\n" + DECL + CLAUSE, "E363"),
    "quota group fact twice": (HEAD + DECL + CLAUSE + "  名额 每年 3 家 每个 总部、总部\n", "E362"),
    "quota ranking fact twice": (HEAD + DECL + CLAUSE + "  名额 每年 3 家 按 投资额 降序、投资额 升序\n", "E362"),
    "budget ranking fact twice": (HEAD + "  预算 市级财政 每年 600万元 按 投资额 降序、投资额 升序\n" + DECL + CLAUSE, "E362"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_each_line_written_twice_is_an_error(name):
    text, code = ERRORS[name]
    assert code in _codes(text)


DEFINED = {
    "two budgets of two payers": HEAD + "  预算 市级财政 每年 600万元\n  预算 区级财政 每年 500万元\n" + DECL + CLAUSE,
    "split with its exception first": (HEAD + "  分担 市级财政 50%、区级财政 50% 除外 第一条\n  分担 市级财政 100%\n"
                                       + DECL + CLAUSE),
    "transitional in year order": (HEAD + "  过渡 \"a\" 当 考核年度 早于 2020年 依照 嘉政发〔2016〕28号\n"
                                   "  过渡 \"b\" 当 考核年度 早于 2021年 依照 嘉政发〔2016〕29号\n" + DECL + CLAUSE),
    "two conditions": HEAD + DECL + "条款 第一条\n  当 投资额 超过 100万元\n  当 级 属于 国家\n  给予 10万元\n",
    "two series years": (HEAD + DECL + "条款 第一条\n  当 收入 超过 100万元\n  给予 10万元\n"
                         "  案例 已知 收入 = {2020: 1万元, 2021: 200万元} 评估日 2022-06-30 预期 10万元\n"),
    "ranking by two facts": HEAD + DECL + CLAUSE + "  名额 每年 3 家 每个 总部 按 投资额 降序、收入 降序\n",
}


@pytest.mark.parametrize("name", DEFINED)
def test_lines_that_are_lists_stay_accepted(name):
    assert not {"E019", "E361", "E362", "E363"} & set(_codes(DEFINED[name]))


def test_the_shipped_policies_and_language_folders_are_clean():
    for folder in ("policies", "tests/language"):
        done = run_polc("check", folder, "--format", "json")
        assert not {"E019", "E361", "E362", "E363"} & set(done.stdout.split('"code": "')[1:] and
                                                          [part[:4] for part in done.stdout.split('"code": "')[1:]])
