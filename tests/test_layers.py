"""The pipeline's layers, read from the source: no import cycles among compiler modules, and
the backends read the lowered model, never the checks, the AST or one another.

Every import counts, at module level or inside a function: an import deferred into a function
to dodge a cycle is still a cycle between the two modules (checks and the interpreter once
imported each other that way)."""

from __future__ import annotations

import ast as pyast
from decimal import Decimal
from pathlib import Path

import pytest

from compiler import model

COMPILER = Path(__file__).resolve().parent.parent / "compiler"
MODULES = {path.stem for path in COMPILER.glob("*.py")}
# The backends: each reads the model (and the runtime it shares with generated code).
BACKENDS = {"interpreter", "to_python", "to_markdown", "to_sql"} & MODULES


def imports_of(source: str) -> set[str]:
    """The compiler modules a module's source imports (relative or as compiler.x), anywhere in it."""
    found = set()
    for node in pyast.walk(pyast.parse(source)):
        if isinstance(node, pyast.ImportFrom):
            if node.level == 1:
                found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
            elif node.level == 0 and node.module and node.module.split(".")[0] == "compiler":
                parts = node.module.split(".")
                found.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        elif isinstance(node, pyast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("compiler."))
    return found


def graph() -> dict[str, set[str]]:
    return {name: (imports_of((COMPILER / f"{name}.py").read_text(encoding="utf-8")) & MODULES) - {name}
            for name in sorted(MODULES)}


def cycle_in(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path [a, b, …, a], or None (depth-first search, three colours)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for other in sorted(edges.get(name, ())):
            if state.get(other) == 1:
                return path[path.index(other):] + [other]
            if other not in state:
                found = visit(other)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(edges):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_deferred_import_cycle():
    # The shape the issue names: checks imports the interpreter, which imports checks in a function.
    checks = "from . import ast\ndef f():\n    from . import interpreter\n"
    interpreter = "from . import model\ndef g():\n    from .checks import walk\n"
    edges = {"checks": imports_of(checks), "interpreter": imports_of(interpreter), "model": set(), "ast": set()}
    assert cycle_in(edges) == ["checks", "interpreter", "checks"]
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_among_compiler_modules():
    assert cycle_in(graph()) is None


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_backends_read_the_model_not_the_checks_the_ast_or_each_other(backend):
    imported = graph()[backend]
    forbidden = {"checks", "overlaps", "analysis", "types", "ast", "printer", "parser", "lower", "driver"}
    assert not imported & (forbidden | (BACKENDS - {backend})), imported


def test_the_model_and_lowering_import_no_backend():
    edges = graph()
    for stage in ("model", "lower"):
        assert not edges[stage] & (BACKENDS | {"checks", "driver"}), (stage, edges[stage])


def test_model_children_come_from_the_field_declarations():
    # A tier's test, a per-item award's 逐项 fact and a definition reference are all reached
    # by the generic walk, with no list of children kept by hand.
    t = model.Type(model.Base.MONEY, series=True)
    fact = model.Fact("营业收入", t)
    threshold = model.Constant(Decimal(10), model.Type(model.Base.MONEY), "10元")
    test = model.Compare(model.CompareOp.GT, model.FactRef(fact, "营业收入"), threshold, "营业收入 超过 10元", "超过")
    tier = model.ByTier(model.FactRef(fact, "营业收入"), model.CompareOp.GT, "超过",
                        (model.TierRow(threshold, model.DefRef("奖励", None, "奖励"), test),))
    kinds = [type(node).__name__ for node in model.walk(tier)]
    assert kinds.count("Fact") == 2 and "DefRef" in kinds and "Compare" in kinds


def test_every_award_form_of_the_ast_has_a_form_in_the_model():
    import typing

    from compiler import ast
    def names(union):  # forms added after the union (issue 13 blocks) are named as forward references
        return {t.__forward_arg__ if isinstance(t, typing.ForwardRef) else t.__name__ for t in typing.get_args(union)}
    written = names(ast.AwardForm)
    meant = names(model.AwardForm)
    assert all(hasattr(model, name) for name in meant)
    assert written == meant
