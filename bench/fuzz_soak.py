"""Soak polc with N generated hostile inputs (issue 8) and count every broken promise.

    python bench/fuzz_soak.py [--n 100000] [--seed 1] [--seconds 600] [--only facts,draft] [--show 5]

Runs the generators of tests/fuzzing.py (drafts from the grammar, mutations of the shipped
policies, random bytes and encodings, facts, registers, output paths, odd files) through
the real CLI, in-process (hostile-large inputs and odd files in a subprocess), and prints:
inputs tried, tracebacks (de-duplicated by exception type and location, with a sample of
the first few), wrong exit codes, other broken promises (inputs changed, written on
failure, stray temporary files, incomplete outputs), and inputs per second.

Cheap commands carry the volume (check on drafts, eval on facts); build and batch are
sampled. Loads of the shipped policies are reused (they are read-only here), so a facts
input costs one evaluation, not one parse. The process limits its own memory so a memory
bomb shows up as a MemoryError finding instead of taking the machine down.
Exit status: 0 when nothing was found, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import random
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))

import fuzzing  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="inputs to try (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--only", default="", help="comma-separated kinds: " + ",".join(fuzzing.KINDS))
    parser.add_argument("--show", type=int, default=5, help="samples shown per finding")
    parser.add_argument("--memory-mb", type=int, default=3000, help="address-space limit for this process")
    parser.add_argument("--replay", type=int, metavar="SEED", help="rebuild one input from its seed, print it and its result")
    args = parser.parse_args(argv)

    limit = args.memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    weights = dict(fuzzing.KINDS)
    if args.only:
        wanted = set(args.only.split(","))
        weights = {k: (v or 1) for k, v in weights.items() if k in wanted}
    rng = random.Random(args.seed)
    frozen = fuzzing.frozen_shipped()
    if args.replay is not None:
        return _replay(args.replay, frozen, weights)
    frozen_before = fuzzing.snapshot(frozen)
    tried, per_kind, wrong_exit = 0, collections.Counter(), 0
    kind_seconds: collections.Counter = collections.Counter()
    tracebacks: dict[str, list] = collections.OrderedDict()
    other: dict[str, list] = collections.OrderedDict()
    started = time.perf_counter()
    last_report = started
    try:
        with fuzzing.LoadCache(frozen):
            while tried < args.n:
                if args.seconds and time.perf_counter() - started > args.seconds:
                    break
                case_seed = rng.randrange(2**32)
                case = fuzzing.any_case(random.Random(case_seed), frozen, weights)
                try:
                    result = fuzzing.run_checked(case)
                except MemoryError:
                    result = fuzzing.Result(case, None, "", "", 0.0, error="MemoryError in the harness")
                tried += 1
                per_kind[case.kind] += 1
                kind_seconds[case.kind] += result.seconds
                for problem in result.problems:
                    if problem.startswith("traceback"):
                        key = problem
                        bucket = tracebacks
                    else:
                        if problem.startswith("exit code"):
                            wrong_exit += 1
                        key = f"{case.kind}: {_shape(problem)}"
                        bucket = other
                    entry = bucket.setdefault(key, [])
                    if len(entry) < args.show:
                        entry.append((case_seed, case, result))
                    else:
                        entry.append(None)
                now = time.perf_counter()
                if now - last_report > 30:
                    last_report = now
                    print(f"  … {tried} inputs, {sum(len(v) for v in tracebacks.values())} tracebacks, "
                          f"{tried / (now - started):.1f}/s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(frozen, ignore_errors=True) if fuzzing.snapshot(frozen) == frozen_before else None
    elapsed = time.perf_counter() - started
    if fuzzing.snapshot(frozen) if frozen.exists() else None:
        print("shipped policies were changed by a command: kept at", frozen)

    traceback_count = sum(len(v) for v in tracebacks.values())
    print(f"inputs tried: {tried} in {elapsed:.1f} s ({tried / elapsed:.1f} inputs/s), seed {args.seed}")
    print("by kind (count, mean ms): " + ", ".join(f"{k} {v} ({1000 * kind_seconds[k] / v:.0f})"
                                                  for k, v in sorted(per_kind.items())))
    print(f"tracebacks: {traceback_count} ({len(tracebacks)} distinct by type and location)")
    print(f"wrong exit codes: {wrong_exit}")
    print(f"other broken promises: {sum(len(v) for v in other.values())}")
    for title, bucket in (("TRACEBACKS", tracebacks), ("OTHER FINDINGS", other)):
        if not bucket:
            continue
        print(f"\n== {title}")
        for key, entries in sorted(bucket.items(), key=lambda item: -len(item[1])):
            print(f"\n[{len(entries)}x] {key}")
            for sample in [e for e in entries if e][: args.show]:
                seed, case, result = sample
                print(f"    seed {seed} kind {case.kind} argv {' '.join(case.argv)[:160]} {case.note[:80]}")
                if result.error_text:
                    tail = [line for line in result.error_text.strip().splitlines()][-4:]
                    print("      " + "\n      ".join(line[:200] for line in tail))
                else:
                    detail = (result.stderr or result.stdout).strip().splitlines()[-2:]
                    print("      " + "\n      ".join(line[:200] for line in detail))
    return 0 if not tracebacks and not other else 1


def _replay(seed: int, frozen: Path, weights: dict) -> int:
    """Print one input (its files, shortened) and what polc did with it."""
    case = fuzzing.any_case(random.Random(seed), frozen, weights)
    print(f"kind {case.kind}  argv {' '.join(case.argv)}  expect {sorted(case.expect)}  {case.note}")
    for name, data in case.files.items():
        shown = data if not isinstance(data, bytes) else data[:1500].decode("utf-8", "backslashreplace")
        print(f"--- {name} ({len(data) if isinstance(data, bytes) else data!r} bytes)\n{shown}")
    result = fuzzing.run_checked(case)
    print(f"--- exit {result.rc}\n{result.stdout[-2000:]}\n--- stderr\n{result.stderr[-2000:]}")
    print(result.error_text)
    print("problems:", result.problems or "none")
    shutil.rmtree(frozen, ignore_errors=True)
    return 1 if result.problems else 0


def _shape(problem: str) -> str:
    """Group findings that differ only in file names or numbers."""
    import re
    problem = re.sub(r"\[.*\]$", "[…]", problem)
    return re.sub(r"\d+", "N", problem) if not problem.startswith("exit code") else problem


if __name__ == "__main__":
    sys.exit(main())
