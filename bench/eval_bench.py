"""Benchmark: whole commands, CPU time of a subprocess (user + system), as a user runs them.

- `polc eval policies/ --facts F` (six policies, one applicant), three ways: with the
  committed generated modules (the fast path, after one build), compiling in memory (what
  eval did before: `--generated` pointed at an empty directory), and with no cache at all
  (parser tables rebuilt, nothing verified);
- `polc check policies/`.

CPU time, not wall time, so a busy machine does not inflate the figures. Each command runs
--repeat times; the best is shown. The cache is a private temporary directory, warmed by
one run first (as it is after `polc build`).

    python bench/eval_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACTS = {"年营业收入": {"2018": "15亿元", "2019": "22亿元", "2020": 3000000001}, "企业服务业类别": "生产性服务业",
         "实现税收": True, "获得品牌类型": "驰名商标", "品牌级别": "国家", "经司法认定": False, "工业企业": True}
TARGETS = {"eval": 0.15, "check": 0.35}


def cpu_seconds(args: list[str], env: dict, stdin: str | None = None) -> float:
    """CPU time (user + system) of one run of the command and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(args, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best(args, env, repeat, stdin=None) -> float:
    return min(cpu_seconds(args, env, stdin) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    polc = [sys.executable, "-m", "compiler"]
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as empty:
        env = dict(os.environ, PYTHONPATH=str(ROOT), POLC_CACHE_DIR=cache)
        cold = dict(env, POLC_CACHE_DIR="")
        facts = json.dumps(FACTS, ensure_ascii=False)
        evaluate = [*polc, "eval", "policies/", "--facts", "-", "--on", "2021-06-30", "--format", "json"]
        check = subprocess.run([*polc, "build", "--check"], cwd=ROOT, env=env, capture_output=True, text=True)
        if check.returncode != 0:
            raise SystemExit("generated/ is not current: run polc build first\n" + check.stdout[-500:])
        cpu_seconds(evaluate, env, facts)  # warm: parser tables and compiled modules cached
        start = best([sys.executable, "-c", "pass"], env, options.repeat)
        figures = {
            "eval, generated modules": best(evaluate, env, options.repeat, facts),
            "eval, compiled in memory": best([*evaluate, "--generated", empty], env, options.repeat, facts),
            "eval, no cache at all": best(evaluate, cold, options.repeat, facts),
            "check policies/": best([*polc, "check", "policies/"], env, options.repeat),
            "check policies/, no cache": best([*polc, "check", "policies/"], cold, options.repeat),
        }
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"whole commands, CPU seconds (user + system), best of {options.repeat}, {os.cpu_count()} CPUs, "
          f"load average {load}; python startup alone {start:.3f} s")
    for label, seconds in figures.items():
        print(f"  {label:<28} {seconds:6.3f} s")
    fast, compiled = figures["eval, generated modules"], figures["eval, compiled in memory"]
    print(f"eval: generated modules are ×{compiled / fast:.1f} faster than compiling "
          f"(target ≤ {TARGETS['eval']} s: {'met' if fast <= TARGETS['eval'] else 'not met'})")
    print(f"check: ×{figures['check policies/, no cache'] / figures['check policies/']:.2f} from the parser cache "
          f"(target ≤ {TARGETS['check']} s: {'met' if figures['check policies/'] <= TARGETS['check'] else 'not met'})")


if __name__ == "__main__":
    main()
