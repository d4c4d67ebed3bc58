"""Loading a register into DuckDB (compiler/sql_register.py) accepts exactly what the Python
runtime accepts, with the same values: the one-pattern-per-row check of a CSV DuckDB reads
itself agrees with the per-cell forms and with runtime.validate_facts on generated cells
(tricky forms included), and a whole register loaded through the Loader gives, row by row,
the runtime's typed values or a bad row."""

import io
import json
import random
import datetime
import types
from decimal import Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from compiler import batch, compact, runtime, sql_batch, sql_register
from conftest import ROOT

OPTIONS = ("甲类", "乙类", "a.b", "(x)", "其它", "有,逗号", " 边 ")
SPECS = {"money": ("money", False, None, False), "number": ("number", False, None, False),
         "percent": ("percent", False, None, False), "bool": ("bool", False, None, False),
         "year": ("year", False, None, False), "date": ("date", False, None, False),
         "enum": ("enum", False, OPTIONS, False), "text": ("text", False, None, False)}
TRICKY = ["+1", "1e5", " 1", "1 ", "1.", ".5", "-.5", "-", "", "١", "１２", "1_000", "NaN", "Infinity", "-Infinity",
          "0x10", "5万元", "5.5亿元", "1万亿元", "5 万元", "万元", "5元", "5万", "5%", "5.25%", "5.12345%", "-0", "-0.0",
          "00012", "0012万元", "999999999999999", "1000000000000000", "999999999999999.999999", "99999999999.999999万元",
          "100000000000万元", "9999999.9亿元", "10000000亿元", "999万亿元", "1000万亿元", "1.1234567", "1.123456",
          "999999%", "1000000%", "999999.9999%", "2019", "2019年", "0999", "20190", "２０１９", "2019.0", "2020-06-30",
          "2020-02-30", "2020-02-29", "2021-02-29", "0000-01-01", "0001-01-01", "2020-6-3", "2020年6月30日",
          "是", "否", " 是", "true", "True", "TRUE", "false", "False", "yes", "1", "甲类", "乙类", "a.b", "aXb", "(x)",
          "其它", " 甲类", " 边 ", "H1", "\u3000H3", "H\u3000", "a b", "x;y", "\x1fz", "z\x85"]
CELL = st.one_of(st.sampled_from(TRICKY),
                 st.text(alphabet="0123456789.-+e%元万亿年是否truefalsTF１١\u3000 _x甲类()", max_size=14))


def _runtime(base: str, text: str):
    """The runtime's value of a cell as the Python engine reads it (stripped; blank: None),
    or the FactError."""
    text = text.strip()
    if text == "":
        return None
    try:
        return runtime.validate_facts({"f": text}, {"f": SPECS[base]})["f"]
    except runtime.FactError as exc:
        return exc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(st.tuples(st.sampled_from(sorted(SPECS)), CELL), min_size=1, max_size=12),
                     min_size=1, max_size=25))
@example(rows=[[(base, text)] for text in TRICKY for base in sorted(SPECS)])
def test_the_row_pattern_accepts_a_row_only_when_the_runtime_accepts_every_cell_with_the_values_sql_gives(rows):
    """Cells holding no "," and no line break (what DuckDB's own CSV read gives): the row check
    is true exactly when every cell passes its per-cell form, and then the runtime accepts each
    cell with the value SQL computes."""
    con = duckdb.connect()
    for row in rows:
        row = [(base, text) for base, text in row if "," not in text and "\n" not in text]
        if not row:
            continue
        cells = [None if text == "" else text for _base, text in row]  # DuckDB reads an empty cell as NULL
        plain = sql_register.plain_checks([(base, SPECS[base][2], f"t{i}") for i, (base, _t) in enumerate(row)])
        per_cell = [sql_register._fast_cell(SPECS[base], f"t{i}", False, ";") for i, (base, _t) in enumerate(row)]
        columns = ", ".join(f"?::VARCHAR AS t{i}" for i in range(len(row)))
        checks = " AND ".join(f"coalesce({check}, false)" for check in plain)
        got = con.execute(f"SELECT coalesce({checks}, false), {', '.join(f'coalesce({ok}, false)' for ok, _v in per_cell)}, "
                          f"{', '.join(value for _ok, value in per_cell)} FROM (SELECT {columns})", cells).fetchone()
        row_ok, cell_oks, values = got[0], got[1:1 + len(row)], got[1 + len(row):]
        assert row_ok == all(cell_oks), (row, cell_oks)
        for (base, text), cell_ok, value in zip(row, cell_oks, values):
            if cell_ok and text != "":
                expected = _runtime(base, text)
                assert not isinstance(expected, Exception) and text == text.strip(), (base, text, expected)
                assert value == expected and type(value) is type(expected), (base, text, value, expected)


# ---------------------------------------------------------------- whole registers through the Loader
SCHEMA = {"金额": SPECS["money"], "人数": SPECS["number"], "比例": SPECS["percent"], "是否": SPECS["bool"],
          "年度": SPECS["year"], "日期": SPECS["date"], "类别": SPECS["enum"], "总部": SPECS["text"],
          "营业收入": ("money", True, None, False), "项目金额": ("money", False, None, True)}
HEADER = ["申请人", "金额", "人数", "比例", "是否", "年度", "日期", "类别", "总部", "营业收入.2019", "营业收入.2020", "项目金额"]
BASES = [None, "money", "number", "percent", "bool", "year", "date", "enum", "text", "money", "money", "money"]


def _load(path):
    policy = types.SimpleNamespace(schema=SCHEMA)
    evaluator = types.SimpleNamespace(known=SCHEMA)
    work = sql_register.work_directory()
    with work as directory:
        con = sql_batch.connect(directory)
        try:
            loaded = sql_register.Loader(con, [(policy, [])], evaluator, str(path), None, directory).load()
            names = [name for name, _t in loaded.view_columns]
            rows = {row[0]: dict(zip(["申请人"] + names, row[1:])) for row in con.execute(
                f"SELECT _line, \"申请人\", {', '.join(sql_register.ident(n) for n in names)} FROM register_rows").fetchall()}
        finally:
            con.close()
    return loaded, rows


def _expected(fields):
    """What the Python engine makes of one CSV row: typed facts, or None for a bad row."""
    facts = batch._from_csv(HEADER, fields, SCHEMA)
    if isinstance(facts, batch.BadRow):
        return None
    applicant = batch._identifier(facts.pop("申请人", None))
    if isinstance(applicant, batch.BadRow):
        return None
    try:
        typed = runtime.validate_facts(facts, SCHEMA)
    except runtime.FactError:
        return None
    for value in typed.values():
        for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]:
            if isinstance(item, Decimal) and item != item.quantize(Decimal("0.000001")):
                return None  # more than 6 places: the DuckDB engine's stated limit (a bad row)
    return applicant, typed


ROW_CELL = st.one_of(CELL.filter(lambda t: "," not in t and "\n" not in t and "\r" not in t and '"' not in t),
                     st.sampled_from(["1", "300000", "30万元", "是", "否", "2019", "2020-06-30", "甲类", "H1", "5%",
                                      "1;2万元", "1；2", ";", "x;1", " 5万元", "5万元 ;6", "；；", "\u30005；6", "5;;6",
                                      "5 万元;6", "5\t", "-;5", "1.5%;2", "2019年"]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(ROW_CELL, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=30))
def test_a_plain_csv_loads_as_the_runtime_reads_it_row_by_row(tmp_path, rows):
    """A plain UTF-8 CSV (read by DuckDB itself, checked one pattern per row): each row is in
    the view with the runtime's typed values, or it is a bad row because the runtime refuses it."""
    path = tmp_path / "register.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADER) + "\n")
        for number, row in enumerate(rows):
            row = [f"E{number:03d}"] + row[1:]
            handle.write(",".join(row) + "\n")
    loaded, got = _load(path)
    assert loaded.reader == "duckdb"  # the plain path: checked one pattern per row
    bad = {entry["line"] for entry in loaded.bad}
    for number, row in enumerate(rows):
        line = number + 2
        fields = [f"E{number:03d}"] + row[1:]
        expected = _expected(fields)
        if all(not f.strip() for f in fields):
            continue
        if expected is None:
            assert line in bad and line not in got, (line, fields)
            continue
        applicant, typed = expected
        assert line not in bad, (line, fields, loaded.bad)
        values = got[line]
        assert values["申请人"] == applicant
        for name, spec in SCHEMA.items():
            if spec[1]:
                for year in (2019, 2020):
                    assert values[f"{name}.{year}"] == typed.get(name, {}).get(year), (line, name, year, fields)
            elif spec[3]:
                want = typed.get(name)
                assert (values[name] and [Decimal(v) for v in values[name]]) == want or (not values[name] and not want), \
                    (line, name, fields, values[name], want)
            else:
                want = typed.get(name)
                assert values[name] == want and (want is None or type(values[name]) is type(want)), \
                    (line, name, fields, values[name], want)


# ---------------------------------------------------------------- round 16: cheaper loading, same acceptance
def _write_plain(path, rows, tail=b""):
    with open(path, "wb") as handle:
        handle.write((",".join(HEADER) + "\n").encode("utf-8"))
        for row in rows:
            handle.write((",".join(row) + "\n").encode("utf-8"))
        handle.write(tail)


def _row(number, **cells):
    values = {"金额": "30万元", "人数": "12", "是否": "是", "年度": "2019", "类别": "甲类", "总部": "H1",
              "营业收入.2019": "5亿元", "营业收入.2020": "6亿元", "项目金额": "1;2万元"}
    values.update(cells)
    return [f"E{number:05d}"] + [values.get(name, "") for name in HEADER[1:]]


def test_invalid_utf8_after_the_first_64_kb_of_a_plain_csv_is_read_as_polcs_reader_reads_it(tmp_path):
    """The plain read no longer decodes the whole file in Python: the header is checked as
    UTF-8 and DuckDB refuses any other line that is not; the file is then read polc's way."""
    rows = [_row(n) for n in range(2000)]  # about 100 KB: past the 64 KB polc judges the encoding on
    clean = tmp_path / "clean.csv"
    _write_plain(clean, rows)
    loaded, got = _load(clean)
    assert loaded.reader == "duckdb" and len(got) == 2000 and not loaded.bad
    for tail in (b"E99999,1,2,,\xff,,,,,,,\n", b"E99999,\xed\xa0\x80,,,,,,,,,,\n", b"E99999,,,,,,,,H\xc0\x80,,,\n"):
        broken = tmp_path / "broken.csv"
        _write_plain(broken, rows, tail)
        loaded, got = _load(broken)
        assert loaded.reader == "staged", tail  # refused by DuckDB's read: polc's reader read it
        staged_rows = loaded.rows
        # What polc's own reader makes of it (the same file read with the staged path forced).
        forced = tmp_path / "forced.csv"
        _write_plain(forced, rows, tail.replace(b"E99999,", b'"E99999",'))  # a quote: never the plain read
        forced_loaded, forced_got = _load(forced)
        assert forced_loaded.reader == "staged" and forced_loaded.rows == staged_rows
        assert got == forced_got and [b["line"] for b in loaded.bad] == [b["line"] for b in forced_loaded.bad]


def test_a_header_that_is_not_utf8_is_never_read_by_duckdb_directly(tmp_path):
    path = tmp_path / "register.csv"
    with open(path, "wb") as handle:
        handle.write((",".join(HEADER) + ",备注\n").encode("gb18030"))
        handle.write((",".join(_row(1)) + ",x\n").encode("gb18030"))
    policy = types.SimpleNamespace(schema=SCHEMA)
    loader = sql_register.Loader(duckdb.connect(), [(policy, [])], types.SimpleNamespace(known=SCHEMA), str(path),
                                 None, str(tmp_path))
    assert not loader._plain_utf8()
    path.write_bytes(path.read_bytes().decode("gb18030").encode("utf-8"))
    assert loader._plain_utf8()


def test_an_empty_line_keeps_a_register_from_duckdbs_direct_read(tmp_path):
    """An empty line (two line feeds in a row, _BLANK_LINE) is skipped by polc's reader, so
    DuckDB's rows would no longer be the file's lines: such a file is read polc's way."""
    path = tmp_path / "register.csv"
    policy = types.SimpleNamespace(schema=SCHEMA)
    loader = sql_register.Loader(duckdb.connect(), [(policy, [])], types.SimpleNamespace(known=SCHEMA), str(path),
                                 None, str(tmp_path))
    lines = [",".join(HEADER)] + [",".join(_row(n)) for n in range(5)]
    for text, plain in [("\n".join(lines) + "\n", True), ("\n".join(lines[:3] + [""] + lines[3:]) + "\n", False),
                        ("\n".join(lines) + "\n\n", False), ("\n".join(lines), True)]:
        path.write_text(text, encoding="utf-8")
        assert loader._plain_utf8() is plain, text
    path.write_text("\n".join(lines[:3] + [""] + lines[3:]) + "\n", encoding="utf-8")
    loaded, got = _load(path)
    assert loaded.reader == "staged" and sorted(got) == [2, 3, 5, 6, 7]  # physical lines, the empty one (4) skipped


def test_columns_not_wanted_are_still_checked_but_not_kept(tmp_path):
    """Loader.wanted: only the named columns are typed and in register_rows (another one is
    no such column: a loud error, never a silent NULL), and a bad cell in any column still
    makes its row bad."""
    path = tmp_path / "register.csv"
    _write_plain(path, [_row(1), _row(2, 人数="12个"), _row(3, 总部=" H1"), _row(4, 金额="1e3")])
    policy = types.SimpleNamespace(schema=SCHEMA)
    evaluator = types.SimpleNamespace(known=SCHEMA)
    with sql_register.work_directory() as directory:
        con = sql_batch.connect(directory)
        asked = []

        def wanted():
            asked.append(dict(loader.loaded.years))
            return {"金额", "营业收入.2020"}

        loader = sql_register.Loader(con, [(policy, [])], evaluator, str(path), None, directory, wanted=wanted)
        loaded = loader.load()
        assert asked == [{"营业收入": (2019, 2020)}]  # asked once, with the register's years known
        assert loaded.reader == "duckdb"
        assert [name for name, _t in loaded.typed_columns] == ["金额", "营业收入.2020"]
        assert {name for name, _t in loaded.view_columns} >= {"金额", "人数", "营业收入.2019", "营业收入.2020", "总部"}
        rows = con.execute('SELECT _line, "申请人", "金额", "营业收入.2020" FROM register_rows ORDER BY _line').fetchall()
        # 人数 "12个" is not a number and 总部 " H1" is H1 to the runtime: row 3 is typed by it, row 2 is bad;
        # 金额 "1e3" is no amount the runtime accepts: row 5 is bad.
        assert rows == [(2, "E00001", Decimal(300000), Decimal(600000000)),
                        (4, "E00003", Decimal(300000), Decimal(600000000))]
        assert sorted(b["line"] for b in loaded.bad) == [3, 5]
        with pytest.raises(duckdb.BinderException):
            con.execute('SELECT "人数" FROM register_rows')
        con.close()


@pytest.mark.parametrize("text, value", [("5", "5"), ("5元", "5"), ("-5.5元", "-5.5"), ("5万元", "50000"),
                                         ("1.5亿元", "150000000"), ("999万亿元", "999000000000000"),
                                         ("999999999999999.999999", "999999999999999.999999")])
def test_money_is_typed_by_its_unit_only_when_it_ends_in_yuan(text, value):
    ok, typed = sql_register._fast_cell(SPECS["money"], "t", False, ";")
    got = duckdb.connect().execute(f"SELECT {ok}, {typed} FROM (SELECT ?::VARCHAR AS t)", [text]).fetchone()
    assert got == (True, Decimal(value)) and runtime.validate_facts({"f": text}, {"f": SPECS["money"]})["f"] == Decimal(value)


@pytest.mark.parametrize("text", ["5元元", "元", "5亿", "1e3元", "5 元", "1000万亿元"])
def test_money_the_fast_form_refuses_goes_to_the_runtime(text):
    ok, _typed = sql_register._fast_cell(SPECS["money"], "t", False, ";")
    assert duckdb.connect().execute(f"SELECT {ok} FROM (SELECT ?::VARCHAR AS t)", [text]).fetchone() == (False,)


def test_the_engine_keeps_the_columns_its_query_reads_and_the_facts_quotas_and_budgets_rank_by(tmp_path, monkeypatch):
    from compiler import driver
    project = driver.load([str(ROOT / "tests/fixtures/quotas.pol")])
    modules = [driver.load_module(p) for p in project.policies]
    models = [project.model(p) for p in project.policies]
    path = tmp_path / "register.csv"
    path.write_text("申请人,平台企业,平台交易额,申报项目,验收评分,补助额,另一奖励条件\nA1,是,7亿元,是,90,,否\n", encoding="utf-8")
    kept = {}
    for clauses in ("sql", "python"):
        if clauses == "python":
            monkeypatch.setenv("POLC_SQL_CLAUSES", "python")  # the runtime stands in: it reads every column
        with sql_register.work_directory() as directory:
            con = sql_batch.connect(directory)
            engine = sql_batch.Engine(con, modules, str(path), datetime.date(2021, 6, 30), False, None, directory, None)
            engine.models = models
            engine.run(compact.JsonLinesWriter(io.StringIO()), io.StringIO())
            kept[clauses] = [name for name, _t in engine.loaded.typed_columns]
            every = [name for name, _t in engine.loaded.view_columns]
            con.close()
    assert kept["python"] == every
    # 验收评分 is read only by the budget's ranking, 平台交易额 by the quota's; 补助额 by no stage.
    assert {"验收评分", "平台交易额", "平台企业"} <= set(kept["sql"]) and "补助额" not in kept["sql"]


@pytest.mark.parametrize("text", ["99999999999999999999999999999999万亿元", "9999999999999999999999999999999亿元",
                                  "1" * 40 + "元", "999999999999万元"])
def test_a_huge_amount_with_a_unit_is_refused_not_an_overflow_of_the_load(text):
    # The value is computed for every cell (unguarded); the product once overflowed DECIMAL(38)
    # and stopped the whole register instead of sending this row to the runtime.
    ok, typed = sql_register._fast_cell(SPECS["money"], "t", False, ";")
    assert duckdb.connect().execute(f"SELECT {ok}, {typed} FROM (SELECT ?::VARCHAR AS t)", [text]).fetchone()[0] is False
    ok, typed = sql_register._fast_cell(("money", False, None, True), "t", False, ";")  # 逐项
    assert duckdb.connect().execute(f"SELECT {ok}, {typed} FROM (SELECT ?::VARCHAR AS t)", [text]).fetchone()[0] is False


def test_a_register_with_a_huge_amount_loads_with_that_row_bad(tmp_path):
    path = tmp_path / "register.csv"
    _write_plain(path, [_row(1), _row(2, 金额="99999999999999999999999999999999万亿元"), _row(3)])
    loaded, got = _load(path)
    assert sorted(got) == [2, 4] and [b["line"] for b in loaded.bad] == [3]


def test_a_large_register_is_loaded_into_the_database_file_with_the_same_rows(tmp_path, monkeypatch):
    """A register up to IN_MEMORY_BYTES is held in the in-memory database, a larger one in
    the database file; either way every cursor of the connection reads the same rows (the
    per-applicant query may run on several), which a TEMP table would not allow."""
    path = tmp_path / "register.csv"
    _write_plain(path, [_row(1), _row(2, 人数="12个"), _row(3, 总部=" H1"), _row(4, 金额="5元"), _row(5, 人数="")])
    kinds = {}

    def load():
        policy = types.SimpleNamespace(schema=SCHEMA)
        with sql_register.work_directory() as directory:
            con = sql_batch.connect(directory)
            loaded = sql_register.Loader(con, [(policy, [])], types.SimpleNamespace(known=SCHEMA), str(path), None,
                                         directory).load()
            where = con.execute("SELECT database_name, temporary FROM duckdb_tables() "
                                "WHERE table_name = 'reg_cells'").fetchall()
            rows = con.execute("SELECT * FROM register_rows ORDER BY _line").fetchall()
            other = con.cursor()  # another cursor, as a second thread would use: the same rows
            assert other.execute("SELECT * FROM polc.main.register_rows ORDER BY _line").fetchall() == rows
            other.close()
            con.close()
        return (loaded.database, where), rows, [b["line"] for b in loaded.bad]

    kinds["small"] = load()
    monkeypatch.setattr(sql_register, "IN_MEMORY_BYTES", path.stat().st_size - 1)
    kinds["large"] = load()
    assert kinds["small"][0] == (sql_register.MEMORY_DATABASE, [(sql_register.MEMORY_DATABASE, False)])
    assert kinds["large"][0] == ("polc", [("polc", False)])
    assert kinds["small"][1:] == kinds["large"][1:] and kinds["small"][2] == [3]
    assert [row[0] for row in kinds["small"][1]] == [2, 4, 5, 6]  # line 3 bad; line 4 typed by the runtime


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(st.one_of(st.sampled_from(TRICKY), st.text(alphabet="0123456789.-%;；元万亿年 \t\u3000x", max_size=12)),
                      min_size=1, max_size=40))
@example(texts=["5", " 5", "5 ", "5;6", "5；6", ";", "；", " ; ", "5;;6", "5 ;6", "5; 6万元", "5 万元", "x;5", "5;x", "1.1234567",
                "\u3000", "-", "2019年;2020"])
def test_a_list_cell_is_accepted_by_its_row_pattern_exactly_when_by_its_items(texts):
    """A 逐项 cell of a LIST_IN_ROW base in a plain CSV is checked by list_pattern inside the
    row's pattern: it must accept exactly what the item-by-item check (_fast_cell: split on ";"
    or "；", trimmed, empty pieces dropped, each item in its form) accepts, and the one-item
    shortcut of the typed value must give the list the split gives."""
    con = duckdb.connect()
    for base in sql_register.LIST_IN_ROW:
        spec = (base, False, None, True)
        ok, typed = sql_register._fast_cell(spec, "t", False, ";")
        split = typed[typed.index(" ELSE CAST(list_transform(") + len(" ELSE "):-len(" END")]  # the list split, trimmed and filtered
        for text in texts:
            if "," in text or "\n" in text or text == "":
                continue  # never in a cell of a plain CSV (an empty cell is NULL)
            by_items, by_row, one, many = con.execute(
                f"SELECT coalesce({ok}, false), {sql_register.plain_checks([(base, None, 't', True)])[0]}, {typed}, {split} "
                "FROM (SELECT ?::VARCHAR AS t)", [text]).fetchone()
            assert by_items == by_row, (base, text)
            if by_items:
                assert one == many, (base, text)


def test_a_yes_no_cell_is_accepted_by_its_list_exactly_when_by_its_pattern():
    """A yes/no cell is checked by an IN of BOOL_WORDS (plain_checks, _fast_scalar), which must
    accept exactly what CELL_PATTERNS["bool"] does (the pattern is the documented form)."""
    con = duckdb.connect()
    ok, _value = sql_register._fast_scalar("bool", None, "t")
    for text in TRICKY + ["是 ", "是是", "否\n", "true\x00"]:
        by_list, by_pattern = con.execute(
            f"SELECT {ok}, regexp_full_match(t, {sql_register.literal('(?:' + sql_register.CELL_PATTERNS['bool'] + ')')}) "
            "FROM (SELECT ?::VARCHAR AS t)", [text]).fetchone()
        assert by_list == by_pattern, text


# ---------------------------------------------------------------- line numbers of a parallel load
# A plain CSV is created by one CREATE TABLE … AS over DuckDB's parallel CSV read, and a row's
# line is its rowid plus the header's line (no stored column): right only while the insert
# keeps the file's order and nothing moves a row. These registers are read in several parts
# (DuckDB's CSV read gives a thread each 8,000,000 bytes) by two threads, with bad, fixed and
# blank rows far apart, and compared byte for byte with the Python engine (output and the
# bad-row lines on stderr).
CSV_PART_BYTES = 8_000_000


def _engines(policies, register, monkeypatch):
    from compiler import driver
    project = driver.load([f"{ROOT}/policies/{p}" for p in policies])
    modules, models = [driver.load_module(p) for p in project.policies], [project.model(p) for p in project.policies]
    python_out, python_err = io.StringIO(), io.StringIO()
    batch.run(modules, str(register), "2021-06-30", python_out, python_err)
    readers = []
    load = sql_register.Loader.load

    def load_and_say(loader):
        loaded = load(loader)
        readers.append((loaded.reader, loader.in_memory))
        return loaded
    monkeypatch.setattr(sql_register.Loader, "load", load_and_say)
    monkeypatch.setenv("POLC_DUCKDB_THREADS", "2")
    sql_out, sql_err = io.StringIO(), io.StringIO()
    sql_batch.run(modules, str(register), "2021-06-30", sql_out, sql_err, models=models)
    return (python_out.getvalue(), python_err.getvalue()), (sql_out.getvalue(), sql_err.getvalue()), readers


@pytest.mark.parametrize("in_memory", [True, False], ids=["in-memory", "database-file"])
def test_a_register_read_in_parallel_parts_keeps_every_physical_line(tmp_path, monkeypatch, in_memory):
    if not in_memory:  # the register loaded into the database file, as one over IN_MEMORY_BYTES is
        monkeypatch.setattr(sql_register, "IN_MEMORY_BYTES", 0)
    rng = random.Random(17)
    rows = 40_000
    odd = {3: ",是,abc,否,,",                 # bad: 验收评分 is a number
           9_001: f"E{9_001:06d}{'x' * 400}, 是,70,否,,",   # fixed: the runtime strips " 是"
           17_777: " , , , , , ",             # blank (whitespace only): skipped, not counted
           25_000: f"E{25_000:06d}{'x' * 400},是,95,否,1e3,",  # bad: 投资额 1e3 (named by the runtime)
           33_333: f"E{33_333:06d}{'x' * 400},是,90,否, 25万元,其他美丽农场项目",  # fixed
           rows - 1: f"E{rows - 1:06d}{'x' * 400},是,88,否,300000,没有这类"}  # bad: not an option
    lines = ["申请人,列入创建名单,验收评分,市本级创建项目,投资额,补助类别"]
    for i in range(rows):
        lines.append(odd.get(i) or (f"E{i:06d}{'x' * 400},{rng.choice(['是', '否', ''])},{rng.randint(50, 100)},"
                                    f"{rng.choice(['是', '否'])},{rng.choice(['300000', '25万元', ''])},"
                                    f"{rng.choice(['镇村集体美丽粮园', '其他美丽农场项目', ''])}"))
    register = tmp_path / "register.csv"
    register.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert register.stat().st_size > 2 * CSV_PART_BYTES  # three parts at least
    python, sql, readers = _engines(["jnf-2020-16.pol"], register, monkeypatch)
    assert readers == [("duckdb", in_memory)]  # DuckDB read the file itself, where it was meant to be
    assert sql == python
    bad = [line.split(":")[1] for line in sql[1].splitlines() if line.startswith(str(register))]
    assert bad == ["5", "25002", "40001"]  # the data line i is physical line i + 2
    summary = json.loads(sql[0].splitlines()[-1])["summary"]
    assert summary["rows"] == rows - 1 and summary["evaluated"] == rows - 4
    written = [json.loads(line) for line in sql[0].splitlines()[:-1]]
    assert all(record["申请人"] == f"E{record['line'] - 2:06d}{'x' * 400}" for record in written)


def test_a_fixed_row_with_a_list_fact_keeps_its_line_on_the_direct_path(tmp_path, monkeypatch):
    """The runtime types a row whose cells the fast forms do not cover; that row is read from
    its own table, not updated in place: DuckDB updates a list column (a 逐项 fact) by deleting
    the row and inserting it again at the end, with a new rowid, which would be a wrong line."""
    lines = ["申请人,单套设备租赁费用"]
    for i in range(300):
        lines.append(f"E{i:04d}," + {5: " 5万元;6万元", 6: "5万元；x", 7: "1万元;2万元 "}.get(i, f"{i % 7 + 1}万元;8万元"))
    register = tmp_path / "register.csv"
    register.write_text("\n".join(lines) + "\n", encoding="utf-8")
    python, sql, readers = _engines(["jzbf-2020-14.pol"], register, monkeypatch)
    assert readers == [("duckdb", True)] and sql == python
    written = {json.loads(line)["申请人"]: json.loads(line)["line"] for line in sql[0].splitlines()[:-1]}
    assert written["E0005"] == 7 and written["E0007"] == 9 and "E0006" not in written
    assert all(written[f"E{i:04d}"] == i + 2 for i in range(300) if i != 6)


# ---------------------------------------------------------------- round 20: yes/no and enumerations checked by their value
CHECKED_SCHEMA = {"是否": SPECS["bool"], "另一": SPECS["bool"], "类别": ("enum", False, ("甲类", "乙类", "有,逗号", "a.b"), False),
                  "等级": ("enum", False, ("一级", "二级"), False), "认定": ("bool", True, None, False),
                  "边类": ("enum", False, ("甲类", " 边 "), False)}
CHECKED_HEADER = ["申请人", "是否", "另一", "类别", "等级", "认定.2019", "边类"]
CHECKED_CELLS = ["是", "否", "true", "True", "false", "False", "TRUE", "FALSE", "yes", "1", "0", " 是", "是 ", "\u3000否",
                 "", "甲类", "乙类", "a.b", "aXb", "甲类 ", " 甲类", "甲", "丙类", "有", "一级", "二级", "一级\u3000", "边", "x"]


@pytest.mark.parametrize("reader", ["duckdb", "staged"])
def test_yes_no_and_enumeration_cells_kept_or_not_are_accepted_as_the_runtime_accepts_them(tmp_path, reader):
    """A kept yes/no cell is checked by its typed value, a kept enumeration's by TRY_CAST to an
    ENUM of its labels (held as that ENUM, read as VARCHAR); a cell not kept, and an enumeration
    with a label the ENUM cannot hold as the IN matches it (whitespace at an edge), by the IN as
    before. Either way a row is in the view with the runtime's values or bad, on both readers."""
    good = {"是否": "是", "另一": "否", "类别": "甲类", "等级": "一级", "认定.2019": "true", "边类": "甲类"}
    rows = [[f"E{len(CHECKED_CELLS) * i + j:04d}"] + [text if name == column else good[name] for name in CHECKED_HEADER[1:]]
            for i, column in enumerate(CHECKED_HEADER[1:]) for j, text in enumerate(CHECKED_CELLS)]
    path = tmp_path / "register.csv"
    quote = '"' if reader == "staged" else ""  # a quoted field: polc's reader stages the file for DuckDB
    path.write_text("\n".join([",".join(CHECKED_HEADER)] + [f"{quote}{row[0]}{quote}," + ",".join(row[1:]) for row in rows])
                    + "\n", encoding="utf-8")
    policy = types.SimpleNamespace(schema=CHECKED_SCHEMA)
    with sql_register.work_directory() as directory:
        con = sql_batch.connect(directory)
        loader = sql_register.Loader(con, [(policy, [])], types.SimpleNamespace(known=CHECKED_SCHEMA), str(path), None,
                                     directory, wanted=lambda: {"是否", "类别", "认定.2019", "边类"})
        loaded = loader.load()
        assert loaded.reader == reader
        assert loader.enum_columns == {"类别"}  # 等级 is not kept; 边类 has a label with whitespace at an edge
        held = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'reg_cells' "
                                "AND column_name IN ('类别', '边类')").fetchall())
        assert held["类别"].startswith("ENUM(") and held["边类"] == "VARCHAR"
        got = {row[0]: row[1:] for row in con.execute(
            'SELECT _line, "申请人", "是否", "类别", "认定.2019", "边类" FROM register_rows').fetchall()}
        assert dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE register_rows)").fetchall())["类别"] == "VARCHAR"
        con.close()
    bad = {entry["line"] for entry in loaded.bad}
    for number, row in enumerate(rows):
        line = number + 2
        facts = batch._from_csv(CHECKED_HEADER, row, CHECKED_SCHEMA)
        applicant = facts.pop("申请人")
        try:
            typed = runtime.validate_facts(facts, CHECKED_SCHEMA)
        except runtime.FactError:
            assert line in bad and line not in got, (line, row)
            continue
        assert line not in bad, (line, row, loaded.bad)
        assert got[line] == (applicant, typed.get("是否"), typed.get("类别"), typed.get("认定", {}).get(2019),
                             typed.get("边类")), (line, row)
