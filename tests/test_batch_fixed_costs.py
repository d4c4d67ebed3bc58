"""The fixed costs of `polc eval POLICY… --batch REGISTER`: the verified generated modules are
used as `eval --facts` uses them (compiler/fast_eval.py), and the per-applicant SQL text is kept
in polc's cache (compiler/sql_cache.py), named by exactly what it is made from — so a second run
of an unchanged batch neither parses, lowers, generates Python nor runs sqlglot, an edited
policy, another --on or a register with other years never meets an old query, and the output
is the same bytes with the cache, without it, and compiling in memory."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings, strategies as st

from compiler import cli, fast_eval, sql_cache, sql_register

from conftest import ROOT

TIERS = (ROOT / "tests" / "language" / "each-tier-crossed" / "each-tier-crossed.pol").read_text(encoding="utf-8")
# Modules that mean the compiler did work a cached batch does not need: parsing (lark, the
# parser), checking and lowering (driver, lower), generating Python (to_python) or SQL (to_sql,
# sqlglot). jinja2 too (code generation).
COMPILER_WORK = ("lark", "sqlglot", "jinja2", "compiler.parser", "compiler.lalr", "compiler.driver",
                 "compiler.lower", "compiler.to_python", "compiler.to_sql", "compiler.checks")
ON = "2023-06-30"


def polc(cwd, *args, cache):
    """`polc ARGS` in a fresh interpreter, as a user runs it, with this cache directory
    ("" = none); stderr's last line lists the modules of COMPILER_WORK it imported."""
    code = ("import sys; from compiler import cli; rc = cli.main(sys.argv[1:]); "
            f"print('IMPORTED', ','.join(sorted(m for m in sys.modules if m in {COMPILER_WORK!r} "
            f"or m.split('.')[0] in {COMPILER_WORK!r})), file=sys.stderr); sys.exit(rc)")
    env = dict(os.environ, PYTHONPATH=str(ROOT), POLC_CACHE_DIR=str(cache))
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                            env=env, timeout=300)
    *stderr, imported = result.stderr.rstrip("\n").split("\n")
    assert imported.startswith("IMPORTED "), result.stderr
    result.stderr = "\n".join(stderr)
    result.imported = set(filter(None, imported[len("IMPORTED "):].split(",")))
    return result


def batch(root, register, cache, *extra, on=ON, out="results.jsonl"):
    """One batch run; returns (result, the bytes of --out)."""
    target = root / out
    result = polc(root, "eval", "policies", "--batch", register, "--on", on, "--out", target, *extra, cache=cache)
    assert result.returncode == 0, result.stderr
    return result, target.read_bytes()


def entries(cache) -> set[str]:
    return {path.name for path in cache.glob("sql-*.sql")} if cache.is_dir() else set()


@pytest.fixture
def project(tmp_path):
    """A project of one policy with a yearly fact (its query depends on the register's years),
    built, with its own cache, and two registers: one with the years 2021 and 2022, one with
    2022 only."""
    root = tmp_path / "project"
    (root / "policies").mkdir(parents=True)
    (root / "polc.toml").write_text("", encoding="utf-8")
    (root / "policies" / "tiers.pol").write_text(TIERS, encoding="utf-8")
    (root / "two-years.csv").write_text("申请人,年营业收入.2021,年营业收入.2022\n"
                                        "A,800万元,2500万元\nB,1500万元,2500万元\nC,,2500万元\nD,900万元,5000.01万元\n",
                                        encoding="utf-8")
    (root / "one-year.csv").write_text("申请人,年营业收入.2022\nA,2500万元\nB,2500万元\nC,2500万元\nD,5000.01万元\n",
                                       encoding="utf-8")
    cache = tmp_path / "cache"
    built = polc(root, "build", "policies", cache=cache)
    assert built.returncode == 0, built.stderr
    return root, cache


def test_a_second_batch_of_the_shipped_policies_does_no_compiler_work_and_writes_the_same_bytes(tmp_path):
    # The six shipped policies, as a user runs them after `polc build`: the first run makes the
    # SQL text (sqlglot) and keeps it; the second takes the modules from generated/ and the
    # query from the cache — no Lark, no lowering, no to_python, no sqlglot — and writes the
    # same bytes as a run with no cache at all (which compiles everything in memory).
    cache = tmp_path / "cache"
    register = tmp_path / "register.csv"
    sys.path.insert(0, str(ROOT / "bench"))
    import batch_bench
    batch_bench.write_register_csv(register, 40)  # every fact of the six policies, 85% filled
    assert polc(ROOT, "build", "--check", cache=cache).returncode == 0  # records generated/ as current
    first, first_out = batch(ROOT, register, cache, on="2021-06-30", out=tmp_path / "first.jsonl")
    assert {"sqlglot", "compiler.to_sql"} <= first.imported  # the query was made this time
    assert len(entries(cache)) == 1
    second, second_out = batch(ROOT, register, cache, on="2021-06-30", out=tmp_path / "second.jsonl")
    assert second.imported == set(), f"an unchanged batch imported {second.imported}"
    none, none_out = batch(ROOT, register, "", on="2021-06-30", out=tmp_path / "none.jsonl")
    assert {"lark", "compiler.to_python", "sqlglot"} <= none.imported  # no cache: everything compiled
    assert first_out == second_out == none_out
    assert first.stdout == second.stdout == none.stdout and first.stderr == second.stderr == none.stderr
    assert b'"paid"' in second_out  # the register does earn something


@pytest.fixture
def inline(project, monkeypatch, capsys):
    """A batch run in this process (cheaper than a fresh interpreter, for the tests that compare
    bytes rather than imports): (stdout, stderr, the bytes of --out)."""
    root, cache = project
    monkeypatch.chdir(root)

    def run(register, *extra, on=ON, out="results.jsonl", cache=cache):
        monkeypatch.setenv("POLC_CACHE_DIR", str(cache))
        capsys.readouterr()
        code = cli.main(["eval", "policies", "--batch", register, "--on", on, "--out", out, *map(str, extra)])
        stdout, stderr = capsys.readouterr()
        assert code == 0, stderr
        return stdout, stderr, (root / out).read_bytes()

    return run


def test_cached_compiled_and_uncached_runs_write_the_same_bytes_in_every_format(project, inline, tmp_path):
    root, cache = project
    empty = tmp_path / "empty"
    empty.mkdir()
    first = batch(root, "two-years.csv", cache)[0]
    assert "sqlglot" in first.imported and len(entries(cache)) == 1  # the query made, and kept
    for extra, out in (((), "r.jsonl"), (("--all",), "r.jsonl"), ((), "r.csv"), ((), "r.parquet"),
                       (("--engine", "python"), "r.jsonl"), (("--trace",), "r.jsonl")):
        cached = inline("two-years.csv", *extra, out=out)  # modules from generated/, query from the cache
        compiled = inline("two-years.csv", *extra, "--generated", empty, out=out)  # modules compiled in memory
        uncached = inline("two-years.csv", *extra, out=out, cache="")  # no cache at all
        assert cached == compiled == uncached, (extra, out)
        if out.endswith((".csv", ".parquet")):
            assert (root / "r.summary.json").exists()
    assert len(entries(cache)) == 2  # the default query and --all's (which keeps every row)


def test_an_edited_policy_another_date_or_other_years_never_meet_an_old_query(project, inline):
    root, cache = project
    policy = root / "policies" / "tiers.pol"

    def agrees_with_no_cache(register, on=ON, stale=False):
        stdout, stderr, cached = inline(register, on=on)
        no_cache = inline(register, on=on, cache="")
        assert (stdout, cached) == no_cache[::2]
        # A stale module is said on stderr, in other words without the cache (as for --facts).
        assert ("polc build" in stderr and "polc build" in no_cache[1]) if stale else stderr == no_cache[1]
        return cached

    base = agrees_with_no_cache("two-years.csv")
    assert len(entries(cache)) == 1
    assert '"A","policies":{"县政发[2022]3号":{"paid":{"第四条":["exact","300000.00"]' in base.decode()

    # Another date: the assessed year moves (2023 has no column: every row cannot be decided).
    later = agrees_with_no_cache("two-years.csv", on="2024-06-30")
    assert later != base and len(entries(cache)) == 2

    # A register with other year columns: 2021 unknown, so the crossings cannot be decided.
    other_years = agrees_with_no_cache("one-year.csv")
    assert other_years != base and len(entries(cache)) == 3

    # An edited policy (a tier's amount): generated/ is stale, the query is made again.
    policy.write_text(TIERS.replace("1000万元 → 10万元", "1000万元 → 15万元").replace("预期 30万元", "预期 35万元")
                      .replace("预期 80万元", "预期 85万元"), encoding="utf-8")
    edited = agrees_with_no_cache("two-years.csv", stale=True)
    assert edited != base and "350000.00" in edited.decode() and len(entries(cache)) == 4
    # ...and once built again, the fast path, with the query kept for the edited text.
    assert polc(root, "build", "policies", cache=cache).returncode == 0
    rebuilt, rebuilt_out = batch(root, "two-years.csv", cache)
    assert rebuilt.imported == set() and rebuilt_out == edited and len(entries(cache)) == 4

    # Back to the first text: its query is still kept, and used.
    policy.write_text(TIERS, encoding="utf-8")
    assert polc(root, "build", "policies", cache=cache).returncode == 0
    again, again_out = batch(root, "two-years.csv", cache)
    assert again.imported == set() and again_out == base and len(entries(cache)) == 4


def test_an_edited_vocabulary_is_part_of_the_sources(tmp_path):
    # The shipped policies import vocabulary.pol: editing it alone gives another key.
    import shutil
    from compiler import driver
    root = tmp_path / "p"
    shutil.copytree(ROOT / "policies", root / "policies")
    (root / "polc.toml").write_text("", encoding="utf-8")
    on = datetime.date(2021, 6, 30)

    def key():
        project = driver.load([str(root / "policies")], overlaps=False)
        assert not project.has_errors
        return cli._project_models(project).key(on, {})

    before = key()
    assert key() == before
    vocabulary = root / "policies" / "vocabulary.pol"
    vocabulary.write_text(vocabulary.read_text(encoding="utf-8") + "# 改动\n", encoding="utf-8")
    assert key() != before


def test_the_key_is_made_of_exactly_the_inputs(monkeypatch):
    sources = [["/p/a.pol", [["policies/a.pol", "0" * 64]]]]
    models = sql_cache.Models(sources, lambda: pytest.fail("the models are not needed for a key"))
    on = datetime.date(2021, 6, 30)
    key = models.key(on, {"营业收入": (2019, 2020)})
    assert key == models.key(on, {"营业收入": [2020, 2019]})  # the years as a set
    assert models.made_count == 0 and len(models) == 1 and models
    others = {
        models.key(on + datetime.timedelta(days=1), {"营业收入": (2019, 2020)}),
        models.key(on, {"营业收入": (2019, 2020, 2021)}),
        models.key(on, {"营业收入": (2019, 2020), "利润": (2020,)}),
        models.key(on, {}),
        models.key(on, {"营业收入": (2019, 2020)}, only_listed=False),  # --all: every row kept by the query
        sql_cache.Models([["/p/a.pol", [["policies/a.pol", "1" * 64]]]], list).key(on, {"营业收入": (2019, 2020)}),
        sql_cache.Models([["/q/a.pol", [["policies/a.pol", "0" * 64]]]], list).key(on, {"营业收入": (2019, 2020)}),
        sql_cache.Models(sources + [["/p/b.pol", [["policies/b.pol", "0" * 64]]]], list).key(
            on, {"营业收入": (2019, 2020)}),
    }
    monkeypatch.setattr(sql_cache, "compiler_fingerprint", lambda: "another polc")
    others.add(models.key(on, {"营业收入": (2019, 2020)}))
    monkeypatch.undo()
    monkeypatch.setattr(sql_cache, "sqlglot_version", lambda: "0.0.0")
    others.add(models.key(on, {"营业收入": (2019, 2020)}))
    assert key not in others and len(others) == 10


def test_sqlglot_version_is_read_without_importing_it():
    import sqlglot
    assert sql_cache.sqlglot_version() == sqlglot.__version__


class _Engine:
    def __init__(self, models, on=datetime.date(2021, 6, 30), years=None):
        self.models, self.on = models, on
        self.loaded = type("Loaded", (), {"years": years or {}})()
        self.include_all = False
        self.made = 0


def test_a_query_is_made_once_then_read_and_an_unsupported_one_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("POLC_CACHE_DIR", str(tmp_path / "cache"))

    def make(engine):
        engine.made += 1
        return f"SELECT {len(list(engine.models))}"

    query = sql_cache.cached(make)
    models = sql_cache.Models([["/p/a.pol", []]], lambda: ["model"])
    first, second = _Engine(models), _Engine(sql_cache.Models([["/p/a.pol", []]], lambda: pytest.fail("made")))
    assert query(first) == "SELECT 1" and first.made == 1 and models.made_count == 1
    assert query(second) == "SELECT 1" and second.made == 0  # from the cache: nothing made
    monkeypatch.setenv("POLC_SQL_CLAUSES", "python")  # the runtime stands in: never from the cache
    third = _Engine(sql_cache.Models([["/p/a.pol", []]], lambda: ["model"]))
    assert query(third) == "SELECT 1" and third.made == 1
    monkeypatch.delenv("POLC_SQL_CLAUSES")

    unsupported = sql_cache.cached(lambda engine: None)  # to_sql.SqlUnsupported: the runtime decides
    before = entries(tmp_path / "cache")
    assert unsupported(_Engine(sql_cache.Models([["/p/other.pol", []]], list))) is None
    assert entries(tmp_path / "cache") == before
    plain = _Engine(["model"])  # a caller's own list of models: made as before, not kept
    assert query(plain) == "SELECT 1" and plain.made == 1 and entries(tmp_path / "cache") == before

    monkeypatch.setenv("POLC_CACHE_DIR", "")  # no cache: made every time
    fourth = _Engine(sql_cache.Models([["/p/a.pol", []]], lambda: ["model"]))
    assert query(fourth) == "SELECT 1" and fourth.made == 1


def test_the_cache_keeps_the_most_recently_used_entries(tmp_path, monkeypatch):
    base = tmp_path / "cache"
    monkeypatch.setenv("POLC_CACHE_DIR", str(base))
    query = sql_cache.cached(lambda engine: "SELECT 1")
    days = [datetime.date(2021, 1, 1) + datetime.timedelta(days=n) for n in range(sql_cache.KEEP + 2)]
    engine = {day: _Engine(sql_cache.Models([["/p/a.pol", []]], list), on=day) for day in days}
    name = {day: engine[day].models.key(day, {}) for day in days}
    past = time.time_ns() - 10**13
    for n, day in enumerate(days[:sql_cache.KEEP]):  # written one after the other, long ago
        query(engine[day])
        os.utime(base / name[day], ns=(past + n * 10**9, past + n * 10**9))
    assert entries(base) == {name[day] for day in days[:sql_cache.KEEP]}
    query(engine[days[0]])  # the oldest used again: now the most recent
    query(engine[days[-2]])
    query(engine[days[-1]])  # two more: the two least recently used go
    assert entries(base) == {name[day] for day in days} - {name[days[1]], name[days[2]]}


def test_a_policy_edited_while_the_batch_runs_is_an_error_not_sql_of_other_text(project, monkeypatch, tmp_path, capsys):
    # The modules were verified against the policy's text; if the text changes before the SQL is
    # made from it, the two would disagree: exit 1, nothing written.
    root, cache = project
    monkeypatch.setenv("POLC_CACHE_DIR", str(cache))
    monkeypatch.chdir(root)
    verified = fast_eval.probe

    def probe_then_edit(paths, generated=None):
        found = verified(paths, generated)
        assert found.modules is not None  # the fast path was taken
        (root / "policies" / "tiers.pol").write_text(TIERS.replace("10万元", "15万元"), encoding="utf-8")
        return found

    monkeypatch.setattr(fast_eval, "probe", probe_then_edit)
    code = cli.main(["eval", "policies", "--batch", "two-years.csv", "--on", ON, "--out", "results.jsonl"])
    assert code == 1
    assert "政策或词汇文件在 polc 运行时被改动" in capsys.readouterr().err
    assert not (root / "results.jsonl").exists()
    assert entries(cache) == set()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from('a"\'\\\n\r\t\x00\x01中 ;-/*{}$?') | st.characters(), max_size=12))
def test_identifiers_and_literals_are_quoted_as_sqlglot_quotes_them(text):
    import sqlglot.expressions as sqlexp
    assert sql_register.ident(text) == sqlexp.to_identifier(text, quoted=True).sql("duckdb")
    assert sql_register.literal(text) == sqlexp.Literal.string(text).sql("duckdb")


def _header_by_search(names: list[str]):
    """batch._header's checks as first written (every column seen searched for each name): the
    reference its index must agree with, error for error."""
    seen: dict[str, int] = {}
    for column, name in enumerate(names, 1):
        if not name:
            continue
        key = name
        if "." in name and name.rsplit(".", 1)[1].isdigit():
            base, year = name.rsplit(".", 1)
            key = f"{base}.{int(year)}" if len(year) <= 4 else name
            if base in seen:
                return ("whole and yearly", base, name)
        elif any(other.startswith(name + ".") for other in seen):
            return ("yearly and whole", name, next(o for o in seen if o.startswith(name + ".")))
        if key in seen:
            return ("twice", name)
        seen[key] = column
    return None


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="ab.12", max_size=6), max_size=8))
def test_the_header_check_finds_what_searching_every_column_found(names):
    from compiler import batch
    expected = _header_by_search([name.strip() for name in names])
    try:
        batch._header("r.csv", 1, names, "utf-8")
    except batch.RegisterError as exc:
        assert expected is not None, exc.en
        kind, *named = expected
        assert all(repr(name) in exc.en for name in named), (exc.en, expected)
        assert {"whole and yearly": "and the yearly column", "yearly and whole": "and the yearly column",
                "twice": "appears twice"}[kind] in exc.en
    else:
        assert expected is None


def test_ctrl_c_during_a_duckdb_query_stops_quietly_and_leaves_the_old_result(project):
    # With the fixed costs gone, Ctrl-C now usually lands inside a DuckDB query, which DuckDB 2
    # reports as a plain RuntimeError("Query interrupted"): it must end as any Ctrl-C does (one
    # line, exit 130, the previous --out untouched, nothing left beside it), never a traceback.
    root, cache = project
    out = root / "results.jsonl"
    out.write_bytes(b'{"old": "result"}\n')
    # What DuckDB raises when SIGINT arrives during a query (a real signal's timing is left to
    # tests/test_fuzz.py): raised here from inside the run, in the middle of its queries.
    code = ("import sys\n"
            "from compiler import entry, sql_batch\n"
            "def interrupted(self):\n"
            "    raise RuntimeError('Query interrupted')\n"
            "sql_batch.Engine._listed = interrupted\n"
            "sys.argv = ['polc', *sys.argv[1:]]\n"
            "sys.exit(entry.run())\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), POLC_CACHE_DIR=str(cache))
    result = subprocess.run([sys.executable, "-c", code, "eval", "policies", "--batch", "two-years.csv", "--on", ON,
                             "--out", str(out)], cwd=root, capture_output=True, text=True, env=env, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 130 and result.stderr.strip().endswith("interrupted"), result.stderr
    assert out.read_bytes() == b'{"old": "result"}\n'
    assert sorted(path.name for path in root.iterdir() if path.name.startswith(".results")) == []


def test_the_per_applicant_query_is_planned_with_its_in_lists_as_expressions(tmp_path, monkeypatch, capsys):
    # sql_batch.NARROW_QUERY_OPTIMIZERS: DuckDB's `in_clause` optimizer would make each IN list
    # of the shipped policies (所属行业 IN (…) …) a MARK join with a hash table of its own, on
    # every thread, a third of the query's fixed cost; while the query runs it is left out,
    # and the stages after it plan with every optimizer again. The bytes are checked elsewhere
    # (the same IN semantics, NULL included: tests/test_sql_cross.py, test_sql_narrow.py).
    from compiler import sql_batch
    register = tmp_path / "register.csv"
    sys.path.insert(0, str(ROOT / "bench"))
    import batch_bench
    batch_bench.write_register_csv(register, 40)
    seen: dict[str, list] = {"plans": [], "without": [], "after": []}

    class Spy:
        """The engine's connection, seeing each statement (parts run on cursors: one part here)."""

        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            if sql.startswith("INSERT INTO mem.clause_codes"):
                seen["plans"].append(self.con.execute("EXPLAIN " + sql).fetchall()[0][1])
                optimizers = self.con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
                self.con.execute("RESET disabled_optimizers")
                seen["without"].append(self.con.execute("EXPLAIN " + sql).fetchall()[0][1])
                self.con.execute(f"SET disabled_optimizers = '{optimizers}'")
            elif "CREATE TEMP TABLE competing" in sql:
                seen["after"].append(self.con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0])
            return self.con.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.con, name)

    made = sql_batch.Engine.__init__

    def spied(engine, con, *args):
        made(engine, Spy(con), *args)
    monkeypatch.setattr(sql_batch.Engine, "__init__", spied)
    monkeypatch.setattr(sql_batch, "_idle_cores", lambda: 0.0)
    assert cli.main(["eval", str(ROOT / "policies"), "--batch", str(register), "--on", "2021-06-30",
                     "--out", str(tmp_path / "out.jsonl")]) == 0
    assert len(seen["plans"]) == 1 and seen["after"] == [""]
    assert "MARK" in seen["without"][0]  # the shipped policies' IN lists, as DuckDB would plan them
    assert "MARK" not in seen["plans"][0]
