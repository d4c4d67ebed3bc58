"""Escaping user text for the place it lands in a Markdown summary.

Titles, names, 原文 sentences, notes and file names come from .pol files; none of it may
become markup. Each function takes plain text and returns Markdown that renders as that text
(CommonMark and GitHub Flavoured Markdown) in one context. They are the templates' filters,
and every `{{ … }}` in compiler/templates/ goes through one (tests/test_markdown.py checks).

- inline: running text in a paragraph or list item. ASCII punctuation that Markdown reads
  is backslash-escaped, < > & become entities (so <script> is text), a newline becomes
  <br> (the only markup we add), and a line cannot start a block (# heading, > quote,
  - list, 1. list) because its first character is escaped too.
- cell: inline, and | is escaped so the text stays in its table cell.
- heading: inline on one line (a newline would end the heading).
- code: a code span fenced with more backticks than the text holds.
- comment: inside <!-- -->, where only -- and line breaks matter.
- link_text / link_target: [text](target) with brackets escaped and the target
  percent-encoded (a relative path of ours, never a scheme from the source).
"""

from __future__ import annotations

import re
from urllib.parse import quote

# Characters CommonMark or GitHub read inline (emphasis, code, links, tables, strikethrough,
# math, headings). Parentheses need no escape once [ ] are escaped; any ASCII punctuation may
# be backslash-escaped, but escaping only these keeps the committed Markdown readable.
# An _ between two letters or digits cannot open emphasis (CommonMark's flanking rules), so
# jzf_2020_06 stays as written.
_INLINE_SPECIAL = re.compile(r"([\\`*\[\]|~$#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_LINE_START = re.compile(r"^(\s*)([-+]|\d+[.)])")


def _one_line(text: str) -> list[str]:
    return str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _escape_line(line: str) -> str:
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    line = _INLINE_SPECIAL.sub(r"\\\1", line)
    # Text may start a list item: a leading - or + or "1." would open a nested list.
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], line)


def inline(text: str) -> str:
    return "<br>".join(_escape_line(line) for line in _one_line(text))


def cell(text: str) -> str:
    return inline(text)  # | is escaped by inline already (it matters only in tables)


def heading(text: str) -> str:
    return " ".join(_escape_line(line) for line in _one_line(text) if line.strip()) or "\\-"


def code(text: str, in_table: bool = False) -> str:
    """Backslashes are literal inside a code span, except that a table still splits at |
    unless it is written \\| (GitHub removes the backslash there): hence in_table."""
    body = " ".join(_one_line(text))
    if in_table:
        body = body.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def comment(text: str) -> str:
    """Text inside an HTML comment: it ends at the first -->, and "--" is not allowed, so
    every hyphen in a run of two or more is written %2D; line breaks are written %0A."""
    text = str(text).replace("\r", "%0D").replace("\n", "%0A")
    return re.sub(r"-{2,}", lambda m: "%2D" * len(m.group()), text).replace("<!", "<%21")


def link_text(text: str) -> str:
    return inline(text)


def link_target(target: str) -> str:
    """A relative link of ours (path and #L12 anchor): characters outside a URL's own are
    percent-encoded, so a file name cannot close the link or smuggle a scheme."""
    path, _hash, anchor = str(target).partition("#")
    encoded = quote(path, safe="/._-~")
    if ":" in path.split("/")[0]:  # never a scheme: ./ keeps "javascript:x" a relative path
        encoded = "./" + encoded
    return encoded + (f"#{quote(anchor, safe='')}" if anchor else "")


def code_cell(text: str) -> str:
    return code(text, in_table=True)


FILTERS = {"inline": inline, "cell": cell, "heading": heading, "code": code, "code_cell": code_cell, "comment": comment,
           "link_text": link_text, "link_target": link_target}
