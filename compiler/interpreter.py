"""The reference interpreter: evaluates the AST directly.

It is the specification the generated modules are tested against (hypothesis checks that
both give the same result on every field), so it is written for clarity, not speed. It
shares compiler/runtime.py with the generated code for facts, traces and awards.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from .analysis import clause_ceiling
from . import ast, printer, runtime
from .types import Symbols, comparison, infer, value_kind


class _Evaluator:
    def __init__(self, policy: ast.Policy):
        self.policy = policy
        self.symbols = Symbols.of(policy)

    def reads_series(self, node) -> bool:
        t = infer(node, self.symbols)
        return t is not None and t.series

    def kind(self, node) -> str:
        return value_kind(infer(node, self.symbols))

    def value(self, node, run: runtime.Run, offset: int):
        if isinstance(node, (ast.Money, ast.UnitPrice, ast.Percent, ast.Number, ast.Bool, ast.YearValue)):
            return node.value
        if isinstance(node, ast.AssessedYear):
            return run.year - offset
        if isinstance(node, ast.Floor):
            return runtime.floor(self.value(node.operand, run, offset))
        if isinstance(node, ast.Ref):
            text = node.name.text
            if text in self.symbols.facts:
                decl = self.symbols.facts[text]
                value = run.at(text, offset) if decl.type.series else run.fact(text)
                if decl.type.base == "bool" and not decl.type.series:
                    return run.truth(text, value)
                return value
            if text in self.symbols.defs:
                decl = self.symbols.defs[text]
                return run.define(text, self.value(decl.expr, run, offset), self.kind(decl.expr))
            return text  # an enumeration value stands for itself
        if isinstance(node, ast.PrevYear):
            return run.at(node.operand.name.text, offset + 1)
        if isinstance(node, ast.Growth):
            return run.growth(node.operand.name.text, offset)
        if isinstance(node, ast.Neg):
            operand = self.value(node.operand, run, offset)
            return None if operand is None else -operand
        if isinstance(node, ast.Binary):
            return runtime.arith(node.op, self.value(node.left, run, offset), self.value(node.right, run, offset))
        if isinstance(node, ast.Compare):
            op, first_time = comparison(node.op)
            kind = self.kind(node.left)
            if first_time:
                return run.first_time(printer.expr(node), op, node.left.name.text,
                                      self.value(node.right, run, offset), kind, offset)
            left, right = self.value(node.left, run, offset), self.value(node.right, run, offset)
            if kind == "enum":
                return run.compare_ordered(printer.expr(node), op, left, right, self.order(node))
            return run.compare(printer.expr(node), op, left, right, kind,
                               offset if self.reads_series(node.left) or self.reads_series(node.right) else None)
        if isinstance(node, ast.Member):
            return run.member(printer.expr(node), self.value(node.subject, run, offset),
                              tuple(o.text for o in node.options), node.negated)
        if isinstance(node, ast.RunOfYears):
            results = [self.value(node.condition, run, offset + k) for k in range(node.years)]
            return run.run_of_years(printer.expr(node), results)
        if isinstance(node, ast.And):
            left = self.value(node.left, run, offset)
            if left is False:
                return False
            return runtime.kleene_and(left, self.value(node.right, run, offset))
        if isinstance(node, ast.Or):
            left = self.value(node.left, run, offset)
            if left is True:
                return True
            return runtime.kleene_or(left, self.value(node.right, run, offset))
        if isinstance(node, ast.Not):
            return runtime.kleene_not(self.value(node.operand, run, offset))
        raise TypeError(node)

    def order(self, node: ast.Compare) -> tuple[str, ...]:
        """The declared order of the enumeration compared (嘉奖 < 记三等功 < …)."""
        return enum_order(node, self.symbols)

    def clause(self, clause: ast.Clause):
        """A function Run -> Award | False | reason | None, evaluating the clause's AST."""
        def evaluate(run: runtime.Run):
            holds = True
            for condition in clause.conditions:
                outcome = self.value(condition, run, 0)
                if outcome is False:
                    return False
                holds = runtime.kleene_and(holds, outcome)
            if holds is None:
                return None
            if clause.modifier is not None:
                return True
            return self.award(clause.award, run)
        return evaluate

    def amount(self, node, run: runtime.Run):
        """An award's amount; a formula's value is shown in the trace, a constant needs no line."""
        value = self.value(node, run, 0)
        if isinstance(node, ast.Money):
            return value
        return run.define(printer.expr(node), value, "money")

    def award(self, award: ast.Award, run: runtime.Run):
        cap, cap_label = None, None
        if award.cap is not None:
            cap, cap_label = self.value(award.cap, run, 0), printer.expr(award.cap)
            if cap is None:
                return None
        form = award.form
        if isinstance(form, ast.Exact):
            return runtime.exact(run, self.amount(form.amount, run), cap, cap_label)
        if isinstance(form, ast.UpTo):
            return runtime.up_to(run, self.amount(form.ceiling, run), cap, cap_label)
        if isinstance(form, ast.Range):
            return runtime.between(run, self.amount(form.low, run), self.amount(form.high, run), cap, cap_label)
        if isinstance(form, ast.CaseByCase):
            return runtime.case_by_case(run)
        if isinstance(form, ast.Unspecified):
            return runtime.unspecified(run, form.note)
        if isinstance(form, ast.ByLevel):
            subject = form.subject.text
            picked = runtime.pick_level(run, subject, run.fact(subject), tuple(r.level.text for r in form.rows))
            if not isinstance(picked, int):
                return picked
            return runtime.exact(run, self.amount(form.rows[picked].amount, run), cap, cap_label)
        if isinstance(form, ast.Routing):
            return runtime.routing(run, form.approver)
        if isinstance(form, ast.PerItem):
            name = item_fact(form, self.symbols)
            values = runtime.items(run, name)
            if values is None:
                return None
            total = Decimal(0)
            for index, value in enumerate(values, 1):
                run.item[name] = value
                part = runtime.per_item(run, name, index, value, self.value(form.amount, run, 0),
                                        self.value(form.item_cap, run, 0), printer.expr(form.item_cap))
                if part is None:
                    return None
                total += part
            return runtime.exact(run, total, cap, cap_label)
        if isinstance(form, ast.ByTier):
            for row in form.rows:
                test = ast.Compare(form.op, form.subject, row.threshold)
                outcome = self.value(test, run, 0)
                if outcome is None:
                    return None
                if outcome:
                    return runtime.exact(run, self.amount(row.amount, run), cap, cap_label)
            return "未达到任何一档门槛"
        raise TypeError(form)


def enum_order(node: ast.Compare, symbols: Symbols) -> tuple[str, ...]:
    for side in (node.left, node.right):
        t = infer(side, symbols)
        if t is not None and t.enum:
            return symbols.enum_values(t.enum)
    return ()


def item_fact(form: ast.PerItem, symbols: Symbols) -> str:
    """The 逐项 fact a 每项 award goes through (the checks make sure there is exactly one)."""
    from .checks import walk
    for node in walk(form.amount):
        if isinstance(node, ast.Ref) and node.name.text in symbols.facts and symbols.facts[node.name.text].type.items:
            return node.name.text
    raise ValueError("每项 without a 逐项 fact")


def used_facts(policy: ast.Policy) -> set[str]:
    """Facts a policy reads: its own, and those of its vocabulary that it refers to."""
    from .checks import clause_expressions, facts_read
    symbols = Symbols.of(policy)
    used = {decl.name.text for decl in policy.facts}
    expressions = [expr for clause in policy.clauses for expr, _role in clause_expressions(clause)]
    used |= facts_read(expressions + [decl.expr for decl in policy.defs], symbols)
    for budget in policy.budgets:
        used.update(fact.text for fact, _descending in budget.ranking)
    for clause in policy.clauses:
        award = clause.award.form if clause.award else None
        if isinstance(award, ast.ByLevel):
            used.add(award.subject.text)
        if clause.duration is not None and clause.duration.start_fact is not None:
            used.add(clause.duration.start_fact.text)
        if clause.quota is not None:  # read across applicants by --batch: 基数, 每个, ranking
            q = clause.quota
            used.update(n.text for n in (q.base, *q.groups, *(fact for fact, _d in q.ranking)) if n is not None)
        for case in clause.cases:
            used.update(name.text for name, _value in case.facts)
    return used


def schema(policy: ast.Policy) -> dict:
    """The fact schema runtime.validate_facts expects: name -> FactSpec(kind, yearly, enum values, items).

    In declaration order (vocabulary first), so generated modules are deterministic."""
    symbols = Symbols.of(policy)
    used = used_facts(policy)
    result = {}
    for name, decl in symbols.facts.items():
        if name not in used:
            continue
        options = symbols.enum_values(decl.type.enum.text) if decl.type.base == "enum" else None
        result[name] = runtime.FactSpec(decl.type.base, decl.type.series, options, decl.type.items)
    return result


def policy_info(policy: ast.Policy) -> runtime.PolicyInfo:
    return runtime.PolicyInfo(
        docno=policy.docno, title=policy.title, path=policy.path,
        effective_from=policy.effective_from.value if policy.effective_from else None,
        effective_until=policy.effective_until.value if policy.effective_until else None,
        assessed_offset=1 if policy.assessed_year == "上一年" else 0,
        principle=policy.principle, schema=schema(policy), transitional=transitional(policy),
        budgets=budgets(policy))


def ranking_keys(keys) -> tuple:
    return tuple((fact.text, descending) for fact, descending in keys)


def quota(clause: ast.Clause):
    """(per year, share, threshold, ranking keys, 基数 fact, 每个 facts) for
    runtime.allocate_quota, or None."""
    q = clause.quota
    if q is None:
        return None
    return (q.per_year, q.share.value if q.share else None, q.threshold, ranking_keys(q.ranking),
            q.base.text if q.base else None, tuple(g.text for g in q.groups))


def could_pay(clause: ast.Clause) -> Decimal | None:
    """The most a clause pays in a year, for total.max when it cannot be decided: 0 for a
    routing outcome (not money), None when no bound is stated (case by case, uncapped)."""
    if clause.award is not None and isinstance(clause.award.form, ast.Routing):
        return Decimal(0)
    return clause_ceiling(clause)


def budgets(policy: ast.Policy) -> tuple:
    return tuple((b.payer.text, b.amount.value, ranking_keys(b.ranking)) for b in policy.budgets)


def transitional(policy: ast.Policy) -> tuple:
    return tuple((rule.before_year, rule.governed_by) for rule in policy.transitional if rule.before_year is not None)


def split(policy: ast.Policy, clause: ast.Clause):
    """CO-FUNDING: ((payer, share), ...) for this clause, or None."""
    for rule in policy.splits:
        if clause.article not in {a.text for a in rule.except_articles}:
            return tuple((payer.text, share.value) for payer, share in rule.shares)
    return None


def cofunded(policy: ast.Policy, clause: ast.Clause) -> bool:
    return bool(policy.cofunding) and all(clause.article not in {a.text for a in co.except_articles}
                                          for co in policy.cofunding)


def paying_clauses(policy: ast.Policy) -> list[ast.Clause]:
    """Clauses that are evaluated: those with an award, and MODIFIER clauses."""
    return [c for c in policy.clauses if not c.text_only and (c.award is not None or c.modifier is not None)]


def clause_specs(policy: ast.Policy) -> list[runtime.ClauseSpec]:
    evaluator = _Evaluator(policy)
    specs = []
    for clause in paying_clauses(policy):
        duration = clause.duration
        specs.append(runtime.ClauseSpec(
            policy=policy.docno, article=clause.article, item=clause.item, title=clause.title,
            matter=clause.matter.text if clause.matter else None,
            matter_fact=clause.matter_by.text if clause.matter_by else None,
            source=f"{policy.path}:{clause.span.line}", evaluate=evaluator.clause(clause),
            duration=duration.years if duration else None,
            start_fact=duration.start_fact.text if duration and duration.start_fact else None,
            start_next_year=duration.start_next_year if duration else False,
            cofunded=cofunded(policy, clause),
            modifies=(clause.modifier.matter.text, clause.modifier.factor) if clause.modifier else None,
            split=split(policy, clause), quota=quota(clause), ceiling=could_pay(clause)))
    return specs


def evaluate(policies: list[ast.Policy], facts: dict, on: datetime.date | str) -> runtime.Evaluation:
    return runtime.evaluate_policies([(policy_info(p), clause_specs(p)) for p in policies], facts, on)
