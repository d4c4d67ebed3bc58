"""Exact overlap analysis: can two clauses that pay for one matter apply to one applicant?

Conditions in polc are comparisons of facts with constants, enumeration membership, yes/no
facts, series conditions (首次, 连续N年) and their 且/或/非. That fragment is decidable
without a solver: put the condition in disjunctive normal form, and in each conjunct
intersect, per variable, an interval (numbers, money, years), a set (enumerations) or a
truth value. A conjunct whose every variable keeps a non-empty domain is satisfiable, and
a value picked from each domain is a witness: a concrete applicant for whom both clauses
apply. The witness is then run through the reference interpreter to confirm it.

Variables are (kind, fact, offset): kind "value" is a fact's value offset years before the
assessed year, "growth" its growth rate, "earlier" the largest value recorded before that
year (what 首次 constrains). A comparison between two facts, or with a formula, is outside
the fragment: the analysis says so instead of guessing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Iterator

import attrs

from . import ast, printer
from .types import Symbols, comparison, infer

MAX_CONJUNCTS = 512
_FLIP = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "eq": "eq"}
_NEGATE = {"gt": "le", "ge": "lt", "lt": "ge", "le": "gt"}


class OutsideFragment(Exception):
    """A condition the exact analysis cannot decide (e.g. a formula over several facts)."""

    def __init__(self, node):
        super().__init__(printer.expr(node) if node is not None else "?")
        self.node = node


# ---------------------------------------------------------------- domains
@attrs.frozen
class Interval:
    low: Decimal | None = None
    low_open: bool = False
    high: Decimal | None = None
    high_open: bool = False
    excluded: frozenset = frozenset()  # points removed by 非 … 等于

    @classmethod
    def of(cls, op: str, bound: Decimal) -> "Interval":
        if op == "gt":
            return cls(bound, True)
        if op == "ge":
            return cls(bound, False)
        if op == "lt":
            return cls(None, False, bound, True)
        if op == "le":
            return cls(None, False, bound, False)
        if op == "eq":
            return cls(bound, False, bound, False)
        raise KeyError(op)

    def meet(self, other: "Interval") -> "Interval":
        low, low_open = self.low, self.low_open
        if other.low is not None and (low is None or other.low > low or (other.low == low and other.low_open)):
            low, low_open = other.low, other.low_open
        high, high_open = self.high, self.high_open
        if other.high is not None and (high is None or other.high < high or (other.high == high and other.high_open)):
            high, high_open = other.high, other.high_open
        return Interval(low, low_open, high, high_open, self.excluded | other.excluded)

    @property
    def empty(self) -> bool:
        if self.low is not None and self.high is not None:
            if self.low > self.high or (self.low == self.high and (self.low_open or self.high_open)):
                return True
            if self.low == self.high and self.low in self.excluded:
                return True
        return False

    def pick(self) -> Decimal:
        """A value inside: a closed end if there is one, else a point just inside."""
        candidates = []
        if self.low is not None and not self.low_open:
            candidates.append(self.low)
        if self.high is not None and not self.high_open:
            candidates.append(self.high)
        if self.low is not None and self.high is not None:
            candidates.append((self.low + self.high) / 2)
        elif self.low is not None:
            candidates += [self.low + 1, self.low + Decimal("0.01")]
        elif self.high is not None:
            candidates += [self.high - 1, self.high - Decimal("0.01")]
        else:
            candidates.append(Decimal(0))
        for value in candidates:
            if self.contains(value):
                return value
        return candidates[-1]

    def contains(self, value: Decimal) -> bool:
        if value in self.excluded:
            return False
        if self.low is not None and (value < self.low or (value == self.low and self.low_open)):
            return False
        if self.high is not None and (value > self.high or (value == self.high and self.high_open)):
            return False
        return True


NON_NEGATIVE = Interval(Decimal(0))
_EVERYTHING = Interval()  # no bound (Intervals are frozen: meet makes a new one)


@attrs.frozen
class Atom:
    var: tuple[str, str, int]
    domain: object  # Interval | frozenset (enumeration values) | bool


Conjunct = tuple[Atom, ...]


# ---------------------------------------------------------------- to disjunctive normal form
class _Builder:
    """Conditions to DNF. With relax=True a condition outside the fragment is dropped (it
    could go either way): the DNF then over-approximates, and only a witness that the
    interpreter confirms counts as an overlap."""

    def __init__(self, symbols: Symbols, relax: bool = False):
        self.symbols = symbols
        self.relax = relax
        self.dropped: list = []

    def dnf(self, node, offset: int = 0, negated: bool = False) -> list[Conjunct]:
        try:
            return self._dnf(node, offset, negated)
        except OutsideFragment as exc:
            if not self.relax or exc.node is None:
                raise
            self.dropped.append(exc.node)
            return [()]

    def _dnf(self, node, offset: int = 0, negated: bool = False) -> list[Conjunct]:
        if isinstance(node, ast.And) or isinstance(node, ast.Or):
            conjunctive = isinstance(node, ast.And) != negated
            left = self.dnf(node.left, offset, negated)
            right = self.dnf(node.right, offset, negated)
            return _and(left, right) if conjunctive else _or(left, right)
        if isinstance(node, ast.Not):
            return self.dnf(node.operand, offset, not negated)
        if isinstance(node, ast.RunOfYears):
            parts = [self.dnf(node.condition, offset + k, negated) for k in range(node.years)]
            result = parts[0]
            for part in parts[1:]:
                result = _and(result, part) if not negated else _or(result, part)
            return result
        if isinstance(node, ast.Bool):
            return [()] if node.value != negated else []
        if isinstance(node, ast.Ref) and node.name.text in self.symbols.defs:
            return self.dnf(self.symbols.defs[node.name.text].expr, offset, negated)
        if isinstance(node, ast.Ref):
            return [(Atom(self._var(node, offset), not negated),)]
        if isinstance(node, ast.Member):
            return self._member(node, offset, negated)
        if isinstance(node, ast.Compare):
            return self._compare(node, offset, negated)
        raise OutsideFragment(node)

    def _var(self, node, offset: int) -> tuple[str, str, int]:
        if isinstance(node, ast.Ref) and node.name.text in self.symbols.facts:
            decl = self.symbols.facts[node.name.text]
            if decl.type.items:
                raise OutsideFragment(node)
            return ("value", node.name.text, offset if decl.type.series else 0)
        if isinstance(node, ast.Ref) and node.name.text in self.symbols.defs:
            return self._var(self.symbols.defs[node.name.text].expr, offset)
        if isinstance(node, ast.PrevYear) and isinstance(node.operand, ast.Ref):
            return ("value", node.operand.name.text, offset + 1)
        if isinstance(node, ast.Growth) and isinstance(node.operand, ast.Ref):
            return ("growth", node.operand.name.text, offset)
        if isinstance(node, ast.AssessedYear):
            return ("assessed", "考核年度", offset)
        raise OutsideFragment(node)

    def _enum_values(self, node) -> tuple[str, ...]:
        t = infer(node, self.symbols)
        return self.symbols.enum_values(t.enum) if t is not None and t.enum else ()

    def _member(self, node: ast.Member, offset: int, negated: bool) -> list[Conjunct]:
        var = self._var(node.subject, offset)
        allowed = frozenset(o.text for o in node.options)
        if node.negated != negated:
            allowed = frozenset(self._enum_values(node.subject)) - allowed
        return [(Atom(var, allowed),)]

    def _compare(self, node: ast.Compare, offset: int, negated: bool) -> list[Conjunct]:
        op, first_time = comparison(node.op)
        left, right = node.left, node.right
        if _constant(left) is not None and _constant(right) is None:
            left, right, op = right, left, _FLIP[op]
        t = infer(left, self.symbols)
        if t is not None and t.base == "enum":
            return self._enum_compare(left, right, op, offset, negated)
        bound = _constant(right)
        if bound is None:
            raise OutsideFragment(node)
        var = self._var(left, offset)
        if not first_time:
            if not negated:
                return [(Atom(var, Interval.of(op, bound)),)]
            if op == "eq":
                return [(Atom(var, Interval(excluded=frozenset({bound}))),)]
            return [(Atom(var, Interval.of(_NEGATE[op], bound)),)]
        earlier = ("earlier", var[1], var[2])
        if not negated:  # this year passes, and no earlier year did
            return [(Atom(var, Interval.of(op, bound)), Atom(earlier, Interval.of(_NEGATE[op], bound)))]
        return [(Atom(var, Interval.of(_NEGATE[op], bound)),), (Atom(earlier, Interval.of(op, bound)),)]

    def _enum_compare(self, left, right, op, offset, negated) -> list[Conjunct]:
        if not isinstance(right, ast.Ref):
            raise OutsideFragment(right)
        order = self._enum_values(left)
        if right.name.text not in order:
            raise OutsideFragment(right)
        if negated:
            op = {"eq": "ne", **_NEGATE}[op]
        index = order.index(right.name.text)
        test = {"gt": lambda i: i > index, "ge": lambda i: i >= index, "lt": lambda i: i < index,
                "le": lambda i: i <= index, "eq": lambda i: i == index, "ne": lambda i: i != index}[op]
        return [(Atom(self._var(left, offset), frozenset(v for i, v in enumerate(order) if test(i))),)]


def _constant(node) -> Decimal | None:
    if isinstance(node, (ast.Money, ast.Percent, ast.Number, ast.UnitPrice)):
        return node.value
    if isinstance(node, ast.YearValue):
        return Decimal(node.value)
    if isinstance(node, ast.Neg):
        inner = _constant(node.operand)
        return -inner if inner is not None else None
    return None


def _and(left: list[Conjunct], right: list[Conjunct]) -> list[Conjunct]:
    # The size is known before the product is built: (a或b) 且 (c或d) 且 … doubles each time,
    # and must give up ("too complex", W073) instead of building millions of conjuncts.
    if len(left) * len(right) > MAX_CONJUNCTS:
        raise OutsideFragment(None)
    return [a + b for a in left for b in right]


def _or(left: list[Conjunct], right: list[Conjunct]) -> list[Conjunct]:
    if len(left) + len(right) > MAX_CONJUNCTS:
        raise OutsideFragment(None)
    return left + right


def balanced(parts: list, node_type) -> object:
    """parts joined by 且 (ast.And) or 或 (ast.Or) as a balanced tree: a clause with hundreds of
    当 lines or tiers must not become a chain hundreds of levels deep for the passes that
    recurse over it (the nesting limit, limits.MAX_NESTING, is for what a drafter writes)."""
    while len(parts) > 1:
        parts = [node_type(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


# ---------------------------------------------------------------- satisfiability
def _domain_of(var, symbols: Symbols):
    kind, fact, _offset = var
    if kind == "growth":
        return Interval(Decimal(-1))
    if kind == "assessed":
        return Interval()
    decl = symbols.facts.get(fact)
    base = decl.type.base if decl else "number"
    if base == "enum":
        return frozenset(symbols.enum_values(decl.type.enum.text))
    if base == "bool":
        return None  # either
    if base in ("money", "number", "year"):
        return NON_NEGATIVE
    return Interval()


def solve(conjunct: Conjunct, symbols: Symbols) -> dict | None:
    """Per-variable domains if the conjunct is satisfiable, else None.

    Numeric domains hold only what the conditions say (so a witness sits at the numbers the
    drafter wrote); the natural range of a fact (money is not negative) is checked apart."""
    domains: dict = {}
    naturals: dict = {}  # each variable's natural domain, worked out once per conjunct
    for atom in conjunct:
        var = atom.var
        if var in domains:
            current = domains[var]
        else:
            natural = naturals[var] = _domain_of(var, symbols)
            current = _EVERYTHING if isinstance(natural, Interval) else natural
        domain = atom.domain
        if isinstance(domain, bool):
            if current is not None and current is not True and current is not False:
                current = None
            if current is not None and current != domain:
                return None
            current = domain
        elif isinstance(domain, frozenset):
            current = (current if isinstance(current, frozenset) else domain) & domain
            if not current:
                return None
        else:
            current = (current if isinstance(current, Interval) else _EVERYTHING).meet(domain)
            if current.empty:
                return None
        domains[var] = current
    for var, current in domains.items():
        natural = naturals[var]
        if isinstance(current, Interval) and isinstance(natural, Interval):
            if current.meet(natural).empty:
                return None
            if not natural.contains(current.pick()):
                domains[var] = current.meet(natural)
    return domains


# ---------------------------------------------------------------- clauses
def applicability(clause: ast.Clause, symbols: Symbols) -> object:
    """A condition under which the clause pays: its conditions, and reaching a tier or a level.
    Returned as an AST expression so the same DNF machinery applies."""
    parts = list(clause.conditions)
    award = clause.award.form if clause.award else None
    if isinstance(award, ast.ByLevel):
        parts.append(ast.Member(ast.Ref(award.subject), tuple(r.level for r in award.rows)))
    elif isinstance(award, ast.ByTier) and award.rows:
        tests = [ast.Compare(award.op, award.subject, row.threshold) for row in award.rows]
        parts.append(balanced(tests, ast.Or))
    elif isinstance(award, (ast.ByTable, ast.ByBand, ast.EachTier, ast.Upgrade)):
        reached = _table_reached(award)
        if reached is not None:
            parts.append(reached)
    if not parts:
        return ast.Bool(True)
    return balanced(parts, ast.And)


# ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
def _table_reached(award) -> object | None:
    """When an issue-13 table form can pay: a filled cell's pair, a band's bounds, a tier crossed
    for the first time (the year before being on record is not in the fragment: a witness
    is confirmed by the interpreter), a new level with a row (its order over the held level
    compares two facts, outside the fragment)."""
    if isinstance(award, ast.ByTable):
        cells = [ast.And(ast.Member(ast.Ref(award.row_fact), (row.level,)), ast.Member(ast.Ref(award.column_fact), (column,)))
                 for row in award.rows for column, cell in zip(award.columns, row.cells) if cell is not None]
        return balanced(cells, ast.Or) if cells else ast.Bool(False)
    if isinstance(award, ast.ByBand):
        bands = [balanced([ast.Compare(b.op, award.subject, b.value) for b in band.bounds], ast.And) for band in award.rows]
        return balanced(bands, ast.Or) if bands else None
    if isinstance(award, ast.EachTier):
        tiers = [ast.Compare(award.op, award.subject, row.threshold) for row in award.rows]
        return balanced(tiers, ast.Or) if tiers else None
    return ast.Member(ast.Ref(award.subject), tuple(row.level for row in award.rows)) if award.rows else None


def matter_constraint(clause: ast.Clause, matter: str) -> object | None:
    """事项 按 X: the clause covers `matter` only when X has that value."""
    if clause.matter_by is None:
        return None
    return ast.Member(ast.Ref(clause.matter_by), (ast.Name(matter),))


@attrs.frozen
class Overlap:
    matter: str
    first: tuple[ast.Policy, ast.Clause]
    second: tuple[ast.Policy, ast.Clause]
    witness: dict | None        # facts (JSON-like) for which both apply, if they can overlap
    decided: bool               # False: outside the decidable fragment
    reason: str | None = None   # what could not be decided
    confirmed: bool = False     # the witness was run through the interpreter: both apply
    note: str | None = None     # how it was decided, when not by the exact method alone
    internal_error: str | None = None  # the interpreter failed on a witness: a compiler bug, never "cannot decide"


def witness_facts(domains: dict, symbols: Symbols, year: int) -> dict:
    """Facts JSON for one solution: series by year, growth realised by earlier values."""
    facts: dict = {}
    series: dict[str, dict[int, Decimal]] = {}
    growth: dict[str, dict[int, Decimal]] = {}
    earlier: dict[str, tuple[int, Decimal]] = {}
    for (kind, fact, offset), domain in sorted(domains.items(), key=lambda item: (item[0][1], item[0][0], item[0][2])):
        if kind == "assessed":
            continue
        decl = symbols.facts.get(fact)
        if decl is None:
            continue
        value = domain
        if isinstance(domain, Interval):
            value = domain.pick()
        elif isinstance(domain, frozenset):
            order = symbols.enum_values(decl.type.enum.text) if decl.type.enum else ()
            value = next((v for v in order if v in domain), None)
        elif domain is None:
            value = True
        if kind == "growth":
            growth.setdefault(fact, {})[offset] = value
        elif kind == "earlier":
            earlier[fact] = (offset, value)
        elif decl.type.series:
            series.setdefault(fact, {})[year - offset] = value
        else:
            facts[fact] = _json(value, decl)
    for fact, rates in growth.items():
        values = series.setdefault(fact, {})
        for offset in sorted(rates):
            this_year = year - offset
            current = values.setdefault(this_year, Decimal(10_000_000))
            values.setdefault(this_year - 1, (current / (1 + rates[offset])).quantize(Decimal("0.01")))
    for fact, (offset, value) in earlier.items():
        values = series.setdefault(fact, {})
        first = min(values) if values else year - offset
        values.setdefault(min(first, year - offset) - 1, value)
    for fact, values in series.items():
        decl = symbols.facts[fact]
        facts[fact] = {str(y): _json(v, decl) for y, v in sorted(values.items())}
    return facts


def _json(value, decl: ast.FactDecl):
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        return value
    if decl.type.base == "year":
        return int(value)
    if decl.type.base == "percent":
        return f"{(value * 100).normalize():f}%"
    return format(value.normalize(), "f")


def clause_pairs(policies: list[ast.Policy]) -> Iterator[tuple[str, tuple, tuple]]:
    """Pairs of paying clauses that can pay for one matter, found through an index by matter
    (not by comparing all pairs): within a policy and across all policies given."""
    by_matter: dict[str, list[tuple[ast.Policy, ast.Clause]]] = {}
    for policy in policies:
        symbols = Symbols.of(policy)
        for clause in policy.clauses:
            if clause.text_only or clause.award is None:
                continue
            if clause.matter is not None:
                by_matter.setdefault(clause.matter.text, []).append((policy, clause))
            elif clause.matter_by is not None:
                decl = symbols.facts.get(clause.matter_by.text)
                for value in symbols.enum_values(decl.type.enum.text if decl and decl.type.enum else None):
                    by_matter.setdefault(value, []).append((policy, clause))
    for matter in sorted(by_matter):
        members = by_matter[matter]
        for i, first in enumerate(members):
            for second in members[i + 1:]:
                yield matter, first, second


def analyse(policies: list[ast.Policy], confirm=None, remember_witnesses: bool = True) -> list[Overlap]:
    """Every pair of clauses covering one matter, decided exactly where the fragment allows.
    remember_witnesses: a pair whose clauses' forms equal an earlier pair's takes over its
    witness (see decide); False solves every pair (the plain way the tests compare it with).

    An exception while deciding or confirming (the interpreter failing on a witness) is a bug
    in polc, not an undecidable pair: it is kept on the Overlap, and reported as one (E199)."""
    results = []
    tables: dict[tuple[int, int], Symbols] = {}  # one merged symbol table per pair of policies, not per pair of clauses
    own: dict[int, Symbols] = {}  # each policy's own table, read once (a shared vocabulary can be long)
    forms = _ClauseForms(remember_witnesses)  # each clause's normal form once per distinct table, not once per pair

    def symbols_of(policy: ast.Policy) -> Symbols:
        if id(policy) not in own:
            own[id(policy)] = Symbols.of(policy)
        return own[id(policy)]

    for matter, first, second in clause_pairs(policies):
        key = (id(first[0]), id(second[0]))
        try:
            if key not in tables:
                tables[key] = _combined_symbols(first[0], second[0], symbols_of)
            results.append(decide(matter, first, second, confirm, tables[key], forms))
        except Exception as exc:  # noqa: BLE001 - reported as a compiler bug, with its type and message
            results.append(Overlap(matter, first, second, None, False, None,
                                   internal_error=f"{type(exc).__name__}: {exc}"))
    return results


def _combined_symbols(first: ast.Policy, second: ast.Policy, symbols_of=Symbols.of) -> Symbols:
    """The names of both policies, the first's winning. symbols_of: each policy's own table
    (analyse remembers them; they are only read here, and a merged table is a new one)."""
    mine = symbols_of(first)
    if second is first:
        return mine
    symbols = Symbols(dict(mine.enums), dict(mine.facts), dict(mine.defs), dict(mine.matters), dict(mine.enum_of_value))
    other = symbols_of(second)
    for table in ("enums", "facts", "defs", "matters", "enum_of_value"):
        for key, value in getattr(other, table).items():
            getattr(symbols, table).setdefault(key, value)
    return symbols


class _ClauseForms:
    """The disjunctive normal form of each clause's applicability, remembered.

    A clause takes part in several pairs (five clauses of one matter make ten), and its form
    depends only on the clause and on what the merged symbol table says of the names it uses.
    Tables are told apart by their content (each declaration by identity, each table in its
    order, as infer reads them), so policies sharing one vocabulary share the forms, and a
    pair whose merged names differ gets its own. A clause outside the fragment is remembered
    as the node that put it outside, and raised again as a new OutsideFragment each time."""

    def __init__(self, remember_witnesses: bool = True):
        self._signatures: dict[int, tuple[Symbols, int]] = {}  # id(table) -> (table, its content's number)
        self._contents: dict[tuple, int] = {}
        self._forms: dict[tuple[int, int], tuple] = {}  # (id(clause), content) -> (clause, conjuncts, outside?, node, value number)
        self._values: dict[tuple, int] = {}  # a form's conjuncts -> its number: equal forms, one number
        # (the two forms' numbers, the year) -> the witness solved for them, or None (see decide)
        self.witnesses: dict[tuple, dict | None] | None = {} if remember_witnesses else None

    def _content(self, symbols: Symbols) -> int:
        known = self._signatures.get(id(symbols))
        if known is not None and known[0] is symbols:
            return known[1]
        content = (tuple((name, id(decl)) for name, decl in symbols.enums.items()),
                   tuple((name, id(decl)) for name, decl in symbols.facts.items()),
                   tuple((name, id(decl)) for name, decl in symbols.defs.items()),
                   tuple(symbols.enum_of_value.items()))
        number = self._contents.setdefault(content, len(self._contents))
        self._signatures[id(symbols)] = (symbols, number)
        return number

    def dnf(self, clause: ast.Clause, symbols: Symbols) -> list[Conjunct]:
        return self.numbered(clause, symbols)[0]

    def numbered(self, clause: ast.Clause, symbols: Symbols) -> tuple[list[Conjunct], tuple[int, int]]:
        """The clause's form, and a number that is the same for every clause whose form is equal
        (atom by atom: the same variables, domains of equal values) under the same table."""
        content = self._content(symbols)
        key = (id(clause), content)
        known = self._forms.get(key)
        if known is None or known[0] is not clause:
            try:
                conjuncts = _Builder(symbols).dnf(applicability(clause, symbols))
                known = (clause, conjuncts, False, None, self._values.setdefault(tuple(conjuncts), len(self._values)))
            except OutsideFragment as exc:
                known = (clause, None, True, exc.node, None)
            self._forms[key] = known
        _clause, conjuncts, outside, node, number = known
        if outside:
            raise OutsideFragment(node)
        return conjuncts, (number, content)


def _conjuncts(builder: _Builder, parts: list) -> list[Conjunct]:
    conjuncts = builder.dnf(parts[0])
    for part in parts[1:]:
        conjuncts = _and(conjuncts, builder.dnf(part))
    return conjuncts


def decide(matter: str, first, second, confirm=None, symbols: Symbols | None = None,
           forms: _ClauseForms | None = None) -> Overlap:
    """Exact where the conditions are in the fragment. Otherwise the conditions outside it
    are dropped, and an overlap is reported only if the interpreter confirms a witness
    (a proof that both apply); failing that the pair is reported as undecided.
    forms: each clause's normal form remembered across pairs (analyse passes one)."""
    (p1, c1), (p2, c2) = first, second
    if symbols is None:  # the policies' merged names; analyse builds it once per pair of policies
        symbols = _combined_symbols(p1, p2)
    constraints = [m for m in (matter_constraint(c1, matter), matter_constraint(c2, matter)) if m is not None]
    year = _common_year(p1, p2)
    remembered = None  # (the two forms' numbers, the year): the key of forms.witnesses
    try:
        if forms is None:
            conjuncts = _conjuncts(_Builder(symbols), [applicability(c1, symbols), applicability(c2, symbols), *constraints])
        else:  # the same steps in the same order as _conjuncts, the clauses' forms remembered
            first_form, first_number = forms.numbered(c1, symbols)
            second_form, second_number = forms.numbered(c2, symbols)
            if not constraints and forms.witnesses is not None:
                # Two clauses whose forms equal those of a pair decided before (under the same
                # table, for the same year) have the same solutions, so the same witness: the
                # clauses of one matter in several policies often state the same conditions.
                # Only the witness is taken over (each copy its own); it is confirmed afresh.
                remembered = (first_number, second_number, year)
                if remembered in forms.witnesses:
                    found = forms.witnesses[remembered]
                    if found is None:
                        return Overlap(matter, first, second, None, True)
                    facts = {name: value.copy() if value.__class__ is dict else value for name, value in found.items()}
                    completed = confirm(first, second, facts, year) if confirm else None
                    return Overlap(matter, first, second, completed or facts, True, None, completed is not None)
            conjuncts = _and(first_form, second_form)
            builder = _Builder(symbols)
            for constraint in constraints:
                conjuncts = _and(conjuncts, builder.dnf(constraint))
    except OutsideFragment as exc:
        parts = [applicability(c1, symbols), applicability(c2, symbols), *constraints]
        reason = "条件过于复杂（析取范式过大）" if exc.node is None else f"「{printer.expr(exc.node)}」不是事实与常量的比较"
        relaxed = _Builder(symbols, relax=True)
        try:
            candidates = _conjuncts(relaxed, parts)
        except OutsideFragment:
            return Overlap(matter, first, second, None, False, reason)
        for conjunct in candidates[:64]:
            domains = solve(conjunct, symbols)
            if domains is None or confirm is None:
                continue
            facts = confirm(first, second, witness_facts(domains, symbols, year), year)
            if facts is not None:
                return Overlap(matter, first, second, facts, True, None, True,
                               note=f"{reason}：该条件不在精确判断范围内，由解释器在见证上验证")
        return Overlap(matter, first, second, None, False, reason)
    for conjunct in conjuncts:
        domains = solve(conjunct, symbols)
        if domains is None:
            continue
        facts = witness_facts(domains, symbols, year)
        if remembered is not None:
            forms.witnesses[remembered] = {name: value.copy() if value.__class__ is dict else value  # type: ignore[index, union-attr]
                                           for name, value in facts.items()}
        completed = confirm(first, second, facts, year) if confirm else None
        return Overlap(matter, first, second, completed or facts, True, None, completed is not None)
    if remembered is not None:
        forms.witnesses[remembered] = None  # type: ignore[index, union-attr]
    return Overlap(matter, first, second, None, True)


def _common_year(p1: ast.Policy, p2: ast.Policy) -> int:
    """An assessed year in which both policies are in force (for series witnesses)."""
    starts = [p.effective_from.value.year for p in (p1, p2) if p.effective_from]
    return max(starts) if starts else datetime.date.today().year - 1


def evaluation_date(p1: ast.Policy, p2: ast.Policy, year: int) -> datetime.date:
    """A date on which both policies are in force and the assessed year is `year`, if any."""
    candidates = [datetime.date(year + offset, 6, 30) for offset in (1, 0, 2)]
    candidates += [p.effective_from.value for p in (p1, p2) if p.effective_from]
    for day in candidates:
        if all((p.effective_from is None or day >= p.effective_from.value)
               and (p.effective_until is None or day <= p.effective_until.value) for p in (p1, p2)):
            return day
    return candidates[0]
