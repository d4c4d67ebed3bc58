"""Build outputs: module names, the index, interrupted builds, file modes, determinism across
working directories, hostile paths and output directories. Each runs the CLI as a user would."""

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import driver
from compiler.to_python import module_name
from conftest import ROOT, interruptible, run_polc


def policy_text(number: int, title: str = "测试") -> str:
    return (f"政策 测试〔2020〕{number}号\n  标题 \"{title}\"\n  施行日期 2020年1月1日\n  冲突原则 就高不重复\n\n"
            "事实 投资额: 金额\n\n"
            "条款 第一条 「测试」\n  原文 \"测试原文。\"\n  当 投资额 超过 100万元\n  给予 10万元\n"
            "  案例 已知 投资额 = 200万元 预期 10万元\n")


def make_project(root: Path, names: list[str]) -> Path:
    """A project (marked by pyproject.toml) with one policy per name under policies/."""
    (root / "pyproject.toml").write_text("[project]\nname = \"x\"\n", encoding="utf-8")
    for number, name in enumerate(names, 1):
        path = root / "policies" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(policy_text(number), encoding="utf-8")
    return root


def tree(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())} if directory.exists() else {}


# ---------------------------------------------------------------- module names
@pytest.mark.parametrize("names", [["a-b.pol", "a_b.pol"], ["x/p.pol", "y/p.pol"], ["A.pol", "a.pol"]])
def test_two_policies_giving_one_module_are_refused_naming_both_files(tmp_path, names):
    make_project(tmp_path, names)
    result = run_polc("build", "policies", "--out", "out", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "E095" in result.stderr and "Traceback" not in result.stderr
    for name in names:
        assert name.split("/")[-1] in result.stderr
    assert not (tmp_path / "out").exists()


def test_all_chinese_file_names_of_equal_length_get_distinct_readable_modules(tmp_path):
    assert module_name("甲乙.pol") != module_name("丙丁.pol")
    assert module_name("甲乙.pol").isidentifier() and module_name("甲乙.pol").isascii()
    make_project(tmp_path, ["甲乙.pol", "丙丁.pol"])
    result = run_polc("build", "policies", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len([p for p in (tmp_path / "out").iterdir() if p.suffix == ".py" and p.name not in ("__init__.py", "runtime.py")]) == 2


@pytest.mark.parametrize("name", ["README.pol", "readme.pol", "decimal.pol", "class.pol", "runtime.pol",
                                  "__init__.pol", "json.pol"])
def test_reserved_module_names_are_refused_before_anything_is_written(tmp_path, name):
    make_project(tmp_path, [name])
    result = run_polc("build", "policies", "--out", "out", cwd=tmp_path)
    assert result.returncode == 1 and "E096" in result.stderr and name in result.stderr
    assert not (tmp_path / "out").exists()
    assert run_polc("check", "policies", cwd=tmp_path).returncode == 1


def test_shipped_module_names_are_unchanged():
    assert [module_name(p.name) for p in sorted((ROOT / "policies").glob("*-*.pol"))] == [
        "jnf_2020_16", "jrs_2020_11", "jzbf_2020_10", "jzbf_2020_14", "jzf_2020_06", "jzf_2020_08"]
    assert module_name("2020-06.pol") == "policy_2020_06"


# ---------------------------------------------------------------- the index
def test_a_partial_build_leaves_the_index_alone_and_says_so(tmp_path):
    make_project(tmp_path, ["one.pol", "two.pol"])
    assert run_polc("build", "policies", "--out", "out", cwd=tmp_path).returncode == 0
    index = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "one.md" in index and "two.md" in index
    (tmp_path / "policies" / "one.pol").write_text(policy_text(1, "改过"), encoding="utf-8")
    result = run_polc("build", "policies/one.pol", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "README.md" in result.stderr and "out/README.md" not in result.stdout
    assert (tmp_path / "out" / "README.md").read_text(encoding="utf-8") == index
    assert "改过" in (tmp_path / "out" / "one.md").read_text(encoding="utf-8")
    assert run_polc("build", "--check", "policies", "--out", "out", cwd=tmp_path).returncode == 1  # index is stale
    assert run_polc("build", "policies", "--out", "out", cwd=tmp_path).returncode == 0
    assert run_polc("build", "--check", "policies", "--out", "out", cwd=tmp_path).returncode == 0


def test_check_reports_modules_of_deleted_policies(tmp_path):
    make_project(tmp_path, ["one.pol", "two.pol"])
    assert run_polc("build", "policies", "--out", "out", cwd=tmp_path).returncode == 0
    (tmp_path / "policies" / "two.pol").unlink()
    result = run_polc("build", "--check", "policies", "--out", "out", cwd=tmp_path)
    assert result.returncode == 1 and "two.py" in result.stdout and "two.md" in result.stdout


# ---------------------------------------------------------------- interrupted builds
def _build_until_killed(project: Path, phase: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), POLC_TEST_PAUSE_BUILD=phase)
    process = subprocess.Popen([sys.executable, "-m", "compiler", "build", "policies", "--out", "out"],
                               cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        assert line.startswith("polc-test-paused"), line + process.stderr.read()
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("phase", ["staged:3", "renamed:3"])
def test_sigkill_mid_build_is_caught_by_check_and_repaired_by_the_next_build(tmp_path, phase):
    make_project(tmp_path, ["one.pol", "two.pol"])
    assert run_polc("build", "policies", "--out", "out", cwd=tmp_path).returncode == 0
    before = tree(tmp_path / "out")
    for number, name in enumerate(["one.pol", "two.pol"], 1):
        (tmp_path / "policies" / name).write_text(policy_text(number, "新标题"), encoding="utf-8")
    _build_until_killed(tmp_path, phase)
    after = tree(tmp_path / "out")
    temps = [n for n in after if n.endswith(".tmp")]
    if phase.startswith("staged"):
        assert temps and {n: after[n] for n in before} == before  # old outputs untouched
    else:
        changed = [n for n in before if after[n] != before[n]]
        assert 0 < len(changed) < len(before)  # really a mixed state
    check = run_polc("build", "--check", "policies", "--out", "out", cwd=tmp_path)
    assert check.returncode == 1
    assert ("临时文件" in check.stdout) if temps else ("stale" in check.stdout)
    assert run_polc("build", "policies", "--out", "out", cwd=tmp_path).returncode == 0
    assert not [n for n in os.listdir(tmp_path / "out") if n.endswith(".tmp")]
    assert run_polc("build", "--check", "policies", "--out", "out", cwd=tmp_path).returncode == 0


def test_ctrl_c_between_two_renames_is_held_until_every_file_is_new(tmp_path):
    """SIGINT while the staged files are renamed (paused after the third): the interrupt waits
    for the renames, so every output is the new one and no temporary file is left."""
    make_project(tmp_path, ["one.pol", "two.pol"])
    assert run_polc("build", "policies", "--out", "out", cwd=tmp_path).returncode == 0
    before = tree(tmp_path / "out")
    for number, name in enumerate(["one.pol", "two.pol"], 1):
        (tmp_path / "policies" / name).write_text(policy_text(number, "新标题"), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), POLC_TEST_PAUSE_BUILD="renamed:3", POLC_TEST_PAUSE_SECONDS="60")
    process = subprocess.Popen([sys.executable, "-m", "compiler", "build", "policies", "--out", "out"],
                               cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=interruptible)
    try:
        line = process.stderr.readline()
        assert line.startswith("polc-test-paused"), line + process.stderr.read()
        process.send_signal(signal.SIGINT)  # held: the paused build sees it pending, then finishes its renames
        stderr = process.communicate(timeout=60)[1]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130 and "Traceback" not in stderr, stderr
    after = tree(tmp_path / "out")
    assert not [n for n in after if n.endswith(".tmp")]
    assert [n for n in before if after[n] != before[n]]  # the build got as far as renaming new files
    assert run_polc("build", "--check", "policies", "--out", "out", cwd=tmp_path).returncode == 0


def test_a_failure_while_staging_replaces_nothing_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    make_project(tmp_path, ["one.pol"])
    monkeypatch.chdir(tmp_path)
    files = driver.outputs(driver.load(["policies"]))
    out = tmp_path / "out"
    out.mkdir()
    (out / "one.py").write_text("old", encoding="utf-8")
    real_fsync, calls = os.fsync, []

    def full_disk(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(driver.WriteError) as caught:
        driver.write_atomically(str(out), files)
    assert not caught.value.partial and "space" in caught.value.reason
    assert sorted(os.listdir(out)) == ["one.py"] and (out / "one.py").read_text(encoding="utf-8") == "old"


# ---------------------------------------------------------------- modes
def test_generated_files_respect_the_umask(tmp_path):
    make_project(tmp_path, ["one.pol"])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(["sh", "-c", f"umask 022 && exec {sys.executable} -m compiler build policies --out out"],
                   cwd=tmp_path, env=env, check=True, capture_output=True)
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").iterdir()} == {0o644}
    subprocess.run(["sh", "-c", f"umask 077 && exec {sys.executable} -m compiler build policies --out out2"],
                   cwd=tmp_path, env=env, check=True, capture_output=True)
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out2").iterdir()} == {0o600}


def test_shipped_generated_files_are_readable_by_others():
    for path in (ROOT / "generated").iterdir():
        assert path.stat().st_mode & stat.S_IROTH, path


# ---------------------------------------------------------------- determinism
@pytest.mark.fresh_process  # two runs compared: each its own interpreter (and hash seed)
def test_builds_from_two_working_directories_are_byte_identical(tmp_path):
    make_project(tmp_path, ["one.pol"])
    (tmp_path / "sub").mkdir()
    assert run_polc("build", "policies", "--out", "out1", cwd=tmp_path).returncode == 0
    assert run_polc("build", "../policies", "--out", "../out2", cwd=tmp_path / "sub").returncode == 0
    assert run_polc("build", str(tmp_path / "policies"), "--out", str(tmp_path / "out3"), cwd="/").returncode == 0
    first = tree(tmp_path / "out1")
    assert first == tree(tmp_path / "out2") == tree(tmp_path / "out3")
    assert "policies/one.pol" in first["one.py"].decode("utf-8").splitlines()[0]


def test_without_a_project_marker_the_policy_directory_is_the_root(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "one.pol").write_text(policy_text(1), encoding="utf-8")
    assert driver.project_root(str(tmp_path / "p" / "one.pol")) in (tmp_path / "p", *(tmp_path / "p").parents)


# ---------------------------------------------------------------- hostile paths
def test_symlink_loops_fifos_devices_and_directories_named_pol(tmp_path):
    make_project(tmp_path, ["one.pol"])
    policies = tmp_path / "policies"
    (policies / "loop").symlink_to(policies)
    (policies / "self.pol").symlink_to(policies / "self.pol")
    (policies / "dir.pol").mkdir()
    os.mkfifo(policies / "fifo.pol")
    (policies / "zero.pol").symlink_to("/dev/zero")
    result = run_polc("check", "policies", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    assert "fifo.pol" in result.stdout and "zero.pol" in result.stdout and "not a regular file" not in result.stdout
    assert "不是普通文件" in result.stdout
    assert run_polc("check", "/dev/zero", cwd=tmp_path).returncode == 2


def test_an_oversized_policy_is_refused_unread(tmp_path):
    make_project(tmp_path, ["one.pol"])
    (tmp_path / "policies" / "one.pol").write_bytes(b"#" * 1_000_001)
    result = run_polc("check", "policies", cwd=tmp_path)
    assert result.returncode == 1 and "1000000" in result.stdout and "Traceback" not in result.stderr


@pytest.mark.parametrize("out, code", [("afile", 2), ("missing/out", 2), ("/dev/full", 2), ("readonly/out", 1)])
def test_bad_output_directories_give_a_clear_error_and_write_nothing(tmp_path, out, code):
    make_project(tmp_path, ["one.pol"])
    (tmp_path / "afile").write_text("keep", encoding="utf-8")
    (tmp_path / "readonly").mkdir()
    (tmp_path / "readonly").chmod(0o555)
    try:
        if os.access(tmp_path / "readonly", os.W_OK) and out.startswith("readonly"):
            pytest.skip("running as a user who can write anywhere")
        result = run_polc("build", "policies", "--out", out, cwd=tmp_path)
    finally:
        (tmp_path / "readonly").chmod(0o755)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "polc:" in result.stderr
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "keep"
    assert not (tmp_path / "missing").exists() and os.listdir(tmp_path / "readonly") == []


def test_a_directory_in_place_of_an_output_file_is_refused_before_any_rename(tmp_path):
    make_project(tmp_path, ["one.pol"])
    (tmp_path / "out" / "one.py").mkdir(parents=True)
    result = run_polc("build", "policies", "--out", "out", cwd=tmp_path)
    assert result.returncode == 1 and "nothing was changed" not in result.stderr and "未改动任何文件" in result.stderr
    assert sorted(os.listdir(tmp_path / "out")) == ["one.py"]


def test_a_build_leaves_the_temporary_files_of_a_running_build_alone(tmp_path):
    make_project(tmp_path, ["one.pol"])
    out = tmp_path / "out"
    out.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        running = out / f".polc-one.py.{sleeper.pid}.abcd1234.tmp"
        dead = out / ".polc-one.md.999999999.abcd1234.tmp"
        running.write_text("", encoding="utf-8")
        dead.write_text("", encoding="utf-8")
        assert run_polc("build", "policies", "--out", "out", cwd=tmp_path).returncode == 0
        assert running.exists() and not dead.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_building_a_folder_with_no_policy_writes_nothing(tmp_path):
    # Found by the soak (path-dir, seeds 2915882625, 553844782): a folder holding only a folder
    # named d.pol built "successfully" into an empty --out folder.
    (tmp_path / "p" / "d.pol").mkdir(parents=True)
    (tmp_path / "p" / "d.pol" / "inner.txt").write_text("x", encoding="utf-8")
    result = run_polc("build", tmp_path / "p", "--out", tmp_path / "g", "--lang", "en")
    assert result.returncode == 2 and "no .pol policy file" in result.stderr, result.stderr
    assert not (tmp_path / "g").exists()
