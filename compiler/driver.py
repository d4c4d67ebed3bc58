"""The driver: one function per pass, chained by the CLI (parse -> check -> generate -> write).

Nothing here prints; functions return values and diagnostics so the CLI and the tests
can use the same steps.
"""

from __future__ import annotations

import linecache
import os
import sys
import tempfile
import types
from pathlib import Path

import attrs

from . import ast, checks, runtime
from .diagnostics import Diagnostic, Message, error, sorted_diagnostics
from .parser import parse
from .source import SourceFile
from .to_python import module_name, to_python


class UsageError(Exception):
    """Bad command-line use: a path that does not exist, a file that is not .pol (exit 2)."""


def discover(paths: list[str]) -> list[str]:
    """The .pol files named by paths (directories searched recursively), sorted, unique."""
    found: list[str] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            found.extend(str(f) for f in sorted(p.rglob("*.pol")))
        elif p.is_file():
            found.append(str(p))
        else:
            raise UsageError(f"找不到文件或目录：{path} / no such file or directory: {path}")
    return sorted(dict.fromkeys(_shown_path(f) for f in found))


def _shown_path(path: str) -> str:
    """Paths under the working directory are shown relative to it, with / separators, so
    generated files name their source the same way on every machine."""
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


@attrs.define
class Project:
    """Everything read from a set of .pol files, with what the checks found."""

    sources: dict[str, SourceFile]
    policies: list[ast.Policy]
    diagnostics: list[Diagnostic]
    overlaps: list = attrs.Factory(list)  # compiler.overlaps.Overlap, across all files

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def findings_for(self, policy: ast.Policy) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.span is not None and d.span.path == policy.path]


class _Reader:
    """Reads and parses each file once, policies and the vocabularies they import alike."""

    def __init__(self):
        self.sources: dict[str, SourceFile] = {}
        self.parsed: dict[str, object] = {}
        self.found: list[Diagnostic] = []

    def read(self, path: str):
        if path in self.parsed:
            return self.parsed[path]
        try:
            source = SourceFile.read(path)
        except (OSError, UnicodeDecodeError) as exc:
            self.found.append(error("E000", None, f"无法读取 {path}：{exc}", f"cannot read {path}: {exc}"))
            self.parsed[path] = None
            return None
        self.sources[path] = source
        tree, problems = parse(source)
        self.found.extend(problems)
        if isinstance(tree, ast.Vocabulary):
            self.found.extend(checks.check_vocabulary(tree))
        self.parsed[path] = tree
        return tree

    def resolve_imports(self, policy: ast.Policy) -> ast.Policy:
        """Merge the vocabularies a policy imports (引用 "…", relative to the policy file).

        An import must name a .pol file inside the policy's own folder or below it, after
        symbolic links are followed: `引用 "../../../etc/passwd"` or an absolute path is refused
        before anything is opened, so a draft can never make polc read, or echo, other files."""
        merged = []
        for index, wanted in enumerate(policy.imports):
            span = policy.import_spans[index] if index < len(policy.import_spans) else policy.span
            path, refused = _import_path(policy.path, wanted)
            if refused is not None:
                self.found.append(error("E016", span, refused.zh, refused.en, notes=(Message(
                    "引用的词汇文件必须是政策文件所在目录（或其子目录）中的 .pol 文件",
                    "an imported vocabulary must be a .pol file in the policy's folder or below it"),)))
                continue
            if not Path(path).is_file():
                self.found.append(error("E016", span, f"找不到引用的词汇文件「{wanted}」（{path}）",
                                        f"the imported vocabulary {wanted!r} was not found ({path})"))
                continue
            tree = self.read(path)
            if isinstance(tree, ast.Policy):
                self.found.append(error("E016", span, f"「{wanted}」是政策，不是词汇文件（应以「词汇」开头）",
                                        f"{wanted!r} is a policy, not a vocabulary (it should start with 词汇)"))
            elif tree is not None:
                merged.append(tree)
        if not merged:
            return policy
        vocabulary = ast.Vocabulary(
            "、".join(v.name for v in merged), merged[0].path,
            *(tuple(d for v in merged for d in getattr(v, kind)) for kind in ("enums", "facts", "defs", "matters")))
        return attrs.evolve(policy, vocabulary=vocabulary)


def _import_path(policy_path: str, wanted: str) -> tuple[str, Message | None]:
    """The file an import names, shown as polc shows paths, or why it is refused."""
    root = Path(policy_path).resolve().parent
    written = Path(wanted)
    if not wanted or written.is_absolute() or wanted.startswith(("/", "\\")) or (len(wanted) > 1 and wanted[1] == ":"):
        return "", Message(f"引用「{wanted}」不是相对于政策文件所在目录的路径", f"the import {wanted!r} is not a path relative to the policy's folder")
    target = (root / written).resolve()
    if not target.is_relative_to(root):
        return "", Message(f"引用「{wanted}」指向政策文件所在目录之外", f"the import {wanted!r} points outside the policy's folder")
    if written.suffix != ".pol":
        return "", Message(f"引用「{wanted}」不是 .pol 文件", f"the import {wanted!r} is not a .pol file")
    return _shown_path(str(target)), None


def load(paths: list[str], overlaps: bool = True) -> Project:
    """Read, parse and check. overlaps=False skips the cross-file overlap analysis, which
    evaluating and running examples do not need."""
    reader = _Reader()
    policies = []
    for path in discover(paths):
        tree = reader.read(path)
        if isinstance(tree, ast.Policy):
            policy = reader.resolve_imports(tree)
            policies.append(policy)
            reader.found.extend(checks.check_policy(policy))
    reader.found.extend(checks.check_policies(policies))
    skip = not overlaps or any(d.is_error for d in reader.found)
    found_overlaps = [] if skip else checks.find_overlaps(policies)
    reader.found.extend(checks.check_overlaps_across(found_overlaps))
    return Project(reader.sources, policies, sorted_diagnostics(reader.found), found_overlaps)


# ---------------------------------------------------------------- generating
def outputs(project: Project) -> dict[str, str]:
    """File name -> content for every generated file (nothing is written here)."""
    from .to_markdown import index, to_markdown
    files = {}
    for policy in project.policies:
        name = module_name(policy.path)
        files[f"{name}.py"] = to_python(policy)
        files[f"{name}.md"] = to_markdown(policy, project.findings_for(policy), project.overlaps)
    if project.policies:
        files["README.md"] = index(project.policies)
    return dict(sorted(files.items()))


def write_atomically(out_dir: str, files: dict[str, str]) -> None:
    """Write every file, or none: all contents go to temporary files first, then each is
    renamed over its target (os.replace is atomic on one filesystem)."""
    os.makedirs(out_dir, exist_ok=True)
    staged = []
    try:
        for name, content in files.items():
            handle, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(content)
            staged.append((temp, os.path.join(out_dir, name)))
    except BaseException:
        for temp, _target in staged:
            os.unlink(temp)
        raise
    for temp, target in staged:
        os.replace(temp, target)


def stale(out_dir: str, files: dict[str, str]) -> list[str]:
    """Generated files that are missing or differ from what a build would write."""
    problems = []
    for name, content in files.items():
        path = Path(out_dir) / name
        if not path.exists():
            problems.append(f"{path}：缺失 / missing")
        elif path.read_text(encoding="utf-8") != content:
            problems.append(f"{path}：已过期 / stale")
    return problems


def load_module(policy: ast.Policy) -> types.ModuleType:
    """Compile a policy's generated module in memory (as `polc build` would write it)."""
    name = module_name(policy.path)
    source = to_python(policy)
    filename = f"<polc:{name}.py>"
    module = types.ModuleType(name)
    module.__file__ = filename
    # Registered with linecache so a traceback through generated code shows its lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


# ---------------------------------------------------------------- examples
@attrs.frozen
class CaseOutcome:
    policy: ast.Policy
    clause: ast.Clause
    case: ast.Case
    ok: bool
    expected: str
    actual: str
    detail: tuple[str, ...] = ()


def case_facts(case: ast.Case) -> dict:
    """An example's facts as the runtime takes them (typed values, not JSON)."""
    def value(node):
        if isinstance(node, ast.SeriesValue):
            return {year: value(item) for year, item in node.entries}
        if isinstance(node, ast.ItemsValue):
            return [value(item) for item in node.values]
        if isinstance(node, ast.EnumValue):
            return node.name.text
        if isinstance(node, (ast.Money, ast.Percent, ast.Number, ast.Bool, ast.DateValue, ast.YearValue)):
            return node.value
        raise TypeError(node)
    return {name.text: value(v) for name, v in case.facts}


def describe_result(result) -> str:
    if result.applies is None:
        return "无法判定"
    if result.applies is False:
        return "不适用"
    award = result.award
    fmt = runtime.format_money
    if award is None:  # a MODIFIER clause that applies
        return "适用（系数）"
    if award.kind == "routing":
        return f"由 {award.note} 审定"
    return {"exact": lambda: fmt(award.min), "up_to": lambda: f"最高 {fmt(award.max)}",
            "range": lambda: f"{fmt(award.min)} 至 {fmt(award.max)}",
            "case_by_case": lambda: "一事一议", "unspecified": lambda: "金额未定"}[award.kind]()


def describe_expected(expected: ast.Expected) -> str:
    fmt = runtime.format_money
    if expected.kind == "exact":
        return fmt(expected.low.value)
    if expected.kind == "up_to":
        return f"最高 {fmt(expected.high.value)}"
    if expected.kind == "range":
        return f"{fmt(expected.low.value)} 至 {fmt(expected.high.value)}"
    if expected.kind == "routing":
        return f"由 {expected.approver} 审定"
    return {"applies": "适用（系数）", "case_by_case": "一事一议", "unspecified": "金额未定", "not_applicable": "不适用",
            "undecidable": "无法判定"}[expected.kind]


def run_cases(policy: ast.Policy) -> list[CaseOutcome]:
    """Run every example through the generated module and through the interpreter.

    An example passes when the generated code gives the expected result; a disagreement
    between the generated code and the interpreter is reported as a compiler bug.
    """
    from . import interpreter
    module = load_module(policy)
    reference = {(s.article, s.item): s for s in interpreter.clause_specs(policy)}
    generated = {(s.article, s.item): s for s in module.CLAUSES}
    info = interpreter.policy_info(policy)
    outcomes = []
    for clause in interpreter.paying_clauses(policy):
        for case in clause.cases:
            if case.expected is None:
                continue
            facts = case_facts(case)
            on = case.on.value if case.on else (policy.effective_from.value if policy.effective_from else None)
            key = (clause.article, clause.item)
            got = module.evaluate_clauses(module.POLICY, [generated[key]], facts, on)[0]
            ref = runtime.evaluate_clauses(info, [reference[key]], facts, on)[0]
            actual, wanted = describe_result(got), describe_expected(case.expected)
            detail = (f"原因：{got.reason}", *(f"  {line}" for line in runtime.render_trace(got.trace)))
            if got.to_json() != ref.to_json():
                outcomes.append(CaseOutcome(policy, clause, case, False, wanted, actual,
                                            ("编译器错误：生成代码与解释器结果不一致 / compiler bug: generated code and interpreter disagree",
                                             f"解释器 / interpreter: {describe_result(ref)}", *detail)))
                continue
            outcomes.append(CaseOutcome(policy, clause, case, actual == wanted, wanted, actual, detail))
    return outcomes
