"""Finding .pol files, their project root, and their generated modules' names.

Standard library only: the fast path of `polc eval` (compiler/fast_eval.py) uses these
without importing the compiler proper.
"""

from __future__ import annotations

import hashlib
import keyword
import os
import sys
from pathlib import Path


class UsageError(Exception):
    """Bad command-line use: a path that does not exist, a file that is not .pol (exit 2)."""


def discover(paths: list[str]) -> list[str]:
    """The .pol files named by paths (directories searched recursively), sorted, unique.

    Symbolic links to directories are followed, but each directory is entered once, so a
    link loop ends the walk instead of the program. Anything named *.pol that is not a
    directory is listed; reading it refuses FIFOs, devices and oversized files (E000).
    """
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found.extend(_walk(path, set()))
        elif os.path.isfile(path):
            found.append(path)
        elif os.path.lexists(path) and os.path.exists(path):
            raise UsageError(f"不是普通文件或目录：{path} / not a regular file or directory: {path}")
        else:
            raise UsageError(f"找不到文件或目录：{path} / no such file or directory: {path}")
    return sorted(dict.fromkeys(_shown_path(f) for f in found))


def _walk(directory: str, seen: set) -> list[str]:
    try:
        info = os.stat(directory)
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return []  # unreadable or vanished: nothing to list (a named file is reported on read)
    if (info.st_dev, info.st_ino) in seen:
        return []
    seen.add((info.st_dev, info.st_ino))
    found = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:  # a link loop or a dangling link
            is_dir = False
        if is_dir:
            found.extend(_walk(entry.path, seen))
        elif entry.name.endswith(".pol"):
            found.append(entry.path)
    return found


def _shown_path(path: str) -> str:
    """Paths under the working directory are shown relative to it, with / separators.
    Not Path.resolve(): it raises on a symbolic-link loop."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(os.getcwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


# A generated file names its source relative to the project root, so a build from any
# working directory writes the same bytes. The root is the nearest directory above the
# policy holding one of these markers, else the policy's own directory.
PROJECT_MARKERS = ("polc.toml", "pyproject.toml", ".git")


def project_root(path: str) -> Path:
    directory = Path(os.path.abspath(path)).parent
    for candidate in (directory, *directory.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return directory


def embedded_path(path: str) -> str:
    """The source path written into generated files: relative to the project root."""
    return Path(os.path.abspath(path)).relative_to(project_root(path)).as_posix()




def module_name(path: str) -> str:
    """policies/jzf-2020-06.pol -> jzf_2020_06 (a valid, ASCII Python module name).

    ASCII letters, digits and _ are kept and anything else becomes _, so the shipped names
    read as their file names. A name with non-ASCII characters (甲乙.pol, 政策二.pol) would
    otherwise shrink to underscores and collide with every name of its length, so it gets
    the first 8 hex digits of the SHA-256 of its file name (deterministic, distinct).
    Two files can still map to one name (a-b.pol, a_b.pol): the driver refuses that (E095),
    and names that would shadow something (decimal, README) are refused too (E096).
    """
    stem = Path(path).stem
    name = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in stem)
    if not stem.isascii():
        name = (name.strip("_") or "policy") + "_" + hashlib.sha256(stem.encode("utf-8")).hexdigest()[:8]
    if not name or name[0].isdigit():
        name = "policy_" + name
    return name


# Module names a generated file may not take: the index generated/README.md, the standard
# library and keywords (an import of the generated module, or of decimal by it, would pick the
# wrong file), our own package and runtime, and package markers (__init__ makes generated/ a
# package). Compared case-insensitively: README.md and readme.md are one file on macOS/Windows.
_RESERVED_NAMES = frozenset(n.casefold() for n in (
    *sys.stdlib_module_names, *keyword.kwlist, *keyword.softkwlist, *sys.builtin_module_names,
    "readme", "index", "compiler", "runtime", "polc", "__init__", "__main__", "conftest", "setup"))


def module_name_problem(name: str) -> str | None:
    """Why a module name cannot be written to the output directory, or None."""
    if name.casefold() in _RESERVED_NAMES:
        return "reserved"
    if name.startswith("__"):
        return "dunder"
    return None
