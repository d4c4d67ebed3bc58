"""Time the per-applicant SQL (to_sql.applicant_clauses) in DuckDB over a synthetic register.

    python bench/sql_clauses_bench.py [--rows 100000] [--on 2021-06-30] [--only-listed] [policies...]

Builds a register table of the CONTRACTS.md §4 layout with random values (about a tenth of
the cells unknown) for every fact the policies read, then prints the time to build the
query, the time DuckDB takes to produce every (row, clause) result into a table, rows per
second and the counts of each reason. The batch engine (quotas, budgets, output) is timed by
bench/batch_bench.py; this is the per-applicant part alone.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler import driver, to_sql  # noqa: E402

YEARS = tuple(range(2015, 2023))


def _random_value(base: str, options) -> str:
    """A DuckDB expression giving a random value of the type, NULL about one time in ten."""
    value = {
        "money": "CAST(floor(random() * 5000) * 100000 AS DECIMAL(38,6))",
        "number": "CAST(floor(random() * 300) AS DECIMAL(38,6))",
        "percent": "CAST(round(random() * 0.5, 4) AS DECIMAL(38,6))",
        "bool": "random() < 0.6",
        "year": "CAST(2015 + floor(random() * 8) AS INTEGER)",
        "date": "DATE '2020-01-01' + CAST(floor(random() * 900) AS INTEGER)",
        "text": "'总部' || CAST(floor(random() * 20) AS INTEGER)",
    }.get(base)
    if value is None:  # an enumeration: one of its values
        labels = ", ".join("'" + o.replace("'", "''") + "'" for o in options)
        value = f"([{labels}])[1 + CAST(floor(random() * {len(options)}) AS INTEGER)]"
    return f"CASE WHEN random() < 0.1 THEN NULL ELSE {value} END"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("policies", nargs="*", default=["policies"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--on", default="2021-06-30")
    parser.add_argument("--only-listed", action="store_true",
                        help="leave out the rows whose clause does not apply (applicant_clauses(only_listed=True))")
    parser.add_argument("--narrow", action="store_true",
                        help="the batch engine's own rows (applicant_clauses(narrow=True): the clause's place, no labels)")
    args = parser.parse_args()
    project = driver.load(args.policies)
    if project.has_errors:
        raise SystemExit("policy errors: run polc check")
    models = [project.model(p) for p in project.policies]
    on = datetime.date.fromisoformat(args.on)
    schema: dict = {}
    for m in models:
        for name, spec in m.schema().items():
            schema.setdefault(name, spec)
    columns = ["CAST(i + 2 AS BIGINT) AS _line", "'A' || CAST(i AS VARCHAR) AS 申请人"]
    years = {}
    for name, (base, series, options, items) in schema.items():
        quoted = name.replace('"', '""')
        if series:
            years[name] = YEARS
            columns += [f'{_random_value(base, options)} AS "{quoted}.{y}"' for y in YEARS]
        elif items:
            item = _random_value(base, options).replace("CASE WHEN random() < 0.1 THEN NULL ELSE ", "").removesuffix(" END")
            columns.append(f'CASE WHEN random() < 0.1 THEN NULL ELSE [{item}, {item}] END AS "{quoted}"')
        else:
            columns.append(f'{_random_value(base, options)} AS "{quoted}"')
    con = duckdb.connect()
    con.execute(f"CREATE TABLE register AS SELECT {', '.join(columns)} FROM range({args.rows}) t(i)")
    started = time.perf_counter()
    query = to_sql.to_sql(to_sql.applicant_clauses(models, "register", on, years=years, only_listed=args.only_listed,
                                                   narrow=args.narrow), pretty=False)
    built = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    con.execute(f"CREATE TABLE result AS {query}")
    ran, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    produced = con.execute("SELECT count(*) FROM result").fetchone()[0]
    reasons = dict(con.execute("SELECT reason, count(*) FROM result GROUP BY reason ORDER BY reason").fetchall())
    print(f"policies: {len(models)}, clauses: {produced // max(args.rows, 1)}, register rows: {args.rows:,}")
    print(f"query built in {built:.2f} s ({len(query):,} characters)")
    print(f"DuckDB: {ran:.2f} s for {produced:,} (row, clause) results, {args.rows / ran:,.0f} register rows/s"
          f" (CPU {cpu:.2f} s over all DuckDB threads: the figure to compare on a loaded machine)")
    print("reasons:", ", ".join(f"{k} {v:,}" for k, v in reasons.items()))


if __name__ == "__main__":
    main()
