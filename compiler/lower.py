"""Lowering: AST -> model. What a policy means is decided here, once.

The AST keeps the drafter's words; every consumer used to re-derive from them what a clause
means (which names are facts, what 首次超过 compares, which fact a 每项 award goes through,
what a clause can pay at most …). Here each is decided once and stored in the model
(compiler/model.py), which the interpreter and every backend read instead of the AST:

- names resolve against the policy's symbols (its imported vocabulary first, as
  types.Symbols does), so a reference becomes a FactRef, a DefRef or an EnumValue;
- comparison words, 冲突原则 and 考核年度 become enums;
- types are inferred (types.infer) once, for the trace kinds and the enumeration orders;
- each expression keeps its canonical .pol text (printer.expr), the label traces show;
- static facts (ceilings, could-pay, cofunding, splits, the facts a clause reads, the facts
  schema) are computed with compiler/analysis.py.

Lowering expects a policy that passed the checks; on one that did not, it still lowers what
it can (an undeclared name reads as an enumeration value, as the interpreter always did) and
raises LoweringError only where no meaning can be given (首次 over a formula).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, assert_never

from . import analysis, ast, model, printer
from .types import Symbols, Type, comparison, infer, value_kind


class LoweringError(ValueError):
    """A construct with no meaning to lower (the checks report it first on a real draft)."""


def lower(policy: ast.Policy) -> model.PolicyModel:
    """The model of one policy (its vocabulary merged, as attached by the driver)."""
    return _Lowering(policy).policy()


def lower_with_reads(policy: ast.Policy, shared: dict | None = None) -> tuple[model.PolicyModel, tuple[frozenset[str], ...]]:
    """The model of one policy, and for each of its clauses (in order) every fact the clause's
    model can read, directly or through the definitions it names: what
    model.facts_read([clause], policy) gives, taken from the walk lowering makes anyway for
    the facts schema (used_facts). The overlap check remembers clause runs by these facts.
    shared: a dict kept by the caller across the policies it lowers, in which the model of
    each matter declared in a vocabulary they share is made once (see _Lowering)."""
    lowering = _Lowering(policy, shared)
    lowered = lowering.policy()
    return lowered, lowering.reads_per_clause(lowered.clauses)


def lower_all(policies: Iterable[ast.Policy]) -> list[model.PolicyModel]:
    return [lower(policy) for policy in policies]


def lower_overlaps(found: Iterable, policies: Iterable[ast.Policy],
                   lowered: Callable[[ast.Policy], model.PolicyModel] = lower) -> list[model.Overlap]:
    """The overlaps the checks found (compiler.overlaps.Overlap, on the AST) with each side's
    policy and clause models, for the summaries. lowered gives a policy's model (the driver
    passes its cache, so each policy is lowered once and the models are shared)."""
    by_identity: dict[int, tuple[model.PolicyModel, model.ClauseModel]] = {}
    for policy in policies:
        policy_model = lowered(policy)
        for clause, clause_model in zip(policy.clauses, policy_model.clauses):
            by_identity[id(clause)] = (policy_model, clause_model)
    result = []
    for overlap in found:
        first, second = by_identity.get(id(overlap.first[1])), by_identity.get(id(overlap.second[1]))
        if first is not None and second is not None:
            result.append(model.Overlap(first, second, overlap.matter, overlap.decided, overlap.witness,
                                        overlap.reason, overlap.confirmed))
    return result


# ---------------------------------------------------------------- helpers on the AST
# Used by the checks too (which still read the AST): one definition of each.
def split_rule(policy: ast.Policy, clause: ast.Clause) -> ast.Split | None:
    """The 分担 rule for this clause: the first one it is not excepted from, or None (also
    when that one has a condition: the payers then depend on the applicant, see payer_rules)."""
    rules = payer_rules(policy, clause)
    return rules[0] if rules and rules[0].condition is None else None


def payer_rules(policy: ast.Policy, clause: ast.Clause) -> list[ast.Split]:
    """Issue 13, payers by condition: the 分担 rules this clause may take, in order — those it
    is not excepted from, up to and including the first without a condition."""
    rules = []
    for rule in policy.splits:
        if not any(clause.under(a.text) for a in rule.except_articles):  # 除外 第十二条 [第2项] | "二、（一）"
            rules.append(rule)
            if rule.condition is None:
                break
    return rules


def split_of(policy: ast.Policy, clause: ast.Clause) -> tuple[tuple[str, Decimal], ...] | None:
    """分担: ((payer, share), …) for this clause, or None."""
    rule = split_rule(policy, clause)
    return None if rule is None else tuple((payer.text, share.value) for payer, share in rule.shares)


def is_cofunded(policy: ast.Policy, clause: ast.Clause) -> bool:
    """配套 applies to the clause: the policy has some, and no rule excepts the clause."""
    return bool(policy.cofunding) and all(not any(clause.under(a.text) for a in co.except_articles)
                                          for co in policy.cofunding)


def is_evaluated(clause: ast.Clause) -> bool:
    """Clauses that are run: not text only, with an award or a modifier."""
    return not clause.text_only and (clause.award is not None or clause.modifier is not None)


def _model_type(t: Type | None) -> model.Type | None:
    if t is None:
        return None
    made = _MODEL_TYPES.get(t)
    if made is None:
        base = model.Base(t.base)
        if base is model.Base.UNIT_PRICE:
            made = model.Type(base, None, t.series, t.items, unit=t.enum)
        else:
            made = model.Type(base, t.enum, t.series, t.items)
        if len(_MODEL_TYPES) < 1024:  # a few dozen types in practice; never grows without bound
            _MODEL_TYPES[t] = made
    return made


# types.Type -> model.Type: both frozen values, so one model.Type serves every node of a type
# (lowering makes one per typed node: 20,000 for 5,000 clauses).
_MODEL_TYPES: dict[Type, model.Type] = {}


def _declared_type(decl: ast.FactDecl) -> model.Type:
    t = decl.type
    return model.Type(model.Base(t.base), t.enum.text if t.enum else None, t.series, t.items)


class _Lowering:
    def __init__(self, policy: ast.Policy, shared_models: dict | None = None):
        self.source = policy
        self.symbols = Symbols.of(policy)
        self._reads: tuple | None = None  # see clause_reads
        self.texts: dict = {}  # printer.expr's texts, each node printed once (see printer.expr)
        self.posix_path = Path(policy.path).as_posix()  # each clause's source names it
        self.ceilings: dict = {}  # id(clause) -> (clause, its ceiling): see ceiling
        vocabulary = policy.vocabulary
        shared = {id(decl) for source in ([vocabulary] if vocabulary is not None else [])
                  for kind in ("enums", "facts", "defs", "matters") for decl in getattr(source, kind)}
        self.owners: dict[str, list[str]] = {}  # enumeration value -> the enumerations declaring it
        for enum_name, enum_decl in self.symbols.enums.items():
            for value in dict.fromkeys(v.text for v in enum_decl.values):
                self.owners.setdefault(value, []).append(enum_name)
        self.enumerations = {name: model.Enumeration(name, tuple(v.text for v in decl.values), id(decl) in shared, decl.span)
                             for name, decl in self.symbols.enums.items()}
        self.facts = {name: model.Fact(name, _declared_type(decl), decl.note,
                                       self.symbols.enum_values(decl.type.enum.text) if decl.type.base == "enum" and decl.type.enum else (),
                                       id(decl) in shared, decl.span)
                      for name, decl in self.symbols.facts.items()}
        if shared_models is None:
            self.matters = {name: model.Matter(name, decl.note, id(decl) in shared, True, decl.span)
                            for name, decl in self.symbols.matters.items()}
        else:  # a Matter is made from its declaration alone: one per declaration (and sharing)
            self.matters = {}
            for name, decl in self.symbols.matters.items():
                key = ("matter", name, id(decl), id(decl) in shared)
                known = shared_models.get(key)
                if known is None or known[0] is not decl:
                    known = shared_models[key] = (decl, model.Matter(name, decl.note, key[3], True, decl.span))
                self.matters[name] = known[1]
        self.definitions = {name: model.Definition(name, printer.name(decl.name), self.expr(decl.expr),
                                                   _model_type(infer(decl.expr, self.symbols)), decl.note,
                                                   id(decl) in shared, decl.span)
                            for name, decl in self.symbols.defs.items()}
        self.partial = model.PolicyModel(docno=policy.docno, path=policy.path, definitions=self.definitions)
        self.current: ast.Clause | None = None  # the clause being lowered

    # ------------------------------------------------------------ names
    def fact(self, name: ast.Name, default: model.Type) -> model.Fact:
        """The declared fact, or (on a draft the checks reject) a stand-in of the given type."""
        found = self.facts.get(name.text)
        return found if found is not None else model.Fact(name.text, default, span=name.span)

    def matter(self, name: ast.Name) -> model.Matter:
        found = self.matters.get(name.text)
        return found if found is not None else model.Matter(name.text, declared=False, span=name.span)

    def series_fact(self, node, word: str) -> model.Fact:
        if not isinstance(node, ast.Ref):
            raise LoweringError(f"{word} needs a yearly fact, not {printer.expr(node)}")
        return self.fact(node.name, model.Type(model.Base.NUMBER, series=True))

    def type_of(self, node) -> model.Type | None:
        return _model_type(infer(node, self.symbols))

    # ------------------------------------------------------------ expressions
    def expr(self, node: ast.Expr) -> model.Expr:
        text = printer.expr(node, self.texts)
        span = node.span
        match node:
            case ast.Money() | ast.UnitPrice() | ast.Percent() | ast.Number():
                t = self.type_of(node)
                assert t is not None
                return model.Constant(node.value, t, node.text, span)
            case ast.Bool():
                return model.BoolConstant(node.value, text, span)
            case ast.YearValue():
                return model.YearConstant(node.value, text, span)
            case ast.AssessedYear():
                return model.AssessedYear(text, span)
            case ast.Ref():
                name = node.name.text
                if name in self.facts:
                    return model.FactRef(self.facts[name], text, span)
                if name in self.symbols.defs:
                    return model.DefRef(name, self.type_of(node), text, span)
                owners = self.owners.get(name, ())
                # A value shared by several enumerations (国家) takes its enumeration from context.
                return model.EnumValue(name, owners[0] if len(owners) == 1 else None, text, span)
            case ast.PrevYear():
                return model.PrevYear(self.series_fact(node.operand, "上年"), text, span)
            case ast.Growth():
                return model.Growth(self.series_fact(node.operand, "增速"), text, span)
            case ast.Floor():
                return model.Floor(self.expr(node.operand), self.type_of(node), text, span)
            case ast.Neg():
                return model.Neg(self.expr(node.operand), self.type_of(node), text, span)
            case ast.Binary():
                return model.Arith(model.ArithOp(node.op), self.expr(node.left), self.expr(node.right),
                                   self.type_of(node), text, span)
            case ast.Compare():
                return self.compare(node)
            case ast.Member():
                return model.Member(self.expr(node.subject), tuple(o.text for o in node.options), node.negated,
                                    text, span)
            case ast.RunOfYears():
                return model.RunOfYears(model.RunKind(node.keyword), node.years, node.years_text,
                                        self.expr(node.condition), text, span)
            case ast.And():
                return model.And(self.expr(node.left), self.expr(node.right), text, span)
            case ast.Or():
                return model.Or(self.expr(node.left), self.expr(node.right), text, span)
            case ast.Not():
                return model.Not(self.expr(node.operand), text, span)
            case _:
                assert_never(node)

    def compare(self, node: ast.Compare) -> model.Compare:
        op, first_time = comparison(node.op)
        left = self.expr(node.left)
        if first_time and not isinstance(left, model.FactRef):
            raise LoweringError(f"首次… needs a yearly fact on its left: {printer.expr(node)}")
        sides = (infer(node.left, self.symbols), infer(node.right, self.symbols))  # each side's type, once
        per_year = any(t is not None and t.series for t in sides)
        return model.Compare(
            op=model.CompareOp(op), left=left, right=self.expr(node.right), text=printer.expr(node, self.texts), word=node.op,
            first_time=first_time, each_year=node.op.startswith("均"),
            kind=model.Base(value_kind(sides[0])), order=self.enum_order(sides),
            per_year=per_year, span=node.span)

    def enum_order(self, sides: tuple[Type | None, Type | None]) -> tuple[str, ...]:
        """The declared order of the enumeration compared (嘉奖 < 记三等功 < …), from the types
        of the two sides."""
        for t in sides:
            if t is not None and t.enum:
                return self.symbols.enum_values(t.enum)
        return ()

    # ------------------------------------------------------------ awards
    def award(self, award: ast.Award) -> model.Award:
        return model.Award(self.form(award.form), self.expr(award.cap) if award.cap is not None else None, award.span)

    def form(self, form: ast.AwardForm) -> model.AwardForm:
        match form:
            case ast.Exact():
                return model.Exact(self.expr(form.amount), form.span)
            case ast.UpTo():
                return model.UpTo(self.expr(form.ceiling), form.span, case_by_case=form.case_by_case)
            case ast.Range():
                return model.Range(self.expr(form.low), self.expr(form.high), form.span, rate=form.rate)
            case ast.CaseByCase():
                return model.CaseByCase(form.span)
            case ast.Unspecified() if form.base is not None:  # X × 一定比例: the rate is not stated
                base = self.expr(form.base)
                return model.Unspecified(f"按{base.text}的一定比例，比例原文未定", form.span, base=base)
            case ast.Unspecified():
                return model.Unspecified(form.note, form.span)
            case ast.ByLevel():
                levels = tuple(model.LevelRow(r.level.text, self.expr(r.amount), r.span) for r in form.rows)
                return model.ByLevel(self.fact(form.subject, model.Type(model.Base.ENUM)), levels, form.span)
            case ast.ByTier():
                op, _first_time = comparison(form.op)
                tiers = tuple(model.TierRow(self.expr(r.threshold), self.expr(r.amount),
                                           self.compare(ast.Compare(form.op, form.subject, r.threshold, span=r.span)),
                                           r.span)
                             for r in form.rows)
                return model.ByTier(self.expr(form.subject), model.CompareOp(op), form.op, tiers, form.span)
            case ast.PerItem():
                return model.PerItem(self.item_fact(form), self.expr(form.amount),
                                     self.expr(form.item_cap) if form.item_cap is not None else None, form.span)
            case ast.Routing():
                return model.Routing(form.approver, form.span, outcome=form.outcome)
            case ast.ByRunYear():
                return self.by_run_year(form)
            case ast.AtLeast():
                return model.AtLeast(self.expr(form.floor), form.span)
            case ast.ByTable() | ast.ByBand() | ast.EachTier() | ast.Upgrade():
                return self.table_form(form)
            case _:
                assert_never(form)

    # ---- issue 13: rates over a run of years
    def by_run_year(self, form: ast.ByRunYear) -> model.ByRunYear:
        """分年度: each row's test is that the assessed year is one of its years of the 期限,
        counted from the 期限's start fact (当年起: the start year is year 1; 次年起: the year
        after it)."""
        duration = self.current.duration if self.current is not None else None
        if duration is None or duration.start_fact is None:
            raise LoweringError("分年度 needs 期限 … 自 F 当年起|次年起 (E340)")
        start, lead = duration.start_fact, (1 if duration.start_next_year else 0)
        rows = []
        for row in form.rows:
            def offset(year: int) -> ast.Expr:  # the assessed year of year `year` of the run
                return ast.Binary("+", ast.Ref(start, start.span), ast.Number(Decimal(year - 1 + lead), str(year - 1 + lead),
                                                                             row.span), row.span)
            if row.first == row.last:
                test: ast.Expr = ast.Compare("等于", ast.AssessedYear(row.span), offset(row.first), row.span)
            else:
                test = ast.And(ast.Compare("不低于", ast.AssessedYear(row.span), offset(row.first), row.span),
                               ast.Compare("不超过", ast.AssessedYear(row.span), offset(row.last), row.span), row.span)
            rows.append(model.RunYearRow(row.text, row.first, row.last, self.expr(row.amount), self.expr(test), row.span))
        return model.ByRunYear(self.fact(start, model.Type(model.Base.YEAR)), duration.start_next_year, tuple(rows), form.span)


    # ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
    def table_form(self, form: ast.ByTable | ast.ByBand | ast.EachTier | ast.Upgrade) -> model.AwardForm:
        enum = model.Type(model.Base.ENUM)
        match form:
            case ast.ByTable():
                rows = tuple(model.TableRow(r.level.text, tuple(self.expr(c) if c is not None else None for c in r.cells),
                                            r.span) for r in form.rows)
                return model.ByTable(self.fact(form.row_fact, enum), self.fact(form.column_fact, enum),
                                     tuple(c.text for c in form.columns), rows, form.span)
            case ast.ByBand():
                bands = []
                for row in form.rows:
                    tests = [ast.Compare(b.op, form.subject, b.value, span=b.span) for b in row.bounds]
                    test = tests[0] if len(tests) == 1 else ast.And(tests[0], tests[1], span=row.span)
                    if form.whole_quantity:  # the row's price × the whole quantity
                        amount = self.expr(ast.Binary("×", form.subject, row.amount, span=row.amount.span))
                        bands.append(model.BandRow(self.expr(test), amount, self.expr(row.amount), row.span))
                    else:
                        bands.append(model.BandRow(self.expr(test), self.expr(row.amount), None, row.span))
                return model.ByBand(self.expr(form.subject), tuple(bands), form.whole_quantity, form.span)
            case ast.EachTier():
                op, _first_time = comparison(form.op)
                subject = self.series_fact(form.subject, form.op)
                tiers = tuple(model.TierRow(self.expr(r.threshold), self.expr(r.amount),
                                            self.compare(ast.Compare(form.op, form.subject, r.threshold, span=r.span)),
                                            r.span) for r in form.rows)
                return model.EachTier(subject, model.CompareOp(op), form.op, tiers,
                                      model.Base(value_kind(infer(form.subject, self.symbols))), form.span)
            case ast.Upgrade():
                subject = self.fact(form.subject, enum)
                levels = tuple(model.LevelRow(r.level.text, self.expr(r.amount), r.span) for r in form.rows)
                order = subject.values or self.fact(form.held, enum).values
                return model.Upgrade(subject, self.fact(form.held, enum), levels, order, form.span)
            case _:
                assert_never(form)

    def table_deciding(self, form: model.AwardForm | None) -> tuple[list, set[str]]:
        """What decides whether an issue-13 table form pays: expressions (read through
        definitions) and facts named directly."""
        match form:
            case model.ByTable():
                return [], {form.row_fact.name, form.column_fact.name}
            case model.ByBand():
                return [form.subject], set()
            case model.EachTier():
                return [], {form.subject.name}
            case model.Upgrade():
                return [], {form.subject.name, form.held.name}
        return [], set()

    def item_fact(self, form: ast.PerItem) -> model.Fact:
        """The 逐项 fact a 每项 award goes through (the checks make sure there is exactly one)."""
        for node in ast.walk(form.amount):
            if isinstance(node, ast.Ref) and node.name.text in self.facts and self.facts[node.name.text].type.items:
                return self.facts[node.name.text]
        raise LoweringError("每项 without a 逐项 fact")

    # ------------------------------------------------------------ clauses
    def clause(self, clause: ast.Clause) -> model.ClauseModel:
        self.current = clause  # the clause being lowered (分年度 reads its 期限)
        policy = self.source
        conditions = tuple(self.expr(c) for c in clause.conditions)
        award = self.award(clause.award) if clause.award is not None else None
        matter_by = self.fact(clause.matter_by, model.Type(model.Base.ENUM)) if clause.matter_by else None
        d = clause.duration
        duration = model.Duration(d.years, d.years_text, self.fact(d.start_fact, model.Type(model.Base.YEAR)) if d.start_fact else None,
                                  d.start_next_year, d.span) if d is not None else None
        q = clause.quota
        quota = model.Quota(q.per_year, q.unit, self.ranking(q.ranking), q.share.value if q.share else None,
                            q.share.text if q.share else None, q.threshold, q.base.text if q.base else None,
                            tuple(g.text for g in q.groups), q.select, q.span) if q is not None else None
        m = clause.modifier
        modifier = model.Modifier(m.factor, m.text, m.matter.text, m.span) if m is not None else None
        rule = split_rule(policy, clause)
        # The facts that decide whether the clause applies and to which matter.
        deciding: list = list(conditions)
        if award is not None and isinstance(award.form, model.ByTier):
            deciding.append(award.form.subject)
        table_expressions, table_facts = self.table_deciding(award.form if award is not None else None)
        decisive = model.facts_read(deciding + table_expressions, self.partial) | table_facts
        if matter_by is not None:
            decisive.add(matter_by.name)
        if award is not None and isinstance(award.form, model.ByLevel):
            decisive.add(award.form.subject.name)
        no_amount = clause.award is None or isinstance(clause.award.form, (ast.CaseByCase, ast.Unspecified, ast.Routing))
        ceiling = None if clause.text_only or no_amount else self.ceiling(clause)
        could_pay = Decimal(0) if clause.award is not None and isinstance(clause.award.form, ast.Routing) else ceiling
        return model.ClauseModel(
            article=clause.article, article_number=clause.article_number, item=clause.item, title=clause.title,
            line=clause.span.line if clause.span is not None else 0,
            source=f"{self.posix_path}:{clause.span.line if clause.span is not None else 0}",
            source_text=clause.source_text, recipient=clause.recipient, units=tuple(u.text for u in clause.units),
            matter=self.matter(clause.matter) if clause.matter else None, matter_by=matter_by,
            conditions=conditions, award=award, duration=duration, once=clause.once, uncapped=clause.uncapped,
            quota=quota, modifier=modifier, notes=clause.notes, text_only=clause.text_only,
            evaluated=is_evaluated(clause), ceiling=ceiling,
            total_ceiling=None if ceiling is None else analysis.clause_total_ceiling(clause, self.ceiling),
            could_pay=could_pay, cofunded=is_cofunded(policy, clause),
            split=tuple(model.Share(payer.text, share.value, share.text, payer.span) for payer, share in rule.shares)
            if rule is not None else None,
            decisive_facts=tuple(sorted(decisive)), case_count=len(clause.cases), span=clause.span,
            payer_rules=self.payer_rules(policy, clause) if rule is None else (),
            parts=tuple(model.Part(p.share.value, p.share.text, p.year, self.expr(p.condition) if p.condition is not None else None,
                                   printer.part_text(p).removeprefix("其中 "), p.span) for p in clause.parts),
            offsets=tuple(model.Offset(n.text, model.OffsetSource.MATTER if n.text in self.matters or n.text not in self.facts
                                       else model.OffsetSource.FACT, n.span) for n in clause.offsets))

    def ceiling(self, clause: ast.Clause) -> Decimal | None:
        """analysis.clause_ceiling, once per clause (the clause, its total and the policy's
        ceiling each ask for it)."""
        known = self.ceilings.get(id(clause))
        if known is None or known[0] is not clause:
            known = self.ceilings[id(clause)] = (clause, analysis.clause_ceiling(clause))
        return known[1]

    def ranking(self, keys) -> tuple[model.RankKey, ...]:
        return tuple(model.RankKey(fact.text, descending, fact.span) for fact, descending in keys)

    # ------------------------------------------------------------ the policy
    def payer_rules(self, policy: ast.Policy, clause: ast.Clause) -> tuple[model.PayerRule, ...]:
        """Issue 13: the clause's 分担 rules when the first has a condition (else ())."""
        rules = payer_rules(policy, clause)
        if not rules or rules[0].condition is None:
            return ()
        return tuple(model.PayerRule(None if r.condition is None else self.expr(r.condition),
                                     tuple(model.Share(p.text, s.value, s.text, p.span) for p, s in r.shares), r.span)
                     for r in rules)

    def used_facts(self, policy: ast.Policy, clauses: tuple[model.ClauseModel, ...]) -> tuple[str, ...]:
        """Facts the policy reads: its own, and those of its vocabulary that it refers to
        (through conditions, awards, definitions, 按 levels, 期限 start years, 名额 keys,
        预算 rankings and examples), in declaration order."""
        used = {decl.name.text for decl in policy.facts}
        own_defs = [self.definitions[d.name.text] for d in policy.defs if d.name.text in self.definitions]
        direct, named = self.clause_reads(clauses)
        used |= direct | model.facts_read([*(self.definitions[name].expr for name in named if name in self.definitions),
                                           *(d.expr for d in own_defs)], self.partial)
        for budget in policy.budgets:
            used.update(fact.text for fact, _descending in budget.ranking)
        used.update(cap.received.text for cap in policy.enterprise_caps if cap.received is not None)
        for clause in policy.clauses:
            if clause.quota is not None:  # read across applicants by --batch: 基数, 每个, ranking
                q = clause.quota
                used.update(n.text for n in (q.base, *q.groups, *(fact for fact, _d in q.ranking)) if n is not None)
            for case in clause.cases:
                used.update(name.text for name, _value in case.facts)
            # 抵扣 F (issue 13): an amount already received, stated as a fact
            used.update(n.text for n in clause.offsets if n.text in self.facts and n.text not in self.matters)
        return tuple(name for name in self.facts if name in used)

    def clause_reads(self, clauses: tuple[model.ClauseModel, ...]) -> tuple[set[str], set[str]]:
        """(the facts the clauses read themselves, the definitions they name), from one walk
        over them shared by used_facts and used_definitions (walking every clause was a third
        of lowering). A definition is not followed here: model.walk stops at a DefRef."""
        if self._reads is None or self._reads[0] is not clauses:
            facts: set[str] = set()
            named: set[str] = set()
            each = []  # per clause: (its facts, the definitions it names), for reads_per_clause
            for clause in clauses:
                own_facts: set[str] = set()
                own_named: set[str] = set()
                for node in model.walk(clause):
                    if isinstance(node, (model.FactRef, model.PrevYear, model.Growth)):
                        own_facts.add(node.fact.name)
                    elif isinstance(node, model.Fact):
                        own_facts.add(node.name)
                    elif isinstance(node, model.DefRef):
                        own_named.add(node.name)
                each.append((own_facts, own_named))
                facts |= own_facts
                named |= own_named
            self._reads = (clauses, facts, named, each)
        return self._reads[1], self._reads[2]

    def reads_per_clause(self, clauses: tuple[model.ClauseModel, ...]) -> tuple[frozenset[str], ...]:
        """Per clause, the facts it reads directly and through the definitions it names (each
        definition's facts worked out once): see lower_with_reads."""
        self.clause_reads(clauses)
        assert self._reads is not None
        through: dict[str, set[str]] = {}
        result = []
        for own_facts, own_named in self._reads[3]:
            read = set(own_facts)
            for name in own_named:
                if name not in through:
                    through[name] = model.facts_read([self.definitions[name].expr], self.partial) \
                        if name in self.definitions else set()
                read |= through[name]
            result.append(frozenset(read))
        return tuple(result)

    def used_definitions(self, clauses: tuple[model.ClauseModel, ...]) -> tuple[str, ...]:
        """Own definitions, and the vocabulary's that clauses or definitions refer to."""
        used = {name for name, d in self.definitions.items() if not d.shared}
        pending: list = [self.definitions[name].expr for name in used]
        for name in self.clause_reads(clauses)[1]:  # named by the clauses (walked once for used_facts too)
            if name in self.definitions and name not in used:
                used.add(name)
                pending.append(self.definitions[name].expr)
        while pending:
            for node in model.walk(pending.pop()):
                if isinstance(node, model.DefRef) and node.name in self.definitions and node.name not in used:
                    used.add(node.name)
                    pending.append(self.definitions[node.name].expr)
        return tuple(name for name in self.definitions if name in used)

    def policy(self) -> model.PolicyModel:
        policy = self.source
        clauses = tuple(self.clause(c) for c in policy.clauses)
        total, unbounded, unstated = analysis.policy_ceiling(policy, self.ceiling)
        return model.PolicyModel(
            docno=policy.docno, numbered=policy.numbered, path=policy.path, title=policy.title, issuer=policy.issuer,
            issued=policy.issued.value if policy.issued else None,
            validity=model.Validity(policy.effective_from.value if policy.effective_from else None,
                                    policy.effective_until.value if policy.effective_until else None),
            repeals=policy.repeals, scope=policy.scope,
            principle=model.Principle(policy.principle) if policy.principle else None,
            assessed_year=model.AssessedYearRule(policy.assessed_year),
            cofunding=tuple(model.CoFunding(co.payer.text, co.minimum_share.value, co.minimum_share.text,
                                            tuple(a.text for a in co.except_articles), co.span) for co in policy.cofunding),
            splits=tuple(model.Split(tuple(model.Share(payer.text, share.value, share.text, payer.span) for payer, share in rule.shares),
                                     tuple(a.text for a in rule.except_articles), rule.span,
                                     condition=None if rule.condition is None else self.expr(rule.condition))
                         for rule in policy.splits),
            budgets=tuple(model.Budget(b.payer.text, b.amount.value, b.amount.text, self.ranking(b.ranking), b.select, b.span,
                                       prorate=b.prorate)
                          for b in policy.budgets),
            transitional=tuple(model.Transitional(t.text, t.before_year, t.governed_by, t.span) for t in policy.transitional),
            imports=policy.imports, notes=policy.notes,
            source_document=policy.source_document.path if policy.source_document else None,
            not_encoded=tuple(model.NotEncoded(n.text, n.reason, n.span) for n in policy.not_encoded),
            enumerations=self.enumerations, facts=self.facts, definitions=self.definitions, matters=self.matters,
            clauses=clauses, used_facts=self.used_facts(policy, clauses),
            used_definitions=self.used_definitions(clauses),
            ceiling=total, unbounded_clauses=tuple(unbounded), unstated_clauses=tuple(unstated), span=policy.span,
            fund_minimums=tuple(model.FundMinimum(f.fund.text, f.amount.value, f.amount.text, f.span)
                                for f in policy.fund_minimums),
            enterprise_caps=self.enterprise_caps(policy))

    # ---- issue 13: caps per enterprise (r14-caps)
    def enterprise_caps(self, policy: ast.Policy) -> tuple[model.EnterpriseCap, ...]:
        caps = []
        for cap in policy.enterprise_caps:
            received = self.facts.get(cap.received.text) if cap.received is not None else None
            caps.append(model.EnterpriseCap(cap.amount.value, cap.amount.text, received, cap.span))
        return tuple(caps)

