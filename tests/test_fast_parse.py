"""The LALR runner (compiler/lalr.py) builds the very AST the parse tree gave: every node, every
span, every diagnostic. It is compared here with the tree path (parser._parse_by_tree: Lark's
parser, then the tree walk), which it replaced for drafts without problems, on every draft the
repository holds and on drafts generated from the grammar and mutated ones."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Token

from compiler import lalr, limits, parser
from compiler.source import SourceFile, normalise
from conftest import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzzing  # noqa: E402

DRAFTS = sorted(p for p in ROOT.glob("**/*.pol") if ".venv" not in p.parts)


def difference(fast, slow, where: str = "result") -> str | None:
    """Where two parse results differ — types, values and spans alike (AST equality ignores
    spans, so == alone would not do) — or None. A lark Token left in the AST is a difference."""
    if type(fast) is not type(slow):
        return f"{where}: {type(fast).__name__} != {type(slow).__name__}"
    if isinstance(fast, Token):
        return f"{where}: a lark Token in the AST"
    if attrs.has(type(fast)):
        for field in attrs.fields(type(fast)):
            found = difference(getattr(fast, field.name), getattr(slow, field.name), f"{where}.{field.name}")
            if found:
                return found
        return None
    if isinstance(fast, (tuple, list)):
        if len(fast) != len(slow):
            return f"{where}: {len(fast)} items != {len(slow)}"
        for index, (a, b) in enumerate(zip(fast, slow)):
            found = difference(a, b, f"{where}[{index}]")
            if found:
                return found
        return None
    return None if fast == slow else f"{where}: {fast!r} != {slow!r}"


def both_ways(source: SourceFile):
    return parser.parse(source), parser._parse_by_tree(source, normalise(source.text))


def test_the_runner_takes_the_shipped_grammar():
    # Unsupported would silently put every parse back on the slow path.
    assert parser._runner() is not None


def test_every_draft_in_the_repository_parses_to_the_same_ast_and_diagnostics():
    by_runner = 0
    for path in DRAFTS:
        try:
            source = SourceFile.read(str(path.relative_to(ROOT)))
        except Exception:  # noqa: BLE001 - a draft that does not decode is another test's business
            continue
        fast, slow = both_ways(source)
        assert difference(fast, slow) is None, f"{path}: {difference(fast, slow)}"
        try:
            parser._runner().run(normalise(source.text), parser._ToAst(source))
            by_runner += 1
        except lalr.Fallback:
            pass
    # The shipped policies, the language folders and the good fixtures all go through the runner.
    assert by_runner >= 60, by_runner


def test_a_draft_with_a_problem_falls_back_and_reports_as_before():
    good = (ROOT / "policies" / "jzf-2020-06.pol").read_text(encoding="utf-8")
    runner = parser._runner()
    for broken, code in [(good.replace("施行日期 2020年1月1日", "施行日期 2020年2月30日", 1), "E003"),  # a builder's problem
                         (good.replace("条款 第七条", "条款 第七条 当当", 1), None),                     # a token the table refuses
                         (good + "\n条款 第九十九条\n  当 " + "非 " * (limits.MAX_NESTING + 5) + "是" +
                          "\n  给予 1万元\n", "E101")]:                                                  # nested too deeply
        source = SourceFile("policies/jzf-2020-06.pol", broken)
        try:
            runner.run(normalise(broken), parser._ToAst(source))
            raise AssertionError("the runner took a draft with a problem")
        except lalr.Fallback:
            pass
        fast, slow = both_ways(source)
        assert difference(fast, slow) is None
        assert fast[0] is None and fast[1]
        if code:
            assert fast[1][0].code == code


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False), st.booleans())
def test_generated_and_mutated_drafts_parse_the_same_both_ways(rng: random.Random, mutate: bool):
    text = fuzzing.draft(rng)
    if mutate:
        text = fuzzing.mutate(rng, text)
    source = SourceFile("drafts/generated.pol", text)
    fast, slow = both_ways(source)
    assert difference(fast, slow) is None, difference(fast, slow)


def test_the_nesting_limit_is_where_it_was():
    # 是 under N times 非 is N + 1 expression levels: the runner takes exactly what the tree
    # walk let through, and leaves the first draft over the limit to it (E101).
    good = (ROOT / "policies" / "jzf-2020-06.pol").read_text(encoding="utf-8")
    for nots, runs in [(limits.MAX_NESTING - 1, True), (limits.MAX_NESTING, False)]:
        text = good + "\n条款 第九十九条\n  当 " + "非 " * nots + "是\n  给予 1万元\n"
        source = SourceFile("policies/jzf-2020-06.pol", text)
        try:
            parser._runner().run(normalise(text), parser._ToAst(source))
            ran = True
        except lalr.Fallback:
            ran = False
        fast, slow = both_ways(source)
        assert ran == runs and difference(fast, slow) is None
        assert (fast[0] is not None) == runs and (runs or fast[1][0].code == "E101")


def test_larks_version_is_read_without_importing_it_and_agrees():
    import lark

    from compiler import grammar_tables
    assert grammar_tables.lark_version() == lark.__version__


def lexed_both_ways(text: str) -> tuple[list, list]:
    """(type, end) of each token from the runner's first-character lexer and from Lark's own
    alternation of every terminal, up to the first position neither can match."""
    lexer = parser._runner().lexer
    assert lexer is not None, "the first-character lexer is not in use"
    whole = parser._runner().patterns[0].match
    fast, slow = [], []
    pos = 0
    while pos < len(text):
        by_char = lexer.by_char.get(text[pos]) or lexer.matcher(text[pos])
        a, b = by_char(text, pos), whole(text, pos)
        fast.append(a and (a.lastgroup, a.end()))
        slow.append(b and (b.lastgroup, b.end()))
        if a is None or b is None or a.end() == pos:
            break
        pos = a.end()
    return fast, slow


def test_the_first_character_lexer_gives_larks_tokens_on_every_draft():
    for path in DRAFTS:
        text = normalise(path.read_text(encoding="utf-8", errors="replace"))
        fast, slow = lexed_both_ways(text)
        assert fast == slow, path


_LEXER_ALPHABET = "0123456789.%-~—–〜/:,=<>(){}[]+*×÷≥≤→、「」\"\\#_·aZ \t\n第年至项条前后百分之零〇一二两三四五六七八九十点万亿元以上下内含不〔〕号属于且或非当给予最高\u3400\u9fff\u00e9😀"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_LEXER_ALPHABET) | st.characters(), max_size=60))
def test_the_first_character_lexer_agrees_with_larks_on_any_text(text: str):
    fast, slow = lexed_both_ways(text)
    assert fast == slow
