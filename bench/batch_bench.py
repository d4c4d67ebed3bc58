"""Benchmark: a synthetic register of enterprises evaluated against all six shipped policies.

Prints rows per second and peak memory for the streaming batch path (evaluate_many over a
generated register, in a fresh process per size, so peak memory can be compared across
sizes), and the cost of two representative clauses three ways: a hand-written plain Python
function, the generated module, and the reference interpreter.

    python bench/batch_bench.py [--rows 100000] [--calls 20000]
    python bench/batch_bench.py --cli [--rows 100000]   # peak memory of `polc eval --batch`
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ON = datetime.date(2021, 6, 30)
YEAR = 2020  # the assessed year for policies that assess the year before the date


def _modules():
    from compiler import driver
    project = driver.load([str(ROOT / "policies")])
    assert not project.has_errors
    return project, [driver.load_module(p) for p in project.policies]


def register(rows: int, schema: dict, seed: int = 7):
    """Rows of random facts for every declared fact (streamed: nothing is kept)."""
    rng = random.Random(seed)
    names = sorted(schema)
    for number in range(rows):
        row = {"申请人": f"E{number:06d}"}
        for name in names:
            base, series, options, items = schema[name]
            if rng.random() < 0.15:
                continue  # some facts unknown, as in a real register
            row[name] = _value(rng, base, series, options, items)
        yield row


def _scalar(rng, base, options):
    if base == "money":
        return Decimal(rng.choice([0, 1, 5, 50, 100, 500, 1000, 5000, 20000, 300000])) * 10000
    if base == "number":
        return rng.randint(0, 300)
    if base == "percent":
        return Decimal(rng.randint(-20, 60)) / 100
    if base == "bool":
        return rng.random() < 0.5
    if base == "year":
        return rng.randint(2016, 2021)
    if base == "date":
        return "2020-06-30"
    return rng.choice(options)


def _value(rng, base, series, options, items):
    if series:
        return {str(y): _scalar(rng, base, options) for y in range(YEAR - 4, YEAR + 1)}
    if items:
        return [_scalar(rng, base, options) for _ in range(rng.randint(1, 3))]
    return _scalar(rng, base, options)


def stream(rows: int) -> dict:
    """Evaluate `rows` applicants through the generated modules; run in its own process."""
    import resource
    _project, modules = _modules()
    from compiler import runtime
    evaluator = runtime.Evaluator([(m.POLICY, m.CLAUSES) for m in modules])
    schema = {}
    for module in modules:
        schema.update(module.POLICY.schema)
    generated = time.perf_counter()
    for row in register(min(rows, 2000), schema):
        row.pop("申请人")
    generation = (time.perf_counter() - generated) / min(rows, 2000)
    start = time.perf_counter()
    applies = 0
    for _number, evaluation in evaluator.evaluate_many((r for r in register(rows, schema) if r.pop("申请人")), ON):
        applies += sum(1 for r in evaluation.clauses if r.applies)
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds,
            "generation_share": generation * rows / seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "clauses": sum(len(m.CLAUSES) for m in modules), "applicable_results": applies}


def cli_batch(rows: int) -> dict:
    """Peak memory and time of `polc eval policies --batch register.jsonl --out …` as a user
    runs it (a child process, measured with wait4), for a register of `rows` applicants."""
    import os
    import tempfile
    _project, modules = _modules()
    schema = {}
    for module in modules:
        schema.update(module.POLICY.schema)
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "register.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for row in register(rows, schema):
                handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        command = [sys.executable, "-m", "compiler", "eval", str(ROOT / "policies"), "--batch", str(path),
                   "--on", ON.isoformat(), "--out", str(Path(work) / "results.jsonl")]
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"polc eval --batch failed on {rows} rows")
        return {"rows": rows, "seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024}


# ---------------------------------------------------------------- two clauses by hand
# Written as a careful developer would: constants built once, no trace, no result object.
TIERS_7 = ((Decimal(3_000_000_000), Decimal("300000.00")), (Decimal(2_000_000_000), Decimal("200000.00")),
           (Decimal(1_000_000_000), Decimal("100000.00")))
RATE_5, CAP_5, PRICE_5, CENT = Decimal("0.05"), Decimal(2_000_000), Decimal(50_000), Decimal("0.01")


def hand_article_7(facts: dict, year: int):
    """嘉政发〔2020〕6号 第七条, written by hand: the award in 元, False, or None (unknown)."""
    kind, taxed, revenue = facts.get("企业服务业类别"), facts.get("实现税收"), facts.get("年营业收入")
    if kind is not None and kind not in ("生产性服务业", "生活性服务业"):
        return False
    if taxed is False:
        return False
    if kind is None or taxed is None or revenue is None or revenue.get(year) is None:
        return None
    this_year = revenue[year]
    earlier = [v for y, v in revenue.items() if y < year]
    for threshold, amount in TIERS_7:
        if this_year > threshold and all(v <= threshold for v in earlier):
            return amount
    return False


def hand_article_5(facts: dict, year: int):
    """嘉政发〔2020〕6号 第五条, by hand."""
    category, way, done, amount = (facts.get(k) for k in ("项目类别", "项目投资方式", "竣工验收", "投资额"))
    if category is not None and category != "生产性服务业":
        return False
    if way == "融资租赁购置设备":
        price, vehicle = facts.get("设备单价"), facts.get("设备为交通工具")
        if (price is not None and price < PRICE_5) or vehicle is True:
            return False
        if price is None or vehicle is None:
            return None
    elif way != "新增投资项目" and way is not None:
        return False
    if done is False:
        return False
    if None in (category, way, done, amount):
        return None
    return min(amount * RATE_5, CAP_5).quantize(CENT, ROUND_HALF_UP)


def clauses(calls: int) -> list[str]:
    from compiler import interpreter, runtime
    from compiler.lower import lower
    project, modules = _modules()
    policy = next(p for p in project.policies if p.docno == "嘉政发〔2020〕6号")
    module = next(m for m in modules if m.POLICY.docno == "嘉政发〔2020〕6号")
    reference = {s.label: s for s in interpreter.clause_specs(lower(policy))}
    generated = {s.label: s for s in module.CLAUSES}
    cases = {
        "第七条": (hand_article_7, {"企业服务业类别": "生产性服务业", "实现税收": True,
                                     "年营业收入": {2017: Decimal(8e8), 2018: Decimal(15e8), 2019: Decimal(18e8), 2020: Decimal(21e8)}}),
        "第五条": (hand_article_5, {"项目类别": "生产性服务业", "项目投资方式": "新增投资项目", "竣工验收": True,
                                     "投资额": Decimal(30_000_000)}),
    }
    lines = []
    for label, (hand, facts) in cases.items():
        def timed(function):
            best = float("inf")
            for _ in range(5):
                start = time.perf_counter()
                for _ in range(calls):
                    function()
                best = min(best, (time.perf_counter() - start) / calls)
            return best
        by_hand = timed(lambda: hand(facts, YEAR))
        ours = timed(lambda: module._run_clause(generated[label], facts, YEAR))
        interp = timed(lambda: runtime._run_clause(reference[label], facts, YEAR))
        assert str(hand(facts, YEAR)) == module._run_clause(generated[label], facts, YEAR).award.to_json()["max"]
        lines.append(f"  {label}: by hand {by_hand * 1e6:6.2f} µs, generated {ours * 1e6:6.2f} µs (×{ours / by_hand:.2f}), "
                     f"interpreter {interp * 1e6:6.2f} µs (×{interp / by_hand:.2f}; generated is ×{interp / ours:.2f} faster)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--stream", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cli", action="store_true", help="measure `polc eval --batch` end to end instead")
    args = parser.parse_args()
    if args.cli:
        print(f"polc eval policies --batch register.jsonl --out results.jsonl, on {ON} (a child process per size)")
        for rows in sorted({max(args.rows // 5, 1), args.rows}):
            r = cli_batch(rows)
            print(f"  {r['rows']:>7} rows: {r['seconds']:7.1f} s, {r['rows'] / r['seconds']:7.0f} rows/s, "
                  f"peak RSS {r['peak_rss_mb']:6.1f} MB")
        return
    if args.stream:
        print(json.dumps(stream(args.stream)))
        return
    print(f"register against all six policies, evaluated on {ON} (one process per size)")
    for rows in sorted({max(args.rows // 5, 1), args.rows}):
        out = subprocess.run([sys.executable, __file__, "--stream", str(rows)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        print(f"  {r['rows']:>7} rows × {r['clauses']} clauses: {r['seconds']:7.1f} s, {r['rows_per_second']:7.0f} rows/s, "
              f"peak RSS {r['peak_rss_mb']:6.1f} MB (register generation is {r['generation_share']:.0%} of the time)")
    print(f"two clauses, per call (best of 5 × {args.calls} calls), typed facts:")
    for line in clauses(args.calls):
        print(line)


if __name__ == "__main__":
    main()
