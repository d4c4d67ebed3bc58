"""Hostile data: what facts files, registers, encodings, the command line's I/O and callers of
the generated modules can do. For every input: no traceback, the documented exit code (0
clean, 1 bad data, 2 usage), inputs untouched, and outputs whole or absent."""

import csv
import dataclasses
import datetime
import importlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import batch, runtime, source

from conftest import ROOT, run_polc

SERVICES = "policies/jzf-2020-06.pol"  # 第七条: 年营业收入 first over 10亿元 pays 10万元
GOOD = {"实现税收": True, "企业服务业类别": "生产性服务业", "年营业收入": {"2019": "9亿元", "2020": "10.5亿元"}}


def _no_traceback(result):
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr


def _facts(tmp_path, content: bytes | str, name="facts.json", *extra):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    result = run_polc("eval", SERVICES, "--facts", path, "--on", "2021-06-30", "--format", "json", *extra)
    _no_traceback(result)
    return result


def _seventh(report):
    return next(c for c in report["clauses"] if c["article"] == "第七条")


def _csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")  # as Excel writes
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _service_row(applicant, turnover="10.5亿元"):
    return {"申请人": applicant, "实现税收": "true", "企业服务业类别": "生产性服务业",
            "年营业收入.2019": "9亿元", "年营业收入.2020": turnover}


def _run_batch(tmp_path, register_name, content: bytes, *policies, on="2021-06-30", extra=()):
    register = tmp_path / register_name
    register.write_bytes(content)
    out = tmp_path / "results.jsonl"
    result = run_polc("eval", *(policies or (SERVICES,)), "--batch", register, "--on", on, "--out", out, "--trace",
                      *extra)
    _no_traceback(result)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return result, lines[:-1], (lines[-1]["summary"] if lines else None)


# ---------------------------------------------------------------- encodings
@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16", "utf-8-sig", "utf-32"])
def test_pol_files_in_the_encodings_of_chinese_offices_check_and_test(tmp_path, encoding):
    policy = (ROOT / SERVICES).read_text(encoding="utf-8")
    vocabulary = (ROOT / "policies/vocabulary.pol").read_text(encoding="utf-8")
    if encoding == "gbk":  # GBK lacks a few symbols GB18030 has; keep what it can say
        policy = policy.encode("gbk", "replace").decode("gbk")
        vocabulary = vocabulary.encode("gbk", "replace").decode("gbk")
    (tmp_path / "p.pol").write_bytes(policy.encode(encoding))
    (tmp_path / "vocabulary.pol").write_bytes(vocabulary.encode(encoding))
    (tmp_path / "sources").mkdir()  # the gazette text the policy names in 来源, in the same encoding
    for text in (ROOT / "policies/sources").glob("*.md"):
        (tmp_path / "sources" / text.name).write_bytes(
            text.read_text(encoding="utf-8").encode(encoding, "replace" if encoding == "gbk" else "strict"))
    result = run_polc("test", tmp_path)
    _no_traceback(result)
    assert result.returncode == 0 and " 0 failed" in result.stdout, result.stdout + result.stderr


def test_an_undecodable_pol_file_is_e000_naming_the_file_the_encodings_and_the_place(tmp_path):
    (tmp_path / "p.pol").write_bytes("政策 「甲」\n文号 ".encode("utf-8") + b"\x81\xff\xfe\x80\n")
    result = run_polc("check", tmp_path / "p.pol")
    _no_traceback(result)
    assert result.returncode == 1
    assert "E000" in result.stdout and "p.pol:2:4" in result.stdout and "utf-8、gb18030" in result.stdout


def test_encoding_option_reads_pol_files_and_an_unknown_one_is_a_usage_error(tmp_path):
    for name, target in (("jzbf-2020-10.pol", "p.pol"), ("vocabulary.pol", "vocabulary.pol")):
        text = (ROOT / "policies" / name).read_text(encoding="utf-8")
        (tmp_path / target).write_bytes(text.encode("utf-16-le"))  # no BOM: only --encoding can tell
    shutil.copytree(ROOT / "policies/sources", tmp_path / "sources")  # its 来源 (UTF-8, detected as such)
    assert run_polc("check", tmp_path, "--encoding", "utf-16-le").returncode == 0
    result = run_polc("check", tmp_path, "--encoding", "klingon")
    assert result.returncode == 2 and "klingon" in result.stderr
    _no_traceback(result)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16", "utf-8-sig", "utf-32"])
def test_facts_files_in_each_encoding_give_the_same_result(tmp_path, encoding):
    text = json.dumps(GOOD, ensure_ascii=False)
    expected = _facts(tmp_path, text, "utf8.json")
    assert expected.returncode == 0
    result = _facts(tmp_path, text.encode(encoding))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(expected.stdout)


def test_an_undecodable_facts_file_names_the_file_and_encodings(tmp_path):
    result = _facts(tmp_path, b'{"\xe4\xbc\x81\xff": 1}')
    assert result.returncode == 1
    assert "facts.json:1:" in result.stderr and "utf-8" in result.stderr and "gb18030" in result.stderr


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "utf-8-sig"])
def test_a_register_written_by_excel_in_each_encoding_reads_like_utf8(tmp_path, encoding):
    text = _csv_text([_service_row("甲公司"), _service_row("乙公司", "8亿元")])
    _, expected, _ = _run_batch(tmp_path, "utf8.csv", text.encode("utf-8"))
    result, records, summary = _run_batch(tmp_path, "register.csv", text.encode(encoding))
    assert result.returncode == 0 and summary["evaluated"] == 2, result.stderr
    assert records == expected


def test_gbk_after_a_long_ascii_start_is_still_read_as_gbk():
    # The first 64 KB are ASCII (valid UTF-8 too): judging a file by a prefix would choose UTF-8.
    data = b"x,y\n" + b"1,2\n" * 40_000 + "嘉兴某某服务有限公司,3\n".encode("gbk")
    stream, encoding = source.open_text("register.csv", binary=io.BufferedReader(io.BytesIO(data)))
    assert encoding == "gb18030" and stream.read().endswith("嘉兴某某服务有限公司,3\n")
    # A stream that cannot be re-read (stdin) is judged on its first 64 KB.
    unseekable = io.BufferedReader(io.BytesIO("名称\n".encode("gbk") + data))
    unseekable.seekable = lambda: False
    assert source.open_text("-", binary=unseekable)[1] == "gb18030"


def test_a_row_that_does_not_decode_is_a_bad_row_with_its_line_and_the_rest_is_read(tmp_path):
    good = _csv_text([_service_row("甲公司"), _service_row("乙公司")]).encode("utf-8")
    lines = good.split(b"\r\n")
    damaged = b"\r\n".join([lines[0], lines[1], b"\xff\xfe\xfa,true,,,", lines[2], b""])
    result, records, summary = _run_batch(tmp_path, "register.csv", damaged, extra=("--encoding", "utf-8"))
    assert result.returncode == 0
    assert [r["applicant"] for r in records] == ["甲公司", "乙公司"]
    assert summary["bad_rows"]["listed"][0]["line"] == 3 and "utf-8" in summary["bad_rows"]["listed"][0]["error"]
    assert "register.csv:3:" in result.stderr


# ---------------------------------------------------------------- numbers in facts
HOSTILE_VALUES = ["NaN", "-Infinity", "Infinity", "sNaN", "1e400", "1" * 2_000_000, "1.200,5元", "1,2万元"]


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda v: v[:12])
def test_non_finite_huge_or_ambiguous_money_text_is_a_fact_error(tmp_path, value):
    facts = dict(GOOD, 年营业收入={"2019": "9亿元", "2020": value})
    result = _facts(tmp_path, json.dumps(facts, ensure_ascii=False))
    assert result.returncode == 1 and "年营业收入.2020" in result.stderr, result.stderr[:300]
    assert len(result.stderr) < 2000  # a two-million-digit value is named, not printed


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "1" * 5000, "1." + "1" * 5000],
                         ids=lambda v: v[:12])
def test_json_number_literals_out_of_bounds_are_an_error_not_a_crash_or_the_cap(tmp_path, literal):
    text = json.dumps(GOOD, ensure_ascii=False).replace('"10.5亿元"', literal)
    result = _facts(tmp_path, text)
    assert result.returncode == 1, result.stdout[:500]  # Infinity used to be accepted and paid 10万元


def test_deeply_nested_json_facts_are_refused_with_the_limit(tmp_path):
    result = _facts(tmp_path, '{"年营业收入": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert result.returncode == 1 and str(source.MAX_JSON_DEPTH) in result.stderr


def test_digit_grouping_is_read_only_when_unambiguous():
    assert runtime.parse_money("1,200.5元", "m") == Decimal("1200.5")
    assert runtime.parse_money("1，200万元", "m") == Decimal("12000000")
    for text in ("1.200,5元", "1,2", "12,00.5", "1,2000"):
        with pytest.raises(runtime.FactError, match="分组"):
            runtime.parse_money(text, "m")


def test_years_are_four_digits_and_series_years_are_not_repeated():
    for value in ("20190", 10 ** 5000, Decimal("1e400"), Decimal("NaN"), float("inf"), "２０１９", True):
        with pytest.raises(runtime.FactError):
            runtime.parse_year(value, "y")
    with pytest.raises(runtime.FactError, match="重复"):
        runtime.validate_facts({"年营业收入": {"2019": 1, "2019年": 2}}, {"年营业收入": ("money", True, None, False)})


_NUMBERISH = st.one_of(
    st.text(alphabet="0123456789.,，-+eE%万亿元 NaIfinty", max_size=30), st.integers(),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(), st.lists(st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(value=_NUMBERISH, kind=st.sampled_from(["money", "percent", "number", "year", "date", "bool"]))
def test_any_value_is_either_a_finite_bounded_fact_or_a_fact_error(value, kind):
    parser = {"money": runtime.parse_money, "percent": runtime.parse_ratio, "number": runtime.parse_number,
              "year": runtime.parse_year, "date": runtime.parse_date, "bool": runtime.parse_bool}[kind]
    try:
        typed = parser(value, "f")
    except runtime.FactError:
        return
    if isinstance(typed, Decimal):
        assert typed.is_finite() and abs(typed) < runtime.MAX_MAGNITUDE[kind]
        assert (typed + 1) * typed * 100 is not None  # arithmetic on it cannot raise (no NaN, no overflow)
    if kind == "year":
        assert 1000 <= typed <= 9999


# ---------------------------------------------------------------- batch: bad rows
def test_one_non_finite_row_does_not_lose_the_good_rows(tmp_path):
    rows = [GOOD | {"申请人": "A"}, GOOD | {"申请人": "B", "年营业收入": {"2019": "9亿元", "2020": "Infinity"}},
            GOOD | {"申请人": "C"}]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    text = text.replace('"Infinity"', "NaN") + '{"申请人": "D", "年营业收入": {"2020": 1e400}}\n'
    result, records, summary = _run_batch(tmp_path, "register.jsonl", text.encode("utf-8"))
    assert result.returncode == 0
    assert [r["applicant"] for r in records] == ["A", "C"]
    assert [b["line"] for b in summary["bad_rows"]["listed"]] == [2, 4]


def test_huge_fields_and_deep_json_lines_are_bad_rows(tmp_path):
    deep = '{"申请人": "X", "年营业收入": ' + "[" * 50_000 + "]" * 50_000 + "}"
    long = json.dumps(GOOD | {"申请人": "Y", "企业服务业类别": "x" * (2 << 20)}, ensure_ascii=False)
    text = "\n".join([json.dumps(GOOD | {"申请人": "A"}, ensure_ascii=False), deep, long,
                      json.dumps(GOOD | {"申请人": "B"}, ensure_ascii=False)]) + "\n"
    result, records, summary = _run_batch(tmp_path, "register.jsonl", text.encode("utf-8"))
    assert result.returncode == 0 and [r["applicant"] for r in records] == ["A", "B"]
    assert [b["line"] for b in summary["bad_rows"]["listed"]] == [2, 3]

    big_cell = _csv_text([_service_row("甲"), _service_row("乙") | {"企业服务业类别": "y" * 200_000}, _service_row("丙")])
    result, records, summary = _run_batch(tmp_path, "register.csv", big_cell.encode("utf-8"))
    assert result.returncode == 0 and [r["applicant"] for r in records] == ["甲", "丙"]
    assert summary["bad_rows"]["count"] == 1 and summary["bad_rows"]["listed"][0]["line"] == 3


def test_bad_rows_are_reported_by_physical_line_when_fields_hold_newlines(tmp_path):
    rows = [_service_row("多行\n名称\n公司"), _service_row("乙") | {"实现税收": "perhaps"}, _service_row("丙")]
    result, records, summary = _run_batch(tmp_path, "register.csv", _csv_text(rows).encode("utf-8"))
    assert [r["line"] for r in records] == [2, 6]
    assert summary["bad_rows"]["listed"][0]["line"] == 5 and "register.csv:5:" in result.stderr


def test_ragged_rows_are_bad_rows(tmp_path):
    text = _csv_text([_service_row("甲"), _service_row("乙")]) + "丙,true,生产性服务业,9亿元,10.5亿元,extra\r\n丁,true\r\n"
    result, records, summary = _run_batch(tmp_path, "register.csv", text.encode("utf-8"))
    assert [r["applicant"] for r in records] == ["甲", "乙"]
    assert [(b["line"], "列" in b["error"]) for b in summary["bad_rows"]["listed"]] == [(4, True), (5, True)]


@pytest.mark.parametrize("header", ["申请人,实现税收,实现税收", "申请人,年营业收入,年营业收入.2020",
                                    "申请人,年营业收入.2020,年营业收入.2020"])
def test_duplicate_columns_are_refused_before_anything_is_written(tmp_path, header):
    out = tmp_path / "results.jsonl"
    out.write_text("previous results\n", encoding="utf-8")
    register = tmp_path / "register.csv"
    register.write_text(f"{header}\r\n甲,true,true\r\n", encoding="utf-8")
    result = run_polc("eval", SERVICES, "--batch", register, "--out", out)
    _no_traceback(result)
    assert result.returncode == 1 and ("重复" in result.stderr or "同时出现" in result.stderr), result.stderr
    assert out.read_text(encoding="utf-8") == "previous results\n"


def test_a_one_item_list_cell_needs_no_separator(tmp_path):
    rows = [{"申请人": "甲", "名单内企业": "是", "单套设备租赁费用": "40万元"},
            {"申请人": "乙", "名单内企业": "是", "单套设备租赁费用": "40万元; 120万元"}]
    result, records, summary = _run_batch(tmp_path, "register.csv", _csv_text(rows).encode("utf-8"),
                                          "policies/jzbf-2020-14.pol")
    assert summary["bad_rows"]["count"] == 0, result.stderr
    per_item = [r["clauses"] for r in records]
    assert "200000.00" in {c["award"]["max"] for c in records[0]["clauses"] if c["award"]}, per_item
    assert "700000.00" in {c["award"]["max"] for c in records[1]["clauses"] if c["award"]}, per_item


def test_an_applicant_named_twice_is_not_ranked_by_input_order(tmp_path):
    platform = {"互联网平台企业": True, "平台企业经认定": True, "平台类别": "其他平台"}
    rows = [platform | {"申请人": f"P{n:02d}", "平台交易额": {"2018": "3亿元", "2019": "4亿元", "2020": f"{7 + n}亿元"}}
            for n in range(10)]
    rows += [platform | {"申请人": "TWIN", "平台交易额": {"2018": "3亿元", "2019": "4亿元", "2020": "6亿元"}}] * 2
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    result, records, summary = _run_batch(tmp_path, "register.jsonl", text.encode("utf-8"))
    assert "TWIN" not in [r["applicant"] for r in records]
    assert [b["line"] for b in summary["bad_rows"]["listed"]] == [11, 12]
    assert summary["quotas"]["嘉政发〔2020〕6号 第四条"]["candidates"] == 10


def test_a_bad_ranking_value_is_a_bad_row_and_the_others_are_ranked(tmp_path):
    rows = [{"申请人": f"F{n}", "市本级创建项目": True, "补助类别": "其他美丽农场项目", "投资额": "400万元",
             "验收评分": 90 - n} for n in range(8)]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).replace('"验收评分": 87', '"验收评分": NaN')
    text = text.replace('"验收评分": 86', '"验收评分": "Infinity"')
    result, records, summary = _run_batch(tmp_path, "register.jsonl", text.encode("utf-8"), "policies/jnf-2020-16.pol")
    assert result.returncode == 0
    assert [b["line"] for b in summary["bad_rows"]["listed"]] == [4, 5]
    assert summary["budgets"]["嘉农发〔2020〕16号 市级财政"]["funded"] == 6


def test_bad_rows_listed_are_the_first_by_line_and_all_are_counted(tmp_path):
    text = "".join(f'{{"申请人": "X{n}", "实现税收": "maybe"}}\n' for n in range(batch.MAX_BAD_ROWS_LISTED + 50))
    result, records, summary = _run_batch(tmp_path, "register.jsonl", text.encode("utf-8"))
    assert summary["bad_rows"]["count"] == batch.MAX_BAD_ROWS_LISTED + 50
    assert [b["line"] for b in summary["bad_rows"]["listed"]] == list(range(1, batch.MAX_BAD_ROWS_LISTED + 1))


# ---------------------------------------------------------------- batch: nothing lost
def _register(tmp_path, rows=3):
    register = tmp_path / "register.csv"
    register.write_text(_csv_text([_service_row(f"E{n}") for n in range(rows)]), encoding="utf-8")
    return register


def test_out_equal_to_the_register_is_refused_and_the_register_kept(tmp_path):
    register = _register(tmp_path)
    before = register.read_bytes()
    (tmp_path / "link.csv").symlink_to(register)
    for out in (register, tmp_path / "link.csv", tmp_path / "." / "register.csv"):
        result = run_polc("eval", SERVICES, "--batch", register, "--out", out)
        _no_traceback(result)
        assert result.returncode == 2 and "名册" in result.stderr
        assert register.read_bytes() == before


def test_out_is_replaced_whole_with_the_mode_of_a_new_file_from_the_umask(tmp_path):
    register = _register(tmp_path)
    out = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "compiler", "eval", SERVICES, "--batch", str(register), "--on", "2021-06-30",
               "--out", str(out)]
    subprocess.run(["sh", "-c", 'umask 027 && exec "$@"', "sh", *command], cwd=ROOT, check=True,
                   env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True)
    assert (out.stat().st_mode & 0o777) == 0o640
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[-1])["summary"]["evaluated"] == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_kill_during_a_batch_leaves_the_previous_out_whole(tmp_path):
    register = tmp_path / "register.jsonl"
    register.write_text("".join(json.dumps(GOOD | {"申请人": f"E{n}"}, ensure_ascii=False) + "\n" for n in range(3000)),
                        encoding="utf-8")
    out = tmp_path / "results.jsonl"
    out.write_text("previous results\n", encoding="utf-8")
    temporary = tmp_path / "tmp"  # the work directory SIGKILL leaves stays in the test's own directory
    temporary.mkdir()
    child = subprocess.Popen([sys.executable, "-m", "compiler", "eval", SERVICES, "--batch", str(register),
                              "--on", "2021-06-30", "--out", str(out)], cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(temporary)),
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".partial") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert out.read_text(encoding="utf-8") == "previous results\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".results.jsonl.")]  # visibly partial


@pytest.mark.parametrize("where, code", [("missing/results.jsonl", 2), (".", 2), ("/dev/full", 1)])
def test_out_paths_that_cannot_be_written_are_clear_errors_leaving_nothing(tmp_path, where, code):
    register = _register(tmp_path)
    before = sorted(os.listdir(tmp_path))
    out = where if where.startswith("/") else tmp_path / where
    result = run_polc("eval", SERVICES, "--batch", register, "--on", "2021-06-30", "--out", out)
    _no_traceback(result)
    assert result.returncode == code and result.stderr.startswith("polc: "), result.stderr
    assert sorted(os.listdir(tmp_path)) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_out_in_a_read_only_directory_is_a_clear_error(tmp_path):
    register = _register(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = run_polc("eval", SERVICES, "--batch", register, "--out", locked / "r.jsonl")
    finally:
        locked.chmod(0o755)
    _no_traceback(result)
    assert result.returncode == 2 and list(locked.iterdir()) == []


@pytest.mark.parametrize("command", [["build", "--emit", "py"], ["check", "-v"],
                                     ["eval", "policies", "--batch", "BIG", "--on", "2021-06-30"]])
def test_a_reader_that_goes_away_is_not_a_traceback(tmp_path, command):
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps(GOOD | {"申请人": f"E{n}"}, ensure_ascii=False) + "\n" for n in range(300)),
                   encoding="utf-8")
    command = [str(big) if part == "BIG" else part for part in command]
    child = subprocess.Popen([sys.executable, "-m", "compiler", *command], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    child.stdout.readline()  # `| head -1`
    child.stdout.close()
    _out, errors = child.communicate(timeout=120)
    assert b"Traceback" not in errors and b"BrokenPipe" not in errors, errors.decode()[-2000:]
    assert child.returncode in (0, 1)


@pytest.mark.parametrize("kind, code", [("directory", 2), ("missing", 2), ("fifo", 2), ("large", 1)])
def test_facts_paths_that_are_not_a_readable_file_are_clear_errors(tmp_path, kind, code):
    path = tmp_path / "facts.json"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "large":
        path.write_text('{"实现税收": true, "x": "' + "x" * (5 << 20) + '"}', encoding="utf-8")
    result = run_polc("eval", SERVICES, "--facts", path)
    _no_traceback(result)
    assert result.returncode == code and result.stderr.startswith("polc: ") and "facts.json" in result.stderr


def test_a_register_that_is_a_directory_or_fifo_is_a_usage_error(tmp_path):
    os.mkfifo(tmp_path / "fifo.csv")
    for path in (tmp_path, tmp_path / "fifo.csv"):
        result = run_polc("eval", SERVICES, "--batch", path)
        _no_traceback(result)
        assert result.returncode == 2


# ---------------------------------------------------------------- the generated modules' API
def _generated(name="jzf_2020_06"):
    return importlib.import_module(f"generated.{name}")  # generated/ is a package sharing runtime.py


@pytest.mark.parametrize("facts", [None, "x", 5, ["实现税收"], {"实现税收": float("nan")},
                                   {"年营业收入": {"2020": float("inf")}}, {"年营业收入": {"2020": Decimal("sNaN")}},
                                   {"年营业收入": {10 ** 5000: 1}}, {"x" * 200_000: 1}])
def test_bad_facts_raise_the_documented_fact_error(facts):
    module = _generated()
    called = []
    # Clause specs are frozen: the watched clauses go in through an evaluator of their own.
    watched = [dataclasses.replace(spec, evaluate=lambda run, original=spec.evaluate: called.append(1) or original(run))
               for spec in module.CLAUSES]
    with pytest.raises(module.FactError):
        module.Evaluator([(module.POLICY, watched)]).evaluate(facts, on="2021-06-30")
    assert called == []  # before any clause runs


def test_evaluate_many_checks_its_arguments_up_front_and_yields_bad_rows_as_fact_errors():
    module = _generated()
    for rows in (None, "rows", 5, {"实现税收": True}):
        with pytest.raises(TypeError, match="rows"):
            module.evaluate_many(rows, on="2021-06-30")
    with pytest.raises(module.FactError, match="on"):
        module.evaluate_many([], on="yesterday")
    results = list(module.evaluate_many([None, GOOD, {"实现税收": float("nan")}], on="2021-06-30"))
    assert [type(r).__name__ for _n, r in results] == ["FactError", "Evaluation", "FactError"]


def test_a_datetime_evaluation_date_means_its_day():
    module = _generated()
    by_date = module.evaluate(GOOD, on=datetime.date(2021, 6, 30)).to_json()
    by_datetime = module.evaluate(GOOD, on=datetime.datetime(2021, 6, 30, 17, 45)).to_json()
    assert by_datetime == by_date and _seventh(by_date)["award"]["max"] == "100000.00"
    with pytest.raises(module.FactError, match="on"):
        module.evaluate(GOOD, on=20210630)


def test_generated_modules_carry_the_same_runtime_checks():
    # One runtime, shared: generated/runtime.py is polc's, byte for byte, and every module imports it.
    assert (ROOT / "generated" / "runtime.py").read_bytes() == (ROOT / "compiler" / "runtime.py").read_bytes()
    assert "MAX_MAGNITUDE" in (ROOT / "generated" / "runtime.py").read_text(encoding="utf-8")
    for path in sorted((ROOT / "generated").glob("j*.py")):
        assert "from .runtime import (" in path.read_text(encoding="utf-8"), path
