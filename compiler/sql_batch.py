"""`polc eval --batch` on DuckDB (the default engine): a register, every policy, in SQL.

1. The register is loaded as the typed view of CONTRACTS.md §4 (sql_register).
2. The per-applicant decisions come from `to_sql.applicant_clauses` (one row per register row
   and clause: applies, paid, award, reason), or — when the SQL backend is not there — from
   the Python runtime over the same typed rows, so the rest is the same either way.
3. Across applicants, in SQL with window functions, exactly as runtime.allocate_quota /
   allocate_budget and batch.run decide: quotas per group (每个 facts, and for a percentage
   the 基数), ranked (missing values last, then 申请人) or not (needs_selection / list_over),
   budgets after quotas (the payer's share, no skipping ahead), then each enterprise's total
   as runtime.add_up (could_pay, 就高不重复 per matter), and the summary.
4. The compact results (CONTRACTS.md §3) are written as JSON Lines built in SQL (the line of
   compact.grouped, written by COPY), or as CSV / Parquet (one row per listed clause) by the
   extension of --out; whole or not at all.

Memory: the per-applicant query runs over slices of register lines (CHUNK_LINES) and keeps
narrow rows of the clauses written only; tables live in a database file in a private
temporary directory, so DuckDB spills them there beyond its memory limit. Cores: the file's
row groups are ROW_GROUP_SIZE rows, DuckDB's unit of a parallel scan (see connect). The large
table of clause rows (`clause_codes`: per row its line, its clause's code and what differs
between applicants; the view `clause_rows` joins the rest from `clause_states`, see
Engine._clause_rows) lives in `mem`, an in-memory database attached with
COMPRESS: held as written, like a TEMP table, not compressed into the database file (a third
less CPU for the per-applicant stage), and compressed in memory by `CHECKPOINT mem` once it
would take more than COMPRESS_SHARE of the memory limit (round 18: at 1,000,000 enterprises
it no longer spills to the temporary directory and is read back from there by every later
stage); `final`, the rows written with their allocations, is a view of it
(Engine._final_view), not a second copy. Quotas, budgets
and totals read the whole table, so slicing changes no decision.

Bad rows are reported as the Python engine reports them (batch.py's messages and rules: the
physical line, an applicant named twice makes all its rows bad, an applicant competing for a
quota or budget needs an identifier).
"""

from __future__ import annotations

import codecs
import datetime
import functools
import json
import os
import tempfile
import threading
from decimal import Decimal
from typing import Callable

from . import batch, compact, runtime, sql_cache, sql_register
from .sql_register import IDENTIFIER, ident, literal

OUTS = ("outside_quota", "outside_budget", "needs_selection", "list_over")
# JSON text as compact.JsonLinesWriter writes it: no spaces after separators, Chinese as it is.
ITEM, KEY = ",", ":"
# Register lines whose JSON text is built at a time: one sort of their pieces. 25,000 lines
# (about a million pieces) sort in memory; 100,000 at once cost a quarter more CPU and twice
# the wall time (write_bench / batch_stages at 100k), and `final` is read by line range.
OUTPUT_SLICE = 25_000
# Reason groups found from bitmasks of clause positions (Engine._jsonl_fragments_sql) when the
# policies have at most MASK_CLAUSES clauses: a position is a bit of a HUGEINT, kept positive.
MASK_CLAUSES = 126
# COPY options that write one VARCHAR column as text pieces, as they are (nothing quoted or
# escaped), each followed by PIECE_END, which _copy_to drops: JSON text holds no raw control
# character, so neither the delimiter nor PIECE_END occurs in it (Engine._jsonl_fragments_sql).
PIECE_END = "\x02"
JSON_FRAGMENTS = f"FORMAT csv, HEADER false, DELIMITER '\x01', QUOTE '', ESCAPE '', NEW_LINE '{PIECE_END}'"
# COPY options that write CSV rows as compact.CsvWriter does (csv.writer, lineterminator "\n").
CSV_ROWS = "FORMAT csv, HEADER false, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NEW_LINE '\n', COMMENT ''"
# The pipe between DuckDB's COPY and the thread copying its text on (_copy_to): 1 MiB (Linux's
# default largest) rather than 64 KiB, so that the two change places less often.
PIPE_SIZE = 1 << 20
CHUNK_LINES = 250_000  # register lines evaluated by one run of the per-applicant query
# Rows per row group of the work database. DuckDB scans a table in parallel by row group, one
# thread each, and its default (122,880 rows) made every table of a register under that size
# (the register itself, register_lines, which the per-applicant query reads) one thread's work:
# on 2 cores a 100,000-row batch ran its per-applicant query at 1.0 core. 8,192 rows (a multiple
# of DuckDB's 2,048-row vector, as ATTACH requires) gives 13 row groups at 100,000 rows and 3 at
# 20,000. Its cost: a full row group is compressed into the file as it is written, where a table
# under 122,880 rows stayed uncompressed until commit (about 0.3 s CPU more at 20,000 rows).
ROW_GROUP_SIZE = 8192
# The clause rows live in `mem`, an in-memory database attached with COMPRESS (connect): as
# their codes (clause_codes, from to_sql's query: about CODED_ROW_BYTES a row, measured with
# duckdb_memory() at 100,000 enterprises) or, from the runtime's stand-in, as decoded rows
# (clause_rows, about CLAUSE_ROW_BYTES), held as written (uncompressed, as a TEMP table's) until
# `CHECKPOINT mem` compresses them, several times smaller. A checkpoint is made after a run of
# the per-applicant query once the rows so far would take more than COMPRESS_SHARE of DuckDB's
# memory limit: at 1,000,000 enterprises (40.6 million rows, some 2 GB of codes as written)
# the table no longer leaves memory for the spill directory and is read back from there by
# each later stage; at 100,000 (4 million rows, 0.2 GB) it fits and is not compressed
# (CHECKPOINT is one thread's work, about 0.3 µs a row, and saves the later stages nothing there).
CLAUSE_ROW_BYTES = 110
CODED_ROW_BYTES = 50
COMPRESS_SHARE = 0.5
# The per-applicant query over a register of one row group (DuckDB's, for an in-memory table:
# ONE_ROW_GROUP rows) runs in up to PARTS_AT_ONCE parts at once (Engine._parts).
# Each part plans the query again (about 0.15 s CPU, at the same time as the others): not for
# a register under PARTS_FROM_LINES lines, whose query takes little more than that.
# Only when more than PARTS_IDLE_CORES cores are idle by the load average (_idle_cores): with
# the other cores taken the parts gain no wall time and cost a third more CPU (round 19, 100,000
# enterprises, load average 4.5–5.3 on 2 cores, alternated three times: in parts 1.94–2.19 s
# CPU and 1.88–3.46 s wall, in one run 1.71–1.72 s CPU and 1.71–1.73 s wall).
ONE_ROW_GROUP = 122_880
PARTS_AT_ONCE = 2
PARTS_FROM_LINES = 10_000
PARTS_IDLE_CORES = 0.5
# The optimizers left out while the per-applicant query is planned (Engine._clause_rows):
# `in_clause` makes each IN list of more than a few constants (所属行业 IN (…), six in the
# shipped policies) a MARK join with a table of its constants, a hash table and a pipeline of
# its own per list, built on every thread; as expressions they are compared in the projection
# they are in. Round 20, the query alone over 100,000 enterprises on one thread, alternated
# three times: 1.62–1.72 s CPU against 1.76–1.88 s; over an empty slice (its fixed cost, paid
# by every run and every part) 0.081–0.088 s against 0.118–0.130 s on two threads.
NARROW_QUERY_OPTIMIZERS = "in_clause"
# Unqualified names resolve in the database file, then in `mem`; set on every cursor (connect,
# _in_parallel): a cursor does not inherit its connection's settings.
SEARCH_PATH = "SET search_path = 'polc.main,mem.main'"


def chunk_lines() -> int:
    """Register lines per run of the per-applicant query (POLC_DUCKDB_CHUNK overrides; the
    results do not depend on it: every decision in that query is per applicant)."""
    value = os.environ.get("POLC_DUCKDB_CHUNK", "")
    return int(value) if value.isdigit() and int(value) > 0 else CHUNK_LINES


def _j(value) -> str:
    return json.dumps(value, ensure_ascii=False)


class Clause:
    """What the engine needs of one clause, from the evaluator modules."""

    def __init__(self, position: int, policy_index: int, policy, spec, index: int):
        self.position = position
        self.policy_index = policy_index
        self.index = index  # from 1 within its policy: to_sql's clause_index
        self.policy = policy
        self.spec = spec
        self.label = spec.label
        self.key = f"{policy.docno} {spec.label}"


def connect(work: str):
    """DuckDB for one batch: a database file in the private directory `work` (so that its
    tables are compressed and can leave memory: see the module's docstring), with row groups
    of ROW_GROUP_SIZE rows, the memory limit and the spill directory of POLC_DUCKDB_MEMORY;
    and `mem`, an in-memory database whose tables are compressed at `CHECKPOINT mem`
    (clause_rows: COMPRESS_SHARE) and, unlike TEMP tables, readable from other cursors
    (which do not inherit settings: each sets the search path, polc then mem, itself)."""
    import duckdb
    con = duckdb.connect()
    # Attached rather than opened: the row-group size is an option of ATTACH. The catalog keeps
    # the name the file gave it when opened directly (polc), so every statement reads the same.
    con.execute(f"ATTACH {literal(os.path.join(work, 'polc.duckdb'))} AS polc (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
    con.execute("USE polc")
    con.execute("ATTACH ':memory:' AS mem (COMPRESS)")
    con.execute(SEARCH_PATH)
    con.execute(f"SET memory_limit = {literal(sql_register.memory_limit())}")
    con.execute(f"SET temp_directory = {literal(os.path.join(work, 'spill'))}")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    threads = os.environ.get("POLC_DUCKDB_THREADS")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _strings(value) -> list[str]:
    """Every string inside nested tuples, lists and dicts (keys and values)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _strings(list(value.items()))
    if isinstance(value, (tuple, list)):
        return [text for item in value for text in _strings(item)]
    return []


def _once_per_run(make: Callable) -> Callable:
    """An engine's method made once per engine (one engine runs one batch), its result kept."""

    @functools.wraps(make)
    def once(engine):
        kept = engine.__dict__.setdefault("_once", {})
        if make.__name__ not in kept:
            kept[make.__name__] = make(engine)
        return kept[make.__name__]

    return once


class ParquetTarget:
    """Where the DuckDB engine writes Parquet results (DuckDB writes the file itself), and the
    summary beside it, as compact.ParquetWriter does for the Python engine."""

    def __init__(self, target: str, summary_stream):
        self.target = target
        self.summary_stream = summary_stream

    def summary(self, summary: dict) -> None:
        self.summary_stream.write(json.dumps({"summary": summary}, ensure_ascii=False, indent=1) + "\n")

    def finish(self) -> None:
        pass


def run(modules: list, source: str, on, out, errors, include_all: bool = False, encoding: str | None = None,
        stdin=None, models: list | None = None) -> dict:
    """Evaluate a register on DuckDB; write the compact results to `out` (a compact writer,
    a ParquetTarget, or a text stream for JSON Lines) and return the summary. Raises
    batch.RegisterError before writing anything if the register cannot be read."""
    import duckdb
    writer = out if hasattr(out, "summary") else compact.JsonLinesWriter(out)
    with tempfile.TemporaryDirectory(prefix="polc-duckdb-") as work:
        con = connect(work)
        try:
            engine = Engine(con, modules, source, on, include_all, encoding, work, stdin)
            # sql_cache.Models are made only if the query text is not in polc's cache
            engine.models = models if isinstance(models, sql_cache.Models) else list(models or ())
            return engine.run(writer, errors)
        except duckdb.InterruptException:
            raise KeyboardInterrupt from None  # Ctrl-C during a query: exit 130, as elsewhere
        except RuntimeError as exc:
            # DuckDB 2 reports Ctrl-C during a query as a plain RuntimeError with this message
            if str(exc) == "Query interrupted":
                raise KeyboardInterrupt from None
            raise
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0][:300]
            if engine.loading:  # a register DuckDB cannot read (a damaged Parquet file, a missing table…)
                raise batch.RegisterError(f"{source}：DuckDB 无法读取：{message}",
                                          f"{source}: DuckDB cannot read it: {message}") from None
            hint = ("（可用环境变量 POLC_DUCKDB_MEMORY 提高内存上限，或用 --engine python）", " (raise the limit with "
                    "POLC_DUCKDB_MEMORY, or use --engine python)") if "Out of Memory" in message else ("", "")
            raise batch.RegisterError(f"{source}：DuckDB 执行失败：{message}{hint[0]}",
                                      f"{source}: DuckDB failed: {message}{hint[1]}") from None
        finally:
            con.close()


class Engine:
    def __init__(self, con, modules, source, on, include_all, encoding, work, stdin):
        self.con = con
        self.policies = [(m.POLICY, m.CLAUSES) for m in modules]
        self.evaluator = runtime.Evaluator(self.policies)
        self.on_given = runtime.parse_date(on, "--on") if on is not None else None
        self.on = self.on_given or datetime.date.today()
        self.source = source
        self.include_all = include_all
        self.encoding = encoding
        self.work = work
        self.stdin = stdin
        self.clauses: list[Clause] = []
        for policy_index, (policy, specs) in enumerate(self.policies):
            for index, spec in enumerate(specs, 1):
                self.clauses.append(Clause(len(self.clauses), policy_index, policy, spec, index))
        self.budgets = {policy.docno: policy.budgets for policy, _ in self.policies if policy.budgets}
        self.models: list = []
        self.notes: list[tuple[str, str]] = []
        self.compressed = False  # clause_rows compressed (_clause_rows): a large register
        self.coded = False  # clause_rows a view of clause_codes (_clause_rows): to_sql's query
        self.loading = True

    # ------------------------------------------------------------ the whole run
    def run(self, writer, errors) -> dict:
        self.loading = True
        loader = sql_register.Loader(self.con, self.policies, self.evaluator, self.source, self.encoding,
                                     self.work, self.stdin, wanted=self._columns_read)
        self.loaded = loader.loaded  # (its years are what _to_sql reads, once the header is known)
        loaded = loader.load()
        self.loaded = loaded
        self.loading = False
        self._clause_table()
        self._applicants()
        self._clause_rows()
        self._listed()
        quotas = self._quotas()
        budgets = self._budgets()
        self._allocations()
        self._prorated_amounts()
        self._enterprise_caps()
        summary = self._summary(loaded, quotas, budgets)
        self._report_bad(errors)
        for zh, en in self.notes:
            errors.write(f"{zh} / {en}\n")
        if isinstance(writer, ParquetTarget):
            self._write_parquet(writer.target)
        elif isinstance(writer, compact.CsvWriter):
            self._write_csv(writer)
        else:
            self._write_jsonl(writer.stream)
        writer.summary(summary)
        return summary

    def _columns_read(self) -> set[str] | None:
        """The register's columns the later stages read, which the loader types and keeps
        (sql_register.Loader.wanted; called once the register's years are known): those the
        per-applicant query names, and every fact a policy's quotas, budgets or caps name
        (they rank, group, size and subtract by them: _fact_value, _enterprise_caps; every
        year of a yearly one); None (every column) when the Python runtime stands in for the
        query, as it reads them all. A stage reading a column left out fails loudly (no such
        column), never with a silent NULL."""
        coded = self._coded()
        if coded is None:
            return None
        query = coded["codes"]
        facts: set[str] = set()
        for policy, specs in self.policies:
            named = [policy.budgets, policy.caps] + [spec.quota for spec in specs]
            facts.update(name for name in _strings(named) if name in policy.schema)
        # A column is read when the query names it as an identifier (ident's quoting is the
        # query's: tests/test_batch_fixed_costs.py); a name found elsewhere only keeps one more.
        return {column for column, _t in self.loaded.view_columns
                if ident(column) in query or column in facts or column.rsplit(".", 1)[0] in facts}

    # ------------------------------------------------------------ static tables
    def _clause_table(self) -> None:
        """One row per clause: its place and its 文号 and label, as the CSV and Parquet rows and
        the 企业上限 totals name it (the JSON lines' text is clause_text's)."""
        rows = [(c.position, c.policy.docno, c.label) for c in self.clauses]
        self.con.execute("CREATE TABLE clause_info (pos INTEGER, policy VARCHAR, clause VARCHAR)")
        if rows:  # one statement (executemany plans one INSERT per clause: 0.1 s for 107)
            self.con.execute("INSERT INTO clause_info VALUES " + ", ".join(["(?, ?, ?)"] * len(rows)),
                             [value for row in rows for value in row])

    def _applicants(self) -> None:
        """Which rows are evaluated: an applicant on more than one line makes all those rows
        bad (batch.run: rows after the first good one are refused as they are read; the first
        is evaluated, then set aside), so the first good row is evaluated but not written."""
        bad_facts = [(b["line"], b["applicant"]) for b in self.loaded.bad
                     if not b["structural"] and b.get("applicant") is not None]
        self.con.execute("CREATE TABLE bad_facts (_line BIGINT, applicant VARCHAR)")
        if bad_facts:
            self.con.executemany("INSERT INTO bad_facts VALUES (?, ?)", bad_facts)
        a = ident(IDENTIFIER)
        self.con.execute(f"""
            CREATE TABLE firsts AS
            SELECT {a} AS applicant, min(_line) AS first, count(*) AS n FROM register_rows
            WHERE {a} IS NOT NULL GROUP BY {a}""")
        self.con.execute("""
            CREATE TABLE twice AS
            SELECT f.applicant, f.first FROM firsts f
            WHERE f.n > 1 OR EXISTS (SELECT 1 FROM bad_facts b WHERE b.applicant = f.applicant AND b._line > f.first)""")
        # Evaluated: every good row except the later rows of an applicant named twice; the view
        # `register` that the query reads is the slice of its lines being evaluated. When no
        # applicant is named twice (the usual register) that is every row of register_rows, and
        # register_lines is a view of it: copying the whole register into a table cost as much as
        # a third of the per-applicant query, and reading through the view costs about nothing
        # more. Otherwise a table, so that the join with `twice` is not made again by each reader.
        if self.con.execute("SELECT count(*) FROM twice").fetchone()[0] == 0:
            self.con.execute("CREATE VIEW register_lines AS SELECT * FROM register_rows")
        else:
            self.con.execute(f"""
                CREATE TABLE register_lines AS
                SELECT r.* FROM register_rows r LEFT JOIN twice t ON r.{a} = t.applicant
                WHERE t.applicant IS NULL OR r._line = t.first""")
        self.con.execute("""
            CREATE VIEW register AS SELECT * FROM register_lines
            WHERE _line BETWEEN getvariable('polc_low') AND getvariable('polc_high')""")

    # ------------------------------------------------------------ per applicant
    def _clause_rows(self) -> None:
        """The rows of CONTRACTS.md §2 the engine keeps, narrow, as the view (or, when the
        Python runtime stands in, the table) `clause_rows` (the clause as its position `pos`;
        申请人, labels and funding text are joined back where they are written). Kept: the
        rows written (applies not false, or all with --all), and those whose matter comes from
        a fact (事项 按 X) in a 就高不重复 policy, which resolve that matter for the applicant
        even when they do not apply (runtime: any result naming it). The query runs over
        slices of the register's lines, so that DuckDB holds one slice's intermediate rows at a
        time (CHUNK_LINES).

        From to_sql's query, the rows are stored as their codes (to_sql.CodedClauses): the
        table `clause_codes` holds per row only `_line`, the code (place × 4 + state) and what
        differs between applicants (an amount read from the register, a matter read from a
        fact); applies, paid, kind, the stated amounts, could_pay and reason depend on the code
        alone and are joined from `clause_states` (a row per code) by the view `clause_rows`,
        whose columns are the narrow query's. Round 19, 100,000 enterprises, the query alone on
        one thread: 2.32–2.42 s CPU writing the decoded rows (110 bytes a row), 1.68–1.76 s
        writing the codes (about 50, CODED_ROW_BYTES); reading them back through the join costs about 0.01 s
        more per pass over the 4 million rows (a perfect hash join on the code)."""
        coded = self._coded()
        low, high = self.con.execute("SELECT min(_line), max(_line) FROM register_lines").fetchone()
        step = chunk_lines()
        starts = range(low, high + 1, step) if low is not None else range(1)
        rows, limit = 0, sql_register._bytes(sql_register.memory_limit()) or float("inf")
        if coded is None:
            select, table, parts, width = self._python_rows(), "mem.clause_rows", 1, CLAUSE_ROW_BYTES
            create = f"CREATE TABLE {table} AS {select} LIMIT 0"
        else:
            self.con.execute(f"CREATE TABLE clause_states AS {coded['states']}")
            select, table, parts, width = f"SELECT * FROM ({coded['codes']}) c", "mem.clause_codes", \
                self._parts(low, high), CODED_ROW_BYTES
            create = f"CREATE TABLE {table} ({', '.join(f'{ident(n)} {t}' for n, t in coded['columns'])})"
        # DuckDB checkpoints a database when a commit writes more than checkpoint_threshold
        # (16 MiB), which for `mem` compresses what it holds: the rows are compressed here only
        # when they would take more than COMPRESS_SHARE of the memory limit.
        self.con.execute("SET checkpoint_threshold = '1TB'")
        # The query's IN lists stay expressions (see NARROW_QUERY_OPTIMIZERS). DuckDB's settings
        # are the database's, so the parts' cursors (_in_parallel) plan under it too.
        self.con.execute(f"SET disabled_optimizers = {literal(NARROW_QUERY_OPTIMIZERS)}")
        try:
            self.con.execute(create)
            if parts > 1:  # one run, in parts on several cursors (see _parts)
                size = -(-(high - low + 1) // parts)
                rows += _in_parallel(self.con, f"INSERT INTO {table} {select}",
                                     [(start, start + size - 1) for start in range(low, high + 1, size)])
                starts = range(0)
            for start in starts:
                # Each run is planned again (a few tenths of a second for six policies): slices are large.
                self.con.execute(f"SET VARIABLE polc_low = {int(start)}")
                self.con.execute(f"SET VARIABLE polc_high = {int(start + step - 1)}")
                rows += self.con.execute(f"INSERT INTO {table} {select}").fetchone()[0]
                if rows * width > limit * COMPRESS_SHARE:
                    self.con.execute("CHECKPOINT mem")  # the rows so far, compressed (see COMPRESS_SHARE)
                    self.compressed = True
        finally:
            self.con.execute("RESET checkpoint_threshold")
            self.con.execute("RESET disabled_optimizers")
        if coded is not None:
            self.con.execute(f"CREATE VIEW clause_rows AS {coded['rows']}")
            self.coded = True

    def _python_rows(self) -> str:
        """The runtime's stand-in for to_sql: the query of its rows of the view `register`,
        kept as _clause_rows keeps them, with the clause's position worked out."""
        self._python_clauses()
        keep = ["true"]
        if not self.include_all:
            keep = ["applies IS DISTINCT FROM false"] + [
                f"(policy_index = {c.policy_index + 1} AND clause_index = {c.index} AND matter IS NOT NULL)"
                for c in self.clauses if c.spec.matter_fact is not None and c.policy.principle == "就高不重复"]
        # The clause's position from its (policy, clause) numbers: integers, no join on labels.
        first: dict[int, int] = {}
        for c in self.clauses:
            first.setdefault(c.policy_index + 1, c.position - c.index + 1)
        place = ("CAST(CASE policy_index " + " ".join(f"WHEN {p} THEN {f}" for p, f in first.items())
                 + " END + clause_index - 1 AS INTEGER) AS pos") if first else "CAST(NULL AS INTEGER) AS pos"
        columns = f"_line, {place}, matter, applies, paid, kind, amount_min, amount_max, could_pay, reason"
        if any(c.spec.payer_rules for c in self.clauses):  # issue 13: the payer chosen per applicant (_chosen_funding_sql)
            columns += ", funding"
        return f"SELECT {columns} FROM applicant_clauses WHERE {' OR '.join(keep)}"

    def _parts(self, low: int | None, high: int | None) -> int:
        """In how many parts the per-applicant query runs at once, each on a cursor of its own
        in a thread of its own: DuckDB runs a query over a table of one row group (a TEMP or
        in-memory table under 122,880 rows: every register of up to about 100,000 enterprises)
        on one thread, so on two cores half the lines on each cursor take about half the time.
        Only when the register's table is one row group (held in memory, in
        sql_register.MEMORY_DATABASE, which every cursor reads: the database file's row groups
        are ROW_GROUP_SIZE rows, which DuckDB already scans on every core), fits one run of the
        query (CHUNK_LINES) and has PARTS_FROM_LINES lines or more; PARTS_AT_ONCE at most, and
        no more than DuckDB's threads; and only when a core is idle (PARTS_IDLE_CORES): the parts
        are the same work, planned once more, and save wall time only on a core nothing else
        uses."""
        if low is None or high is None or not PARTS_FROM_LINES <= high - low + 1 <= min(chunk_lines(), ONE_ROW_GROUP):
            return 1
        if self.loaded.database != sql_register.MEMORY_DATABASE or _idle_cores() <= PARTS_IDLE_CORES:
            return 1
        threads = int(self.con.execute("SELECT current_setting('threads')").fetchone()[0])
        return max(1, min(PARTS_AT_ONCE, threads))

    @_once_per_run
    def _coded(self) -> dict | None:
        """The texts of _to_sql, read: `codes`, `columns` ([name, type] of the codes), `states`
        and `rows`; None when the Python runtime stands in."""
        text = self._to_sql()
        return None if text is None else json.loads(text)

    @_once_per_run  # the loader asks for it first (the columns to type), then _clause_rows runs it
    @sql_cache.cached  # the text from polc's cache when the same sources, --on and years made it
    def _to_sql(self) -> str | None:
        """The per-applicant query of to_sql over the view `register`, in the two parts the
        engine keeps apart (to_sql.coded_clauses), as JSON text (one entry of polc's cache):
        `codes`, the query of the rows kept (`_line`, the clause's code and what differs
        between applicants), `columns`, their names and types, `states`, the query of the
        small table `clause_states` (per code: place, applies, paid, kind, stated amounts…),
        and `rows`, the query of the view `clause_rows` over `clause_codes` and `clause_states`
        (to_sql.NARROW_COLUMNS: to_sql's narrow rows). None when there are no models (the
        Python runtime stands in, e.g. for a caller with modules only) or the SQL backend
        cannot express a policy (said on stderr once)."""
        if not self.models or os.environ.get("POLC_SQL_CLAUSES") == "python":
            return None
        if [[c.label for c in m.evaluated_clauses] for m in self.models] != [[s.label for s in specs]
                                                                              for _p, specs in self.policies]:
            raise ValueError("the models and the evaluator modules list different clauses")
        from sqlglot import exp

        from . import to_sql
        try:
            coded = to_sql.coded_clauses(self.models, "register", self.on, years=self.loaded.years,
                                         only_listed=not self.include_all, keep_matters_read=True)
            rows = coded.rows(exp.Table(this=exp.to_identifier("clause_codes")),
                              exp.Table(this=exp.to_identifier("clause_states")))
            return json.dumps({"codes": to_sql.to_sql(coded.codes, pretty=False),
                               "columns": [[name, to_sql.CODED_TYPES[name]] for name in coded.columns],
                               "states": to_sql.to_sql(coded.states(), pretty=False),
                               "rows": to_sql.to_sql(rows, pretty=False)}, ensure_ascii=False)
        except (to_sql.SqlUnsupported, to_sql.SqlglotError) as exc:
            self.notes.append((f"注意：SQL 后端不能表达 {exc}；各条款改由 Python 运行时逐行判定（结果相同，较慢）",
                               f"note: the SQL backend cannot express {exc}; the clauses are decided by the Python "
                               f"runtime row by row instead (same results, slower)"))
            return None

    def _python_clauses(self) -> None:
        """The stand-in for to_sql: the Python runtime over the typed rows of the view."""
        path = os.path.join(self.work, "clauses.jsonl")
        columns = [name for name, _t in self.loaded.view_columns]
        series = {name for name, spec in self.evaluator.known.items() if spec[1] and not (len(spec) > 3 and spec[3])}
        cursor = self.con.execute(
            f"SELECT _line, {ident(IDENTIFIER)}{''.join(', ' + ident(c) for c in columns)} FROM register_lines ORDER BY _line")
        with open(path, "w", encoding="utf-8") as out:
            while chunk := cursor.fetchmany(5000):
                for line, applicant, *values in chunk:
                    facts: dict = {}
                    for name, value in zip(columns, values):
                        if value is None:
                            continue
                        if "." in name and name.rsplit(".", 1)[0] in series:
                            base, year = name.rsplit(".", 1)
                            facts.setdefault(base, {})[int(year)] = value
                        else:
                            facts[name] = value
                    evaluation = self.evaluator.evaluate(facts, self.on)
                    for clause, result in zip(self.clauses, evaluation.clauses):
                        out.write(json.dumps(_clause_row(line, applicant, clause, result), ensure_ascii=False) + "\n")
        self.con.execute(f"""
            CREATE TABLE applicant_clauses_all AS SELECT * FROM read_json({literal(path)}, format = 'newline_delimited',
              columns = {{'_line': 'BIGINT', {literal(IDENTIFIER)}: 'VARCHAR', 'policy': 'VARCHAR',
                          'policy_index': 'INTEGER', 'clause_index': 'INTEGER', 'clause': 'VARCHAR',
                          'matter': 'VARCHAR', 'applies': 'BOOLEAN', 'paid': 'BOOLEAN', 'kind': 'VARCHAR',
                          'amount_min': 'DECIMAL(38,2)', 'amount_max': 'DECIMAL(38,2)',
                          'could_pay': 'DECIMAL(38,2)', 'reason': 'VARCHAR', 'funding': 'VARCHAR'}})""")
        self.con.execute("CREATE VIEW applicant_clauses AS SELECT * FROM applicant_clauses_all "
                         "WHERE _line BETWEEN getvariable('polc_low') AND getvariable('polc_high')")

    # ------------------------------------------------------------ listed rows
    def _competing_positions(self) -> list[int]:
        """The clauses whose paid rows compete across applicants: those with a quota, and every
        clause of a policy with a budget."""
        return [c.position for c in self.clauses if c.spec.quota is not None or c.policy.docno in self.budgets]

    def _listed(self) -> None:
        """A row without 申请人 that competes for a quota or budget is bad (competes_unnamed).
        CREATE TABLE competing: the paid rows of the clauses that compete (a quota, or a policy
        with a budget), with their 申请人 and whether it is named twice — one pass over
        clause_rows, and all that the quotas and budgets read of it (a few per cent of the rows)."""
        a = ident(IDENTIFIER)
        positions = ", ".join(str(p) for p in self._competing_positions())
        self.con.execute(f"""
            CREATE TEMP TABLE competing AS
            SELECT c._line, c.pos, r.{a} AS applicant, t.applicant IS NOT NULL AS twice, c.amount_min, c.amount_max
            FROM clause_rows c JOIN register_lines r USING (_line) LEFT JOIN twice t ON r.{a} = t.applicant
            WHERE {f"c.paid AND c.pos IN ({positions})" if positions else "false"}""")
        self.con.execute("CREATE TABLE competes_unnamed AS SELECT DISTINCT _line FROM competing WHERE applicant IS NULL")

    # ------------------------------------------------------------ quotas
    def _fact_value(self, policy, name: str) -> tuple[str, str | None]:
        """SQL for a fact's typed value as _rank reads it (a yearly fact: the assessed year),
        and its base type; NULL when the policy does not declare it or the column is absent."""
        spec = policy.schema.get(name)
        if spec is None:
            return "NULL", None
        available = {column for column, _t in self.loaded.view_columns}
        if spec[1] and not (len(spec) > 3 and spec[3]):
            column = f"{name}.{self.on.year - policy.assessed_offset}"
        else:
            column = name
        if column not in available:
            return "NULL", spec[0]
        return f"r.{ident(column)}", spec[0]

    def _order_by(self, policy, keys) -> str:
        """runtime._order: per key, missing last, then the value (numbers and years; any other
        value ranks as 0), descending if declared; then 申请人; then the input order."""
        parts = []
        for name, descending in keys:
            value, base = self._fact_value(policy, name)
            parts.append(f"({value}) IS NULL")
            if base in ("money", "number", "percent", "year"):
                parts.append(f"({value}) {'DESC' if descending else 'ASC'}")
        parts += ["l.applicant", "l._line", "l.pos"]
        return ", ".join(parts)

    def _quotas(self) -> dict:
        """Decides every quota: CREATE TABLE quota_decisions (_line, pos, allocation). All the
        quotas in one statement (a branch per quota, over `competing`), their summaries in one
        more: a few statements whatever the number of quotas, no pass over clause_rows."""
        quotas = [(clause, clause.spec.quota) for clause in self.clauses if clause.spec.quota is not None]
        # A quota with a paid row (an applicant named twice included) has a summary entry.
        present = {pos for (pos,) in self.con.execute(
            "SELECT DISTINCT pos FROM competing WHERE applicant IS NOT NULL").fetchall()}
        quotas = [(number, clause, quota) for number, (clause, quota) in enumerate(quotas)
                  if clause.position in present]
        if not quotas:
            self.con.execute("CREATE TABLE quota_decisions (_line BIGINT, pos INTEGER, allocation VARCHAR)")
            return {}
        # The register's values the quotas read (group facts, 基数, ranking facts), for their
        # candidates' lines only, in one small table: each quota's branch and its cut-off read
        # it instead of the view register_lines, whose hundreds of typed columns DuckDB binds
        # again at every mention (round 19, 100,000 enterprises: planning was most of the
        # statements' 0.22 s CPU).
        columns = sorted({value[2:] for _n, clause, quota in quotas
                          for name in self._quota_names(quota) + tuple(name for name, _d in quota[3])
                          for value in [self._fact_value(clause.policy, name)[0]] if value.startswith("r.")})
        positions = ", ".join(str(clause.position) for _n, clause, _q in quotas)
        self.con.execute(f"""
            CREATE TEMP TABLE quota_facts AS SELECT r._line{''.join(', r.' + c for c in columns)} FROM register_lines r
            WHERE r._line IN (SELECT _line FROM competing WHERE pos IN ({positions}) AND NOT twice AND applicant IS NOT NULL)""")
        branches = [self._quota(number, clause, quota) for number, clause, quota in quotas]
        self.con.execute("CREATE TEMP TABLE quota_places AS " + " UNION ALL BY NAME ".join(branches))
        self.con.execute("CREATE TABLE quota_decisions AS SELECT _line, pos, allocation FROM quota_places")
        counts = {q: (total, lost) for q, total, lost in self.con.execute(
            "SELECT q, count(*), count(*) FILTER (WHERE unplaced) FROM quota_places GROUP BY q").fetchall()}
        # Per quota and group (the placed rows): candidates, limit, and the last line within it
        # with its ranking values (the cut-off). One statement; each quota's columns are its own.
        grouped = []
        for number, clause, quota in quotas:
            groups = [f"q{number}_g{i}" for i in range(len(self._quota_names(quota)))]
            keys = quota[3]
            cut = "".join(f", {value} AS q{number}_k{i}"
                          for i, (value, _base) in enumerate(self._fact_value(clause.policy, name) for name, _d in keys))
            grouped.append(f"""
                SELECT s.*{cut} FROM (
                  SELECT {number} AS q{''.join(', ' + g for g in groups)}, any_value(n) AS n, any_value(lim) AS lim,
                         max(_line) FILTER (WHERE place = lim) AS cut
                  FROM quota_places WHERE q = {number} AND NOT unplaced {'GROUP BY ' + ', '.join(groups) if groups else ''}) s
                LEFT JOIN quota_facts r ON r._line = s.cut""")
        cursor = self.con.execute(" UNION ALL BY NAME ".join(grouped))
        names = [d[0] for d in cursor.description]
        by_quota: dict[int, list[dict]] = {}
        for values in cursor.fetchall():
            row = dict(zip(names, values))
            by_quota.setdefault(row["q"], []).append(row)
        summaries = {}
        for number, clause, quota in quotas:
            summaries[clause.key] = self._quota_summary(number, quota, counts.get(number, (0, 0)),
                                                        by_quota.get(number, []))
        return dict(sorted(summaries.items()))

    @staticmethod
    def _quota_names(quota) -> tuple:
        """The facts that group a quota's candidates: its 每个 facts, then its 基数."""
        base_fact = quota[4] if len(quota) > 4 else None
        group_facts = tuple(quota[5]) if len(quota) > 5 else ()
        return group_facts + ((base_fact,) if base_fact is not None else ())

    def _quota(self, number: int, clause: Clause, quota) -> str:
        """One quota's branch of quota_places: each candidate (a paid row of the clause, its
        applicant named once) with its group values (q{number}_g{i}), whether it cannot be
        placed (a group value missing), its group's size n and limit lim, its place in the
        declared order within the group, and its allocation (runtime.allocate_quota)."""
        per_year, share, threshold, keys = quota[0], quota[1], quota[2], quota[3]
        base_fact = quota[4] if len(quota) > 4 else None
        names = self._quota_names(quota)
        policy = clause.policy
        groups = [self._fact_value(policy, name)[0] for name in names]
        group_cols = [f"q{number}_g{i}" for i in range(len(groups))]
        selects = "".join(f", {g} AS {col}" for g, col in zip(groups, group_cols))
        unplaced = " OR ".join(f"{col} IS NULL" for col in group_cols) or "false"
        # Rows missing a group value fall in partitions of their own (a NULL among the values),
        # never with placed rows; their n, lim and place are not read.
        partition = ("PARTITION BY " + ", ".join(groups)) if groups else ""
        if share is None:
            limit = f"CAST({int(per_year)} AS BIGINT)"
        else:
            base = "n" if base_fact is None else group_cols[-1]
            limit = f"CAST(floor(CAST({base} AS DECIMAL(38,6)) * CAST({literal(str(share))} AS DECIMAL(38,10))) AS BIGINT)"
            if threshold is not None:
                limit = f"CASE WHEN {base} <= {literal(str(threshold))}::DECIMAL(38,6) THEN NULL ELSE {limit} END"
        over = "needs_selection" if share is None else "list_over"
        # the place in the declared order, within the group (none declared: no place, and no sort)
        place = (f"row_number() OVER ({partition} ORDER BY {self._order_by(policy, keys)})" if keys
                 else "CAST(NULL AS BIGINT)")
        decision = ("CASE WHEN unplaced THEN 'needs_selection' WHEN lim IS NULL OR n <= lim THEN 'within_quota' "
                    + ("WHEN place <= lim THEN 'within_quota' ELSE 'outside_quota' END" if keys
                       else f"ELSE {literal(over)} END"))
        return f"""
            SELECT {number} AS q, *, {decision} AS allocation FROM (
              SELECT *, {unplaced} AS unplaced, {limit} AS lim FROM (
                SELECT l._line, l.pos{selects}, count(*) OVER ({partition}) AS n, {place} AS place
                FROM competing l JOIN quota_facts r ON r._line = l._line
                WHERE l.pos = {clause.position} AND NOT l.twice AND l.applicant IS NOT NULL))"""

    def _quota_summary(self, number: int, quota, counts: tuple[int, int], group_rows: list[dict]) -> dict:
        """A quota's summary entry, as runtime.allocate_quota gives it."""
        keys = quota[3]
        base_fact = quota[4] if len(quota) > 4 else None
        group_facts = tuple(quota[5]) if len(quota) > 5 else ()
        names = self._quota_names(quota)
        total, lost = counts
        rows = []
        for values in group_rows:
            if not names and values["n"] is None:
                continue  # no candidate placed (the aggregate of no rows)
            group = [values[f"q{number}_g{i}"] for i in range(len(names))]
            count, lim = values["n"], values["lim"]
            row = {"candidates": count, "limit": lim}
            if names:
                row = {"group": {name: _shown(v) for name, v in zip(names, group)}, **row}
            if lim is None or count <= lim:
                pass
            elif not keys:
                row["over_by"] = count - lim
            else:
                row["cut_off"] = [_shown(values[f"q{number}_k{i}"]) for i in range(len(keys))] if lim else None
            rows.append((tuple(_sort_text(v) for v in group), row))
        rows = [row for _key, row in sorted(rows, key=lambda item: item[0])]
        summary: dict = {"candidates": total}
        if not group_facts and base_fact is None and len(rows) == 1:
            summary.update({k: v for k, v in rows[0].items() if k != "candidates"})
        else:
            summary["groups"] = rows
        if lost:
            summary["unplaced"] = lost
        return summary

    # ------------------------------------------------------------ budgets
    def _budgets(self) -> dict:
        """Decides every budget, after the quotas; CREATE TABLE budget_decisions."""
        self.con.execute("CREATE TABLE budget_decisions (_line BIGINT, pos INTEGER, payer VARCHAR, allocation VARCHAR)")
        self.con.execute("CREATE TABLE budget_amounts (_line BIGINT, pos INTEGER, amount_min DECIMAL(38,2), "
                         "amount_max DECIMAL(38,2))")
        summaries = {}
        for policy, specs in self.policies:
            for budget in (self.budgets.get(policy.docno) or ()):
                payer, amount, keys = budget[0], budget[1], budget[2]
                share_cases = []
                for clause in self.clauses:
                    if clause.policy is policy:
                        share = runtime.payer_share(clause.spec, payer)
                        share_cases.append(f"WHEN {clause.position} THEN CAST({literal(str(share))} AS DECIMAL(38,10))")
                share = f"CASE l.pos {' '.join(share_cases)} ELSE 0 END"
                positions = ", ".join(str(c.position) for c in self.clauses if c.policy.docno == policy.docno) or "NULL"
                self.con.execute(f"""
                    CREATE OR REPLACE TEMP TABLE wanting AS
                    SELECT l._line, l.pos, l.applicant, l.twice, CAST(l.amount_max * {share} AS DECIMAL(38,12)) AS cost,
                           q.allocation AS quota, row_number() OVER (ORDER BY {self._order_by(policy, keys)}) AS place
                    FROM competing l JOIN register_lines r ON r._line = l._line
                    LEFT JOIN quota_decisions q ON q._line = l._line AND q.pos = l.pos
                    WHERE l.pos IN ({positions}) AND l.applicant IS NOT NULL AND l.amount_max IS NOT NULL
                      AND l.amount_max * {share} > 0""")
                if not self.con.execute("SELECT count(*) FROM wanting").fetchone()[0]:
                    continue
                self.con.execute("""
                    CREATE OR REPLACE TEMP TABLE eligible AS
                    SELECT *, sum(cost) OVER (ORDER BY place ROWS UNBOUNDED PRECEDING) AS running FROM wanting
                    WHERE NOT twice AND (quota IS NULL OR quota NOT IN ('outside_quota', 'needs_selection', 'list_over'))""")
                wanted, count = self.con.execute("SELECT coalesce(sum(cost), 0), count(*) FROM eligible").fetchone()
                wanted = Decimal(wanted)
                amount_sql = f"CAST({literal(str(amount))} AS DECIMAL(38,12))"
                if batch._prorated(budget):
                    summary = self._prorate(budget, wanted, count)
                elif not keys and wanted > amount:
                    self.con.execute(f"INSERT INTO budget_decisions SELECT _line, pos, {literal(payer)}, 'needs_selection' "
                                     "FROM eligible")
                    summary = {"payer": payer, "budget": runtime.yuan(amount), "wanted": runtime.yuan(wanted),
                               "candidates": count, "over_by": runtime.yuan(wanted - amount)}
                else:
                    self.con.execute(f"""
                        INSERT INTO budget_decisions SELECT _line, pos, {literal(payer)},
                          CASE WHEN running <= {amount_sql} THEN 'within_budget' ELSE 'outside_budget' END FROM eligible""")
                    spent, funded = self.con.execute(
                        f"SELECT coalesce(sum(cost), 0), count(*) FROM eligible WHERE running <= {amount_sql}").fetchone()
                    summary = {"payer": payer, "budget": runtime.yuan(amount), "wanted": runtime.yuan(wanted),
                               "spent": runtime.yuan(Decimal(spent)), "candidates": count, "funded": funded}
                summaries[(policy.docno, payer)] = summary
        return {f"{policy} {payer}": value for (policy, payer), value in sorted(summaries.items())}

    # ---- issue 13: budgets that pro-rate (预算 … 按比例核减), as runtime.allocate_budget_prorata
    def _prorate(self, budget, wanted: Decimal, count: int) -> dict:
        """Decides one 按比例核减 budget over the table `eligible` (its rows' cost is the award's
        maximum): within_budget when the awards want no more than it, else prorated, with the
        funded amounts in budget_amounts. In whole cents, in HUGEINT, exactly as the runtime:
        share (2·c·T + W) // (2·W), the remainder cents to the awards rounding cut (or raised)
        the most, ties to 申请人, line, clause."""
        payer, amount = budget[0], budget[1]
        total = int((Decimal(amount) * 100).to_integral_value(rounding="ROUND_FLOOR"))
        cents = int(wanted * 100)
        summary = {"payer": payer, "budget": runtime.yuan(amount), "wanted": runtime.yuan(wanted), "candidates": count}
        if cents <= total:
            self.con.execute(f"INSERT INTO budget_decisions SELECT _line, pos, {literal(payer)}, 'within_budget' FROM eligible")
            summary.update({"spent": runtime.yuan(wanted), "funded": count})
            return summary
        t, w = f"CAST({total} AS HUGEINT)", f"CAST({cents} AS HUGEINT)"
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE prorating AS
            WITH claims AS (
              SELECT e._line, e.pos, e.applicant, CAST(e.cost * 100 AS HUGEINT) AS c,
                     CAST(l.amount_min * 100 AS HUGEINT) AS low
              FROM eligible e JOIN competing l ON l._line = e._line AND l.pos = e.pos),
            rounded AS (SELECT *, (2 * c * {t} + {w}) // (2 * {w}) AS r FROM claims)
            SELECT *, c * {t} - r * {w} AS d FROM rounded""")
        remainder = total - int(self.con.execute("SELECT coalesce(sum(r), 0) FROM prorating").fetchone()[0])
        order = "d DESC" if remainder > 0 else "d ASC"
        step = 1 if remainder > 0 else -1
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE prorated AS
            WITH placed AS (
              SELECT *, row_number() OVER (ORDER BY {order}, applicant, _line, pos) AS n FROM prorating),
            funded AS (
              SELECT *, r + CASE WHEN n <= {abs(remainder)} THEN {step} ELSE 0 END AS f FROM placed)
            SELECT _line, pos,
                   CASE WHEN low IS NULL THEN NULL WHEN low = c THEN f
                        ELSE least((2 * low * {t} + {w}) // (2 * {w}), f) END AS low_f, f
            FROM funded""")
        self.con.execute(f"INSERT INTO budget_decisions SELECT _line, pos, {literal(payer)}, 'prorated' FROM prorated")
        self.con.execute("""
            INSERT INTO budget_amounts SELECT _line, pos, CAST(CAST(low_f AS DECIMAL(38,0)) * 0.01 AS DECIMAL(38,2)),
                                              CAST(CAST(f AS DECIMAL(38,0)) * 0.01 AS DECIMAL(38,2)) FROM prorated""")
        summary.update({"spent": runtime.yuan(Decimal(total) / 100), "funded": count, "prorated": count,
                        "over_by": runtime.yuan(Decimal(cents - total) / 100)})
        return summary

    def _prorated_amounts(self) -> None:
        """The funded amounts of prorated awards replace their evaluated ones in `final` (after
        the allocations, before the totals, the summary and the output): set on their rows of
        `allocation`, which `final` reads them from."""
        if not self.con.execute("SELECT count(*) FROM budget_amounts").fetchone()[0]:
            return
        self.con.execute("""
            UPDATE allocation a SET funded = true, funded_min = b.amount_min, funded_max = b.amount_max
            FROM budget_amounts b WHERE b._line = a._line AND b.pos = a.pos AND a.allocation = 'prorated'""")
        self._final_view(funded=True)

    def _allocations(self) -> None:
        """One allocation per listed clause row, combined as batch.run does: a quota's
        decision first; a budget's replaces it only when outside_budget; with no quota, the
        first budget's (in payer order) unless a later one is outside_budget. CREATE TABLE
        allocation: the few rows that have one (and, set later, a prorated award's funded
        amounts and the 企业上限 marks); then the view `final`."""
        # held: the allocation withholds the award (paid_now false), decided here once per row
        # rather than by comparing strings over every row of final at each reading of it
        self.con.execute(f"""
            CREATE TABLE allocation AS
            WITH budget AS (
              SELECT _line, pos, bool_or(allocation = 'outside_budget') AS outside,
                     arg_min(allocation, payer) AS first FROM budget_decisions GROUP BY _line, pos),
            combined AS (
              SELECT coalesce(q._line, b._line) AS _line, coalesce(q.pos, b.pos) AS pos,
                     CASE WHEN b.outside THEN 'outside_budget' WHEN b.first = 'prorated' THEN 'prorated'
                          WHEN q.allocation IS NOT NULL THEN q.allocation
                          ELSE b.first END AS allocation
              FROM quota_decisions q FULL OUTER JOIN budget b ON q._line = b._line AND q.pos = b.pos)
            SELECT m.*, m.allocation IN ({", ".join(literal(o) for o in OUTS)}) AS held, false AS funded,
                   CAST(NULL AS DECIMAL(38,2)) AS funded_min, CAST(NULL AS DECIMAL(38,2)) AS funded_max,
                   l.amount_min AS evaluated_min, l.amount_max AS evaluated_max  -- as in clause_rows (_summary)
            FROM combined m LEFT JOIN competing l ON l._line = m._line AND l.pos = m.pos""")
        # What final leaves out of clause_rows: the lines withheld (an applicant named twice, or
        # one competing without 申请人), and, without --all, the rows that do not apply (kept in
        # clause_rows for the clauses whose matter comes from a fact in a 就高不重复 policy: see
        # _clause_rows; usually none).
        self.con.execute("CREATE TEMP TABLE withheld AS SELECT _line FROM competes_unnamed UNION SELECT first FROM twice")
        self.con.execute(f"""
            CREATE TEMP TABLE hidden AS SELECT _line, pos FROM clause_rows
            WHERE {"false" if self.include_all else "applies = false"}""")
        self.withheld, self.hidden = self.con.execute(
            "SELECT (SELECT count(*) FROM withheld) > 0, (SELECT count(*) FROM hidden) > 0").fetchone()
        self._final_view(funded=False)

    def _final_view(self, funded: bool) -> None:
        """CREATE VIEW final: the rows written, narrow, with their allocation and whether they
        are paid after it (paid_now); not those of a row withheld (an applicant named twice, or
        one competing without 申请人); labels and 申请人 are joined where they are written.
        A view, not a copy: the clause rows are read where they are, and only the few rows of
        `allocation` are joined in (a copy of every clause row cost more than the readers' join).
        `funded`: some awards are prorated, their amounts are those of `allocation`."""
        # Rows left out by anti joins with small tables, not by a filter: DuckDB guesses that a
        # filter keeps a fifth of the rows, and the writers' queries over final were planned
        # on that guess (a hash table built on the wrong side: half as slow again at 100,000).
        # An anti join with an empty table, the common case, is left out altogether.
        joins = ""
        if self.hidden:
            joins += " ANTI JOIN hidden h ON h._line = c._line AND h.pos = c.pos"
        if self.withheld:
            joins += " ANTI JOIN withheld w ON w._line = c._line"
        self.final_rows = f"clause_rows c{joins}"  # final's rows (c), without its joins: _summary reads them too
        modifiers = ", ".join(str(c.position) for c in self.clauses if c.spec.modifies is not None)
        if funded:
            amounts = ("CASE WHEN a.funded THEN coalesce(a.funded_min, c.amount_min) ELSE c.amount_min END AS amount_min, "
                       "CASE WHEN a.funded THEN a.funded_max ELSE c.amount_max END AS amount_max")
        else:
            amounts = "c.amount_min, c.amount_max"
        self.con.execute(f"""
            CREATE OR REPLACE VIEW final AS
            SELECT c._line, c.pos, c.matter, c.applies, c.paid, c.kind, {amounts}, c.could_pay, c.reason,
                   {f"c.pos IN ({modifiers})" if modifiers else "false"} AS is_modifier, a.allocation,
                   c.paid AND a.held IS NOT true AS paid_now
            FROM {self.final_rows} LEFT JOIN allocation a ON a._line = c._line AND a.pos = c.pos""")

    # ------------------------------------------------------------ totals (runtime.add_up over the listed rows)
    def _totals_sql(self, lines: tuple[int, int] | None = None) -> str:
        """The query of the table `totals` (_line, low, high, open, undecided): each line with a
        listed clause, its total as runtime.add_up gives it (open / undecided: the clauses'
        JSON labels in clause order; undecided: those that cannot be decided first, then
        those waiting for a selection); of the lines first…last of `lines` only, if given."""
        # A matter is resolved for every applicant when a 就高不重复 policy names it in a
        # clause (runtime: any result naming it; a clause's own 事项 is named even when it
        # does not apply); a matter read from a fact (事项 按 X), when that clause names it.
        static = sorted({c.spec.matter for c in self.clauses
                         if c.spec.matter is not None and c.policy.principle == "就高不重复"})
        # `rows` is read twice (by_matter and the sums), so DuckDB writes it once: it stays narrow,
        # with no text. The labels of open and undecided clauses are their positions, sorted per
        # line and named at the end (a list per line, not an ordered aggregate of label text);
        # the 文号 only when a policy has 企业上限 (_cap_ctes reads it). Round 19: only the columns
        # read after it (not final's every column: its strings were copied into it too), whether
        # a row is open worked out there, and the tests on strings made only on the rows they
        # can hold for (a matter named, a paid row): the statement at 100,000 enterprises, least
        # of 5 alternated, 1.25 -> 1.14 s CPU.
        capped = bool(getattr(self, "capped_policies", None))
        policy = ", i.policy" if capped else ""
        info = "JOIN clause_info i USING (pos)" if capped else ""
        best_policy = ("arg_min(policy, (-most, pos)) FILTER (WHERE possible IS NOT NULL AND most IS NOT NULL)"
                       if capped else "CAST(NULL AS VARCHAR)")
        count = max(1, len(self.clauses))
        labels = "CAST([" + ", ".join(literal(_j(c.policy.docno + c.label)) for c in self.clauses) + "] AS VARCHAR[])"
        within = f"c._line BETWEEN {int(lines[0])} AND {int(lines[1])} AND " if lines else ""
        final = f"(SELECT * FROM final WHERE _line BETWEEN {int(lines[0])} AND {int(lines[1])})" if lines else "final"
        # The matters read from a fact by a clause of a 就高不重复 policy, per line: those
        # clauses' positions named here (a filter DuckDB takes down to the clause codes' scan,
        # where a join with clause_info read every row: 0.1 s CPU at 100,000 enterprises).
        dynamic = ", ".join(str(c.position) for c in self.clauses
                            if c.spec.matter_fact is not None and c.policy.principle == "就高不重复")
        resolved = (f"SELECT DISTINCT c._line, c.matter FROM clause_rows c WHERE {within}c.pos IN ({dynamic}) "
                    f"AND c.matter IS NOT NULL" if dynamic else
                    "SELECT CAST(NULL AS BIGINT) AS _line, CAST(NULL AS VARCHAR) AS matter WHERE false")
        return """
            WITH resolved AS ({resolved}),
            rows AS (
              SELECT f._line, f.pos, f.amount_min{policy},
                     CASE WHEN f.matter IS NULL THEN NULL WHEN r.matter IS NOT NULL OR f.matter IN ({static})
                          THEN f.matter END AS rmatter,
                     CASE WHEN f.applies IS NULL AND NOT f.is_modifier THEN 0
                          WHEN f.allocation IN ('needs_selection', 'list_over') AND f.kind IS NOT NULL
                               AND f.kind <> 'routing' THEN 1 END AS possible,
                     CASE WHEN f.applies IS NULL AND NOT f.is_modifier THEN f.could_pay ELSE f.amount_max END AS most,
                     CASE WHEN f.paid_now THEN f.kind NOT IN ('routing', 'case_by_case', 'unspecified') ELSE false END
                       AS money,
                     CASE WHEN f.paid_now THEN f.kind IN ('case_by_case', 'unspecified', 'at_least') ELSE false END
                       AS is_open,
                     coalesce(f.amount_max, f.amount_min) AS most_paid
              FROM {final} f {info}
              LEFT JOIN resolved r ON r._line = f._line AND r.matter = f.matter),
            by_matter AS (
              SELECT _line, rmatter,
                     max(most_paid) FILTER (WHERE money) AS paid_most,
                     max(most) FILTER (WHERE possible IS NOT NULL AND most IS NOT NULL) AS best,
                     {best_policy} AS best_policy
              FROM rows WHERE rmatter IS NOT NULL GROUP BY _line, rmatter),
            extra AS (
              SELECT _line, sum(greatest(0, best - coalesce(paid_most, 0))) AS extra FROM by_matter
              WHERE best IS NOT NULL GROUP BY _line),
            {caps},
            sums AS (
              SELECT _line, coalesce(sum(amount_min) FILTER (WHERE money), 0) AS low,
                     coalesce(sum(most_paid) FILTER (WHERE money), 0)
                       + coalesce(sum(most) FILTER (WHERE possible IS NOT NULL AND rmatter IS NULL AND most IS NOT NULL), 0)
                       AS high,
                     list(pos) FILTER (WHERE is_open) AS open,
                     list(possible * {count} + pos) FILTER (WHERE possible IS NOT NULL AND most IS NULL) AS undecided
              FROM rows GROUP BY _line)
            SELECT s._line, CAST(s.low - coalesce(k.cut_min, 0) AS DECIMAL(38,2)) AS low,
                   CAST(s.high + coalesce(e.extra, 0) - coalesce(k.cut_max, 0) AS DECIMAL(38,2)) AS high,
                   list_transform(list_sort(s.open), lambda p: {labels}[p + 1]) AS open,
                   list_transform(list_sort(s.undecided), lambda p: {labels}[p % {count} + 1]) AS undecided
            FROM sums s LEFT JOIN extra e ON e._line = s._line LEFT JOIN cap_cut k ON k._line = s._line""".format(
            policy=policy, info=info, best_policy=best_policy, count=count, labels=labels, resolved=resolved, final=final,
            static=", ".join(literal(m) for m in static) or "NULL", caps=self._cap_ctes())

    # ------------------------------------------------------------ issue 13: caps per enterprise (r14-caps)
    def _enterprise_caps(self) -> None:
        """企业上限, as runtime.cap_room and mark_capped decide it, after quotas and budgets:
        CREATE TABLE cap_rooms (_line, policy, room_low, room_high) for every evaluated row and
        capped policy (the limit, less the 已获 fact: unknown → 0 … limit; the least room of
        several caps), and each paid money row of a policy whose paid awards (an at_least
        award at its floor) exceed its room gets allocation 'capped'."""
        available = {column for column, _t in self.loaded.view_columns}
        rooms = []
        for policy, _specs in self.policies:
            caps = policy.caps
            if not caps:
                continue
            lows, highs = [], []
            for limit, received in caps:
                amount = f"CAST({literal(str(limit))} AS DECIMAL(38,6))"
                if received is None:
                    lows.append(amount)
                    highs.append(amount)
                    continue
                already = f"r.{ident(received)}" if received in available else "CAST(NULL AS DECIMAL(38,6))"
                room = f"greatest(CAST(0 AS DECIMAL(38,6)), {amount} - {already})"
                lows.append(f"CASE WHEN {already} IS NULL THEN CAST(0 AS DECIMAL(38,6)) ELSE {room} END")
                highs.append(f"CASE WHEN {already} IS NULL THEN {amount} ELSE {room} END")
            rooms.append(f"SELECT r._line, {literal(policy.docno)} AS policy, least({', '.join(lows)}) AS room_low, "
                         f"least({', '.join(highs)}) AS room_high FROM register r")
        self.capped_policies = [policy.docno for policy, _specs in self.policies if policy.caps]
        if not rooms:
            return
        self.con.execute("CREATE TABLE cap_rooms AS " + " UNION ALL ".join(rooms))
        money = "f.paid_now AND f.kind NOT IN ('routing', 'case_by_case', 'unspecified') AND f.amount_min IS NOT NULL"
        capped = ", ".join(str(c.position) for c in self.clauses if c.policy.caps) or "NULL"
        # The rows marked, decided over `final` as it stands; then written into `allocation`
        # (which final reads its allocation from): a row with an allocation has it replaced.
        self.con.execute(f"""
            CREATE TEMP TABLE capped AS
            SELECT f._line, f.pos FROM final f JOIN clause_info j USING (pos) JOIN (
              SELECT f._line, i.policy FROM final f JOIN clause_info i USING (pos)  -- final is narrow: the 文号 from clause_info
              JOIN cap_rooms c ON c._line = f._line AND c.policy = i.policy
              WHERE {money} AND f.pos IN ({capped}) GROUP BY f._line, i.policy, c.room_low, c.room_high
              HAVING sum(f.amount_min) > c.room_low OR sum(coalesce(f.amount_max, f.amount_min)) > c.room_high) b
              ON b._line = f._line AND b.policy = j.policy
            WHERE {money} AND f.pos IN ({capped})""")
        self.con.execute("""
            UPDATE allocation a SET allocation = 'capped', held = false FROM capped k WHERE k._line = a._line AND k.pos = a.pos""")
        self.con.execute("""
            INSERT INTO allocation (_line, pos, allocation, held, funded)
            SELECT k._line, k.pos, 'capped', false, false FROM capped k ANTI JOIN allocation a ON k._line = a._line AND k.pos = a.pos""")

    def _cap_ctes(self) -> str:
        """The CTE `cap_cut (_line, cut_min, cut_max)` of _totals_sql: what 企业上限 takes off
        (runtime._add_up): per capped policy, its paid minimums over room_low, and its paid
        maximums plus what its possible clauses add (within a matter, the addition counts for
        the policy of the highest possible clause, the earlier on a tie) over room_high."""
        if not getattr(self, "capped_policies", None):
            return ("cap_cut AS (SELECT CAST(NULL AS BIGINT) AS _line, CAST(0 AS DECIMAL(38,6)) AS cut_min, "
                    "CAST(0 AS DECIMAL(38,6)) AS cut_max WHERE false)")
        capped = ", ".join(literal(d) for d in self.capped_policies)
        return f"""
            cap_sums AS (
              SELECT _line, policy, coalesce(sum(amount_min) FILTER (WHERE money), 0) AS pmin,
                     coalesce(sum(most_paid) FILTER (WHERE money), 0)
                       + coalesce(sum(most) FILTER (WHERE possible IS NOT NULL AND rmatter IS NULL AND most IS NOT NULL), 0)
                       AS pmax
              FROM rows WHERE policy IN ({capped}) GROUP BY _line, policy
              UNION ALL
              SELECT _line, best_policy, 0, greatest(0, best - coalesce(paid_most, 0)) FROM by_matter
              WHERE best IS NOT NULL AND best_policy IN ({capped})),
            cap_cut AS (
              SELECT s._line, sum(greatest(0, s.pmin - c.room_low)) AS cut_min,
                     sum(greatest(0, s.pmax - c.room_high)) AS cut_max
              FROM (SELECT _line, policy, sum(pmin) AS pmin, sum(pmax) AS pmax FROM cap_sums GROUP BY _line, policy) s
              JOIN cap_rooms c ON c._line = s._line AND c.policy = s.policy GROUP BY s._line)"""

    # ------------------------------------------------------------ summary
    def _summary(self, loaded, quotas: dict, budgets: dict) -> dict:
        bad = self._bad_rows()
        stats = {}
        # Counts and sums per clause as over `final`, in two parts: one pass over clause_rows
        # grouped by the clause's position, as if no allocation were made (every paid row paid,
        # at its evaluated amounts), then what the few rows of `allocation` change — a row held
        # back is not paid and its amounts go; a prorated award counts its funded amounts. Every
        # row of `allocation` is a paid row of final (the quotas and budgets rank only those; a
        # capped row is one of final's), so nothing else changes; the labels join the groups.
        # (Reading final itself joins `allocation` to every clause row.)
        for (key, applies, undecidable, paid, oq, ob, lo, ns, low, high) in self.con.execute(f"""
                WITH {self._evaluated_sql()},
                amounts AS (
                  SELECT pos, allocation, held,
                         CASE WHEN evaluated_max IS NOT NULL THEN evaluated_min END AS old_low, evaluated_max AS old_high,
                         CASE WHEN held THEN NULL WHEN NOT funded THEN evaluated_min
                              ELSE coalesce(funded_min, evaluated_min) END AS new_low,
                         CASE WHEN held THEN NULL WHEN NOT funded THEN evaluated_max ELSE funded_max END AS new_high
                  FROM allocation),
                changes AS (
                  SELECT pos, count(*) FILTER (WHERE held) AS held,
                         count(*) FILTER (WHERE allocation = 'outside_quota') AS oq,
                         count(*) FILTER (WHERE allocation = 'outside_budget') AS ob,
                         count(*) FILTER (WHERE allocation = 'list_over') AS lo,
                         count(*) FILTER (WHERE allocation = 'needs_selection') AS ns,
                         sum(CASE WHEN new_high IS NOT NULL THEN coalesce(new_low, 0) ELSE 0 END - coalesce(old_low, 0)) AS low,
                         sum(coalesce(new_high, 0) - coalesce(old_high, 0)) AS high
                  FROM amounts GROUP BY pos)
                SELECT i.policy || ' ' || i.clause, e.applies, e.undecidable, e.paid - coalesce(g.held, 0),
                       coalesce(g.oq, 0), coalesce(g.ob, 0), coalesce(g.lo, 0), coalesce(g.ns, 0),
                       e.low + coalesce(g.low, 0), e.high + coalesce(g.high, 0)
                FROM evaluated e JOIN clause_info i USING (pos) LEFT JOIN changes g USING (pos)
                ORDER BY e.first, e.pos""").fetchall():
            stats[key] = {"applies": applies, "undecidable": undecidable, "paid": paid, "outside_quota": oq,
                          "outside_budget": ob, "list_over": lo, "needs_selection": ns,
                          "min": runtime.yuan(Decimal(low)), "max": runtime.yuan(Decimal(high))}
        self.bad_count = len(bad)
        summary = {"on": str(self.on_given) if self.on_given else None, "rows": loaded.rows,
                   "evaluated": loaded.rows - len(bad),
                   "bad_rows": {"count": len(bad), "listed": self._listed_bad(bad)},
                   "clauses": stats, "quotas": quotas, "budgets": budgets}
        outcomes = batch.outcome_counts({c.key: c.spec for c in self.clauses}, stats)  # issue 13
        if outcomes:
            summary["outcomes"] = outcomes
        return summary

    def _evaluated_sql(self) -> str:
        """The CTE `evaluated` of _summary (pos, first, applies, undecidable, paid, low, high):
        per clause, over the rows of final as if no allocation were made, its first line, the
        rows that apply, cannot be decided, are paid, and the sums of the paid rows' amounts
        where the maximum is known. Over clause_codes (to_sql's rows): counted and summed per
        code, then per clause with clause_states — the view clause_rows would decode every
        row (100,000 enterprises: 0.26 s CPU against 0.15 s for the decoded rows of round 18,
        0.1 s per code). A code's rows have their amounts from the same place (min_from,
        max_from: the value v1 or v2 read per applicant, else the amount it states), so the
        sums per code are those of v1 and v2 over the rows whose maximum is known."""
        if not self.coded:
            return f"""evaluated AS (
                  SELECT c.pos, min(c._line) AS first, count(*) FILTER (WHERE c.applies) AS applies,
                         count(*) FILTER (WHERE c.applies IS NULL) AS undecidable, count(*) FILTER (WHERE c.paid) AS paid,
                         coalesce(sum(c.amount_min) FILTER (WHERE c.paid AND c.amount_max IS NOT NULL), 0) AS low,
                         coalesce(sum(c.amount_max) FILTER (WHERE c.paid AND c.amount_max IS NOT NULL), 0) AS high
                  FROM {self.final_rows} GROUP BY c.pos)"""
        columns = {name for name, _type in self._coded()["columns"]}
        both = {"v1", "v2"} <= columns
        sums = "".join(f", count(c.{v}) AS n{v[1]}, sum(c.{v}) AS s{v[1]}" if v in columns
                       else f", 0 AS n{v[1]}, CAST(NULL AS DECIMAL(38,2)) AS s{v[1]}" for v in ("v1", "v2"))
        sums += (", sum(c.v1) FILTER (WHERE c.v2 IS NOT NULL) AS s12, sum(c.v2) FILTER (WHERE c.v1 IS NOT NULL) AS s21"
                 if both else ", CAST(NULL AS DECIMAL(38,2)) AS s12, CAST(NULL AS DECIMAL(38,2)) AS s21")
        withheld = " ANTI JOIN withheld w ON w._line = c._line" if self.withheld else ""
        hidden = " AND s.applies IS DISTINCT FROM false" if self.hidden else ""  # hidden: the rows that do not apply
        return f"""per_code AS (
                  SELECT c.code, min(c._line) AS first, count(*) AS n{sums}
                  FROM clause_codes c{withheld} GROUP BY c.code),
                known AS (
                  SELECT s.pos, s.applies, s.paid, s.min_from, s.max_from, s.stated_min, s.stated_max, k.*,
                         CASE s.max_from WHEN 1 THEN k.n1 WHEN 2 THEN k.n2
                              ELSE CASE WHEN s.stated_max IS NULL THEN 0 ELSE k.n END END AS with_max
                  FROM per_code k JOIN clause_states s ON s.code = k.code WHERE true{hidden}),
                evaluated AS (
                  SELECT pos, min(first) AS first, coalesce(sum(n) FILTER (WHERE applies), 0) AS applies,
                         coalesce(sum(n) FILTER (WHERE applies IS NULL), 0) AS undecidable,
                         coalesce(sum(n) FILTER (WHERE paid), 0) AS paid,
                         coalesce(sum(CASE WHEN with_max = 0 THEN NULL
                                           WHEN min_from = 1 THEN CASE WHEN max_from = 2 THEN s12 ELSE s1 END
                                           WHEN min_from = 2 THEN CASE WHEN max_from = 1 THEN s21 ELSE s2 END
                                           ELSE stated_min * with_max END) FILTER (WHERE paid), 0) AS low,
                         coalesce(sum(CASE WHEN with_max = 0 THEN NULL WHEN max_from = 1 THEN s1 WHEN max_from = 2 THEN s2
                                           ELSE stated_max * n END) FILTER (WHERE paid), 0) AS high
                  FROM known GROUP BY pos)"""

    def _bad_rows(self) -> list[dict]:
        """Every bad row with its message, as batch.run words them."""
        twice = dict(self.con.execute("SELECT applicant, first FROM twice").fetchall())
        bad = []
        for entry in self.loaded.bad:
            applicant = entry.get("applicant")
            if not entry["structural"] and applicant in twice and entry["line"] > twice[applicant]:
                bad.append({"line": entry["line"], "applicant": applicant, "error": batch._twice(applicant)})
            elif applicant is None or entry["structural"]:
                bad.append({"line": entry["line"], "error": entry["error"]})
            else:
                bad.append({"line": entry["line"], "applicant": applicant, "error": entry["error"]})
        a = ident(IDENTIFIER)
        for line, applicant in self.con.execute(f"""
                SELECT r._line, r.{a} FROM register_rows r JOIN twice t ON r.{a} = t.applicant""").fetchall():
            bad.append({"line": line, "applicant": applicant, "error": batch._twice(applicant)})
        missing = (f"缺少「{IDENTIFIER}」列：名额或预算排序需要申请人标识 / "
                   f"the {IDENTIFIER} column is needed to rank applicants")
        for (line,) in self.con.execute("SELECT _line FROM competes_unnamed").fetchall():
            bad.append({"line": line, "error": missing})
        bad.sort(key=lambda entry: entry["line"])
        return bad

    def _listed_bad(self, bad: list[dict]) -> list[dict]:
        return bad[:batch.MAX_BAD_ROWS_LISTED]

    def _report_bad(self, errors) -> None:
        bad = self._bad_rows()
        for entry in bad[:batch.MAX_BAD_ROWS_LISTED]:
            errors.write(f"{self.source}:{entry['line']}: 第{entry['line']}行已跳过 / line {entry['line']} skipped: "
                         f"{entry['error']}\n")
        if len(bad) > batch.MAX_BAD_ROWS_LISTED:
            errors.write(f"……共跳过 {len(bad)} 行，只列出前 {batch.MAX_BAD_ROWS_LISTED} 行 / "
                         f"{len(bad)} rows skipped, the first {batch.MAX_BAD_ROWS_LISTED} listed\n")

    # ------------------------------------------------------------ output
    # (the allocation tested only where there is one: most rows have none)
    REASON_SQL = ("CASE WHEN f.allocation IS NULL THEN f.reason WHEN f.allocation IN ('outside_quota', 'outside_budget', "
                  "'needs_selection', 'list_over') THEN f.allocation ELSE f.reason END")

    def _clause_parts_sql(self) -> str:
        """Columns of `final f` that a listed clause's value needs besides final's own: `why`
        (its reason code) and `funding_text` (the "funding" member of its trailing object)."""
        return f"{self.REASON_SQL} AS why, {self._funding_sql()} AS funding_text"

    @staticmethod
    def _clause_value_sql(key: str = "''") -> str:
        """One listed clause's value under its policy and reason, as compact.clause_value
        writes it, after the text `key` (an expression: the clause's `"label":`): could_pay
        (or null) for undecidable; else [kind, min, max, {extra}], max left out when equal to
        min, the kind alone when nothing else. Reads the columns of `final` and those of
        _clause_parts_sql, as `f`. The common shapes (undecidable, an award with no trailing
        object: exact, a range, a kind alone; no award) come first, each one concat of
        `key`, constants and the amounts cast once; the general form handles every other."""
        award = "coalesce(f.applies AND f.kind IS NOT NULL, false)"
        plain = "coalesce((f.allocation IS NULL OR f.allocation = f.why) AND f.funding_text IS NULL, false)"  # no trailing object

        def text(column):
            return f"'\"' || CAST({column} AS VARCHAR) || '\"'"
        kind = f"CASE WHEN {award} THEN '\"' || f.kind || '\"' END"
        low = f"CASE WHEN {award} AND f.amount_min IS NOT NULL THEN {text('f.amount_min')} END"
        high = (f"CASE WHEN {award} AND f.amount_max IS NOT NULL AND f.amount_max IS DISTINCT FROM f.amount_min "
                f"THEN {text('f.amount_max')} WHEN {award} AND f.amount_min IS NOT NULL AND f.amount_max IS NULL "
                f"THEN 'null' END")
        allocation = (f"CASE WHEN f.allocation IS NOT NULL AND f.allocation <> f.why "
                      f"THEN '\"allocation\"{KEY}\"' || f.allocation || '\"' END")
        extra = f"CASE WHEN NOT ({plain}) THEN '{{' || concat_ws('{ITEM}', {allocation}, f.funding_text) || '}}' END"
        general = (f"CASE WHEN ({kind}) IS NULL AND ({extra}) IS NULL THEN 'null' "
                   f"WHEN ({low}) IS NULL AND ({high}) IS NULL AND ({extra}) IS NULL THEN {kind} "
                   f"ELSE '[' || concat_ws('{ITEM}', {kind}, {low}, {high}, {extra}) || ']' END")
        minimum, maximum = "CAST(f.amount_min AS VARCHAR)", "CAST(f.amount_max AS VARCHAR)"
        return (f"CASE WHEN f.why = 'undecidable' THEN CASE WHEN f.applies IS NULL AND NOT f.is_modifier "
                f"AND f.could_pay IS NOT NULL THEN concat({key}, '\"', CAST(f.could_pay AS VARCHAR), '\"') "
                f"ELSE concat({key}, 'null') END "
                f"WHEN NOT {plain} THEN concat({key}, {general}) "
                f"WHEN NOT {award} THEN concat({key}, 'null') "
                f"WHEN f.amount_max = f.amount_min THEN concat({key}, '[\"', f.kind, '\"{ITEM}\"', {minimum}, '\"]') "
                f"WHEN f.amount_max <> f.amount_min THEN concat({key}, '[\"', f.kind, '\"{ITEM}\"', {minimum}, "
                f"'\"{ITEM}\"', {maximum}, '\"]') "
                f"WHEN f.amount_min IS NULL AND f.amount_max IS NULL THEN concat({key}, '\"', f.kind, '\"') "
                f"ELSE concat({key}, {general}) END")

    def _funding_sql(self) -> str:
        """runtime.ClauseResult.funding for paid clauses of a co-funded policy: each payer's
        part rounded half up, the last payer takes what is left."""
        cases = []
        for clause in self.clauses:
            split = clause.spec.split
            if clause.spec.payer_rules:  # issue 13: payers by condition, chosen per applicant
                cases.append(self._chosen_funding_sql(clause))
                continue
            if not split:
                continue
            parts = []
            for bound, column in (("min", "f.amount_min"), ("max", "f.amount_max")):
                taken = []
                for position, (payer, share) in enumerate(split):
                    if position == len(split) - 1:
                        value = f"({column}" + "".join(f" - {t}" for t in taken) + ")"
                    else:
                        value = f"round({column} * CAST({literal(str(share))} AS DECIMAL(38,10)), 2)"
                        taken.append(value)
                    parts.append((payer, bound, f"CAST(CAST({value} AS DECIMAL(38,2)) AS VARCHAR)"))
            text = []
            for index, (payer, _share) in enumerate(split):
                low = next(v for p, b, v in parts if p == payer and b == "min")
                high = next(v for p, b, v in parts if p == payer and b == "max")
                text.append(f"'{ITEM if index else ''}' || {literal(_j(payer))} || '{KEY}{{\"min\"{KEY}\"' || {low} || "
                            f"'\"{ITEM}\"max\"{KEY}\"' || {high} || '\"}}'")
            cases.append(f"WHEN {clause.position} THEN '\"funding\"{KEY}{{' || {' || '.join(text)} || '}}'")
        if not cases:
            return "CAST(NULL AS VARCHAR)"
        return f"CASE WHEN f.paid_now AND f.amount_max IS NOT NULL THEN CASE f.pos {' '.join(cases)} END END"

    def _chosen_funding_sql(self, clause: Clause) -> str:
        """Issue 13, payers by condition: the funding the per-applicant query chose (its
        `funding` column, JSON text), written compact (DuckDB's json() minifies it, keeping
        the order and the characters); NULL when no rule was chosen."""
        chosen = (f"(SELECT r.funding FROM clause_rows r WHERE r._line = f._line AND r.pos = {clause.position})")
        return f"WHEN {clause.position} THEN '\"funding\"{KEY}' || CAST(json({chosen}) AS VARCHAR)"

    def _write_jsonl(self, out) -> None:
        """The JSON lines (compact.grouped), built by DuckDB and written by COPY, in slices of
        register lines (OUTPUT_SLICE) so that memory holds one slice's text at a time.
        At 100,000 enterprises (round 19, bench/batch_stages.py alternated with round 18's code
        three times each, load 3-3.8): 4.96-5.34 -> 4.51-4.60 s CPU, the same bytes. Round 18's
        code spent about 1.2 s on the totals and 0.8 s on each of the four slices (the slice's
        statement about 0.7 s, of which the clause pieces' text about 0.35, finding the reason
        groups about 0.2, the sort about 0.1; COPY and the FIFO about 0.1 more)."""
        # In line order, so that each slice's statement reads its lines' totals by the table's
        # zone maps (an aggregate gives them in no order: every slice read every line's, a cost
        # growing with the square of the register, about a second at 1,000,000 lines).
        # With clause_rows compressed (a large register), each slice's totals are added to
        # `totals` just before its lines are written: all at once, the rows they add up (read
        # twice, so written out by DuckDB) no longer fit in memory and cost a third more
        # (1,000,000 enterprises: 19.1 s CPU, against 40 slices of 0.36 s).
        self.con.execute(f"CREATE TEMP TABLE totals AS SELECT * FROM ({self._totals_sql()}) "
                         f"{'LIMIT 0' if self.compressed else 'ORDER BY _line'}")
        low, high = self.con.execute("SELECT min(_line), max(_line) FROM register_lines").fetchone()
        if low is None:
            return
        self._clause_text()
        for start in range(low, high + 1, OUTPUT_SLICE):
            if self.compressed:
                self.con.execute(f"INSERT INTO totals SELECT * FROM ({self._totals_sql((start, start + OUTPUT_SLICE - 1))}) "
                                 f"ORDER BY _line")
            _copy_to(self.con, self._jsonl_fragments_sql(start, start + OUTPUT_SLICE - 1), JSON_FRAGMENTS, self.work,
                     out, drop=PIECE_END)

    def _clause_text(self) -> None:
        """CREATE TEMP TABLE clause_text: per clause, the text of the JSON lines that does not
        change from one applicant to the next (written once here, not concatenated per row):
        its key `"label":` (and `,"label":`, after a comma), its policy's opening `"文号":{` (and
        `}},"文号":{`, after the previous policy's last group), and for the reason groups'
        bitmasks (MASK_CLAUSES) its bit and its policy's bits."""
        masked = len(self.clauses) <= MASK_CLAUSES
        bits: dict[int, int] = {}
        for c in self.clauses:
            bits[c.policy_index] = bits.get(c.policy_index, 0) | (1 << c.position)
        rows = [(c.position, c.policy_index, _j(c.label) + KEY, ITEM + _j(c.label) + KEY,
                 _j(c.policy.docno) + KEY + "{", "}}" + ITEM + _j(c.policy.docno) + KEY + "{",
                 1 << c.position if masked else None, bits[c.policy_index] if masked else None)
                for c in self.clauses]
        self.con.execute("CREATE OR REPLACE TEMP TABLE clause_text (pos INTEGER, policy_index INTEGER, "
                         "label_key VARCHAR, comma_key VARCHAR, policy_open VARCHAR, policy_reopen VARCHAR, "
                         "bit HUGEINT, policy_bits HUGEINT)")
        if rows:
            self.con.execute("INSERT INTO clause_text VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows)),
                             [value for row in rows for value in row])

    def _jsonl_fragments_sql(self, first_line: int, last_line: int) -> str:
        """The JSON lines of register lines first_line…last_line as text pieces, sorted by
        (line, g, pos), that COPY writes each followed by PIECE_END (dropped as the text is
        copied to the output): the pieces in that order are the lines.

        A line is: {"line":N,"申请人":A,"policies":{ P:{ R:{ clause:value, … }, … }, … },"total":T}.
        Its pieces: the head `{"line":N,"申请人":A,"policies":{` (g = -1); per listed clause
        (g = its reason group's first clause, pos) `"label":value`, after a comma unless it
        opens its group, and the group's first clause after the group's opening: what closes
        the group before it in the line (`},` within a policy, `}},` when the policy changes),
        the policy's key when the policy changes, then `"reason":{`; last, the tail: what
        closes the last group, its policy and `policies` (`}` alone for a line with no listed
        clause), then `,"total":T}` and the newline. Groups are ordered by their first clause,
        and positions order policies and clauses, as compact.grouped orders them.

        How each clause finds its group's first clause g, and whether its group opens its
        policy or its line: with at most MASK_CLAUSES clauses (round 19), from bitmasks of
        positions, one aggregate per line (`masks`: every listed position, and those of each
        reason) joined back on the line alone: the clause's own reason's bits within its
        policy's bits, whose lowest bit is g; the group opens its policy when g is the lowest
        of the line's bits within the policy, its line when it is the lowest of them all.
        Otherwise (more clauses than a HUGEINT has bits) one aggregate per line, policy and
        reason for g, a window over those groups for the policy of the group before
        (`before`), joined back to the clause rows on (line, policy, reason). The masks cost
        less: no window and one aggregate of 25,000 groups instead of 250,000 per slice, joined
        on one integer (100,000 enterprises, _write_jsonl alternated 3 times each on a loaded
        machine: 5.08-5.41 -> 4.80-4.89 s CPU).

        Why pieces and not a text per line: ordered string_agg per reason, policy and line
        (three sorted aggregates) cost four times what one sort of the pieces does, and one
        string_agg per group or per line ordered by position, or a window string_agg, costs
        more than the sort too (round 17, measured); so did (round 19) one list of each group's
        pieces, sorted and joined per group (the list aggregate of text costs more than the
        sort it saves), one string_agg of a whole slice ordered by (line, g, pos) (1.01 -> 1.29
        s CPU at 20,000), and each piece as several columns that COPY writes side by side
        instead of one concatenated text (0.92 -> 1.12 s CPU at 20,000). Why the opening on the
        group's first clause (round 17) rather than a piece of its own (round 16): a quarter
        fewer pieces to build, sort and write (the statement alone on 20,000 enterprises, least
        of 8 runs: 0.75 → 0.69 s CPU). Why not the closing on each group's last clause, with
        COPY's separator as the comma (round 15): that needed the first and last group of each
        policy and line (three aggregates and their joins) and the previous line's total (a
        window over the register), which cost more than sorting the pieces and dropping their
        ends. A window over the clause rows for g, instead of the aggregate and its join, costs
        more again (it sorts them all: 0.76 -> 1.67 s CPU a slice, round 19); so does one
        integer sort key for (line, g, pos), or an integer key for the group join."""
        a = ident(IDENTIFIER)
        total = (f"coalesce('{{\"min\"{KEY}\"' || CAST(t.low AS VARCHAR) || '\"{ITEM}\"max\"{KEY}\"' "
                 f"|| CAST(t.high AS VARCHAR) || '\"' || "
                 f"CASE WHEN len(t.open) > 0 THEN '{ITEM}\"open\"{KEY}[' || array_to_string(t.open, '{ITEM}') || ']' ELSE '' END || "
                 f"CASE WHEN len(t.undecided) > 0 THEN '{ITEM}\"undecided\"{KEY}[' || array_to_string(t.undecided, '{ITEM}') || ']' "
                 f"ELSE '' END || '}}', '{{\"min\"{KEY}\"0.00\"{ITEM}\"max\"{KEY}\"0.00\"}}')")
        head = (f"'{{\"line\"{KEY}' || l._line || '{ITEM}\"{IDENTIFIER}\"{KEY}' || {_json_text_sql(f'l.{a}')} || "
                f"'{ITEM}\"policies\"{KEY}{{'")
        slice_ = f"f._line BETWEEN {first_line} AND {last_line}"
        if len(self.clauses) <= MASK_CLAUSES:
            # one mask per reason code (m0, m1, …): not to be confused with the clause codes of clause_codes
            reasons = [reason.value for reason in compact.Reason]
            pick = "CASE f.why " + " ".join(f"WHEN {literal(r)} THEN m.m{i}" for i, r in enumerate(reasons)) + " END"
            masks = ", ".join(f"bit_or(bit) FILTER (WHERE why = {literal(r)}) AS m{i}" for i, r in enumerate(reasons))
            # the clause's `"label":`, after a comma, or after its group's opening if it is the first
            opening = (f"CASE WHEN f.low = f.line_low THEN f.policy_open WHEN f.low = f.policy_low "
                       f"THEN f.policy_reopen ELSE '}}{ITEM}' END || '\"' || f.why || '\"{KEY}{{'")
            key = f"CASE WHEN f.bit = f.low THEN {opening} || f.label_key ELSE f.comma_key END"
            groups = f"""
            masks AS (
              SELECT _line, bit_or(bit) AS every, {masks}
              FROM (SELECT f._line, t.bit, {self.REASON_SQL} AS why
                    FROM final f JOIN clause_text t USING (pos) WHERE {slice_})
              GROUP BY _line),
            placed AS (
              SELECT f.*, ({pick}) & f.policy_bits AS mine, m.every & f.policy_bits AS policy_all,
                     m.every & -m.every AS line_low
              FROM clauses f JOIN masks m USING (_line)),
            grouped AS (
              SELECT f.*, f.mine & -f.mine AS low, f.policy_all & -f.policy_all AS policy_low FROM placed f),"""
            pieces = (f"SELECT f._line, CAST(bit_count(f.low - 1) AS INTEGER) AS g, f.pos, "
                      f"{self._clause_value_sql(key)} AS text FROM grouped f")
        else:
            opening = (f"CASE WHEN s.before IS NULL THEN f.policy_open WHEN s.before <> s.policy_index "
                       f"THEN f.policy_reopen ELSE '}}{ITEM}' END || '\"' || s.why || '\"{KEY}{{'")
            key = f"CASE WHEN f.pos = s.g THEN {opening} || f.label_key ELSE f.comma_key END"
            groups = f"""
            groups AS (
              SELECT _line, g, policy_index, why, lag(policy_index) OVER (PARTITION BY _line ORDER BY g) AS before
              FROM (SELECT f._line, t.policy_index, {self.REASON_SQL} AS why, min(f.pos) AS g
                    FROM final f JOIN clause_text t USING (pos) WHERE {slice_} GROUP BY ALL)),"""
            pieces = (f"SELECT f._line, s.g, f.pos, {self._clause_value_sql(key)} AS text "
                      f"FROM clauses f JOIN groups s USING (_line, policy_index, why)")
        return f"""
            WITH clauses AS (
              SELECT f.*, t.policy_index, t.label_key, t.comma_key, t.policy_open, t.policy_reopen, t.bit, t.policy_bits
              FROM (SELECT f.*, {self._clause_parts_sql()} FROM final f WHERE {slice_}) f JOIN clause_text t USING (pos)),{groups}
            lines AS (
              SELECT l._line, {head} AS head, CASE WHEN t._line IS NULL THEN '}}' ELSE '}}}}}}' END
                     || '{ITEM}"total"{KEY}' || {total} || '}}' || chr(10) AS tail
              FROM register_lines l LEFT JOIN totals t USING (_line) LEFT JOIN twice w ON w.applicant = l.{a}
              WHERE l._line BETWEEN {first_line} AND {last_line}
                AND l._line NOT IN (SELECT _line FROM competes_unnamed) AND w.applicant IS NULL)
            SELECT text FROM (
              {pieces}
              UNION ALL
              SELECT _line, -1, 0, head FROM lines
              UNION ALL
              SELECT _line, 2147483647, 0, tail FROM lines)
            ORDER BY _line, g, pos"""

    def _rows_sql(self, typed: bool = False) -> str:
        """One row per listed clause, compact.CSV_COLUMNS, in register and clause order; the
        money columns as text (CSV) or, `typed`, as DECIMAL(38,2) (Parquet). An empty 申请人
        is NULL, as the Python engine writes it (an empty CSV cell, a Parquet NULL)."""
        award = "f.applies AND f.kind IS NOT NULL"

        def money(column):
            return column if typed else f"CAST({column} AS VARCHAR)"
        return f"""
            SELECT f._line AS line, nullif(r.{ident(IDENTIFIER)}, '') AS {ident(IDENTIFIER)}, i.policy, i.clause,
                   {self.REASON_SQL} AS reason,
                   CASE WHEN {award} THEN f.kind END AS kind,
                   CASE WHEN {award} THEN {money('f.amount_min')} END AS min,
                   CASE WHEN {award} THEN {money('f.amount_max')} END AS max,
                   CASE WHEN f.applies IS NULL AND NOT f.is_modifier THEN {money('f.could_pay')} END AS could_pay,
                   f.allocation
            FROM final f JOIN clause_info i USING (pos) JOIN register_lines r USING (_line)
            ORDER BY f._line, f.pos"""

    def _write_csv(self, writer: compact.CsvWriter) -> None:
        """The CSV rows after the header compact.CsvWriter wrote: by DuckDB's COPY, which
        quotes exactly as Python's csv module (QUOTE_MINIMAL: a field holding a comma, a
        quote or a newline; COMMENT '' so that '#' is not quoted), except for a lone carriage
        return, which this Python leaves unquoted: a label or 申请人 holding one sends the rows
        through the Python writer instead (tests/test_compact.py compares the bytes)."""
        carriage_return = any("\r" in c.policy.docno or "\r" in c.label for c in self.clauses) or self.con.execute(
            f"SELECT count(*) FROM register_lines WHERE contains({ident(IDENTIFIER)}, chr(13))").fetchone()[0]
        if carriage_return:
            cursor = self.con.execute(self._rows_sql())
            while chunk := cursor.fetchmany(50_000):
                writer.writer.writerows(chunk)
            return
        _copy_to(self.con, self._rows_sql(), CSV_ROWS, self.work, writer.stream)

    def _write_parquet(self, path: str) -> None:
        typed = ", ".join(f"CAST({ident(name)} AS {compact.PARQUET_TYPES.get(name, 'VARCHAR')}) AS {ident(name)}"
                          for name in compact.CSV_COLUMNS)
        self.con.execute(f"COPY (SELECT {typed} FROM ({self._rows_sql(typed=True)})) TO {literal(path)} (FORMAT parquet)")


def _idle_cores() -> float:
    """The cores this process may use that other work leaves idle, by the 1-minute load average
    (all of them where it cannot be read). The load average counts this process's own recent
    work too: loading a 100,000-line register (about 3 s on two threads) adds a tenth or so."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        return cores - os.getloadavg()[0]
    except (AttributeError, OSError):
        return float(cores)


def _in_parallel(con, statement: str, ranges: list[tuple[int, int]]) -> int:
    """`statement` (over the view `register`: getvariable polc_low and
    polc_high) run for each range of lines at once, each on a cursor of its own (a connection to
    the same database: it sets its own search path and variables) in a thread of its own
    (DuckDB lets go of the GIL while it runs); the rows it inserted. Appends from several
    connections to one table do not conflict. An error in any part is raised here (the first,
    in part order); Ctrl-C interrupts every part."""
    results: list = [None] * len(ranges)
    cursors = [con.cursor() for _range in ranges]

    def run(index: int) -> None:
        cursor = cursors[index]
        try:
            cursor.execute(SEARCH_PATH)
            cursor.execute(f"SET VARIABLE polc_low = {int(ranges[index][0])}")
            cursor.execute(f"SET VARIABLE polc_high = {int(ranges[index][1])}")
            results[index] = cursor.execute(statement).fetchone()[0]
        except BaseException as exc:  # raised again in the calling thread
            results[index] = exc
    threads = [threading.Thread(target=run, args=(index,), name=f"polc-part-{index}", daemon=True)
               for index in range(len(ranges))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.05)  # a timed join, so that Ctrl-C reaches this thread
    except BaseException:
        for cursor in cursors:
            cursor.interrupt()
        for thread in threads:
            thread.join()
        raise
    finally:
        for cursor in cursors:
            cursor.close()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return sum(results)


def _copy_to(con, query: str, options: str, work: str, out, drop: str = "") -> None:
    """`COPY (query) TO … (options)` written on to the text stream `out`, less every `drop`
    character (see _copy_stream). DuckDB writes into a FIFO in the private directory `work`
    that a thread reads as it is written: no file of the whole slice is written to disk and
    read back (at 1,000,000 enterprises, 2.2 GB each way), and Python's copying runs beside
    DuckDB's work rather than after it. Where there are no FIFOs (os.mkfifo), through a file."""
    if not hasattr(os, "mkfifo"):
        part = os.path.join(work, "part.copy")
        con.execute(f"COPY ({query}) TO {literal(part)} ({options})")
        _append(part, out, os.path.getsize(part), drop=drop)
        os.unlink(part)
        return
    path = os.path.join(work, "copy.fifo")
    if not os.path.exists(path):
        os.mkfifo(path, 0o600)
    failed: list[BaseException] = []

    def read() -> None:
        try:
            with open(path, "rb") as source:
                try:
                    import fcntl
                    fcntl.fcntl(source.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
                except (ImportError, OSError):
                    pass  # the system's largest pipe is smaller: the default size works too
                try:
                    _copy_stream(source, out, drop)
                except BaseException as exc:  # the output failed (a full disk): DuckDB must still finish
                    failed.append(exc)
                    while source.read(1 << 20):
                        pass
        except BaseException as exc:
            failed.append(exc)

    reader = threading.Thread(target=read, name="polc-copy", daemon=True)
    reader.start()
    try:
        # USE_TMP_FILE false: into the FIFO itself, not a file beside it renamed over it
        con.execute(f"COPY ({query}) TO {literal(path)} ({options}, USE_TMP_FILE false)")
    finally:
        _release(path, reader)
    if failed:
        raise failed[0]


def _release(path: str, reader) -> None:
    """Waits for the thread reading the FIFO `path`. If DuckDB never opened it (an error
    before the first row, or nothing to write), the thread is still waiting to open it: a
    writer opened and closed at once gives it the end of the file."""
    while reader.is_alive():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # no reader has it open (not yet, or not any more)
            pass
        else:
            os.close(fd)
        reader.join(0.01)


def _copy_stream(source, out, drop: str = "", size: int | None = None) -> None:
    """The UTF-8 bytes of the binary stream `source` (the first `size` of them, or all) written
    to the text stream `out`, less every `drop` character (an ASCII control character:
    JSON_FRAGMENTS' piece ends; its byte never occurs inside another character's): as bytes
    to the binary file under `out` when it writes UTF-8 (no decoding and encoding again), else
    as text (a StringIO, a terminal in another encoding)."""
    utf8 = str(getattr(out, "encoding", "")).lower().replace("-", "").replace("_", "") == "utf8"
    binary = getattr(out, "buffer", None) if utf8 else None
    chunks = _chunks(source, drop.encode("ascii"), size)
    if binary is not None:
        out.flush()
        for chunk in chunks:
            binary.write(chunk)
        binary.flush()
        return
    decoder = codecs.getincrementaldecoder("utf-8")()  # a character may be cut between two reads
    for chunk in chunks:
        out.write(decoder.decode(chunk))
    out.write(decoder.decode(b"", final=True))


def _chunks(source, dropped: bytes, size: int | None):
    """The bytes of `source` in chunks of 1 MiB (the first `size`, or all), less every byte `dropped`."""
    left = size
    while left is None or left > 0:
        chunk = source.read(1 << 20 if left is None else min(left, 1 << 20))
        if not chunk:
            return
        if left is not None:
            left -= len(chunk)
        yield chunk.replace(dropped, b"") if dropped else chunk


def _append(path: str, out, size: int, drop: str = "") -> None:
    """The first `size` bytes of the UTF-8 file `path` written to the text stream `out`, less
    every `drop` character (see _copy_stream)."""
    with open(path, "rb") as source:
        _copy_stream(source, out, drop, size)


def _json_text_sql(column: str) -> str:
    """A VARCHAR as json.dumps(ensure_ascii=False) writes it. DuckDB's to_json escapes the
    same characters; it writes the hex of a control character in capitals, Python in small
    letters, so those ten escapes are lowered."""
    lowered = f"to_json({column})"
    for code in (0x0B, 0x0E, 0x0F, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F):
        upper = f"\\u{code:04X}"
        lowered = f"replace({lowered}, {literal(upper)}, {literal(upper.lower())})"
    return f"CASE WHEN {column} IS NULL THEN 'null' ELSE {lowered} END"


def _clause_row(line, applicant, clause: Clause, result) -> dict:
    """The stand-in's row of CONTRACTS.md §2 for one clause of one applicant."""
    spec = result.spec
    if result.applies is None:
        reason = "undecidable"
    elif result.applies is False:
        reason = "not_applicable"
    elif spec.modifies is not None:
        reason = "modifier"
    elif not result.paid:
        reason = "not_highest"
    elif result.award.kind == "routing":
        reason = "routing"
    else:
        reason = "paid"
    award = result.award
    return {"_line": line, IDENTIFIER: applicant, "policy": spec.policy, "policy_index": clause.policy_index + 1,
            "clause_index": clause.index, "clause": spec.label, "matter": result.matter,
            "applies": result.applies, "paid": result.paid, "kind": award.kind if award is not None else None,
            "amount_min": runtime.yuan(award.min) if award is not None else None,
            "amount_max": runtime.yuan(award.max) if award is not None else None,
            "could_pay": runtime.yuan(spec.ceiling) if result.applies is None else None,
            "reason": reason, "funding": _chosen_funding(result)}


def _chosen_funding(result) -> str | None:
    """Issue 13, payers by condition: the funding chosen for this applicant, as JSON text (the
    engine reads it for these clauses only; others take their static 分担)."""
    funding = result.funding if result.spec.payer_rules else None
    if funding is None:
        return None
    return json.dumps({s.payer: {"min": runtime.yuan(s.min), "max": runtime.yuan(s.max)} for s in funding},
                      ensure_ascii=False)


def _shown(value):
    return runtime.format_value(value, "number") if isinstance(value, Decimal) else value


def _sort_text(value) -> str:
    if isinstance(value, Decimal):
        return runtime.format_value(value, "number")
    return str(value)
