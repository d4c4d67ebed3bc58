"""The VS Code extension: its TextMate grammar covers every keyword of grammar/polc.lark and
tokenises the shipped policies, checked in Python (no node needed).

The grammar keeps to the regex subset Oniguruma (VS Code) and Python's re share: character
classes written with literal CJK characters, (?:…), fixed-width (?<!…) and (?!…), so the
same patterns compile here unchanged."""

import json
import re

import pytest

from compiler import fmt
from compiler.source import normalise
from conftest import ROOT

EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((EXTENSION / "syntaxes" / "polc.tmLanguage.json").read_text(encoding="utf-8"))
KEYWORD_SCOPES = ("storage.type", "support.type", "keyword.", "constant.language")
CJK_LITERAL = re.compile(r'"([\u3400-\u9fff]+)"')


def _lark_keywords() -> set[str]:
    """Every quoted Chinese string in the Lark grammar file, read from the file itself."""
    text = (ROOT / "grammar" / "polc.lark").read_text(encoding="utf-8")
    text = re.sub(r"//[^\n]*", "", text)  # comments quote words too
    return set(CJK_LITERAL.findall(text))


class Tokeniser:
    """A small TextMate tokeniser: at each point the pattern matching earliest wins (ties go
    to the first listed); begin/end rules carry over to the next line."""

    def __init__(self, grammar: dict):
        self.repository = grammar["repository"]
        self.rules = self._flatten(grammar["patterns"])

    def _flatten(self, patterns):
        rules = []
        for pattern in patterns:
            if "include" in pattern:
                rules.extend(self._flatten([self.repository[pattern["include"][1:]]]))
            elif "match" in pattern or "begin" in pattern:
                compiled = dict(pattern)
                for key in ("match", "begin", "end"):
                    if key in pattern:
                        compiled[key] = re.compile(pattern[key])
                rules.append(compiled)
            else:
                rules.extend(self._flatten(pattern["patterns"]))
        return rules

    @staticmethod
    def _end(rule, line: str, position: int):
        """The end of a begin/end rule, skipping what its inner patterns (escapes) match."""
        inner = [re.compile(p["match"]) for p in rule.get("patterns", [])]
        while position <= len(line):
            end = rule["end"].search(line, position)
            escape = min((m for m in (r.search(line, position) for r in inner) if m), key=lambda m: m.start(),
                         default=None)
            if end is None or escape is None or end.start() < escape.start():
                return end
            position = escape.end()
        return None

    def lines(self, text: str):
        """Yield per line a list of (start, end, scope); unclassified text has no entry."""
        inside = None
        for line in text.split("\n"):
            tokens, position = [], 0
            while position < len(line):
                if inside is not None:
                    end = self._end(inside, line, position)
                    stop = end.end() if end else len(line)
                    tokens.append((position, stop, inside["name"]))
                    position = stop
                    if end:
                        inside = None
                    continue
                best = None
                for rule in self.rules:
                    found = (rule.get("match") or rule["begin"]).search(line, position)
                    if found and found.end() > found.start() and (best is None or found.start() < best[1].start()):
                        best = (rule, found)
                if best is None:
                    break
                rule, found = best
                if "begin" in rule:
                    end = self._end(rule, line, found.end())
                    tokens.append((found.start(), end.end() if end else len(line), rule["name"]))
                    position = end.end() if end else len(line)
                    inside = None if end else rule
                else:
                    tokens.append((found.start(), found.end(), rule["name"]))
                    position = found.end()
            yield line, tokens


TOKENISER = Tokeniser(GRAMMAR)


def _scope_of(text: str) -> list[tuple[str, str]]:
    ((line, tokens),) = list(TOKENISER.lines(text))
    return [(line[s:e], scope) for s, e, scope in tokens]


def test_committed_grammar_is_what_the_generator_writes():
    """After a keyword is added to grammar/polc.lark: python editors/vscode/generate_grammar.py"""
    import importlib.util
    spec = importlib.util.spec_from_file_location("generate_grammar", EXTENSION / "generate_grammar.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.lark_keywords() == _lark_keywords()
    written = (EXTENSION / "syntaxes" / "polc.tmLanguage.json").read_text(encoding="utf-8")
    assert written == generator.render(), "run: python editors/vscode/generate_grammar.py"


def test_grammar_file_lists_the_lark_keywords_it_must_cover():
    words = _lark_keywords()
    assert {"条款", "给予", "首次超过", "定义事项", "每项最高", "就高不重复"} <= words
    assert len(words) > 100


@pytest.mark.parametrize("word", sorted(_lark_keywords()))
def test_every_keyword_of_the_lark_grammar_is_highlighted_as_a_keyword(word):
    tokens = _scope_of(f"  {word} ")
    assert tokens and tokens[0][0] == word and tokens[0][1].startswith(KEYWORD_SCOPES), tokens


def test_keywords_inside_names_are_not_highlighted():
    assert _scope_of("当年营收") == [("当年营收", "variable.other.polc")]
    assert _scope_of("当 年营业收入 首次超过 30亿元") == [
        ("当", "keyword.other.polc"), ("年营业收入", "variable.other.polc"),
        ("首次超过", "keyword.operator.comparison.polc"), ("30亿元", "constant.numeric.money.polc")]


def test_literals_names_strings_and_comments():
    tokens = dict(_scope_of('施行日期 2020年1月1日 「5A级」 "原文 # 不是注释" 5% 150元/平方米 3年 # 注释'))
    assert tokens["2020年1月1日"] == "constant.other.date.polc"
    assert tokens["「5A级」"] == "variable.other.quoted.polc"
    assert tokens['"原文 # 不是注释"'] == "string.quoted.double.polc"
    assert tokens["5%"] == "constant.numeric.percent.polc"
    assert tokens["150元/平方米"] == "constant.numeric.money.polc"
    assert tokens["3年"] == "constant.numeric.year.polc"
    assert tokens["# 注释"] == "comment.line.number-sign.polc"
    assert dict(_scope_of("政策 嘉政发〔2020〕6号"))["嘉政发〔2020〕6号"] == "constant.other.docno.polc"


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*.pol")), ids=lambda p: p.name)
def test_shipped_policies_tokenise_with_every_keyword_classified(path):
    text = path.read_text(encoding="utf-8")
    lines = list(TOKENISER.lines(text))
    starts = [0]
    for line, _ in lines:
        starts.append(starts[-1] + len(line) + 1)
    scope_at: dict[int, tuple[int, str]] = {}
    for number, (line, tokens) in enumerate(lines):
        covered = [False] * len(line)
        for start, end, scope in tokens:
            scope_at[starts[number] + start] = (starts[number] + end, scope)
            covered[start:end] = [True] * (end - start)
        loose = "".join(ch for ch, seen in zip(line, covered) if not seen)
        assert loose.strip() == "", f"{path.name}:{number + 1}: unclassified {loose.strip()!r}"
    # Every keyword the compiler's own lexer finds gets a keyword scope over exactly its text.
    keywords = _lark_keywords()
    for token in fmt._lark().lex(normalise(text)):
        if token.value in keywords and token.type not in ("NAME", "QUOTED_NAME", "STRING"):
            end, scope = scope_at.get(token.start_pos, (None, ""))
            assert end == token.end_pos and scope.startswith(KEYWORD_SCOPES), (path.name, token.line, token.value, scope)


def test_package_wires_the_language_grammar_snippets_and_client():
    package = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    (language,) = package["contributes"]["languages"]
    assert language["extensions"] == [".pol"] and language["id"] == "polc"
    assert (EXTENSION / language["configuration"]).is_file()
    (grammar,) = package["contributes"]["grammars"]
    assert grammar["scopeName"] == GRAMMAR["scopeName"] and (EXTENSION / grammar["path"]).is_file()
    snippets = json.loads((EXTENSION / package["contributes"]["snippets"][0]["path"]).read_text(encoding="utf-8"))
    assert {"条款", "分档", "案例"} <= set(snippets)
    assert "vscode-languageclient" in package["dependencies"]
    client = (EXTENSION / package["main"]).read_text(encoding="utf-8")
    assert 'args: ["lsp"]' in client and "LanguageClient" in client
    configuration = json.loads((EXTENSION / "language-configuration.json").read_text(encoding="utf-8"))
    assert configuration["comments"]["lineComment"] == "#"
    assert ["「", "」"] in configuration["brackets"] and ["（", "）"] in configuration["brackets"]


def test_snippets_expand_to_drafts_that_parse():
    """Each snippet with its placeholders filled by their defaults is valid polc."""
    from compiler.parser import parse_text
    snippets = json.loads((EXTENSION / "snippets" / "polc.json").read_text(encoding="utf-8"))

    def expand(body: list[str]) -> str:
        text = "\n".join(body)
        text = re.sub(r"\$\{\d+\|([^,|]+)[^}]*\}", r"\1", text)  # choices: the first
        text = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", text)  # placeholders: their default
        return re.sub(r"\$\d+", "", text)

    head = "政策 嘉政发〔2020〕99号\n"
    clause = expand(snippets["条款"]["body"])
    tiers = "条款 第二条\n  " + expand(snippets["分档"]["body"])
    case = "条款 第三条\n  给予 10万元\n  " + expand(snippets["案例"]["body"])
    fact = expand(snippets["事实"]["body"])
    for draft in (head + clause, head + tiers, head + case, head + fact):
        tree, problems = parse_text(draft)
        assert tree is not None, (draft, problems)
