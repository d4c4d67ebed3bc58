"""The polc evaluation runtime: standard library only, one module shared by all generated code.

Generated evaluator modules import it (`from .runtime import …`): `polc build` copies this
file, byte for byte, beside them (`generated/runtime.py`, or into a `--package`), so the
results of every module of a build are instances of the same classes. `polc build
--standalone` instead inlines it into each module, for those who want one file. The
reference interpreter imports it directly. It holds what all of them must share for their
results to be comparable: fact validation, three-valued logic, the wording of traces, awards
and their rounding, the typed results (frozen dataclasses) and the 就高不重复 resolution. How a
clause is *evaluated* is not here: the generated module does it with straight-line code, the
interpreter by walking the AST.

RUNTIME_VERSION names the interface generated code relies on. A generated module checks it
when imported and refuses (ImportError naming both versions) to run against another one. It
changes whenever a generated module built against the previous runtime could notice: a name
it uses removed or renamed, a signature or a field changed, a value meaning something else
(tests/test_api.py holds the interface's fingerprint and fails if it changes while the
version does not).

Rounding: every amount of money is rounded to 0.01 元 (分), half up (ROUND_HALF_UP), once,
when an award is produced. Intermediate values are exact Decimals.
"""

import dataclasses
import datetime
import json
import operator
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

RUNTIME_VERSION = "4"
CENT = Decimal("0.01")
_ZERO = Decimal(0)
_NO_CENTS = Decimal("0.00")
ROUNDING = "金额四舍五入到分（0.01元，ROUND_HALF_UP）；中间计算精确，不作舍入"
ROUNDING_EN = "amounts are rounded to 0.01 yuan, half up; intermediate values are exact"
_UNITS = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000),
          "万亿元": Decimal(1000000000000)}
_MONEY_TEXT = re.compile(r"\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(万亿元|亿元|万元|元)?\s*")


# ---------------------------------------------------------------- facts
@dataclasses.dataclass(frozen=True, slots=True)
class FactProblem:
    """One thing wrong with the facts of a call: which fact (its name, `name.2019` for a year
    of a series, `name[2]` for an item, "*" for facts that are not a mapping, "on" for the
    date), and what is wrong, in Chinese and in English."""

    fact: str
    problem_zh: str
    problem_en: str

    def __str__(self) -> str:
        return f"事实「{self.fact}」{self.problem_zh} / fact {self.fact!r}: {self.problem_en}"


class FactError(ValueError):
    """The facts of one call do not fit the declared facts: unknown names, values of the wrong
    type, out of range. `problems` lists every problem found in the call (all of them are
    checked before anything is evaluated); `fact`, `problem_zh` and `problem_en` are those of
    the first. The message lists them all."""

    problems: tuple[FactProblem, ...]
    fact: str
    problem_zh: str
    problem_en: str

    def __init__(self, fact: object, problem_zh: str, problem_en: str,
                 more: Iterable[FactProblem] = ()) -> None:
        if not isinstance(fact, str) or len(fact) > 80:  # a bad key may be megabytes long: do not print it all
            fact = shown(fact, 80, str)
        problems = (FactProblem(str(fact), problem_zh, problem_en), *more)
        if len(problems) == 1:
            message = str(problems[0])
        else:
            message = (f"{len(problems)} 个事实有误 / {len(problems)} problems with the facts:\n"
                       + "\n".join(f"  {problem}" for problem in problems))
        super().__init__(message)
        self.problems = problems
        self.fact = problems[0].fact
        self.problem_zh = problem_zh
        self.problem_en = problem_en

    @classmethod
    def of(cls, problems: Iterable[FactProblem]) -> "FactError":
        """One error for several problems (at least one)."""
        first, *more = problems
        return cls(first.fact, first.problem_zh, first.problem_en, more)


class FactSpec(typing.NamedTuple):
    """A declared fact as evaluate() reads it (the values of FACTS). A tuple too, so
    `spec[0]` still reads `kind`."""

    kind: str                            # money | percent | number | bool | year | date | enum | text
    yearly: bool                         # 逐年: a mapping year -> value
    options: tuple[str, ...] | None      # an enumeration's labels, in declared order
    items: bool = False                  # 逐项: a list of values


# Bounds on numeric facts: every value is finite, is read without rounding, and cannot make
# arithmetic or comparisons blow up. Money and counts are below 10^15 in size (1000万亿元,
# beyond any enterprise's figure); ratios below 10^6 (100,000,000%); at most 28 significant
# digits and 28 decimal places (the precision of the arithmetic); numeric text of at most
# 64 characters; years 1000–9999.
MAX_MAGNITUDE = {"money": Decimal(10) ** 15, "number": Decimal(10) ** 15, "percent": Decimal(10) ** 6}
MAX_DIGITS = 28
MAX_NUMBER_TEXT = 64
_BOUND_WORDS = {"money": ("金额须小于 10^15 元（1000万亿元）", "money must be below 10^15 yuan"),
                "number": ("数值的绝对值须小于 10^15", "numbers must be below 10^15 in size"),
                "percent": ("比例的绝对值须小于 10^6（即 1亿%）", "ratios must be below 10^6 (100,000,000%) in size")}


def shown(value, limit=60, show=repr):
    """repr of a value for a message, cut short: a fact value may be megabytes long."""
    try:
        text = show(value)
    except ValueError:  # an int too long to print (sys.int_info.default_max_str_digits)
        return f"<{value.bit_length()} 位二进制的整数 / a {value.bit_length()}-bit integer>"
    return text if len(text) <= limit else f"{text[:limit]}…（共 {len(text)} 字符）"


def _bounded(value, fact, kind):
    """value (a Decimal) if it is finite and within the bounds for kind; else FactError."""
    if not value.is_finite():
        raise FactError(fact, f"应为有限的数，得到的是 {value}", f"must be a finite number, got {value}")
    _sign, digits, exponent = value.as_tuple()
    if len(digits) <= MAX_DIGITS and exponent >= -MAX_DIGITS and abs(value) < MAX_MAGNITUDE[kind]:
        return value  # the usual value: few digits, within bounds (the exact count below is slow)
    digits = "".join(map(str, digits)).lstrip("0")
    trailing = len(digits) - len(digits.rstrip("0"))
    if len(digits) - trailing > MAX_DIGITS or exponent + trailing < -MAX_DIGITS:
        raise FactError(fact, f"有效数字或小数位超过 {MAX_DIGITS} 位：{shown(str(value))}",
                        f"more than {MAX_DIGITS} significant digits or decimal places: {shown(str(value))}")
    if abs(value) >= MAX_MAGNITUDE[kind]:
        zh, en = _BOUND_WORDS[kind]
        raise FactError(fact, f"超出范围：{shown(str(value))}（{zh}）", f"out of range: {shown(str(value))} ({en})")
    return value


def _numeric_text(value, fact):
    if len(value) > MAX_NUMBER_TEXT:
        raise FactError(fact, f"数值文字过长（{len(value)} 字符，上限 {MAX_NUMBER_TEXT}）",
                        f"numeric text of {len(value)} characters (at most {MAX_NUMBER_TEXT})")
    return value.strip()


def _decimal(value, fact, what_zh, what_en, kind):
    if isinstance(value, bool):
        raise FactError(fact, f"应为{what_zh}，得到的是 {json.dumps(value)}", f"expected {what_en}, got {value!r}")
    if isinstance(value, Decimal):
        return _bounded(value, fact, kind)
    if isinstance(value, int):
        if abs(value) >= MAX_MAGNITUDE[kind]:  # before Decimal(): an int may have any number of digits
            zh, en = _BOUND_WORDS[kind]
            raise FactError(fact, f"超出范围（{zh}）", f"out of range ({en})")
        return Decimal(value)
    if isinstance(value, float):
        # repr() gives the shortest decimal that reads back as this float: 0.1 -> '0.1'.
        return _bounded(Decimal(repr(value)), fact, kind)
    raise FactError(fact, f"应为{what_zh}，得到的是 {shown(value)}", f"expected {what_en}, got {shown(value)}")


# Digit grouping is accepted only where it cannot be misread: 1,200,000.50 (groups of three
# before the point). "1.200,5" (a European decimal comma) is refused rather than read wrongly.
_MONEY_GROUPED = re.compile(r"\s*(-?[0-9]{1,3}(?:[,，][0-9]{3})+(?:\.[0-9]+)?)\s*(万亿元|亿元|万元|元)?\s*")


# What the parse_* functions accept, as types (a generated module's Facts TypedDict uses them):
# money, percentages and numbers as numbers or text ("30万元", "5%"); yes/no as a bool or its
# word; a year as a number or text ("2019", "2019年"); a date as a date or text; a 标识 as text
# or a code.
NumberInput: typing.TypeAlias = Decimal | int | float | str
BoolInput: typing.TypeAlias = bool | typing.Literal["是", "否", "true", "false", "True", "False"]
YearInput: typing.TypeAlias = int | str | Decimal
DateInput: typing.TypeAlias = datetime.date | str
TextInput: typing.TypeAlias = str | int


def parse_money(value, fact="?"):
    """A number of 元, or text with a unit: "30亿元", "5000万元", "1.6万亿元", "120000"."""
    if isinstance(value, str):
        text = _numeric_text(value, fact)
        if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
            amount = Decimal(text)  # whole 元 without a unit, the usual cell: no pattern needed
            if amount < MAX_MAGNITUDE["money"]:
                return amount
        grouped = "," in text or "，" in text
        match = (_MONEY_GROUPED if grouped else _MONEY_TEXT).fullmatch(text)
        if not match and grouped and _MONEY_TEXT.fullmatch(text.replace("，", "").replace(",", "")):
            raise FactError(fact, f"数字分组有歧义：{shown(value)}（千位分隔须每三位一个逗号，小数点用“.”，如 1,200.5）",
                            f"ambiguous digit grouping: {shown(value)} (thousands grouped by three, a '.' point: 1,200.5)")
        if not match:
            raise FactError(fact, f"不是金额：{shown(value)}（应为元数，或带单位如 \"30万元\"）",
                            f"not an amount of money: {shown(value)} (a number of yuan, or with a unit such as \"30万元\")")
        amount = _bounded(Decimal(match.group(1).replace("，", "").replace(",", "")), fact, "money")
        return _bounded(amount * _UNITS[match.group(2) or "元"], fact, "money")
    return _decimal(value, fact, "金额（元）", "an amount of money in yuan", "money")


def parse_ratio(value, fact="?"):
    """A percentage as text "5%", or the fraction as a number (0.05)."""
    if isinstance(value, str):
        text = _numeric_text(value, fact)
        try:
            if text.endswith("%"):
                number = _bounded(Decimal(text[:-1]), fact, "percent")
                return _bounded(number / 100, fact, "percent")
            return _bounded(Decimal(text), fact, "percent")
        except InvalidOperation:
            raise FactError(fact, f"不是百分比：{shown(value)}（应如 \"5%\" 或 0.05）",
                            f"not a percentage: {shown(value)} (such as \"5%\" or 0.05)") from None
    return _decimal(value, fact, "百分比（如 \"5%\" 或 0.05）", 'a percentage ("5%" or 0.05)', "percent")


def parse_number(value, fact="?"):
    if isinstance(value, str):
        text = _numeric_text(value, fact)
        try:
            return _bounded(Decimal(text), fact, "number")
        except InvalidOperation:
            raise FactError(fact, f"不是数值：{shown(value)}", f"not a number: {shown(value)}") from None
    return _decimal(value, fact, "数值", "a number", "number")


def parse_bool(value, fact="?"):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip() in ("是", "true", "True"):
        return True
    if isinstance(value, str) and value.strip() in ("否", "false", "False"):
        return False
    raise FactError(fact, f"应为是/否（true/false），得到的是 {shown(value)}", f"expected true/false, got {shown(value)}")


def parse_year(value, fact="?"):
    """A year 1000–9999: an integer, or text such as "2019" or "2019年"."""
    if isinstance(value, bool):
        year = None
    elif isinstance(value, str):
        text = value.strip().removesuffix("年")
        year = int(text) if text.isascii() and text.isdigit() and len(text) == 4 else None
    elif isinstance(value, int):
        year = value
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value() and abs(value) < 10000:
        year = int(value)
    else:
        year = None
    if year is None or not 1000 <= year <= 9999:
        raise FactError(fact, f"应为年份（如 2019），得到的是 {shown(value)}", f"expected a year such as 2019, got {shown(value)}")
    return year


def parse_date(value, fact="?"):
    if isinstance(value, datetime.datetime):
        return value.date()  # Excel and pandas give dates as datetimes: the day is what counts
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and len(value) <= MAX_NUMBER_TEXT:
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})|([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日", value.strip())
        if match:
            parts = [int(p) for p in match.groups() if p is not None]
            try:
                return datetime.date(*parts)
            except ValueError:
                pass
    raise FactError(fact, f"应为日期（如 2020-06-30），得到的是 {shown(value)}",
                    f"expected a date such as 2020-06-30, got {shown(value)}")


def parse_text(value, fact="?"):
    """标识: a name or code that identifies something (a headquarters, a round), used to group."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
        raise FactError(fact, f"应为标识（文字或编号），得到的是 {value!r}", f"expected an identifier (text or a code), got {value!r}")
    return str(value).strip()


_PARSERS = {"text": parse_text, "money": parse_money, "percent": parse_ratio, "number": parse_number,
            "bool": parse_bool, "year": parse_year, "date": parse_date}


def _closest(word, choices):
    """The choice nearest to word by edit distance, if it is near enough to suggest."""
    def distance(a, b):
        row = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            previous, row[0] = row[0], i
            for j, cb in enumerate(b, 1):
                previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
        return row[-1]
    near_enough = max(1, len(word) // 2)
    # The distance is at least the difference in length: skipping those keeps a long
    # misspelling (a megabyte-long key) from costing length x length steps.
    scored = sorted((distance(word, c), c) for c in choices if abs(len(c) - len(word)) <= near_enough)
    if scored and scored[0][0] <= near_enough:
        return scored[0][1]
    return None


def _parse_scalar(name, spec, value):
    base, options = spec[0], spec[2]
    if base == "enum":
        if value not in options:
            near = _closest(value, options) if isinstance(value, str) else None
            hint_zh = f"；是否想写「{near}」？" if near else ""
            hint_en = f"; did you mean {near!r}?" if near else ""
            raise FactError(name, f"的取值 {shown(value)} 不在可选值 {'、'.join(options)} 之中{hint_zh}",
                            f"value {shown(value)} is not one of {', '.join(options)}{hint_en}")
        return value
    return _PARSERS[base](value, name)


MAX_PROBLEMS = 100  # reported per call; a row of a million bad facts does not build a million messages


def validate_facts(raw, schema):
    """Check raw facts (e.g. decoded JSON) against the declared facts; return typed values.

    Keys are fact names; a value of None means "not known" and is the same as leaving the
    fact out. A yearly series is a mapping of year -> value. Every fact is checked, and one
    FactError lists every problem found (up to MAX_PROBLEMS).
    """
    if not isinstance(raw, Mapping):
        raise FactError("*", f"事实应为以事实名称为键的对象，得到的是 {type(raw).__name__}",
                        f"facts must be a mapping keyed by fact names, got {type(raw).__name__}")
    typed = {}
    problems = []
    for name, value in raw.items():
        try:
            checked = _validate_fact(name, value, schema)
        except FactError as exc:
            problems.extend(exc.problems)
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        if checked is not None:
            typed[name] = checked
    if problems:
        raise FactError.of(problems[:MAX_PROBLEMS])
    return typed


def _validate_fact(name, value, schema):
    """One fact's typed value (None: unknown); FactError listing its problems."""
    spec = schema.get(name)
    if spec is None:
        near = _closest(name, list(schema)) if isinstance(name, str) else None
        hint_zh = f"；是否想写「{near}」？" if near else ""
        hint_en = f"; did you mean {near!r}?" if near else ""
        raise FactError(name, f"未声明{hint_zh}", f"is not a declared fact{hint_en}")
    if value is None:
        return None
    if len(spec) > 3 and spec[3]:
        if not isinstance(value, (list, tuple)):
            raise FactError(name, "是逐项数据，应写成列表 [ …, … ]", "is a list of items: write it as [..., ...]")
        return [_parse_scalar(f"{name}[{index}]", spec, item) for index, item in enumerate(value, 1)]
    if spec[1]:
        if not isinstance(value, Mapping):
            raise FactError(name, "是逐年数据，应写成 {\"2019\": …, \"2020\": …}",
                            'is a yearly series: write it as {"2019": ..., "2020": ...}')
        series, problems = {}, []
        for year, item in value.items():
            if item is None:
                continue
            # The label (营业收入.2019) names the value only in a message: made when one is needed.
            try:
                number = parse_year(year)
                if number not in series:
                    series[number] = _parse_scalar(name, spec, item)
                    continue
            except FactError:
                pass
            label = f"{name}.{shown(year, 16, str)}"
            try:
                number = parse_year(year, label)
                if number in series:
                    raise FactError(label, f"与同一年份的另一个值重复（{number}年）", f"repeats the year {number}")
                series[number] = _parse_scalar(label, spec, item)
            except FactError as exc:
                problems.extend(exc.problems)
                if len(problems) >= MAX_PROBLEMS:
                    break
        if problems:
            raise FactError.of(problems)
        return series
    return _parse_scalar(name, spec, value)


# ---------------------------------------------------------------- formatting
def format_money(value):
    """3100000000 -> 31亿元; 125000 -> 12.5万元; 800 -> 800元 (exact, no rounding)."""
    if value is None:
        return "（缺）"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for unit, factor in (("亿元", _UNITS["亿元"]), ("万元", _UNITS["万元"])):
        if value >= factor:
            return sign + _plain(value / factor) + unit
    return sign + _plain(value) + "元"


def _plain(value):
    text = format(value.normalize(), "f")
    return text


def format_value(value, kind):
    if value is None:
        return "（缺）"
    if kind == "money":
        return format_money(value)
    if kind == "percent":
        # Display only: a growth rate such as 1/9 is shown to two decimals, marked ≈.
        shown = value * 100
        if shown != shown.quantize(CENT):
            return "≈" + _plain(shown.quantize(CENT, rounding=ROUND_HALF_UP)) + "%"
        return _plain(shown) + "%"
    if kind == "bool":
        return "是" if value else "否"
    if kind == "year":
        return f"{value}年"
    if isinstance(value, Decimal):
        return _plain(value)
    return str(value)


def yuan(value):
    """The contract's money form: 元 as a decimal string with two places. A zero is "0.00",
    never "-0.00" (0 × a negative rate is a negative zero in Decimal arithmetic)."""
    if value is None:
        return None
    value = value.quantize(CENT, ROUND_HALF_UP)  # positional: keywords are parsed several times slower
    return str(value.copy_abs() if value.is_zero() else value)


_OUTCOME = {True: "成立", False: "不成立", None: "无法判定"}


# ---------------------------------------------------------------- evaluating one clause
def kleene_and(left, right):
    if left is False or right is False:
        return False
    if left is None or right is None:
        return None
    return True


def kleene_or(left, right):
    if left is True or right is True:
        return True
    if left is None or right is None:
        return None
    return False


def kleene_not(value):
    return None if value is None else not value


_COMPARE = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le, "eq": operator.eq}


def floor(value):
    return None if value is None else value.to_integral_value(rounding=ROUND_FLOOR)


def add(left, right):
    return None if left is None or right is None else left + right


def sub(left, right):
    return None if left is None or right is None else left - right


def mul(left, right):
    return None if left is None or right is None else left * right


def div(left, right):
    return None if left is None or right is None or right == 0 else left / right


ARITHMETIC = {"+": add, "-": sub, "×": mul, "÷": div}


def arith(op, left, right):
    """The interpreter's way in; generated code calls add/sub/mul/div directly."""
    return ARITHMETIC[op](left, right)


def _line_compare(label, where, left, right, kind, result):
    return f"{label}{where}：{format_value(left, kind)} 对 {format_value(right, kind)} → {_OUTCOME[result]}"


def _line_first_time(label, year, current, threshold, kind, series, op, result):
    earlier_text = ""
    if current is not None and threshold is not None:
        earlier = sorted(y for y in series if y < year)
        passed = [y for y in earlier if _COMPARE[op](series[y], threshold)]
        if passed:
            earlier_text = f"，{passed[0]}年已达到"
        elif len(earlier) == 1:
            earlier_text = f"，此前{earlier[0]}年未达到"
        elif earlier:
            earlier_text = f"，此前{earlier[0]}–{earlier[-1]}年均未达到"
        else:
            earlier_text = "，此前无记录"
    return (f"{label}［{year}年］：{format_value(current, kind)} 对 {format_value(threshold, kind)}"
            f"{earlier_text} → {_OUTCOME[result]}")


def _line_value(label, value, kind, result):
    return f"{label}：{format_value(value, kind)} → {_OUTCOME[result]}"


def _line_define(label, value, kind):
    return f"{label} = {format_value(value, kind)}"


def _line_growth_undefined(name, year):
    return f"{name}{year - 1}年为0，{year}年增速无法计算"


def _line_compare_year(label, year, left, right, kind, result):
    return _line_compare(label, f"［{year}年］", left, right, kind, result)


# Traces are lazy, twice over (why: a batch of 100,000 applicants × 160 clauses shows no
# trace, and formatting one — Chinese amounts, years, outcomes — costs more than deciding
# the clause):
# - an entry is kept as (formatter, *arguments) while evaluating and turned into text only
#   when someone reads it (render_trace, from ClauseResult.trace or .to_json());
# - a Run whose `tracing` is False (polc's batch, when no full record is wanted) keeps no
#   entries at all: generated code tests it before building an entry, and so do the award
#   functions below.
# Generated modules build the entries of conditions, comparisons and definitions inline (no
# method call per condition), with the same formatters the Run methods use, so the
# interpreter (which calls the methods) and generated code give the same trace. These are
# the names they import; the formatters' wording stays here, in one place.
trace_value = _line_value
trace_compare = _line_compare
trace_compare_year = _line_compare_year
trace_define = _line_define
trace_first_time = _line_first_time


def render_trace(entries):
    """Trace entries are kept as (formatter, *arguments) while evaluating, and turned into
    text only when someone reads them: a batch over 100,000 applicants formats nothing it
    does not show."""
    return [entry if isinstance(entry, str) else entry[0](*entry[1:]) for entry in entries]


class Run:
    """The state of evaluating one clause for one applicant: facts, year, trace, missing facts.

    `tracing` (a class attribute) says whether trace entries are wanted: True here; polc's
    batch evaluates with a subclass that sets it False and records none. Code that adds to
    `trace` tests it first (the methods of a subclass that records nothing may be overridden
    instead); `trace` is a list either way, so code that does not test it still works."""

    __slots__ = ("facts", "year", "trace", "missing", "factor", "item")
    tracing = True

    def __init__(self, facts, year, factor=None):
        self.facts = facts
        self.year = year
        self.trace = []
        self.missing = []
        self.factor = factor  # (coefficient, which clause set it) from a MODIFIER clause
        self.item = {}        # 逐项 facts: the item being evaluated, by fact name

    def _miss(self, what):
        if what not in self.missing:
            self.missing.append(what)

    def missed(self, name):
        """Record a fact the applicant did not give (generated code reads facts itself and
        calls this only when one is None); missing facts are listed once, in order."""
        if name not in self.missing:
            self.missing.append(name)

    def fact(self, name):
        if name in self.item:
            return self.item[name]
        value = self.facts.get(name)
        if value is None:
            self._miss(name)
        return value

    def at(self, name, offset):
        """A yearly fact's value in the assessed year minus offset."""
        series = self.facts.get(name)
        year = self.year - offset
        if series is None:
            self._miss(name)
            return None
        value = series.get(year)
        if value is None:
            self._miss(f"{name}（{year}年）")
        return value

    def growth(self, name, offset):
        current, previous = self.at(name, offset), self.at(name, offset + 1)
        if current is None or previous is None:
            return None
        if previous == 0:
            if self.tracing:
                self.trace.append((_line_growth_undefined, name, self.year - offset))
            return None
        return (current - previous) / previous

    def note(self, text):
        self.trace.append(text)

    def note_lazily(self, formatter, *arguments):
        """A trace line formatted only if the trace is read (and kept only when tracing)."""
        if self.tracing:
            self.trace.append((formatter, *arguments))

    def compare(self, label, op, left, right, kind, offset=None):
        result = None if left is None or right is None else _COMPARE[op](left, right)
        where = "" if offset is None else f"［{self.year - offset}年］"
        self.trace.append((_line_compare, label, where, left, right, kind, result))
        return result

    def first_time(self, label, op, name, threshold, kind, offset):
        """首次…: the year's value passes, and no recorded earlier year did."""
        year = self.year - offset
        series = self.facts.get(name)
        current = None if series is None else series.get(year)
        if current is None:
            self.at(name, offset)  # records what is missing: the fact, or its year
        if current is None or threshold is None:
            result = None
        else:
            test = _COMPARE[op]
            result = test(current, threshold)
            if result:
                for earlier_year, value in series.items():
                    if earlier_year < year and test(value, threshold):
                        result = False
                        break
        # The words about earlier years are worked out only if the trace is read.
        self.trace.append((_line_first_time, label, year, current, threshold, kind,
                           self.facts.get(name), op, result))
        return result

    def compare_ordered(self, label, op, left, right, order):
        """Comparison of an ordered enumeration (嘉奖 < 记三等功 < …) by position."""
        if left is None or right is None:
            result = None
        else:
            result = _COMPARE[op](order.index(left), order.index(right))
        self.trace.append(f"{label}：{left if left is not None else '（缺）'} 对 {right} → {_OUTCOME[result]}")
        return result

    def member(self, label, value, options, negated):
        result = None if value is None else ((value in options) != negated)
        self.trace.append((_line_value, label, value, "enum", result))
        return result

    def truth(self, label, value):
        self.trace.append((_line_value, label, value, "bool", value))
        return value

    def run_of_years(self, label, results):
        """连续N年: combine the per-year outcomes (already traced) into one."""
        combined = True
        for outcome in results:
            combined = kleene_and(combined, outcome)
        self.trace.append(f"{label} → {_OUTCOME[combined]}")
        return combined

    def define(self, label, value, kind):
        self.trace.append((_line_define, label, value, kind))
        return value


class QuietRun(Run):
    """A Run that keeps no trace (`tracing` False): for callers that never show one — polc's
    batch without --trace, and a clause's decision function when it needs a Run for a helper
    (see decide_by_running). Each method decides exactly as Run does (tests/test_compact.py
    and tests/test_decisions.py compare the two)."""

    __slots__ = ()
    tracing = False  # generated code and the award functions build no trace entries

    def note(self, text):
        pass

    def compare(self, label, op, left, right, kind, offset=None):
        return None if left is None or right is None else _COMPARE[op](left, right)

    def first_time(self, label, op, name, threshold, kind, offset):
        year = self.year - offset
        series = self.facts.get(name)
        current = None if series is None else series.get(year)
        if current is None:
            self.at(name, offset)  # records what is missing: the fact, or its year
            return None
        if threshold is None:
            return None
        test = _COMPARE[op]
        if not test(current, threshold):
            return False
        for earlier_year, value in series.items():
            if earlier_year < year and test(value, threshold):
                return False
        return True

    def compare_ordered(self, label, op, left, right, order):
        return None if left is None or right is None else _COMPARE[op](order.index(left), order.index(right))

    def member(self, label, value, options, negated):
        return None if value is None else ((value in options) != negated)

    def truth(self, label, value):
        return value

    def run_of_years(self, label, results):
        combined = True
        for outcome in results:
            combined = kleene_and(combined, outcome)
        return combined

    def define(self, label, value, kind):
        return value


# ---------------------------------------------------------------- results
@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class ClauseSpec:
    """What a result needs to know about a clause: where it is, what it is, how to run it
    (the entries of a generated module's CLAUSES)."""

    policy: str                      # 文号
    article: str                     # 第七条
    item: int | None                 # 第2项, or None
    title: str | None
    matter: str | None               # 事项
    source: str                      # path:line of the .pol file
    evaluate: Callable[[Run], typing.Any] = dataclasses.field(repr=False)
    duration: int | None = None      # 期限 N年: paid each year for N years
    start_fact: str | None = None    # the year the 期限 starts from
    start_next_year: bool = False
    cofunded: bool = True
    modifies: tuple[str, Decimal] | None = None  # (matter, coefficient) for a MODIFIER clause
    split: tuple[tuple[str, Decimal], ...] | None = None  # ((payer, share), ...) for CO-FUNDING
    matter_fact: str | None = None   # 事项 按 X: the matter is the value of fact X
    # QUOTA: (per year, share of the list, list size above which the share applies,
    # ranking keys ((fact, descending), ...), 基数 fact, 每个 facts); enforced across
    # applicants by allocate_quota().
    quota: tuple[typing.Any, ...] | None = None
    # The most the clause can pay in one year (None: unbounded or not stated): what an
    # undecidable result could pay, counted in total.max.
    ceiling: Decimal | None = None
    # 第七条, 第十二条第2项: worked out once here, not for every result (each result has one).
    label: str = dataclasses.field(init=False, repr=False)
    # Issue 13: a non-money outcome, (verb, what): ("免收", "手续费"), ("审定", who decides);
    # counted per clause in batch summaries (`outcomes`).
    outcome: tuple[str, str] | None = None
    # Issue 13, payers by condition: ((condition function or None, ((payer, share), ...)), ...),
    # tried in order when the first 分担 the clause takes has a condition (`split` is then None).
    payer_rules: tuple[tuple[typing.Any, tuple[tuple[str, Decimal], ...]], ...] | None = None
    # OFFSETS (抵扣): (("matter", M) | ("fact", F), ...): what reduces this clause's award (apply_offsets)
    offsets: tuple[tuple[str, str], ...] = ()
    # The clause's decision function, decide(typed facts, assessed year, factor=None): what it
    # decides as a plain value, with no result object and no trace (see "decisions" below).
    # None (the reference interpreter's specs): decide_spec runs `evaluate` instead.
    decide: Callable[..., typing.Any] | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", self.article + (f"第{self.item}项" if self.item is not None else ""))


AwardKind = typing.Literal["exact", "up_to", "range", "case_by_case", "unspecified", "routing", "at_least"]


@dataclasses.dataclass(frozen=True, slots=True)
class Award:
    """What a clause pays, before 就高不重复, quotas and budgets.

    kind: `exact` (min == max), `up_to` (0 to max, the amount left to reviewers), `range`
    (min to max), `case_by_case` (一事一议: no amount), `unspecified` (the text states none:
    `note` says what it says), `routing` (not money: `note` names who decides, or, with
    `outcome` — 免收 优先保障 列入 授予 — what is waived, secured, listed or conferred),
    `at_least` (不低于: min, and max None — the amount above the floor is set by review).
    min/max: Decimal 元, rounded to 0.01 half up (None for the kinds without an amount).
    """

    kind: AwardKind
    min: Decimal | None = None
    max: Decimal | None = None
    note: str | None = None
    outcome: str | None = None  # issue 13: the verb of a non-money outcome other than 审定
    # Payments in parts (其中 50% 待 …): each part and where it stands; then `min` counts only
    # the parts paid now and `max` the whole award (see in_parts). None: paid as one.
    parts: "tuple[Part, ...] | None" = None

    def to_json(self) -> dict[str, typing.Any]:
        row: dict[str, typing.Any] = {"kind": self.kind, "min": yuan(self.min), "max": yuan(self.max)}
        if self.kind == "routing":
            if self.outcome is None:
                row["approver"] = self.note
            else:
                row["outcome"] = self.outcome
                row["object"] = self.note
        if self.parts is not None:
            row["parts"] = [part.to_json() for part in self.parts]
        return row


PartStatus = typing.Literal["paid", "pending", "undecidable"]


@dataclasses.dataclass(frozen=True, slots=True)
class Part:
    """One part of an award paid in parts (其中 50% 待 达产升规), in Decimal 元.

    text: the part as written. status: `paid` (paid now: no later year, its condition holds
    or it has none), `pending` (due in a later year of payment, `year`, or its condition does
    not hold yet), `undecidable` (its condition cannot be decided). min/max: its amount
    (share × the award, rounded to 0.01 half up; the last part takes what is left, so the
    parts add up to the award); None for an award with no amount.
    """

    text: str
    share: Decimal
    status: PartStatus
    min: Decimal | None = None
    max: Decimal | None = None
    year: int | None = None

    def to_json(self) -> dict[str, typing.Any]:
        row: dict[str, typing.Any] = {"part": self.text, "status": self.status, "min": yuan(self.min),
                                      "max": yuan(self.max)}
        if self.year is not None:
            row["year"] = self.year
        return row


_PART_WORDS = {"paid": "本期兑现", "pending": "待兑现", "undecidable": "无法判定是否兑现"}


def in_parts(run, award, parts):
    """Payments in parts: `parts` are (share, text, year of payment or None, the condition's
    outcome: True, False or None) in the order written, shares adding up to 100%. Anything but
    an award (not applicable, unknown, a reason) passes through. The result is the award with
    `parts`; its `min` counts the parts paid now, its `max` stays the whole award."""
    if award is None or award is True or award is False or isinstance(award, str):
        return award
    shown = []
    now = Decimal("0.00")
    left_min, left_max = award.min, award.max
    for position, (share, text, year, outcome) in enumerate(parts):
        last = position == len(parts) - 1
        part_min = None if award.min is None else (left_min if last else _rounded(award.min * share))
        part_max = None if award.max is None else (left_max if last else _rounded(award.max * share))
        if not last:
            left_min = None if left_min is None else left_min - part_min
            left_max = None if left_max is None else left_max - part_max
        if (year is not None and year > 1) or outcome is False:
            status = "pending"
        elif outcome is None:
            status = "undecidable"
        else:
            status = "paid"
            if part_min is not None:
                now += part_min
        amount = "" if part_max is None else (format_money(part_max) if part_min == part_max
                                              else f"{format_money(part_min)}至{format_money(part_max)}")
        run.note(f"其中 {text}：{amount + '，' if amount else ''}{_PART_WORDS[status]}")
        shown.append(Part(text, share, status, part_min, part_max, year))
    return dataclasses.replace(award, min=now if award.min is not None else None, parts=tuple(shown))


# Building frozen results quickly. A frozen dataclass's __init__ sets each field through
# object.__setattr__ (to get past its own refusing __setattr__), about 0.1 µs a field: more
# than deciding a clause costs, for a result of ten fields built for every clause of every
# applicant. Instead, a plain class with the very same slots is filled by an ordinary
# __init__ and the object then becomes the frozen class (CPython allows assigning __class__
# between two classes of identical layout). What comes out is an ordinary instance of the
# frozen class — equal, hashed, printed, pickled, replaced and refusing assignment exactly
# like one built by its __init__; tests/test_api.py checks both ways agree field for field.
#
# The slots are read from the frozen class, so a field added to it (issue 13 adds several)
# cannot make the layouts differ; a field the __init__ does not fill takes its declared
# default (_defaults_of), so it cannot be left unset either.
def _defaults_of(cls, filled):
    return tuple((field.name, field.default) for field in dataclasses.fields(cls) if field.name not in filled)


class _AwardParts:
    __slots__ = tuple(field.name for field in dataclasses.fields(Award))
    _others = _defaults_of(Award, ("kind", "min", "max", "note"))

    def __init__(self, kind, low, high, note):
        self.kind = kind
        self.min = low
        self.max = high
        self.note = note
        for name, default in self._others:
            setattr(self, name, default)


def _award(kind, low=None, high=None, note=None):
    """Award(kind, low, high, note), built quickly (see above)."""
    award = _AwardParts(kind, low, high, note)
    award.__class__ = Award
    return award


def _rounded(value):
    # Rounding passed positionally: Decimal.quantize parses keywords several times slower than the call itself.
    return None if value is None else value.quantize(CENT, ROUND_HALF_UP)


def _non_negative(run, value, label):
    if value is not None and value < _ZERO:
        run.note_lazily(_line_negative, label, value)
        return Decimal(0)
    return value


def _line_negative(label, value):
    return f"{label}为 {format_money(value)}，低于零，按0计"


def _scaled(run, amount):
    """MODIFIER: a coefficient set by another clause scales the amount before any cap."""
    if run.factor is None or amount is None:
        return amount
    factor, source = run.factor
    run.note_lazily(_line_scaled, source, factor, amount)
    return amount * factor


def _line_scaled(source, factor, amount):
    return f"{source}：系数{_plain(factor)}，{format_money(amount)} × {_plain(factor)} = {format_money(amount * factor)}"


def exact(run, amount, cap=None, cap_label=None):
    if amount is not None and amount >= _ZERO:  # the common case, kept short
        factor = run.factor
        if factor is not None:
            if run.tracing:
                run.trace.append((_line_scaled, factor[1], factor[0], amount))
            amount = amount * factor[0]
            if amount < _ZERO:  # a negative coefficient: as _non_negative says
                amount = _non_negative(run, amount, "计算金额")
        if cap is not None:
            if amount > cap:
                if run.tracing:
                    run.trace.append((_line_capped, amount, cap, cap_label))
                amount = cap
            elif run.tracing:
                run.trace.append((_line_not_capped, cap_label))
        amount = amount.quantize(CENT, ROUND_HALF_UP)
        award = _AwardParts("exact", amount, amount, None)  # _award, inline: every paying clause comes here
        award.__class__ = Award
        return award
    amount = _non_negative(run, _scaled(run, amount), "计算金额")
    if amount is None:
        return None
    amount = _apply_cap(run, amount, cap, cap_label)
    amount = _rounded(amount)
    return _award("exact", amount, amount)


def up_to(run, ceiling, cap=None, cap_label=None):
    ceiling = _non_negative(run, _scaled(run, ceiling), "最高额")
    if ceiling is None:
        return None
    ceiling = _rounded(_apply_cap(run, ceiling, cap, cap_label))
    if run.tracing:
        run.trace.append((_line_up_to, ceiling))
    return _award("up_to", _NO_CENTS, ceiling)


def _line_up_to(ceiling):
    return f"最高 {format_money(ceiling)}，具体金额由评审确定"


def between(run, low, high, cap=None, cap_label=None):
    if low is None or high is None:
        return None
    low = _rounded(_apply_cap(run, _non_negative(run, _scaled(run, low), "下限"), cap, cap_label))
    high = _rounded(_apply_cap(run, _non_negative(run, _scaled(run, high), "上限"), cap, cap_label))
    run.note_lazily(_line_range, low, high)
    return _award("range", low, high)


def _line_range(low, high):
    return f"{format_money(low)}至{format_money(high)}，具体金额由评审确定"


def at_least(run, floor, cap=None, cap_label=None):
    """不低于 X (issue 13): at least X, the rest by review; under a 最高 C cap, min(X, C) to C."""
    floor = _non_negative(run, _scaled(run, floor), "下限")
    if floor is None:
        return None
    if cap is not None:
        low = _rounded(_apply_cap(run, floor, cap, cap_label))
        high = _rounded(cap)
        run.note(f"不低于 {format_money(low)}，最高 {format_money(high)}，具体金额由评审确定")
        return Award("range", low, high)
    floor = _rounded(floor)
    run.note(f"不低于 {format_money(floor)}，超出部分由评审确定")
    return Award("at_least", floor, None)


def case_by_case(run):
    run.note("一事一议，金额另行确定")
    return Award("case_by_case")


def routing(run, approver):
    run.note(f"非金钱结果：由{approver}审定")
    return Award("routing", note=approver)


# ---- issue 13: outcomes that are not money
OUTCOME_VERBS = ("免收", "优先保障", "列入", "授予")


def outcome(run, verb, what):
    """A non-money outcome: 免收手续费, 优先保障用地指标, 列入名单, 授予称号 (kind routing)."""
    run.note(f"非金钱结果：{verb}{what}")
    return Award("routing", note=what, outcome=verb)


def outcome_text(award):
    """A routing award as the results say it: 由X审定, 免收手续费."""
    return f"由{award.note}审定" if award.outcome is None else f"{award.outcome}{award.note}"


def items(run, name):
    """The items of a 逐项 fact, or None (recorded as missing)."""
    values = run.facts.get(name)
    if values is None:
        run._miss(name)
    return values


def per_item(run, name, index, value, amount, item_cap, cap_label):
    """One item of a 每项 award: its amount, capped on its own (单套设备最高50万元)."""
    del run.item[name]
    if amount is None or item_cap is None:
        return None
    amount = max(amount, Decimal(0))
    if amount > item_cap:
        run.note_lazily(_line_item, index, value, amount, item_cap, cap_label)
        return item_cap
    run.note_lazily(_line_item, index, value, amount, None, cap_label)
    return amount


def _line_item(index, value, amount, item_cap, cap_label):
    shown = f"第{index}项（{format_money(value) if isinstance(value, Decimal) else value}）"
    if item_cap is not None:
        return f"{shown}：{format_money(amount)} 超过每项封顶 {cap_label}，按 {format_money(item_cap)} 计"
    return f"{shown}：{format_money(amount)}"


def unspecified(run, note):
    run.note("政策未列明金额" + (f"：{note}" if note else ""))
    return Award("unspecified", note=note)


def _apply_cap(run, amount, cap, cap_label):
    if cap is None or amount is None:
        return amount
    if amount > cap:
        run.note_lazily(_line_capped, amount, cap, cap_label)
        return cap
    run.note_lazily(_line_not_capped, cap_label)
    return amount


def _line_capped(amount, cap, cap_label):
    return f"{format_money(amount)} 超过封顶 {cap_label}，按 {format_money(cap)} 给予"


def _line_not_capped(cap_label):
    return f"未达封顶 {cap_label}"


@dataclasses.dataclass(frozen=True, slots=True)
class FundingShare:
    """CO-FUNDING (分担): the part of a paid award one payer bears, in Decimal 元 (each part
    rounded to 0.01 half up; the last payer takes what is left, so parts add up to the award)."""

    payer: str
    min: Decimal
    max: Decimal


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class ClauseResult:
    """One clause for one applicant.

    applies: True, False, or None (cannot be decided: facts in `missing` are unknown).
    paid: applies and an award, and not lost to 就高不重复 (quotas and budgets across
    applicants are decided by `polc eval --batch`, and shown in `allocation`).
    reason: why, in Chinese. trace: each step of the evaluation, as text.
    """

    spec: "ClauseSpec" = dataclasses.field(repr=False)
    label: str                       # 第七条, 第十二条第2项
    applies: bool | None
    paid: bool
    award: Award | None
    reason: str
    missing: tuple[str, ...]
    matter: str | None               # 事项: clauses of one matter are resolved by 就高不重复
    allocation: str | None = None    # across applicants: within_quota, outside_quota, …
    entries: list[typing.Any] = dataclasses.field(default_factory=list, repr=False)  # the trace, unformatted
    # Issue 13, payers by condition: the 分担 shares this applicant's award takes (spec.payer_rules).
    payers: tuple[tuple[str, Decimal], ...] | None = None
    offsets: "tuple[OffsetApplied, ...]" = ()  # OFFSETS (抵扣): what reduced the award, and by how much

    @property
    def policy(self) -> str:
        """The policy's 文号."""
        return self.spec.policy

    @property
    def article(self) -> str:
        return self.spec.article

    @property
    def item(self) -> int | None:
        return self.spec.item

    @property
    def title(self) -> str | None:
        return self.spec.title

    @property
    def source(self) -> str:
        """The .pol file and line the clause comes from."""
        return self.spec.source

    @property
    def per_year(self) -> bool:
        """Paid each year for a stated number of years (期限)."""
        return self.spec.duration is not None

    @property
    def trace(self) -> tuple[str, ...]:
        """The steps of the evaluation as text (formatted when read, not while evaluating)."""
        return tuple(render_trace(self.entries))

    @property
    def funding(self) -> tuple[FundingShare, ...] | None:
        """CO-FUNDING: each payer's part of a paid award, or None (not paid, or no 分担)."""
        award = self.award
        split = self.payers if self.spec.payer_rules else self.spec.split
        if not self.paid or split is None or award is None or award.max is None or award.min is None:
            return None
        return funding_shares(split, award.min, award.max)

    def to_json(self) -> dict[str, typing.Any]:
        spec = self.spec
        award = self.award.to_json() if self.award is not None else None
        row = {
            "policy": spec.policy, "article": spec.article, "item": spec.item, "title": spec.title,
            "matter": self.matter, "applies": self.applies, "paid": self.paid, "award": award,
            "reason": self.reason, "trace": render_trace(self.entries), "missing": list(self.missing),
            "source": spec.source,
        }
        if spec.duration is not None:
            row["per_year"] = True
            row["years_max"] = spec.duration
        funding = self.funding
        if funding is not None:
            row["funding"] = {share.payer: {"min": yuan(share.min), "max": yuan(share.max)} for share in funding}
        if spec.modifies is not None:
            row["modifies"] = {"matter": spec.modifies[0], "factor": str(spec.modifies[1])}
        if self.allocation is not None:
            row["allocation"] = self.allocation
        if self.applies is None and spec.modifies is None:
            row["could_pay"] = yuan(spec.ceiling)  # null: no stated bound (see total.undecided)
        if self.offsets:
            row["offsets"] = [offset.to_json() for offset in self.offsets]
        return row


def funding_shares(split, low, high):
    """CO-FUNDING: each payer's part (FundingShare) of an award of low … high 元 split as
    ((payer, share), …): each part rounded to 0.01 half up, the last payer taking what is left."""
    parts: dict[str, dict[str, Decimal]] = {}
    for bound, amount in (("min", low), ("max", high)):
        left = amount
        for position, (payer, share) in enumerate(split):
            part = left if position == len(split) - 1 else _rounded(amount * share)
            left -= part
            parts.setdefault(payer, {})[bound] = part
    return tuple(FundingShare(payer, bounds["min"], bounds["max"]) for payer, bounds in parts.items())


class _ClauseResultParts:
    """ClauseResult's slots, filled by a plain __init__ (see _AwardParts for why)."""

    # The same slots as ClauseResult, in its order (__class__ assignment needs one layout).
    __slots__ = tuple(field.name for field in dataclasses.fields(ClauseResult))
    _others = _defaults_of(ClauseResult, ("spec", "label", "applies", "paid", "award", "reason", "missing", "matter",
                                          "allocation", "entries"))

    def __init__(self, spec, applies, award, reason, trace, missing, matter):
        self.spec = spec
        self.label = spec.label
        self.applies = applies
        self.paid = applies is True and award is not None
        self.award = award
        self.reason = reason
        self.missing = tuple(missing)
        self.matter = matter if matter is not None else spec.matter
        self.allocation = None
        self.entries = trace
        for name, default in self._others:
            setattr(self, name, default)


@dataclasses.dataclass(frozen=True, slots=True)
class OffsetApplied:
    """OFFSETS (抵扣 X): what one source took off a clause's award, in Decimal 元: `by` names it
    (the 文号 and clause paid for matter X, or the fact X); min/max the least and the most
    taken off (max None: no bound, e.g. an undecidable source with no stated ceiling)."""

    name: str
    by: tuple[str, ...]
    min: Decimal
    max: Decimal | None

    def to_json(self) -> dict[str, typing.Any]:
        return {"offset": self.name, "by": list(self.by), "min": yuan(self.min), "max": yuan(self.max)}


_WITH_AMOUNT = ("exact", "up_to", "range")


def _offset_by(result, kind, name, results, facts_of):
    """(least, most or None, what) one 抵扣 source takes off `result`'s award, read from the
    amounts before any offset (one pass, so a cycle across documents cannot loop)."""
    if kind == "fact":
        value = facts_of.get(result.spec.policy, {}).get(name)
        if value is None:
            return _ZERO, None, (f"{name}（缺）",)
        value = max(value, _ZERO)
        return value, value, (name,)
    least, most, by = _ZERO, _ZERO, []
    for other in results:
        if other is result or other.matter != name:
            continue
        label = f"{other.spec.policy}{other.spec.label}"
        if other.paid and other.award is not None and other.award.kind in _WITH_AMOUNT:
            least += other.award.min
            most = None if most is None else most + other.award.max
            by.append(label)
        elif other.paid and other.award is not None and other.award.kind != "routing":
            most = None  # 一事一议 / 金额未定: its amount is not stated
            by.append(label)
        elif other.applies is None and other.spec.modifies is None:
            most = None if most is None or other.spec.ceiling is None else most + other.spec.ceiling
            by.append(f"{label}（无法判定）")
    return least, most, tuple(by)


def apply_offsets(results, facts_of=None):
    """OFFSETS (抵扣 X): a paid award is reduced by what the applicant is paid for matter X
    (any clause of any policy evaluated together, after 就高不重复) or by the money fact X,
    never below 0. Sources are read before any offset is applied. A source whose amount is
    not known exactly (a range, an undecidable clause) leaves the award a range: `min` less
    the most it could take, `max` less the least. facts_of maps a 文号 to its typed facts.
    Returns the results, the reduced ones replaced by copies saying what took how much."""
    if not any(r.spec.offsets for r in results):
        return results
    results = list(results)
    before = list(results)
    for position, result in enumerate(before):
        award = result.award
        if not result.spec.offsets or not result.paid or award is None or award.kind not in _WITH_AMOUNT:
            continue
        applied, least, most = [], _ZERO, _ZERO
        for kind, name in result.spec.offsets:
            low, high, by = _offset_by(result, kind, name, before, facts_of or {})
            applied.append(OffsetApplied(name, by, _rounded(low), _rounded(high)))
            least += low
            most = None if most is None or high is None else most + high
        new_min = _ZERO if most is None else max(_ZERO, award.min - most)
        new_max = max(_ZERO, award.max - least)
        new_min, new_max = _rounded(new_min), _rounded(new_max)
        for offset in applied:
            taken = format_money(offset.min) if offset.min == offset.max else (
                f"{format_money(offset.min)}至{format_money(offset.max)}" if offset.max is not None
                else f"至少{format_money(offset.min)}（上限不明）")
            result.entries.append(f"抵扣「{offset.name}」（{'、'.join(offset.by) or '本次未获'}）：{taken}")
        shown = format_money(new_min) if new_min == new_max else f"{format_money(new_min)}至{format_money(new_max)}"
        result.entries.append(f"抵扣后本条 {shown}（不低于0）")
        results[position] = dataclasses.replace(result, award=dataclasses.replace(award, min=new_min, max=new_max),
                                                offsets=tuple(applied))
    return results


def _result(spec, applies, award, reason, trace, missing, matter=None):
    """A ClauseResult, with what follows from its parts (paid, the matter, the label)."""
    result = _ClauseResultParts(spec, applies, award, reason, trace, missing, matter)
    result.__class__ = ClauseResult
    return result


def clause_result(spec: ClauseSpec, applies: bool | None, award: Award | None, reason: str, trace: list[typing.Any],
                  missing: Iterable[str], matter: str | None = None) -> ClauseResult:
    """A ClauseResult from what evaluating a clause gives (for engines that run clauses
    themselves, such as polc's batch): paid, the label and the matter follow from these."""
    return _result(spec, applies, award, reason, trace, missing, matter)


def _run_clause(spec, facts, year, factor=None, make_run=None):
    # make_run: a batch that shows no trace passes a Run that records none (polc's batch.py)
    run = (make_run or Run)(facts, year, factor)
    try:
        outcome = spec.evaluate(run)
    except Exception as exc:  # a bug in a generated function must name where it came from
        raise RuntimeError(f"{spec.source} {spec.policy} {spec.label}: {type(exc).__name__}: {exc}") from exc
    if outcome is False:  # the most common outcome: _result, inline
        result = _ClauseResultParts(spec, False, None, "条件不成立", run.trace, run.missing, None)
        result.__class__ = ClauseResult
        return result
    if outcome is None:
        return _result(spec, None, None, "无法判定：缺少事实 " + "、".join(run.missing or ["（未知）"]),
                       run.trace, run.missing)
    if outcome is True:  # a MODIFIER clause whose conditions hold: it pays nothing itself
        matter, coefficient = spec.modifies
        return _result(spec, True, None, f"事项「{matter}」的补助系数为{_plain(coefficient)}", run.trace, run.missing)
    if isinstance(outcome, str):
        return _result(spec, False, None, outcome, run.trace, run.missing)
    # An award. Awards are recognised by shape, not class: a result may come from another
    # generated module's copy of this runtime when several policies are evaluated together.
    applies = True
    reason = "符合条件"
    if spec.start_fact is not None:
        applies, reason = _within_duration(run, spec)
    matter = facts.get(spec.matter_fact) if spec.matter_fact is not None else None
    result = _ClauseResultParts(spec, applies, outcome if applies else None, reason, run.trace, run.missing, matter)
    result.__class__ = ClauseResult
    if applies and spec.payer_rules:
        result = dataclasses.replace(result, payers=_choose_payers(run, spec.payer_rules))
    return result


def _line_duration(first, last, year, inside):
    return f"期限：{first}–{last}年，考核年度{year}年 → {_OUTCOME[inside]}"


def _choose_payers(run, rules):
    """Issue 13, payers by condition: the shares of the first 分担 rule whose condition holds
    (None when one before it cannot be decided, or none holds: no funding is stated). The
    facts a payer condition lacks are said in the trace, not added to the clause's missing."""
    missing = len(run.missing)
    chosen = None
    for condition, shares in rules:
        holds = True if condition is None else condition(run)
        if holds is None:
            run.note("分担无法判定：出资方取决于未知的事实（" + "、".join(run.missing[missing:]) + "）")
            break
        if holds:
            run.note("分担：" + "、".join(f"{payer} {_plain(share * 100)}%" for payer, share in shares))
            chosen = shares
            break
    else:
        run.note("分担：没有一条成立，不列出资方")
    del run.missing[missing:]
    return chosen


def _within_duration(run, spec):
    start = run.fact(spec.start_fact)
    if start is None:
        return None, "无法判定：缺少事实 " + "、".join(run.missing)
    first = start + (1 if spec.start_next_year else 0)
    last = first + spec.duration - 1
    inside = first <= run.year <= last
    run.note_lazily(_line_duration, first, last, run.year, inside)
    if inside:
        return True, "符合条件"
    return False, f"考核年度{run.year}年不在奖励期限{first}–{last}年内"


# ---------------------------------------------------------------- decisions (issue 10)
# A clause's *decision* is what it decides for one applicant as a small plain value: no
# ClauseResult, no Award, no trace, no list of missing facts. It is what polc's batch needs
# for its compact output (kind, amounts, reason code), and what a program deciding many
# applicants can call itself: every generated clause has a decision function, `spec.decide`,
# written as straight-line code like the clause function (the same conditions, in the same
# order, without the trace and the bookkeeping), taking the typed facts (validate_facts), the
# assessed year and the coefficient a modifier sets ((factor, source) or None). Its value:
#
#   False, or a str (why)  the clause does not apply
#   None                   it cannot be decided: a fact it needs is unknown
#   True                   a modifier clause that applies (it scales its matter, pays nothing)
#   a tuple                it applies and pays (kind, min, max[, note[, outcome[, parts]]]):
#                          Award's fields in order, the empty ones at the end left out (never
#                          fewer than three), so Award(*decision) is the award evaluate() gives.
#
# The 期限 of a clause paid for N years is part of its decision (in_period); 就高不重复,
# quotas and budgets are not (they compare applicants or clauses), nor is the matter of a
# clause whose matter is a fact (事项 按 X: the fact's value). tests/test_decisions.py holds
# every decision to the full result's applies, award and reason.

def _bounded_amount(amount, cap, factor):
    """An amount as the award functions make it: scaled by a modifier's coefficient, not
    below 0, capped, rounded once to 0.01 half up."""
    if factor is not None:
        amount = amount * factor[0]
    if amount < _ZERO:
        amount = _ZERO
    if cap is not None and amount > cap:
        amount = cap
    return amount.quantize(CENT, ROUND_HALF_UP)


def exact_decision(amount, cap=None, factor=None):
    """exact(), as a decision: ("exact", amount, amount), or None for an unknown amount."""
    if amount is None:
        return None
    amount = _bounded_amount(amount, cap, factor)
    return ("exact", amount, amount)


def up_to_decision(ceiling, cap=None, factor=None):
    """up_to(), as a decision: ("up_to", 0.00, ceiling)."""
    if ceiling is None:
        return None
    return ("up_to", _NO_CENTS, _bounded_amount(ceiling, cap, factor))


def range_decision(low, high, cap=None, factor=None):
    """between(), as a decision: ("range", low, high)."""
    if low is None or high is None:
        return None
    return ("range", _bounded_amount(low, cap, factor), _bounded_amount(high, cap, factor))


def at_least_decision(floor, cap=None, factor=None):
    """at_least(), as a decision: ("at_least", floor, None), or under a cap ("range", …)."""
    if floor is None:
        return None
    if factor is not None:
        floor = floor * factor[0]
    if floor < _ZERO:
        floor = _ZERO
    if cap is not None:
        return ("range", _bounded_amount(floor, cap, None), cap.quantize(CENT, ROUND_HALF_UP))
    return ("at_least", floor.quantize(CENT, ROUND_HALF_UP), None)


def in_period(decision, start, year, years, next_year):
    """A clause paid for `years` years (期限) from the year `start` (the year after it when
    next_year), as _within_duration decides it: an award outside the period does not apply;
    with the start unknown, it cannot be decided. Anything but an award passes through."""
    if decision is None or decision is True or decision is False or isinstance(decision, str):
        return decision
    if start is None:
        return None
    first = start + 1 if next_year else start
    last = first + years - 1
    if first <= year <= last:
        return decision
    return f"考核年度{year}年不在奖励期限{first}–{last}年内"


def decision_of(outcome):
    """What a clause function returned (an Award, or False/None/True/a reason), as a decision."""
    if outcome is None or outcome is True or outcome is False or isinstance(outcome, str):
        return outcome
    fields = (outcome.kind, outcome.min, outcome.max, outcome.note, outcome.outcome, outcome.parts)
    end = len(fields)
    while end > 3 and fields[end - 1] is None:
        end -= 1
    return fields[:end]


def decide_by_running(clause, facts, year, factor=None):
    """The decision of a clause function (`evaluate`), run without a trace: what the decision
    functions of clauses whose award needs the runtime's helpers (tables, levels held, items…)
    do, and how decide_spec decides a clause that has no decision function."""
    return decision_of(clause(QuietRun(facts, year, factor)))


def decide_spec(spec, facts, year, factor=None):
    """The decision of one clause (spec.decide, or its evaluate run without a trace)."""
    try:
        if spec.decide is not None:
            return spec.decide(facts, year, factor)
        decision = decide_by_running(spec.evaluate, facts, year, factor)
    except Exception as exc:  # as _run_clause: a bug in a generated function names where it came from
        raise RuntimeError(f"{spec.source} {spec.policy} {spec.label}: {type(exc).__name__}: {exc}") from exc
    if spec.start_fact is None:
        return decision
    return in_period(decision, facts.get(spec.start_fact), year, spec.duration, spec.start_next_year)


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class PolicyInfo:
    """A policy as evaluation needs it (a generated module's POLICY)."""

    docno: str                       # 文号
    title: str | None
    path: str                        # the .pol file, from the project root
    effective_from: datetime.date | None
    effective_until: datetime.date | None
    assessed_offset: int             # 1: the year before the evaluation date is assessed (考核年度 上一年)
    principle: str | None            # 冲突原则: 就高不重复 or 可叠加
    schema: Mapping[str, FactSpec]   # the facts it reads
    transitional: tuple[tuple[int, str], ...] = ()  # ((before_year, governing docno), ...)
    budgets: tuple[tuple[typing.Any, ...], ...] = ()  # ((payer, yearly amount, ranking keys), ...): see allocate_budget
    # 企业上限: ((limit, fact of what was received in earlier years or None), ...): see cap_room
    caps: tuple[tuple[typing.Any, ...], ...] = ()


def _not_in_force(policy, on, year):
    """Why this policy does not govern an evaluation on this date, or None if it does."""
    if (policy.effective_from is not None and on < policy.effective_from) or (
            policy.effective_until is not None and on > policy.effective_until):
        return f"评估日{on}不在政策施行期（{policy.effective_from or '…'}至{policy.effective_until or '…'}）内"
    for before_year, governed_by in policy.transitional:
        if year < before_year:
            return f"考核年度{year}年早于{before_year}年，依照{governed_by}执行（过渡规定）"
    return None


def evaluate_clauses(policy, clauses, facts, on, factors=None):
    """Every clause of one policy for one applicant, before 就高不重复 between clauses.

    factors maps a matter to (coefficient, source) for MODIFIER clauses that apply.
    """
    return _evaluate_typed(policy, clauses, validate_facts(facts, policy.schema), _the_date(on), factors)


def _the_date(on):
    """The evaluation date: required (a date, a datetime's day, or text such as 2021-06-30)."""
    if on is None:
        raise FactError("on", "评估日必须给出（如 \"2021-06-30\"）：政策是否施行、考核哪一年都取决于它",
                        'the evaluation date is required (such as "2021-06-30"): whether a policy is in force '
                        "and which year is assessed depend on it")
    return parse_date(on, "on")


def _evaluate_typed(policy, clauses, typed, on, factors=None):
    year = on.year - policy.assessed_offset
    outside = _not_in_force(policy, on, year)
    results = []
    for spec in clauses:
        if outside is not None:
            results.append(_result(spec, False, None, outside, [outside], []))
            continue
        factor = (factors or {}).get(spec.matter) if spec.modifies is None else None
        results.append(_run_clause(spec, typed, year, factor))
    return results


def _rank(result):
    award = result.award
    return award_rank(award.kind, award.min, award.max)


def award_rank(kind, low, high):
    """How 就高不重复 ranks an award (higher first): a stated amount by its maximum (a floor,
    at_least, by its minimum), above any award that states none."""
    if kind in ("case_by_case", "unspecified", "routing"):
        return (0, Decimal(0))
    if kind == "at_least":
        return (1, low)
    return (1, high)


def resolve(results, principles):
    """就高不重复: among applicable clauses covering one matter, pay only the highest.

    The highest is the one with the greatest maximum amount; case-by-case and unspecified
    awards rank below any stated amount; ties go to the earlier clause (policy order, then
    article order as written). `principles` maps a policy's 文号 to its principle; a matter
    is resolved when any policy that covers it says 就高不重复. Returns the results, those
    not paid replaced (results are frozen) by copies saying why.
    """
    groups = {}
    for position, result in enumerate(results):
        if result.applies is True and result.award is not None and result.matter is not None:
            groups.setdefault(result.matter, []).append(position)
    results = list(results)
    for matter, positions in groups.items():
        members = [results[position] for position in positions]
        if len(members) < 2:
            continue
        if not any(principles.get(r.spec.policy) == "就高不重复" for r in members):
            continue
        winner = members[0]
        for candidate in members[1:]:
            if _rank(candidate) > _rank(winner):
                winner = candidate
        for position, result in zip(positions, members):
            if result is winner:
                others = "、".join(f"{r.spec.policy}{r.spec.label}" for r in members if r is not winner)
                result.entries.append(f"就高不重复：同一事项「{matter}」另有 {others} 适用，本条排序最前（金额最高，同额取在前者），予以支付")
                continue
            amount = format_money(winner.award.max) if winner.award.max is not None else {
                "case_by_case": "一事一议", "unspecified": "金额未定", "routing": outcome_text(winner.award)}[winner.award.kind]
            results[position] = dataclasses.replace(
                result, paid=False, reason=(f"就高不重复：同一事项「{matter}」按 {winner.spec.policy}{winner.spec.label} 支付"
                                            f"（{amount}），本条不重复支付"))
    return results


def _add_up(paid_awards, possible=(), rooms=None):
    low, high, open_ = Decimal("0.00"), Decimal("0.00"), []
    paid_by_matter = {}
    capped = {}  # 企业上限: 文号 -> [paid min, paid max + what its undecided clauses could add]
    for kind, award_min, award_max, label, *rest in paid_awards:
        if kind == "routing":
            continue  # not money: who decides, not how much
        if kind in ("case_by_case", "unspecified"):
            open_.append(label)
            continue
        if kind == "at_least":  # a floor: counted at its floor, the amount above it is open
            open_.append(label)
            award_max = award_min
        low += award_min
        high += award_max
        matter = rest[0] if rest else None
        if matter is not None:
            paid_by_matter[matter] = max(paid_by_matter.get(matter, Decimal(0)), award_max)
        if rooms and len(rest) > 1 and rest[1] in rooms:
            sums = capped.setdefault(rest[1], [_ZERO, _ZERO])
            sums[0] += award_min
            sums[1] += award_max
    best_by_matter, undecided = {}, []
    for label, most, matter, *rest in possible:
        policy = rest[0] if rest else None
        if most is None:
            undecided.append(label)
        elif matter is None:
            high += most
            if rooms and policy in rooms:
                capped.setdefault(policy, [_ZERO, _ZERO])[1] += most
        else:
            best = best_by_matter.get(matter)
            if best is None or most > best[0]:  # ties: the earlier clause (its policy's cap)
                best_by_matter[matter] = (most, policy)
    for matter, (most, policy) in best_by_matter.items():
        extra = max(Decimal(0), most - paid_by_matter.get(matter, Decimal(0)))
        high += extra
        if rooms and policy in rooms:
            capped.setdefault(policy, [_ZERO, _ZERO])[1] += extra
    for policy, (most_low, most_high) in capped.items():  # 企业上限: a policy pays at most its room
        room_low, room_high = rooms[policy]
        low -= max(_ZERO, most_low - room_low)
        high -= max(_ZERO, most_high - room_high)
    return Total(_rounded(low), _rounded(high), tuple(open_), tuple(undecided))


def add_up(paid_awards, possible=(), rooms=None):
    """The total of paid awards, each given as (kind, min, max, label[, matter[, 文号]]), as JSON
    (see Total). Routing is not money; case-by-case and unspecified amounts are listed as open.

    `possible` are the clauses that could still pay — undecidable, or waiting for the
    reviewers' selection — as (label, most it could pay or None, matter[, 文号]). They never raise
    `min`; `max` includes them: a clause with no matter adds its most, and within a matter
    resolved by 就高不重复 (matter given, not None) only the highest counts, so `max` grows
    by how much the highest possible exceeds what that matter already pays. Those with no
    stated bound are listed in `undecided` (shown only when there are any).

    `rooms` ({文号: (low, high)}, cap_room): 企业上限. A policy with one adds to `min` at most
    `low` of its paid minimums, and to `max` at most `high` of its paid maximums and what its
    possible clauses add (a possible clause's addition within a matter counts for the policy
    of the highest one, the earlier on a tie)."""
    return _add_up(paid_awards, possible, rooms).to_json()


@dataclasses.dataclass(frozen=True, slots=True)
class Total:
    """What one applicant is paid in all, in Decimal 元.

    min: the paid awards' minimums. max: their maximums plus what clauses that cannot be
    decided could pay (within a matter under 就高不重复, only the highest counts).
    open: clauses paid an amount not stated (一事一议, 金额未定), as 文号 + label.
    undecided: clauses that cannot be decided and state no bound (so max cannot include them).
    """

    min: Decimal
    max: Decimal
    open: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()

    def to_json(self) -> dict[str, typing.Any]:
        total: dict[str, typing.Any] = {"min": yuan(self.min), "max": yuan(self.max), "open": list(self.open)}
        if self.undecided:
            total["undecided"] = list(self.undecided)
        return total


def totals(results, principles=None, rooms=None):
    """The applicant's total (a Total): paid awards, and in `max` what undecidable clauses could
    pay; `rooms` ({文号: (low, high)}, cap_room) the enterprise caps of the policies that have one."""
    resolved = {r.matter for r in results
                if r.matter is not None and (principles or {}).get(r.spec.policy) == "就高不重复"}

    def matter(result):
        return result.matter if result.matter in resolved else None
    return _add_up(((r.award.kind, r.award.min, r.award.max, f"{r.spec.policy}{r.spec.label}", matter(r), r.spec.policy)
                    for r in results if r.paid),
                   [(f"{r.spec.policy}{r.spec.label}", r.spec.ceiling, matter(r), r.spec.policy)
                    for r in results if r.applies is None and r.spec.modifies is None], rooms)


def report(results, on, warnings=(), principles=None, rooms=None):
    """The stable JSON contract of `polc eval` and of evaluate(...).to_json()."""
    return {"on": str(on), "clauses": [r.to_json() for r in results],
            "total": totals(results, principles, rooms).to_json(), "warnings": list(warnings)}


class ClauseNotFound(KeyError):
    """Evaluation.clause(label) for a label that is not one of the evaluated clauses. The
    message lists the labels there are (an article with items is asked for by item)."""

    def __init__(self, label: object, labels: Iterable[str]) -> None:
        labels = list(dict.fromkeys(labels))
        wanted = shown(label, 40, str)
        items = [known for known in labels if isinstance(label, str) and known.startswith(label + "第")]
        if items:
            zh = f"{wanted}分项评估，请指明哪一项：{'、'.join(items)}"
            en = f"{wanted} is evaluated item by item: name one of {', '.join(items)}"
        else:
            zh = f"没有条款 {wanted}；可选：{'、'.join(labels) or '（无）'}"
            en = f"no clause {wanted}; the clauses are: {', '.join(labels) or '(none)'}"
        super().__init__(label)
        self.label = label
        self.labels = tuple(labels)
        self.message = f"{zh} / {en}"

    def __str__(self) -> str:
        return self.message


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class Evaluation:
    """The result of evaluating policies for one applicant on one date.

    clauses: every evaluated clause, in policy order then clause order. warnings: e.g. a
    policy not in force on the date. `.total` adds up what is paid; `.to_json()` is the
    stable JSON contract of `polc eval --format json` (money as strings there only).
    """

    on: datetime.date
    clauses: tuple[ClauseResult, ...]
    warnings: tuple[str, ...] = ()
    principles: Mapping[str, str | None] = dataclasses.field(default_factory=dict, repr=False)  # 文号 -> 冲突原则
    # 企业上限: 文号 -> (low, high) room this year under the policy's enterprise caps (cap_room)
    rooms: Mapping[str, tuple[Decimal, Decimal]] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def total(self) -> Total:
        return totals(self.clauses, self.principles, self.rooms)

    def to_json(self) -> dict[str, typing.Any]:
        return report(self.clauses, self.on, self.warnings, self.principles, self.rooms)

    def clause(self, label: str, policy: str | None = None) -> ClauseResult:
        """The result of the clause with this label (第七条, 第十二条第2项); with several
        policies, `policy` (a 文号) chooses among clauses of the same label (else the first).
        ClauseNotFound (a KeyError) lists the labels there are."""
        for result in self.clauses:
            if result.label == label and (policy is None or result.spec.policy == policy):
                return result
        raise ClauseNotFound(label, (r.label for r in self.clauses if policy is None or r.spec.policy == policy))


class Evaluator:
    """Several policies evaluated together (each given as (PolicyInfo, clauses)), with
    就高不重复 across them. Facts are shared: each policy reads the facts it declares.
    MODIFIER clauses are evaluated first; a coefficient they set applies to every clause of
    its matter, in any of the policies (the highest coefficient if several apply)."""

    def __init__(self, policies: Iterable[tuple["PolicyInfo", typing.Sequence["ClauseSpec"]]]) -> None:
        self.policies = list(policies)
        self.known: dict[str, FactSpec] = {}
        for policy, _clauses in self.policies:
            self.known.update(policy.schema)
        self.principles = {policy.docno: policy.principle for policy, _ in self.policies}
        self.modifiers = [[s for s in clauses if s.modifies is not None] for _p, clauses in self.policies]
        self.others = [[s for s in clauses if s.modifies is None] for _p, clauses in self.policies]
        self.offsetting = any(s.offsets for _p, clauses in self.policies for s in clauses)

    def validate(self, facts: object) -> list[dict[str, typing.Any]]:
        """Each policy's own facts, typed; one FactError listing every problem (unknown names,
        values that do not fit) across all the policies."""
        if not isinstance(facts, Mapping):
            raise FactError("*", f"事实应为以事实名称为键的对象，得到的是 {type(facts).__name__}",
                            f"facts must be a mapping keyed by fact names, got {type(facts).__name__}")
        facts = dict(facts)
        problems: list[FactProblem] = []
        unknown = {name: facts[name] for name in facts if name not in self.known}
        if unknown:
            try:
                validate_facts(unknown, self.known)  # unknown names, each with a suggestion
            except FactError as exc:
                problems.extend(exc.problems)
        typed = []
        for policy, _clauses in self.policies:
            try:
                typed.append(validate_facts(_own(policy, facts), policy.schema))
            except FactError as exc:
                problems.extend(p for p in exc.problems if p not in problems)  # a fact two policies read: once
        if problems:
            raise FactError.of(problems[:MAX_PROBLEMS])
        return typed

    def evaluate(self, facts: Mapping[str, object], on: "datetime.date | str") -> Evaluation:
        """Every clause for one applicant on the date `on` (required). Bad arguments raise one
        FactError listing every problem (naming each fact, or "*" for facts that are not a
        mapping, or "on"), before any clause runs."""
        day = _the_date(on)
        typed_by_policy = self.validate(facts)
        factors, modifier_results = {}, {}
        for (policy, _clauses), modifiers, typed in zip(self.policies, self.modifiers, typed_by_policy):
            if not modifiers:
                continue
            for result in _evaluate_typed(policy, modifiers, typed, day):
                modifier_results[id(result.spec)] = result
                if result.applies is True:
                    matter, coefficient = result.spec.modifies
                    if matter not in factors or coefficient > factors[matter][0]:
                        factors[matter] = (coefficient, f"{policy.docno}{result.spec.label}")
        results = []
        for (policy, clauses), others, typed in zip(self.policies, self.others, typed_by_policy):
            evaluated = iter(_evaluate_typed(policy, others, typed, day, factors))
            for spec in clauses:
                results.append(modifier_results[id(spec)] if spec.modifies is not None else next(evaluated))
        results = resolve(results, self.principles)
        if self.offsetting:  # OFFSETS (抵扣), after 就高不重复
            results = apply_offsets(results, {policy.docno: typed for (policy, _c), typed in zip(self.policies, typed_by_policy)})
        warnings = []
        for policy, _clauses in self.policies:
            outside = _not_in_force(policy, day, day.year - policy.assessed_offset)
            if outside is not None:
                warnings.append(f"{policy.docno}：{outside}，其条款均未评估")
        rooms = cap_rooms(self.policies, typed_by_policy)
        if rooms:
            results = mark_capped(results, rooms)
        return Evaluation(day, tuple(results), tuple(warnings), self.principles, rooms)

    def evaluate_many(self, rows: Iterable[Mapping[str, object]],
                      on: "datetime.date | str") -> Iterator[tuple[int, "Evaluation | FactError"]]:
        """Streaming: yields (row number, Evaluation or FactError) for each row, in order.
        Nothing is kept between rows, so memory does not grow with the number of rows.
        rows that are not an iterable of rows raise TypeError, and a bad `on` FactError,
        here, before any row is read; a bad row is yielded as its FactError."""
        day = _the_date(on)
        if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
            raise TypeError(f"evaluate_many: rows must be an iterable of fact mappings, got {type(rows).__name__}")
        return self._stream(rows, day)

    def _stream(self, rows, on):
        for number, row in enumerate(rows, 1):
            try:
                yield number, self.evaluate(row, on)
            except FactError as exc:
                yield number, exc


def _own(policy, facts):
    return {name: value for name, value in facts.items() if name in policy.schema}


def evaluate_policies(policies, facts, on):
    return Evaluator(policies).evaluate(facts, on)


# ---------------------------------------------------------------- issue 13: caps per enterprise
# 企业上限 caps the sum of a policy's awards to one applicant in one year (每年), or across
# years (累计 … 已获 F: less what the applicant received in earlier years, its fact F). The
# text does not say which clause is reduced, so no clause's award is changed: the total is
# capped, and every paid money clause of the policy is marked `allocation: "capped"`.
# It applies to the awards as paid: after 系数, each clause's own cap and 就高不重复, and
# in a batch after quotas and budgets (a clause they leave unpaid does not count).
_OPEN_KINDS = ("routing", "case_by_case", "unspecified")


def cap_room(caps, facts):
    """(low, high): what one applicant can still be paid this year under a policy's caps, or
    None when it has none. A cap with `已获 F`: limit − F (not below 0); F unknown: anything
    from 0 (it may all be used) to the limit. Several caps: the least room."""
    if not caps:
        return None
    low = high = None
    for limit, received in caps:
        if received is None:
            cap_low = cap_high = limit
        else:
            already = facts.get(received)
            if already is None:
                cap_low, cap_high = _ZERO, limit
            else:
                cap_low = cap_high = max(_ZERO, limit - already)
        low = cap_low if low is None else min(low, cap_low)
        high = cap_high if high is None else min(high, cap_high)
    return (low, high)


def cap_rooms(policies, typed_by_policy):
    """{文号: (low, high)} for each policy with 企业上限, from its typed facts."""
    rooms = {}
    for (policy, _clauses), typed in zip(policies, typed_by_policy):
        room = cap_room(policy.caps, typed)
        if room is not None:
            rooms[policy.docno] = room
    return rooms


def cap_cuts(paid, rooms):
    """What the caps take off the total: {文号: (off min, off max)} for the policies whose cap
    binds. `paid`: (文号, kind, min, max) of each paid award; an `at_least` award counts at
    its floor in both; routing, case by case and unspecified state no amount."""
    if not rooms:
        return {}
    sums = {}
    for policy, kind, low, high in paid:
        if policy not in rooms or kind in _OPEN_KINDS or low is None:
            continue
        both = sums.setdefault(policy, [_ZERO, _ZERO])
        both[0] += low
        both[1] += high if high is not None else low
    cuts = {}
    for policy, (low, high) in sums.items():
        room_low, room_high = rooms[policy]
        cut = (max(_ZERO, low - room_low), max(_ZERO, high - room_high))
        if cut[0] or cut[1]:
            cuts[policy] = cut
    return cuts


def mark_capped(results, rooms):
    """The results, each paid money clause of a policy whose cap binds marked "capped"."""
    cuts = cap_cuts(((r.spec.policy, r.award.kind, r.award.min, r.award.max) for r in results if r.paid), rooms)
    if not cuts:
        return results
    return [dataclasses.replace(r, allocation="capped")
            if r.paid and r.spec.policy in cuts and r.award.kind not in _OPEN_KINDS else r for r in results]


# ---------------------------------------------------------------- across applicants
def _order(candidates, keys):
    """Sort candidates (applicant id, values, payload, …) by the declared keys; missing values
    go last; remaining ties go to the applicant identifier, never to the order of the input."""
    def key(candidate):
        applicant, values = candidate[0], candidate[1]
        parts = []
        for (name, descending), value in zip(keys, values):
            if value is None:
                parts.append((1, 0))
            else:
                number = value if isinstance(value, (int, Decimal)) else Decimal(0)
                parts.append((0, -number if descending else number))
        return (*parts, str(applicant))
    return sorted(candidates, key=key)


UNPLACED = "unplaced"  # the place of an applicant missing a 每个 or 基数 value: in no group


def quota_limit(quota, base):
    """The number of places of one group: 名额 每年 N → N; 名额 比例 S 基数 F [起点 T] →
    floor(F × S), or no limit (None) when F ≤ T."""
    per_year, share, threshold = quota[0], quota[1], quota[2]
    if share is None:
        return per_year
    if threshold is not None and base <= threshold:
        return None
    return int((Decimal(base) * share).to_integral_value(rounding=ROUND_FLOOR))


def allocate_quota(quota, candidates):
    """QUOTA / PERCENT-QUOTA over one clause's qualifying applicants (a batch is one year's
    applications, or one award round).

    quota: (per year, share, threshold, ranking keys, 基数 fact, 每个 facts).
    candidates: [(applicant id, rank values, payload, group)], where group is the applicant's
    values of the 每个 facts followed, for a percentage quota, by its 基数 value.

    The rule, for each group (applicants whose group values are equal):
      limit = 名额 每年 N → N; 比例 S 基数 F → floor(F × S), none when F ≤ 起点;
      count ≤ limit → every one within_quota;
      over, ranking declared → the first `limit` in rank order within_quota, the rest outside_quota;
      over, no ranking → a count quota: every one needs_selection (the text leaves the choice to
      reviewers); a percentage quota: every one list_over (the list as proposed exceeds the share
      and must be cut by those who proposed it).
    An applicant with no value for a 每个 or 基数 fact cannot be placed: needs_selection.
    Returns (decisions: payload -> (allocation, place or None), summary)."""
    share, keys = quota[1], quota[3]
    group_facts = tuple(quota[5]) if len(quota) > 5 else ()
    base_fact = quota[4] if len(quota) > 4 else None
    names = group_facts + ((base_fact,) if base_fact is not None else ())
    groups, decisions, unplaced = {}, {}, 0
    for candidate in candidates:
        group = tuple(candidate[3]) if len(candidate) > 3 else ()
        if any(value is None for value in group):
            decisions[candidate[2]] = ("needs_selection", UNPLACED)
            unplaced += 1
            continue
        groups.setdefault(group, []).append(candidate)
    rows = []
    for group in sorted(groups, key=lambda g: tuple(str(v) for v in g)):
        members = groups[group]
        if share is not None and base_fact is None:
            limit = quota_limit(quota, len(members))  # no 基数 declared: the list itself is the base
        else:
            limit = quota_limit(quota, group[-1] if base_fact is not None else None)
        row = {"candidates": len(members), "limit": limit}
        if names:
            row = {"group": {name: format_value(v, "number") if isinstance(v, Decimal) else v
                             for name, v in zip(names, group)}, **row}
        if limit is None or len(members) <= limit:
            for place, candidate in enumerate(members, 1):
                decisions[candidate[2]] = ("within_quota", None)
        elif not keys:
            row["over_by"] = len(members) - limit
            over = "needs_selection" if share is None else "list_over"
            for candidate in members:
                decisions[candidate[2]] = (over, None)
        else:
            ordered = _order(members, keys)
            for place, candidate in enumerate(ordered, 1):
                decisions[candidate[2]] = ("within_quota" if place <= limit else "outside_quota", place)
            last_in = ordered[limit - 1] if limit else None
            row["cut_off"] = ([format_value(v, "number") if isinstance(v, Decimal) else v for v in last_in[1]]
                              if last_in else None)
        rows.append(row)
    summary = {"candidates": len(candidates)}
    if not group_facts and base_fact is None and len(rows) == 1:
        summary.update({k: v for k, v in rows[0].items() if k != "candidates"})
    else:
        summary["groups"] = rows
    if unplaced:
        summary["unplaced"] = unplaced
    return decisions, summary


def allocate_budget(budget, candidates):
    """BUDGET: fund qualifying awards in rank order while the payer's money lasts. The first
    award that does not fit, and every one after it, is outside the budget (no skipping
    ahead to a smaller award: the order is the policy's, not the money's). With no declared
    order (择优) and more wanted than the budget, every award needs_selection: the reviewers
    choose, polc does not.

    candidates: [(applicant id, rank values, payload, amount borne by this payer)]."""
    payer, amount, keys = budget[0], budget[1], budget[2]
    wanted = sum((cost for _a, _v, _p, cost in candidates), Decimal(0))
    if not keys and wanted > amount:
        return ({p: ("needs_selection", None) for _a, _v, p, _cost in candidates},
                {"payer": payer, "budget": yuan(amount), "wanted": yuan(wanted), "candidates": len(candidates),
                 "over_by": yuan(wanted - amount)})
    ordered = _order([(a, v, (p, cost)) for a, v, p, cost in candidates], keys)
    remaining, decisions, closed = amount, {}, False
    for place, (_applicant, _values, (payload, cost)) in enumerate(ordered, 1):
        if not closed and cost <= remaining:
            remaining -= cost
            decisions[payload] = ("within_budget", place)
        else:
            closed = True
            decisions[payload] = ("outside_budget", place)
    return decisions, {"payer": payer, "budget": yuan(amount), "wanted": yuan(wanted), "spent": yuan(amount - remaining),
                       "candidates": len(candidates),
                       "funded": sum(1 for d, _p in decisions.values() if d == "within_budget")}


# ---- issue 13: budgets that pro-rate
PRORATED = "prorated"  # the allocation of an award scaled down by a 按比例核减 budget


def allocate_budget_prorata(budget, candidates):
    """BUDGET 按比例核减 / 按比例分配 ("资金不足时按比例核减"): when the qualifying awards want
    no more than the budget, every one is funded as it is (within_budget); when they want
    more, every one is scaled by budget ÷ wanted (prorated) and the budget is spent exactly.

    candidates: [(applicant id, rank values, payload, claim, low)], where claim is the award's
    maximum in 元 (whole cents) and low its minimum (None when it has none).

    The arithmetic, exact and in whole cents (T the budget in cents, rounded down so that no
    cent is invented; c the claim in cents; W = Σ c):
      share   r = c × T ÷ W, rounded once to the cent, half up: (2·c·T + W) // (2·W);
      remainder k = T − Σ r cents (|k| is at most half the number of awards): when k > 0 one
      cent more for each of the k awards that rounding cut the most (c·T − r·W largest), when
      k < 0 one cent less for each of the −k awards it raised the most (smallest); ties go to
      the applicant identifier, then the payload (register line, clause) — never the input
      order. So Σ funded = T: no cent lost or invented, and each award is within a cent of
      its exact share.
      The minimum is scaled the same way (half up, no remainder rule) and kept at most the
      funded maximum; an exact award (minimum = maximum) stays exact.
    Returns (decisions: payload -> (allocation, None), amounts: payload -> (min, max) in 元 for
    the prorated awards, summary)."""
    payer, amount = budget[0], budget[1]
    cents = [(int(candidate[3] * 100), candidate) for candidate in candidates]
    wanted = sum(c for c, _candidate in cents)
    total = int((Decimal(amount) * 100).to_integral_value(rounding=ROUND_FLOOR))
    summary = {"payer": payer, "budget": yuan(amount), "wanted": yuan(Decimal(wanted) / 100),
               "candidates": len(candidates)}
    if wanted <= total:
        summary.update({"spent": yuan(Decimal(wanted) / 100), "funded": len(candidates)})
        return {candidate[2]: ("within_budget", None) for candidate in candidates}, {}, summary
    shares = []
    for c, candidate in cents:
        r = (2 * c * total + wanted) // (2 * wanted)
        shares.append([c * total - r * wanted, str(candidate[0]), candidate[2], r, candidate, c])
    remainder = total - sum(share[3] for share in shares)
    if remainder > 0:
        for share in sorted(shares, key=lambda s: (-s[0], s[1], s[2]))[:remainder]:
            share[3] += 1
    elif remainder < 0:
        for share in sorted(shares, key=lambda s: (s[0], s[1], s[2]))[:-remainder]:
            share[3] -= 1
    decisions, amounts = {}, {}
    for _d, _a, payload, funded, candidate, _c in shares:
        low = candidate[4]
        if low is not None:
            low_cents = int(low * 100)
            if low_cents != _c:  # an exact award stays exact: its minimum is its funded maximum
                low_cents = min((2 * low_cents * total + wanted) // (2 * wanted), funded)
            else:
                low_cents = funded
            low = Decimal(low_cents) / 100
        decisions[payload] = (PRORATED, None)
        amounts[payload] = (None if low is None else low.quantize(CENT), (Decimal(funded) / 100).quantize(CENT))
    summary.update({"spent": yuan(Decimal(total) / 100), "funded": len(candidates), "prorated": len(candidates),
                    "over_by": yuan(Decimal(wanted - total) / 100)})
    return decisions, amounts, summary


def payer_share(spec, payer):
    """The part of an award a payer bears (all of it when the policy states no split)."""
    if spec.split is None:
        return Decimal(1)
    return dict(spec.split).get(payer, Decimal(0))


def pick_level(run, subject, value, levels):
    """BY-LEVEL: the index of value among the paying levels; a reason string if none pays."""
    if value is None:
        return None
    if value not in levels:
        run.note(f"{subject}：{value}，不在奖励等级（{'、'.join(levels)}）之内")
        return f"{subject}为「{value}」，不在奖励等级之内"
    run.note(f"{subject}：{value}")
    return levels.index(value)


# ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
def per_item_uncapped(run, name, index, value, amount):
    """One item of a 每项 award with no cap per item (only the award's total cap): its amount,
    at least 0."""
    del run.item[name]
    if amount is None:
        return None
    amount = max(amount, Decimal(0))
    run.note(f"第{index}项（{format_money(value) if isinstance(value, Decimal) else value}）：{format_money(amount)}")
    return amount


def pick_cell(run, row_fact, row_value, column_fact, column_value, rows, columns, filled):
    """TWO-KEY TABLE: (row, column) of the applicant's cell; a reason string when it pays
    nothing (a value with no row or column, an empty cell — or, with a value unknown, when
    every cell it could pick is empty); None when it cannot be decided."""
    if row_value is not None and row_value not in rows:
        run.note(f"{row_fact}：{row_value}，不在表中（{'、'.join(rows)}）")
        return f"{row_fact}为「{row_value}」，不在奖励表之内"
    if column_value is not None and column_value not in columns:
        run.note(f"{column_fact}：{column_value}，不在表中（{'、'.join(columns)}）")
        return f"{column_fact}为「{column_value}」，不在奖励表之内"
    candidates = [(i, j) for i in range(len(rows)) for j in range(len(columns))
                  if (row_value is None or rows[i] == row_value) and (column_value is None or columns[j] == column_value)]
    if not any(filled[i][j] for i, j in candidates):
        shown = "、".join(f"{rows[i]}×{columns[j]}" for i, j in candidates)
        run.note(f"{row_fact}×{column_fact}：{shown} 无奖励")
        return "奖励表中该项无奖励"
    if row_value is None or column_value is None:
        return None
    i, j = candidates[0]
    run.note(f"{row_fact}：{row_value}，{column_fact}：{column_value}")
    return (i, j)


def crossed(run, label, op, name, threshold, kind):
    """EACH TIER CROSSED (逐档): the assessed year's value passes the threshold and no earlier
    year on record did. The year before must be on record (it may have crossed the tier):
    without it, a tier the year passes is undecidable unless an older record passed it."""
    current = run.at(name, 0)
    if current is None or threshold is None:
        return None
    test = _COMPARE[op]
    shown = f"{label}［{run.year}年］：{format_value(current, kind)} 对 {format_value(threshold, kind)}"
    if not test(current, threshold):
        run.note(f"{shown} → 不成立")
        return False
    series = run.facts[name]
    for year in sorted(series):
        if year < run.year and test(series[year], threshold):
            run.note(f"{shown}，{year}年已达到 → 不成立")
            return False
    if series.get(run.year - 1) is None:
        run._miss(f"{name}（{run.year - 1}年）")
        run.note(f"{shown}，{run.year - 1}年无记录，无法判断此前是否已达到 → 无法判定")
        return None
    run.note(f"{shown}，此前未达到 → 成立")
    return True


def pick_upgrade(run, subject, value, held_fact, held, levels, order):
    """UPGRADE DIFFERENCE (晋级差额): (row of the new level, row of the held level or -1 when it
    has none); a reason string when it pays nothing (a new level with no row, no upgrade);
    None when it cannot be decided."""
    if value is None:
        return None
    if value not in levels:
        run.note(f"{subject}：{value}，不在奖励等级（{'、'.join(levels)}）之内")
        return f"{subject}为「{value}」，不在奖励等级之内"
    if held is None:
        return None
    if order.index(value) <= order.index(held):
        run.note(f"{subject}：{value}，{held_fact}：{held}，未晋级")
        return f"{subject}「{value}」未高于{held_fact}「{held}」，不属于晋级"
    run.note(f"{subject}：{value}，{held_fact}：{held}，按差额给予")
    return (levels.index(value), levels.index(held) if held in levels else -1)
