"""The constructs of issue 13 that the frontend carries alone: document numbers and numbering as
written, rate ranges, 一事一议 with a ceiling, and no silent overwrite (E019).

tests/language/<construct>/ holds, per construct, a small policy written the way such texts
are, with examples at its boundaries; here `polc check` and `polc test` run on each (so CI
runs them), and the forms are checked to survive printing, formatting and evaluation.
"""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import ast, driver, fmt, interpreter, printer
from compiler.checks import check_policy
from compiler.lower import lower
from compiler.parser import parse
from compiler.source import SourceFile

from conftest import ROOT, run_polc

LANGUAGE = ROOT / "tests" / "language"
CONSTRUCTS = sorted(p for p in LANGUAGE.iterdir() if p.is_dir())
LANGUAGE_FILES = sorted(LANGUAGE.glob("*/*.pol"))


def _parse(text: str) -> ast.Policy:
    policy, problems = parse(SourceFile("draft.pol", text))
    assert problems == [], [p.message.zh for p in problems]
    return policy


def _codes(text: str) -> list[str]:
    policy, problems = parse(SourceFile("draft.pol", text))
    return [d.code for d in problems] if policy is None else [d.code for d in check_policy(policy)]


HEAD = "政策 测试〔2021〕1号\n  施行日期 2021年1月1日\n\n事实 投资额: 金额\n\n"


def _clause(header: str = "条款 第一条", award: str = "给予 10万元", extra: str = "") -> str:
    return (f"{HEAD}{header}\n  原文 \"对投资额超过100万元的项目，给予10万元。\"\n  当 投资额 超过 100万元\n"
            f"  {award}\n{extra}  案例 已知 投资额 = 200万元 评估日 2022-06-30 预期 10万元\n")


# ---------------------------------------------------------------- every construct, end to end
@pytest.mark.parametrize("folder", CONSTRUCTS, ids=[p.name for p in CONSTRUCTS])
def test_each_construct_checks_clean_and_its_examples_pass(folder):
    checked = run_polc("check", str(folder.relative_to(ROOT)))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = run_polc("test", str(folder.relative_to(ROOT)))
    assert tested.returncode == 0, tested.stdout
    passed, failed = map(int, re.search(r"(\d+) passed, (\d+) failed", tested.stdout).groups())
    assert passed >= 2 and failed == 0  # examples at the boundaries, all of them run


@pytest.mark.parametrize("path", LANGUAGE_FILES, ids=[p.stem for p in LANGUAGE_FILES])
def test_language_files_round_trip_through_printer_and_fmt(path):
    source = SourceFile.read(str(path))
    policy = _parse(source.text)
    assert _parse(printer.policy(policy)) == policy
    formatted = fmt.format_text(source.text).text  # raises FormatBug if the meaning changed
    assert _parse(formatted) == policy
    assert fmt.format_text(formatted).text == formatted


# ---------------------------------------------------------------- document numbers
@pytest.mark.parametrize("docno", ["嘉政发〔2020〕6号", "浙经信[2021]12号", "浙经信［2021］12号", "秀政办（2019）3号",
                                   "秀政办(2019)3号"])
def test_a_document_number_is_kept_as_written(docno):
    policy = _parse(f"政策 {docno}\n  标题 \"t\"\n")
    assert policy.docno == docno and policy.numbered
    assert policy.key == ast.document_key("嘉政发〔2020〕6号".replace("嘉政发", docno[:3]).replace("2020", docno[4:8])
                                          .replace("6号", docno[9:]))
    assert printer.policy(policy).startswith(f"政策 {docno}\n")


def test_brackets_written_differently_are_one_document(tmp_path):
    body = "  施行日期 2021年1月1日\n"
    (tmp_path / "a.pol").write_text(f"政策 浙经信[2021]12号\n{body}", encoding="utf-8")
    (tmp_path / "b.pol").write_text(f"政策 浙经信〔2021〕12号\n{body}", encoding="utf-8")
    result = run_polc("check", str(tmp_path))
    assert result.returncode == 1
    assert "E052" in result.stdout and "写作「浙经信[2021]12号」" in result.stdout


def test_mismatched_or_black_brackets_are_still_a_syntax_error_with_a_fix():
    policy, problems = parse(SourceFile("draft.pol", "政策 浙经信【2021】12号\n"))
    assert policy is None and problems[0].code == "E001"
    assert "浙经信〔2021〕12号" in problems[0].suggestion.zh
    _, problems = parse(SourceFile("draft.pol", "政策 秀政办（2019）第3号\n"))
    assert "秀政办(2019)3号" in problems[0].suggestion.zh  # the drafter's own brackets kept (half-width)


def test_a_policy_without_a_number_is_named_by_its_short_name_everywhere(tmp_path):
    path = LANGUAGE / "document-numbers" / "no-number.pol"
    policy = _parse(path.read_text(encoding="utf-8"))
    assert not policy.numbered and policy.docno == "秀洲区技改补助办法"
    assert printer.policy(policy).startswith("政策 无文号 「秀洲区技改补助办法」\n")
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"设备投资额": "500万元"}), encoding="utf-8")
    result = run_polc("eval", str(path.relative_to(ROOT)), "--facts", str(facts), "--on", "2023-06-30",
                      "--format", "json")
    assert json.loads(result.stdout)["clauses"][0]["policy"] == "秀洲区技改补助办法"
    summary = run_polc("build", "--emit", "md", str(path.relative_to(ROOT))).stdout
    assert "- **文号**：无（结果中以简称「秀洲区技改补助办法」标识）" in summary
    assert "E201" in _codes("政策 无文号 「简称」\n  施行日期 2021年1月1日\n")


def test_references_to_other_documents_keep_their_form():
    policy = _parse("政策 浙经信[2021]12号\n  废止 浙经信〔2018〕3号、「旧办法」\n"
                    "  过渡 \"旧项目\" 当 考核年度 早于 2021年 依照 浙经信（2018）3号\n")
    assert policy.repeals == ("浙经信〔2018〕3号", "旧办法")
    assert policy.transitional[0].governed_by == "浙经信（2018）3号"
    assert _parse(printer.policy(policy)) == policy


# ---------------------------------------------------------------- numbering as written
def test_numbering_is_the_label_in_results_summaries_and_diagnostics(tmp_path):
    path = LANGUAGE / "numbering" / "three-levels.pol"
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"设备投资额": "600万元", "获评智能工厂": True, "获评数字化车间": False}), encoding="utf-8")
    result = run_polc("eval", str(path.relative_to(ROOT)), "--facts", str(facts), "--on", "2023-06-30",
                      "--format", "json")
    rows = {row["article"]: row for row in json.loads(result.stdout)["clauses"]}
    assert list(rows) == ["二、（一）1.", "二、（一）2.（1）", "二、（二）"]
    assert all(row["item"] is None for row in rows.values())
    # 分担 … 除外 "二、（二）": the exception names that level; the others are shared
    assert rows["二、（一）1."]["funding"] == {"县级财政": {"min": "360000.00", "max": "360000.00"},
                                            "乡镇财政": {"min": "240000.00", "max": "240000.00"}}
    assert "funding" not in rows["二、（二）"]
    summary = run_polc("build", "--emit", "md", str(path.relative_to(ROOT))).stdout
    assert "| 二、（一）2.（1） 数字化车间 |" in summary
    warned = _codes(_clause('条款 "二、（一）1.（1）"').replace("  案例 已知 投资额 = 200万元 评估日 2022-06-30 预期 10万元\n", ""))
    assert warned == ["W061"]


def test_a_numbering_written_twice_in_either_width_is_one_clause():
    text = _clause('条款 "二、(一)"') + "\n" + _clause('条款 "二、（一）"')[len(HEAD):]
    assert "E043" in _codes(text)


@pytest.mark.parametrize("reference, numbering, covered", [
    ("二、", "二、（一）1.（1）", True), ("二、(一)", "二、（一）1.", True), ("二、（一）1.", "二、（一）1.", True),
    ("二、1", "二、12.", False), ("二、1", "二、1.(1)", True), ("一、", "十一、", False), ("二、（二）", "二、（一）", False),
])
def test_an_exception_names_its_level_and_those_below(reference, numbering, covered):
    clause = ast.Clause(article=numbering, article_number=0, item=None, title=None, numbered_as_written=True)
    assert clause.under(reference) is covered


@pytest.mark.parametrize("text, is_numbering", [
    ("二、（一）1.（1）", True), ("第三章第十二条", True), ("（三）", True), ("①", True), ("3.2.1", True),
    ("支持技术改造", False), ("二", False), ("", False), ("二、 （一）", True), ("第七条「标题」", False),
    ("3.2.1.", True), ("二、1", True), ("1." * 20, True), ("1." * 21, False),  # at most 40 characters
])
def test_what_counts_as_a_numbering(text, is_numbering):
    assert ast.is_numbering(text) is is_numbering


def test_a_numbering_that_fails_to_match_fails_in_linear_time():
    """A nested 1.2.3 quantifier once backtracked exponentially (22 levels: 2 s, each one more doubling)."""
    import time
    started = time.perf_counter()
    for hostile in ("1." * 5000 + "x", "(1)" * 5000 + "x", "二、" * 5000 + "x", "1" * 5000 + ".x"):
        assert ast.NUMBERING.fullmatch(hostile) is None
    assert time.perf_counter() - started < 1.0


# hypothesis: any numbering built from the levels, any bracket style, any rate: printed and parsed back
_cn = st.sampled_from(["一", "二", "三", "十", "十二"])
_level = st.one_of(_cn.map(lambda n: f"{n}、"), _cn.map(lambda n: f"（{n}）"), _cn.map(lambda n: f"({n})"),
                   st.integers(1, 30).map(lambda n: f"{n}."), st.integers(1, 30).map(lambda n: f"（{n}）"),
                   _cn.map(lambda n: f"第{n}条"))
_numbering = st.lists(_level, min_size=1, max_size=4).map("".join)
_docno = st.builds(lambda pair, year, n: f"县经信{pair[0]}{year}{pair[1]}{n}号",
                   st.sampled_from(["〔〕", "[]", "［］", "()", "（）"]), st.integers(1990, 2030), st.integers(1, 300))
_rate = st.decimals(0, 100, places=1).map(lambda d: f"{d.normalize():f}%")


@settings(max_examples=60, deadline=None)
@given(_docno, _numbering, _rate, _rate, st.sampled_from(["-", "～", "~", "—"]))
def test_written_forms_survive_print_and_fmt(docno, numbering, low, high, dash):
    text = (f"政策 {docno}\n  施行日期 2021年1月1日\n  分担 甲方 50%、乙方 50% 除外 \"{numbering}\"\n\n"
            f"事实 投资额: 金额\n\n条款 \"{numbering}\" 「标题」\n  当 投资额 超过 1万元\n"
            f"  给予 投资额 × {low}{dash}{high} 最高 1万元\n\n条款 第二条\n  给予 一事一议 最高 投资额 × {low}\n")
    policy = _parse(text)
    assert policy.docno == docno and policy.clauses[0].label == numbering
    assert policy.clauses[0].under(numbering)
    assert policy.clauses[0].award.form.rate == f"{low}{dash.replace('～', '~')}{high}"
    assert _parse(printer.policy(policy)) == policy
    formatted = fmt.format_text(text).text
    assert _parse(formatted) == policy and fmt.format_text(formatted).text == formatted


# ---------------------------------------------------------------- rate ranges
def test_a_rate_range_is_a_range_of_the_base():
    form = _parse(_clause(award="给予 投资额 × 5%-20% 最高 100万元")).clauses[0].award.form
    assert isinstance(form, ast.Range) and form.rate == "5%-20%"
    assert printer.expr(form.low) == "投资额 × 5%" and printer.expr(form.high) == "投资额 × 20%"
    assert _codes(_clause(award="给予 投资额 × 20%-5% 最高 100万元")).count("E032") == 1


def test_a_subtraction_of_percentages_with_spaces_stays_one():
    policy = _parse(HEAD.replace("投资额: 金额", "增长率: 百分比") + "条款 第一条\n  当 增长率 超过 10% - 2%\n  给予 1万元\n")
    condition = policy.clauses[0].conditions[0]
    assert isinstance(condition.right, ast.Binary) and condition.right.op == "-"


def test_a_rate_range_where_the_text_does_not_allow_one_is_a_syntax_error():
    policy, problems = parse(SourceFile("draft.pol", HEAD.replace("投资额: 金额", "增长率: 百分比")
                                        + "条款 第一条\n  当 增长率 超过 5%-20%\n  给予 1万元\n"))
    assert policy is None and problems[0].code == "E001"


def test_rate_range_evaluates_as_the_range_in_interpreter_and_generated_code():
    path = LANGUAGE / "rate-range" / "rate-range.pol"
    policy = driver.load([str(path.relative_to(ROOT))]).policies[0]
    module = driver.load_module(policy)
    import datetime
    for amount, expected in [("2000万元", ("1000000.00", "4000000.00")), ("1亿元", ("5000000.00", "5000000.00"))]:
        facts = {"项目投资额": amount}
        reference = interpreter.evaluate([lower(policy)], facts, datetime.date(2022, 6, 30)).to_json()
        assert module.evaluate(facts, on=datetime.date(2022, 6, 30)).to_json() == reference
        award = reference["clauses"][0]["award"]
        assert (award["kind"], award["min"], award["max"]) == ("range", *expected)


# ---------------------------------------------------------------- 一事一议 with a ceiling
def test_case_by_case_with_a_ceiling_is_up_to_that_ceiling():
    form = _parse(_clause(award="给予 一事一议 最高 投资额 × 20%", extra="  不设上限\n")).clauses[0].award
    assert isinstance(form.form, ast.UpTo) and form.form.case_by_case and form.cap is None
    twice = _parse(_clause(award="给予 一事一议 最高 投资额 × 2% 最高 3000万元")).clauses[0].award
    assert twice.form.case_by_case and twice.cap.text == "3000万元"
    plain = _parse(_clause(award="给予 一事一议")).clauses[0].award
    assert isinstance(plain.form, ast.CaseByCase)
    assert "E046" not in _codes(_clause(award="给予 一事一议 最高 100万元"))
    assert "E046" in _codes(_clause(award="给予 金额未定 最高 100万元"))
    assert "E022" in _codes(_clause(award="给予 一事一议 最高 20%"))  # a rate needs its base


# ---------------------------------------------------------------- no silent overwrite (E019)
@pytest.mark.parametrize("lines, word", [
    ("  给予 10万元\n  给予 20万元\n", "给予"),
    ("  事项 甲\n  事项 乙\n", "事项"),
    ("  事项 甲\n  事项 按 类\n", "事项"),  # before: both kept, neither reported
    ("  期限 最多 3年 自 年度 当年起\n  期限 最多 2年 自 年度 当年起\n", "期限"),
    ("  名额 每年 10 家\n  名额 每年 5 家\n", "名额"),
    ("  名额 每年 10 家\n  名额 比例 15% 基数 人数\n", "名额"),
    ("  案例 已知 投资额 = 1万元 预期 10万元 预期 20万元\n", "预期"),  # before: the last one silently
    ("  案例 已知 投资额 = 1万元 评估日 2022-01-01 评估日 2022-06-30 预期 10万元\n", "评估日"),
])
def test_a_single_field_written_twice_is_an_error(lines, word):
    text = ("政策 测试〔2021〕1号\n  施行日期 2021年1月1日\n  冲突原则 就高不重复\n\n枚举 类: 甲、乙\n定义事项 甲\n定义事项 乙\n"
            "事实 投资额: 金额\n事实 年度: 年份\n事实 人数: 数值\n\n条款 第一条\n  原文 \"对投资额超过1万元的，给予10万元。\"\n"
            "  当 投资额 超过 1万元\n" + ("" if "给予" in lines else "  给予 10万元\n") + lines)
    policy, problems = parse(SourceFile("draft.pol", text))
    assert problems == []
    repeated = [d for d in check_policy(policy) if d.code == "E019"]
    assert len(repeated) == 1 and f"「{word}」写了两次" in repeated[0].message.zh


# ---------------------------------------------------------------- payers by item
def test_an_item_can_be_excepted_from_a_split_without_its_article(tmp_path):
    path = LANGUAGE / "payer-by-item" / "payer-by-item.pol"
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"获评高新技术企业": True, "获评科技小巨人": True}), encoding="utf-8")
    result = run_polc("eval", str(path.relative_to(ROOT)), "--facts", str(facts), "--on", "2023-06-30",
                      "--format", "json")
    funding = {row["item"]: row["funding"] for row in json.loads(result.stdout)["clauses"]}
    assert funding[1] == {"市级财政": {"min": "100000.00", "max": "100000.00"},
                          "县级财政": {"min": "100000.00", "max": "100000.00"}}
    assert funding[2] == {"市级财政": {"min": "500000.00", "max": "500000.00"}}
    policy = _parse(path.read_text(encoding="utf-8"))
    assert [a.text for a in policy.splits[0].except_articles] == ["第十二条第2项"]
    assert "除外 第十二条 第2项" in printer.policy(policy)


def test_an_excepted_item_that_does_not_exist_is_reported():
    text = _clause().replace("  施行日期 2021年1月1日\n", "  施行日期 2021年1月1日\n  分担 甲方 50%、乙方 50% 除外 第一条 第二项\n")
    assert _codes(text).count("E054") == 1
    assert "E054" not in _codes(text.replace("除外 第一条 第二项", "除外 第一条"))


def test_a_numbering_without_quotes_gets_a_fix_that_keeps_it_as_written():
    text = _clause(header="条款 二、（一）1. 「技改」")
    policy, problems = parse(SourceFile("draft.pol", text))
    assert policy is None and [p.code for p in problems] == ["E001"]  # one problem, not a second for the 「.」
    fixed = text
    for start, end, insert in sorted(problems[0].fix, reverse=True):
        fixed = fixed[:start] + insert + fixed[end:]
    assert _parse(fixed).clauses[0].label == "二、（一）1."
