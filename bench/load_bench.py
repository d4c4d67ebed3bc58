"""Benchmark: loading and typing a register in DuckDB (sql_register.Loader), the first stage of
`polc eval policies --batch REGISTER` on the DuckDB engine, as that command runs it (the same
connection settings, the six shipped policies, a temporary database file).

    python bench/load_bench.py [--rows 20000] [--register FILE] [--repeat 3]

Each run is a child process: it loads the evaluator modules (not timed), then times
`Loader.load()` alone: wall seconds, CPU seconds (user + system of every thread, so DuckDB's
worker threads count), the CPU seconds of its busiest thread (see batch_stages.py), how many
threads were runnable on average (sampled: the load's parallelism even on a busy machine,
where threads share the cores with other work and a serial load can hop between threads),
and the child's peak RSS. Without --register a synthetic CSV register
of --rows enterprises is written first (bench/batch_bench.py's, 218 columns).

As the command runs it, the loader types and keeps only the columns the later stages read
(sql_batch.Engine._columns_read, from the per-applicant query for --on); the time spent
making that query is left out (it is the query stage's, and polc's cache keeps its text).
--all-columns types every column, as a loader with no engine does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(register: str, on: str, all_columns: bool) -> None:
    import datetime
    import resource

    from compiler import runtime, sql_batch, sql_register
    sys.path.insert(0, str(ROOT / "bench"))
    import batch_bench
    project, modules = batch_bench._modules()
    policies = [(m.POLICY, m.CLAUSES) for m in modules]
    evaluator = runtime.Evaluator(policies)
    with tempfile.TemporaryDirectory(prefix="polc-loadbench-") as work:
        con = sql_batch.connect(work)
        engine = sql_batch.Engine(con, modules, register, datetime.date.fromisoformat(on), False, None, work, None)
        engine.models = [project.model(p) for p in project.policies]
        asking = [0.0, 0.0]

        def wanted():
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return engine._columns_read()
            finally:
                asking[0] += time.process_time() - cpu
                asking[1] += time.perf_counter() - wall

        loader = sql_register.Loader(con, policies, evaluator, register, None, work,
                                     wanted=None if all_columns else wanted)
        engine.loaded = loader.loaded
        sys.path.insert(0, str(ROOT / "bench"))
        from batch_stages import _thread_cpu
        sampler = _Runnable()
        cpu, wall, threads = time.process_time(), time.perf_counter(), _thread_cpu()
        with sampler:
            loaded = loader.load()
        cpu, wall = time.process_time() - cpu - asking[0], time.perf_counter() - wall - asking[1]
        after = _thread_cpu()
        busiest = max((after[t] - threads.get(t, 0) for t in after), default=0) / 1e9
        typed = con.execute("SELECT count(*) FROM register_rows").fetchone()[0]
        con.close()
    print(json.dumps({"cpu": cpu, "wall": wall, "rows": loaded.rows, "typed": typed, "bad": len(loaded.bad),
                      "columns": len(loaded.typed_columns), "of": len(loaded.view_columns), "busiest": busiest, "runnable": sampler.mean(),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


class _Runnable:
    """Samples, every 5 ms while in its `with`, how many threads of this process (itself left
    out) are running or waiting for a core (state R in /proc/self/task/*/stat). Unlike CPU or
    wall seconds this says how parallel the work is even on a machine other work keeps busy:
    a thread waiting for its turn to run is R; one waiting for another thread's part of the
    work (a lock, an ordered insert) is not. About 1.0: the load ran on one thread at a time."""

    def __init__(self):
        self.samples: list[int] = []
        self.stop = False

    def __enter__(self):
        import threading
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()

    def _sample(self) -> None:
        import threading
        me = str(threading.get_native_id())
        while not self.stop:
            running = 0
            try:
                tasks = os.listdir("/proc/self/task")
            except OSError:
                return
            for task in tasks:
                try:
                    with open(f"/proc/self/task/{task}/stat") as handle:
                        running += task != me and handle.read().rsplit(")", 1)[1].split()[0] == "R"
                except (OSError, IndexError):
                    continue
            self.samples.append(running)
            time.sleep(0.005)

    def mean(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--register", help="an existing register instead of a synthetic one")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--on", default="2021-06-30", help="the evaluation date (which clauses the query reads)")
    parser.add_argument("--all-columns", action="store_true", help="type every column (no engine asking)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.on, args.all_columns)
        return
    with tempfile.TemporaryDirectory(prefix="polc-loadbench-") as work:
        register = args.register
        if register is None:
            sys.path.insert(0, str(ROOT / "bench"))
            import batch_bench
            register = str(Path(work) / "register.csv")
            batch_bench.write_register_csv(Path(register), args.rows)
        size = os.path.getsize(register) / 1e6
        for _ in range(args.repeat):
            load = os.getloadavg()
            out = subprocess.run([sys.executable, __file__, "--child", register, "--on", args.on]
                                 + (["--all-columns"] if args.all_columns else []), capture_output=True, text=True,
                                 cwd=ROOT)
            if out.returncode:
                raise SystemExit(out.stderr[-3000:])
            r = json.loads(out.stdout.splitlines()[-1])
            print(f"Loader.load {register if args.register else 'synthetic CSV'} ({size:,.0f} MB): "
                  f"{r['rows']:,} rows ({r['typed']:,} typed, {r['bad']} bad; {r['columns']} of {r['of']} columns kept) "
                  f"in {r['wall']:.2f} s wall, "
                  f"{r['cpu']:.2f} s CPU ({r['cpu'] * 1e9 / max(r['rows'], 1) / 218:.0f} ns CPU per cell of 218; "
                  f"{r['busiest']:.2f} s on the busiest thread, {r['busiest'] / max(r['cpu'], 1e-9):.0%}; "
                  f"{r['runnable']:.2f} threads runnable on average), "
                  f"peak RSS {r['peak_mb']:.0f} MB; load average before {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
