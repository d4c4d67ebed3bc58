"""Fuzzing and fault suite (issue 8): no traceback on any input, nothing lost, nothing disclosed.

The generators and the oracle are in tests/fuzzing.py (bench/fuzz_soak.py runs the same
ones for 100,000 inputs). The property tests here draw a few hundred inputs; below them is
one deterministic regression test (at least) per class of defect the issue lists.
Every run is checked by the same oracle: no traceback, the documented exit code (0 clean,
1 findings or bad data, 2 usage), inputs untouched, nothing written on failure, no stray
temporary files, outputs complete.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzzing  # noqa: E402
from fuzzing import ON, Case, FIFO, Symlink, run_checked  # noqa: E402
from conftest import interruptible  # noqa: E402

ROOT = fuzzing.ROOT
SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
VOCAB = fuzzing.shipped_text("vocabulary.pol").encode("utf-8")


@pytest.fixture(scope="module")
def shipped():
    """A private, read-only-by-convention copy of the shipped policies, with cached loads."""
    directory = fuzzing.frozen_shipped()
    before = fuzzing.snapshot(directory)
    with fuzzing.LoadCache(directory):
        yield directory
    assert fuzzing.snapshot(directory) == before, "a command changed the shipped policies it read"
    shutil.rmtree(directory, ignore_errors=True)


def assert_clean(result: fuzzing.Result) -> None:
    assert not result.problems, (f"{result.case.kind} {' '.join(result.case.argv)[:200]}\n"
                                 f"problems: {result.problems}\n{result.error_text}\n"
                                 f"stdout: {result.stdout[-1500:]}\nstderr: {result.stderr[-1500:]}")


def polc(argv, files=None, expect=(0, 1), outputs=(), isolate=False, inspect=None, check_output=None, timeout=None):
    case = Case("regression", list(argv), dict(files or {}), frozenset(expect), tuple(outputs), isolate,
                check_output, timeout=timeout)
    result = run_checked(case, inspect=inspect)
    assert_clean(result)
    return result


# ================================================================ properties
@settings(max_examples=60, **SETTINGS)
@given(st.randoms(use_true_random=False))
def test_drafts_from_the_grammar(rng):
    assert_clean(run_checked(fuzzing.draft_case(rng)))


@settings(max_examples=40, **SETTINGS)
@given(st.randoms(use_true_random=False))
def test_mutated_shipped_policies(rng):
    assert_clean(run_checked(fuzzing.mutation_case(rng)))


@settings(max_examples=30, **SETTINGS)
@given(st.randoms(use_true_random=False))
def test_random_bytes(rng):
    assert_clean(run_checked(fuzzing.bytes_case(rng)))


@settings(max_examples=12, **SETTINGS)
@given(st.randoms(use_true_random=False))
def test_policies_in_office_encodings_read_as_utf8(rng):
    assert_clean(run_checked(fuzzing.encoding_case(rng)))


@settings(max_examples=80, **SETTINGS)
@given(st.randoms(use_true_random=False))
def test_random_facts(shipped, rng):
    assert_clean(run_checked(fuzzing.facts_input_case(rng, shipped)))


@settings(max_examples=30, **SETTINGS)
@given(st.randoms(use_true_random=False))
def test_random_registers(shipped, rng):
    assert_clean(run_checked(fuzzing.register_input_case(rng, shipped)))


@settings(max_examples=16, **SETTINGS)
@given(st.randoms(use_true_random=False))
def test_output_paths(shipped, rng):
    assert_clean(run_checked(fuzzing.outpath_case(rng, shipped)))


# ================================================================ interruption by signal
def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "policies", project / "policies")
    return project


def _build_files(project: Path, out: Path) -> dict[str, bytes]:
    fuzzing.run_subprocess(["build", "policies", "--out", str(out)], project)
    return {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """A copy of the project with an old and a new build of it (the old one from sources
    whose titles differ), built once for the interruption tests."""
    tmp_path = tmp_path_factory.mktemp("builds")
    project = _project(tmp_path)
    started = time.perf_counter()
    new = _build_files(project, tmp_path / "new")
    seconds = time.perf_counter() - started
    for path in (project / "policies").glob("jz*.pol"):  # an older version of the sources
        path.write_text(path.read_text(encoding="utf-8").replace("标题 \"", "标题 \"旧版", 1), encoding="utf-8")
    old = _build_files(project, tmp_path / "old")
    shutil.copytree(ROOT / "policies", project / "policies", dirs_exist_ok=True)
    assert old != new
    return project, old, new, seconds


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT])
def test_build_interrupted_leaves_old_or_new_files_and_check_notices(tmp_path, builds, signum):
    project, old, new, seconds = builds
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for delay in (round(seconds * 0.6, 2), round(seconds * 0.95, 2)):  # mid-run, and while writing
        out = tmp_path / f"out-{delay}"
        out.mkdir()
        for name, content in old.items():
            (out / name).write_bytes(content)
        process = subprocess.Popen([sys.executable, "-m", "compiler", "build", "policies", "--out", str(out)],
                                   cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   preexec_fn=interruptible)
        time.sleep(delay)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
        assert b"Traceback" not in stderr, stderr.decode("utf-8", "replace")
        leftovers = []
        for path in out.iterdir():
            if path.name in new:
                assert path.read_bytes() in (old[path.name], new[path.name]), f"{path.name} is partial"
            else:
                leftovers.append(path.name)
        if signum == signal.SIGINT:
            assert not leftovers, f"SIGINT left temporary files: {leftovers}"
        current = all((out / name).is_file() and (out / name).read_bytes() == content for name, content in new.items())
        rc, stdout, stderr_text, _ = fuzzing.run_subprocess(["build", "policies", "--out", str(out), "--check"], project)
        if leftovers or not current:
            assert rc == 1, f"build --check did not notice: leftovers {leftovers}, current {current}\n{stdout}"
            for name in leftovers:
                assert name in stdout + stderr_text, f"build --check does not name the leftover {name}"
        else:
            assert rc == 0, stdout + stderr_text


def test_build_check_reports_what_a_killed_build_leaves(tmp_path, builds):
    """Deterministic half of the test above: the leftovers of a build killed between
    staging and renaming (a temporary file beside the targets) are reported by
    `build --check`, by name."""
    project, _old, new, _seconds = builds
    out = tmp_path / "g"
    out.mkdir()
    for name, content in new.items():
        (out / name).write_bytes(content)
    name = sorted(n for n in new if n.endswith(".py"))[0]
    (out / f".{name}.k3j2h1.tmp").write_bytes(new[name][: len(new[name]) // 2])
    rc, stdout, stderr, _ = fuzzing.run_subprocess(["build", "policies", "--out", str(out), "--check"], project)
    assert "Traceback" not in stderr
    assert rc == 1 and f".{name}.k3j2h1.tmp" in stdout + stderr, stdout + stderr


def test_batch_interrupted_leaves_old_or_complete_result(tmp_path):
    register = tmp_path / "reg.csv"
    rows = ["申请人,验收评分,市本级创建项目,列入创建名单,补助类别,投资额"]
    rows += [f"企业{i:06d},{60 + i % 40},是,是,其他美丽农场项目,{100 + i}万元" for i in range(20000)]
    register.write_text("\n".join(rows) + "\n", encoding="utf-8")
    policy = str(ROOT / "policies" / "jnf-2020-16.pol")
    temporary = tmp_path / "tmp"  # the engine's work directories go here, not in the machine's /tmp
    temporary.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(temporary))
    old = b'{"old": "complete result of an earlier run"}\n'
    runs = [(signal.SIGKILL, 1.0), (signal.SIGINT, 1.5), (signal.SIGTERM, 1.5), (signal.SIGKILL, 2.5)]
    for number, (signum, delay) in enumerate(runs):
        directory = tmp_path / f"run{number}"
        directory.mkdir()
        out = directory / "res.jsonl"
        out.write_bytes(old)
        process = subprocess.Popen([sys.executable, "-m", "compiler", "eval", policy, "--batch", str(register),
                                    "--on", ON, "--out", str(out)], cwd=tmp_path, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=interruptible)
        time.sleep(delay)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
        assert b"Traceback" not in stderr, stderr.decode("utf-8", "replace")[-2000:]
        content = out.read_bytes()
        if content != old:
            assert fuzzing._complete_batch(out) is None, f"partial result after signal {signum} at {delay}s"
        others = [p.name for p in directory.iterdir() if p.name != "res.jsonl"]
        if signum in (signal.SIGINT, signal.SIGTERM):
            assert not others, f"signal {signum} left files beside the result: {others}"
            assert not list(temporary.iterdir()), f"signal {signum} left a work directory"
        else:
            assert all(fuzzing._temp_like(name) for name in others), f"a file that looks final was left: {others}"
            for work in temporary.iterdir():  # what SIGKILL leaves; the next run must not see it
                shutil.rmtree(work)
    assert register.read_text(encoding="utf-8").count("\n") == 20001


@pytest.mark.parametrize("signum, status, said", [(signal.SIGTERM, 143, "已终止 / terminated"),
                                                  (signal.SIGINT, 130, "已中断 / interrupted")])
def test_batch_stopped_while_reading_cleans_up(tmp_path, signum, status, said):
    """Deterministic: the register comes on standard input, which stays open, so the batch is
    certainly still running (staging the register in its work directory) when the signal
    comes. SIGTERM, as a CI runner cancelling a job sends it, must clean up like Ctrl-C: no
    work directory left (it holds a copy of the register), no staged result, the old result
    untouched, no traceback, the shell's status for the signal."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    out = tmp_path / "res.jsonl"
    out.write_bytes(b"old\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(temporary))
    process = subprocess.Popen([sys.executable, "-m", "compiler", "eval", str(ROOT / "policies" / "jnf-2020-16.pol"),
                                "--batch", "-", "--on", ON, "--out", str(out)], cwd=tmp_path, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=interruptible)
    try:
        process.stdin.write('{"申请人": "甲", "验收评分": 80}\n'.encode("utf-8"))
        process.stdin.flush()
        deadline = time.monotonic() + 60
        while not any(p.name.startswith("polc-duckdb-") for p in temporary.iterdir()):
            assert process.poll() is None and time.monotonic() < deadline, "the batch never started"
            time.sleep(0.02)
        time.sleep(0.2)  # into the read of standard input
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = stderr.decode("utf-8", "replace")
    assert process.returncode == status, text
    assert "Traceback" not in text and said in text, text
    assert not list(temporary.iterdir()), "a work directory was left"
    assert [p.name for p in tmp_path.iterdir() if p.name != "tmp"] == ["res.jsonl"]
    assert out.read_bytes() == b"old\n"


# ================================================================ regression: deep input
def test_regression_drafts_start_from_a_clean_policy():
    """The drafts below differ from this clean one only in the defect they test, so an
    expected error is the defect's, not a missing declaration's."""
    text = NEST_HEADER.format("投资额 超过 1万元") + "  案例 已知 投资额 = 2万元 评估日 2021-06-30 预期 1万元\n"
    polc(["check", "d.pol"], {"d.pol": text.encode()}, expect=(0,))
    polc(["test", "d.pol"], {"d.pol": text.encode()}, expect=(0,))



HEADER = "政策 测试〔2020〕1号\n施行日期 2020年1月1日\n冲突原则 就高不重复\n定义事项 甲\n"
NEST_HEADER = HEADER + "事实 投资额: 金额\n条款 第一条\n  事项 甲\n  当 {}\n  给予 1万元\n"


@pytest.mark.parametrize("shape", [0, 1, 2, 3, 4])
def test_deep_nesting_gets_a_diagnostic_or_compiles(shape):
    text = NEST_HEADER.format(_deep(shape, 500))
    polc(["check", "d.pol"], {"d.pol": text.encode()}, expect=(0, 1), isolate=True)
    polc(["build", "d.pol", "--out", "out"], {"d.pol": text.encode()}, expect=(0, 1), outputs=("out",),
         isolate=True)


def _deep(shape: int, depth: int) -> str:
    class Fixed:
        def randrange(self, n):
            return shape
    return fuzzing.deep_expression(Fixed(), depth)


def test_99_right_nested_and_that_checks_also_builds():
    text = NEST_HEADER.format(_deep(4, 99))
    files = {"d.pol": text.encode()}
    checked = polc(["check", "d.pol"], files, expect=(0, 1))
    if checked.rc == 0:
        polc(["build", "d.pol", "--out", "out"], files, expect=(0,), outputs=("out",), check_output="build")


def test_long_definition_chain():
    lines = [HEADER + "事实 投资额: 金额"]
    lines += [f"定义 「链{i}」 = {'「链' + str(i - 1) + '」 + 1元' if i else '投资额'}" for i in range(400)]
    lines += ["条款 第一条", "  事项 甲", "  当 「链399」 超过 1元", "  给予 1万元"]
    files = {"d.pol": "\n".join(lines).encode()}
    checked = polc(["check", "d.pol"], files, isolate=True)
    if checked.rc == 0:
        polc(["build", "d.pol", "--out", "out"], files, expect=(0,), outputs=("out",), isolate=True)


def test_deeply_nested_json_facts(shipped):
    for text in ('{"投资额": ' + "[" * 100_000 + "]" * 100_000 + "}", "[" * 100_000):
        polc(["eval", str(shipped / "jnf-2020-16.pol"), "--facts", "f.json", "--on", ON], {"f.json": text.encode()},
             expect=(1,))


# ================================================================ regression: numbers
@pytest.mark.parametrize("literal", ["NaN元", "Infinity元", "sNaN元", "1e400元", "9" * 5000 + "元",
                                     "0." + "0" * 5000 + "1元", "9" * 40 + "元"])
def test_hostile_number_literals_in_drafts(literal):
    text = HEADER + f"事实 投资额: 金额\n条款 第一条\n  事项 甲\n  当 投资额 超过 {literal}\n  给予 {literal}\n"
    polc(["check", "d.pol"], {"d.pol": text.encode()}, expect=(0, 1))


def test_million_digit_money_literal_is_a_clear_error():
    text = HEADER + f"条款 第一条\n  事项 甲\n  给予 {'9' * 1_000_000}元\n"
    result = polc(["check", "d.pol"], {"d.pol": text.encode()}, expect=(1,), isolate=True)
    assert result.seconds < 30


def test_huge_run_of_years_is_bounded():
    text = (HEADER + "事实 收入: 逐年 金额\n条款 第一条\n  事项 甲\n"
            "  当 连续 99999999年 收入 超过 1元\n  给予 1万元\n")
    result = polc(["check", "d.pol"], {"d.pol": text.encode()}, expect=(1,), isolate=True)
    assert result.seconds < 30


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e400", '"Infinity元"', '"NaN"', '"sNaN"',
                                   "9" * 5000, '"' + "9" * 2_000_000 + '"', '"1.200,5元"'])
def test_hostile_numbers_in_facts_are_refused(shipped, value):
    facts = '{"投资额": ' + value + ', "市本级创建项目": true, "列入创建名单": true, "验收评分": 90,' \
            ' "补助类别": "其他美丽农场项目"}'
    result = polc(["eval", str(shipped / "jnf-2020-16.pol"), "--facts", "f.json", "--on", ON, "--format", "json"],
                  {"f.json": facts.encode()}, expect=(1,))
    assert "投资额" in result.stderr


# ================================================================ regression: encodings
@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16", "utf-8-sig"])
def test_policy_in_office_encodings(encoding):
    text = fuzzing.shipped_text("jnf-2020-16.pol")
    plain = polc(["check", "p.pol"], {"p.pol": text.encode("utf-8"), "vocabulary.pol": VOCAB}, expect=(0,))
    other = polc(["check", "p.pol"], {"p.pol": text.encode(encoding), "vocabulary.pol": VOCAB}, expect=(0,))
    assert other.stdout == plain.stdout


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "utf-8-sig"])
def test_facts_and_register_in_office_encodings(shipped, encoding):
    policy = str(shipped / "jnf-2020-16.pol")
    facts = '{"投资额": "100万元", "市本级创建项目": true, "列入创建名单": true, "验收评分": 90, "补助类别": "其他美丽农场项目"}'
    plain = polc(["eval", policy, "--facts", "f.json", "--on", ON], {"f.json": facts.encode()}, expect=(0,))
    other = polc(["eval", policy, "--facts", "f.json", "--on", ON], {"f.json": facts.encode(encoding)}, expect=(0,))
    assert other.stdout == plain.stdout
    register = "申请人,验收评分,市本级创建项目,列入创建名单,补助类别,投资额\n甲企业,90,是,是,其他美丽农场项目,100万元\n"
    seen = {}
    for name, data in (("utf8", register.encode()), (encoding, register.encode(encoding))):
        def keep(sandbox, result, name=name):
            seen[name] = (sandbox / "res.jsonl").read_text(encoding="utf-8")
        polc(["eval", policy, "--batch", "reg.csv", "--on", ON, "--out", "res.jsonl"], {"reg.csv": data},
             expect=(0,), outputs=("res.jsonl",), inspect=keep, check_output="batch")
    assert seen[encoding] == seen["utf8"]


def test_undecodable_files_name_the_file_and_encoding(shipped):
    garbage = b"\x81\x30\xff\xfe\xfd" * 20
    for argv, files in ((["check", "bad.pol"], {"bad.pol": garbage}),
                        (["eval", str(shipped / "jnf-2020-16.pol"), "--facts", "bad.json"], {"bad.json": garbage}),
                        (["eval", str(shipped / "jnf-2020-16.pol"), "--batch", "bad.csv", "--on", ON],
                         {"bad.csv": b"\xe7\x94\xb3\xe8\xaf\xb7\xe4\xba\xba\n" + garbage})):
        result = polc(argv, files, expect=(1,))
        text = result.stdout + result.stderr
        assert files and next(iter(files)) in text
        assert any(name in text.lower() for name in ("utf-8", "gb18030", "gbk", "编码", "encoding"))


# ================================================================ regression: batch
JNF_HEADER = "申请人,验收评分,市本级创建项目,列入创建名单,补助类别,投资额\n"


def test_one_bad_row_is_skipped_and_the_good_rows_kept(shipped):
    rows = ['{"申请人": "甲", "验收评分": 90, "市本级创建项目": true, "列入创建名单": true, "投资额": "100万元"}',
            '{"申请人": "乙", "验收评分": NaN, "市本级创建项目": true, "列入创建名单": true, "投资额": "100万元"}',
            '{"申请人": "丙", "验收评分": 85, "市本级创建项目": true, "列入创建名单": true, "投资额": Infinity}',
            '{"申请人": "丁", "验收评分": 80, "市本级创建项目": true, "列入创建名单": true, "投资额": "50万元"}',
            '{"申请人": "戊", "x": ' + "[" * 50_000 + "]" * 50_000 + "}",
            # over the stated 1 MiB line limit (README "Limits"); 140,000 characters is within it
            '{"申请人": "' + "长" * ((1 << 20) + 10) + '", "验收评分": 80}']
    seen = {}

    def keep(sandbox, result):
        seen["lines"] = (sandbox / "res.jsonl").read_text(encoding="utf-8").splitlines()
    result = polc(["eval", str(shipped / "jnf-2020-16.pol"), "--batch", "reg.jsonl", "--on", ON, "--out", "res.jsonl"],
                  {"reg.jsonl": ("\n".join(rows) + "\n").encode()}, outputs=("res.jsonl",), inspect=keep,
                  check_output="batch")
    applicants = [json.loads(line).get("申请人") for line in seen["lines"][:-1]]
    assert applicants.count("甲") == 1 and applicants.count("丁") == 1
    summary = json.loads(seen["lines"][-1])["summary"]
    assert summary["bad_rows"]["count"] == 4, summary["bad_rows"]
    assert sorted(b["line"] for b in summary["bad_rows"]["listed"]) == [2, 3, 5, 6]
    for line in ("2", "3", "5", "6"):
        assert f"第{line}行" in result.stderr or f"line {line}" in result.stderr


def test_bad_rows_are_reported_by_physical_line(shipped):
    register = JNF_HEADER + '"多行\n名称",90,是,是,其他美丽农场项目,100万元\n乙,abc,是,是,其他美丽农场项目,100万元\n'
    result = polc(["eval", str(shipped / "jnf-2020-16.pol"), "--batch", "reg.csv", "--on", ON],
                  {"reg.csv": register.encode()})
    assert "第4行" in result.stderr, result.stderr  # the bad row starts on physical line 4, record 3


# ================================================================ regression: data loss
def test_out_equal_to_the_register_is_refused(shipped):
    register = (JNF_HEADER + "甲,90,是,是,其他美丽农场项目,100万元\n").encode()
    polc(["eval", str(shipped / "jnf-2020-16.pol"), "--batch", "reg.csv", "--on", ON, "--out", "reg.csv"],
         {"reg.csv": register}, expect=(1, 2))
    polc(["eval", str(shipped / "jnf-2020-16.pol"), "--batch", "reg.csv", "--on", ON, "--out", "./sub/../reg.csv"],
         {"reg.csv": register, "sub/.keep": b""}, expect=(1, 2))


def test_failing_batch_keeps_the_previous_result(shipped):
    polc(["eval", str(shipped / "jnf-2020-16.pol"), "--batch", "reg.csv", "--on", ON, "--out", "res.jsonl"],
         {"reg.csv": b"\xe7\x94\xb3\xe8\xaf\xb7\xe4\xba\xba\n\xff\xfe\x00\x81", "res.jsonl": b'{"old": 1}\n'},
         expect=(1,))


SMALL = "政策 测试〔2020〕{n}号\n施行日期 2020年1月1日\n冲突原则 就高不重复\n定义事项 甲\n事实 投资额: 金额\n条款 第一条\n  事项 甲\n  当 投资额 超过 1元\n  给予 1万元\n"


@pytest.mark.parametrize("names", [("a-b.pol", "a_b.pol"), ("甲乙.pol", "丙丁.pol"), ("x/p.pol", "y/p.pol"),
                                   ("README.pol",), ("decimal.pol",)])
def test_colliding_or_reserved_module_names_never_overwrite(names):
    """Either refused before anything is written (exit 1), or every policy gets its own
    module and summary, the index stays the index and no module shadows the standard library."""
    import sys as _sys
    files = {f"src/{name}": SMALL.format(n=i + 1).encode() for i, name in enumerate(names)}
    seen = {}

    def keep(sandbox, result):
        out = sandbox / "out"
        seen.update({p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} if out.is_dir() else {})
    result = polc(["build", "src", "--out", "out"], files, expect=(0, 1), outputs=("out",), inspect=keep)
    if result.rc == 0:
        modules = [n for n in seen if n.endswith(".py") and n not in ("__init__.py", "runtime.py")]  # the package's own
        assert len(modules) == len(names), f"policies overwrote each other: {sorted(seen)}"
        assert len([n for n in seen if n.endswith(".md")]) == len(names) + 1, sorted(seen)
        for n in range(1, len(names) + 1):
            assert f"测试〔2020〕{n}号" in seen["README.md"], "README.md is not the index of every policy"
        shadowing = [m for m in modules if m[:-3] in _sys.stdlib_module_names]
        assert not shadowing, f"generated modules shadow the standard library: {shadowing}"


def test_building_one_policy_keeps_the_index_of_all(tmp_path):
    project = _project(tmp_path)
    fuzzing.run_subprocess(["build", "policies", "--out", "g"], project)
    index = (project / "g" / "README.md").read_text(encoding="utf-8")
    rc, out, err, _ = fuzzing.run_subprocess(["build", "policies/jnf-2020-16.pol", "--out", "g"], project)
    assert "Traceback" not in err
    after = (project / "g" / "README.md").read_text(encoding="utf-8")
    for docno in ("嘉政发〔2020〕6号", "嘉政发〔2020〕8号", "嘉人社〔2020〕11号"):
        assert (docno in index) and (docno in after), f"{docno} dropped from the index by a one-policy build"


# ================================================================ regression: files and paths
@pytest.mark.parametrize("kind", ["fifo", "zero", "loop", "dangling"])
def test_odd_files_named_pol(kind):
    files = {"fifo": {"p/x.pol": FIFO}, "zero": {"p/x.pol": Symlink("/dev/zero")},
             "loop": {"p/a.pol": Symlink("b.pol"), "p/b.pol": Symlink("a.pol")},
             "dangling": {"p/x.pol": Symlink("missing.pol")}}[kind]
    polc(["check", "p"], files, expect=(1, 2), isolate=True, timeout=15)


@pytest.mark.parametrize("target", ["dir", "missing", "unwritable", "full", "register", "batch-fails", "build-file",
                                    "build-unwritable"])
def test_unusable_out_paths(shipped, target):
    class Pick:
        def choice(self, options):
            return target
    case = fuzzing.outpath_case(Pick(), shipped)
    assert_clean(run_checked(case))


def test_broken_pipe_is_quiet(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "compiler", "build", "policies", "--emit", "py"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    process.wait(timeout=60)
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr, stderr.decode("utf-8", "replace")


def test_generated_files_respect_the_umask(tmp_path):
    project = _project(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(["sh", "-c", f'umask 022 && exec "{sys.executable}" -m compiler build policies --out g'],
                   cwd=project, env=env, check=True, capture_output=True)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in (project / "g").iterdir()}
    assert set(modes.values()) == {"0o644"}, modes


# ================================================================ regression: disclosure
SECRET = "SECRET-7f3a-不应出现"


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_imports_stay_inside_the_policy_tree_and_echo_nothing(tmp_path, how):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n第二行\n", encoding="utf-8")
    wanted = "../../secret.txt" if how == "relative" else str(secret)
    text = f'政策 测试〔2020〕1号\n施行日期 2020年1月1日\n引用 "{wanted}"\n事实 投资额: 金额\n'
    sandbox = tmp_path / "box"
    (sandbox / "a" / "b").mkdir(parents=True)
    (sandbox / "a" / "b" / "p.pol").write_text(text, encoding="utf-8")
    rc, out, err, escaped = fuzzing.run_in_process(["check", "a/b/p.pol"], sandbox)
    assert escaped is None and rc == 1
    assert SECRET not in out + err
    assert "E016" in out + err
    assert "a/b/p.pol:3:" in out + err, "E016 should point at the 引用 line"


# ================================================================ regression: generated module API
def test_generated_module_rejects_bad_arguments_with_fact_error():
    from compiler import driver
    project = driver.load([str(ROOT / "policies" / "jnf-2020-16.pol")], overlaps=False)
    module = driver.load_module(project.policies[0])
    good = {"投资额": Decimal("1000000"), "市本级创建项目": True, "列入创建名单": True, "验收评分": 90,
            "补助类别": "其他美丽农场项目"}
    calls = [lambda: module.evaluate(None), lambda: module.evaluate("x"), lambda: module.evaluate([1]),
             lambda: module.evaluate(good, on="2021-06-30x"),
             lambda: module.evaluate(dict(good, 投资额=float("nan")), on=datetime.date(2021, 6, 30)),
             lambda: module.evaluate(dict(good, 投资额=Decimal("NaN")), on=datetime.date(2021, 6, 30)),
             lambda: module.evaluate(dict(good, 投资额=Decimal("Infinity")), on=datetime.date(2021, 6, 30)),
             lambda: list(module.evaluate_many([None, "x", 3], on=datetime.date(2021, 6, 30)))]
    for number, call in enumerate(calls):
        try:
            outcome = call()
        except module.FactError:
            continue
        except TypeError as exc:
            assert any(word in str(exc) for word in ("facts", "on", "rows")), f"call {number}: {exc!r}"
            continue
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"call {number} raised {type(exc).__name__}: {exc}")
        if isinstance(outcome, list):  # evaluate_many reports bad rows as FactError items
            assert all(isinstance(item[1], module.FactError) for item in outcome), f"call {number}: {outcome}"
        else:
            pytest.fail(f"call {number} was accepted: {outcome!r}")
    # A datetime is a documented argument (README: its day counts; Excel and pandas give dates so),
    # not a bad one: the same result as the date, and the day, not the datetime, is recorded.
    by_datetime = module.evaluate(good, on=datetime.datetime(2021, 6, 30, 15, 45))
    by_date = module.evaluate(good, on=datetime.date(2021, 6, 30))
    assert by_datetime.to_json() == by_date.to_json() and type(by_datetime.on) is datetime.date


# ================================================================ regression: Markdown
def test_user_text_is_escaped_in_markdown():
    text = ('政策 测试〔2020〕1号\n标题 "第一行\n第二行 <script>alert(1)</script> `x`"\n施行日期 2020年1月1日\n'
            '冲突原则 就高不重复\n定义事项 甲\n事实 投资额: 金额\n条款 第一条 「<b>粗</b>」\n  原文 "<img src=x onerror=alert(1)>"\n  事项 甲\n'
            '  当 投资额 超过 1元\n  给予 1万元\n')
    seen = {}

    def keep(sandbox, result):
        seen.update({p.name: p.read_text(encoding="utf-8") for p in (sandbox / "out").glob("*.md")})
    polc(["build", "evil-->x.pol", "--out", "out"], {"evil-->x.pol": text.encode()}, expect=(0,),
         outputs=("out",), inspect=keep)
    for name, markdown in seen.items():
        assert "<script>" not in markdown and "<img" not in markdown and "<b>" not in markdown, name
        assert markdown.count("-->") == markdown.count("<!--"), f"{name}: a file name escaped an HTML comment"
        assert not any(line.startswith("第二行") for line in markdown.splitlines()), f"{name}: the title split"


# ================================================================ regression: silently wrong
@pytest.mark.parametrize("body", [
    "  事项 甲\n  给予 按 投资额 超过 分档\n    10% → 1万元\n",  # a % threshold on a money fact
    "  事项 甲\n  给予 按 投资额 首次超过 分档\n    10万元 → 1万元\n",  # 首次 tiers on a fact that is not a series
    "  事项 甲\n  当 年类别 首次超过 甲类\n  给予 1万元\n",  # 首次 on an enumeration (code points)
    "  事项 甲\n  给予 投资额 × 10% 最高 -50万元\n",  # a negative cap: an error, but not "no cap" (E080)
])
def test_silently_wrong_drafts_are_errors(body):
    text = (HEADER + "枚举 企业类别: 甲类、乙类\n事实 投资额: 金额\n事实 年类别: 逐年 企业类别\n条款 第一条\n" + body)
    result = polc(["check", "d.pol"], {"d.pol": text.encode()}, expect=(1,))
    assert "E080" not in result.stdout, result.stdout


def test_same_payer_twice_in_a_split_is_an_error():
    text = (HEADER.replace("定义事项", "分担 市级财政 50%、市级财政 50%\n定义事项") + "事实 投资额: 金额\n"
            "条款 第一条\n  事项 甲\n  当 投资额 超过 1元\n  给予 1万元\n")
    polc(["check", "d.pol"], {"d.pol": text.encode()}, expect=(1,))


def test_a_binding_cap_is_not_warned_as_never_binding():
    text = (HEADER + "事实 投资额: 金额\n条款 第一条\n  事项 甲\n"
            "  当 投资额 超过 1元\n  给予 10万元 - -5万元 最高 12万元\n")
    result = polc(["check", "d.pol"], {"d.pol": text.encode()}, expect=(0, 1))
    assert "W081" not in result.stdout + result.stderr


def test_register_shape_errors_are_not_accepted(shipped):
    policy = str(shipped / "jnf-2020-16.pol")
    ragged = JNF_HEADER + "甲,90,是,是,其他美丽农场项目,100万元,多余\n乙,80,是,是,其他美丽农场项目,100万元\n"
    result = polc(["eval", policy, "--batch", "reg.csv", "--on", ON], {"reg.csv": ragged.encode()})
    assert "第2行" in result.stderr, "a ragged row must be reported as a bad row"
    duplicate = "申请人,验收评分,验收评分\n甲,90,10\n"
    polc(["eval", policy, "--batch", "reg.csv", "--on", ON], {"reg.csv": duplicate.encode()}, expect=(1,))


def test_one_item_cell_without_separator_is_one_item(shipped):
    facts = fuzzing.facts_for("jzbf-2020-14.pol")
    item_fact = next(f for f in facts if f.mark == "逐项")
    register = f"申请人,{item_fact.name}\n甲,10万元\n"
    result = polc(["eval", str(shipped / "jzbf-2020-14.pol"), "--batch", "reg.csv", "--on", ON],
                  {"reg.csv": register.encode()})
    assert "跳过 0 行" in result.stdout + result.stderr, result.stderr


# ================================================================ regression: determinism
def test_build_is_byte_identical_from_another_directory(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    fuzzing.run_subprocess(["build", "policies", "--out", str(tmp_path / "here")], ROOT)
    fuzzing.run_subprocess(["build", str(ROOT / "policies"), "--out", str(tmp_path / "there")], elsewhere)
    here = {p.name: p.read_bytes() for p in (tmp_path / "here").iterdir()}
    there = {p.name: p.read_bytes() for p in (tmp_path / "there").iterdir()}
    assert here and here == there, sorted(n for n in here if here[n] != there.get(n))


# ================================================================ regression: resource use
def test_huge_string_literal_is_bounded():
    text = HEADER + f'说明 "{"长" * 3_000_000}"\n'
    result = polc(["check", "d.pol"], {"d.pol": text.encode()}, expect=(0, 1), isolate=True)
    assert result.seconds < 30


def test_huge_misspelt_fact_name_in_facts_is_bounded(shipped):
    facts = json.dumps({"投资额错" * 50_000: 1}, ensure_ascii=False)
    result = polc(["eval", str(shipped / "jzf-2020-08.pol"), "--facts", "f.json", "--on", ON],
                  {"f.json": facts.encode()}, expect=(1,), timeout=10)
    assert result.seconds < 10, f"took {result.seconds:.1f} s"


def test_huge_misspelt_name_is_bounded():
    text = (HEADER + "事实 投资额: 金额\n条款 第一条\n  事项 甲\n"
            f"  当 {'投资额错' * 50_000} 超过 1元\n  给予 1万元\n")
    result = polc(["check", "d.pol"], {"d.pol": text.encode()}, expect=(1,), isolate=True)
    assert result.seconds < 20, f"took {result.seconds:.1f} s"
