"""How generated clause code runs (see to_python's _PREAMBLE comment and the README,
"Generated modules"): conditions inline rather than a runtime call each, trace entries built
only when a trace is wanted and formatted only when read, results built quickly yet still
the frozen dataclasses of the API. What the code decides is held by the differential tests
(tests/test_properties.py: generated vs interpreter, traces included); these hold the speed
design itself, so that it cannot quietly come undone."""

import copy
import importlib
import dataclasses
import datetime
import pickle
import re
from decimal import Decimal
from pathlib import Path

import pytest

from compiler import batch, driver, runtime
from compiler.lower import lower
from compiler.to_python import to_python

from conftest import FIXTURES, ROOT

POLICY_FILES = [p for p in sorted((ROOT / "policies").glob("*.pol")) if p.name != "vocabulary.pol"]
POLICY_FILES.append(FIXTURES / "shapes.pol")
ON = datetime.date(2021, 6, 30)


def _examples():
    """(module, typed facts) for every 案例 of every shipped policy and the shapes fixture."""
    for path in POLICY_FILES:
        project = driver.load([str(path.relative_to(ROOT))])
        assert not project.has_errors
        policy = project.policies[0]
        module = driver.load_module(policy)
        for clause in policy.clauses:
            for case in clause.cases:
                yield module, runtime.validate_facts(driver.case_facts(case), module.POLICY.schema)


EXAMPLES = list(_examples())


# ---------------------------------------------------------------- the code itself
@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.stem)
def test_conditions_are_inline_code_not_a_runtime_call_each(path):
    project = driver.load([str(path.relative_to(ROOT))])
    source = (ROOT / "generated" / (driver.module_name(project.policies[0].path) + ".py"))
    text = source.read_text(encoding="utf-8") if path.parent == ROOT / "policies" else \
        to_python(lower(project.policies[0]))
    body = text[text.index("# ---------------------------------------------------------------- the policy"):]
    for call in ("run.member(", "run.compare(", "run.first_time(", "run.define(", "kleene_and(", "kleene_or(",
                 "kleene_not(", "mul(", "sub(", "add(", "div("):
        assert call not in body, call
    # Every trace entry is built behind the test for a wanted trace.
    lines = body.split("\n")
    for number, line in enumerate(lines):
        if "trace.append(" in line:
            assert lines[number - 1].strip() == "if trace is not None:", line


# ---------------------------------------------------------------- traces: lazy, and none in the batch
def test_no_trace_text_is_formatted_while_evaluating(monkeypatch):
    formatted = []
    for name in ("format_value", "format_money"):
        original = getattr(runtime, name)
        monkeypatch.setattr(runtime, name, lambda *a, _f=original: formatted.append(a) or _f(*a))
    results = [runtime._run_clause(spec, facts, ON.year - module.POLICY.assessed_offset, factor)
               for module, facts in EXAMPLES for spec in module.CLAUSES
               for factor in (None, (Decimal("1.5"), "嘉政发〔2020〕8号第十四条"))]
    assert formatted == []
    assert any(result.trace for result in results)  # read now: formatted now
    assert formatted


def test_an_untraced_run_keeps_no_trace_and_decides_exactly_the_same():
    compared = 0
    for module, facts in EXAMPLES:
        year = ON.year - module.POLICY.assessed_offset
        for spec in module.CLAUSES:
            for factor in (None, (Decimal("1.5"), "嘉政发〔2020〕8号第十四条")):
                traced = runtime._run_clause(spec, facts, year, factor)
                quiet = runtime._run_clause(spec, facts, year, factor, batch._QuietRun)
                assert quiet.entries == []
                assert (quiet.applies, quiet.paid, quiet.award, quiet.reason, quiet.missing, quiet.matter) == \
                       (traced.applies, traced.paid, traced.award, traced.reason, traced.missing, traced.matter)
                compared += 1
    assert compared > 1000


# ---------------------------------------------------------------- results built quickly, still frozen
def test_quickly_built_results_are_the_frozen_dataclasses_field_for_field():
    spec = next(s for m, _f in EXAMPLES for s in m.CLAUSES if s.item is not None)
    award = runtime._award("exact", Decimal("300000.00"), Decimal("300000.00"))
    assert type(award) is runtime.Award and award == runtime.Award("exact", Decimal("300000.00"), Decimal("300000.00"))
    result = runtime._result(spec, True, award, "符合条件", ["entry"], ["事实"], None)
    by_init = runtime.ClauseResult(spec, spec.label, True, True, award, "符合条件", ("事实",), spec.matter, None,
                                   ["entry"])
    assert type(result) is runtime.ClauseResult
    for field in dataclasses.fields(runtime.ClauseResult):
        assert getattr(result, field.name) == getattr(by_init, field.name), field.name
    assert spec.label == f"{spec.article}第{spec.item}项"
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.paid = False
    with pytest.raises(dataclasses.FrozenInstanceError):
        award.max = Decimal(0)
    assert dataclasses.replace(result, paid=False).paid is False and result.paid is True
    assert pickle.loads(pickle.dumps(award)) == award and copy.copy(award) == award
    # The quick builders have exactly the slots of the classes they become.
    assert runtime._AwardParts.__slots__ == runtime.Award.__slots__
    assert runtime._ClauseResultParts.__slots__ == runtime.ClauseResult.__slots__


def test_standalone_modules_build_their_own_results(tmp_path, monkeypatch):
    """A --standalone module inlines the runtime: its results are its own classes."""
    project = driver.load([str(Path("policies") / "jzf-2020-06.pol")])
    (tmp_path / "standalone_06.py").write_text(to_python(lower(project.policies[0]), standalone=True), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    namespace = vars(importlib.import_module("standalone_06"))
    evaluation = namespace["evaluate"]({"企业服务业类别": "生产性服务业", "实现税收": True,
                                        "年营业收入": {"2019": "18亿元", "2020": "21亿元"}}, on="2021-06-30")
    seventh = evaluation.clause("第七条")
    assert type(seventh) is namespace["ClauseResult"] and type(seventh.award) is namespace["Award"]
    assert seventh.award.max == Decimal("200000.00")
    assert re.search(r"首次超过 20亿元［2020年］：21亿元 对 20亿元.*→ 成立", "\n".join(seventh.trace))
