"""Drafting mistakes that change money (issue 9): each is caught by `polc check`; the bad
drafts with their golden output are in tests/bad/ (E011-name-inside-floor, E018, E019, W057,
W058, W059). Here: what the checks imply beyond the message."""

from compiler import driver, parser
from compiler.lower import lower
from compiler.source import SourceFile

FLOOR_ONLY = """政策 测试〔2020〕9号
  施行日期 2020年1月1日

事实 容积率: 数值
事实 用地: 是否

条款 第一条 「测试」
  原文 "容积率每提高0.1，奖励100万元。"
  当 用地
  给予 取整 ((容积率 - 1.5) ÷ 0.1) × 100万元 最高 500万元
"""


def _policy(text):
    policy, problems = parser.parse(SourceFile("draft.pol", text))
    assert policy is not None, problems
    return policy


def test_a_fact_used_only_under_floor_is_in_the_facts_schema():
    assert "容积率" in lower(_policy(FLOOR_ONLY)).schema()


def test_a_field_written_twice_is_kept_for_the_check_not_dropped_silently():
    policy = _policy(FLOOR_ONLY.replace("  当 用地\n", "  当 用地\n  给予 10万元\n"))
    assert [key for key, _span in policy.clauses[0].repeated] == ["award"]


def test_the_shipped_policies_have_no_field_written_twice_and_no_duration_without_start():
    project = driver.load(["policies"], overlaps=False)
    codes = {d.code for d in project.diagnostics}
    assert not codes & {"E018", "E019", "W057", "W058"}
