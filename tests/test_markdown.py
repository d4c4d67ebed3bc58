"""Markdown summaries: user text escaped for the context it lands in, and a summary a
reviewer reads in one pass (facts that matter, 万元/亿元, parentheses, one section per matter,
no codes or line numbers, no empty columns)."""

import re

import attrs
import pytest

from compiler import ast, driver, markdown_escape
from compiler.parser import parse
from compiler.source import SourceFile
from compiler.lower import lower
from compiler.to_markdown import _condition, to_markdown
from conftest import FIXTURES, ROOT

TEMPLATES = ROOT / "compiler" / "templates"
HOSTILE = ["a\nb", "# 假标题", "```", "`x` ``y``", "<script>alert(1)</script>", "x --> y <!-- z", "a | b",
           "[点我](javascript:alert(1))", "*强调* _下划线_ ~~删除~~ $x$", "1. 列表", "- 列表", "> 引用", "\\`",
           "\r\n", "&lt;", ""]


# ---------------------------------------------------------------- the filters, one context each
def test_every_template_expression_goes_through_an_escaping_filter():
    for template in TEMPLATES.glob("*.j2"):
        for expression in re.findall(r"\{\{(.*?)\}\}", template.read_text(encoding="utf-8")):
            expression = expression.strip()
            last_filter = expression.rsplit("|", 1)[-1].strip() if "|" in expression else None
            own_literal = re.fullmatch(r'"[^"{}]*" if [\w.]+ else "[^"{}]*"', expression)
            assert last_filter in markdown_escape.FILTERS or own_literal, (template.name, expression)


def _unescaped(text: str, char: str) -> int:
    return len(re.findall(r"(?<!\\)" + re.escape(char), text))


@pytest.mark.parametrize("text", HOSTILE)
def test_inline_text_stays_text(text):
    out = markdown_escape.inline(text)
    assert "\n" not in out and "\r" not in out and "<script" not in out
    assert _unescaped(out, "`") == 0 and _unescaped(out, "[") == 0 and _unescaped(out, "*") == 0
    assert not re.match(r"\s*(#|>|[-+] |\d+[.)])", out)
    assert _unescaped(markdown_escape.cell(text), "|") == 0
    assert "\n" not in markdown_escape.heading(text) and markdown_escape.heading(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_a_code_span_holds_any_backticks(text):
    out = markdown_escape.code(text)
    fence = re.match(r"`+", out).group()
    body = out[len(fence):-len(fence)]
    assert out.endswith(fence) and fence not in body and "\n" not in out
    assert max((len(r) for r in re.findall(r"`+", body)), default=0) < len(fence)


@pytest.mark.parametrize("text", HOSTILE + ["--", "->", "a--->b", "--!>"])
def test_a_comment_cannot_be_closed_early(text):
    out = markdown_escape.comment(text)
    assert "--" not in out and "\n" not in out and "<!--" not in out


@pytest.mark.parametrize("target, expected", [("../policies/a b.pol#L12", "../policies/a%20b.pol#L12"),
                                              ("javascript:alert(1)", "./javascript%3Aalert%281%29"),
                                              ("x).pol", "x%29.pol")])
def test_link_targets_cannot_leave_the_link(target, expected):
    assert markdown_escape.link_target(target) == expected


def test_a_hostile_policy_cannot_inject_markup_into_its_summary(tmp_path):
    project = driver.load([str(FIXTURES / "shapes.pol")])
    policy = project.policies[0]
    clause = attrs.evolve(policy.clauses[0], title="固定 | `码` <b>粗</b>",
                          source_text="<script>alert(1)</script>\n# 假标题\n```\n- 列表")
    hostile = attrs.evolve(policy, title="标题\n# 注入 <img src=x onerror=alert(1)>", path="x-->y.pol",
                           clauses=(clause, *policy.clauses[1:]), notes=("说明 ``` ` <!-- -->",))
    text = to_markdown(lower(hostile), [], [], source_path="p/x-->y\n.pol", source_link="../p/x.pol")
    lines = text.split("\n")
    assert lines[0].startswith("<!-- ") and lines[0].endswith(" -->") and lines[0].count("-->") == 1
    assert [line for line in lines if line.startswith("# ")] == [lines[1]]
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert not any(line.startswith("```") for line in lines)
    table = [line for line in lines if line.startswith("| 第一条")]
    header = next(line for line in lines if line.startswith("| 条款"))
    assert len(table) == 1 and _unescaped(table[0], "|") == _unescaped(header, "|")
    quote_start = lines.index("### 第一条 固定 \\| \\`码\\` &lt;b&gt;粗&lt;/b&gt;")
    assert all(line.startswith(">") for line in lines[quote_start + 2:quote_start + 6])


# ---------------------------------------------------------------- a summary a reviewer reads in one pass
def _policy_with(condition: str) -> ast.Policy:
    text = ("政策 测试〔2020〕1号\n  施行日期 2020年1月1日\n事实 甲: 是否\n事实 乙: 是否\n事实 丙: 是否\n事实 丁: 是否\n"
            f"条款 第一条\n  原文 \"x\"\n  当 {condition}\n  给予 1万元\n")
    policy, problems = parse(SourceFile("t.pol", text))
    assert policy is not None, problems
    return policy


@pytest.mark.parametrize("condition, shown", [
    ("甲 且 乙 或 丙 且 丁", "(甲 且 乙) 或 (丙 且 丁)"),
    ("甲 且 (乙 或 丙) 且 丁", "甲 且 (乙 或 丙) 且 丁"),
    ("非 (甲 且 乙) 或 丙", "非 (甲 且 乙) 或 丙"),
    ("甲 或 乙 或 丙", "甲 或 乙 或 丙"),
])
def test_conditions_mixing_and_and_or_are_parenthesised(condition, shown):
    assert " 且 ".join(_condition(c) for c in lower(_policy_with(condition)).clauses[0].conditions) == shown


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


SUMMARIES = sorted((ROOT / "generated").glob("j*.md"))


@pytest.mark.parametrize("path", SUMMARIES, ids=lambda p: p.name)
def test_one_section_per_matter_and_no_codes_or_line_numbers_for_the_reviewer(path):
    text = path.read_text(encoding="utf-8")
    headings = re.findall(r"^### 事项「.*」$", text, re.M)
    assert len(headings) == len(set(headings))
    for title in ("重叠与处理", "检查提示"):
        reviewer_text = re.sub(r"\]\([^)]*\)", "]", _section(text, title))  # a link's target may hold a line
        assert not re.search(r"\b[EWI]\d{3}\b", reviewer_text), title
        assert not re.search(r"第\d+行", reviewer_text), title


@pytest.mark.parametrize("path", SUMMARIES, ids=lambda p: p.name)
def test_witnesses_show_the_facts_that_matter_in_wan_and_yi_yuan(path):
    for line in re.findall(r"^  - 例如：(.*)$", path.read_text(encoding="utf-8"), re.M):
        assert len(line) < 600 and "{" not in line and '"' not in line
        assert not re.search(r"(?<![\d.])\d{5,}(?![\d.]*(亿元|万元|元|年))", line), line


def test_witness_lists_only_facts_its_conditions_read():
    text = (ROOT / "tests" / "golden" / "shapes.md").read_text(encoding="utf-8")
    witness = re.search(r"^  - 例如：(.*)$", text, re.M).group(1)
    assert "企业行业 = 生产性服务业" in witness and "营业收入 = 2019年 30亿元" in witness
    assert "品牌级别" not in witness and "超出面积" not in witness  # read by neither clause


def test_columns_that_say_nothing_are_dropped():
    shapes = (ROOT / "tests" / "golden" / "shapes.md").read_text(encoding="utf-8")
    header = next(line for line in shapes.split("\n") if line.startswith("| 条款"))
    assert "责任单位" not in header and "区级配套" in header  # shapes has 配套 but no 责任单位
    policy = _policy_with("甲")
    text = to_markdown(lower(policy), [], [])
    header = next(line for line in text.split("\n") if line.startswith("| 条款"))
    assert "区级配套" not in header and "封顶" not in header and "案例数" in header
    assert "**配套**" not in text and "**分担**" not in text  # header lines that would only say 无
