"""The law beside the code: every policy that names its published text (来源 "…") is checked
against it.

- E111: each `原文` (and each `不编码` sentence) must be in the source, verbatim. Full-width
  ASCII forms read as half-width (as in .pol files, compiler/source.py), and spaces and line
  breaks do not count, because the gazette text was recovered from a two-column layout and a
  drafter re-wraps long sentences. An error, not a warning: the quote is what a reviewer reads
  as "the law says"; a quote that is not in the law is a false statement in every summary, and
  the fix is always to copy the sentence.
- W114: sentences of the source that pay or limit something (an amount, a rate, a quota, a
  奖励/补助/补贴… verb) and that no `原文` covers, one finding per sentence, naming what is
  left uncovered. A sentence deliberately left out is acknowledged in the header with
  `不编码 "…" 说明 "…"` (the reason is required), so the list stays the open questions only.
- W112/W113: the numbers of a clause agree with its `原文`: every amount, rate, threshold,
  count, duration and year in the quote is used by the encoding (W112), and the encoding uses
  none the quote lacks (W113). Numbers are compared as exact values of one kind (30亿元 and
  300000万元 are the same money; 三年 and 3年 the same duration). A `说明` of the clause that
  names the number (in any written form of the same value and kind) acknowledges a deliberate
  difference; for a number that comes from a definition, the definition's `说明` does too.
- W115: a text-only clause (仅文本) says why it encodes nothing, in a `说明`.

Reading the source file is the driver's business (`load_source`); the checks are pure
functions of the policy and the text.
"""

from __future__ import annotations

import difflib
import errno
import re
from decimal import Decimal
from pathlib import Path
from typing import Iterable

import attrs

from . import ast
from .diagnostics import Diagnostic, Message, error, warning
from .source import DecodeError, decode, normalise, read_bounded

# ---------------------------------------------------------------- the source text
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SENTENCE_END = set("。；;！!？?")


@attrs.frozen
class LawText:
    """A source text prepared for comparison: `flat` holds the significant characters
    (normalised, no spaces, no Markdown markup, no comments), `lines[i]` the source line
    of flat[i]."""

    shown_path: str
    flat: str
    lines: tuple[int, ...]
    sentences: tuple[tuple[int, int], ...]  # (start, end) offsets into flat
    headings: frozenset = frozenset()  # source lines that are Markdown headings (titles)
    shown: str = ""  # flat as the source writes it (full-width kept), for messages

    @classmethod
    def from_text(cls, shown_path: str, text: str) -> "LawText":
        raw = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text.replace("\r\n", "\n"))
        norm = normalise(raw)  # one character for one, so raw and norm stay aligned
        chars: list[str] = []
        shown: list[str] = []
        lines: list[int] = []
        sentences: list[tuple[int, int]] = []
        headings = set()
        for number, (line, raw_line) in enumerate(zip(norm.split("\n"), raw.split("\n")), start=1):
            heading = re.match(r"\s*#+\s*", line)
            if heading:
                headings.add(number)
            start, i = len(chars), heading.end() if heading else 0
            while i < len(line):
                ch = line[i]
                if line.startswith("**", i):  # Markdown bold
                    i += 2
                    continue
                if line.startswith("\\*", i):  # the escape of a multiplication sign
                    i += 1
                    continue
                i += 1
                if ch.isspace():
                    continue
                chars.append(ch)
                shown.append(raw_line[i - 1])
                lines.append(number)
                if ch in _SENTENCE_END:
                    sentences.append((start, len(chars)))
                    start = len(chars)
            if len(chars) > start:  # a paragraph or heading that ends without 。
                sentences.append((start, len(chars)))
        return cls(shown_path, "".join(chars), tuple(lines), tuple(sentences), frozenset(headings), "".join(shown))

    def line_of(self, offset: int) -> int:
        return self.lines[min(offset, len(self.lines) - 1)] if self.lines else 1

    def sentence_at(self, offset: int) -> tuple[int, int]:
        for start, end in self.sentences:
            if start <= offset < end:
                return start, end
        return (0, 0)


def flatten(quote: str) -> str:
    """A quote as compared with the source: normalised, without spaces."""
    return re.sub(r"\s+", "", normalise(quote))


def resolve_source(policy: ast.Policy, project_root: Path) -> tuple[Path | None, Diagnostic | None]:
    """The file a policy's 来源 names, relative to the policy file and inside project_root.

    The project root is the driver's: the nearest directory above the policy with polc.toml,
    pyproject.toml or .git. A path that leaves it (../.., an absolute path, a symbolic link out) is refused
    without reading it, and no message ever shows another file's content."""
    document = policy.source_document
    wanted = document.path
    candidate = (Path(policy.path).parent / wanted).resolve()
    try:
        candidate.relative_to(project_root.resolve())
    except ValueError:
        return None, error("E110", document.span, f"来源「{wanted}」在项目目录之外，不予读取",
                           f"the source {wanted!r} is outside the project directory and is not read",
                           suggestion=Message("把原文文件放进项目（如 policies/sources/），并写相对于政策文件的路径",
                                              "put the text in the project (e.g. policies/sources/) and write a path "
                                              "relative to the policy file"))
    if not candidate.is_file():
        return None, error("E110", document.span, f"找不到来源文件「{wanted}」", f"the source file {wanted!r} was not found",
                           suggestion=Message("路径相对于政策文件所在目录，如 来源 \"sources/jzf-2020-06.md\"",
                                              "the path is relative to the policy file, e.g. 来源 \"sources/jzf-2020-06.md\""))
    return candidate, None


# A gazette document is tens of kilobytes; a larger file is not a source text (and reading it
# whole would let a mistyped path stall every check).
MAX_SOURCE_BYTES = 2_000_000


def read_source(policy: ast.Policy, path: Path, shown_path: str) -> tuple[LawText | None, Diagnostic | None]:
    """The text of a source file: a regular file of at most MAX_SOURCE_BYTES, UTF-8. No message
    quotes the file (an exception text may hold its bytes)."""
    wanted = policy.source_document.path
    try:
        data = read_bounded(str(path), MAX_SOURCE_BYTES)
    except OSError as problem:
        if problem.errno == errno.EFBIG:
            return None, error("E110", policy.source_document.span,
                               f"来源文件「{wanted}」超过 {MAX_SOURCE_BYTES // 1_000_000} MB，不是一份原文",
                               f"the source file {wanted!r} is larger than {MAX_SOURCE_BYTES // 1_000_000} MB "
                               "and is not a source text")
        return None, error("E110", policy.source_document.span, f"来源「{wanted}」不是可读的普通文件",
                           f"the source {wanted!r} is not a readable regular file")
    try:
        # The same encodings as every other input (BOM, UTF-8, GB18030); the message names the
        # encodings tried, never the bytes.
        text = decode(data, shown_path)
    except DecodeError as problem:
        return None, error("E110", policy.source_document.span,
                           f"来源文件「{wanted}」无法按 {'、'.join(problem.tried)} 读取",
                           f"the source file {wanted!r} cannot be read as {' or '.join(problem.tried)}")
    return LawText.from_text(shown_path, text), None


# ---------------------------------------------------------------- quotes
def _find(flat_quote: str, law: LawText) -> tuple[int, int] | None:
    """Where the quote is in the source; an ellipsis (…… or …) stands for omitted text."""
    pieces = [p for p in re.split(r"…+|\.{3,}", flat_quote) if p]
    if not pieces:
        return None
    position, first = 0, None
    for piece in pieces:
        found = law.flat.find(piece, position)
        if found < 0:
            return None
        first = found if first is None else first
        position = found + len(piece)
    return first, position


def _closest(flat_quote: str, law: LawText) -> tuple[int, int] | None:
    """The source sentence most like the quote: where its longest matching prefix ends, or else
    the sentence with the highest similarity."""
    low, high = 0, len(flat_quote)
    while low < high:  # the longest prefix of the quote that the source contains
        middle = (low + high + 1) // 2
        if flat_quote[:middle] in law.flat:
            low = middle
        else:
            high = middle - 1
    if low >= 6:
        return law.sentence_at(law.flat.find(flat_quote[:low]) + low - 1)
    best, best_ratio = None, 0.3
    for start, end in law.sentences:
        ratio = difflib.SequenceMatcher(None, flat_quote, law.flat[start:end], autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = (start, end), ratio
    return best


def _quote_not_in_source(span, what_zh: str, what_en: str, quote: str, law: LawText) -> Diagnostic:
    flat_quote = flatten(quote)
    as_written = re.sub(r"\s+", "", quote)  # aligned with flat_quote, full-width kept
    closest = _closest(flat_quote, law)
    suggestion = None
    if closest is not None:
        sentence = law.shown[closest[0]:closest[1]]
        line = law.line_of(closest[0])
        suggestion = Message(f"来源第{line}行最接近的句子：「{sentence}」", f"the closest sentence of the source (line {line}): {sentence}")
    prefix = 0
    while prefix < len(flat_quote) and flat_quote[:prefix + 1] in law.flat:
        prefix += 1
    notes = ()
    if 0 < prefix < len(flat_quote):
        differs = as_written[prefix:prefix + 12]
        notes = (Message(f"前{prefix}个字与来源一致，自「{differs}」起不同", f"the first {prefix} characters match; it differs from {differs!r} on"),)
    return error("E111", span, f"{what_zh}不在来源「{law.shown_path}」中（逐字比对，不计空格与换行）",
                 f"{what_en} is not in the source {law.shown_path!r} (compared verbatim, spaces and line breaks aside)",
                 suggestion=suggestion, notes=notes)


def check_quotes(policy: ast.Policy, law: LawText) -> tuple[list[Diagnostic], list[tuple[int, int]]]:
    """E111 for every 原文 or 不编码 sentence not in the source; the covered ranges of the rest."""
    found: list[Diagnostic] = []
    covered: list[tuple[int, int]] = []
    for clause in policy.clauses:
        if clause.source_text is None:
            continue
        flat_quote = flatten(clause.source_text)
        where = _find(flat_quote, law)
        if where is None:
            found.append(_quote_not_in_source(clause.source_span or clause.span, f"{clause.label} 的原文",
                                              f"the 原文 of {clause.label}", clause.source_text, law))
        else:
            covered.append(where)
    for sentence in policy.not_encoded:
        flat_quote = flatten(sentence.text)
        where = _find(flat_quote, law)
        if where is None:
            found.append(_quote_not_in_source(sentence.span, "「不编码」的句子", "the 不编码 sentence", sentence.text, law))
        else:
            covered.append(where)
    return found, covered


# ---------------------------------------------------------------- sentences that pay or limit
_PAYING = re.compile(
    r"[0-9]+(?:\.[0-9]+)?(?:[-~～至到][0-9]+(?:\.[0-9]+)?)?(?:万亿|亿|万|千)?(?:美元|元)"  # amounts
    r"|[0-9]+(?:\.[0-9]+)?%"                                                           # rates
    r"|[0-9]+个月"                                                                       # months paid
    r"|名额[^，。；,;]{0,12}?[0-9]+(?:家|人|个|名|项)|(?:不超过|不多于)[0-9]+(?:家|人|个|名|项)"  # quotas
    r"|(?:给予|予以|给)[^，。；,;]{0,20}?(?:奖励|补助|补贴|资助|奖补|激励|贴息|支持|返还)")   # paying verbs


def paying_items(text: str) -> list[tuple[int, int]]:
    """Where a flat sentence pays or limits something: amounts, rates, quotas, and a paying
    verb with its object (给予…奖励, 予以支持). A bare 奖励 or 返还 (in a title, a heading, a
    procedure) pays nothing by itself."""
    return [match.span() for match in _PAYING.finditer(text)]


def check_unquoted(policy: ast.Policy, law: LawText, covered: list[tuple[int, int]]) -> list[Diagnostic]:
    """W114, one per sentence whose amounts, rates or paying words no 原文 covers."""
    def is_covered(start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in covered)

    found = []
    for start, end in law.sentences:
        if law.line_of(start) in law.headings:
            continue
        sentence = law.flat[start:end]
        left = [law.shown[start + a:start + b] for a, b in paying_items(sentence) if not is_covered(start + a, start + b)]
        if not left:
            continue
        line = law.line_of(start)
        sentence = law.shown[start:end]
        shown = sentence if len(sentence) <= 80 else sentence[:78] + "……"
        items = "、".join(dict.fromkeys(left))
        found.append(warning(
            "W114", policy.source_document.span,
            f"来源第{line}行的句子涉及给付或限额（{items}），但没有条款的原文引用它：「{shown}」",
            f"the sentence on line {line} of the source pays or limits something ({items}) but no clause quotes it: {shown}",
            suggestion=Message("编码它（条款的「原文」引用这句），或在政策头部写 不编码 \"（这句原文）\" 说明 \"为什么不编码\"",
                               "encode it (a clause whose 原文 quotes it), or acknowledge it in the header: "
                               "不编码 \"<the sentence>\" 说明 \"<why>\"")))
    return found


# ---------------------------------------------------------------- numbers
@attrs.frozen
class Quantity:
    """A number as the law means it: kind (money in 元, usd, percent, year, years, months,
    once, count) and an exact value."""

    kind: str
    value: Decimal
    text: str

    @property
    def key(self) -> tuple[str, Decimal]:
        return (self.kind, self.value.normalize())


_UNIT = {"万亿": Decimal("1000000000000"), "亿": Decimal("100000000"), "万": Decimal("10000"), "千": Decimal("1000"), "": Decimal(1)}
_CN_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUM = r"[0-9]+(?:\.[0-9]+)?"
_TEXT_NUMBERS = re.compile(
    # Not quantities: document numbers, dates and months, ordinals and references (第2项, 附件4),
    # names (5A级, 500强, “555”).
    rf"(?P<skip>〔[0-9]{{4}}〕[0-9]+号|[0-9]{{4}}年[0-9]{{1,2}}月(?:[0-9]{{1,2}}日)?|[0-9]{{1,2}}月(?:[0-9]{{1,2}}日)?"
    rf"|第{_NUM}|附件{_NUM}|{_NUM}(?=[A-Za-z强])|“[0-9]+”)"
    rf"|(?P<span_years>[0-9]{{4}})[-~～至到](?P<span_years_end>[0-9]{{4}})年"
    rf"|(?P<money_low>{_NUM})[-~～至到](?P<money_high>{_NUM})(?P<money_range_unit>万亿|亿|万|千)?(?P<money_range_cur>美元|元)"
    rf"|(?P<money>{_NUM})(?P<money_unit>万亿|亿|万|千)?(?P<currency>美元|元)"
    rf"|(?P<percent>{_NUM})%"
    rf"|(?P<year>[0-9]{{4}})年"
    rf"|(?P<months>[0-9]+|[一二两三四五六七八九十]+)个月"
    rf"|(?P<years>[0-9]{{1,2}}|[一二两三四五六七八九十]+)个?年(?!度)"
    rf"|(?P<once>一次性)"
    rf"|(?P<count>{_NUM})(?:家|人|个|名|位|项|次|倍|天|条|批)?")


def _cn(text: str) -> int:
    if text.isdigit():
        return int(text)
    if len(text) == 1:
        return _CN_DIGIT[text]
    tens, _, ones = text.partition("十")
    return _CN_DIGIT.get(tens, 1) * 10 + (_CN_DIGIT.get(ones, 0) if ones else 0)


def numbers_in_text(text: str) -> list[Quantity]:
    """Every amount, rate, count, duration and year of a sentence, as exact values."""
    found = []
    for m in _TEXT_NUMBERS.finditer(flatten(text)):
        g = m.groupdict()
        if g["skip"]:
            continue
        if g["span_years"]:
            found += [Quantity("year", Decimal(g["span_years"]), g["span_years"] + "年"),
                      Quantity("year", Decimal(g["span_years_end"]), g["span_years_end"] + "年")]
        elif g["money_low"]:
            unit, currency = g["money_range_unit"] or "", g["money_range_cur"]
            kind = "usd" if currency == "美元" else "money"
            for part in (g["money_low"], g["money_high"]):
                found.append(Quantity(kind, Decimal(part) * _UNIT[unit], f"{part}{unit}{currency}"))
        elif g["money"]:
            unit = g["money_unit"] or ""
            kind = "usd" if g["currency"] == "美元" else "money"
            found.append(Quantity(kind, Decimal(g["money"]) * _UNIT[unit], m.group(0)))
        elif g["percent"]:
            found.append(Quantity("percent", Decimal(g["percent"]), m.group(0)))
        elif g["year"]:
            found.append(Quantity("year", Decimal(g["year"]), m.group(0)))
        elif g["months"]:
            found.append(Quantity("months", Decimal(_cn(g["months"])), m.group(0)))
        elif g["years"]:
            found.append(Quantity("years", Decimal(_cn(g["years"])), m.group(0)))
        elif g["once"]:
            found.append(Quantity("once", Decimal(1), m.group(0)))
        elif g["count"]:
            found.append(Quantity("count", Decimal(g["count"]), m.group(0)))
    return found


def _literal(node) -> Quantity | None:
    if isinstance(node, (ast.Money, ast.UnitPrice)):
        return Quantity("money", node.value, node.text)
    if isinstance(node, ast.Percent):
        return Quantity("percent", node.value * 100, node.text)
    if isinstance(node, ast.Number):
        return Quantity("count", node.value, node.text)
    if isinstance(node, ast.YearValue):
        return Quantity("year", Decimal(node.value), f"{node.value}年")
    return None


@attrs.frozen
class Encoded:
    quantity: Quantity
    span: object
    via: str | None = None  # the definition it comes from, if any


def numbers_in_encoding(clause: ast.Clause, definitions: dict[str, ast.DefDecl]) -> list[Encoded]:
    """The numbers a clause's encoding uses: conditions, award, cap, duration, quota, modifier,
    一次性, and the definitions they read (followed once each)."""
    found: list[Encoded] = []
    seen_defs: set[str] = set()
    # issue 13: 自 F 起 第4年 is an ordinal of the text (not a quantity), read as 考核年度 等于 F + 3:
    # the 3 is the compiler's, not the drafter's.
    ordinal = {id(inner) for condition in clause.conditions for node in ast.walk(condition)
               if isinstance(node, (ast.Compare, ast.And)) and node.run_year is not None for inner in ast.walk(node)}

    def collect(root, via):
        for node in ast.walk(root):
            if id(node) in ordinal:
                continue
            if isinstance(node, ast.RunYearRow) and node.text[0] in "前后":  # 前三年, 后两年: years of the run
                found.append(Encoded(Quantity("years", Decimal(node.last - node.first + 1), node.text[1:]), node.span, via))
            if isinstance(node, ast.Ref) and node.name.text in definitions and node.name.text not in seen_defs:
                seen_defs.add(node.name.text)
                collect(definitions[node.name.text].expr, node.name.text)
            elif isinstance(node, ast.RunOfYears):
                found.append(Encoded(Quantity("years", Decimal(node.years), node.years_text), node.span, via))
            elif isinstance(node, ast.Duration):
                found.append(Encoded(Quantity("years", Decimal(node.years), node.years_text), node.span, via))
            elif isinstance(node, ast.Quota):
                if node.per_year is not None:
                    found.append(Encoded(Quantity("count", Decimal(node.per_year), str(node.per_year)), node.span, via))
                if node.threshold is not None:
                    found.append(Encoded(Quantity("count", Decimal(node.threshold), str(node.threshold)), node.span, via))
            elif isinstance(node, ast.Modifier):
                found.append(Encoded(Quantity("count", node.factor, node.text), node.span, via))
            else:
                literal = _literal(node)
                if literal is not None and literal.value != 0:
                    found.append(Encoded(literal, node.span, via))

    collect(tuple(clause.conditions), None)
    collect((clause.award, clause.duration, clause.quota, clause.modifier), None)
    if clause.once:
        found.append(Encoded(Quantity("once", Decimal(1), "一次性"), clause.span))
    return found


_KIND_WORDS = {"money": ("金额", "amount"), "usd": ("美元金额", "US-dollar amount"), "percent": ("比例", "rate"),
               "year": ("年份", "year"), "years": ("年限", "duration"), "months": ("月数", "number of months"),
               "once": ("一次性", "one-off"), "count": ("数值", "number")}


def check_numbers(policy: ast.Policy) -> list[Diagnostic]:
    """W112/W113: a clause's 原文 and its encoding use the same numbers, or a 说明 says why not."""
    definitions = {d.name.text: d for d in policy.defs}
    if policy.vocabulary is not None:
        definitions = {**{d.name.text: d for d in policy.vocabulary.defs}, **definitions}
    found = []
    for clause in policy.clauses:
        if clause.text_only or clause.source_text is None:
            continue
        acknowledged = {q.key for note in clause.notes for q in numbers_in_text(note)}
        in_text = {q.key: q for q in numbers_in_text(clause.source_text)}
        encoded = numbers_in_encoding(clause, definitions)
        used = {e.quantity.key for e in encoded}
        where_text = clause.source_span or clause.span
        for key, quantity in in_text.items():
            if key in used or key in acknowledged:
                continue
            zh_kind, en_kind = _KIND_WORDS[quantity.kind]
            found.append(warning(
                "W112", where_text,
                f"{clause.label} 原文中的{zh_kind}「{quantity.text}」没有用在编码中（第{clause.span.line if clause.span else '?'}行起的条件、奖励、期限、名额都没有它）",
                f"the {en_kind} {quantity.text!r} in the 原文 of {clause.label} is not used by its encoding "
                f"(conditions, award, duration and quota from line {clause.span.line if clause.span else '?'})",
                suggestion=Message(f"编码它；若是有意不同，在本条的「说明」中写明「{quantity.text}」的读法",
                                   f"encode it; if the difference is deliberate, say how {quantity.text!r} is read in "
                                   "a 说明 of the clause that names it")))
        reported: set = set()
        for item in encoded:
            key = item.quantity.key
            if key in in_text or key in acknowledged or key in reported:
                continue
            if item.via is not None:
                note = definitions[item.via].note
                if note and key in {q.key for q in numbers_in_text(note)}:
                    continue
            reported.add(key)
            zh_kind, en_kind = _KIND_WORDS[item.quantity.kind]
            via_zh = f"（来自定义「{item.via}」）" if item.via else ""
            via_en = f" (from the definition {item.via!r})" if item.via else ""
            line = where_text.line if where_text else "?"
            found.append(warning(
                "W113", item.span or clause.span,
                f"{clause.label} 的编码用了{zh_kind}「{item.quantity.text}」{via_zh}，但原文（第{line}行）没有这个数",
                f"the encoding of {clause.label} uses the {en_kind} {item.quantity.text!r}{via_en}, which its 原文 "
                f"(line {line}) does not contain",
                suggestion=Message(f"改用原文中的数；若是有意不同（换算、读法），在本条的「说明」中写明「{item.quantity.text}」从何而来",
                                   f"use the number of the 原文; if the difference is deliberate (a conversion, a reading), "
                                   f"say where {item.quantity.text!r} comes from in a 说明 of the clause")))
    return found


# ---------------------------------------------------------------- text-only clauses
def check_text_only_reasons(policy: ast.Policy) -> list[Diagnostic]:
    """W115: a 仅文本 clause says, in a 说明, why it pays nothing."""
    return [warning("W115", clause.span, f"{clause.label} 是仅文本条款，但没有「说明」为什么不给付、不编码",
                    f"{clause.label} is text-only but has no 说明 saying why it pays nothing",
                    suggestion=Message("加一句 说明 \"…\"，如「规定工作要求，不给付资金」",
                                       "add a 说明 \"…\", e.g. 规定工作要求，不给付资金 (sets duties, pays nothing)"))
            for clause in policy.clauses if clause.text_only and not clause.notes and clause.award is None]


# ---------------------------------------------------------------- all together
def check_against_source(policy: ast.Policy, law: LawText) -> list[Diagnostic]:
    """Every source check for one policy and its text (pure: no file is read here)."""
    found, covered = check_quotes(policy, law)
    found += check_unquoted(policy, law, covered)
    return found


def check_policy(policy: ast.Policy, law: LawText | None) -> list[Diagnostic]:
    """W115 for every policy; the source checks (E111, W112, W113, W114) for a policy that names
    its text with 来源 — naming the source is how a draft says it is ready to be held to it."""
    found = check_text_only_reasons(policy)
    if policy.source_document is not None:
        found += check_numbers(policy)
    if law is not None:
        found += check_against_source(policy, law)
    return found


def load_and_check(policy: ast.Policy, shown, project_root: Path) -> list[Diagnostic]:
    """The driver's entry: read the policy's 来源 (if any) and run every check of this module.
    `shown` turns a path into the form diagnostics show (relative to the working directory);
    project_root is the directory the source must stay inside (the driver's project root)."""
    if policy.source_document is None:
        return check_policy(policy, None)
    path, problem = resolve_source(policy, project_root)
    if problem is not None:
        return check_policy(policy, None) + [problem]
    law, problem = read_source(policy, path, shown(str(path)))
    return check_policy(policy, law) + ([problem] if problem else [])


def counts(diagnostics: Iterable[Diagnostic]) -> dict[str, int]:
    """How many findings of each source check (for `polc check` summaries and reports)."""
    result = {code: 0 for code in ("E111", "W112", "W113", "W114", "W115")}
    for d in diagnostics:
        if d.code in result:
            result[d.code] += 1
    return result
