"""`polc build --emit schema`: the facts JSON Schema agrees with runtime.validate_facts.

Every policy's examples (案例), written as a client sends them, validate against the policy's
schema and against the schema of all policies together; a corpus of good and bad values per
type is accepted or refused by the schema exactly as the runtime accepts or refuses it; and
for random values, whatever the schema accepts the runtime accepts.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import driver, runtime, schema  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))
import schema_subset  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def policies():
    project = driver.load([str(ROOT / "policies")], overlaps=False)
    assert not project.has_errors
    return project.policies


def _as_sent(value):
    """A typed example value as a client writes it in JSON (numbers stay Decimal, as
    compiler.source.load_json reads them)."""
    if isinstance(value, dict):
        return {str(year): _as_sent(item) for year, item in value.items()}
    if isinstance(value, list):
        return [_as_sent(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _accepted_by_runtime(facts, tables) -> bool:
    try:
        for table in tables:
            runtime.validate_facts({k: v for k, v in facts.items() if k in table}, table)
        known = {name for table in tables for name in table}
        unknown = [k for k in facts if k not in known]
        if unknown:
            runtime.validate_facts({unknown[0]: facts[unknown[0]]}, {})
    except runtime.FactError:
        return False
    return True


def test_every_example_validates(policies):
    together = schema.for_policies(policies)
    schema_subset.check_keywords(together)
    examples = 0
    for policy in policies:
        own = schema.for_policy(policy)
        schema_subset.check_keywords(own)
        for clause in policy.clauses:
            for case in clause.cases:
                facts = _as_sent(driver.case_facts(case))
                assert schema_subset.errors(own, facts) == [], (policy.docno, clause.label, case.title)
                assert schema_subset.errors(together, facts) == [], (policy.docno, clause.label, case.title)
                assert _accepted_by_runtime(facts, [schema.fact_table(policy)[0]])
                examples += 1
    assert examples > 50


# value -> (base, labels, yearly, per item) cases: each is accepted by both or refused by both
GOOD_AND_BAD = {
    "money": [0, 1, -5, Decimal("1.5"), "30万元", "30 万元", "1.6万亿元", "120000", "1,200.5元", "1，200元",
              Decimal("999999999999999.99"), "1.200,5元", "1,2", "abc", "", "万元", True, False, [], {},
              Decimal("1E+15"), -10 ** 15, "NaN", "30万", "30 万 元", 10 ** 16],
    "percent": [Decimal("0.05"), "5%", "0.05", "5 %", "12%", "%", "abc", True, "5%%", Decimal(10) ** 6, "", [1]],
    "number": [3, Decimal("2.5"), "3", "3.5", "-2", "3万", "x", True, None, 10 ** 15],
    "bool": [True, False, "是", "否", "true", "false", 1, 0, "yes", "", None, [True]],
    "year": [2019, 1000, 9999, "2019", "2019年", 999, 10000, "19", "２０１９", Decimal("2019.5"), True, "2019年年", 2019.0],
    "date": ["2020-06-30", "2020年6月30日", "2020-02-30", "2020/06/30", "20200630", 20200630, True, "2020-6-30"],
    "text": ["总部A", "  x ", "12", "", "   ", "\u3000", True, 1.5, Decimal("0.000"), [], None],
}
# Read by the runtime, refused by the schema (the safe direction): JSON Schema cannot tell the
# integer 12, which the runtime reads as a 标识, from 12.0, which it does not.
NARROWER = {"text": [12]}


def _spec(base: str) -> tuple:
    return (base, False, ("国家", "省") if base == "enum" else None, False)


@pytest.mark.parametrize("base", sorted(GOOD_AND_BAD))
def test_schema_accepts_and_refuses_as_runtime_does(base):
    table = {"事实": _spec(base)}
    facts_schema = schema.policy_schema("测试〔2020〕1号", None, table)
    verdicts = set()
    for value in GOOD_AND_BAD[base]:
        if isinstance(value, float):
            value = Decimal(repr(value))  # as load_json reads 2019.0
        by_schema = not schema_subset.errors(facts_schema, {"事实": value})
        assert by_schema == _accepted_by_runtime({"事实": value}, [table]), (base, value)
        verdicts.add(by_schema)
    assert verdicts == {True, False}  # the corpus has good and bad values of each type
    for value in NARROWER.get(base, ()):
        assert schema_subset.errors(facts_schema, {"事实": value}) and _accepted_by_runtime({"事实": value}, [table])


def test_enumerations_series_items_unknown_keys():
    table = {"级别": ("enum", False, ("国家", "省"), False), "营业收入": ("money", True, None, False),
             "设备": ("money", False, None, True)}
    facts_schema = schema.policy_schema("测试〔2020〕1号", "测试", table)
    cases = [
        {"级别": "国家"}, {"级别": "市"}, {"级别": 1}, {"级别": None},
        {"营业收入": {"2019": "25亿元", "2020": None}}, {"营业收入": {"2019年": 1}}, {"营业收入": {"19": 1}},
        {"营业收入": [1]}, {"营业收入": {"2019": "x"}}, {"营业收入": None},
        {"设备": [1, "2万元"]}, {"设备": []}, {"设备": [None]}, {"设备": 5}, {"设备": None},
        {"未声明": 1}, {"级": "国家"}, {},
    ]
    for facts in cases:
        by_schema = not schema_subset.errors(facts_schema, facts)
        assert by_schema == _accepted_by_runtime(facts, [table]), facts


def test_merged_schema_requires_both_declarations():
    first = {"额": ("money", False, None, False)}
    second = {"额": ("number", False, None, False), "类": ("enum", False, ("甲",), False)}
    merged = schema.merge([schema.policy_schema("甲〔2020〕1号", "甲", first),
                           schema.policy_schema("乙〔2020〕2号", "乙", second)])
    assert list(merged["properties"]) == ["额", "类"]
    schema_subset.check_keywords(merged)
    for facts in ({"额": 5}, {"额": "5万元"}, {"额": "5"}, {"类": "甲"}, {"类": "乙"}, {"别": 1}):
        by_schema = not schema_subset.errors(merged, facts)
        assert by_schema == _accepted_by_runtime(facts, [first, second]), facts


_TEXT = st.text(alphabet="0123456789.,，- %万亿元年月日是否truefalsNa\t", max_size=12)
_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 16, 10 ** 16),
                    st.decimals(allow_nan=False, allow_infinity=False, places=3), _TEXT,
                    st.lists(st.integers(0, 3), max_size=2))


@settings(max_examples=300, deadline=None)
@given(base=st.sampled_from(sorted(GOOD_AND_BAD)), value=_VALUES, yearly=st.booleans(), year=_TEXT)
def test_what_the_schema_accepts_the_runtime_accepts(base, value, yearly, year):
    table = {"事实": (base, yearly, None, False)}
    facts = {"事实": {year: value} if yearly else value}
    if not schema_subset.errors(schema.policy_schema("测试〔2020〕1号", None, table), facts):
        try:
            runtime.validate_facts(facts, table)
        except runtime.FactError as exc:
            # only what JSON Schema cannot say (documented): the size of numeric text, and a
            # calendar check of the Chinese date form
            assert exc.problem_en.startswith(("out of range", "more than 28")) or (
                base == "date" and re.fullmatch(schema.CHINESE_DATE[1:-1], str(value))), (facts, exc)


def test_emit_schema_is_deterministic_and_matches_the_runtime_tables(policies, tmp_path):
    command = [sys.executable, "-m", "compiler", "build", "--emit", "schema", "policies/"]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    elsewhere = subprocess.run([*command[:-1], str(ROOT / "policies")], cwd=tmp_path, capture_output=True,
                               text=True, check=True).stdout
    assert first == elsewhere
    emitted = json.loads(first)
    assert emitted == json.loads(schema.dumps(schema.for_policies(policies)))
    declared = {name for policy in policies for name in schema.fact_table(policy)[0]}
    assert set(emitted["properties"]) == declared
    assert emitted["additionalProperties"] is False
    one = subprocess.run([*command[:-1], "policies/jzf-2020-06.pol"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(one)["title"].startswith("嘉政发〔2020〕6号")
    assert "企业的年营业收入" in json.loads(one)["properties"]["年营业收入"]["description"]
