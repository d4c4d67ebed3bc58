"""Generators and an oracle for fuzzing polc as a hostile user would (issue 8).

Shared by `tests/test_fuzz.py` (hypothesis, a few hundred inputs) and `bench/fuzz_soak.py`
(plain `random`, 100,000 inputs). Every generator is a plain function of a `random.Random`,
so hypothesis drives it through `st.randoms()` and the soak through a seeded `Random`; the
same seed gives the same input.

An input is a `Case`: the files to put in a fresh sandbox directory, the command line to
run there, and the exit codes the documented contract allows (0 clean, 1 findings or bad
data, 2 usage). The oracle (`run_case`) runs the real CLI, in-process (`compiler.cli.main`)
for speed or in a subprocess when the input may hang, recurse in C or eat memory, and
returns every broken promise it saw:

- no exception escapes `main`, and "Traceback" never appears in the output;
- the exit code is one the contract allows for that input;
- inputs are untouched (hashed before and after);
- nothing is written when the command fails, and no stray file (a temporary file) is left
  beside the outputs when it succeeds; outputs are complete (a batch result ends with its
  summary line, every line JSON; a build writes every file `build --check` expects).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
GRAMMAR = ROOT / "grammar" / "polc.lark"
SHAPES = ROOT / "tests" / "fixtures" / "shapes.pol"
ON = "2021-06-30"
MAX_LINE_CHARS = 1 << 20  # the README's stated limit for a register line or CSV field (characters)

# ---------------------------------------------------------------- what the sources declare
KEYWORDS = sorted({word for word in re.findall(r'"([^"\\]+)"', GRAMMAR.read_text(encoding="utf-8"))
                   if not word.isascii()})
OPERATORS = ["超过", "高于", "大于", "不低于", "不少于", "达到", "不超过", "不高于", "低于", "少于", "不足", "等于",
             "首次超过", "首次达到", "均超过", "均不低于", ">", ">=", "<", "<=", "≥", "≤"]
SHIPPED = sorted(p.name for p in POLICIES.glob("*.pol") if p.name != "vocabulary.pol")


@dataclass(frozen=True)
class Fact:
    name: str  # as written in JSON / CSV (without the 「」 quotes)
    mark: str  # "", "逐年" or "逐项"
    kind: str  # 金额 数值 百分比 是否 日期 年份, or an enumeration's name
    values: tuple = ()  # the labels, for an enumeration


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith("「") and name.endswith("」") else name


def declared_facts(*texts: str) -> list[Fact]:
    """The facts a policy (and the vocabulary it imports) declares, read with a regex so
    the harness does not depend on the compiler it tests."""
    enums: dict[str, tuple] = {}
    raw = []
    for text in texts:
        for match in re.finditer(r"^枚举 (\S+?)\s*[:：]\s*(.+)$", text, re.M):
            enums[_unquote(match.group(1))] = tuple(_unquote(v.strip())
                                                   for v in re.split("、", match.group(2).split(" 说明")[0]))
        for match in re.finditer(r"^事实 (\S+?)\s*[:：]\s*(逐年 |逐项 )?(\S+)", text, re.M):
            raw.append((_unquote(match.group(1)), (match.group(2) or "").strip(), _unquote(match.group(3))))
    return [Fact(name, mark, kind, enums.get(kind, ())) for name, mark, kind in raw]


def policy_facts(name: str) -> list[Fact]:
    """The facts a shipped policy accepts: its own, and those of the vocabulary it uses
    (an imported fact the policy never mentions is not part of its schema)."""
    text = (POLICIES / name).read_text(encoding="utf-8")
    own = declared_facts(text)
    shared = [fact for fact in declared_facts((POLICIES / "vocabulary.pol").read_text(encoding="utf-8"))
              if fact.name in text]
    return own + shared


# ---------------------------------------------------------------- drafts from the grammar
NAMES = ["投资额", "收入", "营业收入", "企业类别", "甲", "乙", "Ａ名", "「5A级」", "「2018年末参保人数」", "x_y",
         "投资\u200b额", "收入\ufeff", "ｉｎｖｅｓｔ", "NaN", "Infinity", "sNaN", "inf", "e"]
HOSTILE_NUMBERS = ["NaN", "Infinity", "sNaN", "-Infinity", "1e400", "1E+400", "0e0", "9" * 60, "1" + "0" * 400,
                   "0." + "0" * 80 + "1", "1.200,5", "１２３", "٣", "¹", "𝟗"]
HOSTILE_STRINGS = ['"标题\n第二行"', '"`代码` ``"', '"<script>alert(1)</script>"', '"-->注释<!--"', '"# 标题"',
                   '"| 表格 |"', '"[链接](javascript:x)"', '"\u200b\u200d\ufeff"', '"\\"转义\\\\"', '"{{ jinja }}"',
                   '"\'\'\'"', '"\\n"', '"' + "长" * 300 + '"']


def _number(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return rng.choice(HOSTILE_NUMBERS)
    if roll < 0.15:
        return "9" * rng.randint(30, 400)
    if roll < 0.5:
        return str(rng.randint(0, 1000))
    return f"{rng.randint(0, 99999)}.{rng.randint(0, 99)}"


def _literal(rng: random.Random) -> str:
    unit = rng.choice(["元", "万元", "亿元", "万亿元", "%", "年", "", "元/平方米"])
    if rng.random() < 0.1:
        return rng.choice(["2020年1月1日", "2020-06-30", "2021年13月40日", "三年", "两年", "十年", "是", "否"])
    return _number(rng) + unit


def _name(rng: random.Random, names: list[str]) -> str:
    return rng.choice(names) if names and rng.random() < 0.85 else rng.choice(NAMES)


def expression(rng: random.Random, names: list[str], depth: int = 3) -> str:
    """A plausible condition or amount, nested up to depth."""
    if depth <= 0 or rng.random() < 0.25:
        roll = rng.random()
        if roll < 0.5:
            return _name(rng, names)
        return _literal(rng)
    shape = rng.randrange(10)
    sub = lambda: expression(rng, names, depth - 1)  # noqa: E731
    if shape == 0:
        return f"{sub()} {rng.choice(['且', '或'])} {sub()}"
    if shape == 1:
        return f"非 {sub()}"
    if shape == 2:
        return f"{sub()} {rng.choice(OPERATORS)} {sub()}"
    if shape == 3:
        return f"{sub()} {rng.choice(['+', '-', '×', '÷', '*', '/'])} {sub()}"
    if shape == 4:
        return f"({sub()})"
    if shape == 5:
        return f"{rng.choice(['连续', '近'])} {rng.choice(['3年', '两年', '99999999年', '0年'])} {sub()}"
    if shape == 6:
        return f"{_name(rng, names)} {rng.choice(['属于', '不属于'])} {_name(rng, names)}、{_name(rng, names)}"
    if shape == 7:
        return f"{rng.choice(['上年', '取整', '-'])} {sub()}"
    if shape == 8:
        return f"{_name(rng, names)} 增速"
    return f"{sub()} {rng.choice(OPERATORS)} {_literal(rng)}"


def deep_expression(rng: random.Random, depth: int) -> str:
    """One of the deep shapes the issue saw: nested 且/或/非, parentheses, arithmetic chains."""
    shape = rng.randrange(5)
    if shape == 0:
        return " 且 ".join(["投资额 超过 1万元"] * depth)
    if shape == 1:
        return "非 " * depth + "投资额 超过 1万元"
    if shape == 2:
        return "(" * depth + "投资额 超过 1万元" + ")" * depth
    if shape == 3:
        return "投资额 超过 " + " + ".join(["1万元"] * depth)
    # right-nested: a 且 (b 且 (c …)), which Python nests as blocks
    return "".join("投资额 超过 1万元 且 (" for _ in range(depth)) + "投资额 超过 1万元" + ")" * depth


def draft(rng: random.Random, hostile: bool = False) -> str:
    """A syntactically plausible policy from the grammar's keywords, names and literals.

    hostile=True may add very deep nesting, long 定义 chains and huge literals (then the
    input should run in a subprocess)."""
    facts = [rng.choice(NAMES[:7]) for _ in range(rng.randint(0, 4))]
    names = list(dict.fromkeys(facts)) + ["类别值"]
    # 文号 as written in any accepted bracket, or none (issue 13)
    lines = [rng.choice([f"政策 测试〔2020〕{rng.randint(1, 99)}号", f"政策 测试[2020]{rng.randint(1, 99)}号",
                         f"政策 测试（2020）{rng.randint(1, 99)}号", "政策 无文号 「测试办法」"])]
    for _ in range(rng.randint(0, 4)):
        lines.append(rng.choice([
            "标题 " + rng.choice(HOSTILE_STRINGS + ['"普通标题"']),
            f"施行日期 {rng.choice(['2020年1月1日', '2020-01-01', '2020年2月30日', '9999年1月1日'])}",
            f"失效日期 {rng.choice(['2022年12月31日', '2019年1月1日'])}",
            f"冲突原则 {rng.choice(['就高不重复', '可叠加'])}",
            f"分担 市级财政 {_number(rng)}%、{rng.choice(['区级财政', '市级财政'])} 50%",
            f"配套 区级财政 不低于 {_number(rng)}%",
            f"预算 市级财政 每年 {_literal(rng)} 按 {_name(rng, names)} 降序",
            f"考核年度 {rng.choice(['上一年', '当年'])}",
            "引用 " + rng.choice(['"vocabulary.pol"', '"../../../etc/passwd"', '"/etc/hostname"', '"nope.pol"']),
            f"说明 {rng.choice(HOSTILE_STRINGS)}",
        ]))
    lines.append(f"枚举 类别: {'、'.join(rng.sample(['甲类', '乙类', '丙类', '类别值'], rng.randint(1, 4)))}")
    for fact in names[:-1]:
        mark = rng.choice(["", "", "逐年 ", "逐项 "])
        lines.append(f"事实 {fact}: {mark}{rng.choice(['金额', '数值', '百分比', '是否', '日期', '年份', '类别'])}")
    for index in range(rng.randint(0, 3)):
        lines.append(f"定义 定义{'甲乙丙'[index]} = {expression(rng, names, 2)}")
    for number in range(rng.randint(1, 3)):
        lines.append(rng.choice([f"条款 第{'一二三四五'[number]}条 「条款{number}」",
                                 f"条款 \"{'一二三四五'[number]}、（一）{rng.randint(1, 3)}.\" 「条款{number}」"]))
        lines.append("  原文 " + rng.choice(HOSTILE_STRINGS + ['"原文"']))
        lines.append(f"  事项 {rng.choice(['甲事项', '乙事项'])}")
        if rng.random() < 0.8:
            lines.append(f"  当 {expression(rng, names, rng.randint(1, 4))}")
        award = rng.randrange(6)
        if award == 0:
            lines.append(f"  给予 {_literal(rng)}")
        elif award == 1:
            lines.append(f"  给予 {expression(rng, names, 2)} 最高 {_literal(rng)}")
        elif award == 2:
            lines.append(f"  给予 {_literal(rng)} 至 {_literal(rng)}")
        elif award == 3:
            lines.append(f"  给予 按 {_name(rng, names)} {rng.choice(OPERATORS)} 分档")
            for _ in range(rng.randint(1, 3)):
                lines.append(f"    {_literal(rng)} → {_literal(rng)}")
        elif award == 4:
            lines.append(f"  给予 每项 {_name(rng, names)} × 50% 每项最高 {_literal(rng)} 最高 {_literal(rng)}")
        else:
            lines.append("  给予 " + rng.choice(['一事一议', '金额未定', '由 "会议" 审定', '最高 -50万元',
                                                  f'一事一议 最高 {_literal(rng)}',
                                                  f'{_name(rng, names)} × {_number(rng)}%-{_number(rng)}% 最高 {_literal(rng)}']))
        if rng.random() < 0.3:
            lines.append(f"  期限 最多 {rng.choice(['3年', '三年', '99999999年'])}")
        if rng.random() < 0.3:
            lines.append(f"  名额 每年 {_number(rng)} 家 按 {_name(rng, names)} 降序")
        if rng.random() < 0.5:
            values = ", ".join(f"{_name(rng, names)} = {_literal(rng)}" for _ in range(rng.randint(1, 3)))
            lines.append(f"  案例 已知 {values} 评估日 2021-06-30 预期 {rng.choice(['不适用', '无法判定', _literal(rng)])}")
    if hostile:
        roll = rng.randrange(4)
        if roll == 0:
            lines.append(f"条款 第九条\n  事项 深\n  当 {deep_expression(rng, rng.choice([99, 200, 500, 1000]))}\n  给予 1万元")
        elif roll == 1:
            count = rng.choice([400, 1000])
            lines += [f"定义 「链{i}」 = {'「链' + str(i - 1) + '」 + 1元' if i else '1元'}" for i in range(count)]
        elif roll == 2:
            lines.append(f"条款 第九条\n  事项 大\n  给予 {'9' * rng.choice([5000, 1_000_000])}元")
        else:
            lines.append(f"说明 \"{'长' * rng.choice([100_000, 3_000_000])}\"")
            lines.append(f"条款 第九条\n  事项 名\n  当 {'投资额错' * 50_000} 超过 1元\n  给予 1元")
    if rng.random() < 0.1:
        lines = [line.translate({ord(c): ord(c) + 0xFEE0 for c in ":,()0123456789"}) for line in lines]
    if rng.random() < 0.05:
        lines.insert(rng.randrange(len(lines) + 1), "\u200b\u3000\t\r")
    return "\n".join(lines) + rng.choice(["\n", "", "\r\n", "\n\n# 注释"])


# ---------------------------------------------------------------- mutations of shipped text
def _tokens(text: str) -> list[str]:
    return re.findall(r"\s+|[^\s]+", text)


def mutate(rng: random.Random, text: str) -> str:
    """Delete, duplicate or swap tokens, flip characters, or truncate the text."""
    for _ in range(rng.randint(1, 4)):
        action = rng.randrange(6)
        tokens = _tokens(text)
        if not tokens:
            return text
        i, j = rng.randrange(len(tokens)), rng.randrange(len(tokens))
        if action == 0:
            del tokens[i]
        elif action == 1:
            tokens.insert(i, tokens[i])
        elif action == 2:
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif action == 3:
            tokens[i] = rng.choice(KEYWORDS + OPERATORS + HOSTILE_NUMBERS + ["「", "」", '"', "(", ")", "→", "\n"])
        elif action == 4:
            at = rng.randrange(len(text) or 1)
            text = text[:at] + chr(rng.choice([0x0, 0x7F, 0x200B, 0xFEFF, 0x3000, 0xFF1A, 0xD7FF, 0x10FFFF,
                                                rng.randrange(0x20, 0x9FFF)])) + text[at + 1:]
            continue
        else:
            return text[:rng.randrange(len(text) + 1)]
        text = "".join(tokens)
    return text


def flip_bytes(rng: random.Random, data: bytes, count: int = 3) -> bytes:
    data = bytearray(data)
    for _ in range(count):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]


def encode(rng: random.Random, text: str) -> tuple[bytes, str]:
    """text in one of the encodings Chinese office files come in (falls back to gb18030
    for characters GBK lacks)."""
    encoding = rng.choice(ENCODINGS)
    try:
        return text.encode(encoding), encoding
    except UnicodeEncodeError:
        return text.encode("gb18030"), "gb18030"


def random_bytes(rng: random.Random, size: int = 200) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, size)))


# ---------------------------------------------------------------- facts
class Raw:
    """A JSON token written as is (NaN, Infinity, 1e400, a 5,000-digit integer)."""

    def __init__(self, token: str):
        self.token = token


def to_json(value) -> str:
    if isinstance(value, Raw):
        return value.token
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


BAD_SCALARS = [Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1e400"), Raw("-1e400"), "NaN元", "Infinity",
               "sNaN", "1e400元", "1.200,5元", "", "  ", "三十万元", {}, [], "\u200b", True, "5%%", "2020-02-30"]


def good_value(rng: random.Random, fact: Fact):
    """A value the contract accepts for the fact (README, `polc eval` JSON contract)."""
    def scalar():
        kind = fact.kind
        if kind == "金额":
            return rng.choice([rng.randint(0, 10**8), f"{rng.randint(0, 999)}万元", f"{rng.randint(1, 99)}.5亿元",
                               Raw(f"{rng.randint(0, 10**6)}.{rng.randint(0, 99):02d}")])
        if kind == "数值":
            return rng.choice([rng.randint(0, 1000), Raw(f"{rng.randint(0, 100)}.5")])
        if kind == "百分比":
            return rng.choice([f"{rng.randint(0, 100)}%", Raw(f"0.{rng.randint(0, 99):02d}")])
        if kind == "是否":
            return rng.choice([True, False])
        if kind == "日期":
            return f"20{rng.randint(10, 29)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        if kind == "年份":
            return rng.randint(2015, 2025)
        return rng.choice(fact.values) if fact.values else None
    if rng.random() < 0.1:
        return None
    if fact.mark == "逐年":
        return {str(year): scalar() for year in range(rng.randint(2016, 2020), 2022) if rng.random() < 0.9}
    if fact.mark == "逐项":
        return [scalar() for _ in range(rng.randint(0, 4))]
    return scalar()


def bad_value(rng: random.Random, fact: Fact, size: int = 1000):
    """A value that must be refused for the fact (exit 1, naming the fact)."""
    roll = rng.random()
    if roll < 0.6:
        value = rng.choice(BAD_SCALARS)
        if fact.kind == "是否" and value is True:
            value = "是的"
        if fact.kind == "日期" and value == "2020-02-30":
            value = "2020-13-01"
        if fact.kind == "标识" and isinstance(value, str) and value.strip():
            # any non-blank text is an identifier (README: 标识 is a name or a code): "sNaN" is one
            value = rng.choice(["", "  ", True, {}, [], Raw("NaN")])
    elif roll < 0.75:
        value = Raw("9" * rng.choice([400, 5000, size]))  # a huge integer
        if fact.kind in ("是否", "日期") or fact.values:
            value = Raw("9" * 500)
    elif roll < 0.85:
        depth = rng.choice([50, 500, 5000])
        value = Raw("[" * depth + "]" * depth)
    else:
        value = {"not": "a value"} if fact.mark != "逐年" else {"二〇二〇": 1}
    if fact.mark == "逐年" and rng.random() < 0.5:
        return {"2020": value}
    if fact.mark == "逐项" and rng.random() < 0.5:
        return [value]
    return value


def misspell(rng: random.Random, name: str) -> str:
    roll = rng.randrange(4)
    if roll == 0:
        return name + "\u200b"
    if roll == 1:
        return name[:-1] + "错" if len(name) > 1 else "错"
    if roll == 2:
        return name.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) + "X"
    return "错" * rng.choice([10, 1000])


@dataclass
class FactsCase:
    facts_json: str
    bad: bool  # True: must be refused (exit 1); False: must be accepted (exit 0)


def facts_case(rng: random.Random, facts: list[Fact]) -> FactsCase:
    chosen = rng.sample(facts, k=rng.randint(0, min(len(facts), 8)))
    values = {fact.name: good_value(rng, fact) for fact in chosen}
    bad = False
    roll = rng.random()
    if roll < 0.35 and chosen:
        fact = rng.choice(chosen)
        values[fact.name] = bad_value(rng, fact)
        bad = True
    elif roll < 0.45 and facts:
        values[misspell(rng, rng.choice(facts).name)] = 1
        bad = True
    elif roll < 0.5:
        text = rng.choice(["[]", "null", "1", '"x"', "{", '{"a": 1,}', "{\"a\": NaN", "\x00", "[" * 10000,
                           '{"a":' * 3000 + "1" + "}" * 3000])
        return FactsCase(text, True)
    return FactsCase(to_json(values), bad)


# ---------------------------------------------------------------- registers
def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Raw):
        return value.token
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv_field(text: str) -> str:
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


@dataclass
class RegisterCase:
    name: str  # file name, .csv or .jsonl
    data: bytes
    good_rows: int | None  # rows that must be evaluated (None: not known exactly)
    bad_lines: list[int]  # physical lines of rows that must be reported as bad
    must_fail: bool = False  # the whole file is unreadable or ambiguous: exit 1


def register_case(rng: random.Random, facts: list[Fact], rows: int = 8, size: int = 140_000) -> RegisterCase:
    """A CSV or JSON Lines register: mostly good rows, some rows with one bad value, and
    sometimes a file-level defect (ragged rows, duplicate columns, duplicate 申请人, a bad
    encoding, a huge field)."""
    jsonl = rng.random() < 0.4
    chosen = [f for f in facts if f.mark != "逐项" or not jsonl][:12]
    rng.shuffle(chosen)
    chosen = chosen[:rng.randint(1, max(1, len(chosen)))]
    records, bad_rows = [], set()
    for index in range(rng.randint(0, rows)):
        record = {fact.name: good_value(rng, fact) for fact in chosen}
        if rng.random() < 0.3:
            fact = rng.choice(chosen)
            value = rng.choice([Raw("NaN"), Raw("Infinity"), "abc", "1e400元", "NaN", Raw("-Infinity")])
            if fact.kind == "是否" and not jsonl:
                value = "也许"
            record[fact.name] = {"2020": value} if fact.mark == "逐年" else ([value] if fact.mark == "逐项" else value)
            bad_rows.add(index)
        records.append((f"企业{index:03d}", record))
    defect = rng.choice([None, None, None, "ragged", "duplicate_column", "duplicate_applicant", "huge_field",
                         "gbk", "bad_bytes", "deep_json", "newline_in_field"])
    if jsonl:
        lines = []
        for index, (applicant, record) in enumerate(records):
            row = {"申请人": applicant, **record}
            if defect == "huge_field" and index == 0:
                row["申请人"] = "长" * size  # JSON Lines: no crash; a bad row or not, as the stated limit says
            line = to_json(row)
            if defect == "deep_json" and index == 0:
                line = '{"申请人": "深", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
                bad_rows.add(index)
            lines.append(line)
        physical = list(range(1, len(lines) + 1))
        text = "\n".join(lines) + "\n"
    else:
        header = ["申请人"]
        for fact in chosen:
            if fact.mark == "逐年":
                header += [f"{fact.name}.{year}" for year in range(2016, 2022)]
            else:
                header.append(fact.name)
        if defect == "duplicate_column" and len(header) > 1:
            header.append(header[-1])
        out = [",".join(_csv_field(h) for h in header)]
        physical, line_no = [], 2
        for index, (applicant, record) in enumerate(records):
            cells = [applicant]
            for fact in chosen:
                value = record[fact.name]
                if fact.mark == "逐年":
                    series = value if isinstance(value, dict) else {}
                    cells += [_cell(series.get(str(year))) for year in range(2016, 2022)]
                else:
                    cells.append(_cell(value))
            if defect == "duplicate_column" and len(header) > 1:
                cells.append(cells[-1])
            if defect == "ragged" and index == 0:
                cells = cells[:-1] if len(cells) > 1 and rng.random() < 0.5 else cells + ["多余"]
                bad_rows.add(index)
            if defect == "huge_field" and index == 0:
                cells[0] = "长" * size
                if size > MAX_LINE_CHARS:  # the stated limit (README): a line or field over 1 MiB characters
                    bad_rows.add(index)
            if defect == "newline_in_field" and index == 0:
                cells[0] = "企业\n第二行\n第三行"
            row = ",".join(_csv_field(c) for c in cells)
            physical.append(line_no)
            line_no += row.count("\n") + 1
            out.append(row)
        text = "\n".join(out) + "\n"
    data = text.encode("utf-8")
    must_fail = False
    if defect == "duplicate_applicant" and len(records) > 1:
        a, b = records[0][0], records[1][0]
        data = data.replace(b.encode(), a.encode())
    if defect == "duplicate_column":
        must_fail = not jsonl  # refused at the header (a documented decision), rows or no rows
    if defect == "gbk":
        data = text.encode("gb18030")
    damaged_lines = []
    if defect == "bad_bytes" and records:
        # Inserted at the start of physical line 2: the first row of a CSV (after its header),
        # the second of JSON Lines (with one JSON row, a line of its own after it).
        position = data.index(b"\n") + 1 if b"\n" in data else 0
        data = data[:position] + b"\xff\xfe\x80" + data[position:]
        damaged = 1 if jsonl else 0
        if damaged < len(records):
            bad_rows.add(damaged)
        damaged_lines = [2]
    good = len(records) - len(bad_rows)
    if defect in ("duplicate_applicant",) or must_fail or (jsonl and defect == "huge_field"):
        good = None
    if defect == "ragged":
        good = None if not records else good
    bad_lines = sorted({physical[i] for i in bad_rows if i < len(physical)} | set(damaged_lines))
    if must_fail:
        bad_lines = []  # nothing is read past the refused header
    return RegisterCase("register.jsonl" if jsonl else "register.csv", data, good, bad_lines, must_fail)


# ---------------------------------------------------------------- the oracle
@dataclass
class Case:
    """One input: files for a sandbox, a command line, and the exit codes allowed."""

    kind: str
    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    expect: frozenset = frozenset({0, 1})
    outputs: tuple[str, ...] = ()  # sandbox paths a success may create or change
    isolate: bool = False  # run in a subprocess (may hang, recurse in C or eat memory)
    check_output: str | None = None  # "batch" or "build": verify the output is complete
    note: str = ""
    timeout: float | None = None  # seconds before a subprocess counts as hung (default 60)


@dataclass
class Result:
    case: Case
    rc: int | None
    stdout: str
    stderr: str
    seconds: float
    error: str | None = None  # "ExcType at compiler/x.py:123" for an escaped exception
    error_text: str = ""
    problems: list[str] = field(default_factory=list)


# Sandboxes go to memory when the machine has it (creating and removing thousands of small
# directories on disk costs more than running polc on them); POLC_FUZZ_TMP overrides.
SANDBOX_ROOT = os.environ.get("POLC_FUZZ_TMP") or (
    "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None)


class Timeout(BaseException):
    """Raised by the alarm; a BaseException so no `except Exception` in polc can swallow it."""


def snapshot(directory: Path) -> dict[str, str]:
    """Relative path -> content hash (or a marker for what is not a regular file)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(directory):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(directory))
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode):
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISDIR(mode):
                found[rel] = "dir"
            else:
                found[rel] = f"special:{stat.S_IFMT(mode)}"
    return found


def _location(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "compiler" in f.filename or "polc:" in f.filename or "grammar" in f.filename]
    frame = (ours or frames or [None])[-1]
    where = f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}" if frame else "?"
    return f"{type(exc).__name__} at {where}"


@contextlib.contextmanager
def _alarm(seconds: float):
    if not seconds or not hasattr(signal, "setitimer"):
        yield
        return

    def fire(signum, frame):
        raise Timeout(f"no answer within {seconds} s")
    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_in_process(argv: list[str], cwd: Path, timeout: float = 20) -> tuple[int | None, str, str, BaseException | None]:
    from compiler import cli
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    rc, escaped = None, None
    stdin = sys.stdin
    try:
        os.chdir(cwd)
        sys.stdin = io.StringIO("")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _alarm(timeout):
            try:
                rc = cli.main(list(argv))
            except SystemExit as exc:
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Timeout as exc:
        escaped = exc
    except RecursionError as exc:
        escaped = exc
    except Exception as exc:  # noqa: BLE001 - the point is to catch whatever escapes
        escaped = exc
    finally:
        sys.stdin = stdin
        os.chdir(here)
    return rc, out.getvalue(), err.getvalue(), escaped


def _limit_memory(megabytes: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, megabytes << 20))
    return apply


def run_subprocess(argv: list[str], cwd: Path, timeout: float = 60, memory_mb: int = 1500,
                   env: dict | None = None) -> tuple[int | None, str, str, float]:
    started = time.perf_counter()
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    try:
        done = subprocess.run([sys.executable, "-m", "compiler", *argv], cwd=cwd, capture_output=True,
                              timeout=timeout, env=environment, preexec_fn=_limit_memory(memory_mb),
                              stdin=subprocess.DEVNULL)
        return (done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"),
                time.perf_counter() - started)
    except subprocess.TimeoutExpired as exc:
        return (None, (exc.stdout or b"").decode("utf-8", "replace"), (exc.stderr or b"").decode("utf-8", "replace"),
                time.perf_counter() - started)


def materialise(case: Case, sandbox: Path) -> None:
    for rel, data in case.files.items():
        path = sandbox / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if data is FIFO:
            os.mkfifo(path)
        elif isinstance(data, Symlink):
            os.symlink(data.target, path)
        elif data is FULL:
            try:
                os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))
            except (OSError, AttributeError):
                os.symlink("/dev/full", path)
        else:
            path.write_bytes(data)


class _Marker:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


FIFO = _Marker("FIFO")
FULL = _Marker("FULL")  # a character device that answers every write with ENOSPC, like /dev/full


@dataclass(frozen=True)
class Symlink:
    target: str


def _temp_like(name: str) -> bool:
    base = Path(name).name
    return base.endswith((".tmp", ".part", "~")) or base.startswith((".", "tmp"))


def verify(result: Result, before: dict, after: dict) -> list[str]:
    """Every promise the issue makes about one run, as a list of what was broken."""
    case, problems = result.case, []
    if result.error:
        problems.append(f"traceback: {result.error}")
    if result.rc is None and not result.error:
        problems.append("timeout: no answer (hang or runaway)")
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if "Traceback (most recent call last)" in text:
            last = [line for line in text.splitlines() if line and not line.startswith(" ")][-1:]
            problems.append(f"traceback in {stream}: {last[0] if last else '?'}")
    if result.rc is not None and result.rc not in case.expect:
        problems.append(f"exit code {result.rc}, expected {sorted(case.expect)}")
    inputs = {rel for rel in before if rel not in case.outputs}
    for rel in sorted(inputs):
        if after.get(rel) != before[rel] and not any(rel.startswith(o + "/") for o in case.outputs):
            problems.append(f"input changed: {rel}")
    added = sorted(set(after) - set(before))
    changed = sorted(rel for rel in before if rel in after and after[rel] != before[rel])
    if result.rc not in (0, None) and (added or changed):
        problems.append(f"written on failure: {(added + changed)[:5]}")
    for rel in added:
        allowed = rel in case.outputs or any(rel.startswith(o + "/") for o in case.outputs)
        if not allowed:
            problems.append(f"stray file: {rel}")
        elif _temp_like(rel) and not rel.endswith("/README.md"):
            problems.append(f"temporary file left: {rel}")
    return problems


def _complete_batch(path: Path) -> str | None:
    if not path.is_file():
        return "no result file"
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        rows = [json.loads(line) for line in lines]
    except ValueError:
        return "result line is not JSON"
    if not rows or "summary" not in rows[-1]:
        return "result has no summary line (incomplete)"
    return None


def run_case(case: Case, timeout: float = 20, inspect=None) -> Result:
    """Run one case in a fresh sandbox and check every promise; inspect(sandbox, result),
    if given, may look at the sandbox before it is removed."""
    sandbox = Path(tempfile.mkdtemp(prefix="polc-fuzz-", dir=SANDBOX_ROOT))
    try:
        materialise(case, sandbox)
        before = snapshot(sandbox)
        started = time.perf_counter()
        if case.isolate:
            rc, out, err, _ = run_subprocess(case.argv, sandbox, timeout=case.timeout or 60)
            escaped = None
        else:
            rc, out, err, escaped = run_in_process(case.argv, sandbox, case.timeout or timeout)
        result = Result(case, rc, out, err, time.perf_counter() - started)
        if escaped is not None:
            if isinstance(escaped, Timeout):
                result.rc = None
            else:
                result.error = _location(escaped)
                result.error_text = "".join(traceback.format_exception(escaped))[-3000:]
        after = snapshot(sandbox)
        result.problems = verify(result, before, after)
        if result.rc == 0 and case.check_output == "batch":
            out_path = case.argv[case.argv.index("--out") + 1]
            broken = _complete_batch(sandbox / out_path)
            if broken:
                result.problems.append(f"incomplete output: {broken}")
        if result.rc == 0 and case.check_output == "build":
            # a draft that builds must also be current by `build --check`, with nothing left over
            argv = [a for a in case.argv] + ["--check"]
            rc, out, err, escaped = run_in_process(argv, sandbox, timeout)
            if escaped is not None or rc != 0:
                result.problems.append(f"build --check after build: exit {rc} {escaped!r} {out[-200:]}")
        if inspect is not None:
            inspect(sandbox, result)
        return result
    finally:
        _force_remove(sandbox)


def _force_remove(path: Path) -> None:
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            with contextlib.suppress(OSError):
                os.chmod(Path(dirpath) / name, 0o755)
    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- case generators
_TEXTS: dict[str, str] = {}


def shipped_text(name: str) -> str:
    if name not in _TEXTS:
        path = SHAPES if name == "shapes.pol" else POLICIES / name
        # Fuzzed drafts are written alone into scratch directories, without the gazette text
        # a policy names in 来源, so that line is left out (tests/test_law.py covers 来源).
        text = path.read_text(encoding="utf-8")
        _TEXTS[name] = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("来源 "))
    return _TEXTS[name]


VOCABULARY = "vocabulary.pol"


def draft_case(rng: random.Random, hostile: bool = False) -> Case:
    text = draft(rng, hostile)
    files = {"d.pol": text.encode("utf-8"), VOCABULARY: shipped_text(VOCABULARY).encode("utf-8")}
    command = rng.choices(["check", "build", "test", "eval"], weights=[6, 2, 1, 1])[0]
    if command == "build":
        return Case("draft-build", ["build", "d.pol", "--out", "out"], files, outputs=("out",), isolate=hostile,
                    check_output="build")
    if command == "eval":
        files["f.json"] = b"{}"
        return Case("draft-eval", ["eval", "d.pol", "--facts", "f.json", "--on", ON], files, isolate=hostile)
    extra = rng.choice([[], ["--lang", "en"], ["--format", "json"], ["--format", "sarif"], ["--format", "github"]])
    if command == "test":
        extra = []
    return Case(f"draft-{command}", [command, "d.pol", *extra], files, isolate=hostile)


SMALL_SHIPPED = ["shapes.pol", "jnf-2020-16.pol", "jrs-2020-11.pol"]


def mutation_case(rng: random.Random) -> Case:
    name = rng.choice(SMALL_SHIPPED * 4 + SHIPPED)
    text = shipped_text(name)
    if rng.random() < 0.5 and name != "shapes.pol":
        # a window of the policy keeps checks cheap; the header stays so it still parses
        lines = text.split("\n")
        start = rng.randrange(len(lines))
        text = "\n".join(lines[:30] + lines[start:start + rng.randint(5, 80)])
    text = mutate(rng, text)
    data = text.encode("utf-8", "surrogatepass") if rng.random() < 0.9 else flip_bytes(rng, text.encode("utf-8"))
    files = {"m.pol": data, VOCABULARY: shipped_text(VOCABULARY).encode("utf-8")}
    if rng.random() < 0.15:
        return Case("mutation-build", ["build", "m.pol", "--out", "out"], files, outputs=("out",), check_output="build")
    return Case("mutation-check", ["check", "m.pol"], files)


def encoding_case(rng: random.Random) -> Case:
    """A shipped policy (and its vocabulary) in another encoding: read as the same text."""
    name = rng.choice(["shapes.pol", "jnf-2020-16.pol"])
    data, encoding = encode(rng, shipped_text(name))
    vocab, _ = encode(rng, shipped_text(VOCABULARY))
    if rng.random() < 0.5:
        vocab = shipped_text(VOCABULARY).encode("utf-8")
    return Case("encoding-check", ["check", "p.pol"], {"p.pol": data, VOCABULARY: vocab}, expect=frozenset({0}),
                note=encoding)


def bytes_case(rng: random.Random) -> Case:
    roll = rng.random()
    if roll < 0.5:
        data = random_bytes(rng)
    elif roll < 0.8:
        data = flip_bytes(rng, shipped_text("shapes.pol").encode(rng.choice(["utf-8", "gb18030", "utf-16"])), 5)
    else:
        data = b"\xff\xfe" + random_bytes(rng) if rng.random() < 0.5 else b"\xef\xbb\xbf" + random_bytes(rng)
    return Case("bytes-check", ["check", "b.pol"], {"b.pol": data})


FACT_POLICIES = ["jnf-2020-16.pol", "jrs-2020-11.pol", "jzf-2020-06.pol", "jzbf-2020-14.pol"]
_FACTS: dict[str, list[Fact]] = {}


def facts_for(name: str) -> list[Fact]:
    if name not in _FACTS:
        _FACTS[name] = policy_facts(name)
    return _FACTS[name]


def facts_input_case(rng: random.Random, shipped_dir: Path) -> Case:
    name = rng.choice(FACT_POLICIES)
    made = facts_case(rng, facts_for(name))
    data = made.facts_json.encode("utf-8")
    roll = rng.random()
    if roll < 0.1:
        data, encoding = encode(rng, made.facts_json)
    form = rng.choice(["json", "text"])
    return Case("facts-eval", ["eval", str(shipped_dir / name), "--facts", "f.json", "--on", ON, "--format", form],
                {"f.json": data}, expect=frozenset({1} if made.bad else {0}))


def register_input_case(rng: random.Random, shipped_dir: Path, size: int = 140_000) -> Case:
    name = rng.choice(["jnf-2020-16.pol", "jrs-2020-11.pol"])
    made = register_case(rng, facts_for(name), size=size)
    case = Case("register-batch", ["eval", str(shipped_dir / name), "--batch", made.name, "--on", ON, "--out", "res.jsonl"],
                {made.name: made.data}, expect=frozenset({1} if made.must_fail else {0, 1}), outputs=("res.jsonl",),
                check_output="batch")
    case.note = json.dumps({"good_rows": made.good_rows, "bad_lines": made.bad_lines})
    return case


def outpath_case(rng: random.Random, shipped_dir: Path) -> Case:
    """--out where it cannot or must not be written: a directory, a missing parent, an
    unwritable directory, a full device, the register itself, a FIFO."""
    policy = str(shipped_dir / "jnf-2020-16.pol")
    register = b"\xe7\x94\xb3\xe8\xaf\xb7\xe4\xba\xba,\xe9\xaa\x8c\xe6\x94\xb6\xe8\xaf\x84\xe5\x88\x86\nA,90\nB,85\n"
    files = {"reg.csv": register, "old/res.jsonl": b'{"old": true}\n'}
    target = rng.choice(["dir", "missing", "unwritable", "full", "register", "batch-fails", "build-file",
                         "build-unwritable"])
    expect = frozenset({1, 2})
    outputs: tuple = ()
    if target == "dir":
        out = "old"
    elif target == "missing":
        out = "nowhere/deeper/res.jsonl"
    elif target == "unwritable":
        out = "/proc/self/polc-res.jsonl" if os.geteuid() == 0 else "ro/res.jsonl"
        files["ro/.keep"] = b""
    elif target == "full":
        out = "full"
        files["full"] = FULL
    elif target == "register":
        out = "reg.csv"
    elif target == "build-file":
        return Case("outpath-build", ["build", policy, "--out", "old/res.jsonl"], files, expect=expect)
    elif target == "build-unwritable":
        out = "/proc/self/polc-gen" if os.geteuid() == 0 else "ro/gen"
        files["ro/.keep"] = b""
        return Case("outpath-build", ["build", policy, "--out", out], files, expect=expect)
    else:  # a batch that fails must leave an existing --out as it was
        files["reg.csv"] = b"\xff\xfe\x00garbage"
        out = "old/res.jsonl"
    case = Case("outpath-batch", ["eval", policy, "--batch", "reg.csv", "--on", ON, "--out", out], files,
                expect=expect, outputs=outputs, note=target)
    if target == "unwritable" and os.geteuid() != 0:
        case.files = dict(files)
    return case


def path_case(rng: random.Random) -> Case:
    """Odd things named *.pol: a FIFO, /dev/zero, a symlink loop, a directory (subprocess:
    these may hang)."""
    kind = rng.choice(["fifo", "zero", "loop", "dangling", "dir"])
    files: dict = {}
    if kind == "fifo":
        files["p/x.pol"] = FIFO
    elif kind == "zero":
        files["p/x.pol"] = Symlink("/dev/zero")
    elif kind == "loop":
        files["p/a.pol"] = Symlink("b.pol")
        files["p/b.pol"] = Symlink("a.pol")
    elif kind == "dangling":
        files["p/x.pol"] = Symlink("missing.pol")
    else:
        files["p/d.pol/inner.txt"] = b"x"
    command = rng.choice([["check", "p"], ["check", "p/" + next(iter(files)).split("/")[1]], ["build", "p", "--out", "g"]])
    return Case("path-" + kind, command, files, expect=frozenset({1, 2}), isolate=True, note=kind, timeout=15)


KINDS = {"draft": 30, "mutation": 20, "bytes": 6, "encoding": 2, "facts": 30, "register": 8, "outpath": 2,
         "hostile": 0.3, "path": 0.3}


def any_case(rng: random.Random, shipped_dir: Path, weights: dict | None = None) -> Case:
    weights = weights or KINDS
    kind = rng.choices(list(weights), weights=list(weights.values()))[0]
    if kind == "draft":
        return draft_case(rng)
    if kind == "hostile":
        return draft_case(rng, hostile=True)
    if kind == "mutation":
        return mutation_case(rng)
    if kind == "bytes":
        return bytes_case(rng)
    if kind == "encoding":
        return encoding_case(rng)
    if kind == "facts":
        return facts_input_case(rng, shipped_dir)
    if kind == "register":
        return register_input_case(rng, shipped_dir, size=rng.choice([100, 140_000]))
    if kind == "outpath":
        return outpath_case(rng, shipped_dir)
    return path_case(rng)


def frozen_shipped() -> Path:
    """A private copy of the shipped policies, for commands that only read them."""
    directory = Path(tempfile.mkdtemp(prefix="polc-shipped-"))
    for path in POLICIES.glob("*.pol"):
        shutil.copy(path, directory / path.name)
    shutil.copytree(POLICIES / "sources", directory / "sources")  # the texts the policies name in 来源
    return directory


# ---------------------------------------------------------------- hypothesis strategies
def strategies(shipped_dir: Path):
    """The generators as hypothesis strategies (each draws a Random hypothesis controls,
    so a failing input is reproduced and shrunk by hypothesis's own database)."""
    from types import SimpleNamespace

    from hypothesis import strategies as st
    randoms = st.randoms(use_true_random=False)
    return SimpleNamespace(
        drafts=randoms.map(draft), hostile_drafts=randoms.map(lambda rng: draft(rng, hostile=True)),
        draft_cases=randoms.map(draft_case), mutation_cases=randoms.map(mutation_case),
        bytes_cases=randoms.map(bytes_case), encoding_cases=randoms.map(encoding_case),
        facts_cases=randoms.map(lambda rng: facts_input_case(rng, shipped_dir)),
        register_cases=randoms.map(lambda rng: register_input_case(rng, shipped_dir)),
        outpath_cases=randoms.map(lambda rng: outpath_case(rng, shipped_dir)),
        path_cases=randoms.map(path_case))


# ---------------------------------------------------------------- speed: reuse loads of the read-only policies
class LoadCache:
    """Memoises `driver.load` and `driver.load_module` for files under a directory nobody
    writes (the frozen shipped policies), so evaluating many facts files does not parse
    and check the same policy each time. Everything else loads as usual."""

    def __init__(self, frozen: Path):
        from compiler import driver
        self.driver = driver
        self.frozen = str(frozen)
        self.loads: dict = {}
        self.modules: dict = {}
        self.policy_ids: set = set()
        self.real_load, self.real_load_module = driver.load, driver.load_module

    def _load(self, paths, *args, **kwargs):
        paths_key = tuple(str(p) for p in paths)
        if paths_key and all(p.startswith(self.frozen) for p in paths_key):
            key = (paths_key, args, tuple(sorted(kwargs.items())))
            if key not in self.loads:
                project = self.real_load(paths, *args, **kwargs)
                self.loads[key] = project
                self.policy_ids.update(id(p) for p in getattr(project, "policies", []))
            return self.loads[key]
        return self.real_load(paths, *args, **kwargs)

    def _load_module(self, policy, *args, **kwargs):
        if id(policy) in self.policy_ids and not args and not kwargs:
            if id(policy) not in self.modules:
                self.modules[id(policy)] = self.real_load_module(policy)
            return self.modules[id(policy)]
        return self.real_load_module(policy, *args, **kwargs)

    def __enter__(self):
        from compiler import cli
        self.cli, self.real_build_parser = cli, getattr(cli, "build_parser", None)
        self.driver.load, self.driver.load_module = self._load, self._load_module
        if self.real_build_parser is not None:
            # argparse with gettext costs ~10 ms a call; one parser serves every call
            parser = self.real_build_parser()
            cli.build_parser = lambda: parser
        return self

    def __exit__(self, *exc):
        self.driver.load, self.driver.load_module = self.real_load, self.real_load_module
        if self.real_build_parser is not None:
            self.cli.build_parser = self.real_build_parser


def run_checked(case: Case, timeout: float = 20, inspect=None) -> Result:
    """run_case plus the batch-specific promises (rows not lost, bad rows by physical line)."""
    result = run_case(case, timeout, inspect)
    if case.kind == "register-batch" and result.rc in (0, 1) and case.note:
        expected = json.loads(case.note)
        text = result.stdout + result.stderr
        for line in expected["bad_lines"]:
            if not re.search(rf"(?<!\d){line}(?!\d)", text):
                result.problems.append(f"bad row at physical line {line} not reported")
        summary_rows = re.search(r"评估 (\d+) 行|(\d+) evaluated", result.stdout + result.stderr)
        if expected["good_rows"] is not None and summary_rows and result.rc == 0:
            evaluated = int(summary_rows.group(1) or summary_rows.group(2))
            if evaluated != expected["good_rows"]:
                result.problems.append(f"{evaluated} rows evaluated, expected {expected['good_rows']} good rows")
    return result
