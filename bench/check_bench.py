"""Benchmark: `polc check` time for synthetic policies of 100, 1,000 and 5,000 clauses.

Clauses are spread over files of 100 clauses and share matters across files (five clauses
per matter), so the overlap analysis has real pairs to decide. Overlaps are found through an
index by matter, so the work should grow about linearly with the number of clauses, not
with its square. Prints one line per size and the growth ratios.

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
        lines.append(f"  案例 预期 无法判定")
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


def measure(clauses: int, repeat: int) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build(folder, clauses)
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()  # CPU time: a busy machine does not inflate it
            project = driver.load([str(folder)])
            best = min(best, time.process_time() - start)
        errors = [d for d in project.diagnostics if d.is_error]
        if errors:
            raise SystemExit(f"synthetic policies do not check cleanly: {errors[0].message.en}")
        return best, len(project.overlaps), sum(len(p.clauses) for p in project.policies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"polc check on synthetic policies ({PER_FILE} clauses per file, {PER_MATTER} clauses per matter), "
          f"best of {args.repeat}, CPU seconds, {os.cpu_count()} CPUs")
    results = []
    for size in args.sizes:
        seconds, pairs, clauses = measure(size, args.repeat)
        results.append((size, seconds))
        print(f"{clauses:>6} clauses  {pairs:>6} overlap pairs decided  {seconds:8.2f} s  "
              f"{seconds / clauses * 1000:6.2f} ms/clause")
    for (small, t_small), (large, t_large) in zip(results, results[1:]):
        print(f"{small} → {large} clauses (×{large / small:g}): time ×{t_large / t_small:.2f} "
              f"(linear ×{large / small:g}, quadratic ×{(large / small) ** 2:g})")


if __name__ == "__main__":
    main()
