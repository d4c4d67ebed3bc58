"""Benchmark: a synthetic register of enterprises evaluated against all six shipped policies.

Prints rows per second and peak memory for the streaming batch path (evaluate_many over a
generated register, in a fresh process per size, so peak memory can be compared across
sizes), and the cost of clauses of 嘉政发〔2020〕6号 (第五条, also scaled by 8号's ×1.5, 第七条,
第十二条第2项) three ways: a hand-written plain Python function, the generated module (traced
as evaluate() runs it, and without a trace as the batch runs it), and the reference interpreter.

    python bench/batch_bench.py [--rows 100000] [--calls 20000]
    python bench/batch_bench.py --cli [--rows 100000]   # peak memory of `polc eval --batch`
    python bench/batch_bench.py --clauses [--calls 20000]  # only the per-call comparison of clauses
    python bench/batch_bench.py --engines [--rows 100000] [--million] [--engine duckdb --engine python]
    python bench/batch_bench.py --fixed [--repeat 3] [--root OLDER_TREE]  # what the command costs before any row

--engines times the whole command (read, evaluate, write) as a user runs it, a child process
per engine and size, on a synthetic CSV register against all six policies: wall and CPU
seconds, rows/s, peak memory (the child's RSS), output bytes and bytes per enterprise, and
the ratio to a hand-written Python loop over the same register that decides three clauses
of 嘉政发〔2020〕6号 (第五条 with 嘉政发〔2020〕8号's ×1.5 modifier, 第七条, 第十二条第2项) and
writes one JSON line per enterprise. --million adds a 1,000,000-row run (minutes).

--fixed times the fixed cost of the whole batch command, the part that does not grow with the
register: `polc eval policies --batch r.csv --out …` over a register of 10 enterprises, CPU
seconds (user + system) of the child, best of --repeat runs, each way: as after `polc build`
(generated modules verified, the per-applicant SQL text kept in polc's cache), with the SQL made
again each run (its cache entries removed), with no cache at all (everything compiled, as a
fresh clone), and the first way with the per-applicant query left to the runtime
(POLC_SQL_CLAUSES=python: the difference is DuckDB planning and running that query). --root
also times another polc tree (e.g. an older commit unpacked with `git archive`) side by side.
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
    if base == "text":
        return f"H{rng.randint(1, 50):02d}"  # a name shared by a few enterprises (所属总部企业)
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


def cli_batch(rows: int, engine: str | None = None) -> dict:
    """Peak memory and time of `polc eval policies --batch register.jsonl --out …` as a user
    runs it (a child process, measured with wait4), for a register of `rows` applicants
    (with `--engine engine` when one is given)."""
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
                   "--on", ON.isoformat(), "--out", str(Path(work) / "results.jsonl"),
                   *(["--engine", engine] if engine else [])]
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"polc eval --batch failed on {rows} rows")
        output = Path(work) / "results.jsonl"
        return {"rows": rows, "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "peak_rss_mb": usage.ru_maxrss / 1024, "output_bytes": output.stat().st_size}


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


def hand_article_5_modified(facts: dict, year: int):
    """嘉政发〔2020〕6号 第五条 scaled by 嘉政发〔2020〕8号's ×1.5 (the applicant is a 领跑企业), by
    hand: the coefficient applies before the cap, as in hand_loop."""
    award = hand_article_5(facts, year)
    if isinstance(award, Decimal):
        return min(facts["投资额"] * RATE_5 * RATE_5X, CAP_5).quantize(CENT, ROUND_HALF_UP)
    return award


def hand_article_12_facts(facts: dict, year: int):
    """嘉政发〔2020〕6号 第十二条第2项 by hand, reading the facts as the others do."""
    tax = facts.get("地方留存税收") or {}
    return hand_article_12(facts.get("总部型企业"), facts.get("新引进总部型企业"), tax.get(year), tax.get(year - 1),
                           facts.get("总部首次奖励年度"))


# The clauses compared, with typed facts (as validate_facts gives them) under which each pays.
CLAUSE_CASES = {
    "第五条": ("第五条", hand_article_5, False, {
        "项目类别": "生产性服务业", "项目投资方式": "新增投资项目", "竣工验收": True, "投资额": Decimal(30_000_000)}),
    "第五条 ×1.5 (8号)": ("第五条", hand_article_5_modified, True, {
        "项目类别": "生产性服务业", "项目投资方式": "新增投资项目", "竣工验收": True, "投资额": Decimal(20_000_000)}),
    "第七条": ("第七条", hand_article_7, False, {
        "企业服务业类别": "生产性服务业", "实现税收": True,
        "年营业收入": {2017: Decimal(8e8), 2018: Decimal(15e8), 2019: Decimal(18e8), 2020: Decimal(21e8)}}),
    "第十二条第2项": ("第十二条第2项", hand_article_12_facts, False, {
        "总部型企业": True, "新引进总部型企业": True, "总部首次奖励年度": 2019,
        "地方留存税收": {2019: Decimal(10_000_000), 2020: Decimal(12_500_000)}}),
}


def clauses(calls: int) -> list[str]:
    """Per call, CPU time (best of 7 rounds of `calls`): the hand-written function, the generated clause as
    `evaluate()` runs it (a full ClauseResult with its trace kept as data), the same as the
    batch runs it when no trace is asked for (`polc eval --batch`: no trace entries), and
    the reference interpreter. The generated figures include everything a caller gets: the
    run, the clause function, the award and the ClauseResult record."""
    from compiler import interpreter, runtime
    from compiler.lower import lower
    project, modules = _modules()
    policy = next(p for p in project.policies if p.docno == "嘉政发〔2020〕6号")
    module = next(m for m in modules if m.POLICY.docno == "嘉政发〔2020〕6号")
    reference = {s.label: s for s in interpreter.clause_specs(lower(policy))}
    generated = {s.label: s for s in module.CLAUSES}
    factor = (Decimal("1.5"), "嘉政发〔2020〕8号第十四条")
    quiet = runtime.QuietRun
    run_clause = runtime._run_clause  # generated modules import polc's own runtime (driver.load_module)

    def timed(*functions):
        """CPU seconds per call of each function, the best of 7 rounds; the functions take
        turns within a round, so a busy machine slows them alike and the ratios hold."""
        best = [float("inf")] * len(functions)
        for _ in range(7):
            for position, function in enumerate(functions):
                start = time.process_time()
                for _ in range(calls):
                    function()
                best[position] = min(best[position], (time.process_time() - start) / calls)
        return best

    lines = []
    for name, (label, hand, modified, facts) in CLAUSE_CASES.items():
        spec, ref = generated[label], reference[label]
        scale = factor if modified else None
        traced = run_clause(spec, facts, YEAR, scale)
        assert str(hand(facts, YEAR)) == traced.award.to_json()["max"], (name, hand(facts, YEAR), traced.award)
        assert traced.to_json() == run_clause(ref, facts, YEAR, scale).to_json()
        decide = spec.decide
        assert runtime.Award(*decide(facts, YEAR, scale)) == traced.award, (name, decide(facts, YEAR, scale))
        by_hand, decided, ours, ours_quiet, interp = timed(
            lambda: hand(facts, YEAR), lambda: decide(facts, YEAR, scale), lambda: run_clause(spec, facts, YEAR, scale),
            lambda: run_clause(spec, facts, YEAR, scale, quiet), lambda: run_clause(ref, facts, YEAR, scale))
        lines.append(f"  {name:<16} by hand {by_hand * 1e6:5.2f} µs; generated: decision {decided * 1e6:5.2f} µs "
                     f"(×{decided / by_hand:.2f}), result traced {ours * 1e6:5.2f} µs (×{ours / by_hand:.2f}), "
                     f"result no trace {ours_quiet * 1e6:5.2f} µs (×{ours_quiet / by_hand:.2f}); "
                     f"interpreter {interp * 1e6:5.2f} µs (×{interp / by_hand:.2f})")
    return lines


# ---------------------------------------------------------------- whole command, both engines
def write_register_csv(path: Path, rows: int) -> None:
    """The synthetic register as a CSV a user would give: 申请人, then every declared fact,
    a yearly fact as 名.年份 columns (the assessed year and the four before it)."""
    import csv
    _project, modules = _modules()
    schema = {}
    for module in modules:
        schema.update(module.POLICY.schema)
    names = sorted(schema)
    header = ["申请人"]
    for name in names:
        header += [f"{name}.{y}" for y in range(YEAR - 4, YEAR + 1)] if schema[name][1] else [name]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(header)
        for row in register(rows, schema):
            cells = [row["申请人"]]
            for name in names:
                value = row.get(name)
                if schema[name][1]:
                    cells += [_cell(value.get(str(y))) if value else "" for y in range(YEAR - 4, YEAR + 1)]
                elif isinstance(value, list):
                    cells.append(";".join(_cell(v) for v in value))
                else:
                    cells.append(_cell(value))
            out.writerow(cells)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def engine_run(engine: str, register_path: Path, out: Path) -> dict:
    """One `polc eval policies --batch … --engine E --out …`, measured with wait4."""
    import os
    command = [sys.executable, "-m", "compiler", "eval", str(ROOT / "policies"), "--batch", str(register_path),
               "--on", ON.isoformat(), "--out", str(out), "--engine", engine]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _stderr = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"polc eval --batch --engine {engine} failed: {_stderr.decode()[-2000:]}")
    return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "output_bytes": out.stat().st_size}


RATE_5X, LEAD = Decimal("1.5"), "重点行业绩效评价领跑企业"


def hand_loop(register_path: Path, out: Path) -> tuple[float, float]:
    """The three clauses written by hand, over the CSV register, one JSON line per enterprise
    (read, evaluate, write): the yardstick for the engines. Returns wall and CPU seconds."""
    import csv
    start, cpu = time.perf_counter(), time.process_time()
    with open(register_path, encoding="utf-8", newline="") as handle, open(out, "w", encoding="utf-8") as result:
        reader = csv.reader(handle)
        header = next(reader)
        at = {name: index for index, name in enumerate(header)}
        columns = ("项目类别", "项目投资方式", "竣工验收", "投资额", "设备单价", "设备为交通工具", "企业服务业类别",
                   "实现税收", "总部型企业", "新引进总部型企业", "总部首次奖励年度", LEAD)
        where = {name: at.get(name) for name in columns}
        revenue = [(y, at.get(f"年营业收入.{y}")) for y in range(YEAR - 4, YEAR + 1)]
        tax = at.get(f"地方留存税收.{YEAR}"), at.get(f"地方留存税收.{YEAR - 1}")
        for line, cells in enumerate(reader, 2):
            def text(name):
                index = where[name]
                return cells[index] or None if index is not None else None

            def money(index):
                return Decimal(cells[index]) if index is not None and cells[index] else None

            def yes(name):
                value = text(name)
                return None if value is None else value == "是"
            facts = {"项目类别": text("项目类别"), "项目投资方式": text("项目投资方式"), "竣工验收": yes("竣工验收"),
                     "投资额": money(where["投资额"]), "设备单价": money(where["设备单价"]),
                     "设备为交通工具": yes("设备为交通工具"), "企业服务业类别": text("企业服务业类别"),
                     "实现税收": yes("实现税收"),
                     "年营业收入": {y: money(i) for y, i in revenue if i is not None and cells[i]}}
            article_5 = hand_article_5(facts, YEAR)
            lead = yes(LEAD)
            if isinstance(article_5, Decimal) and lead:
                amount = facts["投资额"] * RATE_5 * RATE_5X
                article_5 = min(amount, CAP_5).quantize(CENT, ROUND_HALF_UP)
            article_7 = hand_article_7(facts, YEAR)
            article_12 = hand_article_12(yes("总部型企业"), yes("新引进总部型企业"), money(tax[0]), money(tax[1]),
                                         int(cells[where["总部首次奖励年度"]]) if cells[where["总部首次奖励年度"]] else None)
            result.write(json.dumps({"line": line, "申请人": cells[0],
                                     "clauses": [str(v) if isinstance(v, Decimal) else v
                                                 for v in (article_5, article_7, article_12)]},
                                    ensure_ascii=False, separators=(",", ":")) + "\n")
    return time.perf_counter() - start, time.process_time() - cpu


GROWTH_12 = Decimal("1.1")


def hand_article_12(headquarters, new, this_year, last_year, first_year):
    """嘉政发〔2020〕6号 第十二条第2项, by hand: the excess over 110% of last year's tax, for 3
    years from the first award year."""
    if headquarters is False or new is False:
        return False
    if headquarters is None or new is None or this_year is None or last_year is None:
        return None
    if last_year == 0 or (this_year - last_year) / last_year < Decimal("0.1"):
        return False
    if first_year is None:
        return None
    if not first_year <= YEAR <= first_year + 2:
        return False
    return max(this_year - last_year * GROWTH_12, Decimal(0)).quantize(CENT, ROUND_HALF_UP)


def engines(sizes: list[int], names: list[str]) -> None:
    import os
    import tempfile
    print(f"polc eval policies --batch register.csv --on {ON} --out results.jsonl --engine E "
          f"(six policies, a child process per run; CPU = user + system of the child)")
    for rows in sizes:
        with tempfile.TemporaryDirectory(prefix="polc-bench-") as work:
            register_path = Path(work) / "register.csv"
            write_register_csv(register_path, rows)
            hand, hand_cpu = hand_loop(register_path, Path(work) / "hand.jsonl")
            print(f"  {rows:>9,} enterprises, register {register_path.stat().st_size / 1e6:,.0f} MB; "
                  f"hand-written loop over three clauses of 6号: {hand:.1f} s ({hand_cpu:.1f} s CPU)")
            for name in names:
                load = os.getloadavg()
                r = engine_run(name, register_path, Path(work) / f"results-{name}.jsonl")
                print(f"    {name:<7} {r['seconds']:7.1f} s ({r['cpu_seconds']:6.1f} s CPU), "
                      f"{rows / r['seconds']:9,.0f} rows/s ({rows / r['cpu_seconds']:,.0f} per CPU second), "
                      f"peak RSS {r['peak_rss_mb']:7.1f} MB, "
                      f"output {r['output_bytes'] / 1e6:8.1f} MB = {r['output_bytes'] / rows:5.0f} bytes/enterprise, "
                      f"×{r['seconds'] / hand:.1f} the hand-written loop (×{r['cpu_seconds'] / hand_cpu:.1f} in CPU); "
                      f"load average before the run {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)


# ---------------------------------------------------------------- fixed costs of the command
FIXED_ROWS = 10


def _child_cpu(command: list[str], cwd: Path, env: dict) -> float:
    """CPU seconds (user + system) of one child process, measured with wait4."""
    import os
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed: {stderr.decode()[-2000:]}")
    return usage.ru_utime + usage.ru_stime


def fixed_costs(repeat: int, trees: list[Path]) -> None:
    import os
    import tempfile
    print(f"polc eval policies --batch r.csv --on {ON} --out r.jsonl over {FIXED_ROWS} enterprises "
          f"(six policies; CPU seconds of the child, best of {repeat})")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("  note: PYTHONDONTWRITEBYTECODE is set, so polc's sources are compiled on every run (about 0.1 s more)")
    with tempfile.TemporaryDirectory(prefix="polc-fixed-") as work:
        register_path = Path(work) / "r.csv"
        write_register_csv(register_path, FIXED_ROWS)
        for tree in trees:
            cache = Path(work) / f"cache-{trees.index(tree)}"
            env = dict(os.environ, PYTHONPATH=str(tree), POLC_CACHE_DIR=str(cache))
            polc = [sys.executable, "-m", "compiler"]
            command = [*polc, "eval", "policies", "--batch", str(register_path), "--on", ON.isoformat(),
                       "--out", str(Path(work) / "r.jsonl")]
            _child_cpu([*polc, "build", "--check"], tree, env)  # records generated/ as current, as a build does
            _child_cpu(command, tree, env)  # warms the cache: parser tables, compiled modules, the SQL text

            def without_sql_text():
                for entry in cache.glob("sql-*.sql"):
                    entry.unlink()

            ways = [("as after polc build (modules verified, SQL text kept)", env, None),
                    ("SQL text made again each run", env, without_sql_text),
                    ("no cache at all (a fresh clone)", dict(env, POLC_CACHE_DIR=""), None),
                    ("as after polc build, per-applicant query left to the runtime",
                     dict(env, POLC_SQL_CLAUSES="python"), None)]
            print(f"  {tree}:")
            for label, way_env, before in ways:
                load = os.getloadavg()
                times = []
                for _ in range(repeat):
                    if before is not None:
                        before()
                    times.append(_child_cpu(command, tree, way_env))
                print(f"    {label:<62} {min(times):6.3f} s CPU (runs {' '.join(f'{t:.2f}' for t in times)}); "
                      f"load average before {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--stream", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cli", action="store_true", help="measure `polc eval --batch` end to end instead")
    parser.add_argument("--engines", action="store_true",
                        help="time the whole command for each engine against a hand-written loop")
    parser.add_argument("--engine", action="append", choices=["duckdb", "python"],
                        help="with --engines: the engines to time (default both)")
    parser.add_argument("--million", action="store_true", help="with --engines: also 1,000,000 enterprises")
    parser.add_argument("--clauses", action="store_true",
                        help="only the per-call comparison of clauses: hand-written, generated, interpreter")
    parser.add_argument("--fixed", action="store_true",
                        help="the fixed cost of the whole batch command (a register of 10 enterprises)")
    parser.add_argument("--repeat", type=int, default=3, help="with --fixed: runs of each way (the best is shown)")
    parser.add_argument("--root", type=Path, action="append", default=[],
                        help="with --fixed: another polc tree to time side by side (repeatable)")
    args = parser.parse_args()
    if args.fixed:
        fixed_costs(args.repeat, [ROOT, *(path.resolve() for path in args.root)])
        return
    if args.clauses:
        print(f"clauses of 6号, per call (CPU, best of 7 × {args.calls} calls), typed facts:")
        for line in clauses(args.calls):
            print(line)
        return
    if args.engines:
        engines(sorted({args.rows} | ({1_000_000} if args.million else set())), args.engine or ["duckdb", "python"])
        return
    if args.cli:
        print(f"polc eval policies --batch register.jsonl --out results.jsonl, on {ON} (a child process per size)")
        for rows in sorted({max(args.rows // 5, 1), args.rows}):
            r = cli_batch(rows, (args.engine or [None])[0])
            print(f"  {r['rows']:>7} rows: {r['seconds']:7.1f} s ({r['cpu_seconds']:.1f} s CPU), "
                  f"{r['rows'] / r['seconds']:7.0f} rows/s, peak RSS {r['peak_rss_mb']:6.1f} MB, "
                  f"output {r['output_bytes'] / r['rows']:,.0f} bytes per row")
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
    print(f"clauses of 6号, per call (CPU, best of 7 × {args.calls} calls), typed facts:")
    for line in clauses(args.calls):
        print(line)


if __name__ == "__main__":
    main()
