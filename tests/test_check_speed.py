"""What keeps `polc check` fast, tested for what it must not change: the check path imports
only what checking needs, and a parsed file kept in the cache (compiler/parse_cache.py) is
used only while the file and polc are unchanged, gives the same diagnostics, and is never
kept for a file with errors. (The times themselves are measured by bench/check_bench.py and
bench/eval_bench.py, not asserted: CPU time on a shared machine is too noisy for a test.)"""

from __future__ import annotations

import os
import subprocess
import sys

from compiler import driver, grammar_tables, parse_cache, parser
from compiler.diagnostics import to_json
from conftest import ROOT

HEAVY = ("jinja2", "duckdb", "sqlglot", "pygls", "lsprotocol", "starlette", "uvicorn")


def test_polc_check_imports_none_of_the_heavy_libraries(tmp_path):
    # In a fresh interpreter, as `polc check` runs: code generation (jinja2), SQL (duckdb,
    # sqlglot), the language server (pygls) and the service (starlette, uvicorn) are each
    # imported by the command that needs them, never on the check path.
    probe = (
        "import sys\n"
        "from compiler.cli import main\n"
        "code = main(['check', 'policies/'])\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "print(code, ','.join(heavy))\n")
    for cache in (str(tmp_path / "cache"), str(tmp_path / "cache"), ""):  # cold, warm, no cache
        env = dict(os.environ, PYTHONPATH=str(ROOT), POLC_CACHE_DIR=cache)
        result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        code, heavy = result.stdout.split("\n")[-2].split(" ")
        assert code == "0" and heavy == "", f"polc check imported {heavy}"


def _modules_after(argv: list[str], cache: str, before: str = "") -> set[str]:
    """The modules a fresh interpreter holds after running `polc ARGV` in-process, as the CLI runs it."""
    probe = (
        "import contextlib, io, sys\n"
        "from compiler.cli import main\n"
        f"{before}"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({argv!r})\n"
        "print(code, ' '.join(sorted(sys.modules)))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), POLC_CACHE_DIR=cache)
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    code, modules = result.stdout.split("\n")[-2].split(" ", 1)
    assert code == "0", result.stdout
    return set(modules.split())


def test_a_check_of_unchanged_files_loads_neither_the_parser_nor_the_code_generator(tmp_path):
    cache = str(tmp_path / "cache")
    cold = _modules_after(["check", "policies/"], cache)
    assert {"lark", "compiler.parser"} <= cold  # the first check parses (and fills the cache)
    warm = _modules_after(["check", "policies/"], cache)
    assert not {m for m in warm if m == "lark" or m.startswith("lark.")}
    assert not {"compiler.parser", "compiler.lalr", "compiler.to_python", "compiler.syntax_errors"} & warm


def test_eval_with_current_generated_modules_loads_no_compiler(tmp_path):
    # `polc build --check` records the committed modules as current; eval --facts then runs them
    # with the runtime alone: no AST, no parser (Lark), no driver, none of the heavy libraries.
    # (attrs still comes with compiler.source, which decodes the facts file.)
    cache = str(tmp_path / "cache")
    env = dict(os.environ, PYTHONPATH=str(ROOT), POLC_CACHE_DIR=cache)
    subprocess.run([sys.executable, "-m", "compiler", "build", "--check"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    facts = tmp_path / "facts.json"
    facts.write_text('{"实现税收": true, "年营业收入": {"2019": "22亿元", "2020": "31亿元"}}', encoding="utf-8")
    loaded = _modules_after(["eval", "policies/", "--facts", str(facts), "--on", "2021-06-30"], cache)
    assert "compiler.fast_eval" in loaded
    unwanted = {"compiler.ast", "compiler.driver", "compiler.parser", "compiler.facts", "lark", *HEAVY}
    assert not {m for m in loaded if m in unwanted or m.split(".")[0] in unwanted}


def test_check_time_grows_about_linearly_with_the_clauses(tmp_path, monkeypatch):
    # Every file parsed (no cache), 200 and 1,000 synthetic clauses (bench/check_bench.py's
    # generator: five clauses per matter, so the overlap pairs grow linearly too). Linear growth
    # is x5; what the overlap analysis once did (every pair of clauses, a symbol table copied per
    # pair) grows towards x25. A ratio of two CPU times measured side by side in one process,
    # best of three, with a generous bound: load on a shared machine moves both alike.
    sys.path.insert(0, str(ROOT / "bench"))
    import check_bench
    monkeypatch.setenv("POLC_CACHE_DIR", "")
    times = {}
    for clauses in (200, 1000):
        folder = tmp_path / str(clauses)
        folder.mkdir()
        check_bench.build(folder, clauses)
        driver.load([str(folder)])  # parser tables and imports, once, as in any run
        times[clauses] = check_bench.best_of(folder, 3)
    assert times[1000] / times[200] < 8.5, times


def _diagnostics(project) -> list[str]:
    return [to_json(project.diagnostics, lang) for lang in ("zh", "en")]


def _entries(cache_dir) -> list[str]:
    return sorted(p.name for p in cache_dir.iterdir() if p.name.startswith("ast-"))


def test_a_kept_parse_gives_the_same_project_and_is_used(tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("POLC_CACHE_DIR", str(cache_dir))
    grammar_tables.keywords.cache_clear()  # worked out (and kept in this cache) as in a first run
    cold = driver.load(["policies/"])
    assert len(_entries(cache_dir)) == len(cold.sources)  # six policies and the vocabulary
    parsed = []
    monkeypatch.setattr(parse_cache, "parse", lambda source: parsed.append(source.path) or parser.parse(source))
    # Nor are the parser's tables loaded: the printer's keywords come from the cache too.
    grammar_tables.keywords.cache_clear()
    monkeypatch.setattr(grammar_tables, "_lark", lambda: (_ for _ in ()).throw(AssertionError("the parser was loaded")))
    try:
        warm = driver.load(["policies/"])
    finally:
        grammar_tables.keywords.cache_clear()
    assert parsed == []  # every file came from the cache
    assert warm.policies == cold.policies
    assert _diagnostics(warm) == _diagnostics(cold)
    assert [(o.matter, o.witness, o.confirmed) for o in warm.overlaps] == \
        [(o.matter, o.witness, o.confirmed) for o in cold.overlaps]


DRAFT = """政策 测试〔2020〕1号
  施行日期 2020年1月1日

事实 投资额: 金额

条款 第一条
  当 投资额 超过 {threshold}
  给予 10万元
"""


def test_an_edited_file_is_parsed_again_and_keeps_one_entry(tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("POLC_CACHE_DIR", str(cache_dir))
    policy = tmp_path / "p.pol"
    policy.write_text(DRAFT.format(threshold="100万元"), encoding="utf-8")
    first = driver.load([str(policy)]).policies[0]
    policy.write_text(DRAFT.format(threshold="200万元"), encoding="utf-8")
    second = driver.load([str(policy)]).policies[0]
    assert first != second and "200万元" in repr(second.clauses[0].conditions)  # not the stale tree
    assert len(_entries(cache_dir)) == 1  # the older entry of this path was replaced


def test_a_file_with_errors_is_not_kept_and_reports_the_same(tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("POLC_CACHE_DIR", str(cache_dir))
    policy = tmp_path / "p.pol"
    policy.write_text(DRAFT.format(threshold="100万元").replace("当 投资额", "当投资额"), encoding="utf-8")
    runs = [_diagnostics(driver.load([str(policy)])) for _ in range(2)]
    assert runs[0] == runs[1] and '"E002"' in runs[0][0]
    assert _entries(cache_dir) == []


def test_an_unreadable_entry_only_costs_a_parse(tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("POLC_CACHE_DIR", str(cache_dir))
    policy = tmp_path / "p.pol"
    policy.write_text(DRAFT.format(threshold="100万元"), encoding="utf-8")
    expected = driver.load([str(policy)]).policies
    (entry,) = _entries(cache_dir)
    (cache_dir / entry).write_bytes(b"not a pickle")
    assert driver.load([str(policy)]).policies == expected


def test_without_a_cache_nothing_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("POLC_CACHE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path))  # nothing may land in a default location either
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert not driver.load(["policies/"]).has_errors
    assert not (tmp_path / ".cache").exists()


def test_each_clause_normal_form_is_built_once_and_pairs_decide_as_before(tmp_path, monkeypatch):
    # Three policies sharing one vocabulary, two clauses each on one matter: 15 pairs, 6
    # clauses. With the forms remembered (overlaps._ClauseForms) each clause's applicability is
    # put in normal form once, not once per pair, and every pair is decided exactly as
    # decide() alone decides it (witness, confirmation, reason).
    from compiler import overlaps
    (tmp_path / "vocabulary.pol").write_text(
        "词汇 共用\n事实 投资额: 金额\n事实 认定: 是否\n定义事项 「设备补助」\n", encoding="utf-8")
    for index in range(3):
        lines = [f"政策 测试〔2020〕{index + 1}号", "  施行日期 2020年1月1日", "  冲突原则 就高不重复",
                 '  引用 "vocabulary.pol"']
        for article, threshold in (("一", 100 + index), ("二", 300 + index)):
            lines += [f"条款 第{article}条", '  原文 "设备补助。"', "  事项 「设备补助」",
                      f"  当 投资额 不低于 {threshold}万元 且 认定", "  给予 最高 20万元"]
        (tmp_path / f"p{index}.pol").write_text("\n".join(lines) + "\n", encoding="utf-8")
    project = driver.load([str(tmp_path)], overlaps=False)
    assert not project.has_errors and len(project.policies) == 3
    built = []
    applicability = overlaps.applicability
    monkeypatch.setattr(overlaps, "applicability", lambda clause, symbols: built.append(clause) or applicability(clause, symbols))
    remembered = overlaps.analyse(project.policies)
    assert len(remembered) == 15 and len(built) == 6
    monkeypatch.setattr(overlaps, "applicability", applicability)
    alone = [overlaps.decide(o.matter, o.first, o.second) for o in remembered]
    assert [(o.witness, o.decided, o.confirmed, o.reason) for o in remembered] == \
        [(o.witness, o.decided, o.confirmed, o.reason) for o in alone]
    assert all(o.witness is not None for o in remembered)


def test_a_one_shot_load_leaves_what_it_loaded_out_of_later_collections(monkeypatch):
    # polc check, build and test load once and end: what loading allocated is frozen
    # (gc.freeze), so the collection the first allocation after loading would start does not
    # walk all of it. The language server and the HTTP service load again and again and
    # must not freeze (cyclic garbage among frozen objects is never collected).
    import gc
    policies = str(ROOT / "policies")
    gc.unfreeze()
    try:
        driver.load([policies])
        assert gc.isenabled() and gc.get_freeze_count() == 0
        driver.load([policies], one_shot=True)
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    asked = []
    real_load = driver.load
    monkeypatch.setattr(driver, "load", lambda *args, **kwargs: asked.append(kwargs.get("one_shot")) or real_load(*args, **kwargs))
    from compiler import cli
    try:
        for command in (["check", policies], ["test", policies]):
            cli.main(command)
    finally:
        gc.unfreeze()
    assert asked == [True, True]
