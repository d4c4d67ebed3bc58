"""The DuckDB batch engine (the default of `polc eval --batch`) against the Python engine:
the same register gives the same bytes (compact JSON Lines, CSV, the summary), bad rows are
reported alike, the fast SQL forms of a cell accept only what runtime.validate_facts accepts
(with the same value), and the registers only DuckDB reads (Parquet, a DuckDB table) give the
same decisions."""

import csv
import io
import os
import json
import random
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from compiler import batch, compact, driver, runtime, sql_batch, sql_register

from conftest import ROOT, run_polc

POLICIES = ("tests/fixtures/quotas.pol", "policies")
_LOADED: dict = {}


def _project(paths):
    if paths not in _LOADED:
        project = driver.load([str(ROOT / p) for p in paths])
        assert not project.has_errors
        _LOADED[paths] = ([driver.load_module(p) for p in project.policies], [project.model(p) for p in project.policies])
    return _LOADED[paths]


def _schema(paths):
    schema = {}
    for module in _project(paths)[0]:
        schema.update(module.POLICY.schema)
    return schema


def _both(register, paths=POLICIES, include_all=False, on="2021-06-30"):
    modules, models = _project(paths)
    python_out, python_err = io.StringIO(), io.StringIO()
    batch.run(modules, str(register), on, python_out, python_err, include_all=include_all)
    sql_out, sql_err = io.StringIO(), io.StringIO()
    sql_batch.run(modules, str(register), on, sql_out, sql_err, include_all=include_all, models=models)
    return python_out.getvalue(), sql_out.getvalue(), python_err.getvalue(), sql_err.getvalue()


# ---------------------------------------------------------------- random registers
TRICKY = {"money": ["30万元", "1,200.5元", "+5", "1e3", " 7亿元 ", "x", "NaN", "-0", "30 万元", "1000000000000000",
                    "999999999999999.99", "１２３", "0"],
          "number": ["+5", "1e2", "1_000", "NaN", "Infinity", "５", "-0", "007", "1.", ".5", " 3 "],
          "percent": ["5%", "5 %", "0.05", "+5%", "1e-2", "150%", "x%", "999999%", "1000000%", "-0%"],
          "bool": ["是", "否", "true", "True", "TRUE", "yes", "1", " 是"],
          "year": ["2019", "2019年", "0999", "20190", "２０１９", "2019.0", " 2019"],
          "date": ["2020-06-30", "2020年6月30日", "2020-02-30", "0000-01-01", "2020-6-3"],
          "enum": ["其它", " "], "text": [" H1 ", "H2", "H1", "\u3000H3"]}


def _cell(rng, base, options, tricky):
    if tricky and rng.random() < 0.006:  # about one in a row, so that many rows are still good
        return rng.choice(TRICKY[base] + ([options[0] + " "] if options else []))
    if base == "money":
        return str(Decimal(rng.choice([0, 1, 5, 50, 100, 500, 1000, 5000, 20000, 300000])) * 10000)
    if base == "number":
        return str(rng.choice([0, 1, 3, 10, 50, 100, 150, 200, 250, 300]))
    if base == "percent":
        return rng.choice([f"{rng.randint(-20, 60)}%", str(Decimal(rng.randint(-20, 60)) / 100)])
    if base == "bool":
        return rng.choice(["是", "否"])
    if base == "year":
        return str(rng.randint(2016, 2021))
    if base == "date":
        return "2020-06-30"
    if base == "text":
        return rng.choice(["H1", "H2", "H3"])
    return rng.choice(options)


def _rows(schema, count, seed, tricky=False, named=False):
    rng = random.Random(seed)
    for number in range(count):
        row = {"申请人": f"E{number:05d}"}
        if named and rng.random() < 0.15:  # missing, named twice, or awkward to write as JSON
            row["申请人"] = rng.choice([None, "E00003", "E00007", "q\"uote", "A\x01b", "back\\slash", " 空格 "])
        for name in sorted(schema):
            base, series, options, items = schema[name]
            if rng.random() < 0.3:
                continue
            if series:
                row[name] = {str(y): _cell(rng, base, options, tricky) for y in range(2016, 2021) if rng.random() > 0.1}
            elif items:
                row[name] = [_cell(rng, base, options, tricky) for _ in range(rng.randint(1, 3))]
            else:
                row[name] = _cell(rng, base, options, tricky)
        if row["申请人"] is None:
            del row["申请人"]
        yield row


def _write_csv(path, schema, rows, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as handle:
        _write_csv_stream(handle, schema, rows)


def _write_csv_stream(handle, schema, rows):
    names = ["申请人"]
    for name in sorted(schema):
        names += [f"{name}.{y}" for y in range(2016, 2021)] if schema[name][1] else [name]
    out = csv.writer(handle)
    out.writerow(names)
    for row in rows:
        cells = []
        for column in names:
            base = column.rsplit(".", 1)[0]
            if "." in column and isinstance(row.get(base), dict):
                cells.append(row[base].get(column.rsplit(".", 1)[1], ""))
            else:
                value = row.get(column, "")
                cells.append(";".join(value) if isinstance(value, list) else value)
        out.writerow(cells)


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.mark.parametrize("form, seed, tricky, named, include_all", [
    ("csv", 1, False, False, False),       # read by DuckDB directly (plain UTF-8, no quotes)
    ("csv", 2, True, True, False),         # quoted fields: polc's reader, staged; bad cells; names twice
    ("jsonl", 3, True, True, True),        # JSON Lines, --all
])
def test_both_engines_write_the_same_bytes(tmp_path, form, seed, tricky, named, include_all):
    schema = _schema(POLICIES)
    rows = list(_rows(schema, 150, seed, tricky, named))
    register = tmp_path / f"register.{form}"
    if form == "csv":
        _write_csv(register, schema, rows)
    else:
        _write_jsonl(register, rows)
    python, sql, python_err, sql_err = _both(register, include_all=include_all)
    assert sql == python
    assert sql_err == python_err
    summary = json.loads(sql.splitlines()[-1])["summary"]
    assert summary["evaluated"] > 20 and summary["quotas"] and summary["budgets"]
    if tricky:
        assert summary["bad_rows"]["count"] > 0


def test_a_gbk_register_with_quotas_gives_the_same_bytes(tmp_path):
    rows = [{"申请人": f"P{n:02d}", "平台企业": "是", "平台交易额": f"{7 + n % 4}亿元", "申报项目": "是",
             "验收评分": str(90 - n % 5)} for n in range(14)]
    rows += [{"申请人": "空格 ", "平台企业": "是", "平台交易额": "6亿元", "申报项目": "否"},
             {"申请人": "P03", "平台企业": "否"}]  # P03 named twice: every row of it is bad
    schema = _schema(("tests/fixtures/quotas.pol",))
    register = tmp_path / "register.csv"
    _write_csv(register, schema, rows, encoding="gbk")
    python, sql, python_err, sql_err = _both(register, ("tests/fixtures/quotas.pol",))
    assert sql == python and sql_err == python_err
    summary = json.loads(sql.splitlines()[-1])["summary"]
    assert summary["quotas"]["测试〔2020〕9号 第一条"]["cut_off"] == ["700000000"]  # the tie at 7亿元 goes to P00 (by 申请人)
    assert summary["bad_rows"]["count"] == 2


# ---------------------------------------------------------------- damaged CSV text, both engines
def _csv_lines(schema, rows):
    """The register as CSV text lines (csv.writer's quoting), header first."""
    handle = io.StringIO()
    _write_csv_stream(handle, schema, rows)
    return handle.getvalue().split("\r\n")[:-1]


def _damaged(kind, lines):
    """The register's lines damaged in one way, as the file's text."""
    lines = list(lines)
    if kind == "ragged":  # a field short, a field too many, and an empty row of commas
        lines[5] = lines[5].rsplit(",", 1)[0]
        lines[9] += ",x"
        lines[12] = "," * lines[0].count(",")
    elif kind == "quoted":  # quoted cells holding a comma, a line break, a doubled quote
        fields = lines[4].split(",")
        fields[0] = '"E,4\n第二行 ""引号"""'
        lines[4] = ",".join(fields)
        lines[7] = '"' + lines[7].split(",", 1)[0] + '",' + lines[7].split(",", 1)[1]
    elif kind == "blank":  # an empty line and one of whitespace only
        lines[6:6] = ["", "  ,  "]
    text = "\n".join(lines) + "\n"
    if kind == "bom":
        text = "\ufeff" + text
    elif kind == "crlf":
        text = text.replace("\n", "\r\n")
    elif kind == "mixed":  # CRLF after the header, LF elsewhere
        text = text.replace("\n", "\r\n", 3)
    return text


@pytest.mark.parametrize("kind", ["tricky", "ragged", "quoted", "blank", "bom", "crlf", "mixed"])
def test_a_damaged_csv_gives_the_same_bytes_and_bad_rows_in_both_engines(tmp_path, monkeypatch, kind):
    """Cells outside the fast forms on DuckDB's direct read (no comma, quote or line break in
    any cell), ragged rows, quoted cells with commas, line breaks and quotes, blank lines, a
    BOM, CRLF and mixed line ends: stdout and stderr (every bad-row report) are the same bytes
    in both engines, whichever reader the DuckDB engine used."""
    schema = _schema(POLICIES)
    rows = list(_rows(schema, 40, 11, tricky=True))
    for row in rows:  # cells that need no quotes, so that the tricky register is plain
        for name, value in list(row.items()):
            cells = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
            if any("," in c or '"' in c for c in cells):
                del row[name]
    yes_no = next(n for n, spec in sorted(schema.items()) if spec[0] == "bool" and not spec[1])
    label, options = next((n, spec[2]) for n, spec in sorted(schema.items()) if spec[0] == "enum" and not spec[1])
    items = next(n for n, spec in sorted(schema.items()) if spec[3] and spec[0] == "money")
    # yes/no and enumeration cells (checked by IN) and 逐项 amounts (in the row pattern) that the
    # runtime refuses (TRUE, yes, a label not declared, an item not an amount) or types itself
    # (whitespace around a word, an item with whitespace after it: the fast forms accept it)
    for number, (name, value) in enumerate([(yes_no, "TRUE"), (yes_no, "yes"), (yes_no, " 是"), (label, "不存在"),
                                            (label, options[0] + " "), (items, ["5万元 ", "6万元"]),
                                            (items, ["5万元", "x"]), (items, ["\u30007万元；8万元"])], 1):
        rows[number] = {"申请人": f"E{number:05d}", name: value}  # no other cell that would send the row to the runtime
    register = tmp_path / "register.csv"
    register.write_bytes(_damaged(kind, _csv_lines(schema, rows)).encode("utf-8"))
    readers = []
    load = sql_register.Loader.load

    def load_and_say(loader):
        loaded = load(loader)
        readers.append(loaded.reader)
        return loaded
    monkeypatch.setattr(sql_register.Loader, "load", load_and_say)
    python, sql, python_err, sql_err = _both(register)
    assert sql == python and sql_err == python_err
    assert json.loads(sql.splitlines()[-1])["summary"]["bad_rows"]["count"] > (0 if kind == "tricky" else 1)
    if kind in ("tricky", "crlf"):
        assert readers == ["duckdb"]  # read by DuckDB itself: the row pattern and the lists decided
    if kind in ("ragged", "quoted", "blank", "mixed"):
        assert readers == ["staged"]


# ---------------------------------------------------------------- the fast forms of a cell
CELL = st.text(alphabet="0123456789.-+e%元万亿年, 是否truefalsTF１\u3000_", max_size=12)


@settings(max_examples=25, deadline=None)
@given(texts=st.lists(CELL, min_size=1, max_size=60), base=st.sampled_from(["money", "number", "percent", "bool",
                                                                             "year"]))
def test_a_cell_the_sql_accepts_is_one_the_runtime_accepts_with_the_same_value(texts, base):
    """The SQL accepts a subset of what runtime.validate_facts accepts; the rest go to the
    runtime itself, so agreement needs only: accepted by SQL ⇒ accepted by the runtime, same value."""
    con = duckdb.connect()
    ok, value = sql_register._fast_cell((base, False, None, False), "t", False, ";")
    rows = con.execute(f"SELECT t, {ok}, {value} FROM (SELECT unnest(?::VARCHAR[]) AS t)", [texts]).fetchall()
    for text, accepted, typed in rows:
        if not accepted or text == "":
            continue
        expected = runtime.validate_facts({"f": text.strip()}, {"f": (base, False, None, False)})["f"]
        assert accepted and typed == expected and text == text.strip(), (text, typed, expected)


def test_a_value_with_more_than_six_decimal_places_is_a_bad_row_never_rounded(tmp_path):
    register = tmp_path / "register.csv"
    register.write_text("申请人,验收评分,申报项目\nA,0.1234567,是\nB,0.123456,是\n", encoding="utf-8")
    result = run_polc("eval", "tests/fixtures/quotas.pol", "--batch", register, "--on", "2021-06-30")
    assert result.returncode == 0, result.stderr
    assert f"{register}:2: " in result.stderr and "DECIMAL(38,6)" in result.stderr and "--engine python" in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["申请人"] for r in records[:-1]] == ["B"]


# ---------------------------------------------------------------- the command
def _register(tmp_path):
    rows = [{"申请人": f"F{n}", "申报项目": "是", "验收评分": str(90 - n), "平台企业": "是" if n % 2 else "否",
             "平台交易额": f"{n}亿元"} for n in range(8)]
    register = tmp_path / "register.csv"
    _write_csv(register, _schema(("tests/fixtures/quotas.pol",)), rows)
    return register


def _eval(*args):
    return run_polc("eval", "tests/fixtures/quotas.pol", "--on", "2021-06-30", *args)


def test_the_default_engine_is_duckdb_and_its_outputs_match_the_python_engine(tmp_path):
    register = _register(tmp_path)
    outputs = {}
    for engine in ("duckdb", "python"):
        for suffix in ("jsonl", "csv"):
            out = tmp_path / f"{engine}.{suffix}"
            result = _eval("--batch", register, "--out", out, *(["--engine", engine] if engine == "python" else []))
            assert result.returncode == 0, result.stderr
            outputs[engine, suffix] = out.read_bytes()
            if suffix == "csv":
                outputs[engine, "summary"] = (tmp_path / f"{engine}.summary.json").read_bytes()
    for kind in ("jsonl", "csv", "summary"):
        assert outputs["duckdb", kind] == outputs["python", kind], kind
    assert b"outside_budget" in outputs["duckdb", "jsonl"]


def _decisions(records):
    return [(r["申请人"], r["policies"], r["total"]) for r in records]


def test_parquet_and_duckdb_table_registers_give_the_decisions_of_the_csv(tmp_path):
    register = _register(tmp_path)
    con = duckdb.connect(str(tmp_path / "names.duckdb"))
    con.execute(f"CREATE TABLE 企业名册 AS SELECT * FROM read_csv('{register}', all_varchar = true)")
    con.execute(f"COPY 企业名册 TO '{tmp_path / 'register.parquet'}' (FORMAT parquet)")
    con.close()
    results = {}
    for source in (register, tmp_path / "register.parquet", f"{tmp_path / 'names.duckdb'}:企业名册"):
        result = _eval("--batch", source)
        assert result.returncode == 0, result.stderr
        results[str(source)] = [json.loads(line) for line in result.stdout.splitlines()]
    csv_records, parquet_records, table_records = results.values()
    assert _decisions(parquet_records[:-1]) == _decisions(csv_records[:-1]) == _decisions(table_records[:-1])
    assert [r["line"] for r in parquet_records[:-1]] == list(range(1, 9))  # row numbers, not file lines
    assert [r["line"] for r in csv_records[:-1]] == list(range(2, 10))


def test_parquet_results_hold_the_csv_rows(tmp_path):
    register = _register(tmp_path)
    assert _eval("--batch", register, "--out", tmp_path / "r.csv").returncode == 0
    result = _eval("--batch", register, "--out", tmp_path / "r.parquet")
    assert result.returncode == 0, result.stderr
    con = duckdb.connect()
    parquet = con.execute(f"SELECT * FROM '{tmp_path / 'r.parquet'}'").fetchall()
    with open(tmp_path / "r.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert [[("" if v is None else str(v)) for v in row] for row in parquet] == rows
    assert json.loads((tmp_path / "r.summary.json").read_text(encoding="utf-8"))["summary"]["rows"] == 8


def test_a_register_only_duckdb_reads_is_a_usage_error_for_the_python_engine(tmp_path):
    result = _eval("--batch", tmp_path / "x.parquet", "--engine", "python")
    assert result.returncode == 2 and "DuckDB" in result.stderr


def test_a_missing_table_is_an_error_and_an_existing_out_is_kept(tmp_path):
    database = tmp_path / "names.duckdb"
    duckdb.connect(str(database)).close()
    out = tmp_path / "results.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    result = _eval("--batch", f"{database}:没有这张表", "--out", out)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "没有这张表" in result.stderr and "未写出任何结果" in result.stderr
    assert out.read_text(encoding="utf-8") == "previous\n"


def test_a_refused_register_writes_nothing_on_either_engine(tmp_path):
    register = tmp_path / "register.csv"
    register.write_text("申请人,验收评分,验收评分\nA,1,2\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    messages = set()
    for engine in ("duckdb", "python"):
        result = _eval("--batch", register, "--out", out, "--engine", engine)
        assert result.returncode == 1
        messages.add(result.stderr)
    assert len(messages) == 1 and "重复" in messages.pop()
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_zero_award_is_written_as_zero_not_negative_zero():
    assert runtime.yuan(Decimal("-0.00")) == "0.00" and runtime.yuan(Decimal("-0.004")) == "0.00"
    assert runtime.yuan(Decimal("0") * Decimal("-0.5")) == "0.00"


def test_slices_of_the_register_give_the_same_bytes_as_one_pass(tmp_path, monkeypatch):
    """The per-applicant query runs over slices of register lines (POLC_DUCKDB_CHUNK) and the
    lines are written in slices (OUTPUT_SLICE); quotas and budgets rank across every slice,
    so slices of 7 lines give exactly the output of one pass."""
    schema = _schema(POLICIES)
    rows = list(_rows(schema, 150, 2, tricky=True, named=True))
    register = tmp_path / "register.csv"
    _write_csv(register, schema, rows)
    modules, models = _project(POLICIES)
    outputs = []
    for chunk, slice_lines in (("", sql_batch.OUTPUT_SLICE), ("7", 5)):
        monkeypatch.setenv("POLC_DUCKDB_CHUNK", chunk)
        monkeypatch.setattr(sql_batch, "OUTPUT_SLICE", slice_lines)
        for suffix in ("jsonl", "csv"):
            out, err = io.StringIO(), io.StringIO()
            writer = out if suffix == "jsonl" else compact.CsvWriter(out, io.StringIO())
            sql_batch.run(modules, str(register), "2021-06-30", writer, err, models=models)
            outputs.append((chunk, suffix, out.getvalue(), err.getvalue()))
    (_, _, one_jsonl, one_err), (_, _, one_csv, _), (_, _, sliced_jsonl, sliced_err), (_, _, sliced_csv, _) = outputs
    assert sliced_jsonl == one_jsonl and sliced_err == one_err and sliced_csv == one_csv
    summary = json.loads(one_jsonl.splitlines()[-1])["summary"]
    assert summary["quotas"] and summary["budgets"] and summary["evaluated"] > 20
    assert "outside_" in one_jsonl and "needs_selection" in one_jsonl  # rankings across the slices
    python_out = io.StringIO()
    batch.run(modules, str(register), "2021-06-30", python_out, io.StringIO())
    assert python_out.getvalue() == one_jsonl


def _outputs(register, paths):
    """JSON Lines and CSV of both engines, in process: {(engine, kind): text}."""
    modules, models = _project(paths)
    outputs = {}
    for kind in ("jsonl", "csv"):
        for engine in ("python", "duckdb"):
            out = io.StringIO()
            writer = out if kind == "jsonl" else compact.CsvWriter(out, io.StringIO())
            if engine == "python":
                batch.run(modules, str(register), "2021-06-30", writer, io.StringIO())
            else:
                sql_batch.run(modules, str(register), "2021-06-30", writer, io.StringIO(), models=models)
            outputs[engine, kind] = out.getvalue()
    return outputs


def test_the_pieces_copy_writes_reach_the_output_without_their_ends(tmp_path):
    """COPY writes the JSON pieces each followed by PIECE_END (Engine._jsonl_fragments_sql);
    _append drops every one of them, whether it copies bytes to a UTF-8 file or text to a
    stream of another kind, and copies only the first `size` bytes."""
    end = sql_batch.PIECE_END
    pieces = ['{"line":2,"申请人":"甲","policies":{', '"文号":{', '"paid":{', '"第五条":["exact","1.00"]',
              ',"第六条":null', '}}},"total":{"min":"1.00","max":"1.00"}}\n']
    part = tmp_path / "slice.jsonl"
    part.write_bytes("".join(p + end for p in pieces).encode("utf-8") + b"tail not copied")
    size = part.stat().st_size - len(b"tail not copied")
    expected = "".join(pieces)
    with open(tmp_path / "out.jsonl", "w", encoding="utf-8", newline="") as out:
        sql_batch._append(str(part), out, size, drop=end)
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == expected
    text = io.StringIO()
    sql_batch._append(str(part), text, size, drop=end)
    assert text.getvalue() == expected
    assert end not in expected and json.loads(expected)["policies"]["文号"]["paid"]["第六条"] is None


def _copy_through_fifo(tmp_path, query, out, drop=""):
    con = duckdb.connect()
    try:
        sql_batch._copy_to(con, query, sql_batch.JSON_FRAGMENTS, str(tmp_path), out, drop=drop)
    finally:
        con.close()


def test_copy_goes_through_a_fifo_to_files_and_text_streams_alike(tmp_path):
    """_copy_to: DuckDB's COPY writes into a FIFO that a thread copies to the output as it is
    written. More than a pipe and a read chunk of text (4 MB, Chinese characters split across
    reads) reaches a UTF-8 file as bytes and a StringIO as text, with every piece end dropped;
    a COPY with no row and one that fails before its first row neither hang nor write."""
    query = "SELECT '{\"文号\":' || i || '}' || CASE WHEN i % 7 = 0 THEN chr(10) ELSE '' END FROM range(300000) r(i)"
    expected = "".join('{"文号":%d}%s' % (i, "\n" if i % 7 == 0 else "") for i in range(300000))
    with open(tmp_path / "out.jsonl", "w", encoding="utf-8", newline="") as out:
        out.write("head\n")
        _copy_through_fifo(tmp_path, query, out, drop=sql_batch.PIECE_END)
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == "head\n" + expected
    text = io.StringIO()
    _copy_through_fifo(tmp_path, query, text, drop=sql_batch.PIECE_END)
    assert text.getvalue() == expected and len(expected.encode("utf-8")) > 4 * sql_batch.PIPE_SIZE
    empty = io.StringIO()
    _copy_through_fifo(tmp_path, "SELECT 'x' WHERE false", empty, drop=sql_batch.PIECE_END)
    assert empty.getvalue() == ""
    with pytest.raises(duckdb.Error):
        _copy_through_fifo(tmp_path, "SELECT no_such_column FROM range(3)", io.StringIO())
    with pytest.raises(duckdb.Error):  # fails after its first rows were written
        _copy_through_fifo(tmp_path, "SELECT CASE WHEN i < 300000 THEN 'x' ELSE error('boom') END FROM range(400000) r(i)",
                           io.StringIO())


def test_an_output_that_fails_while_copying_stops_the_run_with_its_error(tmp_path):
    """A write to the output that fails (a full disk) while the thread copies DuckDB's text:
    the thread still reads what DuckDB writes (or DuckDB would wait on a full pipe for ever)
    and the error is raised in the run, as it was raised by the write."""
    class Full(io.StringIO):
        def write(self, text):
            if self.tell() > 100_000:
                raise OSError(28, "No space left on device")
            return super().write(text)
    with pytest.raises(OSError, match="No space left"):
        _copy_through_fifo(tmp_path, "SELECT repeat('x', 100) FROM range(100000)", Full())


@pytest.mark.parametrize("odd", ["#hash", "cr\rx"])
def test_lines_listing_nothing_and_applicants_csv_must_quote_give_the_same_bytes(tmp_path, monkeypatch, odd):
    """The DuckDB engine writes JSON lines as pieces written by COPY and CSV rows by COPY
    (Engine._jsonl_fragments_sql, _write_csv): lines that list no clause (first, last, in a
    slice of their own), applicants with commas, quotes, newlines, tabs, spaces, '#' (which
    DuckDB would quote but csv does not) and a carriage return (which sends the CSV rows
    through Python's writer) give the Python engine's bytes, in slices of every size."""
    nothing = {"平台企业": "否", "另一奖励条件": "否", "申报项目": "否", "择优对象": "否"}
    rows = [{"申请人": "N1", **nothing},
            {"申请人": "a,b", "平台企业": "是", "平台交易额": "7亿元", "申报项目": "是", "验收评分": "90"},
            {"申请人": "q\"uote\nnew line", "平台企业": "是", "另一奖励条件": "是"},
            {"申请人": odd, "申报项目": "是", "验收评分": "80", "择优对象": "是"},
            {"申请人": "N2", **nothing},
            {"申请人": " 空格\t", "平台企业": "是", "平台交易额": "9亿元"},
            {"申请人": "", "另一奖励条件": "是"},
            {"申请人": "N3", **nothing}]
    register = tmp_path / "register.jsonl"
    _write_jsonl(register, rows)
    for slice_lines in (sql_batch.OUTPUT_SLICE, 1, 2, 3):
        monkeypatch.setattr(sql_batch, "OUTPUT_SLICE", slice_lines)
        outputs = _outputs(register, ("tests/fixtures/quotas.pol",))
        assert outputs["duckdb", "jsonl"] == outputs["python", "jsonl"], slice_lines
        assert outputs["duckdb", "csv"] == outputs["python", "csv"], slice_lines
    lines = [json.loads(line) for line in outputs["duckdb", "jsonl"].splitlines()]
    assert [line["policies"] for line in lines if line.get("申请人") in ("N1", "N2", "N3")] == [{}, {}, {}]
    assert odd in outputs["duckdb", "csv"] and '"a,b"' in outputs["duckdb", "csv"]


@pytest.mark.parametrize("masked", [True, False])
def test_grouped_lines_at_every_slice_boundary_with_co_funding_and_all_give_the_python_bytes(tmp_path, monkeypatch,
                                                                                           masked):
    """The JSON lines' pieces (Engine._jsonl_fragments_sql: each reason group's opening on its
    first clause, the policy's key when the policy changes, the tail closing what is open):
    co-funded awards within a budget (a trailing object with the allocation and the funding),
    lines listing nothing, applicants named twice and without 申请人, several policies and
    reason groups on a line, with and without --all, in slices of 1, 2, 3 lines and one pass:
    the bytes of the Python engine. Both ways of finding the reason groups: bitmasks of
    positions, and (forced: MASK_CLAUSES 0, as for policies with more clauses than a HUGEINT
    has bits) the aggregate per line, policy and reason with its window."""
    if not masked:
        monkeypatch.setattr(sql_batch, "MASK_CLAUSES", 0)
    statements = []
    fragments = sql_batch.Engine._jsonl_fragments_sql

    def recorded(self, first_line, last_line):
        statements.append(fragments(self, first_line, last_line))
        return statements[-1]
    monkeypatch.setattr(sql_batch.Engine, "_jsonl_fragments_sql", recorded)
    paths = ("tests/fixtures/quotas.pol", "policies/jnf-2020-16.pol")
    nothing = {"平台企业": "否", "另一奖励条件": "否", "申报项目": "否", "择优对象": "否",
               "列入创建名单": "否", "市本级创建项目": "否"}
    farm = {"市本级创建项目": "是", "补助类别": "其他美丽农场项目"}
    rows = [{"申请人": "N1", **nothing},
            {"申请人": "F1", **farm, "投资额": "150万元", "平台企业": "是", "平台交易额": "7亿元"},
            {"申请人": "F2", **farm, "投资额": "300万元", "列入创建名单": "是", "验收评分": "85"},
            {"申请人": "T1", **nothing, "另一奖励条件": "是"},
            {"申请人": "T1", **farm, "投资额": "120万元"},  # named twice: both rows bad
            {**farm, "投资额": "100万元", "申报项目": "是", "验收评分": "90"},  # competes without 申请人: bad
            {"列入创建名单": "是"},  # no 申请人, nothing it competes for: written, 申请人 null
            {"申请人": "N2", **nothing},
            {"申请人": "F3", **farm, "投资额": "200万元", "补助类别": "镇村集体美丽粮园", "择优对象": "是"},
            {"申请人": "N3", **nothing}]
    register = tmp_path / "register.jsonl"
    _write_jsonl(register, rows)
    modules, models = _project(paths)
    outputs = set()
    for include_all in (False, True):
        python = io.StringIO()
        batch.run(modules, str(register), "2021-06-30", python, io.StringIO(), include_all=include_all)
        for slice_lines in (sql_batch.OUTPUT_SLICE, 1, 2, 3):
            monkeypatch.setattr(sql_batch, "OUTPUT_SLICE", slice_lines)
            sql = io.StringIO()
            sql_batch.run(modules, str(register), "2021-06-30", sql, io.StringIO(), include_all=include_all, models=models)
            assert sql.getvalue() == python.getvalue(), (include_all, slice_lines)
        outputs.add(python.getvalue())
        lines = [json.loads(line) for line in python.getvalue().splitlines()[:-1]]
        by_name = {line["申请人"]: line for line in lines}
        funded = by_name["F2"]["policies"]["嘉农发〔2020〕16号"]
        assert funded["paid"]["第六条第3项"][-1]["allocation"] == "within_budget"
        assert set(funded["paid"]["第六条第3项"][-1]["funding"]) == {"市级财政", "区级财政"}
        assert len(by_name["F1"]["policies"]) == 2  # a policy change inside the line
        assert "T1" not in by_name and [line["申请人"] for line in lines].count(None) == 1
        if not include_all:
            assert [by_name[n]["policies"] for n in ("N1", "N2", "N3")] == [{}, {}, {}]
    assert len(outputs) == 2
    assert statements and all(("masks AS" in statement) == masked and ("groups AS" in statement) != masked
                              for statement in statements)


# ---- issue 13: payments in parts and rates over a run of years, both in SQL
ISSUE13_PARTS = ("tests/language/parts/parts.pol", "tests/language/run-years/run-years.pol")


@pytest.mark.parametrize("form, seed", [("csv", 4), ("jsonl", 5)])
def test_parts_and_run_years_give_the_same_bytes_on_both_engines(tmp_path, form, seed):
    schema = _schema(ISSUE13_PARTS)
    rows = list(_rows(schema, 200, seed))
    register = tmp_path / f"register.{form}"
    if form == "csv":
        _write_csv(register, schema, rows)
    else:
        _write_jsonl(register, rows)
    python, sql, python_err, sql_err = _both(register, paths=ISSUE13_PARTS, on="2023-06-30")
    assert sql == python
    assert sql_err == python_err  # parts and run years are both expressed in SQL: no fallback
    records = [compact.flatten(json.loads(line)) for line in python.splitlines()[:-1]]
    # the parts show in the totals: some applicant is paid less now than the whole award
    assert any(c.get("reason") == "paid" and c.get("kind") == "exact" and c["min"] != c["max"]
               for r in records for c in r["clauses"])
    assert any(c["clause"] == "第四条" and c.get("reason") == "paid" and c["min"] == c["max"]
               for r in records for c in r["clauses"])  # and some is paid the whole award now


def test_the_work_database_has_small_row_groups_so_that_scans_use_every_core(tmp_path):
    """DuckDB scans a table in parallel by row group; the work database's tables are split
    every ROW_GROUP_SIZE rows (DuckDB's own default, 122,880, made a register under that size
    one thread's work). The tables live in the database file of the work directory."""
    con = sql_batch.connect(str(tmp_path))
    try:
        con.execute(f"CREATE TABLE t AS SELECT i FROM range({2 * sql_batch.ROW_GROUP_SIZE + 1}) r(i)")
        groups = con.execute("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('t')").fetchone()[0]
        path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    finally:
        con.close()
    assert groups == 3
    assert sql_batch.ROW_GROUP_SIZE < 122_880 and sql_batch.ROW_GROUP_SIZE % 2048 == 0
    assert path == str(tmp_path / "polc.duckdb")


def test_several_row_groups_on_two_threads_and_spilling_give_the_same_bytes(tmp_path, monkeypatch):
    """Scans split over row groups run on several threads at once, in any order, and a small
    memory limit makes DuckDB spill its tables and sorts to the work directory: neither may
    change a byte (a decision that leaned on the order rows happen to come in would). The
    register's lines fill two row groups of the smallest size DuckDB allows (2,048 rows)."""
    schema = _schema(POLICIES)
    rows = list(_rows(schema, 2048 + 900, 6, named=True))
    for row in rows:  # yearly in a shipped policy, not in the quotas fixture: a bad row either way
        row.pop("平台交易额", None)
    register = tmp_path / "register.csv"
    _write_csv(register, schema, rows)
    modules, models = _project(POLICIES)
    monkeypatch.setattr(sql_batch, "ROW_GROUP_SIZE", 2048)
    monkeypatch.setenv("POLC_DUCKDB_THREADS", "2")
    seen: dict = {}
    listed, write = sql_batch.Engine._listed, sql_batch.Engine._write_jsonl

    def squeezed(engine):  # after the per-applicant query, whose wide rows need more than this
        engine.con.execute(f"SET memory_limit = '{seen['limit']}MB'")
        listed(engine)

    def observed(engine, out):  # what DuckDB holds just before the lines are written
        con = engine.con
        seen["row_groups"] = con.execute(
            "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('register_lines')").fetchone()[0]
        seen["threads"] = con.execute("SELECT current_setting('threads')").fetchone()[0]
        write(engine, out)
        seen["spilled"] = con.execute("SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files()").fetchone()[0]
    monkeypatch.setattr(sql_batch.Engine, "_listed", squeezed)
    monkeypatch.setattr(sql_batch.Engine, "_write_jsonl", observed)
    # The least memory this run needs depends on DuckDB's own allocations (it moved from 80 to
    # 100 MB and back to 90 MB as the statements changed, and varies a little from run to run):
    # the limits are tried from the least up, and the first run that completes must have
    # spilled (a run that completes without spilling means no larger limit would spill either).
    # Steps of 5 MB (round 20): the window where a run spills and completes is 76-88 MB, and
    # at 80 MB a run is sometimes out of memory, so steps of 10 MB could go from 80 (out of
    # memory) straight to 90 (no spill) — 3 runs in 14 failed so.
    for limit in (70, 75, 80, 85, 90, 100, 110, 120):
        seen.clear()
        seen["limit"] = limit
        sql_out, sql_err = io.StringIO(), io.StringIO()
        try:
            sql_batch.run(modules, str(register), "2021-06-30", sql_out, sql_err, models=models)
        except batch.RegisterError as exc:  # the run says so, naming POLC_DUCKDB_MEMORY
            if "Out of Memory" not in str(exc):
                raise
            continue
        break
    else:
        raise AssertionError("no memory limit up to 120 MB let the batch complete")
    assert seen["row_groups"] >= 2 and seen["threads"] == 2 and seen["spilled"] > 0, seen
    python_out, python_err = io.StringIO(), io.StringIO()
    batch.run(modules, str(register), "2021-06-30", python_out, python_err)
    assert sql_out.getvalue() == python_out.getvalue() and sql_err.getvalue() == python_err.getvalue()
    summary = json.loads(sql_out.getvalue().splitlines()[-1])["summary"]
    assert summary["evaluated"] > 2048 and summary["quotas"] and summary["budgets"]


def test_clause_rows_compressed_in_memory_after_each_run_give_the_same_bytes(tmp_path, monkeypatch):
    """The clause rows (as codes: clause_codes, read through the view clause_rows) live in the
    in-memory database `mem` and are compressed there by `CHECKPOINT mem` once it would take more than COMPRESS_SHARE of the memory limit (at 1,000,000
    enterprises; never at this size unless forced): forced after every run of the
    per-applicant query (runs of 7 lines), the rows are stored compressed and every stage
    reading them gives the Python engine's bytes, JSON Lines and CSV, with and without --all."""
    schema = _schema(POLICIES)
    rows = list(_rows(schema, 120, 11, tricky=True, named=True))
    register = tmp_path / "register.csv"
    _write_csv(register, schema, rows)
    modules, models = _project(POLICIES)
    seen: list = []
    listed = sql_batch.Engine._listed

    def observed(engine):
        seen.append(engine.con.execute(
            "SELECT database_name, list(DISTINCT s.compression ORDER BY s.compression) FROM duckdb_tables() t, "
            "pragma_storage_info('mem.clause_codes') s WHERE t.table_name = 'clause_codes' GROUP BY ALL").fetchall())
        listed(engine)
    monkeypatch.setattr(sql_batch.Engine, "_listed", observed)
    monkeypatch.setenv("POLC_DUCKDB_CHUNK", "7")
    monkeypatch.setattr(sql_batch, "OUTPUT_SLICE", 5)  # compressed: the totals slice by slice too
    for share in (sql_batch.COMPRESS_SHARE, 0):
        monkeypatch.setattr(sql_batch, "COMPRESS_SHARE", share)
        for include_all in (False, True):
            for kind in ("jsonl", "csv"):
                python, sql = io.StringIO(), io.StringIO()
                python_writer = python if kind == "jsonl" else compact.CsvWriter(python, io.StringIO())
                sql_writer = sql if kind == "jsonl" else compact.CsvWriter(sql, io.StringIO())
                batch.run(modules, str(register), "2021-06-30", python_writer, io.StringIO(), include_all=include_all)
                sql_batch.run(modules, str(register), "2021-06-30", sql_writer, io.StringIO(), include_all=include_all,
                              models=models)
                assert sql.getvalue() == python.getvalue(), (share, include_all, kind)
    (database, methods), = seen[0]
    assert database == "mem" and methods == ["Uncompressed"]  # as written, not compressed
    (database, methods), = seen[-1]
    assert database == "mem" and "DICT_FSST" in methods and "BitPacking" in methods, methods  # compressed


def test_the_per_applicant_query_runs_in_one_part_when_no_core_is_idle(tmp_path, monkeypatch):
    """With the other cores busy (by the load average) the parts would gain no time and cost CPU
    (Engine._parts, PARTS_IDLE_CORES): the query runs once, with the same bytes as in parts."""
    schema = _schema(POLICIES)
    register = tmp_path / "register.csv"
    _write_csv(register, schema, list(_rows(schema, 40, 5, tricky=True, named=True)))
    modules, models = _project(POLICIES)
    monkeypatch.setattr(sql_batch, "PARTS_FROM_LINES", 0)
    monkeypatch.setenv("POLC_DUCKDB_THREADS", "2")
    ranges: list = []
    in_parallel, idle_cores = sql_batch._in_parallel, sql_batch._idle_cores

    def spied(con, statement, parts):
        ranges.append(parts)
        return in_parallel(con, statement, parts)
    monkeypatch.setattr(sql_batch, "_in_parallel", spied)
    written = {}
    for idle in (0.4, 1.5):
        monkeypatch.setattr(sql_batch, "_idle_cores", lambda: idle)
        out = io.StringIO()
        sql_batch.run(modules, str(register), "2021-06-30", out, io.StringIO(), models=models)
        written[idle] = (out.getvalue(), len(ranges))
    assert written[0.4][1] == 0 and written[1.5][1] == 1  # one run, then two parts
    assert written[0.4][0] == written[1.5][0]
    monkeypatch.setattr(os, "getloadavg", lambda: (3.0, 2.0, 1.0))
    assert idle_cores() == len(os.sched_getaffinity(0)) - 3.0  # the cores, less the 1-minute load


def test_the_per_applicant_query_in_parts_on_two_cursors_gives_the_same_bytes(tmp_path, monkeypatch):
    """A register of one row group (held in memory, under 122,880 rows) is evaluated by the
    per-applicant query in parts on cursors of their own in threads of their own
    (Engine._parts, _in_parallel): the parts give exactly the rows of one run — the Python
    engine's bytes, JSON Lines and CSV, with and without --all, for a CSV register DuckDB
    reads and a JSON Lines one it is handed — and an error in a part stops the run with it."""
    schema = _schema(POLICIES)
    rows = list(_rows(schema, 90, 12, tricky=True, named=True))
    csv_register, jsonl_register = tmp_path / "register.csv", tmp_path / "register.jsonl"
    _write_csv(csv_register, schema, rows)
    _write_jsonl(jsonl_register, rows)
    modules, models = _project(POLICIES)
    monkeypatch.setattr(sql_batch, "PARTS_FROM_LINES", 0)
    monkeypatch.setattr(sql_batch, "_idle_cores", lambda: 2.0)  # whatever else the machine runs
    monkeypatch.setenv("POLC_DUCKDB_THREADS", "2")
    ranges: list = []
    in_parallel = sql_batch._in_parallel

    def spied(con, statement, parts):
        ranges.append(parts)
        return in_parallel(con, statement, parts)
    monkeypatch.setattr(sql_batch, "_in_parallel", spied)
    for register in (csv_register, jsonl_register):
        for include_all in (False, True):
            for kind in ("jsonl", "csv"):
                python, sql = io.StringIO(), io.StringIO()
                python_err, sql_err = io.StringIO(), io.StringIO()
                python_writer = python if kind == "jsonl" else compact.CsvWriter(python, io.StringIO())
                sql_writer = sql if kind == "jsonl" else compact.CsvWriter(sql, io.StringIO())
                batch.run(modules, str(register), "2021-06-30", python_writer, python_err, include_all=include_all)
                sql_batch.run(modules, str(register), "2021-06-30", sql_writer, sql_err, include_all=include_all,
                              models=models)
                assert sql.getvalue() == python.getvalue(), (register.name, include_all, kind)
                assert sql_err.getvalue() == python_err.getvalue()
    assert len(ranges) == 8 and all(len(parts) == 2 for parts in ranges), ranges
    low, high = ranges[0][0][0], ranges[0][-1][1]
    assert ranges[0][0][1] + 1 == ranges[0][1][0] and high - low + 1 >= 80  # the lines, in two halves
    with pytest.raises(duckdb.Error, match="boom"):  # a part that fails: its error, no hang
        con = sql_batch.connect(str(tmp_path))
        try:
            con.execute("CREATE TABLE mem.t (i BIGINT)")
            con.execute("CREATE VIEW register AS SELECT i AS _line FROM range(100) r(i) "
                        "WHERE i BETWEEN getvariable('polc_low') AND getvariable('polc_high')")
            sql_batch._in_parallel(con, "INSERT INTO t SELECT CASE WHEN _line = 70 THEN error('boom') ELSE _line END "
                                   "FROM register", [(0, 49), (50, 99)])
        finally:
            con.close()
    (tmp_path / "again").mkdir()
    con = sql_batch.connect(str(tmp_path / "again"))
    try:
        con.execute("CREATE TABLE mem.t (i BIGINT)")
        con.execute("CREATE VIEW register AS SELECT i AS _line FROM range(100) r(i) "
                    "WHERE i BETWEEN getvariable('polc_low') AND getvariable('polc_high')")
        assert sql_batch._in_parallel(con, "INSERT INTO t SELECT _line FROM register", [(0, 49), (50, 99)]) == 100
        assert con.execute("SELECT count(DISTINCT i), min(i), max(i) FROM t").fetchone() == (100, 0, 99)
    finally:
        con.close()
