"""The CI workflow and pre-commit hooks we ship for policy-draft repositories actually work:
their commands are run against a copy of a drafts repository, clean and broken."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_polc


def _drafts_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "drafts"
    shutil.copytree(ROOT / "policies", repo / "policies")
    shutil.copytree(ROOT / "generated", repo / "generated", ignore=shutil.ignore_patterns("__pycache__"))
    # A drafts repository is a git repository: its root is where generated files name their
    # sources from (README, "Build outputs"). polc.toml marks the root without git.
    (repo / "polc.toml").write_text("", encoding="utf-8")
    # The drafts a repository commits are formatted (its fmt gate sees to that); format the
    # copy so the gates judge this checkout's policies whatever their layout here. Layout
    # never changes meaning, so generated/ stays current.
    formatted = _run("polc fmt policies/", repo)
    assert formatted.returncode == 0, formatted.stderr
    return repo


def _run(command: str, repo: Path) -> subprocess.CompletedProcess:
    # `polc` in the shipped files is this checkout's CLI (the workflow installs it first).
    return run_polc(*command.split()[1:], cwd=repo, timeout=300)


def _workflow_commands() -> list[str]:
    text = (ROOT / "ci" / "polc-drafts.yml").read_text(encoding="utf-8")
    return [c.strip() for c in re.findall(r"^\s*run: (.+)$", text, re.M) if c.strip().startswith("polc ")]


def _hook_commands() -> list[str]:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    return [e.strip() for e in re.findall(r"^\s*entry: (.+)$", text, re.M)]


def test_workflow_and_hooks_name_the_three_gates():
    assert _workflow_commands() == ["polc check --format github policies/", "polc fmt --check policies/",
                                    "polc test policies/", "polc build --check"]
    assert _hook_commands() == ["polc check policies/", "polc fmt --check policies/", "polc test policies/",
                                "polc build --check"]


@pytest.mark.parametrize("commands", [_workflow_commands, _hook_commands], ids=["workflow", "pre-commit"])
def test_gates_pass_on_a_clean_drafts_repository(tmp_path, commands):
    repo = _drafts_repo(tmp_path)
    for command in commands():
        result = _run(command, repo)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])


def test_gates_fail_with_annotations_on_a_broken_draft(tmp_path):
    repo = _drafts_repo(tmp_path)
    draft = repo / "policies" / "jzf-2020-06.pol"
    text = draft.read_text(encoding="utf-8")
    broken = text.replace("30亿元 → 30万元", "30亿元 → 300万元", 1)
    assert broken != text
    draft.write_text(broken, encoding="utf-8")
    check, layout, test, build = (_run(c, repo) for c in _workflow_commands())
    assert check.returncode == 0  # a valid draft: no diagnostics, but…
    assert layout.returncode == 0  # (still in the canonical layout)
    assert test.returncode == 1 and "第七条" in test.stdout  # …its examples now fail
    assert build.returncode == 1 and "stale" in build.stdout  # …and generated/ is out of date
    draft.write_text(text.replace("  当 实现税收", "    当 实现税收", 1), encoding="utf-8")
    misaligned = _run(_workflow_commands()[1], repo)
    assert misaligned.returncode == 1  # the fmt gate prints the diff that fixes the layout
    assert "-    当 实现税收\n+  当 实现税收" in misaligned.stdout
    draft.write_text(text.replace("当 实现税收", "当实现税收", 1), encoding="utf-8")
    annotated = _run(_workflow_commands()[0], repo)
    assert annotated.returncode == 1
    assert re.search(r"^::error file=policies/jzf-2020-06\.pol,line=\d+,col=\d+.*title=polc E00[12]::", annotated.stdout, re.M)
