"""Static facts about awards: the most a clause can pay, per year and over its duration.

Used by the summaries and by the property tests (no evaluated award may exceed it).
"""

from __future__ import annotations

from decimal import Decimal

from . import ast


def _constant(node) -> Decimal | None:
    return node.value if isinstance(node, ast.Money) else None


def clause_ceiling(clause: ast.Clause) -> Decimal | None:
    """The most one clause can pay in one year, or None if no constant bounds it
    (a formula without a cap) or it states no amount (case by case, unspecified)."""
    award = clause.award
    if award is None:
        return None
    candidates: list[Decimal | None]
    form = award.form
    if isinstance(form, ast.Exact):
        candidates = [_constant(form.amount)]
    elif isinstance(form, ast.UpTo):
        candidates = [_constant(form.ceiling)]
    elif isinstance(form, ast.Range):
        candidates = [_constant(form.high)]
    elif isinstance(form, (ast.ByLevel, ast.ByTier)):
        amounts = [_constant(row.amount) for row in form.rows]
        candidates = [None if None in amounts else max(amounts, default=Decimal(0))]
    else:
        candidates = [None]
    bound = candidates[0]
    cap = _constant(award.cap) if award.cap is not None else None
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
