"""The driver: one function per pass, chained by the CLI (parse -> check -> generate -> write).

Nothing here prints; functions return values and diagnostics so the CLI and the tests
can use the same steps.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import gc
import linecache
import os
import re
import signal
import sys
import tempfile
import threading
import types
from pathlib import Path

import attrs

from . import law  # the law beside the code: 来源 and the source checks
from . import ast, checks, runtime
from .diagnostics import Diagnostic, Message, error, sorted_diagnostics
from .parse_cache import parse, parse_kept  # parse: the parser, imported when a file is parsed
from .source import DecodeError, SourceFile, read_bounded
from .paths import module_name, module_name_problem
from . import model  # the lowered model: what the backends read
from .lower import is_evaluated, lower, lower_overlaps


# Finding files and naming them (light: the fast path of `polc eval` uses them without the compiler).
from .paths import PROJECT_MARKERS, UsageError, _shown_path, _walk, discover, embedded_path, project_root  # noqa: E402,F401


def check_module_names(policies: list[ast.Policy]) -> list[Diagnostic]:
    """Each policy must get its own generated module, and not one that shadows a file that
    is not ours to replace (E095 two files, one module; E096 a reserved name). Compared
    case-insensitively, as the file systems of macOS and Windows do."""
    found = []
    owner: dict[str, ast.Policy] = {}
    for policy in policies:
        name = module_name(policy.path)
        if module_name_problem(name) is not None:
            found.append(error("E096", policy.span,
                               f"文件名 {Path(policy.path).name} 生成的模块名「{name}」是保留名（标准库、关键字、"
                               f"索引 README 或 polc 自身），会覆盖或遮蔽它：请改文件名，如 policy-{Path(policy.path).stem}.pol",
                               f"the file name {Path(policy.path).name} gives the module name {name!r}, which is reserved "
                               f"(standard library, keyword, the README index or polc itself): rename the file, "
                               f"e.g. policy-{Path(policy.path).stem}.pol"))
            continue
        first = owner.setdefault(name.casefold(), policy)
        if first is not policy:
            found.append(error("E095", policy.span,
                               f"{policy.path} 与 {first.path} 生成同一个模块「{name}」，一个会覆盖另一个：请改其中一个文件名",
                               f"{policy.path} and {first.path} both give the module {name!r}, and one would "
                               f"overwrite the other: rename one of the files"))
    return found


def _read_failure(exc: Exception) -> tuple[str, str]:
    """Why a source could not be read, in both languages (the OS gives English only)."""
    from .source import MAX_SOURCE_BYTES
    if not isinstance(exc, OSError):
        return f"不是 UTF-8 文本（{exc}）", f"not UTF-8 text ({exc})"
    en = exc.strerror or str(exc)
    zh = {errno.EINVAL: "不是普通文件", errno.EFBIG: f"文件超过 {MAX_SOURCE_BYTES} 字节",
          errno.ELOOP: "符号链接循环", errno.ENOENT: "文件不存在", errno.EACCES: "没有读取权限",
          errno.EISDIR: "是目录"}.get(exc.errno, en)
    return zh, en


@attrs.define
class Project:
    """Everything read from a set of .pol files, with what the checks found."""

    sources: dict[str, SourceFile]
    policies: list[ast.Policy]
    diagnostics: list[Diagnostic]
    overlaps: list = attrs.Factory(list)  # compiler.overlaps.Overlap, across all files
    # Each policy lowered once (model.PolicyModel), keyed by the policy's identity and whether
    # its path is the one generated files show (embedded_path).
    _models: dict = attrs.field(factory=dict, init=False, repr=False, eq=False)

    def model(self, policy: ast.Policy, embedded: bool = False) -> model.PolicyModel:
        """The policy's lowered model; embedded: named by its path from the project root, as
        `polc build` writes it into generated files."""
        key = (id(policy), embedded)
        if key not in self._models:
            shown = attrs.evolve(policy, path=embedded_path(policy.path)) if embedded else policy
            self._models[key] = (policy, lower(shown))
        return self._models[key][1]

    def model_overlaps(self, embedded: bool = False) -> list[model.Overlap]:
        """The overlaps found (on the AST, by the checks) with each side's policy and clause
        models, for the summaries."""
        return lower_overlaps(self.overlaps, self.policies, lambda policy: self.model(policy, embedded))

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def findings_for(self, policy: ast.Policy) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.span is not None and d.span.path == policy.path]


class _Reader:
    """Reads and parses each file once, policies and the vocabularies they import alike."""

    def __init__(self, encoding: str | None = None):
        self.encoding = encoding  # --encoding; None reads by BOM, else UTF-8, else GB18030
        self.sources: dict[str, SourceFile] = {}
        self.parsed: dict[str, object] = {}
        self.found: list[Diagnostic] = []

    def read(self, path: str):
        if path in self.parsed:
            return self.parsed[path]
        try:
            source = SourceFile.read(path, self.encoding)
        except DecodeError as exc:
            self.found.append(error("E000", None, exc.zh, exc.en))
            self.parsed[path] = None
            return None
        except (OSError, UnicodeDecodeError) as exc:
            zh, en = _read_failure(exc)
            self.found.append(error("E000", None, f"无法读取 {path}：{zh}", f"cannot read {path}: {en}"))
            self.parsed[path] = None
            return None
        return self.take(path, source, from_disk=True)

    def take(self, path: str, source: SourceFile, from_disk: bool = False):
        """Parse a source read from path (from disk, or an editor's buffer) and keep it.
        A file from disk that parsed before is taken from the cache (compiler/parse_cache.py)."""
        self.sources[path] = source
        tree, problems = parse_kept(source) if from_disk else parse(source)
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
    # Named as written (not resolved), so readers that look files up by name (an editor's
    # unsaved buffers) find it; the resolved path only decides whether it is inside.
    return _shown_path(str(Path(policy_path).parent / written)), None


def load(paths: list[str], overlaps: bool = True, encoding: str | None = None, one_shot: bool = False) -> Project:
    """Read, parse and check. overlaps=False skips the cross-file overlap analysis, which
    evaluating and running examples do not need. encoding: of the .pol files (--encoding).
    one_shot: the process ends soon after using the project (a command such as `polc check`,
    not the language server or the HTTP service): what loading allocated is then left out of
    the cycle collector's later passes (see _no_cycle_collection)."""
    with _no_cycle_collection(freeze=one_shot):
        return _load(paths, overlaps, encoding)


@contextlib.contextmanager
def _no_cycle_collection(freeze: bool = False):
    """Python's cycle collector off while loading. Nearly everything loading allocates lives
    until the end (the ASTs, their spans, the overlap analysis) and its garbage holds no
    cycles (reference counting frees it), yet every full collection walks all of it again:
    a fifth of the time at 5,000 clauses, and growing faster than the input
    (bench/check_bench.py). It is switched back on, as it was, when loading ends.

    freeze: the objects alive when loading ends are moved out of the collector's view first
    (gc.freeze). Without it, the first allocation after the collector is back on starts a
    collection of the youngest generation, which is then everything loading allocated (none
    of it was ever collected): 0.15 s at 5,000 clauses, spent by `polc check` whatever it does
    next. Frozen objects are still freed by reference counting; only cyclic garbage among
    them would never be collected, which matters to a long-running process (the language
    server, the HTTP service reload policies again and again), not to a command that ends."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if collecting:
            gc.enable()


def _load(paths: list[str], overlaps: bool, encoding: str | None) -> Project:
    reader = _Reader(encoding)
    policies = []
    for path in discover(paths):
        tree = reader.read(path)
        if isinstance(tree, ast.Policy):
            policy = reader.resolve_imports(tree)
            policies.append(policy)
            reader.found.extend(checks.check_policy(policy))
            reader.found.extend(law.load_and_check(policy, _shown_path, project_root(policy.path)))  # the law beside the code
    reader.found.extend(checks.check_policies(policies))
    reader.found.extend(check_module_names(policies))
    skip = not overlaps or any(d.is_error for d in reader.found)
    found_overlaps = [] if skip else checks.find_overlaps(policies)
    reader.found.extend(checks.check_overlaps_across(found_overlaps))
    return Project(reader.sources, policies, sorted_diagnostics(reader.found), found_overlaps)


# ---------------------------------------------------------------- generating
INDEX = "README.md"


RUNTIME_FILE = "runtime.py"    # the shared runtime, copied beside the modules byte for byte
PACKAGE_INIT = "__init__.py"   # makes the output directory a package
TYPED_MARKER = "py.typed"      # PEP 561: the modules carry their types


def outputs(project: Project, out_dir: str | None = None, standalone: bool = False,
            links: bool = True) -> dict[str, str]:
    """File name -> content for every generated file (nothing is written here).

    Sources are named relative to their project root (see project_root), and each summary
    links to its source as seen from out_dir (default: generated/ under the project root),
    so the bytes do not depend on the working directory. The output directory is a package
    (__init__.py, the runtime, py.typed) whose modules import the runtime; standalone, each
    module carries its own copy of the runtime instead and nothing else is added.
    """
    from .to_markdown import index, to_markdown
    files = python_outputs(project, standalone)
    found_overlaps = project.model_overlaps(embedded=True)
    for policy in project.policies:
        name = module_name(policy.path)
        shown = embedded_path(policy.path)
        link = _source_link(policy.path, out_dir) if links else None
        files[f"{name}.md"] = to_markdown(project.model(policy, embedded=True), project.findings_for(policy),
                                          found_overlaps, source_path=shown, source_link=link)
    if project.policies:
        files[INDEX] = index([project.model(policy, embedded=True) for policy in project.policies])
        if not standalone:
            files.update(package_files())
    return dict(sorted(files.items()))


def package_files(policies: dict[str, str] | None = None) -> dict[str, str]:
    """The files that make a folder of generated modules a typed package sharing one runtime.
    policies (文号 -> module name), when given, are listed in __init__.py as POLICIES (a
    package built with --package; generated/ lists none, so a build of some policies only
    leaves it as it is)."""
    from .to_python import runtime_text, runtime_version
    lines = ["# Generated by polc. Do not edit: run `polc build`.",
             '"""Policy evaluators generated by polc: one module per policy, sharing runtime.py.',
             "",
             "    from <package> import <module>",
             '    <module>.evaluate({...facts...}, on="2021-06-30")',
             '"""',
             "",
             f"RUNTIME_VERSION = {runtime_version()!r}  # the version of runtime.py these modules were built for"]
    if policies is not None:
        lines += ["", "# 文号 -> the module evaluating that policy",
                  "POLICIES: dict[str, str] = {"]
        lines += [f"    {docno!r}: {name!r}," for docno, name in policies.items()]
        lines += ["}"]
    return {PACKAGE_INIT: "\n".join(lines) + "\n", RUNTIME_FILE: runtime_text(), TYPED_MARKER: ""}


def python_outputs(project: Project, standalone: bool = False) -> dict[str, str]:
    """Module file name -> the generated module as `polc build` writes it (the source named
    from the project root)."""
    from .to_python import to_python  # code generation: not imported by check or eval --facts
    return {f"{module_name(policy.path)}.py": to_python(project.model(policy, embedded=True), standalone)
            for policy in project.policies}


def module_inputs(project: Project) -> dict[str, list[tuple[str, str]]]:
    """Module file name -> (path from the policy's project root, SHA-256 of the text) of the
    policy and of each vocabulary it imports, in import order (a vocabulary outside the root
    is named with ..). What fast_eval checks to know a generated module is current."""
    return {f"{module_name(policy.path)}.py": _inputs(project, policy) for policy in project.policies}


def _inputs(project: Project, policy: ast.Policy) -> list[tuple[str, str]]:
    from .fast_eval import source_digest
    root = project_root(policy.path)
    paths = [policy.path] + [_shown_path(str(Path(policy.path).parent / wanted)) for wanted in policy.imports]
    return [(Path(os.path.relpath(os.path.abspath(path), root)).as_posix(), source_digest(project.sources[path].text))
            for path in dict.fromkeys(paths) if path in project.sources]


def _source_link(path: str, out_dir: str | None) -> str | None:
    """The source file as a relative link from the output directory, when both sit in one
    project (a link that climbs out of the project would name a machine's layout)."""
    root = project_root(path)
    out = Path(os.path.abspath(out_dir)) if out_dir is not None else root / "generated"
    if not out.is_relative_to(root):
        return None
    return Path(os.path.relpath(os.path.abspath(path), out)).as_posix()


# ---------------------------------------------------------------- writing
# Design: every file is staged to a temporary file beside its target (fsynced), and only
# when all are staged is each renamed over its target. A kill while staging leaves the old
# outputs untouched plus temporary files; a kill while renaming leaves some files new and
# some old. Both are caught by `build --check` without a manifest: it compares every file's
# content with what the sources give (an old file in a mixed state differs) and lists our
# temporary files. The next build deletes them before staging. A manifest written last
# would add a file to keep consistent and say nothing the content comparison does not.
# Temporary names carry the writer's process id, so a build deletes only those whose writer
# is gone, never those of a build running beside it.
_TEMP_FILE = re.compile(r"^\.(?:polc-)?.+\.(?:py|md|typed|toml)\.(?:(\d+)\.)?[A-Za-z0-9_]+\.tmp$")
_GENERATED_HEADERS = {".py": b"# Generated by polc", ".md": "<!-- 由 polc".encode("utf-8")}
_RUNTIME_HEADER = b'"""The polc evaluation runtime'  # runtime.py is copied as it is: known by its first line


class WriteError(Exception):
    """The outputs could not be written; partial is True when some files were replaced."""

    def __init__(self, path: str, reason: str, partial: bool = False):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason, self.partial = path, reason, partial


def stray_temp_files(out_dir: str) -> list[str]:
    """Temporary files an interrupted build of ours left in out_dir."""
    try:
        names = os.listdir(out_dir)
    except OSError:
        return []
    return sorted(os.path.join(out_dir, n) for n in names if _TEMP_FILE.match(n))


def foreign_modules(out_dir: str, files: dict[str, str]) -> list[str]:
    """Files polc generated in out_dir that this build does not produce: modules of other
    policies (a build of some policies only) or of policies since renamed or deleted."""
    found = []
    try:
        names = sorted(os.listdir(out_dir))
    except OSError:
        return []
    for name in names:
        header = _RUNTIME_HEADER if name == RUNTIME_FILE else _GENERATED_HEADERS.get(os.path.splitext(name)[1])
        if header is None or name in files or name == INDEX:
            continue
        path = os.path.join(out_dir, name)
        try:
            with open(path, "rb") as stream:
                if stream.read(len(header)) == header:
                    found.append(path)
        except OSError:
            continue
    return found


def _writer_alive(temp: str) -> bool:
    match = _TEMP_FILE.match(os.path.basename(temp))
    pid = int(match.group(1)) if match and match.group(1) else None
    if pid is None or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pause_for_tests(phase: str, count: int) -> None:
    """POLC_TEST_PAUSE_BUILD=staged:2 (or renamed:2) stops the build after the second file
    of that phase, so a test can kill it at a known point (for POLC_TEST_PAUSE_SECONDS, 120 by
    default), or interrupt it: a held SIGINT or SIGTERM (_hold_interrupts) ends the pause as
    soon as it is pending, so that the test does not depend on sending it within a fixed time
    (a 2-second pause was once over before a loaded CI machine sent it). Unset in normal use."""
    if os.environ.get("POLC_TEST_PAUSE_BUILD") == f"{phase}:{count}":
        print(f"polc-test-paused {phase}:{count}", file=sys.stderr, flush=True)
        import time
        deadline = time.monotonic() + float(os.environ.get("POLC_TEST_PAUSE_SECONDS", "120"))
        while time.monotonic() < deadline:
            if hasattr(signal, "sigpending") and signal.sigpending() & _HELD_SIGNALS:
                return
            time.sleep(0.02)


def write_atomically(out_dir: str, files: dict[str, str]) -> None:
    """Write every file, or none (see the design note above). Raises WriteError."""
    for name in files:
        target = os.path.join(out_dir, name)
        if os.path.lexists(target) and not os.path.isfile(target):
            raise WriteError(target, "已存在且不是普通文件 / exists and is not a regular file")
    for temp in stray_temp_files(out_dir):
        if not _writer_alive(temp):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    mode = 0o666 & ~_umask()  # mkstemp creates 0600; generated files are as readable as any other
    staged: list[tuple[str, str]] = []
    try:
        for name, content in files.items():
            target = os.path.join(out_dir, name)  # a name may hold a folder: a package's NAME/module.py
            folder, base = os.path.split(target)
            os.makedirs(folder, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=f".polc-{base}.{os.getpid()}.", suffix=".tmp", dir=folder)
            staged.append((temp, target))
            with os.fdopen(handle, "wb") as stream:
                os.chmod(temp, mode)
                stream.write(content.encode("utf-8"))
                stream.flush()
                os.fsync(stream.fileno())
            _pause_for_tests("staged", len(staged))
    except OSError as exc:
        _discard(staged)
        raise WriteError(getattr(exc, "filename", None) or out_dir, exc.strerror or str(exc)) from None
    except BaseException:
        _discard(staged)
        raise
    # Ctrl-C (or SIGTERM) is held back while the staged files are renamed, and delivered once
    # they all are: an interrupt between two renames would leave some files old, some new and
    # the rest as temporary files (the renames take microseconds; SIGKILL cannot be held, and
    # `build --check` names what it leaves).
    held = _hold_interrupts()
    try:
        for done, (temp, target) in enumerate(staged, 1):
            try:
                os.replace(temp, target)
            except OSError as exc:
                _discard(staged[done - 1:])
                raise WriteError(target, exc.strerror or str(exc), partial=done > 1) from None
            _pause_for_tests("renamed", done)
    finally:
        _release_interrupts(held)
    with contextlib.suppress(OSError):  # make the renames durable where the OS allows it
        directory = os.open(out_dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


_HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _hold_interrupts():
    """Block SIGINT and SIGTERM for this thread; the mask to restore (None where nothing was
    held: not POSIX, or not the main thread, which is where Python handles signals)."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)


def _release_interrupts(previous) -> None:
    """Restore the mask _hold_interrupts replaced: a signal that came meanwhile is delivered now."""
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _discard(staged: list[tuple[str, str]]) -> None:
    for temp, _target in staged:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def stale(out_dir: str, files: dict[str, str]) -> list[str]:
    """What differs between out_dir and what a build would write: missing or outdated files,
    temporary files of an interrupted build, and generated files this build does not produce
    (so `build --check` of some policies only reports the others' modules: check them all)."""
    problems = []
    for name, content in files.items():
        path = Path(out_dir) / name
        if not path.exists():
            problems.append(f"{path}：缺失 / missing")
            continue
        wanted = content.encode("utf-8")
        try:
            current = read_bounded(str(path), len(wanted))  # longer than wanted: stale, unread
        except OSError as exc:
            if exc.errno != errno.EFBIG:
                problems.append(f"{path}：无法读取 / unreadable ({exc.strerror})")
                continue
            current = None
        if current != wanted:
            problems.append(f"{path}：已过期 / stale")
    for temp in stray_temp_files(out_dir):
        problems.append(f"{temp}：中断的构建留下的临时文件 / temporary file left by an interrupted build")
    for path in foreign_modules(out_dir, files):
        problems.append(f"{path}：不是本次构建的输出（政策已删除或改名？）/ not produced by this build")
    return problems


def load_module(policy: ast.Policy, source: str | None = None, lowered: model.PolicyModel | None = None) -> types.ModuleType:
    """Compile a policy's generated module in memory: source, or to_python of its model."""
    name = module_name(policy.path)
    if source is None:
        from .to_python import to_python
        source = to_python(lowered if lowered is not None else lower(policy))
    filename = f"<polc:{name}.py>"
    module = types.ModuleType(name)
    module.__file__ = filename
    module.__package__ = __package__  # `from .runtime import …` gets polc's own runtime (see fast_eval._load)
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
        return f"由 {award.note} 审定" if award.outcome is None else f"{award.outcome} {award.note}"
    if award.parts is not None and award.min is not None and award.max is not None:  # issue 13: in parts
        return f"{fmt(award.max)}，本期 {fmt(award.min)}"
    return {"exact": lambda: fmt(award.min), "up_to": lambda: f"最高 {fmt(award.max)}",
            "range": lambda: f"{fmt(award.min)} 至 {fmt(award.max)}",
            "case_by_case": lambda: "一事一议", "unspecified": lambda: "金额未定",
            "at_least": lambda: f"不低于 {fmt(award.min)}"}[award.kind]()


def describe_expected(expected: ast.Expected) -> str:
    fmt = runtime.format_money
    if expected.kind == "exact":
        return fmt(expected.low.value)
    if expected.kind == "up_to":
        return f"最高 {fmt(expected.high.value)}"
    if expected.kind == "range":
        return f"{fmt(expected.low.value)} 至 {fmt(expected.high.value)}"
    if expected.kind == "routing":
        return f"由 {expected.approver} 审定" if expected.outcome == "审定" else f"{expected.outcome} {expected.approver}"
    if expected.kind == "parts":  # issue 13: the whole award, then what is paid now
        return f"{fmt(expected.high.value)}，本期 {fmt(expected.low.value)}"
    if expected.kind == "at_least":
        return f"不低于 {fmt(expected.low.value)}"
    return {"applies": "适用（系数）", "case_by_case": "一事一议", "unspecified": "金额未定", "not_applicable": "不适用",
            "undecidable": "无法判定"}[expected.kind]


def run_cases(policy: ast.Policy) -> list[CaseOutcome]:
    """Run every example through the generated module and through the interpreter.

    An example passes when the generated code gives the expected result; a disagreement
    between the generated code and the interpreter is reported as a compiler bug.
    """
    from . import interpreter
    lowered = lower(policy)
    module = load_module(policy, lowered=lowered)
    reference = {(s.article, s.item): s for s in interpreter.clause_specs(lowered)}
    generated = {(s.article, s.item): s for s in module.CLAUSES}
    info = interpreter.policy_info(lowered)
    outcomes = []
    for clause in policy.clauses:
        if not is_evaluated(clause):
            continue
        for case in clause.cases:
            if case.expected is None:
                continue
            facts = case_facts(case)
            # An example with no 评估日, of a policy with no 施行日期, is evaluated today (stated: the runtime needs a date).
            on = case.on.value if case.on else (policy.effective_from.value if policy.effective_from else datetime.date.today())
            key = (clause.article, clause.item)
            got = runtime.evaluate_clauses(module.POLICY, [generated[key]], facts, on)[0]
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
