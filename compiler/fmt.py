"""`polc fmt`: one canonical layout for .pol files, comments kept where they were.

How it works, and why this way. The AST printer (compiler.printer) cannot be reused: the AST
has no comments, and it groups declarations by kind (enumerations, facts, …), so printing it
would drop the drafter's comments and reorder the file. Instead the formatter is a *layout
pass over the token stream* of a full parse:

1. Lark parses the normalised text with ``keep_all_tokens=True`` (a second parser built from
   the same grammar file), so the tree holds every token — keywords included — in the order
   written. The tree tells each token's role: which tokens start a statement (a header field,
   a declaration, a clause, a clause field, a row of a 分档/分别 table) and at what depth, and
   which ``-`` is a sign rather than a subtraction.
2. The same lexer run with ``dont_ignore=True`` yields the comments with their offsets. A
   comment on a line of its own is kept on a line of its own before the token that followed
   it (indented like that token's line); a comment after code on the same line stays at the
   end of that line. Because comments are anchored to tokens, not to AST nodes, no comment
   can move across code, whatever the grammar does.
3. Layout: statements start lines (indent 0 for the header, declarations and 条款; 2 for
   clause fields; 4 for table rows; a cap after a table on its own line at 2); tokens within
   a statement are joined by one space, with none before ``, : 、 ) ] }`` or after
   ``( [ { 、`` or a sign. Punctuation is half-width (：，（） become :,()), ``*``/``/``/``->``
   become ×/÷/→; strings, 「」 names and comments are kept exactly as written. A blank line in
   the original between statements is kept (several become one) and every 条款 is preceded by
   one; none is kept inside a statement.

Safety: a file that does not parse is never rewritten (there is nothing sound to lay out). The
formatted text is parsed again and must give an AST equal to the original's (spans ignored)
and the same comments in the same order; otherwise it is a compiler bug, reported as such,
and the file is left untouched. Files are replaced atomically with their mode kept.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import tempfile
from pathlib import Path

import attrs
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from .diagnostics import Diagnostic
from .parser import GRAMMAR_PATH, parse
from .source import SourceFile, normalise

# Rules (tree node names, after aliasing) whose tokens start a new line, and its indent.
_TOP = {"policy", "vocabulary", "enum_decl", "fact_decl", "def_decl", "matter_decl", "clause"}
_ROWS = {"level_row", "tier_row", "table_head", "table_row", "band_row", "run_year_row"}  # (the last four: issue 13)
_TABLES = ("a_by_level", "a_by_tier", "a_by_table", "a_by_band", "a_each_tier", "a_upgrade", "a_by_run_year")
_NO_SPACE_BEFORE = {",", ":", "、", ")", "]", "}"}
_NO_SPACE_AFTER = {"(", "[", "{", "、"}
_SIGNED = {"neg", "negative_number", "negative_money"}
_CANONICAL = {"*": "×", "/": "÷", "->": "→"}
_VERBATIM = {"STRING", "QUOTED_NAME", "DOCNO"}  # a 文号 keeps its brackets as written


class FormatBug(Exception):
    """The formatted text does not mean what the original meant: a bug in polc, not the file."""


@functools.cache
def _lark() -> Lark:
    return Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", lexer="basic",
                keep_all_tokens=True, maybe_placeholders=False)


@attrs.frozen
class _Placed:
    token: Token
    text: str
    indent: int | None  # a new line at this indent, or None to continue the line
    signed: bool = False  # a sign: no space after it
    clause: bool = False  # starts a 条款: wants a blank line before it


def _walk(tree: Tree, source_text: str) -> list[_Placed]:
    placed: list[_Placed] = []
    # A cap after a 分别/分档 table goes on its own line; after a formula it stays on the line.
    table_caps = {id(child) for award in tree.iter_subtrees() if award.data in ("f_award", "f_case_by_case")
                  and any(isinstance(c, Tree) and c.data in _TABLES for c in award.children)
                  for child in award.children if isinstance(child, Tree) and child.data == "cap"}

    def visit(node, indent: int | None, signed_parent: bool, clause: bool) -> None:
        if isinstance(node, Token):
            text = source_text[node.start_pos:node.end_pos] if node.type in _VERBATIM else str(node)
            text = _CANONICAL.get(text, text) if node.type not in _VERBATIM else text
            placed.append(_Placed(node, text, indent, signed_parent and text == "-", clause))
            return
        rule = node.data
        start: int | None = None
        if rule in _TOP:
            start = 0
        elif rule.startswith("h_"):
            start = 0
        elif rule.startswith("f_"):
            start = 2
        elif rule in _ROWS:
            start = 4
        elif rule == "cap" and id(node) in table_caps:
            start = 2
        first = True
        for child in node.children:
            visit(child, start if first and start is not None else (indent if first else None),
                  rule in _SIGNED, rule == "clause" if first else False)
            first = False

    visit(tree, 0, False, False)
    return placed


@attrs.frozen
class Formatted:
    text: str | None  # None when the file could not be formatted
    diagnostics: list[Diagnostic]


@attrs.frozen
class _Comment:
    start_pos: int
    end_pos: int
    value: str


# A '#' starts a comment unless it is inside a string or a 「」 name: the only terminals that
# can hold one. Scanning for the three is what the lexer does for comments, without lexing
# every other token again (lexing is most of the time a parse takes).
_COMMENT_SCAN = re.compile(r'"(?:\\.|[^"\\])*"|「[^」\n]+」|#[^\n]*')


def _comments(normalised: str) -> list[_Comment]:
    return [_Comment(m.start(), m.end(), m.group(0)) for m in _COMMENT_SCAN.finditer(normalised)
            if m.group(0).startswith("#")]


def layout(source: SourceFile) -> str:
    """The canonical text of a file that parses (raises lark's UnexpectedInput otherwise)."""
    text = source.text
    normalised = normalise(text)
    placed = _walk(_lark().parse(normalised), text)
    comments = _comments(normalised)
    lines: list[str] = []
    current: list[str] = []  # pieces of the line being built
    state = {"indent": 0, "last_end": 0, "need_break": False, "prev": None}

    def flush() -> None:
        if current:
            lines.append("".join(current).rstrip())
            current.clear()

    def blank_before(start: int, want: bool = False) -> None:
        if lines and (want or text.count("\n", state["last_end"], start) >= 2) and lines[-1] != "":
            lines.append("")

    def own_line_comment(comment: _Comment, indent: int, want_blank: bool) -> None:
        flush()
        blank_before(comment.start_pos, want_blank)
        lines.append(" " * indent + text[comment.start_pos:comment.end_pos].rstrip())
        state["last_end"] = comment.end_pos

    c = 0
    for item in placed:
        token = item.token
        leading = []
        while c < len(comments) and comments[c].start_pos < token.start_pos:
            comment = comments[c]
            on_code_line = state["prev"] is not None and "\n" not in text[state["prev"].end_pos:comment.start_pos]
            if on_code_line:
                current.append("  " + text[comment.start_pos:comment.end_pos].rstrip())
                state["last_end"] = comment.end_pos
                state["need_break"] = True
            else:
                leading.append(comment)
            c += 1
        indent = item.indent if item.indent is not None else state["indent"] + 2
        for n, comment in enumerate(leading):
            own_line_comment(comment, indent, want_blank=item.clause and n == 0)
        if item.indent is not None:
            flush()
            blank_before(token.start_pos, want=item.clause and not leading)
            state["indent"] = item.indent
            current.append(" " * item.indent + item.text)
        elif leading or state["need_break"]:
            flush()
            current.append(" " * indent + item.text)
        else:
            prev = state["prev_item"]
            joined = item.text in _NO_SPACE_BEFORE or prev.text in _NO_SPACE_AFTER or prev.signed
            current.append(("" if joined else " ") + item.text)
        state["need_break"] = False
        state["prev"] = token
        state["prev_item"] = item
        state["last_end"] = token.end_pos
    for comment in comments[c:]:
        on_code_line = state["prev"] is not None and "\n" not in text[state["prev"].end_pos:comment.start_pos]
        if on_code_line:
            current.append("  " + text[comment.start_pos:comment.end_pos].rstrip())
            state["last_end"] = comment.end_pos
            state["prev"] = comment
        else:
            own_line_comment(comment, 0, False)
    flush()
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def format_source(source: SourceFile) -> Formatted:
    """Format one file. Refuses (text None) when the file does not parse; raises FormatBug
    when the result would not parse back to the same AST and comments."""
    original, problems = parse(source)
    if original is None or any(d.is_error for d in problems):
        return Formatted(None, problems)
    try:
        text = layout(source)
    except UnexpectedInput as exc:  # parse() accepted it, so this cannot be the file's fault
        raise FormatBug(f"{source.path}: the layout parser rejected a file the compiler accepts: {exc}") from None
    again, problems_again = parse(SourceFile(source.path, text))
    if again != original:
        raise FormatBug(f"{source.path}: the formatted text does not parse to the same policy "
                        f"({'; '.join(d.message.en for d in problems_again) or 'the ASTs differ'})")
    before = [t.value.rstrip() for t in _comments(normalise(source.text))]
    after = [t.value.rstrip() for t in _comments(normalise(text))]
    if before != after:
        raise FormatBug(f"{source.path}: the formatted text does not keep the comments")
    return Formatted(text, [])


def format_text(text: str, path: str = "<stdin>") -> Formatted:
    return format_source(SourceFile(path, text.replace("\r\n", "\n").lstrip("\ufeff")))


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"{path}（原文）", tofile=f"{path}（格式化后）"))


def write_atomically(path: str, text: str) -> None:
    """Replace path by text, or leave it alone: a temporary file beside it, then a rename.
    The file keeps its permissions (a new file gets the default mode under the umask)."""
    target = Path(path)
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
