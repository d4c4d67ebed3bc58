"""The reference interpreter: evaluates the lowered model directly.

It is the specification the generated modules are tested against (hypothesis checks that
both give the same result on every field), so it is written for clarity, not speed. It
shares compiler/runtime.py with the generated code for facts, traces and awards, and reads
only the model (compiler/model.py): what a clause means was decided by lowering.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import assert_never

from . import model, runtime


class _Evaluator:
    def __init__(self, policy: model.PolicyModel):
        self.policy = policy

    def value(self, node: model.Expr, run: runtime.Run, offset: int):
        match node:
            case model.Constant() | model.BoolConstant() | model.YearConstant():
                return node.value
            case model.AssessedYear():
                return run.year - offset
            case model.Floor():
                return runtime.floor(self.value(node.operand, run, offset))
            case model.FactRef():
                name, t = node.fact.name, node.fact.type
                value = run.at(name, offset) if t.series else run.fact(name)
                if t.base is model.Base.BOOL and not t.series:
                    return run.truth(name, value)
                return value
            case model.DefRef():
                definition = self.policy.definitions[node.name]
                return run.define(node.name, self.value(definition.expr, run, offset), definition.kind)
            case model.EnumValue():
                return node.value  # an enumeration value stands for itself
            case model.PrevYear():
                return run.at(node.fact.name, offset + 1)
            case model.Growth():
                return run.growth(node.fact.name, offset)
            case model.Neg():
                operand = self.value(node.operand, run, offset)
                return None if operand is None else -operand
            case model.Arith():
                return runtime.arith(node.op.value, self.value(node.left, run, offset), self.value(node.right, run, offset))
            case model.Compare():
                return self.compare(node, run, offset)
            case model.Member():
                return run.member(node.text, self.value(node.subject, run, offset), node.options, node.negated)
            case model.RunOfYears():
                results = [self.value(node.condition, run, offset + k) for k in range(node.years)]
                return run.run_of_years(node.text, results)
            case model.And():
                left = self.value(node.left, run, offset)
                if left is False:
                    return False
                return runtime.kleene_and(left, self.value(node.right, run, offset))
            case model.Or():
                left = self.value(node.left, run, offset)
                if left is True:
                    return True
                return runtime.kleene_or(left, self.value(node.right, run, offset))
            case model.Not():
                return runtime.kleene_not(self.value(node.operand, run, offset))
            case _:
                assert_never(node)

    def compare(self, node: model.Compare, run: runtime.Run, offset: int):
        op, kind = node.op.value, node.kind.value
        if node.first_time:
            assert isinstance(node.left, model.FactRef)  # lowering guarantees it
            return run.first_time(node.text, op, node.left.fact.name, self.value(node.right, run, offset), kind, offset)
        left, right = self.value(node.left, run, offset), self.value(node.right, run, offset)
        if node.ordered:
            return run.compare_ordered(node.text, op, left, right, node.order)
        return run.compare(node.text, op, left, right, kind, offset if node.per_year else None)

    def clause(self, clause: model.ClauseModel):
        """A function Run -> Award | False | reason | None, evaluating the clause's model."""
        def evaluate(run: runtime.Run):
            holds: bool | None = True
            for condition in clause.conditions:
                outcome = self.value(condition, run, 0)
                if outcome is False:
                    return False
                holds = runtime.kleene_and(holds, outcome)
            if holds is None:
                return None
            if clause.modifier is not None:
                return True
            assert clause.award is not None  # an evaluated clause has an award or a modifier
            if clause.parts:  # issue 13: payments in parts
                return self.in_parts(clause, self.award(clause.award, run), run)
            return self.award(clause.award, run)
        return evaluate

    def payer_rules(self, clause: model.ClauseModel):
        """Issue 13, payers by condition: runtime.ClauseSpec.payer_rules, or None."""
        if not clause.payer_rules:
            return None
        def test(condition):
            return lambda run: self.value(condition, run, 0)
        return tuple((None if rule.condition is None else test(rule.condition),
                      tuple((share.payer, share.share) for share in rule.shares)) for rule in clause.payer_rules)

    def in_parts(self, clause: model.ClauseModel, award, run: runtime.Run):
        """其中 …: each part's condition is read only once the clause pays (runtime.in_parts)."""
        if award is None or award is False or isinstance(award, str):
            return award
        parts = tuple((part.share, part.text, part.year,
                       True if part.condition is None else self.value(part.condition, run, 0)) for part in clause.parts)
        return runtime.in_parts(run, award, parts)

    def amount(self, node: model.Expr, run: runtime.Run):
        """An award's amount; a formula's value is shown in the trace, a constant needs no line."""
        value = self.value(node, run, 0)
        if model.is_money_constant(node):
            return value
        return run.define(node.text, value, "money")

    def award(self, award: model.Award, run: runtime.Run):
        cap, cap_label = None, None
        if award.cap is not None:
            cap, cap_label = self.value(award.cap, run, 0), award.cap.text
            if cap is None:
                return None
        form = award.form
        match form:
            case model.Exact():
                return runtime.exact(run, self.amount(form.amount, run), cap, cap_label)
            case model.UpTo():
                return runtime.up_to(run, self.amount(form.ceiling, run), cap, cap_label)
            case model.Range():
                return runtime.between(run, self.amount(form.low, run), self.amount(form.high, run), cap, cap_label)
            case model.CaseByCase():
                return runtime.case_by_case(run)
            case model.Unspecified():
                return runtime.unspecified(run, form.note)
            case model.ByLevel():
                subject = form.subject.name
                picked = runtime.pick_level(run, subject, run.fact(subject), tuple(r.level for r in form.rows))
                if not isinstance(picked, int):
                    return picked
                return runtime.exact(run, self.amount(form.rows[picked].amount, run), cap, cap_label)
            case model.Routing() if form.outcome != "审定":  # issue 13: 免收, 优先保障, 列入, 授予
                return runtime.outcome(run, form.outcome, form.approver)
            case model.Routing():
                return runtime.routing(run, form.approver)
            case model.PerItem():
                name = form.item_fact.name
                values = runtime.items(run, name)
                if values is None:
                    return None
                total = Decimal(0)
                for index, value in enumerate(values, 1):
                    run.item[name] = value
                    if form.item_cap is None:  # 每项 with the total cap only
                        part = runtime.per_item_uncapped(run, name, index, value, self.value(form.amount, run, 0))
                    else:
                        part = runtime.per_item(run, name, index, value, self.value(form.amount, run, 0),
                                                self.value(form.item_cap, run, 0), form.item_cap.text)
                    if part is None:
                        return None
                    total += part
                return runtime.exact(run, total, cap, cap_label)
            case model.ByTier():
                return self.first_row(form.rows, run, cap, cap_label, model.NO_TIER_MET)
            case model.ByRunYear():  # issue 13: the row whose years of the 期限 hold the assessed year
                return self.first_row(form.rows, run, cap, cap_label, model.NO_RUN_YEAR, labelled=True)
            case model.AtLeast():
                return runtime.at_least(run, self.amount(form.floor, run), cap, cap_label)
            case model.ByTable() | model.ByBand() | model.EachTier() | model.Upgrade():
                return self.table_award(form, run, cap, cap_label)
            case _:
                assert_never(form)

    def first_row(self, rows, run: runtime.Run, cap, cap_label, none_met: str, labelled: bool = False):
        """Tiers, bands and the years of a run: the first row whose test holds pays its amount;
        an unknown test before it makes the award unknown; none holding gives `none_met`.
        `labelled`: the row reached is named in the trace (分年度：后两年（第4–5年）)."""
        for row in rows:
            outcome = self.value(row.test, run, 0)
            if outcome is None:
                return None
            if outcome:
                if labelled:
                    run.note(row.label)
                return runtime.exact(run, self.amount(row.amount, run), cap, cap_label)
        return none_met

    # ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
    def table_award(self, form: model.ByTable | model.ByBand | model.EachTier | model.Upgrade, run: runtime.Run,
                    cap, cap_label):
        match form:
            case model.ByTable():
                row_fact, column_fact = form.row_fact.name, form.column_fact.name
                picked = runtime.pick_cell(run, row_fact, run.fact(row_fact), column_fact, run.fact(column_fact),
                                           form.levels, form.columns, form.filled)
                if not isinstance(picked, tuple):
                    return picked
                cell = form.rows[picked[0]].cells[picked[1]]
                assert cell is not None  # pick_cell picks filled cells only
                return runtime.exact(run, self.amount(cell, run), cap, cap_label)
            case model.ByBand():
                return self.first_row(form.rows, run, cap, cap_label, model.NO_BAND_MET)
            case model.EachTier():
                outcomes = [runtime.crossed(run, tier.test.text, form.op.value, form.subject.name,
                                            self.value(tier.threshold, run, 0), form.kind.value) for tier in form.rows]
                if None in outcomes:
                    return None
                if not any(outcomes):
                    return model.NO_TIER_MET
                total = Decimal(0)
                for tier, outcome in zip(form.rows, outcomes):
                    if outcome:
                        part = self.amount(tier.amount, run)
                        if part is None:
                            return None
                        total += part
                return runtime.exact(run, total, cap, cap_label)
            case model.Upgrade():
                subject, held = form.subject.name, form.held.name
                picked = runtime.pick_upgrade(run, subject, run.fact(subject), held, run.fact(held),
                                              tuple(r.level for r in form.rows), form.order)
                if not isinstance(picked, tuple):
                    return picked
                new = self.amount(form.rows[picked[0]].amount, run)
                old = self.amount(form.rows[picked[1]].amount, run) if picked[1] >= 0 else Decimal(0)
                return runtime.exact(run, runtime.sub(new, old), cap, cap_label)
            case _:
                assert_never(form)


def policy_info(policy: model.PolicyModel) -> runtime.PolicyInfo:
    return runtime.PolicyInfo(
        docno=policy.docno, title=policy.title, path=policy.path,
        effective_from=policy.effective_from, effective_until=policy.effective_until,
        assessed_offset=policy.assessed_year.offset,
        principle=policy.principle.value if policy.principle else None,
        schema={name: runtime.FactSpec(*spec) for name, spec in policy.schema().items()},
        transitional=policy.transitional_spec(), budgets=policy.budgets_spec(),
        caps=policy.caps_spec())


def clause_specs(policy: model.PolicyModel) -> list[runtime.ClauseSpec]:
    evaluator = _Evaluator(policy)
    specs = []
    for clause in policy.evaluated_clauses:
        duration = clause.duration
        specs.append(runtime.ClauseSpec(
            policy=policy.docno, article=clause.article, item=clause.item, title=clause.title,
            matter=clause.matter.name if clause.matter else None,
            matter_fact=clause.matter_by.name if clause.matter_by else None,
            source=clause.source, evaluate=evaluator.clause(clause),
            duration=duration.years if duration else None,
            start_fact=duration.start_fact.name if duration and duration.start_fact else None,
            start_next_year=duration.start_next_year if duration else False,
            cofunded=clause.cofunded,
            modifies=(clause.modifier.matter, clause.modifier.factor) if clause.modifier else None,
            split=tuple((s.payer, s.share) for s in clause.split) if clause.split is not None else None,
            quota=clause.quota.runtime_spec() if clause.quota else None, ceiling=clause.could_pay,
            outcome=clause.outcome, payer_rules=evaluator.payer_rules(clause),
            offsets=tuple((offset.source.value, offset.name) for offset in clause.offsets)))
    return specs


def evaluate(policies: list[model.PolicyModel], facts: dict, on: datetime.date | str) -> runtime.Evaluation:
    return runtime.evaluate_policies([(policy_info(p), clause_specs(p)) for p in policies], facts, on)
