"""Benchmark: `polc check` time for synthetic policies of 100, 1,000 and 5,000 clauses.

Clauses are spread over files of 100 clauses and share matters across files (five clauses
per matter), so the overlap analysis has real pairs to decide. Overlaps are found through an
index by matter, so the work should grow about linearly with the number of clauses, not
with its square. Prints one line per size, the growth ratios, and whether the targets of
issue 10 are met (5,000 clauses under 2 s; ×5.5 or less from 1,000 to 5,000).

Two figures per size: "every file parsed" (no parse cache: what a first check of new or
edited drafts costs; the targets are judged on it) and "files unchanged" (the parsed files
kept in polc's cache, compiler/parse_cache.py, as for a second check). The cache is a
private temporary directory, so the user's own is neither used nor filled. A third line per
size times parsing alone, both ways, in the same run: the LALR runner that builds the AST as
it parses (compiler/lalr.py, what polc uses) and the tree path it replaced (Lark's parse
tree, then the tree walk; still used for drafts with problems). The machine's load average
is printed first: compare figures of one run (ratios), not across runs.

    python bench/check_bench.py [--sizes 100 1000 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compiler import driver  # noqa: E402

PER_FILE = 100
PER_MATTER = 5
TARGET_SECONDS = 2.0  # issue 10: 5,000 clauses
TARGET_GROWTH = 5.5   # issue 10: from 1,000 to 5,000 clauses


def vocabulary(matters: int) -> str:
    lines = ["词汇 合成词汇", "枚举 级别: 国家、省、市", "事实 级别甲: 级别", "事实 收入: 逐年 金额",
             "事实 投资额: 金额", "事实 认定: 是否", "事实 排名: 数值"]
    lines += [f"定义事项 「事项{m}」" for m in range(matters)]
    return "\n".join(lines) + "\n"


def policy(index: int, first_clause: int, count: int, matters: int) -> str:
    lines = [f"政策 合成〔2020〕{index + 1}号", "  施行日期 2020年1月1日", "  冲突原则 就高不重复",
             '  引用 "vocabulary.pol"']
    for k in range(first_clause, first_clause + count):
        threshold = 1000 + (k % 50) * 10
        lines += [f"条款 第{_chinese(k % 900 + 1)}条 第{k // 900 + 1}项", f'  原文 "合成条款{k}。"',
                  f"  事项 「事项{k % matters}」"]
        shape = k % 4
        if shape == 0:
            lines += [f"  当 认定 且 排名 不超过 {k % 20 + 1}", "  给予 按 级别甲 分别", "    国家 → 30万元", "    省 → 20万元"]
        elif shape == 1:
            lines += [f"  当 投资额 不低于 {threshold}万元", "  给予 投资额 × 5% 最高 200万元"]
        elif shape == 2:
            lines += ["  给予 按 收入 首次超过 分档", f"    {threshold * 3}万元 → 30万元", f"    {threshold}万元 → 10万元"]
        else:
            lines += [f"  当 连续 3年 收入 增速 均超过 {k % 30 + 1}% 且 收入 不低于 {threshold}万元", "  给予 最高 20万元"]
        lines.append("  案例 预期 无法判定")
    return "\n".join(lines) + "\n"


_DIGITS = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = (_DIGITS[hundreds] + "百") if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    if ones:
        text += _DIGITS[ones]
    return text or "零"


def build(folder: Path, clauses: int) -> None:
    matters = max(1, clauses // PER_MATTER)
    (folder / "vocabulary.pol").write_text(vocabulary(matters), encoding="utf-8")
    for index, first in enumerate(range(0, clauses, PER_FILE)):
        count = min(PER_FILE, clauses - first)
        (folder / f"p{index:03d}.pol").write_text(policy(index, first, count, matters), encoding="utf-8")


def measure(clauses: int, repeat: int) -> tuple[float, float, int, int, float, float]:
    """(CPU seconds with every file parsed, with the files unchanged, overlap pairs, clauses,
    parsing alone with the runner, parsing alone by the tree path)."""
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
        folder = Path(tmp)
        build(folder, clauses)
        runner, tree = parse_alone(folder, repeat)
        os.environ["POLC_CACHE_DIR"] = ""  # no parse cache: every file is parsed
        driver.load([str(folder)])  # the parser tables, once per process as in any run
        cold = best_of(folder, repeat)
        os.environ["POLC_CACHE_DIR"] = cache
        project = driver.load([str(folder)])  # fills the parse cache
        warm = best_of(folder, repeat)
        errors = [d for d in project.diagnostics if d.is_error]
        if errors:
            raise SystemExit(f"synthetic policies do not check cleanly: {errors[0].message.en}")
        return cold, warm, len(project.overlaps), sum(len(p.clauses) for p in project.policies), runner, tree


def parse_alone(folder: Path, repeat: int) -> tuple[float, float]:
    """CPU seconds to parse every file: with the LALR runner (parser.parse), and by the tree path."""
    from compiler import parser
    from compiler.source import SourceFile, normalise
    sources = [SourceFile.read(str(path)) for path in sorted(folder.glob("*.pol"))]
    parser.parse(sources[0])  # the tables, once
    timings = []
    for parse in (parser.parse, lambda source: parser._parse_by_tree(source, normalise(source.text))):
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            for source in sources:
                tree, problems = parse(source)
                assert tree is not None and not problems
            best = min(best, time.process_time() - start)
        timings.append(best)
    return timings[0], timings[1]


def best_of(folder: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()  # CPU time: a busy machine does not inflate it
        driver.load([str(folder)], one_shot=True)  # as `polc check` loads (see driver.load)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"polc check on synthetic policies ({PER_FILE} clauses per file, {PER_MATTER} clauses per matter), "
          f"best of {args.repeat}, CPU seconds, {os.cpu_count()} CPUs, load average {load}")
    results = {}
    for size in args.sizes:
        cold, warm, pairs, clauses, runner, tree = measure(size, args.repeat)
        results[size] = cold
        print(f"{clauses:>6} clauses  {pairs:>6} overlap pairs decided  every file parsed {cold:7.2f} s "
              f"({cold / clauses * 1000:5.2f} ms/clause)  files unchanged {warm:7.2f} s")
        print(f"{'':>6}         parsing alone: LALR runner {runner:6.2f} s, tree path {tree:6.2f} s "
              f"(×{tree / runner:.2f} faster), parsing {runner / cold:.0%} of the check")
    sizes = sorted(results)
    for small, large in zip(sizes, sizes[1:]):
        print(f"{small} → {large} clauses (×{large / small:g}): time ×{results[large] / results[small]:.2f} "
              f"(linear ×{large / small:g}, quadratic ×{(large / small) ** 2:g})")
    if 1000 in results and 5000 in results:
        growth = results[5000] / results[1000]
        print(f"targets: 5,000 clauses {results[5000]:.2f} s (< {TARGET_SECONDS} s: "
              f"{'met' if results[5000] < TARGET_SECONDS else 'not met'}); growth 1,000 → 5,000 ×{growth:.2f} "
              f"(≤ ×{TARGET_GROWTH}: {'met' if growth <= TARGET_GROWTH else 'not met'})")


if __name__ == "__main__":
    main()
