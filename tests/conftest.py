import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

import forked_polc


ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
UPDATE_GOLDEN = os.environ.get("POLC_UPDATE_GOLDEN") == "1"
# polc's cache (parser tables, verified modules) goes to a private directory of this test
# run, not the user's: tests see a cold cache once, and leave no trace in ~/.cache.
os.environ.setdefault("POLC_CACHE_DIR", tempfile.mkdtemp(prefix="polc-test-cache-"))

# Property tests draw the same examples on every run by default, so CI is reproducible: a
# red run is red again on the same commit, and no commit turns red by luck of the draw (one
# known case, a fix suggested for a 当 left out of a condition, can still be found by a
# random search). HYPOTHESIS_PROFILE=explore searches with fresh random seeds, as a drafter
# or a nightly job would to look for new failures.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# Most CLI tests run polc as a new process forked from a zygote that has imported the
# compiler's libraries already (tests/forked_polc.py says what that keeps and what it does
# not); a test marked fresh_process (test_cli.py, cold starts, determinism between two runs)
# starts the interpreter itself, as does every test with POLC_TEST_FRESH_PROCESS=1.
FRESH_PROCESS = os.environ.get("POLC_TEST_FRESH_PROCESS") == "1"
_zygote = forked_polc.Zygote(str(ROOT))
_fresh_process_test = False


def interruptible() -> None:
    """preexec_fn for a child polc that a test interrupts: SIGINT as a terminal gives it. A
    runner that started the tests in the background (a non-interactive shell's `&`) passes
    SIGINT on ignored, and Python then installs no handler: Ctrl-C would be no test at all."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_polc(*args, cwd=ROOT, stdin=None, timeout=120):
    """Run the CLI as a user would, in a process of its own; returns the CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if FRESH_PROCESS or _fresh_process_test:
        return subprocess.run([sys.executable, "-m", "compiler", *map(str, args)], cwd=cwd, input=stdin,
                              capture_output=True, text=True, env=env, timeout=timeout)
    return _zygote.run([str(a) for a in args], cwd, env, stdin, timeout=timeout)


def pytest_configure(config):
    config.addinivalue_line("markers", "fresh_process: run_polc starts a new interpreter (no zygote) in this test")


def pytest_unconfigure(config):
    _zygote.close()


@pytest.fixture(autouse=True)
def _fresh_process_marker(request):
    global _fresh_process_test
    _fresh_process_test = request.node.get_closest_marker("fresh_process") is not None
    yield
    _fresh_process_test = False


def golden(path: Path, actual: str) -> None:
    """Compare with a golden file; POLC_UPDATE_GOLDEN=1 rewrites it instead."""
    if UPDATE_GOLDEN or not path.exists():
        if not UPDATE_GOLDEN:
            pytest.fail(f"golden file {path} is missing; run with POLC_UPDATE_GOLDEN=1 to create it")
        path.write_text(actual, encoding="utf-8")
        return
    assert actual == path.read_text(encoding="utf-8"), f"output differs from {path}"


@pytest.fixture(autouse=True)
def at_project_root(monkeypatch):
    """Tests run from the project root, as a user and CI do, so shown paths are relative."""
    monkeypatch.chdir(ROOT)
