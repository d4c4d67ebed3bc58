"""The shortcuts `polc check` takes (issue 10, 5,000 clauses) give what the plain way gives.

- checks.walk reads only the fields whose declared type can hold an expression;
- a span made from offsets works out its lines and columns when first read;
- lowering prints each expression node once (printer.expr with a memo);
- the overlap check confirms witnesses with what a pair needs worked out once per pair of
  policies (checks._plan).
Each is compared here with the plain computation on every draft in the repository and on
generated ones."""

from __future__ import annotations

import pickle
import random
import sys
from pathlib import Path

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import ast, checks, driver, parser, printer
from compiler.source import SourceFile, Span, span_of_offsets
from conftest import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzzing  # noqa: E402

DRAFTS = sorted(p for p in ROOT.glob("**/*.pol") if ".venv" not in p.parts)


def parsed_drafts():
    for path in DRAFTS:
        try:
            source = SourceFile.read(str(path))
        except Exception:  # noqa: BLE001 - a draft that does not decode is another test's business
            continue
        tree, _problems = parser.parse(source)
        if tree is not None:
            yield source, tree


def every_child_by_all_fields(node) -> list:
    """checks._children as it was: every attrs field looked into."""
    if not attrs.has(type(node)):
        return []
    found = []
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        if isinstance(value, checks._EXPRESSION_NODES):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(item for item in value if isinstance(item, checks._EXPRESSION_NODES))
    return found


def all_nodes(tree) -> list:
    return [node for node in ast.walk(tree) if attrs.has(type(node))]


def test_the_walk_of_the_checks_finds_every_sub_expression():
    checked = 0
    for _source, tree in parsed_drafts():
        for node in all_nodes(tree):
            assert list(checks._children(node)) == every_child_by_all_fields(node), type(node).__name__
            checked += 1
    assert checked > 10_000


def plain_span(source: SourceFile, start: int, end: int) -> tuple:
    """Lines and columns counted from the top of the text, as spans were first made."""
    text = source.text
    line = text.count("\n", 0, start) + 1
    end_line = text.count("\n", 0, end) + 1
    return (source.path, line, start - (text.rfind("\n", 0, start) + 1) + 1,
            end_line, end - (text.rfind("\n", 0, end) + 1) + 1, start, end)


def test_spans_made_from_offsets_read_as_counted_spans_do():
    for source, tree in parsed_drafts():
        for node in all_nodes(tree):
            span = getattr(node, "span", None)
            if span is None:
                continue
            values = plain_span(source, span.start, span.end)
            eager = Span(*values)
            assert (span.path, span.line, span.column, span.end_line, span.end_column, span.start, span.end) == values
            assert span == eager and hash(span) == hash(eager) and repr(span) == repr(eager) and str(span) == str(eager)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\n全", max_size=40), st.data())
def test_a_span_is_a_value_whatever_was_read_first(text: str, data):
    source = SourceFile("x.pol", text)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    fresh, read = span_of_offsets(source, start, end), span_of_offsets(source, start, end)
    _ = read.end_column  # one has worked out its position, the other not yet
    assert fresh == read and hash(fresh) == hash(read)
    for span in (fresh, read, Span(*plain_span(source, start, end))):
        again = pickle.loads(pickle.dumps(span))
        assert again == span and repr(again) == repr(span)
    assert fresh != span_of_offsets(SourceFile("y.pol", text), start, end)
    try:
        fresh.line = 1  # type: ignore[misc]
        raise AssertionError("a span can be changed")
    except AttributeError:
        pass


def expressions(tree) -> list:
    return [node for node in all_nodes(tree) if isinstance(node, checks._EXPRESSION_NODES)]


def test_printing_with_a_memo_prints_what_printing_afresh_prints():
    for _source, tree in parsed_drafts():
        texts: dict = {}
        for node in expressions(tree):  # outer nodes first, as lowering asks
            assert printer.expr(node, texts) == printer.expr(node)
        for node in reversed(expressions(tree)):
            assert printer.expr(node, texts) == printer.expr(node)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False))
def test_generated_drafts_walk_span_and_print_the_same(rng: random.Random):
    source = SourceFile("drafts/generated.pol", fuzzing.draft(rng))
    tree, _problems = parser.parse(source)
    if tree is None:
        return
    texts: dict = {}
    for node in all_nodes(tree):
        assert list(checks._children(node)) == every_child_by_all_fields(node)
        span = getattr(node, "span", None)
        if span is not None:
            assert Span(*plain_span(source, span.start, span.end)) == span
        if isinstance(node, checks._EXPRESSION_NODES):
            assert printer.expr(node, texts) == printer.expr(node)


def test_witnesses_are_confirmed_per_pair_as_the_interpreter_says(tmp_path):
    # Two policies sharing a vocabulary, each with clauses of one matter: the plans are shared
    # between pairs, and each witness must still be the interpreter's: both clauses apply
    # when it is run through runtime.evaluate_clauses directly (facts validated afresh).
    from compiler import interpreter, lower, overlaps, runtime
    (tmp_path / "v.pol").write_text("词汇 共用\n事实 投资额: 金额\n事实 认定: 是否\n事实 人数: 数值\n定义事项 「甲」\n", encoding="utf-8")
    for index, threshold in enumerate((100, 300)):
        (tmp_path / f"p{index}.pol").write_text(
            f"政策 测试〔2020〕{index + 1}号\n  施行日期 2020年1月1日\n  冲突原则 就高不重复\n  引用 \"v.pol\"\n"
            f"条款 第一条\n  原文 \"一。\"\n  事项 「甲」\n  当 投资额 不低于 {threshold}万元\n  给予 投资额 × 5% 最高 50万元\n"
            f"条款 第二条\n  原文 \"二。\"\n  事项 「甲」\n  当 认定 且 人数 超过 {threshold}\n  给予 10万元\n", encoding="utf-8")
    project = driver.load([str(tmp_path)])
    assert not project.has_errors
    assert len(project.overlaps) == 6
    for overlap in project.overlaps:
        assert overlap.decided and overlap.confirmed and overlap.witness is not None
        (p1, _c1), (p2, _c2) = overlap.first, overlap.second
        on = overlaps.evaluation_date(p1, p2, overlaps._common_year(p1, p2))
        for policy, clause in (overlap.first, overlap.second):
            lowered = lower.lower(policy)
            info = interpreter.policy_info(lowered)
            specs = [s for s in interpreter.clause_specs(lowered) if s.label == clause.label]
            facts = {name: value for name, value in overlap.witness.items() if name in info.schema}
            [result] = runtime.evaluate_clauses(info, specs, facts, on)
            assert result.applies is True, (clause.label, overlap.witness)


def test_remembered_witnesses_and_runs_decide_every_pair_as_the_plain_way(tmp_path, monkeypatch):
    # A pair whose clauses' forms equal an earlier pair's takes over its witness
    # (overlaps.analyse), and a clause met again with the same values of the facts it reads
    # is not run again (checks._confirm): on the bench's synthetic policies (the conditions of
    # one matter repeat across policies, and across matters) and on every folder of drafts in
    # the repository, every pair is decided as solving and running each one gives, and the
    # shortcuts are taken.
    from compiler import overlaps, runtime
    sys.path.insert(0, str(ROOT / "bench"))
    import check_bench
    synthetic = tmp_path / "synthetic"
    synthetic.mkdir()
    check_bench.build(synthetic, 400)
    folders = [synthetic, ROOT / "policies", *sorted(p for p in (ROOT / "tests" / "language").iterdir() if p.is_dir())]
    counted = {"solve": 0, "run": 0}
    solve, run_clause = overlaps.solve, runtime._run_clause

    def counting_solve(*args):
        counted["solve"] += 1
        return solve(*args)

    def counting_run(*args):
        counted["run"] += 1
        return run_clause(*args)

    monkeypatch.setattr(overlaps, "solve", counting_solve)
    monkeypatch.setattr(runtime, "_run_clause", counting_run)
    for folder in folders:
        project = driver.load([str(folder)], overlaps=False)
        plain = checks.find_overlaps(project.policies, remember_runs=False, remember_witnesses=False)
        plain_counts = dict(counted)
        remembered = checks.find_overlaps(project.policies)
        shown = [[(o.matter, o.first[1].label, o.second[1].label, o.witness, o.decided, o.reason, o.confirmed,
                   o.note, o.internal_error) for o in found] for found in (plain, remembered)]
        assert shown[0] == shown[1], folder
        if folder == synthetic:
            assert len(plain) == 800 and all(o.confirmed for o in plain)
            assert counted["solve"] - plain_counts["solve"] < plain_counts["solve"] * 3 / 4
            assert counted["run"] - plain_counts["run"] < plain_counts["run"] * 3 / 4
        counted.update(solve=0, run=0)
