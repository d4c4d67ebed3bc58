"""Static facts about awards: the most a clause can pay, per year and over its duration, and
the most a policy can pay one applicant once overlaps are resolved.

Used by the checks (unbounded awards, caps that never bind, budgets), the summaries, and the
property tests (no evaluated award may exceed a clause's ceiling).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Callable

from . import ast

UNBOUNDED = None  # an upper bound that does not exist (a formula over facts with no cap)


def upper(node, known=None) -> Decimal | None:
    """An upper bound of an amount expression, or None if unbounded (`known`: see bounds)."""
    return bounds(node, known)[1]


def bounds(node, known=None) -> tuple[Decimal | None, Decimal | None]:
    """(lowest, highest) an amount expression can be, by interval arithmetic; None for no
    bound on that side. Facts are taken as non-negative and unbounded above, unless `known`
    (a name → its upper bound, from the clause's own conditions: condition_bounds) bounds
    them; constants bound themselves; a minus sign turns bounds round (10万元 - -5万元 is
    15万元, not 10万元)."""
    if isinstance(node, (ast.Money, ast.Number, ast.Percent, ast.UnitPrice)):
        return node.value, node.value
    if isinstance(node, ast.Floor):
        low, high = bounds(node.operand, known)
        return (None if low is None else low.to_integral_value(rounding=ROUND_FLOOR)), high
    if isinstance(node, ast.Neg):
        low, high = bounds(node.operand, known)
        return (None if high is None else -high), (None if low is None else -low)
    if isinstance(node, ast.Ref) and known and node.name.text in known:
        return Decimal(0), known[node.name.text]
    if isinstance(node, ast.Binary):
        (l1, h1), (l2, h2) = bounds(node.left, known), bounds(node.right, known)
        if node.op == "+":
            return _plus(l1, l2), _plus(h1, h2)
        if node.op == "-":
            return _plus(l1, None if h2 is None else -h2), _plus(h1, None if l2 is None else -l2)
        if node.op == "×":
            return _times(l1, h1, l2, h2)
        if node.op == "÷" and l2 is not None and l2 == h2 and l2 > 0:
            return (None if l1 is None else l1 / l2), (None if h1 is None else h1 / l2)
        return None, None
    return Decimal(0), UNBOUNDED  # a fact, a definition, a year: at least 0, no upper bound


def _plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a + b


def _times(l1, h1, l2, h2) -> tuple[Decimal | None, Decimal | None]:
    if None not in (l1, h1, l2, h2):
        products = [l1 * l2, l1 * h2, h1 * l2, h1 * h2]
        return min(products), max(products)
    if l1 is not None and l2 is not None and l1 >= 0 and l2 >= 0:
        # Both non-negative, one unbounded above: the product is too, unless a side is 0.
        if (h1 is not None and h1 == 0) or (h2 is not None and h2 == 0):
            return Decimal(0), Decimal(0)
        return l1 * l2, UNBOUNDED
    return None, None


def amount_bound(form, known=None) -> Decimal | None:
    """The most an award form can pay in one year before its cap, or None if unbounded
    (`known`: upper bounds of names, see bounds)."""
    if isinstance(form, ast.Exact):
        return upper(form.amount, known)
    if isinstance(form, ast.UpTo):
        return upper(form.ceiling, known)
    if isinstance(form, ast.Range):
        return upper(form.high, known)
    if isinstance(form, (ast.ByLevel, ast.ByTier, ast.ByRunYear)):
        amounts = [upper(row.amount, known) for row in form.rows]
        return None if None in amounts else max(amounts, default=Decimal(0))
    if isinstance(form, (ast.ByTable, ast.ByBand, ast.EachTier, ast.Upgrade)):
        return table_amount_bound(form)
    return UNBOUNDED  # PerItem: the number of items is not bounded


# ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
def table_amount_bound(form) -> Decimal | None:
    """The most an issue-13 table form pays in one year before its cap (None: unbounded)."""
    if isinstance(form, ast.ByTable):
        amounts = [upper(cell) for row in form.rows for cell in row.cells if cell is not None]
    elif isinstance(form, ast.ByBand) and form.whole_quantity:
        # price × the whole quantity: bounded by the band's upper bound (none: unbounded)
        amounts = []
        for row in form.rows:
            highs = [upper(b.value) for b in row.bounds if band_side(b.op) == "upper"]
            price = upper(row.amount)
            amounts.append(None if not highs or None in highs or price is None else max(price * min(highs), Decimal(0)))
    elif isinstance(form, ast.ByBand):
        amounts = [upper(row.amount) for row in form.rows]
    elif isinstance(form, ast.EachTier):  # every tier can be crossed in one year: they add up
        parts = [upper(row.amount) for row in form.rows]
        return None if None in parts else sum((max(p, Decimal(0)) for p in parts), Decimal(0))
    else:  # Upgrade: the new level's amount less the held one's (at least 0, unless a row can be negative)
        amounts = [upper(row.amount) for row in form.rows]
        lows = [bounds(row.amount)[0] for row in form.rows]
        if None in amounts or None in lows:
            return None
        least = min([Decimal(0), *lows])
        return max(amounts, default=Decimal(0)) - least
    return None if None in amounts else max(amounts, default=Decimal(0))


_BAND_SIDES = {"超过": "lower", "高于": "lower", "大于": "lower", "不低于": "lower", "不少于": "lower", "达到": "lower",
               ">": "lower", ">=": "lower", "≥": "lower", "不超过": "upper", "不高于": "upper", "低于": "upper",
               "少于": "upper", "不足": "upper", "<": "upper", "<=": "upper", "≤": "upper"}


def band_side(word: str) -> str | None:
    """Whether a band bound's word bounds it from below or above (None: 等于, 首次…, 均…)."""
    return _BAND_SIDES.get(word)


def states_no_amount(clause: ast.Clause) -> bool:
    """Case by case, unspecified, routing and modifiers have no amount to bound."""
    if clause.award is None:
        return True
    return isinstance(clause.award.form, (ast.CaseByCase, ast.Unspecified, ast.Routing))


def clause_ceiling(clause: ast.Clause) -> Decimal | None:
    """The most one clause can pay in one year, or None if nothing bounds it (or it states
    no amount). The clause's own conditions bound the facts they compare with a constant
    (condition_bounds): 投资额 低于 1000万元 and 投资额 × 5% pay at most 50万元."""
    if states_no_amount(clause):
        return None
    known = condition_bounds(clause.conditions)
    bound = amount_bound(clause.award.form, known)
    cap = upper(clause.award.cap, known) if clause.award.cap is not None else None
    if cap is not None:
        bound = cap if bound is None else min(bound, cap)
    return bound


def clause_total_ceiling(clause: ast.Clause, ceiling: Callable[[ast.Clause], Decimal | None] | None = None) -> Decimal | None:
    """The most a clause can pay over its whole duration (3 years × 100万元 = 300万元).
    ceiling: clause_ceiling, or a caller's copy that remembers it (lowering asks for each
    clause's ceiling three times)."""
    per_year = (ceiling or clause_ceiling)(clause)
    if per_year is None:
        return None
    years = clause.duration.years if clause.duration is not None else 1
    form = clause.award.form if clause.award is not None else None
    if isinstance(form, ast.ByRunYear):  # issue 13: 前三年 80%、后两年 50%: each row for its own years
        cap = upper(clause.award.cap) if clause.award.cap is not None else None
        total = Decimal(0)
        for row in form.rows:
            bound = upper(row.amount)
            bound = cap if bound is None else (bound if cap is None else min(bound, cap))
            if bound is None:
                return None
            total += bound * (row.last - row.first + 1)
        return total
    return per_year * years


def policy_ceiling(policy: ast.Policy, ceiling: Callable[[ast.Clause], Decimal | None] | None = None
                   ) -> tuple[Decimal, list[str], list[str]]:
    """The most the policy can pay one applicant in one year after 就高不重复: per matter the
    highest clause, plus every clause with a matter of its own. Returns the sum of bounded
    awards, the clauses with no bound, and those whose amount is not stated.
    ceiling: as for clause_total_ceiling."""
    ceiling_of = ceiling or clause_ceiling
    groups: dict[str, list[ast.Clause]] = {}
    unbounded, unstated = [], []
    for clause in policy.clauses:
        if clause.text_only or clause.award is None:
            continue
        if states_no_amount(clause):
            unstated.append(clause.label)
            continue
        if ceiling_of(clause) is None:
            unbounded.append(clause.label)
            continue
        key = clause.matter.text if clause.matter and policy.principle == "就高不重复" else clause.label
        groups.setdefault(key, []).append(clause)
    total = sum((max(ceiling_of(c) for c in members) for members in groups.values()), Decimal(0))
    return total, unbounded, unstated


# ---- issue 13: bounds the clause's own conditions imply (r14-caps)
_AT_MOST = ("lt", "le", "eq")  # 低于/不足/少于, 不超过/不高于/以下/以内, 等于


def condition_bounds(conditions) -> dict[str, Decimal]:
    """Upper bounds of names (facts, definitions) that a clause's own conditions state: each
    `当` line, and each side of 且 in it, that compares a name with a constant by <, ≤ or =
    (投资额 低于 1000万元, 投资额 1000万元以下, 人数 等于 5). Nothing under 或, 非, 连续/近 N年 or
    首次 counts, nor a constant on the left; a name read in another year (上年 X, X 增速) is
    another value and not bounded. A strict bound (低于) is used as the bound itself."""
    from .types import COMPARISONS
    found: dict[str, Decimal] = {}
    pending = list(conditions)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.And):
            pending += [node.left, node.right]
            continue
        if not isinstance(node, ast.Compare) or node.op not in COMPARISONS:  # 首次…/均… are not plain bounds
            continue
        if COMPARISONS[node.op] not in _AT_MOST or not isinstance(node.left, ast.Ref):
            continue
        if not isinstance(node.right, (ast.Money, ast.Number, ast.Percent)):
            continue
        name = node.left.name.text
        found[name] = node.right.value if name not in found else min(found[name], node.right.value)
    return found
