"""The SQL backend decides each applicant's clauses exactly as the Python runtime does.

Differential tests: random registers built from each policy's thresholds (values at, just
under and just over every constant, missing facts, missing years, years the register has
no column for), several policies together (modifiers of 8号 on 14号, 就高不重复 across
6号/8号/14号), run through `to_sql.applicant_clauses` in an in-memory DuckDB over a table laid
out as CONTRACTS.md §4, and compared per row and clause with `runtime.Evaluator` over the
compiled modules: applies, paid, kind, amounts, could_pay, matter, reason and funding must
be equal. Plus the SQL building blocks against the runtime's own functions, and the golden
output of `polc build --emit sql`.
"""

import datetime
import json
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from compiler import driver, runtime, to_sql
from compiler.lower import lower
from compiler.model import CompareOp

from conftest import FIXTURES, ROOT, golden, run_polc
from test_properties import fact_values

DATES = [datetime.date(2019, 12, 31), datetime.date(2020, 6, 30), datetime.date(2021, 6, 30),
         datetime.date(2022, 3, 1), datetime.date(2026, 1, 1)]
# The register has a column for these years only; a series value in another year cannot be
# in it, so it is left out of what the runtime is given too (and reads as unknown in both).
YEARS = tuple(y for y in range(2014, 2026) if y != 2016)
SQL_TYPES = {"money": "DECIMAL(38,6)", "number": "DECIMAL(38,6)", "percent": "DECIMAL(38,6)", "bool": "BOOLEAN",
             "year": "INTEGER", "date": "DATE", "enum": "VARCHAR", "text": "VARCHAR"}


class Register:
    """Policies, their compiled modules and a DuckDB connection holding a register of their
    facts laid out as CONTRACTS.md §4."""

    def __init__(self, paths):
        project = driver.load([str(p) for p in paths])
        assert not project.has_errors
        self.asts = project.policies
        self.models = [lower(p) for p in project.policies]
        modules = [driver.load_module(p) for p in project.policies]
        self.evaluator = runtime.Evaluator([(m.POLICY, m.CLAUSES) for m in modules])
        self.schema = {}
        for m in self.models:
            for name, spec in m.schema().items():
                self.schema.setdefault(name, spec)
        self.columns = [("_line", "BIGINT"), ("申请人", "VARCHAR")]
        for name, (base, series, _options, items) in self.schema.items():
            if series:
                self.columns += [(f"{name}.{y}", SQL_TYPES[base]) for y in YEARS]
            else:
                self.columns.append((name, SQL_TYPES[base] + ("[]" if items else "")))
        self.years = {name: YEARS for name, spec in self.schema.items() if spec[1]}
        self.connection = duckdb.connect()
        self.queries = {}

    def query(self, on):
        if on not in self.queries:
            self.queries[on] = to_sql.to_sql(to_sql.applicant_clauses(self.models, "register", on, years=self.years),
                                             pretty=False)
        return self.queries[on]

    def cells(self, line, facts):
        row = {"_line": line, "申请人": f"A{line:03d}"}
        for name, value in facts.items():
            if self.schema[name][1]:
                for year, item in value.items():
                    row[f"{name}.{year}"] = item
            else:
                row[name] = value
        return [row.get(column) for column, _type in self.columns]

    def run(self, rows, on):
        """(SQL rows by line, runtime evaluations by line) for a list of facts dicts."""
        self.connection.execute("DROP TABLE IF EXISTS register")
        self.connection.execute("CREATE TABLE register ("
                                + ", ".join(f'"{c.replace(chr(34), chr(34) * 2)}" {t}' for c, t in self.columns) + ")")
        if rows:
            marks = ", ".join("?" for _ in self.columns)
            self.connection.executemany(f"INSERT INTO register VALUES ({marks})",
                                        [self.cells(line, facts) for line, facts in enumerate(rows, 2)])
        result = self.connection.execute(self.query(on))
        names = [d[0] for d in result.description]
        assert tuple(names) == to_sql.OUTPUT_COLUMNS
        by_line = {}
        for values in result.fetchall():
            row = dict(zip(names, values))
            by_line.setdefault(row["_line"], []).append(row)
        for found in by_line.values():
            found.sort(key=lambda r: (r["policy_index"], r["clause_index"]))
        return by_line


def _facts_for_register(facts):
    """Only what a §4 register can hold: series years with a column."""
    out = {}
    for name, value in facts.items():
        if isinstance(value, dict):
            value = {y: v for y, v in value.items() if y in YEARS}
        out[name] = value
    return out


def reason_code(row):
    """The reason code of CONTRACTS.md §3 for a runtime clause row (before quotas/budgets)."""
    if row["applies"] is None:
        return "undecidable"
    if row["applies"] is False:
        return "not_applicable"
    if "modifies" in row:
        return "modifier"
    if not row["paid"]:
        return "not_highest"
    if row["award"]["kind"] == "routing":
        return "routing"
    return "paid"


def _money(text):
    return None if text is None else Decimal(text)


def expected_row(row, policy_index, clause_index):
    award = row["award"]
    return {
        "policy": row["policy"], "policy_index": policy_index, "clause_index": clause_index,
        "clause": row["article"] + (f"第{row['item']}项" if row["item"] is not None else ""),
        "matter": row["matter"], "applies": row["applies"], "paid": row["paid"],
        "kind": award["kind"] if award else None,
        "amount_min": _money(award["min"]) if award else None, "amount_max": _money(award["max"]) if award else None,
        "could_pay": _money(row.get("could_pay")), "reason": reason_code(row), "funding": row.get("funding"),
    }


def actual_row(row):
    got = {key: row[key] for key in ("policy", "policy_index", "clause_index", "clause", "matter", "applies", "paid",
                                     "kind", "amount_min", "amount_max", "could_pay", "reason")}
    got["funding"] = json.loads(row["funding"]) if row["funding"] is not None else None
    return got


def compare(register, rows, on):
    rows = [_facts_for_register(facts) for facts in rows]
    by_line = register.run(rows, on)
    assert sorted(by_line) == list(range(2, 2 + len(rows)))
    for line, facts in enumerate(rows, 2):
        evaluation = register.evaluator.evaluate(facts, on).to_json()
        expected, index = [], {}
        docnos = [m.docno for m in register.models]
        for row in evaluation["clauses"]:
            policy_index = docnos.index(row["policy"]) + 1
            index[policy_index] = index.get(policy_index, 0) + 1
            expected.append(expected_row(row, policy_index, index[policy_index]))
        got = [actual_row(r) for r in by_line[line]]
        for want, have in zip(expected, got):
            assert have == want, (facts, on)
        assert len(got) == len(expected)
        assert all(r["申请人"] == f"A{line:03d}" for r in by_line[line])


def _register_strategy(register):
    parts = st.tuples(*(fact_values(p) for p in register.asts))

    def merged(pieces):
        facts = {}
        for piece in pieces:
            facts.update(piece)
        return facts
    return st.lists(parts.map(merged), min_size=1, max_size=20)


POLICY_FILES = [p for p in sorted((ROOT / "policies").glob("*.pol")) if p.name != "vocabulary.pol"]


@pytest.fixture(scope="module")
def all_policies():
    return Register([p.relative_to(ROOT) for p in POLICY_FILES])


def test_every_shipped_policy_together_agrees_with_the_runtime(all_policies):
    """Six policies at once: 8号's ×1.5 modifier on 14号's investment clauses, 就高不重复 across
    6号, 8号 and 14号 (驰名商标, 主导标准 …), 16号's 分担 between two payers."""
    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(all_policies), st.sampled_from(DATES[1:3]))
    def check(rows, on):
        compare(all_policies, rows, on)
    check()


@pytest.mark.parametrize("path", POLICY_FILES + [FIXTURES / "shapes.pol", FIXTURES / "quotas.pol"],
                         ids=lambda p: p.stem)
def test_each_policy_agrees_with_the_runtime(path):
    register = Register([path.relative_to(ROOT)])

    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_register_strategy(register), st.sampled_from(DATES))
    def check(rows, on):
        compare(register, rows, on)
    check()
