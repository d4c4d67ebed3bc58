"""Static facts about awards: the most a clause can pay, per year and over its duration, and
the most a policy can pay one applicant once overlaps are resolved.

Used by the checks (unbounded awards, caps that never bind, budgets), the summaries, and the
property tests (no evaluated award may exceed a clause's ceiling).
"""

from __future__ import annotations

from decimal import Decimal

from . import ast

UNBOUNDED = None  # an upper bound that does not exist (a formula over facts with no cap)


def upper(node) -> Decimal | None:
    """An upper bound of an amount expression by interval arithmetic, or None if unbounded.
    Facts are unbounded above; constants bound themselves."""
    if isinstance(node, (ast.Money, ast.Number, ast.Percent, ast.UnitPrice)):
        return node.value
    if isinstance(node, ast.Floor):
        return upper(node.operand)
    if isinstance(node, ast.Binary):
        left, right = upper(node.left), upper(node.right)
        if node.op == "+" and left is not None and right is not None:
            return left + right
        if node.op == "-" and left is not None:
            return left  # subtracting a non-negative amount never raises the bound
        if node.op == "×" and left is not None and right is not None and left >= 0 and right >= 0:
            return left * right
    return UNBOUNDED


def amount_bound(form) -> Decimal | None:
    """The most an award form can pay in one year before its cap, or None if unbounded."""
    if isinstance(form, ast.Exact):
        return upper(form.amount)
    if isinstance(form, ast.UpTo):
        return upper(form.ceiling)
    if isinstance(form, ast.Range):
        return upper(form.high)
    if isinstance(form, (ast.ByLevel, ast.ByTier)):
        amounts = [upper(row.amount) for row in form.rows]
        return None if None in amounts else max(amounts, default=Decimal(0))
    return UNBOUNDED  # PerItem: the number of items is not bounded


def states_no_amount(clause: ast.Clause) -> bool:
    """Case by case, unspecified, routing and modifiers have no amount to bound."""
    if clause.award is None:
        return True
    return isinstance(clause.award.form, (ast.CaseByCase, ast.Unspecified, ast.Routing))


def clause_ceiling(clause: ast.Clause) -> Decimal | None:
    """The most one clause can pay in one year, or None if nothing bounds it (or it states
    no amount)."""
    if states_no_amount(clause):
        return None
    bound = amount_bound(clause.award.form)
    cap = upper(clause.award.cap) if clause.award.cap is not None else None
    if cap is not None:
        bound = cap if bound is None else min(bound, cap)
    return bound


def clause_total_ceiling(clause: ast.Clause) -> Decimal | None:
    """The most a clause can pay over its whole duration (3 years × 100万元 = 300万元)."""
    per_year = clause_ceiling(clause)
    if per_year is None:
        return None
    years = clause.duration.years if clause.duration is not None else 1
    return per_year * years


def policy_ceiling(policy: ast.Policy) -> tuple[Decimal, list[str], list[str]]:
    """The most the policy can pay one applicant in one year after 就高不重复: per matter the
    highest clause, plus every clause with a matter of its own. Returns the sum of bounded
    awards, the clauses with no bound, and those whose amount is not stated."""
    groups: dict[str, list[ast.Clause]] = {}
    unbounded, unstated = [], []
    for clause in policy.clauses:
        if clause.text_only or clause.award is None:
            continue
        if states_no_amount(clause):
            unstated.append(clause.label)
            continue
        if clause_ceiling(clause) is None:
            unbounded.append(clause.label)
            continue
        key = clause.matter.text if clause.matter and policy.principle == "就高不重复" else clause.label
        groups.setdefault(key, []).append(clause)
    total = sum((max(clause_ceiling(c) for c in members) for members in groups.values()), Decimal(0))
    return total, unbounded, unstated
