"""Errors in the drafter's words: the text's own wording accepted, the drafter-mistake corpus
(tests/bad/drafter/) with golden messages, every offered fix re-parsed, and error recovery.

POLC_UPDATE_GOLDEN=1 rewrites the golden .expected files (review the diff before committing).
"""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import ast, printer
from compiler import driver
from compiler.diagnostics import render_all
from compiler.parser import parse_text, percent_value
from compiler.source import SourceFile, normalise
from compiler.syntax_errors import Edit, apply_edits, describe_expected, syntax_errors

from conftest import ROOT, golden, run_polc

DRAFTER = ROOT / "tests" / "bad" / "drafter"
CORPUS = sorted(DRAFTER.glob("*.pol"))
ENGLISH = sorted(p for p in CORPUS if p.with_suffix(".en.expected").exists())

HEADER = "政策 测试〔2020〕1号\n事实 投资额: 金额\n事实 研发投入: 金额\n事实 增长率: 百分比\n"


def _clause(body: str) -> ast.Clause:
    policy, problems = parse_text(HEADER + "条款 第一条\n  原文 \"…\"\n" + body)
    assert problems == [], problems
    return policy.clauses[0]


def _printed(body: str) -> str:
    return printer.policy(parse_text(HEADER + "条款 第一条\n  原文 \"…\"\n" + body)[0])


def _diagnostics(path):
    text = path.read_text(encoding="utf-8")
    _tree, problems = parse_text(text, str(path.relative_to(ROOT)))
    return text, problems


# ---------------------------------------------------------------- the text's own wording
@pytest.mark.parametrize("text, value", [
    ("百分之十", "0.1"), ("百分之五十", "0.5"), ("百分之二点五", "0.025"), ("百分之一百", "1"),
    ("百分之零点五", "0.005"), ("百分之5", "0.05"), ("百分之2.5", "0.025"), ("5%", "0.05"),
])
def test_chinese_percentages_are_percentages(text, value):
    assert percent_value(text) == Decimal(value)
    award = _clause(f"  给予 投资额 × {text}\n").award
    assert award.form.amount.right == ast.Percent(Decimal(value), text)


def test_a_name_that_starts_with_baifenzhi_stays_a_name():
    policy, problems = parse_text(HEADER + "事实 百分之十的企业: 是否\n")
    assert problems == [] and policy.facts[-1].name.text == "百分之十的企业"


@pytest.mark.parametrize("postfix, prefix", [
    ("研发投入 5000万元以上", "研发投入 不低于 5000万元"),
    ("研发投入 5000万元及以上", "研发投入 不低于 5000万元"),
    ("研发投入 5000万元以上(含)", "研发投入 不低于 5000万元"),
    ("研发投入 5000万元以上（不含）", "研发投入 超过 5000万元"),
    ("研发投入 5000万元 以上", "研发投入 不低于 5000万元"),
    ("研发投入 200万元以下", "研发投入 不超过 200万元"),
    ("研发投入 200万元以内", "研发投入 不超过 200万元"),
    ("研发投入 200万元以下(不含)", "研发投入 低于 200万元"),
    ("增长率 10%以上", "增长率 不低于 10%"),
    ("增长率 百分之十以上", "增长率 不低于 百分之十"),
])
def test_postfix_comparisons_read_as_the_prefix_words(postfix, prefix):
    """以上/以下/以内 include the number itself (the reading convention); (不含) excludes it."""
    assert _printed(f"  当 {postfix}\n  给予 10万元\n") == _printed(f"  当 {prefix}\n  给予 10万元\n")


def test_tier_rows_with_yishang_are_the_tiers_of_buidiyu():
    postfix = "  给予 按 研发投入 分档\n    1亿元以上 → 100万元\n    5000万元以上 → 50万元\n"
    prefix = "  给予 按 研发投入 不低于 分档\n    1亿元 → 100万元\n    5000万元 → 50万元\n"
    assert _printed(postfix) == _printed(prefix)
    assert _clause(postfix).award.form.op == "不低于"


def test_tier_rows_that_compare_differently_are_e032():
    _tree, problems = parse_text(HEADER + "条款 第一条\n  给予 按 研发投入 分档\n    1亿元以上 → 100万元\n"
                                 "    5000万元以下 → 50万元\n")
    assert [p.code for p in problems] == ["E036"]
    _tree, problems = parse_text(HEADER + "条款 第一条\n  给予 按 研发投入 分档\n    1亿元 → 100万元\n")
    assert [p.code for p in problems] == ["E036"]


@pytest.mark.parametrize("cap", ["最高不超过 200万元", "最高 不超过 200万元", "最高不超过200万元"])
def test_zuigao_buchaoguo_is_a_ceiling(cap):
    assert _printed(f"  给予 投资额 × 5% {cap}\n") == _printed("  给予 投资额 × 5% 最高 200万元\n")
    assert _printed(f"  给予 {cap}\n") == _printed("  给予 最高 200万元\n")


def test_the_new_wording_evaluates_like_the_old(tmp_path):
    """End to end: a policy in the text's wording passes its own examples through the generated code."""
    policy = tmp_path / "wording.pol"
    policy.write_text(HEADER + """
条款 第一条 「研发」
  原文 "研发投入5000万元以上的，按投资额百分之五给予补助，最高不超过200万元。"
  当 研发投入 5000万元以上
  给予 投资额 × 百分之五 最高不超过 200万元
  案例 「恰好5000万元」 已知 研发投入 = 5000万元, 投资额 = 1000万元 预期 50万元
  案例 「不到」 已知 研发投入 = 4999万元, 投资额 = 1000万元 预期 不适用
""", encoding="utf-8")
    result = run_polc("test", policy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


# ---------------------------------------------------------------- the corpus
def test_the_corpus_has_at_least_thirty_mistakes():
    assert len(CORPUS) >= 30


def _check(path, lang="zh") -> str:
    """What `polc check` prints for a draft with errors, in this process (the corpus is large;
    the subprocess test below shows the CLI prints the same)."""
    project = driver.load([str(path)])
    assert project.has_errors, "every draft in the corpus has a mistake"
    return f"exit 1\n{render_all(project.diagnostics, project.sources, lang)}"


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_drafter_mistake_gives_its_golden_message(path):
    golden(path.with_suffix(".expected"), _check(path.relative_to(ROOT)))


@pytest.mark.parametrize("path", ENGLISH, ids=[p.stem for p in ENGLISH])
def test_drafter_mistake_in_english(path):
    golden(path.with_suffix(".en.expected"), _check(path.relative_to(ROOT), "en"))


def test_the_cli_prints_the_golden_message_as_a_user_sees_it():
    for name, lang in (("three-independent-mistakes", "zh"), ("valid-until", "en")):
        path = DRAFTER / f"{name}.pol"
        result = run_polc("check", "--lang", lang, path.relative_to(ROOT))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        suffix = ".en.expected" if lang == "en" else ".expected"
        assert f"exit 1\n{result.stdout}" == path.with_suffix(suffix).read_text(encoding="utf-8")


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_no_empty_expectation_and_no_end_of_file_where_the_file_goes_on(path):
    text, problems = _diagnostics(path)
    assert problems
    end = len(text.rstrip())
    for problem in problems:
        for lang in ("zh", "en"):
            if problem.expected is not None:
                assert problem.expected.get(lang).strip(), "an empty expectation"
            if problem.suggestion is not None:
                assert problem.suggestion.get(lang).strip()
            said = " ".join(m.get(lang) for m in (problem.message, problem.expected, problem.suggestion, *problem.notes)
                            if m is not None)
            if "文件结尾" in said or "end of file" in said:
                assert problem.span.end >= end, f"{path.name}: says end of file at {problem.span}"


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_every_offered_fix_parses(path):
    """Apply each offered fix alone: the lines it touches parse, and the file has fewer errors."""
    text, problems = _diagnostics(path)
    before = len(problems)
    for problem in problems:
        if not problem.fix:
            continue
        edits = [Edit(*edit) for edit in problem.fix]
        fixed = apply_edits(text, edits)
        _tree, after = parse_text(fixed, "fixed.pol")
        assert len(after) < before, f"{path.name}: the fix for {problem.message.zh} leaves {after}"
        first_line = text.count("\n", 0, min(e.start for e in edits)) + 1
        touched = {first_line + i for i in range(max(e.text.count("\n") for e in edits) + 2)}
        assert not any(p.code in ("E001", "E002") and p.span.line in touched for p in after), (path.name, after)


def test_most_of_the_corpus_gets_a_checked_fix():
    with_fix = sum(any(p.fix for p in _diagnostics(path)[1]) for path in CORPUS)
    assert with_fix >= 25, with_fix


def test_fixing_every_mistake_of_the_three_mistakes_draft_gives_a_clean_file():
    path = DRAFTER / "three-independent-mistakes.pol"
    text, problems = _diagnostics(path)
    edits = [Edit(*edit) for problem in problems for edit in problem.fix]
    _tree, after = parse_text(apply_edits(text, edits), "fixed.pol")
    assert after == []


# ---------------------------------------------------------------- recovery
def test_three_independent_mistakes_give_exactly_three_errors():
    _text, problems = _diagnostics(DRAFTER / "three-independent-mistakes.pol")
    assert [(p.code, p.span.line) for p in problems] == [("E001", 5), ("E001", 21), ("E001", 26)]


def test_each_mistake_alone_gives_one_error():
    """Recovery does not invent errors: with two of the three mistakes repaired, one is left."""
    text = (DRAFTER / "three-independent-mistakes.pol").read_text(encoding="utf-8")
    repairs = [("有效期至", "失效日期"), ("5000万 →", "5000万元 →"), ("给\u200b予", "给予")]
    for kept in range(3):
        draft = text
        for index, (wrong, right) in enumerate(repairs):
            if index != kept:
                draft = draft.replace(wrong, right)
        _tree, problems = parse_text(draft, "draft.pol")
        assert len(problems) == 1, (kept, problems)


def test_a_broken_line_in_each_clause_is_reported_per_clause():
    body = "".join(f"\n条款 第{n}条\n  原文 \"…\"\n  当 投资额 超过\n  给予 10万元\n" for n in "一二三四")
    _tree, problems = parse_text(HEADER + body)
    assert [p.span.line for p in problems] == [8, 13, 18, 23]
    assert all(p.message.zh == "这一行没有写完：「超过」之后还缺内容" for p in problems)


def test_errors_stop_at_a_limit_on_garbage():
    _tree, problems = parse_text("政策 测试〔2020〕1号\n" + "￥\n" * 500)
    assert 1 <= len(problems) <= 50


# ---------------------------------------------------------------- expected sets in words
def test_huge_expected_sets_are_summarised():
    problems = syntax_errors(SourceFile("x.pol", HEADER + "条款 第一条\n  当 投资额 )\n"))
    assert len(problems) == 1
    expected = problems[0].expected.zh
    assert "比较词" in expected and "条款的下一项" in expected and "文件结尾" not in expected
    assert "「<」" not in expected and "NAME" not in problems[0].expected.en


def test_nothing_to_say_gives_no_expectation():
    from compiler.syntax_errors import _grammar
    assert describe_expected(set(), _grammar()) is None
    assert describe_expected({"$END"}, _grammar()) is None


def test_an_invisible_character_is_named_with_its_position():
    text = HEADER + "条款 第一条\n  给\u200b予 10万元\n"
    problems = syntax_errors(SourceFile("x.pol", text))
    assert len(problems) == 1
    assert "U+200B ZERO WIDTH SPACE" in problems[0].message.zh
    assert (problems[0].span.line, problems[0].span.column) == (6, 4)


def test_normalisation_keeps_offsets_for_fixes():
    text = HEADER + "条款 第一条\n  当 投资额 超过 ５０００万\n"
    assert len(normalise(text)) == len(text)
    problems = syntax_errors(SourceFile("x.pol", text))
    assert problems[0].fix and apply_edits(text, [Edit(*e) for e in problems[0].fix]).endswith("５０００万元\n")


# ---------------------------------------------------------------- mistakes made in the shipped policies
POLICIES = sorted((ROOT / "policies").glob("*.pol"))
_MISTAKES = [
    ("万元", "万"),          # an amount without 元
    ("给予 ", "给予"),        # a keyword written against what follows
    ("失效日期", "有效期至"),
    ("最高", "最高\u200b"),  # an invisible character
    (" → ", " = "),
    ("当 ", ""),             # a condition without its keyword
]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(POLICIES), st.sampled_from(_MISTAKES), st.integers(min_value=0, max_value=10_000))
def test_a_mistake_in_a_shipped_policy_gets_messages_whose_fixes_parse(path, mistake, which):
    """One mistake, anywhere the pattern occurs: no crash, no empty expectation, and every fix
    offered leaves fewer errors than before, with the lines it touches parsing."""
    text = path.read_text(encoding="utf-8")
    wrong, written = mistake
    places = [i for i in range(len(text)) if text.startswith(wrong, i)]
    if not places:
        return
    at = places[which % len(places)]
    draft = text[:at] + written + text[at + len(wrong):]
    _tree, problems = parse_text(draft, "draft.pol")
    for problem in problems:
        if problem.expected is not None:
            assert problem.expected.zh.strip() and problem.expected.en.strip()
        if problem.fix:
            fixed = apply_edits(draft, [Edit(*edit) for edit in problem.fix])
            _tree, after = parse_text(fixed, "fixed.pol")
            assert len(after) < len(problems), (problem, after)


def test_an_error_after_a_recovery_is_described_from_the_right_state():
    """After skipping a broken line, a later error is classified without replaying the skipped line."""
    body = ("\n条款 第一条\n  原文 \"…\"\n  当 投资额 超过 ）\n  给予 10万元\n  期限 3年\n")
    _tree, problems = parse_text(HEADER + body)
    assert [p.span.line for p in problems] == [8, 10]
    assert problems[1].suggestion.zh == "加上「最多」：期限 最多 3年"
