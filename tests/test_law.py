"""The law beside the code: source texts, verbatim quotes, unquoted paying sentences, numbers."""

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from compiler import law, printer
from compiler.parser import parse
from compiler.source import SourceFile

from conftest import ROOT, run_polc

SOURCE = """# 测试市人民政府关于支持企业发展的若干意见

文号：测试〔2020〕9号；发文机关：测试市人民政府；日期：2020年3月9日

## 一、支持企业做大做强

（一）对年营业收入首次超过10亿元的企业，
给予10万元的奖励。<!-- note: layout: a line break from the PDF -->

（二）对新认定的省级研发中心，给予最高50万元的补助，每年补助的企业不超过5家。
"""

HEAD = """政策 测试〔2020〕9号
  施行日期 2020年1月1日
  来源 "law.md"
{extra}
事实 营业收入: 逐年 金额
事实 省级研发中心: 是否

条款 第一条
  原文 "{quote}"
  当 营业收入 首次超过 10亿元
  给予 {amount}
{notes}
"""


def write_project(tmp_path: Path, quote="对年营业收入首次超过10亿元的企业，给予10万元的奖励。", amount="10万元",
                  notes="", extra="", source=SOURCE) -> Path:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "law.md").write_text(source, encoding="utf-8")
    policy = tmp_path / "p.pol"
    policy.write_text(HEAD.format(quote=quote, amount=amount, notes=notes, extra=extra), encoding="utf-8")
    return policy


def check(policy: Path, *extra):
    result = run_polc("check", "--format", "json", *extra, policy.name, cwd=policy.parent)
    return result, json.loads(result.stdout)


LAW_CODES = {"E110", "E111", "W112", "W113", "W114", "W115"}


def codes(rows):
    return sorted(row["code"] for row in rows if row["code"] in LAW_CODES)


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize("text, expected", [
    ("30亿元", ("money", Decimal("3000000000"))),
    ("1.6万亿元", ("money", Decimal("1600000000000"))),
    ("5000万元", ("money", Decimal("50000000"))),
    ("200万元", ("money", Decimal("2000000"))),
    ("150元/平方米", ("money", Decimal("150"))),
    ("5%", ("percent", Decimal("5"))),
    ("三年", ("years", Decimal("3"))),
    ("连续3年", ("years", Decimal("3"))),
    ("近两年", ("years", Decimal("2"))),
    ("10家", ("count", Decimal("10"))),
    ("2020年", ("year", Decimal("2020"))),
    ("一次性", ("once", Decimal("1"))),
    ("1个月", ("months", Decimal("1"))),
    ("１０亿元", ("money", Decimal("1000000000"))),  # full-width digits
    ("1亿美元", ("usd", Decimal("100000000"))),
])
def test_chinese_amounts_are_read_as_exact_values(text, expected):
    assert [q.key for q in law.numbers_in_text(text)] == [(expected[0], expected[1].normalize())]


def test_a_range_shares_its_unit_and_names_are_not_numbers():
    keys = [q.key for q in law.numbers_in_text("给予1-5万元的奖励，2020-2022年，嘉政发〔2020〕6号第2项，世界500强，5A级，“555”，附件4，3月10日")]
    assert keys == [("money", Decimal("1E+4")), ("money", Decimal("5E+4")), ("year", Decimal("2020")), ("year", Decimal("2022"))]


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=1, max_value=99999, places=2), st.sampled_from(["", "万", "亿", "万亿"]))
def test_every_written_amount_reads_back_to_its_value(number, unit):
    text = f"{number}{unit}元"
    factor = {"": 1, "万": 10**4, "亿": 10**8, "万亿": 10**12}[unit]
    [quantity] = law.numbers_in_text(text)
    assert quantity.key == ("money", (number * factor).normalize())


# ---------------------------------------------------------------- quotes
def test_quotes_are_compared_verbatim_but_not_by_spaces_line_breaks_or_width(tmp_path):
    policy = write_project(tmp_path, quote="对年营业收入首次超过１０亿元的企业，  给予10万元的奖励。")
    result, rows = check(policy)
    assert codes(rows) == ["W114"], rows  # the second sentence is not quoted; the first matches
    assert result.returncode == 0


def test_an_ellipsis_stands_for_omitted_text_in_order(tmp_path):
    policy = write_project(tmp_path, quote="对年营业收入首次超过10亿元的企业，……奖励。")
    assert "E111" not in codes(check(policy)[1])
    policy = write_project(tmp_path, quote="奖励。……对年营业收入首次超过10亿元的企业，")
    assert "E111" in codes(check(policy)[1])


def test_a_quote_not_in_the_source_is_an_error_with_the_closest_sentence(tmp_path):
    policy = write_project(tmp_path, quote="对年营业收入首次超过20亿元的企业，给予10万元的奖励。")
    result, rows = check(policy)
    assert result.returncode == 1
    [row] = [r for r in rows if r["code"] == "E111"]
    assert row["line"] == 9 and row["column"] == 6  # the 原文 string
    assert "对年营业收入首次超过10亿元的企业" in row["suggestion"] and "第7行" in row["suggestion"]
    assert "20亿元" in row["notes"][0]


# ---------------------------------------------------------------- unquoted sentences
def test_an_unquoted_paying_sentence_is_listed_once_and_can_be_acknowledged(tmp_path):
    policy = write_project(tmp_path)
    rows = [r for r in check(policy)[1] if r["code"] == "W114"]
    assert len(rows) == 1 and "50万元" in rows[0]["message"] and "不超过5家" in rows[0]["message"]
    policy = write_project(tmp_path, extra='  不编码 "给予最高50万元的补助，每年补助的企业不超过5家" 说明 "由另一文件编码"')
    assert codes(check(policy)[1]) == []


def test_a_not_encoded_sentence_must_itself_be_in_the_source(tmp_path):
    policy = write_project(tmp_path, extra='  不编码 "给予最高60万元的补助" 说明 "由另一文件编码"')
    assert codes(check(policy)[1]) == ["E111", "W114"]


# ---------------------------------------------------------------- numbers agree
def test_numbers_must_agree_both_ways_unless_a_note_names_them(tmp_path):
    policy = write_project(tmp_path, amount="20万元", extra='  不编码 "（二）对新认定的省级研发中心，给予最高50万元的补助，每年补助的企业不超过5家。" 说明 "另行编码"')
    rows = check(policy)[1]
    assert codes(rows) == ["W112", "W113"]
    text, encoding = sorted((r for r in rows if r["code"] in LAW_CODES), key=lambda r: r["code"])
    assert "10万元" in text["message"] and text["line"] == 9  # at the 原文
    assert "20万元" in encoding["message"] and encoding["line"] == 11  # at the amount written
    policy = write_project(tmp_path, amount="20万元", notes='  说明 "原文10万元；按另一文件调为20万元"',
                           extra='  不编码 "（二）对新认定的省级研发中心，给予最高50万元的补助，每年补助的企业不超过5家。" 说明 "另行编码"')
    assert codes(check(policy)[1]) == []


def test_the_same_money_in_another_unit_agrees(tmp_path):
    policy = write_project(tmp_path, amount="100000元", extra='  不编码 "给予最高50万元的补助，每年补助的企业不超过5家" 说明 "另行编码"')
    assert codes(check(policy)[1]) == []


# ---------------------------------------------------------------- where the source may be
@pytest.mark.parametrize("where", ["../outside.md", "/etc/hostname"])
def test_a_source_outside_the_project_is_refused_and_never_shown(tmp_path, where):
    project = tmp_path / "project"
    project.mkdir()
    secret = tmp_path / "outside.md"
    secret.write_text("SECRET-CONTENT 给予10万元", encoding="utf-8")
    policy = write_project(project)
    policy.write_text(policy.read_text(encoding="utf-8").replace('来源 "law.md"', f'来源 "{where}"'), encoding="utf-8")
    result, rows = check(policy)
    assert result.returncode == 1 and codes(rows) == ["E110"]
    assert "SECRET" not in result.stdout + result.stderr and "hostname" not in rows[0]["message"].replace(where, "")


def test_a_symbolic_link_out_of_the_project_is_refused(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.md").write_text(SOURCE, encoding="utf-8")
    policy = write_project(project)
    (project / "law.md").unlink()
    try:
        os.symlink(tmp_path / "outside.md", project / "law.md")
    except OSError:
        pytest.skip("no symbolic links here")
    assert codes(check(policy)[1]) == ["E110"]


def test_a_missing_or_binary_source_is_an_error_without_content(tmp_path):
    policy = write_project(tmp_path)
    (tmp_path / "law.md").write_bytes(b"\xff\xfe\x00BINARY")
    result, rows = check(policy)
    assert codes(rows) == ["E110"] and "BINARY" not in result.stdout
    (tmp_path / "law.md").unlink()
    assert codes(check(policy)[1]) == ["E110"]
    (tmp_path / "law.md").write_text("给予10万元。" * (law.MAX_SOURCE_BYTES // 10), encoding="utf-8")
    result, rows = check(policy)
    assert codes(rows) == ["E110"] and "MB" in rows[0]["message"]


# ---------------------------------------------------------------- the language and the shipped policies
def test_source_and_not_encoded_print_and_parse_back(tmp_path):
    policy = write_project(tmp_path, extra='  不编码 "给予最高50万元的补助" 说明 "另行编码"')
    tree, problems = parse(SourceFile.read(str(policy)))
    assert not problems
    again, problems = parse(SourceFile(str(policy), printer.policy(tree)))
    assert not problems and again == tree
    assert tree.source_document.path == "law.md" and tree.not_encoded[0].reason == "另行编码"


def test_a_text_only_clause_without_a_reason_is_a_warning(tmp_path):
    policy = write_project(tmp_path, notes="", extra='  不编码 "给予最高50万元的补助，每年补助的企业不超过5家" 说明 "另行编码"')
    policy.write_text(policy.read_text(encoding="utf-8") + '\n条款 第三条\n  原文 "对年营业收入首次超过10亿元的企业，"\n  仅文本\n',
                      encoding="utf-8")
    assert codes(check(policy)[1]) == ["W115"]


def test_shipped_policies_name_their_sources_and_pass_every_source_check():
    result = run_polc("check", "--format", "json", "policies/")
    rows = json.loads(result.stdout)
    assert [r for r in rows if r["code"] in ("E110", "E111", "W112", "W113", "W114", "W115")] == []
    for path in (ROOT / "policies").glob("*.pol"):
        text = path.read_text(encoding="utf-8")
        if text.startswith("词汇") or "\n词汇 " in text:
            continue
        assert '来源 "sources/' in text, path
        assert "/work" not in text and "嘉兴政报2020年第4期" in text.split("\n")[1], path


def test_removing_a_note_brings_its_warning_back(tmp_path):
    """The acknowledgements in the shipped policies are load-bearing: drop one 说明 and the
    number it names is reported again."""
    policy_dir = tmp_path / "policies"
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    import shutil
    shutil.copytree(ROOT / "policies", policy_dir)
    target = policy_dir / "jzf-2020-08.pol"
    text = target.read_text(encoding="utf-8")
    note = '  说明 "外资门槛写作「年到账外资 超过 1」，单位为亿美元。"\n'
    assert note in text
    target.write_text(text.replace(note, ""), encoding="utf-8")
    rows = json.loads(run_polc("check", "--format", "json", "policies/jzf-2020-08.pol", cwd=tmp_path).stdout)
    assert [r["code"] for r in rows if r["code"].startswith("W11")] == ["W113"]


_SHIPPED = law.LawText.from_text("jzf-2020-06.md", (ROOT / "policies" / "sources" / "jzf-2020-06.md").read_text(encoding="utf-8"))
_FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_passage_of_a_source_is_found_however_it_is_wrapped_or_typed(data):
    """A drafter may re-wrap a quote and type its digits and punctuation full-width or
    half-width: it is still the same sentence."""
    start = data.draw(st.integers(0, len(_SHIPPED.shown) - 10))
    passage = _SHIPPED.shown[start:start + data.draw(st.integers(4, 80))]
    typed = []
    for ch in passage:
        if ch in _FULL_WIDTH and data.draw(st.booleans()):
            ch = _FULL_WIDTH[ch]
        typed.append(ch + data.draw(st.sampled_from(["", "", "", " ", "\n", "\u3000"])))
    assert law._find(law.flatten("".join(typed)), _SHIPPED) is not None
