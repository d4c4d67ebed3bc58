"""Decision functions (runtime, "decisions"; README, "Decisions"): every generated clause has
one, `spec.decide(typed facts, assessed year, factor)`, giving what the clause decides as a
plain value. It must decide exactly what the full result says — applies, the award (kind,
amounts, note, outcome, parts), the reason a clause does not apply — for every clause of every
shipped policy, the shapes fixture and the issue-13 language folders, on their examples and on
random facts (boundary values, missing facts and years), with and without a modifier's
coefficient. The reference interpreter's clauses, which have no decision function, are
decided through runtime.decide_spec and must agree too."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from compiler import driver, interpreter, runtime
from compiler.lower import lower

from conftest import ROOT
from test_properties import DATES, POLICY_FILES, _generated, _policy, fact_values

FACTORS = (None, (Decimal("1.5"), "嘉政发〔2020〕8号第十四条"), (Decimal("0.3"), "系数"))


def _expected(result: runtime.ClauseResult):
    """What the decision must be, read from the full result of _run_clause (before 就高不重复)."""
    if result.applies is None:
        return None
    if result.applies is False:
        return False if result.reason == "条件不成立" else result.reason
    if result.spec.modifies is not None:
        return True
    return result.award


def _same(decision, result: runtime.ClauseResult) -> bool:
    expected = _expected(result)
    if not isinstance(expected, (bool, str, type(None))):  # an Award (of the module's own runtime)
        fields = (expected.kind, expected.min, expected.max, expected.note, expected.outcome, expected.parts)
        return (isinstance(decision, tuple) and 3 <= len(decision) <= 6 and
                (len(decision) == 3 or decision[-1] is not None) and
                decision + (None,) * (6 - len(decision)) == fields and
                all(type(a) is type(b) for a, b in zip(decision, fields)))
    return decision is expected or (isinstance(expected, str) and decision == expected)


def _check(module, reference, facts, on):
    typed = runtime.validate_facts(facts, module.POLICY.schema)
    year = on.year - module.POLICY.assessed_offset
    for spec, ref in zip(module.CLAUSES, reference):
        assert spec.decide is not None and ref.decide is None
        for factor in FACTORS:
            if spec.modifies is not None and factor is not None:
                continue  # a modifier is never scaled
            result = runtime._run_clause(spec, typed, year, factor)
            decision = spec.decide(typed, year, factor)
            assert _same(decision, result), (spec.label, factor, decision, result.applies, result.award, result.reason)
            # As the batch calls it, and for a clause with no decision function (the interpreter's).
            assert runtime.decide_spec(spec, typed, year, factor) == decision
            assert _same(runtime.decide_spec(ref, typed, year, factor), result), (spec.label, factor)


@pytest.mark.parametrize("path", POLICY_FILES, ids=[p.stem for p in POLICY_FILES])
def test_decisions_agree_with_full_results_on_random_facts(path):
    policy = _policy(path)
    module = _generated(path, policy)
    reference = interpreter.clause_specs(lower(policy))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fact_values(policy), st.sampled_from(DATES))
    def check(facts, on):
        _check(module, reference, facts, on)

    check()


@pytest.mark.parametrize("path", POLICY_FILES, ids=[p.stem for p in POLICY_FILES])
def test_decisions_agree_with_full_results_on_every_example(path):
    policy = _policy(path)
    module = _generated(path, policy)
    reference = interpreter.clause_specs(lower(policy))
    checked = 0
    for clause in policy.clauses:
        for case in clause.cases:
            for on in (datetime.date(2021, 6, 30), *(DATES[:1])):
                _check(module, reference, driver.case_facts(case), on)
                checked += 1
    assert checked or not any(c.cases for c in policy.clauses)


def test_shipped_decisions_are_inline_code():
    """The decision functions of the shipped policies are straight-line code: no Run, no
    trace, no result object, and the clause function is run only for the award forms that
    need the runtime's helpers."""
    fallbacks = []
    for path in sorted((ROOT / "generated").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for chunk in text.split("\ndef ")[1:]:
            if not chunk.startswith("_decide_"):
                continue
            body = chunk.split('"""', 2)[2]
            if "decide_by_running(" in body:
                fallbacks.append(f"{path.stem} {chunk.split('(')[0]}")
                continue
            for word in ("run", "trace", "Award", "exact(", "ClauseResult"):
                assert f"{word}" not in body.replace("decide_by_running", ""), (path.stem, chunk[:40], word)
    # Only 嘉政办发〔2020〕14号 第三条第20项, an award per item (每项), needs its clause function.
    assert fallbacks == ["jzbf_2020_14 _decide_19"], fallbacks


def test_decision_of_a_scaled_award_and_a_period():
    """Two rules a decision keeps beside the clause's own code: a modifier's coefficient applies
    before the cap, and an award outside its 期限 does not apply (with the reason the result gives)."""
    project = driver.load([str(ROOT / "policies" / "jzf-2020-06.pol")])
    module = driver.load_module(project.policies[0])
    fifth = next(s for s in module.CLAUSES if s.label == "第五条")
    facts = {"项目类别": "生产性服务业", "项目投资方式": "新增投资项目", "竣工验收": True, "投资额": Decimal(30_000_000)}
    assert fifth.decide(facts, 2020) == ("exact", Decimal("1500000.00"), Decimal("1500000.00"))
    assert fifth.decide(facts, 2020, (Decimal("1.5"), "8号")) == ("exact", Decimal("2000000.00"), Decimal("2000000.00"))
    assert fifth.decide({**facts, "竣工验收": None}, 2020) is None
    assert fifth.decide({**facts, "竣工验收": False}, 2020) is False
    twelfth = next(s for s in module.CLAUSES if s.label == "第十二条第2项")
    facts = {"总部型企业": True, "新引进总部型企业": True, "总部首次奖励年度": 2016,
             "地方留存税收": {2019: Decimal(10_000_000), 2020: Decimal(12_500_000)}}
    assert twelfth.decide(facts, 2020) == "考核年度2020年不在奖励期限2016–2018年内"
    assert twelfth.decide({**facts, "总部首次奖励年度": 2019}, 2020) == \
        ("exact", Decimal("1500000.00"), Decimal("1500000.00"))
    assert twelfth.decide({**facts, "总部首次奖励年度": None}, 2020) is None


# ---------------------------------------------------------------- the batch's typed cells
def _cells_strategy(schema):
    """Rows as a CSV register gives them (text cells, a series by year text), with bad cells,
    a year written twice, blanks and other types mixed in."""
    good = {"money": st.sampled_from(["0", "500000", "30万元", "1,200.5元", "2.5亿元"]),
            "percent": st.sampled_from(["5%", "0.05", "-3%"]), "number": st.sampled_from(["0", "12", "3.5"]),
            "bool": st.sampled_from(["是", "否", "true"]), "year": st.sampled_from(["2019", "2020年"]),
            "date": st.sampled_from(["2020-06-30", "2020年2月3日"]), "text": st.sampled_from(["总部甲", " 总部乙 "])}
    bad = st.sampled_from(["", "abc", "NaN", "1.200,5", "2020年2月30日", "99999999999999999999亿元", "否定"])

    def cell(spec):
        base, _series, options, _items = spec
        known = st.sampled_from(list(options)) if base == "enum" else good[base]
        rare = st.one_of(bad, st.integers(0, 3000), st.none())
        return st.one_of(*[known] * 30, rare)  # mostly good rows: those the memory serves

    def value(spec):
        if spec[3]:
            return st.lists(cell(spec), max_size=3)
        if spec[1]:
            return st.dictionaries(st.sampled_from(["2018", "2019", "2019年", "2020", "20x0", 2020]), cell(spec),
                                   max_size=4)
        return cell(spec)

    return st.fixed_dictionaries({}, optional={name: value(spec) for name, spec in schema.items()})


def test_typed_cells_are_exactly_validate_facts():
    """batch._typed_row remembers typed cells across rows: it must give validate_facts's value,
    or its FactError with every problem, for every row, whatever was remembered before."""
    from compiler import batch
    policy = _policy(ROOT / "policies" / "jzf-2020-06.pol")
    schema = {name: tuple(spec) for name, spec in lower(policy).schema().items()}
    known = {name: runtime.FactSpec(*spec) for name, spec in schema.items()}
    cells: dict = {}

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_cells_strategy(schema))
    @example({"年营业收入": {"2019": "25亿元", "2020": "31亿元"}, "实现税收": "是"})
    @example({"年营业收入": {"2019": "25亿元", "2019年": "31亿元"}, "实现税收": "是"})  # one year twice
    @example({"年营业收入": {"2019": "25亿元"}, "实现税收": "也许"})
    def check(row):
        try:
            expected = runtime.validate_facts(row, known)
        except runtime.FactError as exc:
            expected = exc.problems
        for _ in range(2):  # the second time from what the first remembered
            try:
                actual = batch._typed_row(row, known, cells)
            except runtime.FactError as exc:
                actual = exc.problems
            assert actual == expected
            if isinstance(expected, dict):
                assert [list(v) if isinstance(v, dict) else None for v in actual.values()] == \
                       [list(v) if isinstance(v, dict) else None for v in expected.values()]  # years in order

    check()
    assert len(cells) > 20
