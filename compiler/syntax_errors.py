"""Syntax errors in the drafter's words: every error of a file, each with a checked fix.

Called by compiler.parser only when Lark's ordinary parse of a file fails. Three steps:

1. **Lexing with repair.** The text is lexed whole, before parsing, so a stray character
   is reported where it is (a zero-width space inside 给予 is named, with its code point,
   not reported as "unexpected 给"). Each repaired character is edited out of a scratch
   copy of the text (an offset map keeps every position pointing into the original).
2. **Parsing with recovery.** Tokens are fed to Lark's interactive LALR parser. At an
   error, the rest of that line is dropped and parsing resumes at the next line that starts
   with a header, declaration, clause or example keyword, from the parser state at the
   start of the broken line (or a line before it) that accepts that keyword. So a file
   with three independent mistakes gives three errors, not one and not a cascade.
3. **Words and fixes.** Each error is classified by recognisers for the mistakes drafters
   make when they copy the text's own phrasing (5000万 without 元, 有效期至, 分别…、…, a
   keyword at the wrong level, …), and otherwise described by what could come next, in
   groups a drafter knows ("a value", "a comparison word", "the next field of the
   clause"), never as a list of parser tokens and never as "end of file" where the file
   goes on. A recogniser proposes its fix as edits to the text; the fix is offered only if
   the edited text parses over the lines it touches (checked by parsing it again).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

import attrs
from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from . import ast
from .diagnostics import Diagnostic, Message, error
from .source import SourceFile, normalise, span_of_offsets

MAX_ERRORS = 50  # per file: past this a file is not a draft with mistakes but something else
# Checking a fix re-reads the whole fixed file, relexing it once per repaired character, so a file
# full of errors took errors × errors × size work (a 48 KB draft with 46 stray characters: 40 s).
# Fixes are checked, in file order, while this budget of characters re-read lasts; later problems
# get their general advice. Ordinary drafts (a few KB, a few errors) stay far inside it.
FIX_CHECK_BUDGET = 2_000_000

_HEADER_WORDS = ("标题", "发布机关", "发布日期", "施行日期", "失效日期", "废止", "适用范围", "冲突原则", "配套",
                 "过渡", "分担", "引用", "预算", "考核年度", "企业上限")
_ITEM_WORDS = ("条款", "事实", "枚举", "定义", "定义事项")
_CLAUSE_WORDS = ("原文", "对象", "责任单位", "事项", "当", "给予", "期限", "一次性", "不设上限", "名额", "系数",
                 "说明", "仅文本", "案例")
_CASE_WORDS = ("已知", "评估日", "预期")
_SYNC_WORDS = frozenset(("政策", "词汇", *_HEADER_WORDS, *_ITEM_WORDS, *_CLAUSE_WORDS, *_CASE_WORDS))
_COMPARISONS = frozenset(("超过", "高于", "大于", "不低于", "不少于", "达到", "不超过", "不高于", "低于", "少于", "不足",
                          "等于", "首次超过", "首次达到", "首次不低于", "均超过", "均高于", "均不低于", "均达到",
                          "均不超过", "均低于", ">", ">=", "<", "<=", "≥", "≤", "属于", "不属于", "BOUND"))
_VALUE_TERMINALS = frozenset(("MONEY", "NUMBER", "PERCENT", "UNIT_PRICE", "YEARS"))

# Characters a drafter cannot see; copied from web pages and word processors.
_VISIBLE_SPACE = {" ", "\t", "\n", "\r"}


# ---------------------------------------------------------------- the scratch text
@attrs.frozen
class Edit:
    """Replace original text[start:end] by text."""

    start: int
    end: int
    text: str


def apply_edits(text: str, edits: tuple[Edit, ...] | list[Edit]) -> str:
    out, at = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(text[at:edit.start])
        out.append(edit.text)
        at = edit.end
    out.append(text[at:])
    return "".join(out)


def _shifted(offset: int, edits) -> int:
    """Where an original offset lands after the edits (offsets inside an edit go to its end)."""
    delta = 0
    for edit in edits:
        if edit.end <= offset:
            delta += len(edit.text) - (edit.end - edit.start)
        elif edit.start < offset:
            return edit.start + len(edit.text) + delta
    return offset + delta


class _Scratch:
    """The normalised text with repairs applied, and a map back to original offsets."""

    def __init__(self, normalised: str):
        self.original = normalised
        self.repairs: list[Edit] = []
        self.text = normalised
        self.origin = list(range(len(normalised) + 1))

    def repair(self, edit: Edit) -> None:
        # A later repair of the same span replaces the earlier one (a Chinese quotation mark made
        # '"' that still cannot be lexed becomes a space), so every repair changes the text.
        self.repairs = [r for r in self.repairs if (r.start, r.end) != (edit.start, edit.end)]
        self.repairs.append(edit)
        self.text = apply_edits(self.original, self.repairs)
        origin, at = [], 0
        for e in sorted(self.repairs, key=lambda e: e.start):
            origin.extend(range(at, e.start))
            origin.extend([e.start] * len(e.text))
            at = e.end
        origin.extend(range(at, len(self.original) + 1))
        self.origin = origin

    def to_original(self, offset: int) -> int:
        return self.origin[min(offset, len(self.origin) - 1)]


# ---------------------------------------------------------------- a problem before its fix is checked
@attrs.frozen
class _Found:
    start: int                    # original offsets of the span to mark
    end: int
    zh: str
    en: str
    code: str = "E001"
    expected: Message | None = None
    notes: tuple[Message, ...] = ()
    fix: tuple[Edit, ...] = ()    # proposed; offered only if it parses
    fix_zh: str = ""              # how to say the fix, before the fixed line is shown
    fix_en: str = ""
    fix_shown: str | None = None  # the fixed text to show, when not simply the edited lines
    advice: Message | None = None  # general advice, shown when there is no checked fix
    # The mistake spans characters the lexer refused too (the 1. of 条款 二、1.): one problem, not two.
    covers_characters: bool = False


@attrs.frozen
class _Result:
    found: list[_Found]
    skipped: list[tuple[int, int]]  # original ranges dropped by recovery, to check fixes against


# ---------------------------------------------------------------- terminals in words
@attrs.frozen
class _Grammar:
    lark: object
    keywords: frozenset[str]
    literal_of: dict  # terminal name -> its literal text, for string terminals
    name_of: dict     # literal text -> terminal name


def _grammar() -> _Grammar:
    from .grammar_tables import _lark, keywords
    lark = _lark()
    literal_of = {t.name: t.pattern.value for t in lark.terminals if t.pattern.type == "str"}
    return _Grammar(lark, keywords(), literal_of, {v: k for k, v in literal_of.items()})


_WORDS = {
    "NAME": ("名称", "a name"),
    "QUOTED_NAME": ("「」括起的名称", "a quoted name 「…」"),
    "MONEY": ("金额（如 30万元）", "an amount (e.g. 30万元)"),
    "UNIT_PRICE": ("单价（如 150元/平方米）", "a price per unit (e.g. 150元/平方米)"),
    "PERCENT": ("百分比（如 5%）", "a percentage (e.g. 5%)"),
    "NUMBER": ("数字", "a number"),
    "YEARS": ("年数或年份（如 3年、2020年）", "years or a year (e.g. 3年, 2020年)"),
    "DATE": ("日期（如 2020年1月1日）", "a date (e.g. 2020年1月1日)"),
    "STRING": ("带引号的文字 \"…\"", "quoted text \"…\""),
    "DOCNO": ("文号（如 嘉政发〔2020〕6号）", "a document number (e.g. 嘉政发〔2020〕6号)"),
    "ARTICLE": ("条号（如 第七条）", "an article number (e.g. 第七条)"),
    "ITEM": ("项号（如 第1项）", "an item number (e.g. 第1项)"),
    "ARROW": ("→", "→"),
    "BOUND": ("带「以上/以下」的门槛（如 5000万元以上）", "a threshold with 以上/以下 (e.g. 5000万元以上)"),
    # issue 13: the years of a run
    "RUN_SPAN": ("年次段（如 前三年、后两年）", "years of a run (e.g. 前三年, 后两年)"),
    "RUN_YEAR": ("第几年（如 第4年、第4至5年）", "a year of a run (e.g. 第4年, 第4至5年)"),
}


# Issue 13: the verbs of a non-money outcome (给予 免收 "…"), told with the values they stand beside.
_OUTCOME_VERBS = ("免收", "优先保障", "列入", "授予")


def describe_expected(accepted: set[str], grammar: _Grammar) -> Message | None:
    """What could come next, summarised by what the drafter could mean. None if nothing to say.

    A parser's expected set can hold thirty terminals; a drafter needs to know that a value,
    a comparison word or the next field of the clause was wanted. "End of file" is never
    said: where the file could end, a new declaration could also start, and that is the
    useful thing to say.
    """
    words = {grammar.literal_of.get(t, t) for t in accepted}
    groups: list[tuple[str, str]] = []
    covered: set[str] = {"$END"}

    def group(members, zh, en):
        groups.append((zh, en))
        covered.update(members)

    values = words & (_VALUE_TERMINALS | {"NAME", "QUOTED_NAME"})
    if "不适用" in words:
        group(words & (_VALUE_TERMINALS | {"NAME", "QUOTED_NAME", "DATE", "-", "是", "否", "一事一议", "金额未定", "不适用",
                                            "无法判定", "由", "适用", "最高", "最高不超过", "不低于", *_OUTCOME_VERBS}),
              "预期的结果（金额如 20万元、最高 X、X 至 Y、不适用、无法判定、一事一议…）",
              "the expected result (an amount such as 20万元, 最高 X, X 至 Y, 不适用, 无法判定, 一事一议, …)")
    elif "MONEY" in words and "NAME" in words:
        group(words & (_VALUE_TERMINALS | {"NAME", "QUOTED_NAME", "(", "-", "上年", "取整", "考核年度", "是", "否",
                                            "非", "连续", "近", "DATE", *_OUTCOME_VERBS}),
              "一个值（金额如 30万元、百分比如 5%、数字，或事实名称）",
              "a value (an amount such as 30万元, a percentage such as 5%, a number, or a fact's name)")
    elif values == {"NAME", "QUOTED_NAME"} or values == {"NAME"}:
        group(values, "名称", "a name")
    if "超过" in words:
        group(words & _COMPARISONS,
              "比较词（超过、不低于、达到、不超过、低于，或 5000万元以上）",
              "a comparison word (超过, 不低于, 达到, 不超过, 低于, or 5000万元以上)")
    if "+" in words:
        group(words & {"+", "-", "×", "*", "÷", "/", "增速"}, "运算符（+ - × ÷）", "an operator (+ - × ÷)")
    if "且" in words:
        group(words & {"且", "或"}, "且、或", "且 or 或")
    if "最高" in words and "至" in words:
        group(words & {"最高", "最高不超过", "至"}, "「最高」或「至」", "最高 or 至")
    if "预期" in words:
        group(words & set(_CASE_WORDS), "案例的下一部分（已知、评估日、预期）", "the next part of the example (已知, 评估日, 预期)")
    if "给予" in words:
        group(words & set(_CLAUSE_WORDS), "条款的下一项（原文、当、给予、案例…）", "the clause's next field (原文, 当, 给予, 案例, …)")
    if "标题" in words:
        group(words & set(_HEADER_WORDS) | {"说明"}, "政策头部的一项（标题、施行日期…）", "a header field (标题, 施行日期, …)")
    if "条款" in words or "事实" in words:
        group(words & set(_ITEM_WORDS), "新的声明或条款（事实、枚举、定义、条款…）",
              "a new declaration or clause (事实, 枚举, 定义, 条款, …)")
    rest = sorted(accepted - {t for t in accepted if grammar.literal_of.get(t, t) in covered} - covered,
                  key=lambda t: (t not in _WORDS, t))
    for terminal in rest[:6]:
        zh, en = _WORDS.get(terminal, (f"「{grammar.literal_of.get(terminal, terminal)}」",) * 2)
        groups.append((zh, en))
    if len(rest) > 6:
        groups.append(("…", "…"))
    if not groups:
        return None
    return Message("、".join(zh for zh, _ in groups), "; ".join(en for _, en in groups))


# ---------------------------------------------------------------- step 1: lexing with repair
_DATE_WRITTEN_OTHERWISE = re.compile(r"(?<![0-9])([0-9]{4})[./]([0-9]{1,2})[./]([0-9]{1,2})(?![0-9])")


def _invisible(ch: str) -> bool:
    if ch in _VISIBLE_SPACE:
        return False
    category = unicodedata.category(ch)
    return category in ("Cf", "Cc", "Zs", "Zl", "Zp", "Co", "Cn")


def _invisible_replacement(ch: str) -> str:
    """A space that is not the ordinary space becomes one; anything else invisible goes."""
    return " " if unicodedata.category(ch) in ("Zs", "Zl", "Zp") or ch in "\x0b\x0c" else ""


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED')}"


def _lex(text: str, scratch: _Scratch, grammar: _Grammar) -> tuple[list[Token] | None, list[_Found]]:
    """Lex the whole text, repairing what the lexer cannot read; a problem for each repair."""
    found: list[_Found] = []
    attempts = 0
    while len(found) < MAX_ERRORS and attempts < 3 * MAX_ERRORS:  # each character is repaired at most twice
        attempts += 1
        try:
            return list(grammar.lark.lex(scratch.text)), found
        except UnexpectedCharacters as exc:
            position = exc.pos_in_stream
            start = scratch.to_original(position)
            repaired = _date_around(text, start) or _document_number_around(text, start)
            if repaired is not None:
                found.append(repaired)
                scratch.repair(repaired.fix[0])
                continue
            problem = _unreadable_character(text, start)
            if all(f.start != start for f in found):  # one problem per character, however often repaired
                found.append(problem)
            ch = scratch.text[position]
            if ch in "“”‘’":
                # Both quotation marks of the pair become '"' (the checked fix), so the text between
                # them lexes as one string; a lone one becomes '"', and a space if that still fails.
                for edit in problem.fix or (Edit(start, start + 1, '"'),):
                    scratch.repair(edit)
            elif _invisible(ch):
                scratch.repair(Edit(start, start + 1, _invisible_replacement(ch)))
            else:
                scratch.repair(Edit(start, start + 1, " "))
    return None, found  # too many repairs: the problems found so far are all that is reported


def _date_found(text: str, match) -> _Found:
    year, month, day = match.groups()
    fixed = f"{year}年{int(month)}月{int(day)}日"
    return _Found(match.start(), match.end(), f"日期「{match.group()}」的写法无法识别",
                  f"the date {match.group()!r} is not written in a form polc reads",
                  fix=(Edit(match.start(), match.end(), fixed),), fix_zh="写作", fix_en="write",
                  advice=Message("日期写作 2020年1月1日 或 2020-01-01", "write dates as 2020年1月1日 or 2020-01-01"))


def _date_around(text: str, offset: int) -> _Found | None:
    """2020.1.1 or 2020/1/1 covering an offset of the text, as a problem with its fix."""
    line_start = _line_start(text, offset)
    for match in _DATE_WRITTEN_OTHERWISE.finditer(text, line_start, _line_end(text, offset)):
        if match.start() <= offset < match.end():
            return _date_found(text, match)
    return None


def _unreadable_character(text: str, start: int) -> _Found:
    ch = text[start]
    if _invisible(ch):
        name = _char_name(ch)
        replacement = _invisible_replacement(ch)
        fix_zh, fix_en = ("换成普通空格", "replace it by an ordinary space") if replacement else (
            "删除这个不可见字符", "delete the invisible character")
        return _Found(start, start + 1, f"不可见字符 {name}（从别处复制文字时常会带进来）",
                      f"an invisible character, {name} (it often comes with text copied from elsewhere)",
                      fix=(Edit(start, start + 1, replacement),), fix_zh=fix_zh, fix_en=fix_en,
                      advice=Message(f"删除这个 {name}", f"delete the {name}"))
    if ch in "“”‘’":
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        close = {"“": "”", "‘": "’"}.get(ch)
        closing = text.find(close, start + 1, line_end) if close else -1
        fix = (Edit(start, start + 1, '"'), Edit(closing, closing + 1, '"')) if closing > 0 else ()
        return _Found(start, start + 1, f"中文引号「{ch}」不能括起文字", f"the Chinese quotation mark {ch!r} cannot quote text",
                      fix=fix, fix_zh="文字用英文双引号 \"…\" 括起（名称用「…」）",
                      fix_en='quote text with "…" (and names with 「…」)',
                      advice=Message("文字要用英文双引号 \"…\" 括起；名称用「…」", 'quote text with "…" and names with 「…」'))
    return _Found(start, start + 1, f"无法识别的字符「{ch}」", f"unexpected character {ch!r}",
                  fix=(Edit(start, start + 1, ""),), fix_zh=f"删除「{ch}」", fix_en=f"delete {ch!r}")


# ---------------------------------------------------------------- step 2: parsing with recovery
class _Parse:
    """Feeds tokens to the interactive parser, recovering at line starts; collects problems."""

    def __init__(self, text: str, scratch: _Scratch, tokens: list[Token], grammar: _Grammar):
        self.text, self.scratch, self.tokens, self.grammar = text, scratch, tokens, grammar
        self.found: list[_Found] = []
        self.skipped: list[tuple[int, int]] = []
        first_on_line, line = [], None
        for token in tokens:
            first_on_line.append(token.line != line)
            line = token.line
        self.first_on_line = first_on_line

    def accepts(self, parser) -> set[str]:
        accepted = set()
        for name in parser.choices():
            if name != "$END" and name not in self.grammar.literal_of and not name.isupper():
                continue  # a rule, not a terminal
            attempt = parser.copy(deepcopy_values=False)
            attempt.parser_state.parse_conf = _no_callbacks(parser)
            try:
                attempt.feed_token(Token(name, ""))
            except UnexpectedToken:
                continue
            accepted.add(name)
        return accepted

    def original(self, token: Token) -> tuple[int, int]:
        return self.scratch.to_original(token.start_pos), self.scratch.to_original(token.end_pos)

    def run(self) -> None:
        parser = self.grammar.lark.parse_interactive("")
        checkpoints: dict[int, object] = {}
        index = 0
        while index <= len(self.tokens) and len(self.found) < MAX_ERRORS:
            at_end = index == len(self.tokens)
            token = None if at_end else self.tokens[index]
            if not at_end and self.first_on_line[index]:
                checkpoints[index] = parser.copy(deepcopy_values=False)
            try:
                if at_end:
                    parser.feed_eof(self.tokens[-1] if self.tokens else None)
                    return
                parser.feed_token(token)
                index += 1
                continue
            except UnexpectedToken:
                pass
            # A failed feed may have reduced before failing: rebuild the state before the token.
            parser = self.state_before(index, checkpoints)
            self.found.append(self.classify(index, parser))
            resumed = self.recover(index, parser, checkpoints)
            if resumed is None:
                start = self.original(token)[0] if token is not None else len(self.text)
                self.skipped.append((start, len(self.text)))
                return
            parser, index, dropped_from = resumed
            for key in [k for k in checkpoints if k >= dropped_from]:
                del checkpoints[key]

    def state_before(self, index: int, checkpoints: dict):
        start = max(k for k in checkpoints if k <= index) if any(k <= index for k in checkpoints) else None
        if start is None:
            return self.grammar.lark.parse_interactive("")
        parser = checkpoints[start].copy(deepcopy_values=False)
        for token in self.tokens[start:index]:
            parser.feed_token(token)
        return parser

    def recover(self, index: int, parser, checkpoints: dict):
        """(parser, next token to feed, first dropped token) to go on from, or None at the end of the file."""
        if index >= len(self.tokens):
            return None
        earlier = sorted((k for k in checkpoints if k <= index), reverse=True)[:4]
        candidates = [(parser, index)] + [(checkpoints[k], k) for k in earlier]
        for resume in range(index + 1, len(self.tokens)):
            token = self.tokens[resume]
            if not self.first_on_line[resume] or self.grammar.literal_of.get(token.type) not in _SYNC_WORDS:
                continue
            for state, dropped_from in candidates:
                attempt = state.copy(deepcopy_values=False)
                try:
                    attempt.feed_token(token)
                except UnexpectedToken:
                    continue
                start = self.original(self.tokens[min(dropped_from, index)])[0]
                self.skipped.append((_line_start(self.text, start), self.original(token)[0]))
                # Go on from the state before the resuming token, which is fed again (and is a
                # checkpoint): a later error must never replay the tokens dropped here.
                return state.copy(deepcopy_values=False), resume, dropped_from
        return None

    # ------------------------------------------------------------ step 3: what went wrong
    def classify(self, index: int, parser) -> _Found:
        accepted = self.accepts(parser)
        context = _Context(self, index, accepted)
        for recogniser in _RECOGNISERS:
            found = recogniser(context)
            if found is not None:
                return found
        return _generic(context)


def _no_callbacks(parser):
    from copy import copy
    conf = copy(parser.parser_state.parse_conf)
    conf.callbacks = {}
    return conf


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _line_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end < 0 else end


@attrs.define
class _Context:
    parse: _Parse
    index: int
    accepted: set[str]

    @property
    def text(self) -> str:
        return self.parse.text

    @property
    def at_end(self) -> bool:
        return self.index >= len(self.parse.tokens)

    def token(self, offset: int = 0) -> Token | None:
        at = self.index + offset
        return self.parse.tokens[at] if 0 <= at < len(self.parse.tokens) else None

    def span(self, offset: int = 0) -> tuple[int, int]:
        return self.parse.original(self.token(offset))

    def word(self, offset: int = 0) -> str | None:
        """The keyword a token is, or None."""
        token = self.token(offset)
        return None if token is None else self.parse.grammar.literal_of.get(token.type)

    def wants(self, word: str) -> bool:
        return self.parse.grammar.name_of.get(word, word) in self.accepted

    def expected(self) -> Message | None:
        return describe_expected(self.accepted, self.parse.grammar)


# ---------------------------------------------------------------- recognisers
def _empty_or_no_start(c: _Context) -> _Found | None:
    if not (c.wants("政策") and c.wants("词汇")):
        return None
    expected = Message("「政策 文号」（如 政策 嘉政发〔2020〕6号）或「词汇 名称」",
                       "政策 and a document number (e.g. 政策 嘉政发〔2020〕6号), or 词汇 and a name")
    if c.at_end:
        if c.text.strip():
            return _Found(0, 0, "文件里只有注释，没有政策", "the file holds only comments, no policy", expected=expected)
        return _Found(0, 0, "文件是空的", "the file is empty", expected=expected)
    start, end = c.span()
    return _Found(start, end, "政策文件要以「政策 文号」开头，词汇文件以「词汇 名称」开头",
                  "a policy file starts with 政策 and its document number, a vocabulary with 词汇 and its name",
                  expected=expected)


_DOCNO_LIKE = re.compile(r"([\u4e00-\u9fff]+)\s*([\[(（【〔［])\s*([0-9]{4})\s*([\])）】〕］])\s*第?\s*([0-9]+)\s*号")
# The bracket pairs a document number's year may be written in (as the gazettes do).
_DOCNO_PAIRS = {("〔", "〕"), ("[", "]"), ("［", "］"), ("(", ")"), ("（", "）")}


def _document_number_fixed(match: re.Match) -> str:
    """The number as polc reads it, keeping the drafter's brackets when they are a pair polc
    accepts (嘉政发（2020）第6号 -> 嘉政发（2020）6号), else the gazette's 〔〕."""
    opening, closing = match.group(2), match.group(4)
    if (opening, closing) not in _DOCNO_PAIRS:
        opening, closing = "〔", "〕"
    return f"{match.group(1)}{opening}{match.group(3)}{closing}{match.group(5)}号"


def _document_number_found(start: int, end: int, edits) -> _Found:
    return _Found(start, end, "文号的写法无法识别", "the document number is not written in a form polc reads",
                  expected=Message("文号，如 嘉政发〔2020〕6号（年份写在〔〕、[] 或 () 中，其后直接写序号），"
                                   "或 无文号 「简称」",
                                   "a document number such as 嘉政发〔2020〕6号 (the year in 〔〕, [] or (), then the "
                                   "number without 第), or 无文号 「short name」"),
                  fix=edits, fix_zh="写作", fix_en="write")


def _document_number_around(text: str, offset: int) -> _Found | None:
    """嘉政发〔2020〕第6号 (the lexer stops at 〔): the whole number as one problem, with its fix."""
    for match in _DOCNO_LIKE.finditer(text, _line_start(text, offset), _line_end(text, offset)):
        if match.start() <= offset < match.end():
            fixed = _document_number_fixed(match)
            return _document_number_found(match.start(), match.end(), (Edit(match.start(), match.end(), fixed),))
    return None


def _document_number(c: _Context) -> _Found | None:
    if not c.wants("DOCNO") or c.at_end:
        return None
    start, _ = c.span()
    line_end = _line_end(c.text, start)
    match = _DOCNO_LIKE.match(c.text, start, line_end)
    edits = ()
    if match:
        edits = (Edit(start, match.end(), _document_number_fixed(match)),)
    return _document_number_found(start, c.span()[1] if not match else match.end(), edits)


_UNQUOTED_NUMBERING = re.compile(r"[^\s「\"#]+")


def _bare_numbering(c: _Context) -> _Found | None:
    """条款 二、（一）1. written without quotes: the numbering as written is quoted text."""
    if not (c.wants("ARTICLE") and c.wants("STRING")) or c.at_end:
        return None
    start, _ = c.span()
    match = _UNQUOTED_NUMBERING.match(c.text, start, _line_end(c.text, start))
    if match is None or not ast.is_numbering(match.group(0)) or c.token().type in ("ARTICLE", "STRING"):
        return None
    return _Found(start, match.end(), "条款编号照原文写时要加引号", "a numbering as written goes in quotes",
                  expected=Message("条号（如 第七条）或带引号的编号（如 \"二、（一）1.\"）",
                                   "an article (e.g. 第七条) or a quoted numbering (e.g. \"二、（一）1.\")"),
                  # two insertions, so the numbering itself stays exactly as written (（一） stays full-width)
                  fix=(Edit(start, start, '"'), Edit(match.end(), match.end(), '"')), fix_zh="写作", fix_en="write",
                  covers_characters=True)


_UNITS_WITHOUT_YUAN = re.compile(r"(万亿|亿|万)(元?)")


def _date_written_otherwise(c: _Context) -> _Found | None:
    if c.at_end or c.token().type != "NUMBER":
        return None
    return _date_around(c.text, c.span()[0])


def _money_without_yuan(c: _Context) -> _Found | None:
    """5000万, 100万, 5000 万元: a number whose unit is not read as money."""
    token, previous = c.token(), c.token(-1)
    if token is None or previous is None or token.type != "NAME" or previous.type != "NUMBER":
        return None
    match = _UNITS_WITHOUT_YUAN.match(str(token))
    if not match:
        return None
    start, _ = c.parse.original(previous)
    unit_start, unit_end = c.span()
    number_end = c.parse.original(previous)[1]
    unit = match.group(1) + "元"
    edits = (Edit(number_end, unit_start + match.end(), unit),)
    written = c.text[start:unit_start + match.end()]
    if match.group(2):  # 5000 万元: only the space is wrong
        return _Found(start, unit_start + match.end(), f"数字和单位之间不能有空格：「{written}」",
                      f"no space between a number and its unit: {written!r}",
                      fix=edits, fix_zh="删去空格", fix_en="delete the space")
    return _Found(start, unit_start + match.end(), f"「{written}」缺少单位「元」，读不成金额",
                  f"{written!r} lacks the unit 元, so it is not read as an amount",
                  notes=(Message("金额要带单位：元、万元、亿元、万亿元", "amounts carry a unit: 元, 万元, 亿元 or 万亿元"),),
                  fix=edits, fix_zh="加上「元」", fix_en="add 元")


def _valid_until(c: _Context) -> _Found | None:
    """有效期至 2023年12月31日 (the text's phrase) is 失效日期 2023年12月31日."""
    token = c.token()
    if token is None or token.type != "NAME" or not str(token).startswith("有效期"):
        return None
    start, end = c.span()
    date_at = 1
    if str(token) == "有效期" and str(c.token(1) or "") in ("至", "为", "到"):
        date_at, end = 2, c.span(1)[1]
    edits: tuple[Edit, ...] = ()
    date = c.token(date_at)
    if date is not None and date.type == "DATE":
        date_start, date_end = c.span(date_at)
        edits = (Edit(start, date_start, "失效日期 "),)
        after = c.token(date_at + 1)
        if after is not None and str(after) in ("止", "为止") and after.line == date.line:
            edits += (Edit(date_end, c.span(date_at + 1)[1], ""),)
    return _Found(start, end, f"「{c.text[start:end]}」不是关键字", f"{c.text[start:end]!r} is not a keyword",
                  notes=(Message("政策的有效期用「施行日期」和「失效日期」写：失效日期是最后一天，含当天",
                                 "a policy's period of validity is written 施行日期 … and 失效日期 … (the last day, included)"),),
                  fix=edits, fix_zh="写作", fix_en="write",
                  advice=Message("写作 失效日期 2023年12月31日", "write 失效日期 2023年12月31日"))


def _listed_separately(c: _Context) -> _Found | None:
    """分别给予 30万元、20万元 and 首次超过 30亿元、20亿元: the text's lists, which are tiers."""
    token, previous = c.token(), c.token(-1)
    if token is None:
        return None
    listed_after_value = c.word() == "、" and previous is not None and previous.type in _VALUE_TERMINALS
    separately = str(token).startswith("分别") and token.type in ("NAME", c.parse.grammar.name_of.get("分别"))
    if not (listed_after_value or separately):
        return None
    start, end = c.span()
    fix = _tiers_from_lists(c)
    return _Found(start, end, "原文「…、…分别给予…、…」的列举要写成分档表",
                  "the text's lists (…、… 分别给予 …、…) are written as a table of tiers",
                  notes=(Message("每档一行「门槛 → 金额」，从高到低：给予 按 年营业收入 首次超过 分档 / 30亿元 → 30万元 / 20亿元 → 20万元",
                                 "one row per tier, threshold → amount, highest first: 给予 按 年营业收入 首次超过 分档 / 30亿元 → 30万元 / 20亿元 → 20万元"),
                         Message("按级别的列举写作：给予 按 级别 分别 / 国家 → 30万元 / 省 → 20万元",
                                 "a list by level is written: 给予 按 级别 分别 / 国家 → 30万元 / 省 → 20万元")),
                  fix=fix, fix_zh="写成一档一行的表", fix_en="write it as a table, one row each")


_CONDITION_LIST = re.compile(r"^([ \t]*)当[ \t]+(\S+)[ \t]+(\S+)[ \t]+([^\n、]+(?:、[^\n、]+)+?)[ \t]*$", re.M)
_AWARD_LIST = re.compile(r"^([ \t]*)(?:给予[ \t]+分别|分别给予)[ \t]*([^\n、]+(?:、[^\n、]+)+?)[ \t]*$", re.M)


def _tiers_from_lists(c: _Context) -> tuple[Edit, ...]:
    """The table of tiers from `当 S 首次超过 A、B、C` and `给予 分别 x、y、z` in the same clause."""
    text, here = c.text, c.span()[0]
    clause_start = text.rfind("条款", 0, here)
    next_clause = text.find("条款", here)
    clause_end = len(text) if next_clause < 0 else next_clause
    if clause_start < 0:
        return ()
    region = text[clause_start:clause_end]
    condition = _CONDITION_LIST.search(region)
    award = _AWARD_LIST.search(region)
    if not condition or not award:
        return ()
    thresholds = [t.strip() for t in condition.group(4).split("、")]
    amounts = [a.strip() for a in award.group(2).split("、")]
    # 首次超过 30亿元、20亿元、10亿元 且 实现税收: the rest of the condition stays a condition.
    last, _, rest = thresholds[-1].partition(" 且 ")
    thresholds[-1] = last.strip()
    if len(thresholds) != len(amounts):
        return ()
    indent = award.group(1)
    rows = "".join(f"\n{indent}  {t} → {a}" for t, a in zip(thresholds, amounts))
    if condition.group(3) == "属于":  # 国际、国家 … 分别: a table by level
        table = f"{indent}给予 按 {condition.group(2)} 分别{rows}"
    else:
        table = f"{indent}给予 按 {condition.group(2)} {condition.group(3)} 分档{rows}"
    cond_start = clause_start + condition.start()
    cond_end = clause_start + condition.end()
    kept = f"{condition.group(1)}当 {rest.strip()}" if rest.strip() else ""
    if not kept and cond_end < len(text) and text[cond_end] == "\n":
        cond_end += 1
    return (Edit(cond_start, cond_end, kept),
            Edit(clause_start + award.start(), clause_start + award.end(), table))


def _header_after_items(c: _Context) -> _Found | None:
    """A header field (施行日期 …) written after the declarations: it belongs to the header."""
    word = c.word()
    if word not in _HEADER_WORDS or c.wants(word) or not (c.wants("条款") or c.wants("给予")):
        return None
    start, end = c.span()
    edits: tuple[Edit, ...] = ()
    shown = None
    if c.parse.first_on_line[c.index]:
        first_item = next((t for t in c.parse.tokens if c.parse.grammar.literal_of.get(t.type) in _ITEM_WORDS), None)
        if first_item is not None:
            line_start, line_end = _line_start(c.text, start), _line_end(c.text, start)
            line = c.text[line_start:line_end]
            target = _line_start(c.text, c.parse.original(first_item)[0])
            if target < line_start:
                edits = (Edit(target, target, line + "\n"), Edit(line_start, min(line_end + 1, len(c.text)), ""))
                shown = line.strip()
    return _Found(start, end, f"「{word}」是政策头部的项目，不能写在声明或条款之后",
                  f"{word} is a header field and cannot come after the declarations and clauses",
                  notes=(Message("政策头部（标题、施行日期、冲突原则…）紧跟在「政策 文号」之后，在第一个事实、枚举或条款之前",
                                 "the header (标题, 施行日期, 冲突原则, …) follows 政策 and its number, before the first declaration or clause"),),
                  fix=edits, fix_zh="把这一行移到头部（第一个声明之前）", fix_en="move the line into the header (before the first declaration)",
                  fix_shown=shown)


def _clause_field_outside_clause(c: _Context) -> _Found | None:
    word = c.word()
    if word not in _CLAUSE_WORDS or c.wants(word) or word == "说明":
        return None
    start, end = c.span()
    return _Found(start, end, f"「{word}」是条款里的项目，要写在「条款 第N条」之下",
                  f"{word} is a field of a clause and belongs under 条款 第N条",
                  notes=(Message("条款的各项（原文、当、给予、案例…）紧跟在它的「条款」行之后，中间不能插入事实、枚举等声明",
                                 "a clause's fields (原文, 当, 给予, 案例, …) follow its 条款 line, with no declaration in between"),),
                  expected=c.expected())


def _tier_row_outside_tiers(c: _Context) -> _Found | None:
    if c.token() is not None and c.token().type == "ARROW" and c.index > 0 and c.parse.first_on_line[c.index - 1] \
            and "ARROW" not in c.accepted:
        c = _Context(c.parse, c.index - 1, c.accepted)
    token, following = c.token(), c.token(1)
    if token is None or following is None or following.type != "ARROW" or not c.parse.first_on_line[c.index]:
        return None
    if token.type not in ("MONEY", "BOUND", "NUMBER", "PERCENT", "NAME", "QUOTED_NAME"):
        return None
    start, end = c.span()
    return _Found(start, end, "分档（或分别）的一行写在了「给予 按 … 分档」之外",
                  "a row of tiers (or levels) is written outside 给予 按 … 分档",
                  notes=(Message("各行「门槛 → 金额」要紧跟在「给予 按 事实 超过 分档」（或「给予 按 事实 分别」）那一行之后",
                                 "the rows threshold → amount follow straight after 给予 按 事实 超过 分档 (or 给予 按 事实 分别)"),))


def _keyword_as_name(c: _Context) -> _Found | None:
    """事实 增速: 百分比 — a keyword where a name is wanted: quote it."""
    word = c.word()
    if word is None or word not in c.parse.grammar.keywords or not c.wants("QUOTED_NAME") or c.wants(word):
        return None
    start, end = c.span()
    return _Found(start, end, f"「{word}」是关键字，不能直接作名称", f"{word} is a keyword and cannot be a bare name",
                  notes=(Message(f"名称含关键字时用「」括起，使用处也一样：「{word}」", f"quote a name that is a keyword, everywhere it is used: 「{word}」"),),
                  fix=(Edit(start, end, f"「{word}」"),), fix_zh="用「」括起", fix_en="quote it")


def _keyword_against_name(c: _Context) -> _Found | None:
    from .grammar_tables import split_keyword
    suspects = [c.index] if not c.at_end and c.token().type == "NAME" else []
    if c.index > 0 and c.token(-1).type == "NAME":
        suspects.append(c.index - 1)
    for at in suspects:
        token = c.parse.tokens[at]
        split = split_keyword(str(token))
        if split is None:
            continue
        before, word, after = split
        start, end = c.parse.original(token)
        fixed = " ".join(part for part in (before, word, after) if part)
        if not before and start > 0 and not c.text[start - 1].isspace():
            fixed = " " + fixed
        parts_zh = "、".join(f"「{p}」" for p in (before, after) if p)
        if all(part in c.parse.grammar.keywords for part in (before, after) if part):
            words = "".join(f"「{p}」" for p in (before, word, after) if p)
            zh = f"关键字{words}连写在一起，被读成了一个名称「{token}」"
            en = f"the keywords {words} are written together, so they were read as one name 「{token}」"
        else:
            zh = f"关键字「{word}」与名称{parts_zh}连写在一起，被读成了一个名称「{token}」"
            en = f"the keyword 「{word}」 is written straight against the name {parts_zh}, so it was read as one name 「{token}」"
        return _Found(start, end, zh, en,
                      code="E002",
                      notes=(Message("中文没有空格分词：关键字和名称之间必须用空格或标点隔开",
                                     "Chinese has no spaces between words: separate keywords from names with a space or punctuation"),),
                      fix=(Edit(start, end, fixed),), fix_zh="在关键字两侧加空格", fix_en="put spaces around the keyword")
    return None


_PUNCTUATION_SWAPS = {"=": ("→",), ":": ("→", "="), "、": (",",), ",": ("、",), "→": ("=",)}


def _wrong_punctuation(c: _Context) -> _Found | None:
    word = c.word()
    if word not in _PUNCTUATION_SWAPS and not (c.token() is not None and c.token().type == "ARROW"):
        return None
    word = "→" if c.token().type == "ARROW" else word
    for wanted in _PUNCTUATION_SWAPS.get(word, ()):
        if c.wants(wanted) or (wanted == "→" and "ARROW" in c.accepted):
            start, end = c.span()
            return _Found(start, end, f"此处应是「{wanted}」，不是「{c.text[start:end]}」",
                          f"{wanted!r} belongs here, not {c.text[start:end]!r}",
                          fix=(Edit(start, end, wanted),), fix_zh=f"改为「{wanted}」", fix_en=f"write {wanted!r}")
    return None


def _words_after_amount(c: _Context) -> _Found | None:
    """给予 30万元的奖励: words of the sentence left after the amount."""
    token, previous = c.token(), c.token(-1)
    if token is None or previous is None or token.type != "NAME" or previous.type not in _VALUE_TERMINALS | {"BOUND"}:
        return None
    if c.parse.original(previous)[1] != c.span()[0] or c.wants("NAME"):
        return None
    start, end = c.span()
    return _Found(start, end, f"「{c.text[start:end]}」紧跟在「{c.text[c.parse.original(previous)[0]:start]}」之后，不是语言的一部分",
                  f"{c.text[start:end]!r} right after {c.text[c.parse.original(previous)[0]:start]!r} is not part of the language",
                  notes=(Message("只写规则本身，原文的其余文字写在「原文」里", "write only the rule; the rest of the sentence belongs in 原文"),),
                  fix=(Edit(start, end, ""),), fix_zh=f"删去「{c.text[start:end]}」",
                  fix_en=f"delete {c.text[start:end]!r}")


_BOUND_WORD = re.compile(r"(及以上|以上|以下|以内)")


def _bound_with_words(c: _Context) -> _Found | None:
    """当 研发投入 5000万元以上的: the postfix word is read only when nothing is written against it."""
    token, following = c.token(), c.token(1)
    if token is None or following is None or token.type not in _VALUE_TERMINALS or following.type != "NAME":
        return None
    start, end = c.span()
    word_start, word_end = c.span(1)
    match = _BOUND_WORD.match(str(following))
    if word_start != end or not match:
        return None
    extra = c.text[word_start + match.end():word_end]
    return _Found(start, word_end, f"「{c.text[start:word_end]}」里的「{extra}」多余：门槛后只写「{match.group()}」",
                  f"{extra!r} in {c.text[start:word_end]!r} is extra: write only {match.group()!r} after the threshold",
                  notes=(Message("以上/以下/以内 含本数（5000万元以上 即 不低于 5000万元）；其后要有空格或换行",
                                 "以上/以下/以内 include the number (5000万元以上 is 不低于 5000万元); a space or line end follows"),),
                  fix=(Edit(word_start + match.end(), word_end, ""),), fix_zh=f"删去「{extra}」", fix_en=f"delete {extra!r}")


def _rate_without_times(c: _Context) -> _Found | None:
    """给予 投资额 5% (原文: 按投资额5%给予): a rate needs ×; 按 here starts a table, not a rate."""
    token, previous = c.token(), c.token(-1)
    if token is None or previous is None or token.type not in ("PERCENT", "NUMBER") or not c.wants("×"):
        return None
    if previous.type not in ("NAME", "QUOTED_NAME") and str(previous) != ")":
        return None
    start, end = c.span()
    edits = [Edit(start, start, "× ")]
    if c.word(-2) == "按" and (c.wants("分档") or c.wants("分别")):
        an_start, an_end = c.span(-2)
        edits.append(Edit(an_start, c.span(-1)[0], ""))
    return _Found(start, end, f"比例「{c.text[start:end]}」前少了「×」", f"the rate {c.text[start:end]!r} lacks ×",
                  notes=(Message("原文「按投资额5%给予补助」写作「给予 投资额 × 5%」；「给予 按 …」用于分档和按级别的表",
                                 "the text's 按投资额5%给予补助 is written 给予 投资额 × 5%; 给予 按 … starts a table of tiers or levels"),),
                  fix=tuple(edits), fix_zh="写作", fix_en="write")


def _one_word_missing(c: _Context) -> _Found | None:
    """期限 3年 (期限 最多 3年), 事实 投资额 金额 (事实 投资额: 金额): the one word the place allows."""
    wanted = [t for t in c.accepted if t != "$END"]
    if len(wanted) != 1 or wanted[0] not in c.parse.grammar.literal_of or c.at_end:
        return None
    word = c.parse.grammar.literal_of[wanted[0]]
    start, end = c.span()
    if re.fullmatch(r"[\u3400-\u9fff]+", word):
        edit = Edit(start, start, word + " ")
    else:
        previous_end = c.span(-1)[1] if c.index > 0 else start
        edit = Edit(previous_end, previous_end, word)
    return _Found(start, end, f"「{c.text[start:end]}」之前少了「{word}」", f"{word!r} is missing before {c.text[start:end]!r}",
                  fix=(edit,), fix_zh=f"加上「{word}」", fix_en=f"add {word!r}",
                  advice=None)


def _line_left_unfinished(c: _Context) -> _Found | None:
    """当 投资额 超过 ⏎ 给予 …: the line before stops half way; say so there, not at the next line."""
    if c.at_end or c.index == 0 or not c.parse.first_on_line[c.index]:
        return None
    grammar = c.parse.grammar
    # 考核年度 is a header field and also a value (the assessed year), so it says nothing here.
    if any(grammar.literal_of.get(t) in _SYNC_WORDS - {"考核年度"} for t in c.accepted) or "$END" in c.accepted:
        return None
    start, end = c.span(-1)
    last = c.text[start:end]
    return _Found(start, end, f"这一行没有写完：「{last}」之后还缺内容", f"the line is not finished: something must follow {last!r}",
                  expected=c.expected())


def _line_without_keyword(c: _Context) -> _Found | None:
    """A clause line that starts with a name: most often a condition whose 当 was left out."""
    token = c.token()
    if token is None or token.type not in ("NAME", "QUOTED_NAME") or not c.parse.first_on_line[c.index]:
        return None
    if not c.wants("当"):
        return None
    start, end = c.span()
    return _Found(start, end, f"这一行以名称「{c.text[start:end]}」开头，缺少关键字",
                  f"the line starts with the name {c.text[start:end]!r} and lacks its keyword",
                  notes=(Message("条款的每一项以关键字开头：条件写「当 …」，奖励写「给予 …」",
                                 "every field of a clause starts with its keyword: a condition with 当, an award with 给予"),),
                  expected=c.expected(), fix=(Edit(start, start, "当 "),), fix_zh="作为条件，加上「当」",
                  fix_en="as a condition, add 当")


def _end_of_file(c: _Context) -> _Found | None:
    if not c.at_end:
        return None
    end = len(c.text.rstrip())
    return _Found(max(end - 1, 0), max(end, 1), "文件意外结束", "unexpected end of file", expected=c.expected())


def _generic(c: _Context) -> _Found:
    start, end = c.span()
    shown = c.text[start:end]
    return _Found(start, end, f"此处不应出现「{shown}」", f"unexpected {shown!r} here", expected=c.expected())


_RECOGNISERS: tuple[Callable[[_Context], _Found | None], ...] = (
    _empty_or_no_start, _end_of_file, _document_number, _bare_numbering, _date_written_otherwise, _money_without_yuan, _valid_until, _listed_separately,
    _header_after_items, _tier_row_outside_tiers, _line_left_unfinished, _keyword_as_name, _keyword_against_name,
    _clause_field_outside_clause, _wrong_punctuation, _bound_with_words, _words_after_amount, _rate_without_times,
    _one_word_missing, _line_without_keyword,
)


# ---------------------------------------------------------------- putting it together
def _collect(text: str) -> _Result:
    grammar = _grammar()
    scratch = _Scratch(text)
    tokens, found = _lex(text, scratch, grammar)
    if tokens is None:
        return _Result(found, [])
    parse = _Parse(text, scratch, tokens, grammar)
    parse.run()
    covered = [(f.start, f.end) for f in parse.found if f.covers_characters]
    found = [f for f in found if not any(start <= f.start < end for start, end in covered)]
    return _Result(found + parse.found, parse.skipped)


def _fix_parses(text: str, found: _Found) -> bool:
    """Whether the text with the fix applied parses over every line the fix or the error touches."""
    edits = found.fix
    fixed = apply_edits(text, edits)
    region_start = _line_start(fixed, _shifted(min(min(e.start for e in edits), found.start), edits))
    touched_end = max(max(_shifted(e.end, edits) for e in edits), _shifted(found.end, edits))
    region_end = _line_end(fixed, min(touched_end, len(fixed)))
    result = _collect(fixed)
    for problem in result.found:
        if region_start <= problem.start <= region_end:
            return False
    return not any(start < region_end and end > region_start for start, end in result.skipped)


def _diagnostic(source: SourceFile, text: str, found: _Found, check_fix: bool = True) -> Diagnostic:
    span = span_of_offsets(source, found.start, max(found.end, found.start + 1) if source.text else found.start)
    suggestion, fix = found.advice, ()
    if check_fix and found.fix and _fix_parses(text, found):
        fix = found.fix
        fixed = apply_edits(source.text, fix)
        first = min(e.start for e in fix)
        last = max(_shifted(e.end, fix) for e in fix)
        lines = [line.strip() for line in fixed[_line_start(fixed, _shifted(first, fix)):_line_end(fixed, last)].split("\n")]
        shown = found.fix_shown if found.fix_shown is not None else " / ".join(line for line in lines if line)
        if shown:
            suggestion = Message(f"{found.fix_zh}：{shown}", f"{found.fix_en}: {shown}")
        else:
            suggestion = Message(found.fix_zh, found.fix_en)
    return Diagnostic(found.code, "error", Message(found.zh, found.en), span, expected=found.expected,
                      suggestion=suggestion, notes=found.notes,
                      fix=tuple((e.start, e.end, e.text) for e in fix))


def syntax_errors(source: SourceFile) -> list[Diagnostic]:
    """Every syntax error of a file that Lark could not parse, each with a checked fix if any."""
    text = normalise(source.text)
    result = _collect(text)
    ordered = sorted(result.found, key=lambda found: (found.start, found.end))
    cost_per_check = len(text) * (1 + len(result.found))  # one relex per repair, roughly
    diagnostics = [_diagnostic(source, text, found, check_fix=index * cost_per_check < FIX_CHECK_BUDGET)
                   for index, found in enumerate(ordered)]
    return diagnostics or [error("E001", span_of_offsets(source, 0, min(1, len(source.text))),
                                 "无法解析此文件", "this file cannot be parsed")]
