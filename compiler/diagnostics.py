"""Diagnostics: stable codes, bilingual messages, and rendering with a correct marker.

Every problem a user can fix is a Diagnostic, never an exception. A diagnostic has a
stable code (E… error, W… warning, I… information), a message in Chinese and English, a
main span, and optionally notes and a suggestion. Rendering places the marker by display
width (full-width characters take two columns), which Lark's own get_context does not do.
"""

from __future__ import annotations

import json
from typing import Iterable

import attrs

from .source import SourceFile, Span, display_width

ERROR = "error"
WARNING = "warning"
INFO = "info"

_SEVERITY_WORD = {
    "zh": {ERROR: "错误", WARNING: "警告", INFO: "提示"},
    "en": {ERROR: "error", WARNING: "warning", INFO: "info"},
}
_LABELS = {
    "zh": {"expected": "期望", "suggestion": "建议", "note": "说明"},
    "en": {"expected": "expected", "suggestion": "suggestion", "note": "note"},
}


@attrs.frozen
class Message:
    """The same message in both languages: Chinese first, English available."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@attrs.frozen
class Diagnostic:
    code: str
    severity: str
    message: Message
    span: Span | None
    expected: Message | None = None
    suggestion: Message | None = None
    notes: tuple[Message, ...] = ()
    # A fix checked to parse, as edits of the source text: (start offset, end offset, new text).
    # The suggestion says it in words; editors (the language server) apply it.
    fix: tuple[tuple[int, int, str], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def sort_key(self) -> tuple:
        span = self.span
        where = (span.path, span.line, span.column) if span else ("", 0, 0)
        return (*where, self.code, self.message.zh)


def error(code: str, span: Span | None, zh: str, en: str, **extra) -> Diagnostic:
    return Diagnostic(code, ERROR, Message(zh, en), span, **extra)


def warning(code: str, span: Span | None, zh: str, en: str, **extra) -> Diagnostic:
    return Diagnostic(code, WARNING, Message(zh, en), span, **extra)


def info(code: str, span: Span | None, zh: str, en: str, **extra) -> Diagnostic:
    return Diagnostic(code, INFO, Message(zh, en), span, **extra)


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    unique = {(d.sort_key(), d.severity): d for d in diagnostics}
    return [unique[key] for key in sorted(unique)]


def _marker_line(line_text: str, span: Span) -> str:
    """Spaces up to the span's first column, then carets as wide as the span's text."""
    line_text = line_text.replace("\t", " ")
    start = span.column - 1
    if span.end_line == span.line:
        end = max(span.end_column - 1, start + 1)
    else:
        end = max(len(line_text), start + 1)
    covered = line_text[start:end] or " "
    return " " * display_width(line_text[:start]) + "^" * max(display_width(covered), 1)


def render(diagnostic: Diagnostic, sources: dict[str, SourceFile], lang: str = "zh") -> str:
    """Human form: header, location, gutter with the source line, marker, then extras."""
    word = _SEVERITY_WORD[lang][diagnostic.severity]
    labels = _LABELS[lang]
    out = [f"{word}[{diagnostic.code}]: {diagnostic.message.get(lang)}"]
    span = diagnostic.span
    if span is not None:
        out.append(f"  --> {span.path}:{span.line}:{span.column}")
        source = sources.get(span.path)
        if source is not None:
            line_text = source.line(span.line).replace("\t", " ")
            gutter = " " * len(str(span.line))
            out.append(f"{gutter} |")
            out.append(f"{span.line} | {line_text}")
            out.append(f"{gutter} | {_marker_line(line_text, span)}")
    for note in diagnostic.notes:
        out.append(f"  = {labels['note']}: {note.get(lang)}")
    if diagnostic.expected is not None:
        out.append(f"  = {labels['expected']}: {diagnostic.expected.get(lang)}")
    if diagnostic.suggestion is not None:
        out.append(f"  = {labels['suggestion']}: {diagnostic.suggestion.get(lang)}")
    return "\n".join(out)


def render_all(diagnostics: list[Diagnostic], sources: dict[str, SourceFile], lang: str = "zh") -> str:
    blocks = [render(d, sources, lang) for d in diagnostics]
    errors = sum(d.is_error for d in diagnostics)
    warnings = sum(d.severity == WARNING for d in diagnostics)
    if lang == "en":
        summary = f"{errors} error(s), {warnings} warning(s)"
    else:
        summary = f"{errors} 个错误，{warnings} 个警告"
    return "\n\n".join(blocks + [summary]) + "\n"


def to_json(diagnostics: list[Diagnostic], lang: str = "zh") -> str:
    rows = []
    for d in diagnostics:
        span = d.span
        rows.append({
            "code": d.code,
            "severity": d.severity,
            "message": d.message.get(lang),
            "file": span.path if span else None,
            "line": span.line if span else None,
            "column": span.column if span else None,
            "end_line": span.end_line if span else None,
            "end_column": span.end_column if span else None,
            "expected": d.expected.get(lang) if d.expected else None,
            "suggestion": d.suggestion.get(lang) if d.suggestion else None,
            "notes": [n.get(lang) for n in d.notes],
        })
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def to_sarif(diagnostics: list[Diagnostic], lang: str = "zh") -> str:
    """SARIF 2.1.0, for code scanning: one run, one rule per code, one result per diagnostic."""
    from . import __version__
    from .explain import EXPLANATIONS
    level = {ERROR: "error", WARNING: "warning", INFO: "note"}
    codes = sorted({d.code for d in diagnostics})
    rules = []
    for code in codes:
        zh, en, _bad, _fixed = EXPLANATIONS.get(code, ("", "", "", ""))
        rules.append({"id": code, "shortDescription": {"text": en if lang == "en" else zh},
                      "helpUri": None, "help": {"text": f"polc explain {code}"}})
        rules[-1].pop("helpUri")
    results = []
    for d in diagnostics:
        result = {"ruleId": d.code, "ruleIndex": codes.index(d.code), "level": level[d.severity],
                  "message": {"text": d.message.get(lang)}}
        if d.span is not None:
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": d.span.path},
                "region": {"startLine": d.span.line, "startColumn": d.span.column,
                           "endLine": d.span.end_line, "endColumn": d.span.end_column}}}]
        results.append(result)
    log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "polc", "version": __version__, "rules": rules}},
                     "results": results}]}
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


def _escape_github(text: str, property_: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def to_github(diagnostics: list[Diagnostic], lang: str = "zh") -> str:
    """GitHub Actions workflow commands: an annotation on the exact line of each diagnostic."""
    command = {ERROR: "error", WARNING: "warning", INFO: "notice"}
    lines = []
    for d in diagnostics:
        message = d.message.get(lang)
        if d.suggestion is not None:
            message += "\n" + d.suggestion.get(lang)
        props = [f"title={_escape_github('polc ' + d.code, True)}"]
        if d.span is not None:
            props = [f"file={_escape_github(d.span.path, True)}", f"line={d.span.line}", f"col={d.span.column}",
                     f"endLine={d.span.end_line}", f"endColumn={d.span.end_column}", *props]
        lines.append(f"::{command[d.severity]} {','.join(props)}::{_escape_github(message)}")
    return "\n".join(lines) + ("\n" if lines else "")
