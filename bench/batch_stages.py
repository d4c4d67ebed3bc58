"""Where the DuckDB batch spends its time: `polc eval POLICY… --batch REGISTER` run in this
process, with the CPU and wall seconds of each stage of sql_batch.Engine.

    python bench/batch_stages.py REGISTER [--on 2021-06-30] [--out res.jsonl] [policies...]

Make a register with bench/batch_bench.py (write_register_csv). CPU seconds count every
thread of the process (DuckDB's too), so they compare across runs on a shared machine better
than wall seconds; run both sides of a comparison in one sitting and quote `uptime`.
The output file is the command's own (compare it byte for byte between versions).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler import cli, sql_batch, sql_register  # noqa: E402

STAGES = ("_clause_table", "_applicants", "_to_sql", "_clause_rows", "_listed", "_quotas", "_budgets", "_allocations",
          "_prorated_amounts", "_enterprise_caps", "_summary", "_report_bad", "_write_jsonl", "_write_parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("register")
    parser.add_argument("policies", nargs="*", default=[str(ROOT / "policies")])
    parser.add_argument("--on", default="2021-06-30")
    parser.add_argument("--out", help="the results file (default: a temporary .jsonl, removed)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {}

    def timed(name: str, owner=sql_batch.Engine):
        method = getattr(owner, name)

        @functools.wraps(method)
        def run(*a, **k):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return method(*a, **k)
            finally:
                spent = times.setdefault(name, [0.0, 0.0])
                spent[0] += time.process_time() - cpu
                spent[1] += time.perf_counter() - wall
        setattr(owner, name, run)

    timed("load", sql_register.Loader)  # loading the register (it asks _to_sql for the columns to type)
    for name in STAGES:
        if hasattr(sql_batch.Engine, name):
            timed(name)
    with tempfile.TemporaryDirectory() as work:
        out = args.out or os.path.join(work, "results.jsonl")
        cpu, wall = time.process_time(), time.perf_counter()
        with open(os.devnull, "w") as quiet:
            shown = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = quiet  # the summary lines
            try:
                code = cli.main(["eval", *args.policies, "--batch", args.register, "--on", args.on, "--out", out])
            finally:
                sys.stdout, sys.stderr = shown
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"exit {code}; whole command (in process, after imports): {cpu:.2f} s CPU, {wall:.2f} s wall; "
          f"load {os.getloadavg()[0]:.1f}")
    for name in ("load",) + STAGES:
        if name in times:
            print(f"  {name:18} {times[name][0]:7.2f} s CPU {times[name][1]:7.2f} s wall")


if __name__ == "__main__":
    main()
