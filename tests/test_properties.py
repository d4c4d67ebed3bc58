"""Property tests: the generated modules agree with the reference interpreter on every
field, for random facts (including values exactly at thresholds and missing facts);
awards are never negative and never above their ceiling; tiers are monotone."""

import datetime
import importlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import analysis, ast, driver, interpreter
from compiler.lower import lower
from compiler.checks import walk, clause_expressions

from conftest import FIXTURES, ROOT

POLICY_FILES = [p for p in sorted((ROOT / "policies").glob("*.pol")) if p.name != "vocabulary.pol"]
POLICY_FILES.append(FIXTURES / "shapes.pol")
# issue 13's constructs, one small policy each (rate ranges, 一事一议 with a ceiling, numbering as written)
POLICY_FILES += sorted((ROOT / "tests" / "language").glob("*/*.pol"))
DATES = [datetime.date(2019, 12, 31), datetime.date(2020, 6, 30), datetime.date(2021, 6, 30),
         datetime.date(2022, 3, 1), datetime.date(2026, 1, 1)]


def _policy(path: Path) -> ast.Policy:
    """The policy as the driver loads it: parsed, with its vocabulary imported, checked."""
    project = driver.load([str(path.relative_to(ROOT))])
    assert not project.has_errors
    return project.policies[0]


def _generated(path: Path, policy: ast.Policy):
    """The shipped module from generated/ for shipped policies, else compiled in memory."""
    shipped = ROOT / "generated" / (driver.module_name(policy.path) + ".py")
    if path.parent == ROOT / "policies" and shipped.exists():
        return importlib.import_module(f"generated.{shipped.stem}")  # the package, sharing runtime.py
    return driver.load_module(policy)


def _constants(policy: ast.Policy, kind) -> list[Decimal]:
    found = set()
    for clause in policy.clauses:
        for node, _role in clause_expressions(clause):
            for sub in walk(node):
                if isinstance(sub, kind):
                    found.add(sub.value)
    return sorted(found)


def fact_values(policy: ast.Policy):
    """A strategy for one applicant's facts: boundary values of every constant, random
    values, missing facts and missing years."""
    money_marks = _constants(policy, ast.Money)
    money = st.one_of(
        st.sampled_from(money_marks or [Decimal(0)]).flatmap(
            lambda c: st.sampled_from([c - 1, c, c + 1, c / 2, c * 2])),
        st.integers(0, 5 * 10 ** 9).map(Decimal),
        st.decimals(0, 10 ** 7, places=2),
    ).map(lambda v: max(v, Decimal(0)))
    ratio_marks = _constants(policy, ast.Percent)
    ratio = st.one_of(st.sampled_from(ratio_marks or [Decimal(0)]),
                      st.decimals(Decimal("-0.5"), Decimal(2), places=4))
    number = st.one_of(st.integers(0, 30).map(Decimal), st.sampled_from(_constants(policy, ast.Number) or [Decimal(1)]))
    schema = lower(policy).schema()

    def scalar(base, options):
        return {"money": money, "percent": ratio, "number": number, "bool": st.booleans(),
                "year": st.integers(2014, 2024), "date": st.dates(datetime.date(2018, 1, 1), datetime.date(2024, 1, 1)),
                "enum": st.sampled_from(options or ("?",)), "text": st.sampled_from(("总部甲", "总部乙"))}[base]

    def value(spec):
        base, series, options, is_items = spec
        if is_items:
            return st.lists(scalar(base, options), max_size=4)
        if series:
            return st.dictionaries(st.integers(2014, 2025), scalar(base, options), max_size=8)
        return scalar(base, options)

    return st.fixed_dictionaries({}, optional={name: value(spec) for name, spec in schema.items()})


@pytest.mark.parametrize("path", POLICY_FILES, ids=[p.stem for p in POLICY_FILES])
def test_generated_module_agrees_with_interpreter_and_respects_ceilings(path):
    policy = _policy(path)
    module = _generated(path, policy)
    ceilings = {(c.article, c.item): analysis.clause_ceiling(c) for c in policy.clauses}
    lowered = lower(policy)

    @settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fact_values(policy), st.sampled_from(DATES))
    def check(facts, on):
        generated = module.evaluate(facts, on=on).to_json()
        reference = interpreter.evaluate([lowered], facts, on).to_json()
        assert generated == reference
        for row in generated["clauses"]:
            award = row["award"]
            if award is None or award["max"] is None:
                continue
            assert Decimal(award["min"]) >= 0
            ceiling = ceilings[(row["article"], row["item"])]
            if ceiling is not None:
                assert Decimal(award["max"]) <= ceiling, row

    check()


def _tier_clauses():
    for path in POLICY_FILES:
        policy = _policy(path)
        for clause in policy.clauses:
            if clause.award is not None and isinstance(clause.award.form, ast.ByTier) \
                    and isinstance(clause.award.form.subject, ast.Ref):
                yield pytest.param(path, clause.label, id=f"{path.stem}-{clause.label}")


@pytest.mark.parametrize("path, label", list(_tier_clauses()))
def test_tier_awards_are_monotone_in_the_threshold_fact(path, label):
    """With no earlier history (so 首次 is decided by this year alone), a larger value of
    the tier fact never pays less, other facts fixed."""
    policy = _policy(path)
    clause = next(c for c in policy.clauses if c.label == label)
    subject = clause.award.form.subject.name.text
    info = interpreter.policy_info(lower(policy))
    spec = next(s for s in interpreter.clause_specs(lower(policy)) if s.label == label)
    series = info.schema[subject][1]
    on = datetime.date(2021, 6, 30)
    year = on.year - info.assessed_offset

    @settings(max_examples=150, deadline=None)
    @given(fact_values(policy), st.lists(st.integers(0, 4 * 10 ** 9), min_size=2, max_size=6))
    def check(facts, values):
        paid = []
        for value in sorted(values):
            facts = dict(facts)
            facts[subject] = {year: Decimal(value)} if series else Decimal(value)
            from compiler import runtime
            result = runtime.evaluate_clauses(info, [spec], facts, on)[0]
            paid.append((result.applies, result.award.max if result.award else Decimal(0)))
        decided = [amount for applies, amount in paid if applies is not None]
        assert decided == sorted(decided)

    check()


def test_all_policies_together_agree_with_the_interpreter_across_documents():
    """就高不重复 and modifiers across documents: the generated modules evaluated together
    give the same report as the interpreter over all the policies' ASTs."""
    from compiler import runtime
    project = driver.load(["policies"])
    assert not project.has_errors
    modules = [_generated(ROOT / p.path, p) for p in project.policies]
    evaluator = runtime.Evaluator([(m.POLICY, m.CLAUSES) for m in modules])
    strategies = [fact_values(p) for p in project.policies]
    lowered = [project.model(p) for p in project.policies]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.tuples(*strategies), st.sampled_from(DATES))
    def check(parts, on):
        facts = {}
        for part in parts:
            facts.update(part)
        generated = evaluator.evaluate(facts, on).to_json()
        reference = interpreter.evaluate(lowered, facts, on).to_json()
        assert generated == reference

    check()
