"""The developer's API of the generated modules (issue 12): one shared, versioned runtime;
generated/ as a package; single-file modules on request; an installable package that
pip installs offline into a bare virtual environment; typed results (frozen dataclasses,
Decimal in Python, strings only in JSON); all fact problems of a call at once; and types a
client checks with `mypy --strict`."""

import dataclasses
import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest

from compiler import runtime
from compiler.to_python import _runtime_names

from conftest import ROOT, UPDATE_GOLDEN, run_polc

GOOD = {"实现税收": True, "企业服务业类别": "生活性服务业", "年营业收入": {"2019": "9亿元", "2020": "10.5亿元"}}


def _module(name="jzf_2020_06"):
    return importlib.import_module(f"generated.{name}")


def _python(code, cwd=ROOT, executable=sys.executable, path=None):
    """Run code in a fresh interpreter (isolated: no user site, no PYTHONPATH)."""
    prelude = f"import sys; sys.path.insert(0, {str(path)!r}); " if path is not None else ""
    return subprocess.run([executable, "-I", "-c", prelude + code], cwd=cwd, capture_output=True, text=True, timeout=120)


# ---------------------------------------------------------------- one runtime, shared
def test_generated_is_a_typed_package_sharing_polcs_runtime_byte_for_byte():
    generated = ROOT / "generated"
    assert (generated / "runtime.py").read_bytes() == (ROOT / "compiler" / "runtime.py").read_bytes()
    assert (generated / "py.typed").exists() and (generated / "__init__.py").exists()
    package = importlib.import_module("generated")
    assert package.RUNTIME_VERSION == runtime.RUNTIME_VERSION


def test_results_of_two_modules_are_the_same_classes():
    first, second = _module("jzf_2020_06"), _module("jzf_2020_08")
    a, b = first.evaluate(GOOD, on="2021-06-30"), second.evaluate({}, on="2021-06-30")
    assert type(a) is type(b) and isinstance(b, first.Evaluation)
    assert isinstance(b.clauses[0], first.ClauseResult) and first.FactError is second.FactError
    paid = next(r for r in a.clauses if r.paid)
    assert isinstance(paid.award, second.Award)
    # …and modules evaluated together (就高不重复 across documents) with either module's Evaluator.
    both = first.Evaluator([(first.POLICY, first.CLAUSES), (second.POLICY, second.CLAUSES)])
    assert isinstance(both.evaluate(GOOD, on="2021-06-30"), second.Evaluation)


def test_a_module_refuses_a_runtime_of_another_version(tmp_path):
    copy = tmp_path / "generated"
    shutil.copytree(ROOT / "generated", copy, ignore=shutil.ignore_patterns("__pycache__"))
    text = (copy / "runtime.py").read_text(encoding="utf-8")
    (copy / "runtime.py").write_text(text.replace(f'RUNTIME_VERSION = "{runtime.RUNTIME_VERSION}"',
                                                  'RUNTIME_VERSION = "999"', 1), encoding="utf-8")
    result = _python("from generated import jzf_2020_06", cwd=tmp_path, path=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError:") and f"version {runtime.RUNTIME_VERSION}" in last and "999" in last, last


def test_a_module_imported_outside_its_package_says_how_to_import_it():
    result = _python("import jzf_2020_06", path=ROOT / "generated")
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError:") and "from generated import jzf_2020_06" in last and "--standalone" in last


def test_standalone_modules_are_single_files_with_the_runtime_inlined(tmp_path):
    out = tmp_path / "single"
    result = run_polc("build", "--standalone", "--out", out)
    assert result.returncode == 0, result.stderr
    assert not (out / "runtime.py").exists() and not (out / "__init__.py").exists()
    # Any one file, alone on the path, evaluates as the package's module does.
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(out / "jzf_2020_06.py", alone)
    code = (f"import json, jzf_2020_06 as m; "
            f"print(json.dumps(m.evaluate(json.loads({json.dumps(json.dumps(GOOD, ensure_ascii=False))}), "
            f"on='2021-06-30').to_json(), ensure_ascii=False))")
    result = _python(code, cwd=alone, path=alone)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == _module().evaluate(GOOD, on="2021-06-30").to_json()
    assert run_polc("build", "--standalone", "--check", "--out", out).returncode == 0
    assert run_polc("build", "--check", "--out", out).returncode == 1  # not the package form


def test_build_check_finds_an_edited_runtime(tmp_path):
    out = tmp_path / "gen"
    assert run_polc("build", "--out", out).returncode == 0
    with open(out / "runtime.py", "a", encoding="utf-8") as stream:
        stream.write("# edited\n")
    result = run_polc("build", "--check", "--out", out)
    assert result.returncode == 1 and "runtime.py" in result.stdout


# The interface generated code relies on (names, signatures, fields), with its version. It
# may change only with the version: a module built against one runtime must not meet another.
INTERFACE = ROOT / "tests" / "golden" / "runtime_interface.txt"


def _interface() -> str:
    lines = [f"RUNTIME_VERSION = {runtime.RUNTIME_VERSION}"]
    for name in sorted(_runtime_names() - {"RUNTIME_VERSION"}):
        value = getattr(runtime, name)
        if inspect.isclass(value):
            fields = [f"{f.name}: {f.type}" for f in dataclasses.fields(value)] if dataclasses.is_dataclass(value) else []
            if hasattr(value, "_fields"):  # a NamedTuple
                fields = list(value._fields)
            methods = [f"{m}{inspect.signature(getattr(value, m))}" for m in sorted(vars(value))
                       if not m.startswith("_") and callable(getattr(value, m)) and m not in fields]
            lines.append(f"class {name}({', '.join(fields)}) {'; '.join(methods)}".rstrip())
        elif inspect.isfunction(value):
            lines.append(f"def {name}{inspect.signature(value)}")
        elif isinstance(value, (str, int, Decimal)):
            lines.append(f"{name} = {value!r}")
        else:
            lines.append(f"{name}: {type(value).__name__}")
    return "\n".join(lines) + "\n"


def test_the_runtime_interface_changes_only_with_its_version():
    current = _interface()
    recorded = INTERFACE.read_text(encoding="utf-8") if INTERFACE.exists() else ""
    if current == recorded:
        return
    same_version = recorded.split("\n", 1)[0] == current.split("\n", 1)[0]
    if UPDATE_GOLDEN and not same_version:
        INTERFACE.write_text(current, encoding="utf-8")
        return
    assert not same_version, ("the runtime's interface changed but RUNTIME_VERSION did not: bump it in "
                              "compiler/runtime.py, then POLC_UPDATE_GOLDEN=1 records the new interface")
    pytest.fail(f"{INTERFACE} records another version: run with POLC_UPDATE_GOLDEN=1")


# ---------------------------------------------------------------- a typed, documented API
def test_results_are_frozen_documented_dataclasses_with_decimals():
    module = _module()
    evaluation = module.evaluate(GOOD, on="2021-06-30")
    seventh = evaluation.clause("第七条")
    for cls in (module.Evaluation, module.ClauseResult, module.Award, module.FundingShare, module.Total,
                module.FactProblem):
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen and cls.__doc__, cls
    with pytest.raises(dataclasses.FrozenInstanceError):
        seventh.paid = False
    assert seventh.label == "第七条" and seventh.policy == "嘉政发〔2020〕6号"
    assert seventh.award == module.Award("exact", Decimal("100000.00"), Decimal("100000.00"))
    assert isinstance(evaluation.total.max, Decimal) and evaluation.total.min == Decimal("100000.00")
    assert all(isinstance(line, str) for line in seventh.trace) and seventh.trace
    # JSON keeps its strings, and is what the contract says.
    report = evaluation.to_json()
    assert report["total"]["min"] == "100000.00" and report["total"] == evaluation.total.to_json()
    assert list(report["clauses"][0]) == ["policy", "article", "item", "title", "matter", "applies", "paid", "award",
                                          "reason", "trace", "missing", "source", "could_pay"]


def test_funding_shares_are_decimals_in_python_and_strings_in_json():
    module = _module("jnf_2020_16")  # 分担: the city and the county share its awards
    for facts in _facts_paying(module):
        evaluation = module.evaluate(facts, on="2021-06-30")
        for result, row in zip(evaluation.clauses, evaluation.to_json()["clauses"]):
            if result.funding:
                assert all(isinstance(s, module.FundingShare) and isinstance(s.max, Decimal) for s in result.funding)
                assert sum(s.max for s in result.funding) == result.award.max
                assert row["funding"] == {s.payer: {"min": str(s.min), "max": str(s.max)} for s in result.funding}
                return
    pytest.fail("no co-funded clause paid by the policy's own examples")


def _facts_paying(module):
    """The facts of the policy's own examples (typed, as the runtime also takes them)."""
    from compiler import driver
    project = driver.load([str(ROOT / module.POLICY.path)])
    for clause in project.policies[0].clauses:
        for case in clause.cases:
            yield driver.case_facts(case)


def test_clause_lists_the_labels_there_are():
    evaluation = _module().evaluate(GOOD, on="2021-06-30")
    with pytest.raises(KeyError) as caught:
        evaluation.clause("第一条")  # an article evaluated item by item
    assert "第一条第1项" in str(caught.value) and "第一条第2项" in str(caught.value)
    with pytest.raises(KeyError) as caught:
        evaluation.clause("第九十九条")
    assert "第七条" in str(caught.value) and "no clause 第九十九条" in str(caught.value)


def test_the_evaluation_date_is_required():
    module = _module()
    with pytest.raises(TypeError):
        module.evaluate(GOOD)  # type: ignore[call-arg]
    with pytest.raises(module.FactError) as caught:
        module.evaluate(GOOD, None)
    assert caught.value.fact == "on" and "required" in str(caught.value)
    assert "(default: today" in run_polc("eval", "--help").stdout


def test_every_fact_problem_of_a_call_is_reported_at_once():
    module = _module()
    facts = {"实现税收": "maybe", "企业服务业类别": "生活服务业", "年营业收入": {"2019": "x", "2020": "10亿元"}, "营收": 1}
    with pytest.raises(module.FactError) as caught:
        module.evaluate(facts, on="2021-06-30")
    error = caught.value
    assert [p.fact for p in error.problems] == ["营收", "实现税收", "企业服务业类别", "年营业收入.2019"] or \
        sorted(p.fact for p in error.problems) == sorted(["营收", "实现税收", "企业服务业类别", "年营业收入.2019"])
    assert error.fact == error.problems[0].fact == "营收"  # the first, as before
    assert "4 个事实有误" in str(error) and "did you mean '生活性服务业'" in str(error)
    # The command line prints each.
    result = run_polc("eval", "policies/jzf-2020-06.pol", "--facts", "-", "--on", "2021-06-30",
                      stdin=json.dumps(facts, ensure_ascii=False))
    assert result.returncode == 1
    assert sum(line.startswith("事实错误") for line in result.stderr.splitlines()) == 4, result.stderr


def test_facts_are_named_records():
    spec = _module().FACTS["年营业收入"]
    assert (spec.kind, spec.yearly, spec.options, spec.items) == ("money", True, None, False)
    assert spec[0] == "money"  # still a tuple


# ---------------------------------------------------------------- an installable package
@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`polc build --package`, pip-installed offline into a bare virtual environment."""
    base = tmp_path_factory.mktemp("package")
    out = base / "dist"
    result = run_polc("build", "--package", "jiaxing_policies", "--package-version", "2021.6", "--out", out)
    assert result.returncode == 0, result.stderr
    venv = base / "venv"
    # Without a pip of its own (copying one in is most of a venv's cost): the test run's pip
    # installs into it (--python runs pip under the venv's interpreter).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    result = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--no-deps",
                             "--disable-pip-version-check", "-q", out], capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return out, python


def test_a_package_installs_offline_and_evaluates_with_nothing_else(installed):
    out, python = installed
    # (pip's build leaves the backend's __pycache__ beside it)
    assert sorted(p.name for p in out.iterdir() if p.name != "__pycache__") == [
        "_polc_backend.py", "jiaxing_policies", "pyproject.toml"]
    assert "dependencies = []" in (out / "pyproject.toml").read_text(encoding="utf-8")
    inside = {p.name for p in (out / "jiaxing_policies").iterdir()}
    assert {"__init__.py", "runtime.py", "py.typed", "README.md", "jzf_2020_06.py", "jzf_2020_06.md"} <= inside
    code = textwrap.dedent(f"""
        import json, sys, importlib.metadata as md
        before = set(sys.modules)
        from jiaxing_policies import POLICIES, jzf_2020_06, jzf_2020_08
        assert POLICIES["嘉政发〔2020〕6号"] == "jzf_2020_06"
        r = jzf_2020_06.evaluate(json.loads({json.dumps(json.dumps(GOOD, ensure_ascii=False))}), on="2021-06-30")
        assert isinstance(jzf_2020_08.evaluate({{}}, on="2021-06-30"), jzf_2020_06.Evaluation)
        outside = sorted(n for n in set(sys.modules) - before
                         if n.split(".")[0] not in sys.stdlib_module_names and not n.startswith("jiaxing_policies"))
        print(json.dumps({{"report": r.to_json(), "outside": outside, "version": md.version("jiaxing_policies"),
                          "requires": md.requires("jiaxing_policies")}}, ensure_ascii=False))
    """)
    result = subprocess.run([python, "-I", "-c", code], cwd=out.parent, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["outside"] == [] and found["version"] == "2021.6" and not found["requires"]
    assert found["report"] == _module().evaluate(GOOD, on="2021-06-30").to_json()


@pytest.mark.fresh_process  # two runs compared: each its own interpreter (and hash seed)
def test_a_package_build_refuses_a_bad_name_and_is_deterministic(tmp_path):
    assert run_polc("build", "--package", "Bad-Name", "--out", tmp_path / "x").returncode == 2
    assert run_polc("build", "--package", "json", "--out", tmp_path / "x").returncode == 2
    assert run_polc("build", "--package", "ok_name").returncode == 2  # --out is needed
    assert not (tmp_path / "x").exists()
    for folder in ("a", "b"):
        assert run_polc("build", "--package", "ok_name", "--out", tmp_path / folder).returncode == 0
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    assert run_polc("build", "--package", "ok_name", "--check", "--out", tmp_path / "a").returncode == 0


CLIENT = '''
import datetime
from decimal import Decimal

from jiaxing_policies import jzf_2020_06
from jiaxing_policies.jzf_2020_06 import ClauseResult, Evaluation, FactError, Facts


def award_of(facts: Facts, on: datetime.date) -> Decimal:
    evaluation: Evaluation = jzf_2020_06.evaluate(facts, on)
    seventh: ClauseResult = evaluation.clause("第七条")
    if seventh.award is not None and seventh.award.max is not None:
        return seventh.award.max
    return evaluation.total.max


facts: Facts = {"实现税收": True, "企业服务业类别": "生活性服务业", "年营业收入": {"2019": "25亿元", "2020": 3000000001},
                "园区考核排名": None}
try:
    print(award_of(facts, datetime.date(2021, 6, 30)) + Decimal("0.01"))
except FactError as error:
    print([problem.fact for problem in error.problems])
'''

BAD_CLIENT = '''
from jiaxing_policies.jzf_2020_06 import Facts

wrong_type: Facts = {"实现税收": 3.5}
wrong_label: Facts = {"企业服务业类别": "生活服务业"}
unknown_fact: Facts = {"营收": 1}
'''


def test_a_client_passes_mypy_strict_and_mypy_rejects_wrong_facts(installed, tmp_path):
    _out, python = installed
    (tmp_path / "client.py").write_text(CLIENT, encoding="utf-8")
    (tmp_path / "bad_client.py").write_text(BAD_CLIENT, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", python,
                             "client.py", "bad_client.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not [line for line in errors if line.startswith("client.py")], result.stdout
    bad_lines = sorted({int(line.split(":")[1]) for line in errors if line.startswith("bad_client.py")})
    assert bad_lines == [4, 5, 6], result.stdout
    run = subprocess.run([python, "-I", "client.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "300000.01", run.stderr
