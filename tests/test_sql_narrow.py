"""The batch engine's own rows: `to_sql.applicant_clauses(..., narrow=True)`, what
`polc eval --batch` runs on DuckDB (sql_batch.Engine._clause_rows).

The narrow form unnests the applicant's wide row through one small integer per clause (its
place and state) instead of a STRUCT of every value, takes the amounts that are the same for
every applicant (decided when the query is built) and everything that depends only on the
clause and its state (applies, paid, kind, ceiling, reason, stated matter) from a VALUES table
joined on that code, and carries only the amounts read or computed from the register. These
tests hold it to the contract's query (tests/test_sql_clauses.py holds that one to the Python
runtime): on random registers built around each policy's thresholds, every row it gives is a
row of the contract's query (less its labels, with the clause's place counted from 0), and it
gives exactly the rows the batch lists — those that apply or cannot be decided, plus, with
keep_matters_read, those whose matter is read from a fact in a 就高不重复 policy — or, without
only_listed, every row.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import model, to_sql

from conftest import FIXTURES, ROOT
from test_sql_clauses import DATES, POLICY_FILES, Register, _facts_for_register, _register_strategy

# Language folders whose constructs shape a row's amounts, payers or matter (parts paid now,
# offsets, payers by condition, per-item caps, floors, tables, tiers crossed, upgrades …).
FOLDERS = ["parts", "payer-by-condition", "payer-by-item", "floor", "per-item-total-cap", "run-years", "bands",
           "two-key-table", "upgrade-difference", "each-tier-crossed", "rate-range", "formula-cap",
           "case-by-case-ceiling", "outcomes", "offsets"]


def _narrow(register, on, only_listed, keep_matters_read):
    # the text is made once per register, date and form (the six policies' takes a few tenths)
    texts = register.__dict__.setdefault("narrow_texts", {})
    key = (on, only_listed, keep_matters_read, to_sql._FEW_CARRIED)
    if key not in texts:
        texts[key] = to_sql.to_sql(to_sql.applicant_clauses(
            register.models, "register", on, years=register.years, only_listed=only_listed,
            keep_matters_read=keep_matters_read, narrow=True), pretty=False)
    result = register.connection.execute(texts[key])
    assert tuple(d[0] for d in result.description) == to_sql.NARROW_COLUMNS
    return sorted(result.fetchall(), key=lambda r: r[:2])


def _expected(register, full, only_listed, keep_matters_read):
    """The contract's rows as the narrow form gives them: the clause's place from 0 instead of
    its labels and numbers, only the rows kept."""
    first, place = {}, 0
    by_fact = set()
    for policy_index, policy in enumerate(register.models, 1):
        first[policy_index] = place
        for clause_index, clause in enumerate(policy.evaluated_clauses, 1):
            if clause.matter_by is not None and policy.principle is model.Principle.HIGHEST_ONLY:
                by_fact.add((policy_index, clause_index))
        place += len(policy.evaluated_clauses)
    rows = []
    for found in full.values():
        for r in found:
            key = (r["policy_index"], r["clause_index"])
            listed = r["applies"] is not False or (keep_matters_read and key in by_fact and r["matter"] is not None)
            if only_listed and not listed:
                continue
            rows.append((r["_line"], first[key[0]] + key[1] - 1, r["matter"], r["applies"], r["paid"], r["kind"],
                         r["amount_min"], r["amount_max"], r["could_pay"], r["reason"], r["funding"]))
    return sorted(rows, key=lambda r: r[:2])


def _check(register, rows, on):
    full = register.run([_facts_for_register(facts) for facts in rows], on)
    for only_listed, keep in ((True, True), (True, False), (False, False)):
        assert _narrow(register, on, only_listed, keep) == _expected(register, full, only_listed, keep), (only_listed, keep)


@pytest.fixture(scope="module")
def all_policies():
    return Register([p.relative_to(ROOT) for p in POLICY_FILES], items_as_text=True)


@pytest.mark.parametrize("carried", [True, False], ids=["carried", "in-struct"])
def test_narrow_rows_are_the_contract_rows_for_the_six_policies(all_policies, monkeypatch, carried):
    """All six policies together (modifiers across policies, 就高不重复 across 6号/8号/14号, a
    matter read from a fact, 16号's 分担). A value only a few clauses have (the matter read
    from a fact) is carried beside the codes; with none carried it travels in the STRUCT."""
    if not carried:
        monkeypatch.setattr(to_sql, "_FEW_CARRIED", 0)

    @settings(max_examples=3 if carried else 2, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(all_policies), st.sampled_from(DATES[1:4]))
    def check(rows, on):
        _check(all_policies, rows, on)
    check()


@pytest.mark.parametrize("path", [ROOT / "tests" / "language" / name / f"{name}.pol" for name in FOLDERS]
                         + [FIXTURES / "shapes.pol", FIXTURES / "quotas.pol"], ids=lambda p: p.stem)
def test_narrow_rows_are_the_contract_rows_for_each_construct(path, monkeypatch):
    register = Register([path.relative_to(ROOT)])
    if path.stem == "payer-by-condition":
        monkeypatch.setattr(to_sql, "_FEW_CARRIED", 0)  # the payers chosen travel in the STRUCT too

    @settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(register), st.sampled_from(DATES))
    def check(rows, on):
        _check(register, rows, on)
    check()


def test_a_stated_amount_comes_from_the_values_table_and_only_read_amounts_travel(all_policies):
    """The point of the narrow form: a clause with a stated amount (6号 第五条's 200万元 cap
    is read per applicant; 14号 第三条第1项 pays a stated 800万元) carries no amount beside its
    code; one computed from the register does (v1). The stated one is the runtime's amount
    rounded once, half up, when the query is built."""
    import datetime
    on = datetime.date(2021, 6, 30)
    text = to_sql.to_sql(to_sql.applicant_clauses(all_policies.models, "register", on, years=all_policies.years,
                                                  only_listed=True, keep_matters_read=True, narrow=True), pretty=False)
    assert "'v1':" in text and "'v2':" not in text  # no shipped clause has two amounts read per applicant
    assert "LIST_FILTER([{'c': CASE" in text
    # 14号 第三条第1项 (place 17 from 0, code 18 × 4 + state): applying and paid it states its
    # 800万元 itself (min and max from no field: 0, 0); applying and not paid (就高不重复) too
    assert ("(72, 17, TRUE, TRUE, 'exact', NULL, 'paid', '智能化改造示范激励', NULL, "
            "CAST(8000000.00 AS DECIMAL(38, 2)), CAST(8000000.00 AS DECIMAL(38, 2)), 0, 0)") in text
    assert "(73, 17, TRUE, FALSE, 'exact', NULL, 'not_highest', " in text
    # undecidable: no amount, its ceiling (the clause's stated 800万元) as could_pay
    assert "(74, 17, NULL, FALSE, NULL, 8000000.00, 'undecidable', '智能化改造示范激励', NULL, NULL, NULL, 0, 0)" in text
    # typed as the batch's clause_rows, whatever the VALUES table's literals would make of a column
    all_policies.run([], on)  # an empty register of every column
    types = dict((row[0], row[1]) for row in all_policies.connection.execute(f"DESCRIBE {text}").fetchall())
    assert types == {"_line": "BIGINT", "pos": "INTEGER", "matter": "VARCHAR", "applies": "BOOLEAN", "paid": "BOOLEAN",
                     "kind": "VARCHAR", "amount_min": "DECIMAL(38,2)", "amount_max": "DECIMAL(38,2)",
                     "could_pay": "DECIMAL(38,2)", "reason": "VARCHAR", "funding": "VARCHAR"}
