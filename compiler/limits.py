"""Stated limits on what a .pol file may contain, and exact conversion of its numbers.

A hostile or mistaken draft must get a diagnostic, never a traceback, a hang or an
exhausted memory. Every pass over expressions (the parser's transformer, the checks, type
inference, the printer, the interpreter, the code generator, the overlap analysis) walks
the tree recursively, so the depth of an expression is bounded here, once, before any of
them runs; numbers are bounded so that exact Decimal arithmetic never rounds them. The
README's "Limits" section states the same figures.
"""

from __future__ import annotations

import decimal
import functools
import re
from decimal import Decimal

from .diagnostics import Message

# A .pol file, in characters, for text handed to the parser directly (a file read from disk is
# refused past source.MAX_SOURCE_BYTES, the same figure in bytes, before it is decoded).
# The largest shipped policy is about 30,000 characters.
MAX_SOURCE_CHARS = 1_000_000
# Conditions and formulas nest at most this deep (且/或/非, comparisons, + - × ÷, 上年, 取整,
# 连续…), counting each 定义 an expression uses as if it were written out in place.
MAX_NESTING = 100
# Steps to evaluate one expression once, with its 定义 written out in place and the condition
# under 连续/近 N年 counted N times: bounds 定义 that use another several times over (each
# doubling the work) and 连续 nested in 连续.
MAX_COST = 10_000
# A name (fact, definition, enumeration value, matter), in characters.
MAX_NAME_CHARS = 100
# Numbers as written: digits before and after the decimal point.
MAX_INTEGER_DIGITS = 16
MAX_DECIMAL_PLACES = 6
# Values: money in 元 (10^15 元 = 1000万亿元, far above 1.6万亿元, the largest in the gazette),
# plain numbers, percentages (1000%).
MAX_MONEY = Decimal(10) ** 15
MAX_NUMBER = Decimal(10) ** 15
MAX_PERCENT = Decimal(10)  # as a fraction: 1000%
# 连续/近 N年 and 期限 最多 N年.
MAX_YEARS = 100
# Years written as 2020年, and the years of a series in an example.
MIN_YEAR, MAX_YEAR = 1000, 9999
# 名额 每年 N 家, 名额 比例 … 起点 N, and item numbers 第N项.
MAX_COUNT = 1_000_000
# 系数 N.
MAX_FACTOR = Decimal(100)

# Literals are converted in a context that traps instead of rounding: with the bounds above
# every literal fits in 40 digits, so an Inexact here would be a bug, never a silent rounding.
EXACT = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_UP, Emax=999, Emin=-999,
                        traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation,
                               decimal.Overflow, decimal.DivisionByZero])

UNIT_FACTORS = {"元": Decimal(1), "万元": Decimal(10) ** 4, "亿元": Decimal(10) ** 8, "万亿元": Decimal(10) ** 12}
_NUMERAL = re.compile(r"([0-9]+)(?:\.([0-9]+))?")


class OutOfRange(ValueError):
    """A literal outside the stated limits; carries the message in both languages."""

    def __init__(self, message: Message):
        super().__init__(message.en)
        self.message = message


def _digits(text: str) -> Decimal:
    """A plain decimal numeral (no sign, no exponent) as an exact Decimal, within the digit limits."""
    match = _NUMERAL.fullmatch(text)
    if match is None:
        raise OutOfRange(Message(f"「{text}」不是数字", f"{text!r} is not a number"))
    whole, fraction = match.group(1), match.group(2) or ""
    significant = whole.lstrip("0")
    if len(significant) > MAX_INTEGER_DIGITS:
        raise OutOfRange(Message(
            f"数字「{_short(text)}」整数部分有 {len(significant)} 位，最多 {MAX_INTEGER_DIGITS} 位",
            f"the number {_short(text)!r} has {len(significant)} digits before the point; at most {MAX_INTEGER_DIGITS}"))
    if len(fraction) > MAX_DECIMAL_PLACES:
        raise OutOfRange(Message(
            f"数字「{_short(text)}」有 {len(fraction)} 位小数，最多 {MAX_DECIMAL_PLACES} 位",
            f"the number {_short(text)!r} has {len(fraction)} decimal places; at most {MAX_DECIMAL_PLACES}"))
    return Decimal(text)


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}…{text[-6:]}（共{len(text)}字）"


@functools.lru_cache(maxsize=4096)  # a draft repeats its amounts; the value is immutable
def money(text: str) -> Decimal:
    """30万元 -> Decimal('300000'), exactly; out of range raises OutOfRange."""
    match = re.fullmatch(r"([0-9.]+)(万亿元|亿元|万元|元)", text)
    if match is None:
        raise OutOfRange(Message(f"「{_short(text)}」不是金额", f"{_short(text)!r} is not an amount of money"))
    value = EXACT.multiply(_digits(match.group(1)), UNIT_FACTORS[match.group(2)])
    if value > MAX_MONEY:
        raise OutOfRange(Message(f"金额 {_short(text)} 超过上限 1000万亿元",
                                 f"the amount {_short(text)} is above the limit of 10^15 元"))
    return value


@functools.lru_cache(maxsize=4096)  # a draft repeats its amounts; the value is immutable
def number(text: str) -> Decimal:
    value = _digits(text)
    if value > MAX_NUMBER:
        raise OutOfRange(Message(f"数值 {_short(text)} 超过上限 10^15", f"the number {_short(text)} is above the limit of 10^15"))
    return value


@functools.lru_cache(maxsize=4096)  # a draft repeats its amounts; the value is immutable
def percent(text: str) -> Decimal:
    """5% -> Decimal('0.05'), exactly."""
    value = EXACT.divide(_digits(text.rstrip("%")), Decimal(100))
    if value > MAX_PERCENT:
        raise OutOfRange(Message(f"百分比 {_short(text)} 超过上限 1000%", f"the percentage {_short(text)} is above the limit of 1000%"))
    return value


def whole(text: str, low: int, high: int, what_zh: str, what_en: str) -> int:
    """A whole number within [low, high] (a count, a year, a number of years)."""
    value = _digits(text)
    if value != value.to_integral_value():
        raise OutOfRange(Message(f"{what_zh}应为整数，这里是 {text}", f"{what_en} must be a whole number, not {text}"))
    if not low <= value <= high:
        raise OutOfRange(Message(f"{what_zh} {_short(text)} 超出范围 {low}–{high}",
                                 f"{what_en} {_short(text)} is outside {low}–{high}"))
    return int(value)


def factor(text: str) -> Decimal:
    value = _digits(text)
    if value > MAX_FACTOR:
        raise OutOfRange(Message(f"系数 {text} 超过上限 {MAX_FACTOR}", f"the coefficient {text} is above the limit of {MAX_FACTOR}"))
    return value
