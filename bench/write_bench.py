"""Benchmark: the write stage of the DuckDB batch engine, per output format.

    python bench/write_bench.py [--rows 20000] [--repeat 2]

Writes batch_bench's synthetic register (every fact of the six shipped policies, 85% of
cells filled) as CSV, evaluates it once with the DuckDB engine in this process (as
`polc eval policies --batch register.csv --on 2021-06-30` does), then times each way the
results are written from the same tables — JSON Lines (`_write_jsonl`, which also builds
the totals), CSV (`_write_csv`) and Parquet (`_write_parquet`) — `--repeat` times each, and
prints the least CPU seconds (this process and DuckDB's threads), wall seconds, output
bytes and bytes per enterprise, with the load average before the run. The whole command is
timed by `python bench/batch_bench.py --engines`.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import batch_bench
    from compiler import compact, driver, sql_batch

    figures: list[str] = []

    def timed(label, write, size):
        best = None
        for _ in range(args.repeat):
            cpu, wall = time.process_time(), time.perf_counter()
            write()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            best = (cpu, wall) if best is None or cpu < best[0] else best
        written = size()
        figures.append(f"  {label:<8} {best[0]:6.2f} s CPU ({best[1]:6.2f} s wall), {written / 1e6:7.1f} MB = "
                       f"{written / args.rows:6.0f} bytes/enterprise")

    def write_all(engine, out) -> None:
        """Stands in for Engine._write_jsonl during the run: times every writer on the
        tables the run built, then writes the JSON lines the command asked for."""
        work = engine.work
        jsonl_path, csv_path = os.path.join(work, "results.jsonl"), os.path.join(work, "results.csv")

        def jsonl():  # to a file opened as `--out` opens it (batch.Output)
            engine.con.execute("DROP TABLE IF EXISTS totals")
            with open(jsonl_path, "w", encoding="utf-8", newline="\n") as stream:
                original(engine, stream)

        def csv():
            with open(csv_path, "w", encoding="utf-8", newline="\n") as stream:
                write_csv(compact.CsvWriter(stream, io.StringIO()))

        def write_csv(writer):
            if hasattr(engine, "_write_csv"):
                engine._write_csv(writer)
            else:  # before the DuckDB engine wrote CSV by COPY (to compare with earlier versions)
                cursor = engine.con.execute(engine._rows_sql())
                while chunk := cursor.fetchmany(50_000):
                    writer.writer.writerows(chunk)

        parquet_path = os.path.join(work, "results.parquet")
        timed("jsonl", jsonl, lambda: os.path.getsize(jsonl_path))
        timed("csv", csv, lambda: os.path.getsize(csv_path))
        timed("parquet", lambda: engine._write_parquet(parquet_path), lambda: os.path.getsize(parquet_path))
        with open(jsonl_path, encoding="utf-8", newline="") as text:
            out.write(text.read())

    with tempfile.TemporaryDirectory(prefix="polc-write-bench-") as work:
        register = Path(work) / "register.csv"
        batch_bench.write_register_csv(register, args.rows)
        project = driver.load([str(ROOT / "policies")], overlaps=False)
        modules = [driver.load_module(policy) for policy in project.policies]
        models = [project.model(policy) for policy in project.policies]
        original = sql_batch.Engine._write_jsonl
        sql_batch.Engine._write_jsonl = write_all
        load = os.getloadavg()
        try:
            sql_batch.run(modules, str(register), batch_bench.ON.isoformat(), io.StringIO(), io.StringIO(),
                          models=models)
        finally:
            sql_batch.Engine._write_jsonl = original
    print(f"write stage of the DuckDB engine, {args.rows:,} enterprises × six policies "
          f"(least of {args.repeat}; load average before the run {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}):")
    print("\n".join(figures))


if __name__ == "__main__":
    main()
