"""`polc fmt`: canonical layout, comments kept, idempotent, meaning-preserving, safe writes."""

import os
import re
import shutil
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import fmt
from compiler.parser import parse
from compiler.source import SourceFile, normalise
from conftest import ROOT, run_polc

POLICIES = sorted((ROOT / "policies").glob("*.pol")) + sorted((ROOT / "tests" / "language").glob("*/*.pol"))

MESSY = """

# 头注释
政策 嘉政发〔2020〕99号
标题 "测试"   # 标题注释
施行日期 2020年1月1日
事实 投资额：金额 说明 "投资 # 不是注释，  两个空格"
事实 排名:数值
枚举 级别: 国家、 省 、市
事实 级别值 : 级别
条款 第一条
    当 排名 不超过 2 且（投资额 超过 -5万元 或 排名 等于 -1）
  给予 投资额*5%   最高200万元
  案例 已知 排名 = 1,
     # 中间注释
     投资额 = 100万元 预期 5万元
条款 第二条
  当 排名 不超过 3
  给予 按 级别值 分别
        国家 → 30万元   # 尾注释
   省->20万元
  最高 50万元



  # 结尾
"""

CANONICAL = """# 头注释
政策 嘉政发〔2020〕99号
标题 "测试"  # 标题注释
施行日期 2020年1月1日
事实 投资额: 金额 说明 "投资 # 不是注释，  两个空格"
事实 排名: 数值
枚举 级别: 国家、省、市
事实 级别值: 级别

条款 第一条
  当 排名 不超过 2 且 (投资额 超过 -5万元 或 排名 等于 -1)
  给予 投资额 × 5% 最高 200万元
  案例 已知 排名 = 1,
    # 中间注释
    投资额 = 100万元 预期 5万元

条款 第二条
  当 排名 不超过 3
  给予 按 级别值 分别
    国家 → 30万元  # 尾注释
    省 → 20万元
  最高 50万元

# 结尾
"""


def test_messy_draft_gets_the_canonical_layout_with_comments_in_place():
    result = fmt.format_text(MESSY)
    assert result.diagnostics == []
    assert result.text == CANONICAL
    assert fmt.format_text(CANONICAL).text == CANONICAL


def test_declarations_keep_the_order_written():
    text = "词汇 甲\n事实 乙: 金额\n枚举 丙: 一、二\n定义事项 丁\n事实 戊: 丙\n"
    assert fmt.format_text(text).text == text


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_shipped_policies_format_and_stay_formatted(path):
    source = SourceFile.read(str(path))
    once = fmt.format_source(source).text  # format_source itself checks the AST is unchanged
    assert once is not None
    assert fmt.format_source(SourceFile(source.path, once)).text == once
    # The comment scan agrees with the compiler's lexer.
    lexed = [(t.start_pos, t.end_pos) for t in fmt._lark().lex(normalise(source.text), dont_ignore=True)
             if t.type == "COMMENT"]
    assert [(c.start_pos, c.end_pos) for c in fmt._comments(normalise(source.text))] == lexed


def test_formatted_policies_still_pass_their_examples(tmp_path):
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    assert run_polc("fmt", "policies", cwd=tmp_path).returncode == 0
    result = run_polc("test", "policies", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    assert " 0 failed" in result.stdout


# ---------------------------------------------------------------- properties on mutations
def _clause_snippets() -> list[str]:
    """Small, syntactically complete drafts cut from the shipped policies: the policy line
    and one clause (with the comments around it)."""
    snippets = []
    for path in POLICIES:
        text = path.read_text(encoding="utf-8")
        head = text.split("\n", 1)[0] if text.startswith("政策") else re.search(r"^(政策|词汇) .*$", text, re.M).group(0)
        for block in re.split(r"\n(?=条款 )", text)[1:]:
            snippets.append(head + "\n" + block)
    return snippets


SNIPPETS = _clause_snippets()
_FULL_WIDTH = {":": "：", ",": "，", "(": "（", ")": "）"}


@st.composite
def mutated(draw):
    """A shipped clause with its in-line spacing, indentation and half-width punctuation
    changed at random (never inside strings or comments, never adding or removing lines)."""
    text = draw(st.sampled_from(SNIPPETS))
    tokens = list(fmt._lark().lex(normalise(text), dont_ignore=True))
    pieces = []
    for index, token in enumerate(tokens):
        piece = text[token.start_pos:token.end_pos]
        neighbours = tokens[max(index - 1, 0):index + 2]
        if token.type == "WS" and not any(t.type == "COMMENT" for t in neighbours):
            if "\n" in piece:
                piece = piece[:piece.rindex("\n") + 1] + draw(st.sampled_from(["", " ", "   ", "\t", "\u3000"]))
            else:
                piece = draw(st.sampled_from([" ", "  ", "\t", "\u3000", " \u3000 "]))
        elif piece in _FULL_WIDTH and draw(st.booleans()):
            piece = _FULL_WIDTH[piece]
        pieces.append(piece)
    return text, "".join(pieces)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fmt_is_canonical_idempotent_and_meaning_preserving_on_mutations(pair):
    original, mutant = pair
    assert parse(SourceFile("m", mutant))[0] == parse(SourceFile("m", original))[0]
    formatted = fmt.format_text(mutant).text  # raises FormatBug if the meaning changed
    assert formatted == fmt.format_text(original).text  # one layout, whatever the spacing
    assert fmt.format_text(formatted).text == formatted


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(SNIPPETS), st.data())
def test_line_breaks_inside_a_statement_are_joined(snippet, data):
    """A statement broken over lines (no comment in between) comes back on one line."""
    tokens = [t for t in fmt._lark().lex(normalise(snippet), dont_ignore=True)]
    spaces = [t for i, t in enumerate(tokens) if t.type == "WS" and t.value == " "
              and not any(n.type == "COMMENT" for n in tokens[i - 1:i + 2])]
    if not spaces:
        return
    chosen = data.draw(st.sampled_from(spaces))
    broken = snippet[:chosen.start_pos] + "\n      " + snippet[chosen.end_pos:]
    assert fmt.format_text(broken).text == fmt.format_text(snippet).text


# ---------------------------------------------------------------- the command
def _draft(tmp_path, text=MESSY, name="draft.pol"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_check_prints_a_diff_and_exits_one_without_writing(tmp_path):
    path = _draft(tmp_path)
    result = run_polc("fmt", "--check", path)
    assert result.returncode == 1
    assert "\n-事实 排名:数值\n" in result.stdout and "\n+事实 排名: 数值\n" in result.stdout
    assert result.stdout.startswith(f"--- {path}")
    assert path.read_text(encoding="utf-8") == MESSY


def test_fmt_rewrites_in_place_then_check_passes(tmp_path):
    path = _draft(tmp_path)
    os.chmod(path, 0o640)
    result = run_polc("fmt", tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.read_text(encoding="utf-8") == CANONICAL
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the file keeps its permissions
    assert [p.name for p in tmp_path.iterdir()] == ["draft.pol"]  # no temporary file left
    again = run_polc("fmt", "--check", path)
    assert again.returncode == 0 and again.stdout == ""


def test_a_file_with_errors_is_reported_and_left_untouched(tmp_path):
    broken = MESSY.replace("当 排名 不超过 3", "当排名 不超过 3")
    path = _draft(tmp_path, broken)
    for args in (("fmt", path), ("fmt", "--check", path)):
        result = run_polc(*args)
        assert result.returncode == 1
        assert "E002" in result.stderr and "未格式化" in result.stderr
        assert path.read_text(encoding="utf-8") == broken


def test_stdin_to_stdout_for_editors():
    result = run_polc("fmt", "-", stdin=MESSY)
    assert result.returncode == 0 and result.stdout == CANONICAL
    bad = run_polc("fmt", "-", stdin="政策 x\n")
    assert bad.returncode == 1 and bad.stdout == "" and "E001" in bad.stderr


def test_mixing_stdin_and_files_is_a_usage_error(tmp_path):
    assert run_polc("fmt", "-", _draft(tmp_path)).returncode == 2


def test_a_layout_bug_leaves_the_file_untouched_and_says_it_is_a_bug(tmp_path, monkeypatch):
    path = _draft(tmp_path)
    monkeypatch.setattr(fmt, "layout", lambda source: source.text.replace("不超过 2", "不超过 3"))
    with pytest.raises(fmt.FormatBug):
        fmt.format_source(SourceFile.read(str(path)))
    monkeypatch.setattr(fmt, "layout", lambda source: source.text.replace("# 中间注释\n", ""))
    with pytest.raises(fmt.FormatBug, match="comments"):
        fmt.format_source(SourceFile.read(str(path)))
    from compiler import cli
    assert cli.main(["fmt", str(path)]) == 1
    assert path.read_text(encoding="utf-8") == MESSY


def test_write_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    path = _draft(tmp_path, "政策 嘉政发〔2020〕99号\n")

    def failing(fd, *args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(fmt.os, "fdopen", failing)
    with pytest.raises(OSError):
        fmt.write_atomically(str(path), "new")
    assert path.read_text(encoding="utf-8") == "政策 嘉政发〔2020〕99号\n"
    assert [p.name for p in tmp_path.iterdir()] == ["draft.pol"]


# ---------------------------------------------------------------- properties on random and mutated drafts
from test_robustness import HEADER, SHAPES, WORDS  # noqa: E402  (the robustness tests' vocabulary)

COMMENTS = ["# 注释", "\n# 独占一行\n", "＃全角"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS + COMMENTS), max_size=30))
def test_random_drafts_that_parse_format_idempotently(words):
    text = HEADER + "条款 第一条\n  " + " ".join(words)
    result = fmt.format_text(text)  # a FormatBug (meaning or comments changed) fails the test
    if result.text is not None:
        assert fmt.format_text(result.text).text == result.text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_drafts_format_idempotently(data):
    """Lines of a valid draft dropped, repeated, re-indented or given comments."""
    lines = SHAPES.split("\n")
    for _ in range(data.draw(st.integers(1, 5))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "repeat", "indent", "comment", "trailing", "blank"]))
        if action == "drop":
            del lines[index]
        elif action == "repeat":
            lines.insert(index, lines[index])
        elif action == "indent":
            lines[index] = " " * data.draw(st.integers(0, 8)) + lines[index].lstrip()
        elif action == "comment":
            lines.insert(index, " " * data.draw(st.integers(0, 4)) + "# 插入的注释")
        elif action == "trailing":
            lines[index] += "  # 行尾注释"
        else:
            lines.insert(index, "")
    result = fmt.format_text("\n".join(lines))
    if result.text is not None:
        assert fmt.format_text(result.text).text == result.text


def test_a_cap_goes_on_its_own_line_only_after_a_table():
    text = ("政策 嘉政发〔2020〕99号\n事实 甲: 金额\n枚举 级: 国家、省\n事实 乙: 级\n\n"
            "条款 第一条\n  给予 按 乙 分别\n    国家 → 300万元\n  最高 200万元\n\n"
            "条款 第二条\n  给予 甲 × 5% 最高 200万元\n")
    assert fmt.format_text(text).text == text
    assert fmt.format_text(text.replace("\n  最高 200万元", " 最高 200万元")).text == text
