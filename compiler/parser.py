"""Stage 1: .pol text -> typed AST (compiler.ast), or diagnostics saying what went wrong.

Lark parses the normalised text (see compiler.source); a Transformer builds frozen attrs
nodes with spans. Parse errors are classified into friendly diagnostics: the position,
what was expected in words a drafter knows, and — for the commonest mistake, a keyword
written straight against a name — exactly where to put the space.
"""

from __future__ import annotations

import datetime
import functools
import re
from decimal import Decimal

import attrs
from lark import Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedInput

from . import ast, lalr, limits
from .diagnostics import Diagnostic, Message, error
from .source import SourceFile, Span, normalise, span_of_offsets

# The grammar and its keywords live in compiler/grammar_tables.py (syntax_errors and the
# printer read them too, without importing the parser); re-exported here.
from .grammar_tables import (GRAMMAR_PATH, _LARK_OPTIONS, _cached_lark, _lark, grammar_cache_name, keywords,  # noqa: E402,F401
                             split_keyword)

UNIT_FACTORS = {"元": Decimal(1), "万元": Decimal(10) ** 4, "亿元": Decimal(10) ** 8, "万亿元": Decimal(10) ** 12}
_CHINESE_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_number(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零三 → 103; Arabic digits pass through."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _CHINESE_DIGITS:
            current = _CHINESE_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            raise ValueError(text)
    return total + current


def money_value(text: str) -> Decimal:
    """30万元 -> 300000 元, exactly (never rounded); outside the stated limits raises
    limits.OutOfRange, a ValueError."""
    return limits.money(text)


def percent_value(text: str) -> Decimal:
    """5% → 0.05; the text's own wording too: 百分之十 → 0.1, 百分之二点五 → 0.025, 百分之5 → 0.05."""
    if text.endswith("%"):
        return limits.percent(text)  # exact, and within the stated limits (else OutOfRange, a ValueError)
    if not text.startswith("百分之"):
        raise ValueError(text)
    number = text[3:]
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", number):
        return limits.percent(number + "%")
    whole, point, fraction = number.partition("点")
    digits = {**_CHINESE_DIGITS, "〇": 0}
    if not whole or any(ch not in digits for ch in fraction) or (point and not fraction):
        raise ValueError(text)
    value = Decimal(chinese_number(whole))
    if fraction:
        value += Decimal("0." + "".join(str(digits[ch]) for ch in fraction))
    return limits.percent(f"{value:f}%")


# The postfix comparison words of the text, by the reading convention of Chinese legal
# drafting (以上/以下/以内 include the number itself), as the comparison word that says the
# same thing before the number: the AST and every backend see only the existing words.
_BOUND_WORDS = {"以上": "不低于", "及以上": "不低于", "以下": "不超过", "以内": "不超过"}
_BOUND_EXCLUSIVE = {"以上": "超过", "及以上": "超过", "以下": "低于", "以内": "低于"}


def split_bound(text: str) -> tuple[str, str]:
    """'5000万元以上' → ('5000万元', '不低于'); '10%以下(不含)' → ('10%', '低于')."""
    match = re.fullmatch(r"(.*?)[ \t]*(及以上|以上|以下|以内)(?:\((含|不含)\))?", text)
    if not match:
        raise ValueError(text)
    words = _BOUND_EXCLUSIVE if match.group(3) == "不含" else _BOUND_WORDS
    return match.group(1), words[match.group(2)]


def parse_date(text: str) -> datetime.date:
    match = re.fullmatch(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日", text) or re.fullmatch(
        r"([0-9]{4})-([0-9]{2})-([0-9]{2})", text)
    if not match:
        raise ValueError(text)
    return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


_EMPTY_CELL = object()  # — in a table row, until the row is built (then None)


class _Problem(Exception):
    """A semantic problem found while building the AST (e.g. 2020年2月30日)."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message.en)
        self.diagnostic = diagnostic


class _ToAst(Transformer):  # v_args(meta=True) is applied below, after the field wrappers
    """Lark tree -> AST nodes. Methods are named after grammar rules and aliases."""

    def __init__(self, source: SourceFile):
        super().__init__()
        self.source = source

    # ------------------------------------------------------------ helpers
    def _span(self, meta) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return span_of_offsets(self.source, meta.start_pos, meta.end_pos)

    def _tok_span(self, token: Token) -> Span:
        return span_of_offsets(self.source, token.start_pos, token.end_pos)

    def _original(self, token: Token) -> str:
        return self.source.text[token.start_pos:token.end_pos]

    def _bounded(self, token: Token, convert, span: Span | None = None, *args):
        """Convert a literal's text with a limits function; out of range is a diagnostic (E102)."""
        try:
            return convert(*args) if args else convert(str(token))
        except limits.OutOfRange as exc:
            raise _Problem(error("E102", span or self._tok_span(token), exc.message.zh, exc.message.en,
                                 notes=(Message("数值的范围见 README「限制」一节", "the README's Limits section states the ranges"),)))

    def _years_of(self, token: Token, low: int = 1) -> int:
        """连续/近/期限 N年: a number of years within the stated limit."""
        text = str(token)[:-1]
        count = chinese_number(text) if not text.isdigit() else None
        digits = text if count is None else str(count)
        return self._bounded(token, limits.whole, None, digits, low, limits.MAX_YEARS, "年数", "the number of years")

    def _year_of(self, token: Token) -> int:
        """2020年: a year within the stated limit."""
        text = str(token)[:-1]
        if not text.isdigit():
            raise _Problem(error("E102", self._tok_span(token), f"「{self._original(token)}」不是年份，年份用数字写（如 2020年）",
                                 f"{self._original(token)!r} is not a year: write years in digits (e.g. 2020年)"))
        return self._bounded(token, limits.whole, None, text, limits.MIN_YEAR, limits.MAX_YEAR, "年份", "the year")

    def _string(self, token: Token) -> str:
        raw = self._original(token)[1:-1]
        return re.sub(r"\\(.)", r"\1", raw)

    # ------------------------------------------------------------ names and literals
    def name(self, meta, children):
        token = children[0]
        text = str(token)
        if token.type == "QUOTED_NAME":
            text = self._original(token)[1:-1]
        if len(text) > limits.MAX_NAME_CHARS:
            raise _Problem(error(
                "E103", self._tok_span(token), f"名称过长：{len(text)} 个字，最多 {limits.MAX_NAME_CHARS} 个",
                f"the name is too long: {len(text)} characters, at most {limits.MAX_NAME_CHARS}",
                suggestion=Message("用简短的名称，把长的解释写进「说明」", "use a short name and put the explanation in 说明")))
        return ast.Name(text, self._tok_span(token))

    def ref(self, meta, children):
        return ast.Ref(children[0], self._span(meta))

    def money(self, meta, children):
        token = children[0]
        return ast.Money(self._bounded(token, limits.money), str(token), self._tok_span(token))

    def negative_money(self, meta, children):
        token = children[0]
        return ast.Money(-self._bounded(token, limits.money), "-" + str(token), self._span(meta))

    def unit_price(self, meta, children):
        token = children[0]
        amount, unit = str(token).split("/", 1)
        return ast.UnitPrice(self._bounded(token, limits.money, None, amount), unit, str(token), self._tok_span(token))

    def percent(self, meta, children):
        return self._percent(children[0])

    def _percent(self, token: Token) -> ast.Percent:
        return ast.Percent(self._bounded(token, percent_value), str(token), self._tok_span(token))

    def _bound(self, token: Token) -> tuple[ast.Expr, str]:
        """A BOUND token (5000万元以上) as the number it compares with and the comparison word."""
        number, word = split_bound(str(token))
        span = span_of_offsets(self.source, token.start_pos, token.start_pos + len(number))
        if number.endswith("元"):
            value = ast.Money(self._bounded(token, money_value, None, number), number, span)
        elif number.endswith("%") or number.startswith("百分之"):
            value = ast.Percent(self._bounded(token, percent_value, None, number), number, span)
        else:
            value = ast.Number(self._bounded(token, limits.number, None, number), number, span)
        return value, word

    def number(self, meta, children):
        token = children[0]
        return ast.Number(self._bounded(token, limits.number), str(token), self._tok_span(token))

    def negative_number(self, meta, children):
        token = children[0]
        return ast.Number(-self._bounded(token, limits.number), "-" + str(token), self._span(meta))

    def true(self, meta, children):
        return ast.Bool(True, self._span(meta))

    def false(self, meta, children):
        return ast.Bool(False, self._span(meta))

    def date(self, meta, children):
        token = children[0]
        try:
            value = parse_date(str(token))
        except ValueError:
            raise _Problem(error(
                "E003", self._tok_span(token), f"日期「{self._original(token)}」不存在",
                f"the date {self._original(token)!r} does not exist",
                expected=Message("一个真实的日期，如 2020年1月1日 或 2020-01-01",
                                 "a real date, such as 2020年1月1日 or 2020-01-01")))
        return ast.DateValue(value, str(token), self._tok_span(token))

    def year(self, meta, children):
        return ast.YearValue(self._year_of(children[0]), self._span(meta))

    def enum_value(self, meta, children):
        return ast.EnumValue(children[0], self._span(meta))

    def series_entry(self, meta, children):
        key, value = children
        return (key, value)

    def year_key(self, meta, children):
        token = children[0]
        if str(token).endswith("年"):
            return self._year_of(token)
        return self._bounded(token, limits.whole, None, str(token), limits.MIN_YEAR, limits.MAX_YEAR, "年份", "the year")

    def series_value(self, meta, children):
        return ast.SeriesValue(tuple(sorted(children, key=lambda entry: entry[0])), self._span(meta))

    # ------------------------------------------------------------ expressions
    def _binary(op):
        def build(self, meta, children):
            return ast.Binary(op, children[0], children[1], self._span(meta))
        return build

    add, sub, mul, div = _binary("+"), _binary("-"), _binary("×"), _binary("÷")

    def neg(self, meta, children):
        return ast.Neg(children[0], self._span(meta))

    def prev_year(self, meta, children):
        return ast.PrevYear(children[0], self._span(meta))

    def floor(self, meta, children):
        return ast.Floor(children[0], self._span(meta))

    def assessed_year_ref(self, meta, children):
        return ast.AssessedYear(self._span(meta))

    def growth(self, meta, children):
        return ast.Growth(children[0], self._span(meta))

    def cmp_op(self, meta, children):
        return str(children[0])

    def compare(self, meta, children):
        left, op, right = children
        return ast.Compare(op, left, right, self._span(meta))

    def compare_bound(self, meta, children):
        left, token = children
        right, op = self._bound(token)
        return ast.Compare(op, left, right, self._span(meta))

    def member(self, meta, children):
        return ast.Member(children[0], tuple(children[1:]), False, self._span(meta))

    def not_member(self, meta, children):
        return ast.Member(children[0], tuple(children[1:]), True, self._span(meta))

    def run_of_years(self, meta, children):
        keyword = "连续" if normalise(self.source.text[meta.start_pos:meta.start_pos + 2]) == "连续" else "近"
        years_token, condition = children
        return ast.RunOfYears(keyword, self._years_of(years_token), str(years_token), condition, self._span(meta))

    # ---- issue 13: years of a run (自 认定年度 起 第4年; 分年度 rows 前三年 / 后两年 / 第4至5年)
    _RUN_NUMBER = r"([0-9]+|[一二两三四五六七八九十]+)"
    _RUN_YEAR = re.compile(rf"第{_RUN_NUMBER}(?:年至第?{_RUN_NUMBER})?年|第{_RUN_NUMBER}至{_RUN_NUMBER}年")

    def _run_count(self, token: Token, text: str) -> int:
        count = text if text.isdigit() else str(chinese_number(text))
        return self._bounded(token, limits.whole, None, count, 1, limits.MAX_YEARS, "年数", "the number of years")

    def _run_year(self, token: Token) -> tuple[int, int, str]:
        """第4年 -> (4, 4, "第4年"); 第4至5年 / 第四年至第五年 -> (4, 5, as written): the years of
        a run, the start year being the first."""
        match = self._RUN_YEAR.fullmatch(str(token))
        assert match is not None  # the terminal's own pattern
        a, b, c, d = match.groups()
        first = self._run_count(token, a or c)
        last = self._run_count(token, b or d) if (b or d) else first
        if last < first:
            raise _Problem(error("E341", self._tok_span(token), f"「{self._original(token)}」的年次倒置：后一年早于前一年",
                                 f"{self._original(token)!r}: the years are reversed (the later year comes first)",
                                 suggestion=Message(f"写作 第{last}至{first}年", f"write 第{last}至{first}年")))
        return first, last, str(token)  # as written (第四年至第五年 stays so in fmt and summaries)

    def year_of_run(self, meta, children):
        """自 F 起 第4年: the assessed year is the 4th counted from F (F itself the first), i.e.
        考核年度 等于 F + 3; 第4至5年: 考核年度 不低于 F + 3 且 考核年度 不超过 F + 4."""
        fact, token = children
        first, last, text = self._run_year(token)
        span = self._span(meta)

        def offset(years: int):
            return ast.Binary("+", ast.Ref(fact, fact.span), ast.Number(Decimal(years - 1), str(years - 1), span), span)
        if first == last:
            return ast.Compare("等于", ast.AssessedYear(span), offset(first), span, run_year=text)
        return ast.And(ast.Compare("不低于", ast.AssessedYear(span), offset(first), span),
                       ast.Compare("不超过", ast.AssessedYear(span), offset(last), span), span, run_year=text)

    def run_year_row(self, meta, children):
        token, _arrow, amount = children
        if token.type == "RUN_YEAR":
            first, last, text = self._run_year(token)
            return ast.RunYearRow(text, first, last, amount, self._span(meta))
        count = self._run_count(token, str(token)[1:-1])
        # 前N年 / 后N年: a span; a_by_run_year places it after the row before.
        return ast.RunYearRow(str(token), 0, count, amount, self._span(meta))

    def a_by_run_year(self, meta, children):
        rows, last = [], 0
        for row in children:
            if row.first == 0:  # 前N年 starts the run; 后N年 follows the row before
                start = 1 if row.text.startswith("前") else last + 1
                row = attrs.evolve(row, first=start, last=start + row.last - 1)
            rows.append(row)
            last = row.last
        return ast.ByRunYear(tuple(rows), self._span(meta))

    def and_(self, meta, children):
        return ast.And(children[0], children[1], self._span(meta))

    def or_(self, meta, children):
        return ast.Or(children[0], children[1], self._span(meta))

    def not_(self, meta, children):
        return ast.Not(children[0], self._span(meta))

    # ------------------------------------------------------------ declarations
    def t_money(self, meta, children): return "money"
    def t_number(self, meta, children): return "number"
    def t_percent(self, meta, children): return "percent"
    def t_bool(self, meta, children): return "bool"
    def t_date(self, meta, children): return "date"
    def t_year(self, meta, children): return "year"
    def t_text(self, meta, children): return "text"

    def t_enum(self, meta, children):
        return children[0]

    def series_mark(self, meta, children):
        return str(children[0])

    def note(self, meta, children):
        return self._string(children[0])

    def enum_decl(self, meta, children):
        return ast.EnumDecl(children[0], tuple(children[1:]), self._span(meta))

    def fact_decl(self, meta, children):
        name, *rest = children
        mark = None
        if rest and rest[0] in ("逐年", "逐项"):
            mark, rest = rest[0], rest[1:]
        base, *rest = rest
        note = rest[0] if rest else None
        series, items = mark == "逐年", mark == "逐项"
        if isinstance(base, ast.Name):
            fact_type = ast.FactType("enum", series, items, base, base.span)
        else:
            fact_type = ast.FactType(base, series, items, None, name.span)
        return ast.FactDecl(name, fact_type, note, self._span(meta))

    def matter_decl(self, meta, children):
        name, *rest = children
        return ast.MatterDecl(name, rest[0] if rest else None, self._span(meta))

    def vocabulary(self, meta, children):
        name, *decls = children
        groups = {ast.EnumDecl: [], ast.FactDecl: [], ast.DefDecl: [], ast.MatterDecl: []}
        for decl in decls:
            groups[type(decl)].append(decl)
        return ast.Vocabulary(name.text, self.source.path, tuple(groups[ast.EnumDecl]), tuple(groups[ast.FactDecl]),
                              tuple(groups[ast.DefDecl]), tuple(groups[ast.MatterDecl]), self._span(meta))

    def def_decl(self, meta, children):
        name, expr, *rest = children
        return ast.DefDecl(name, expr, rest[0] if rest else None, self._span(meta))

    # ------------------------------------------------------------ awards
    def a_exact(self, meta, children):
        return ast.Exact(children[0], self._span(meta))

    def a_up_to(self, meta, children):
        return ast.UpTo(children[0], self._span(meta))

    def a_range(self, meta, children):
        return ast.Range(children[0], children[1], self._span(meta))

    _RATE_RANGE = re.compile(r"([0-9]+(?:\.[0-9]+)?%)[-~—–〜]([0-9]+(?:\.[0-9]+)?%)")

    def a_rate_range(self, meta, children):
        """投资额 × 5%-20% -> the range 投资额 × 5% 至 投资额 × 20% (the rate kept as written)."""
        base, token = children
        low_text, high_text = self._RATE_RANGE.fullmatch(str(token)).groups()
        start = token.start_pos
        rates = []
        for text, offset in ((low_text, 0), (high_text, len(token) - len(high_text))):
            span = span_of_offsets(self.source, start + offset, start + offset + len(text))
            rates.append(ast.Percent(self._bounded(token, percent_value, None, text), text, span))
        low, high = (ast.Binary("×", base, rate, self._span(meta)) for rate in rates)
        return ast.Range(low, high, self._span(meta), rate=str(token))  # half-width, as printed

    def a_at_least(self, meta, children):  # issue 13: floors (r14-caps)
        return ast.AtLeast(children[0], self._span(meta))

    def a_open_rate(self, meta, children):  # issue 13: 按 X 的一定比例 (r14-caps)
        return ast.Unspecified(None, self._span(meta), base=children[0])

    def a_unspecified(self, meta, children):
        return ast.Unspecified(self._string(children[0]) if children else None, self._span(meta))

    def a_per_item(self, meta, children):
        return ast.PerItem(children[0], children[1] if len(children) > 1 else None, self._span(meta))

    def a_routing(self, meta, children):
        return ast.Routing(self._string(children[0]), self._span(meta))

    def outcome_verb(self, meta, children):
        return str(children[0])

    def a_outcome(self, meta, children):
        return ast.Routing(self._string(children[1]), self._span(meta), outcome=children[0])

    def e_outcome(self, meta, children):
        return ast.Expected("routing", approver=self._string(children[1]), span=self._span(meta), outcome=children[0])

    def level_row(self, meta, children):
        level, _arrow, amount = children
        return ast.LevelRow(level, amount, self._span(meta))

    def tier_row(self, meta, children):
        threshold, _arrow, amount = children
        return ast.TierRow(threshold, amount, self._span(meta))

    def a_by_level(self, meta, children):
        return ast.ByLevel(children[0], tuple(children[1:]), self._span(meta))

    def bound_tier_row(self, meta, children):
        token, _arrow, amount = children
        threshold, word = self._bound(token)
        return (word, ast.TierRow(threshold, amount, self._span(meta)))

    def a_by_tier(self, meta, children):
        subject, *rest = children
        words = set()
        if isinstance(rest[0], str):
            words.add(rest.pop(0))
        rows = []
        for row in rest:
            if isinstance(row, tuple):
                words.add(row[0])
                row = row[1]
            rows.append(row)
        if len(words) != 1:
            raise _Problem(_tier_words_problem(self.source, meta, words))
        return ast.ByTier(subject, words.pop(), tuple(rows), self._span(meta))

    def cap(self, meta, children):
        return children[0]

    # ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
    def table_head(self, meta, children):
        return tuple(children)

    def empty_cell(self, meta, children):
        return _EMPTY_CELL

    def table_row(self, meta, children):
        level, _arrow, *cells = children
        return ast.TableRow(level, tuple(None if c is _EMPTY_CELL else c for c in cells), self._span(meta))

    def a_by_table(self, meta, children):
        row_fact, column_fact, columns, *rows = children
        return ast.ByTable(row_fact, column_fact, columns, tuple(rows), self._span(meta))

    def band_bound(self, meta, children):
        op, value = children
        return ast.BandBound(op, value, self._span(meta))

    def band_bound_word(self, meta, children):
        value, word = self._bound(children[0])
        return ast.BandBound(word, value, self._span(meta))

    def band_row(self, meta, children):
        *bounds, _arrow, amount = children
        return ast.BandRow(tuple(bounds), amount, self._span(meta))

    def a_by_band(self, meta, children):
        subject, *rest = children
        whole = bool(rest) and isinstance(rest[0], Token) and rest[0].type == "WHOLE_QUANTITY"
        return ast.ByBand(subject, tuple(rest[1:] if whole else rest), whole, self._span(meta))

    def a_each_tier(self, meta, children):
        subject, word, *rest = children
        words, rows = {word}, []
        for row in rest:
            if isinstance(row, tuple):  # 1000万元以上 → …: a row with its own word
                words.add(row[0])
                row = row[1]
            rows.append(row)
        if len(words) != 1:
            raise _Problem(_tier_words_problem(self.source, meta, words))
        return ast.EachTier(subject, word, tuple(rows), self._span(meta))

    def a_upgrade(self, meta, children):
        subject, held, *rows = children
        return ast.Upgrade(subject, held, tuple(rows), self._span(meta))

    # ------------------------------------------------------------ examples
    def assignment(self, meta, children):
        return (children[0], children[1])

    def c_facts(self, meta, children):
        return ("facts", tuple(children))

    def c_on(self, meta, children):
        return ("on", children[0])

    def c_expected(self, meta, children):
        return ("expected", children[0])

    def e_exact(self, meta, children):
        return ast.Expected("exact", children[0], children[0], span=self._span(meta))

    def e_up_to(self, meta, children):
        return ast.Expected("up_to", None, children[0], span=self._span(meta))

    def e_parts(self, meta, children):
        """预期 100万元 本期 50万元: an award paid in parts, the whole and the part paid now."""
        return ast.Expected("parts", children[1], children[0], span=self._span(meta))

    def e_range(self, meta, children):
        return ast.Expected("range", children[0], children[1], span=self._span(meta))

    def e_case_by_case(self, meta, children):
        return ast.Expected("case_by_case", span=self._span(meta))

    def e_unspecified(self, meta, children):
        return ast.Expected("unspecified", span=self._span(meta))

    def e_not_applicable(self, meta, children):
        return ast.Expected("not_applicable", span=self._span(meta))

    def e_at_least(self, meta, children):  # issue 13: floors (r14-caps)
        return ast.Expected("at_least", children[0], None, span=self._span(meta))

    def e_applies(self, meta, children):
        return ast.Expected("applies", span=self._span(meta))

    def e_routing(self, meta, children):
        return ast.Expected("routing", approver=self._string(children[0]), span=self._span(meta))

    def items_value(self, meta, children):
        return ast.ItemsValue(tuple(children), self._span(meta))

    def e_undecidable(self, meta, children):
        return ast.Expected("undecidable", span=self._span(meta))

    def case(self, meta, children):
        title = None
        if children and isinstance(children[0], Token):
            title = self._original(children[0])[1:-1]
            children = children[1:]
        facts, on, expected = [], None, None
        repeated = []  # 评估日 or 预期 written twice in one example: E019, not the last one silently
        for kind, value in children:
            if kind == "facts":
                facts.extend(value)
                continue
            if (on if kind == "on" else expected) is not None:
                repeated.append((kind, value.span))
            if kind == "on":
                on = value
            else:
                expected = value
        return ast.Case(title, tuple(facts), on, expected, self._span(meta), repeated=tuple(repeated))

    # ------------------------------------------------------------ clauses
    def f_source(self, meta, c): return ("source_text", (self._string(c[0]), self._tok_span(c[0])))
    def f_units(self, meta, c): return ("units", tuple(c))
    def f_recipient(self, meta, c): return ("recipient", self._string(c[0]))
    def f_matter(self, meta, c): return ("matter", c[0])
    def f_matter_by(self, meta, c): return ("matter_by", c[0])
    def f_condition(self, meta, c): return ("conditions", c[0])
    def f_once(self, meta, c): return ("once", True)
    def f_uncapped(self, meta, c): return ("uncapped", True)
    def f_note(self, meta, c): return ("notes", self._string(c[0]))
    def f_text_only(self, meta, c): return ("text_only", True)
    def f_case(self, meta, c): return ("cases", c[0])

    def f_award(self, meta, children):
        form = children[0]
        cap = children[1] if len(children) > 1 else None
        return ("award", ast.Award(form, cap, self._span(meta)))

    def f_case_by_case(self, meta, children):
        """一事一议, or 一事一议 最高 X [最高 Y]: case by case with a ceiling is, in money, 最高 X
        (a panel decides, up to X; see ast.UpTo), with Y the clause's cap as usual."""
        span = self._span(meta)
        if not children:
            return ("award", ast.Award(ast.CaseByCase(span), None, span))
        ceiling, *cap = children
        return ("award", ast.Award(ast.UpTo(ceiling, span, case_by_case=True), cap[0] if cap else None, span))

    def start_kind(self, meta, children):
        return str(children[0]) == "次年起"

    def duration_start(self, meta, children):
        return children  # [Name, next_year]

    def f_duration(self, meta, children):
        years_token = children[0]
        start, next_year = (children[1] if len(children) > 1 else (None, False))
        return ("duration", ast.Duration(self._years_of(years_token), str(years_token), start, next_year, self._span(meta)))

    def order(self, meta, children):
        return str(children[0]) == "降序"

    def rank_key(self, meta, children):
        return (children[0], children[1])

    def ranking(self, meta, children):
        return ("ranking", tuple(children))

    def quota_group(self, meta, children):
        return ("groups", tuple(children))

    def select(self, meta, children):
        return ("select", True)

    @staticmethod
    def _quota_tail(rest: list) -> dict:
        """每个 … and 按 …/择优 at the end of a 名额 line, as Quota fields."""
        fields: dict = {}
        while rest and isinstance(rest[-1], tuple):
            key, value = rest.pop()
            fields[key] = value
        return fields

    def f_quota(self, meta, children):
        count, *rest = children
        fields = self._quota_tail(rest)
        unit = rest[0].text if rest else None
        per_year = self._bounded(count, limits.whole, None, str(count), 1, limits.MAX_COUNT, "名额", "the quota")
        return ("quota", ast.Quota(per_year, unit=unit, span=self._span(meta), **fields))

    def f_percent_quota(self, meta, children):
        share_token, base, *rest = children
        share = self._percent(share_token)
        fields = self._quota_tail(rest)
        threshold = self._bounded(rest[0], limits.whole, None, str(rest[0]), 0, limits.MAX_COUNT, "起点人数",
                                  "the threshold") if rest else None
        unit = rest[1].text if len(rest) > 1 else None
        return ("quota", ast.Quota(None, unit=unit, share=share, threshold=threshold, base=base,
                                   span=self._span(meta), **fields))

    def f_part(self, meta, children):
        """其中 50% [第2年] [待 条件] (issue 13: payments in parts)."""
        share = self._percent(children[0])
        year = year_text = None
        condition = None
        for child in children[1:]:
            if isinstance(child, Token) and child.type == "RUN_YEAR":
                first, last, year_text = self._run_year(child)
                if first != last:
                    raise _Problem(error("E344", self._tok_span(child), f"分期的一部分只在一个年度兑现，不能写「{year_text}」",
                                         f"a part is paid in one year, not {year_text!r}",
                                         notes=(Message(f"每年一部分，按原文写出各年的比例（第{first}年、…、第{last}年各一行「其中 P 第N年」）",
                                                        f"one part per year, each with the text's share (a line 其中 P 第N年 "
                                                        f"for each of years {first}–{last})"),)))
                year = first
            else:
                condition = child
        return ("parts", ast.Part(share, year, year_text, condition, self._span(meta)))

    def f_offset(self, meta, children):
        """抵扣 X、Y (issue 13: offsets): the names of the matters or facts that reduce the award."""
        return ("offsets", tuple(children))

    def f_modifier(self, meta, children):
        factor, matter = children
        return ("modifier", ast.Modifier(self._bounded(factor, limits.factor), str(factor), matter, self._span(meta)))

    def _item_number(self, token: Token) -> int:
        """第2项 / 第二项 -> 2."""
        digits = str(token)[1:-1]
        digits = digits if digits.isdigit() else str(chinese_number(digits))
        return self._bounded(token, limits.whole, None, digits, 0, limits.MAX_COUNT, "项号", "the item number")

    def clause(self, meta, children):
        article_token, *rest = children
        item, title = None, None
        while rest and isinstance(rest[0], Token):
            token = rest.pop(0)
            if token.type == "ITEM":
                item = self._item_number(token)
            else:
                title = self._original(token)[1:-1]
        fields: dict = {"conditions": [], "notes": [], "cases": [], "parts": [], "offsets": []}
        repeated = []
        slots: set[str] = set()
        for key, value, span in rest:
            if key == "offsets":  # 抵扣 X、Y on one line or several: all of them, in order
                fields[key].extend(value)
            elif key in ("conditions", "notes", "cases", "parts"):
                fields[key].append(value)
            else:
                # 事项 X and 事项 按 Y fill one slot: a clause pays for one matter (or one per value).
                slot = "matter" if key == "matter_by" else key
                if slot in slots:  # written twice: the check reports it (E019), nothing is dropped silently
                    repeated.append((slot, span))
                slots.add(slot)
                fields[key] = value
        for key in ("conditions", "notes", "cases", "parts", "offsets"):
            fields[key] = tuple(fields[key])

        if "source_text" in fields:  # the quote, and where it is written (for the source checks)
            fields["source_text"], fields["source_span"] = fields["source_text"]
        if article_token.type == "STRING":  # the numbering as written: 条款 "二、（一）1.（1）"
            return ast.Clause(article=self._string(article_token), article_number=0, item=None, title=title,
                              span=self._span(meta), repeated=tuple(repeated), numbered_as_written=True,
                              numbering_span=self._tok_span(article_token), **fields)
        article = str(article_token)
        return ast.Clause(article=article, article_number=chinese_number(article[1:-1]), item=item,
                          title=title, span=self._span(meta), repeated=tuple(repeated), **fields)

    # ------------------------------------------------------------ header
    def h_title(self, meta, c): return ("title", self._string(c[0]))
    def h_issuer(self, meta, c): return ("issuer", self._string(c[0]))
    def h_issued(self, meta, c): return ("issued", c[0])
    def h_effective_from(self, meta, c): return ("effective_from", c[0])
    def h_effective_until(self, meta, c): return ("effective_until", c[0])
    def h_repeals(self, meta, c): return ("repeals", tuple(c))
    def h_scope(self, meta, c): return ("scope", self._string(c[0]))
    def h_principle(self, meta, c): return ("principle", c[0])
    def h_transitional(self, meta, c):
        before = self._year_of(c[1]) if len(c) > 1 else None
        governed_by = c[2] if len(c) > 2 else None
        return ("transitional", ast.Transitional(self._string(c[0]), before, governed_by, self._span(meta)))

    def h_import(self, meta, c): return ("imports", (self._string(c[0]), self._span(meta)))

    def h_budget(self, meta, children):
        payer, token, *rest = children
        amount = ast.Money(self._bounded(token, limits.money), str(token), self._tok_span(token))
        fields = self._quota_tail(list(rest))
        return ("budgets", ast.Budget(payer, amount, fields.get("ranking", ()), fields.get("select", False),
                                      self._span(meta), prorate=fields.get("prorate")))

    def prorate(self, meta, children):
        return ("prorate", str(children[0]))

    def h_split(self, meta, children):
        shares, articles = [], []
        items = list(children)
        while items and isinstance(items[0], ast.Name) and len(items) > 1 and isinstance(items[1], Token):
            payer, share_token = items.pop(0), items.pop(0)
            shares.append((payer, self._percent(share_token)))
        condition = items.pop() if items and not isinstance(items[-1], ast.Name) else None  # 当 …
        articles = items
        return ("splits", ast.Split(tuple(shares), tuple(articles), self._span(meta), condition=condition))
    def h_assessed_year(self, meta, c): return ("assessed_year", c[0])
    def h_note(self, meta, c): return ("notes", self._string(c[0]))
    def h_source_document(self, meta, c):
        return ("source_document", ast.SourceDocument(self._string(c[0]), self._tok_span(c[0])))
    def h_fund_minimum(self, meta, c):
        fund, token = c
        amount = ast.Money(self._bounded(token, limits.money), str(token), self._tok_span(token))
        return ("fund_minimums", ast.FundMinimum(fund, amount, self._span(meta)))
    def h_not_encoded(self, meta, c):
        return ("not_encoded", ast.NotEncoded(self._string(c[0]), self._string(c[1]), self._tok_span(c[0])))

    # ---- issue 13: caps per enterprise (r14-caps)
    def h_enterprise_cap(self, meta, c):
        amount = ast.Money(self._bounded(c[0], limits.money), str(c[0]), self._tok_span(c[0]))
        return ("enterprise_caps", ast.EnterpriseCap(amount, False, None, self._span(meta)))

    def h_enterprise_cap_cumulative(self, meta, c):
        amount = ast.Money(self._bounded(c[0], limits.money), str(c[0]), self._tok_span(c[0]))
        return ("enterprise_caps", ast.EnterpriseCap(amount, True, c[1], self._span(meta)))

    def principle(self, meta, children):
        return str(children[0])

    def assessed_year(self, meta, children):
        return str(children[0])

    def article_ref(self, meta, children):
        token = children[0]
        if token.type == "STRING":
            return ast.Name(self._string(token), self._tok_span(token))
        text = str(token)
        if len(children) > 1:  # 第十二条 第2项: one item, named as its label is (第十二条第2项)
            text += f"第{self._item_number(children[1])}项"
        return ast.Name(text, self._span(meta))

    def policy_id(self, meta, children):
        """(as written, numbered): 嘉政发[2020]6号 keeps its brackets; 无文号 「简称」 gives the name."""
        token = children[0]
        if token.type == "DOCNO":
            return (self._original(token), True)
        return (self._original(token)[1:-1], False)

    def policy_ref(self, meta, children):
        token = children[0]
        return self._original(token)[1:-1] if token.type == "QUOTED_NAME" else self._original(token)

    def h_cofunding(self, meta, children):
        payer, share_token, *articles = children
        share = self._percent(share_token)
        return ("cofunding", ast.CoFunding(payer, share, tuple(articles), self._span(meta)))

    def policy(self, meta, children):
        (docno, numbered), *rest = children
        repeated = ("cofunding", "splits", "budgets", "transitional", "notes", "imports", "not_encoded",
                    "fund_minimums", "enterprise_caps")
        fields: dict = {"repeals": (), **{key: [] for key in repeated}}
        groups = {ast.EnumDecl: "enums", ast.FactDecl: "facts", ast.DefDecl: "defs", ast.MatterDecl: "matters",
                  ast.Clause: "clauses"}
        for key in groups.values():
            fields[key] = []
        twice = []
        for part in rest:
            if isinstance(part, tuple):
                key, value, span = part
                if key in repeated:
                    fields[key].append(value)
                else:
                    if key in fields and key not in ("repeals",) or key == "repeals" and fields["repeals"]:
                        twice.append((key, span))
                    fields[key] = value
            else:
                fields[groups[type(part)]].append(part)
        for key in (*repeated, *groups.values()):
            fields[key] = tuple(fields[key])
        fields["import_spans"] = tuple(span for _path, span in fields["imports"])
        fields["imports"] = tuple(path for path, _span in fields["imports"])
        return ast.Policy(docno=docno, numbered=numbered, path=self.source.path, span=self._span(meta),
                          repeated=tuple(twice), **fields)

    def start(self, meta, children):
        return children[0]


def _with_span(method):
    """A clause or header field callback, also giving the field's span: a field written twice
    is reported at its second occurrence (E019)."""
    def wrapped(self, meta, children):
        key, value = method(self, meta, children)
        return key, value, self._span(meta)
    wrapped.__name__ = method.__name__
    return wrapped


for _name in [n for n in vars(_ToAst) if n.startswith(("f_", "h_"))]:
    setattr(_ToAst, _name, _with_span(vars(_ToAst)[_name]))
# Rule name -> builder(self, meta, children), read once: see _build.
_BUILDERS = {name: method for name, method in vars(_ToAst).items() if not name.startswith("_") and callable(method)}
_ToAst = v_args(meta=True)(_ToAst)


def _build(source: SourceFile, tree: Tree):
    """The AST of a parse tree: what _ToAst(source).transform(tree) gives, built bottom-up
    without recursion and with each rule's builder looked up in a table. Lark's Transformer
    wraps the method again for every node it visits (functools.update_wrapper per call),
    which was a third of the time spent parsing."""
    builder = _ToAst(source)
    stack = [(tree, iter(tree.children), [])]
    while True:
        node, pending, built = stack[-1]
        for child in pending:
            if isinstance(child, Tree):
                stack.append((child, iter(child.children), []))
                break
            built.append(child)  # tokens are kept as they are (no token callbacks)
        else:
            stack.pop()
            method = _BUILDERS.get(node.data)
            value = method(builder, node.meta, built) if method is not None else Tree(node.data, built, node.meta)
            if not stack:
                return value
            stack[-1][2].append(value)


def _tier_words_problem(source: SourceFile, meta, words: set[str]) -> Diagnostic:
    """E036: the rows of one 分档 table must all compare the same way, and some word must say how."""
    line_end = source.text.find("\n", meta.start_pos)
    span = span_of_offsets(source, meta.start_pos, line_end if line_end >= 0 else len(source.text))
    if not words:
        return error("E036", span, "分档没有说明怎样比较：门槛前后都没有比较词",
                     "the tiers do not say how to compare: no comparison word before or after the thresholds",
                     suggestion=Message("在「分档」前写比较词（按 研发投入 超过 分档），或在每档门槛后写「以上」（5000万元以上 → 50万元）",
                                        "write a comparison word before 分档 (按 研发投入 超过 分档), or 以上 after each threshold (5000万元以上 → 50万元)"))
    listed = "、".join(sorted(words))
    return error("E036", span, f"同一分档中的比较不一致：{listed}",
                 f"the tiers of one table compare in different ways: {listed}",
                 notes=(Message("以上/及以上 读作「不低于」，以下/以内 读作「不超过」（含本数）；加「(不含)」则不含本数",
                                "以上/及以上 read as 不低于 (≥), 以下/以内 as 不超过 (≤), the number included; (不含) excludes it"),),
                 suggestion=Message("各档用同一种比较：都写「以上」，或只在「分档」前写一个比较词",
                                    "compare every tier the same way: 以上 on each row, or one word before 分档"))


def _years(token: Token) -> int:
    return chinese_number(str(token)[:-1])


# ---------------------------------------------------------------- keywords against names
# (Syntax errors are classified in compiler.syntax_errors; the checker also uses these two.)
def keyword_against_name(name: str, span: Span | None) -> Diagnostic | None:
    """The diagnostic for a keyword written straight against a name, if that is what happened."""
    split = split_keyword(name)
    if split is None:
        return None
    before, word, after = split
    fixed = " ".join(part for part in (before, word, after) if part)
    parts_zh = "、".join(f"「{p}」" for p in (before, after) if p)
    return error(
        "E002", span,
        f"关键字「{word}」与名称{parts_zh}连写在一起，被读成了一个名称「{name}」",
        f"the keyword 「{word}」 is written straight against the name {parts_zh}, so it was read as one name 「{name}」",
        notes=(Message("中文没有空格分词：关键字和名称之间必须用空格或标点隔开",
                       "Chinese has no spaces between words: separate keywords from names with a space or punctuation"),),
        suggestion=Message(f"在关键字两侧加空格：{fixed}", f"put spaces around the keyword: {fixed}"))


# Rules whose nodes are expressions: the transformer, and every pass after it, recurse once
# per level of these, so their nesting is what limits.MAX_NESTING bounds.
_EXPRESSION_RULES = frozenset({
    "or_", "and_", "not_", "compare", "member", "not_member", "run_of_years", "add", "sub", "mul", "div",
    "neg", "prev_year", "floor", "growth", "ref", "assessed_year_ref", "year", "money", "unit_price",
    "percent", "number", "true", "false"})


def _too_deep(source: SourceFile, tree: Tree) -> Diagnostic | None:
    """The first expression nested deeper than limits.MAX_NESTING, found without recursion
    (the tree may be thousands of levels deep; Lark's LALR parser builds it iteratively)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in _EXPRESSION_RULES:
            depth += 1
            if depth > limits.MAX_NESTING:
                meta = node.meta
                span = span_of_offsets(source, meta.start_pos, meta.end_pos) if not meta.empty else None
                return error(
                    "E101", span, f"表达式嵌套过深：超过 {limits.MAX_NESTING} 层",
                    f"the expression is nested too deeply: more than {limits.MAX_NESTING} levels",
                    notes=(Message("条件和公式（且、或、非、比较、+ - × ÷ 等）最多嵌套 "
                                   f"{limits.MAX_NESTING} 层；一长串「且」或「+」每一项算一层",
                                   f"conditions and formulas (且 或 非, comparisons, + - × ÷ …) nest at most "
                                   f"{limits.MAX_NESTING} levels; each term of a long chain of 且 or + is a level"),),
                    suggestion=Message("把条件拆成几行「当 …」（各行同时满足），或用「定义」给中间结果命名",
                                       "split the condition over several 当 lines (all must hold), or name parts with 定义"))
        stack.extend((child, depth) for child in node.children if isinstance(child, Tree))
    return None


def parse(source: SourceFile) -> tuple[ast.Policy | None, list[Diagnostic]]:
    """Parse one source file. Returns the AST, or None and the diagnostics that stopped it."""
    if len(source.text) > limits.MAX_SOURCE_CHARS:
        return None, [error(
            "E103", span_of_offsets(source, 0, 1), f"文件过大：{len(source.text)} 个字符，最多 {limits.MAX_SOURCE_CHARS} 个",
            f"the file is too large: {len(source.text)} characters, at most {limits.MAX_SOURCE_CHARS}",
            suggestion=Message("把政策拆成几个文件，共用的声明放进词汇文件（引用 \"…\"）",
                               "split the policy into several files, with shared declarations in a vocabulary (引用 \"…\")"))]
    normalised = normalise(source.text)
    runner = _runner()
    if runner is not None:
        try:
            return runner.run(normalised, _ToAst(source)), []
        except lalr.Fallback:  # a problem somewhere: the parse below reports it, exactly as it always did
            pass
    return _parse_by_tree(source, normalised)


@functools.cache
def _runner() -> lalr.Runner | None:
    """The fast runner over the grammar's tables (compiler/lalr.py), built once per process."""
    try:
        return lalr.Runner(_lark(), _BUILDERS, _EXPRESSION_RULES, limits.MAX_NESTING)
    except lalr.Unsupported:
        return None


def _parse_by_tree(source: SourceFile, normalised: str) -> tuple[ast.Policy | None, list[Diagnostic]]:
    """Lark's parse tree, then the AST built from it: what every draft went through before the
    runner, and what a draft with a problem still goes through (the diagnostics come from here)."""
    try:
        tree = _lark().parse(normalised)
    except UnexpectedInput:
        # Only a file that fails pays for recovery: every error, in the drafter's words.
        from .syntax_errors import syntax_errors  # it uses this module's grammar and keywords
        return None, syntax_errors(source)
    too_deep = _too_deep(source, tree)
    if too_deep is not None:
        return None, [too_deep]
    try:
        return _build(source, tree), []
    except _Problem as problem:
        return None, [problem.diagnostic]


def parse_text(text: str, path: str = "<text>") -> tuple[ast.Policy | None, list[Diagnostic]]:
    return parse(SourceFile(path, text))
