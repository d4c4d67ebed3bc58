"""Compact batch results (issue 10): the default output of `polc eval … --batch`, its CSV and
Parquet forms, and `--trace` / `--explain`, which give the full records (with the Chinese
trace) the compact rows are a projection of."""

import csv
import io
import json
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from compiler import batch, compact, driver, runtime

from conftest import ROOT, golden, run_polc

REGISTERS = ROOT / "tests" / "fixtures" / "registers"
GOLDEN = ROOT / "tests" / "golden" / "batch"
ON = "2021-06-30"
# name: (policies, register) — together they give every reason code but not_applicable.
CASES = {
    "quotas": (["tests/fixtures/quotas.pol"], "quotas.csv"),        # paid, quota, budget, selection, 就高
    "awards": (["policies/jzbf-2020-10.pol"], "awards.jsonl"),       # routing, list_over
    "industrial": (["policies/jzf-2020-08.pol", "policies/jzbf-2020-14.pol"], "industrial.jsonl"),  # modifier
}


def _run(tmp_path, name, *extra, out="results.jsonl"):
    policies, register = CASES[name]
    target = tmp_path / out
    result = run_polc("eval", *policies, "--batch", f"tests/fixtures/registers/{register}", "--on", ON,
                      "--out", target, *extra)
    return result, target


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("engine", ["python", "duckdb"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_compact_output_is_golden_and_the_projection_of_the_traced_records(tmp_path, name, engine):
    # Both engines write the same bytes; the traced records come from the Python evaluator.
    result, out = _run(tmp_path, name, "--engine", engine)
    assert result.returncode == 0, result.stderr
    golden(GOLDEN / f"{name}.jsonl", out.read_text(encoding="utf-8"))
    traced, traced_out = _run(tmp_path, name, "--trace", out="traced.jsonl")
    assert traced.returncode == 0, traced.stderr
    compact_rows, full_rows = _lines(out), _lines(traced_out)
    assert compact_rows[-1] == full_rows[-1]  # the same summary
    assert compact_rows[:-1] == [compact.grouped(compact.project(record)) for record in full_rows[:-1]]
    assert all("trace" not in json.dumps(row, ensure_ascii=False) for row in compact_rows[:-1])
    _assert_recoverable(compact_rows[:-1], [compact.project(record) for record in full_rows[:-1]])


def _assert_recoverable(lines, records):
    """flatten gives back every row of the record (in the line's order: by policy, then by
    reason group), and grouping it again gives the same line."""
    for line, record in zip(lines, records, strict=True):
        flat = compact.flatten(line)
        key = lambda row: json.dumps(row, ensure_ascii=False, sort_keys=True)  # noqa: E731
        assert sorted(map(key, flat["clauses"])) == sorted(map(key, record["clauses"]))
        assert [list(row) for row in flat["clauses"]] == [list(row) for row in sorted(
            record["clauses"], key=lambda r: [key(x) for x in flat["clauses"]].index(key(r)))]
        assert compact.grouped(flat) == line and flat["total"] == record["total"]


def test_the_golden_registers_give_every_reason_code():
    seen = set()
    for name in CASES:
        for record in _lines(GOLDEN / f"{name}.jsonl")[:-1]:
            seen.update(why for reasons in record["policies"].values() for why in reasons)
    assert seen == set(compact.Reason) - {compact.Reason.NOT_APPLICABLE}


def test_all_lists_the_clauses_that_do_not_apply_as_not_applicable(tmp_path):
    result, out = _run(tmp_path, "quotas", "--all")
    assert result.returncode == 0, result.stderr
    first = compact.flatten(_lines(out)[0])
    assert sorted(c["clause"] for c in first["clauses"]) == ["第一条", "第三条", "第二条", "第四条"]
    no = compact.flatten(_lines(out)[-2])  # S2: only 择优对象 known
    assert no["申请人"] == "S2"
    assert [c["reason"] for c in no["clauses"]] == ["undecidable", "undecidable", "undecidable", "needs_selection"]
    u1 = compact.flatten(next(r for r in _lines(out)[:-1] if r["申请人"] == "U1"))  # 平台企业 = 否
    assert u1["clauses"][0] == {"policy": "测试〔2020〕9号", "clause": "第一条", "reason": "not_applicable"}


def test_the_traced_record_is_the_full_record_of_polc_eval_for_that_row(tmp_path):
    result, out = _run(tmp_path, "industrial", "--trace")
    assert result.returncode == 0, result.stderr
    project = driver.load([str(ROOT / p) for p in CASES["industrial"][0]])
    modules = [driver.load_module(p) for p in project.policies]
    rows = _lines(REGISTERS / "industrial.jsonl")
    for record, row in zip(_lines(out)[:-1], rows, strict=True):
        facts = {k: v for k, v in row.items() if k != "申请人"}
        single = runtime.evaluate_policies([(m.POLICY, m.CLAUSES) for m in modules], facts, ON).to_json()
        assert record["applicant"] == row["申请人"] and record["on"] == single["on"]
        assert record["clauses"] == [c for c in single["clauses"] if c["applies"] is not False]
        assert record["total"] == single["total"] and record["warnings"] == single["warnings"]
        assert any(c["trace"] for c in record["clauses"])
    scaled = next(c for c in _lines(out)[1]["clauses"] if c["article"] == "第三条" and c["item"] == 6)
    assert scaled["award"]["max"] == "3000000.00" and any("系数1.5" in line for line in scaled["trace"])


def test_explain_writes_the_full_records_of_the_rows_named_only(tmp_path):
    result, out = _run(tmp_path, "quotas", "--explain", "Z-tie", "@2")
    assert result.returncode == 0, result.stderr
    records = _lines(out)
    assert [(r["line"], r["applicant"]) for r in records[:-1]] == [(2, "P00"), (11, "Z-tie")]
    tie = records[1]["clauses"][0]
    assert tie["allocation"] == "outside_quota" and tie["paid"] is False and "名额已满（排第12位）" in tie["reason"]
    full, _ = _run(tmp_path, "quotas", out="all.jsonl")
    assert records[-1] == _lines(tmp_path / "all.jsonl")[-1]  # the summary counts every row


def test_explain_of_an_id_that_names_no_row_says_so_and_exits_1(tmp_path):
    result, out = _run(tmp_path, "quotas", "--explain", "P00", "NOBODY", "@999", "--lang", "en")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--explain NOBODY, @999: no evaluated row" in result.stderr
    assert len(_lines(out)) == 2  # P00, then the summary


def test_explain_of_a_bad_row_is_an_id_that_names_no_evaluated_row(tmp_path):
    register = tmp_path / "reg.jsonl"
    register.write_text('{"申请人": "甲", "平台企业": "perhaps"}\n{"申请人": "乙", "平台企业": true}\n'
                        '{"申请人": "丙"}\n{"申请人": "丙"}\n', encoding="utf-8")
    result = run_polc("eval", "tests/fixtures/quotas.pol", "--batch", register, "--on", ON, "--out",
                      tmp_path / "r.jsonl", "--explain", "甲", "乙", "丙", "--lang", "en")
    assert result.returncode == 1, result.stderr
    assert "--explain 丙, 甲: no evaluated row" in result.stderr
    assert [r.get("applicant") for r in _lines(tmp_path / "r.jsonl")] == ["乙", None]


@pytest.mark.parametrize("extra", [["--trace"], ["--explain", "P00"]])
def test_full_records_are_json_lines_only(tmp_path, extra):
    result, out = _run(tmp_path, "quotas", *extra, "--lang", "en", out="results.csv")
    assert result.returncode == 2 and "as JSON Lines only" in result.stderr
    assert not out.exists() and not (tmp_path / "results.summary.json").exists()


def test_trace_goes_with_batch_only():
    result = run_polc("eval", "policies/jzf-2020-06.pol", "--facts", "-", "--trace", stdin="{}")
    assert result.returncode == 2 and "--batch" in result.stderr


def test_csv_output_one_row_per_listed_clause_and_the_summary_beside_it(tmp_path):
    result, out = _run(tmp_path, "quotas", out="results.csv")
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith("\ufeff".encode())  # Excel reads the Chinese as Chinese
    golden(GOLDEN / "quotas.csv", data.decode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == compact.CSV_COLUMNS
    _, jsonl = _run(tmp_path, "quotas")
    records = _lines(jsonl)
    expected = [[str(v) if v is not None else "" for v in row] for r in records[:-1]
                for row in compact.csv_rows(compact.flatten(r))]
    assert sorted(list(row.values()) for row in rows) == sorted(expected)  # (the golden holds the order)
    summary = json.loads((tmp_path / "results.summary.json").read_text(encoding="utf-8"))
    assert summary == records[-1]
    assert "共 25 行：评估 25 行" in result.stdout


def test_parquet_output_has_typed_columns(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    result, out = _run(tmp_path, "quotas", out="results.parquet")
    assert result.returncode == 0, result.stderr
    table = duckdb.sql(f"SELECT * FROM read_parquet('{out}') ORDER BY line, policy, clause")
    assert [c for c in table.columns] == list(compact.CSV_COLUMNS)
    types = dict(zip(table.columns, map(str, table.types)))
    assert types["line"] == "BIGINT" and types["min"] == "DECIMAL(38,2)" and types["申请人"] == "VARCHAR"
    rows = table.fetchall()
    _, jsonl = _run(tmp_path, "quotas")
    expected = sorted((r["line"], r["申请人"], c["policy"], c["clause"], c["reason"], c.get("kind"),
                       None if c.get("min") is None else Decimal(c["min"]),
                       None if c.get("max") is None else Decimal(c["max"]),
                       None if c.get("could_pay") is None else Decimal(c["could_pay"]), c.get("allocation"))
                      for r in map(compact.flatten, _lines(jsonl)[:-1]) for c in r["clauses"])
    assert sorted(rows) == expected
    assert (tmp_path / "results.summary.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------- size
def test_a_register_of_enterprises_with_their_facts_known_is_under_1_kb_each(tmp_path):
    """Enterprises whose facts for 嘉政发〔2020〕6号 are all known (random values from the
    policy's own facts): what a register prepared for the policy gives."""
    policy = "policies/jzf-2020-06.pol"
    project = driver.load([policy])
    schema = driver.load_module(project.policies[0]).POLICY.schema
    rng = random.Random(10)
    register = tmp_path / "register.jsonl"
    with open(register, "w", encoding="utf-8") as handle:
        for number in range(300):
            row = {"申请人": f"E{number:05d}"}
            row.update({name: _value(rng, spec) for name, spec in schema.items()})
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    out = tmp_path / "results.jsonl"
    result = run_polc("eval", policy, "--batch", register, "--on", ON, "--out", out)
    assert result.returncode == 0, result.stderr
    lines = out.read_bytes().splitlines()[:-1]
    assert len(lines) == 300
    assert sum(map(len, lines)) / len(lines) <= 1024, sum(map(len, lines)) / len(lines)
    assert max(map(len, lines)) <= 2048


def _value(rng, spec):
    base, series, options, items = spec

    def scalar():
        return {"money": lambda: str(rng.choice([0, 1, 5, 50, 500, 3000, 20000, 300000]) * 10000),
                "number": lambda: rng.randint(0, 300), "percent": lambda: f"{rng.randint(-20, 60)}%",
                "bool": lambda: rng.random() < 0.3, "year": lambda: rng.randint(2016, 2021),
                "date": lambda: "2020-06-30", "text": lambda: f"H{rng.randint(1, 9)}"}.get(
            base, lambda: rng.choice(options))()
    if series:
        return {str(year): scalar() for year in range(2016, 2021)}
    if items:
        return [scalar() for _ in range(rng.randint(1, 3))]
    return scalar()


# ---------------------------------------------------------------- property
_MODULES = {}


def _modules(paths):
    key = tuple(paths)
    if key not in _MODULES:
        project = driver.load([str(ROOT / p) for p in paths])
        assert not project.has_errors
        _MODULES[key] = [driver.load_module(p) for p in project.policies]
    return _MODULES[key]


def _batch_text(modules, register_text, suffix, **options):
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=suffix, encoding="utf-8", delete=False) as handle:
        handle.write(register_text)
    out = io.StringIO()
    try:
        summary = batch.run(modules, handle.name, ON, out, io.StringIO(), **options)
    finally:
        import os
        os.unlink(handle.name)
    return [json.loads(line) for line in out.getvalue().splitlines()], summary


_maybe = lambda values: st.one_of(st.none(), st.sampled_from(values))  # noqa: E731 — a missing value is a case
_platform_row = st.fixed_dictionaries({
    "平台企业": _maybe([True, False]), "平台交易额": _maybe(["6亿元", "6亿元", "9亿元", "12亿元"]),
    "另一奖励条件": _maybe([True, False]), "申报项目": _maybe([True, False]),
    "验收评分": _maybe([60, 80, 80, 95]), "择优对象": _maybe([True, False])})
_industrial_row = st.fixed_dictionaries({
    "智能化改造投资项目": _maybe([True, False]), "经认定高质量项目": _maybe([True, False]),
    "项目实施年度": _maybe([2019, 2020, 2021]), "投资额": _maybe(["300万元", "1000万元", "5000万元"]),
    "重点行业绩效评价领跑企业": _maybe([True, False]), "项目类别": _maybe(["生产性服务业", "其他"]),
    "项目投资方式": _maybe(["新增投资项目", "融资租赁购置设备"]), "竣工验收": _maybe([True, False])})


SHIPPED = ("policies/jnf-2020-16.pol", "policies/jrs-2020-11.pol", "policies/jzbf-2020-10.pol",
           "policies/jzbf-2020-14.pol", "policies/jzf-2020-06.pol", "policies/jzf-2020-08.pol")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32), st.integers(1, 6), st.sampled_from([0.0, 0.15, 0.5]))
def test_compact_output_is_the_projection_of_the_full_output_for_random_registers_of_every_policy(
        seed, size, missing):
    """Every fact of the six policies, random values from each fact's type, some missing: every
    way a clause decides (first crossings, runs of years, tiers, items, modifiers) is reached."""
    modules = _modules(SHIPPED)
    schema = {}
    for module in modules:
        schema.update(module.POLICY.schema)
    rng = random.Random(seed)
    rows = [{"申请人": f"E{n}", **{name: _value(rng, spec) for name, spec in sorted(schema.items())
                                  if rng.random() >= missing}} for n in range(size)]
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    compact_rows, compact_summary = _batch_text(modules, text, ".jsonl")
    full_rows, full_summary = _batch_text(modules, text, ".jsonl", explain=batch.Explain(every=True))
    assert compact_summary == full_summary and compact_summary["evaluated"] == size
    projected = [compact.project(record) for record in full_rows[:-1]]
    assert compact_rows[:-1] == [compact.grouped(record) for record in projected]
    _assert_recoverable(compact_rows[:-1], projected)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([(("tests/fixtures/quotas.pol",), _platform_row),
                        (("policies/jzf-2020-06.pol", "policies/jzf-2020-08.pol", "policies/jzbf-2020-14.pol"),
                         _industrial_row)]).flatmap(
    lambda case: st.tuples(st.just(case[0]), st.lists(case[1], min_size=1, max_size=14))),
    st.booleans())
def test_compact_output_is_the_projection_of_the_full_output_for_random_registers(case, include_all):
    paths, rows = case
    modules = _modules(paths)
    text = "".join(json.dumps({"申请人": f"A{n:02d}", **{k: v for k, v in row.items() if v is not None}},
                              ensure_ascii=False) + "\n" for n, row in enumerate(rows))
    compact_rows, compact_summary = _batch_text(modules, text, ".jsonl", include_all=include_all)
    full_rows, full_summary = _batch_text(modules, text, ".jsonl", include_all=include_all,
                                          explain=batch.Explain(every=True))
    assert compact_summary == full_summary
    projected = [compact.project(record) for record in full_rows[:-1]]
    assert compact_rows[:-1] == [compact.grouped(record) for record in projected]
    _assert_recoverable(compact_rows[:-1], projected)


# ---------------------------------------------------------------- the speed paths decide as before
_OLD_SCAN = __import__("re").compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _depth_by_scan(text):
    """The depth check as it was: one match at a time over strings and brackets."""
    depth = deepest = 0
    for match in _OLD_SCAN.finditer(text):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > 16:
                return deepest
        elif match.group() in "]}":
            depth -= 1
    return deepest


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[]"\\a:,', max_size=80))
def test_the_json_depth_check_counts_as_the_scan_did(text):
    from compiler import source
    assert source._depth(text) == _depth_by_scan(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(0, 10**30).map(str), st.from_regex(r"\A0*[0-9]{1,30}\Z")))
def test_plain_whole_yuan_read_fast_are_read_as_the_pattern_reads_them(text):
    # The pattern's reading: with a unit 元 the fast path does not apply.
    try:
        expected = runtime.parse_money(text + "元", "x")
    except runtime.FactError as exc:
        expected = exc.problem_en
    try:
        actual = runtime.parse_money(text, "x")
    except runtime.FactError as exc:
        actual = exc.problem_en
    assert actual == expected


def test_a_bad_year_or_value_of_a_series_is_named_with_its_year():
    schema = {"营业收入": ("money", True, None, False)}
    with pytest.raises(runtime.FactError) as caught:
        runtime.validate_facts({"营业收入": {"2019": "1亿元", "2020": "lots"}}, schema)
    assert caught.value.fact == "营业收入.2020"
    with pytest.raises(runtime.FactError) as caught:
        runtime.validate_facts({"营业收入": {"2019": "1亿元", "20x9": "1"}}, schema)
    assert caught.value.fact == "营业收入.20x9"
    with pytest.raises(runtime.FactError) as caught:
        runtime.validate_facts({"营业收入": {"2019": "1亿元", "2019年": "2亿元"}}, schema)
    assert caught.value.fact == "营业收入.2019年" and "2019" in caught.value.problem_en
    assert runtime.validate_facts({"营业收入": {"2019": "1亿元", "2020": None}}, schema) == {
        "营业收入": {2019: Decimal(100000000)}}
