"""The fast path of `polc eval --facts`: use the committed generated modules when they are
current, instead of parsing, checking and generating them again (about 1 s for six policies,
when the evaluation itself takes a millisecond).

Standard library only, and it imports nothing of the compiler but these light modules, so
the whole command stays well under the time it took to import the compiler.

When is a module used? Only when polc's private cache (compiler/cache.py) holds a record
for this exact set of modules — named by a hash of the compiler's own source files and of
each module's name and SHA-256 — and the record's inputs are all unchanged:
1. Written or verified by polc: `polc build` (and `build --check`) records the modules it
   writes or finds current; an eval that had to compile records the modules on disk when
   they are byte for byte what it compiled. A module edited by hand, a module of another
   version of polc, or a set of policies never checked together (cross-policy checks) has
   no record, and is compiled again from source (and verified, for the next time).
2. Current: the record lists each module's inputs — the policy and each vocabulary it
   imports, by path from the project root, with the SHA-256 of their text — and every one
   still has that hash (computed from the bytes, without parsing). The first input must be
   the policy being evaluated. Otherwise the module is stale: said once, then compiled.
Nothing is added to the generated files themselves, so they stay independent of layout-only
edits and of the compiler's version. Anything else — a missing module, an unreadable file,
no usable cache — falls back to compiling in memory, exactly as without this path.

The module's bytes are hashed once and those same bytes are compiled (or their compiled
code taken from the cache, named by that hash), so what runs is what was verified.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import os
import stat
import sys
import types
from pathlib import Path

from . import cache
from .paths import discover, embedded_path, module_name, project_root

# Generated modules are tens of KB; a file far larger is not one of ours (and is not read).
MAX_MODULE_BYTES = 20_000_000
MAX_SOURCE_BYTES = 1_000_000  # as compiler/source.py: a larger .pol is refused anyway


def source_digest(text: str) -> str:
    """The SHA-256 of a source's text as the compiler reads it (see compiler/source.py)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_regular(path: str | Path, limit: int) -> bytes:
    """A regular file's bytes (not a FIFO or device: opened non-blocking, checked with
    fstat), at most limit bytes; OSError otherwise."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            raise OSError(f"not a regular file of at most {limit} bytes: {path}")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise OSError(f"larger than {limit} bytes: {path}")
        return data
    finally:
        os.close(fd)


def _source_text(path: str | Path) -> str:
    """As compiler.source.SourceFile.read: UTF-8 (a BOM dropped), CRLF read as LF."""
    return _read_regular(path, MAX_SOURCE_BYTES).decode("utf-8-sig").replace("\r\n", "\n")


@functools.cache
def compiler_fingerprint() -> str:
    """A hash of every file of the compiler that can shape a generated module: its Python
    sources, templates and grammar. Any change to polc gives another fingerprint, so modules
    verified by one version are never taken on trust by another (they are verified again)."""
    package = Path(__file__).resolve().parent
    files = sorted([*package.glob("*.py"), *package.glob("templates/*"), *package.parent.glob("grammar/*.lark")])
    digest = hashlib.sha256(sys.version.encode("utf-8"))
    for path in files:
        digest.update(b"\0" + path.relative_to(package.parent).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _record_name(modules: dict[str, bytes]) -> str:
    """The record of a set of modules (file name -> bytes), named by the compiler's
    fingerprint and each module's name and SHA-256."""
    made_from = json.dumps([compiler_fingerprint(), sorted([name, hashlib.sha256(data).hexdigest()]
                                                           for name, data in modules.items())])
    return f"verified-{hashlib.sha256(made_from.encode('utf-8')).hexdigest()}.json"


def record(modules: dict[str, bytes], inputs: dict[str, list[tuple[str, str]]]) -> None:
    """Remember that polc wrote (or compiled, byte for byte) these modules together from
    these inputs (module file name -> bytes; -> [(path from the project root, SHA-256)])."""
    if modules and set(inputs) == set(modules):
        listed = {name: [list(pair) for pair in inputs[name]] for name in sorted(modules)}
        cache.write(_record_name(modules), json.dumps(listed, ensure_ascii=True).encode("ascii"))


def _recorded_inputs(modules: dict[str, bytes]) -> dict[str, list] | None:
    data = cache.read(_record_name(modules))
    if data is None:
        return None
    try:
        listed = json.loads(data)
    except ValueError:
        return None
    if not isinstance(listed, dict) or set(listed) != set(modules):
        return None
    return listed


class Probe:
    """What the fast path found: the modules to use, or why not (stale is said once)."""

    def __init__(self):
        self.modules: list[types.ModuleType] | None = None
        self.stale: str | None = None  # a module whose inputs changed: `polc build` is due
        self.on_disk: dict[str, bytes] = {}  # module file name -> bytes, to verify on fallback
        # With modules: per policy, in their order, [the policy's path, its recorded inputs
        # ((path from the project root, SHA-256), all found unchanged)]: what the batch's SQL
        # text is made from (compiler/sql_cache.py).
        self.sources: list = []


def probe(paths: list[str], generated: str | None = None) -> Probe:
    """Load the current, verified generated modules for the policies under paths.

    generated: the directory holding them (default: generated/ under each policy's project
    root). Raises paths.UsageError for a missing path, like the compiling path.
    """
    found = Probe()
    texts: dict[str, str] = {}  # absolute path -> digest, each file read once

    def digest_of(path: Path) -> str | None:
        key = os.path.abspath(path)
        if key not in texts:
            try:
                texts[key] = source_digest(_source_text(key))
            except (OSError, UnicodeDecodeError):
                texts[key] = None
        return texts[key]

    located, unbuilt = [], []
    for file in discover(paths):
        name = module_name(file)
        module_path = (Path(generated) if generated is not None else project_root(file) / "generated") / f"{name}.py"
        try:
            data = _read_regular(module_path, MAX_MODULE_BYTES)
        except OSError:
            unbuilt.append(file)  # a vocabulary (compiles to nothing), or a policy not built
            continue
        found.on_disk[f"{name}.py"] = data
        located.append((file, name, module_path, data))
    if not located:
        return found
    recorded = _recorded_inputs(found.on_disk)
    if recorded is None:
        return found  # never written or verified by this polc, as a set: compile (and verify)
    vocabularies = set()
    for file, name, module_path, _data in located:
        root = project_root(file)
        inputs = recorded[f"{name}.py"]
        if not inputs or inputs[0][0] != embedded_path(file) or any(
                digest_of(root / path) != digest for path, digest in inputs):
            found.stale = found.stale or str(module_path)
            continue
        vocabularies.update(os.path.abspath(root / path) for path, _ in inputs[1:])
    if found.stale or any(os.path.abspath(f) not in vocabularies for f in unbuilt):
        return found
    found.modules = [_load(name, path, data) for _file, name, path, data in located]
    found.sources = [[os.path.abspath(file), recorded[f"{name}.py"]] for file, name, _path, _data in located]
    return found


def _load(name: str, path: Path, data: bytes) -> types.ModuleType:
    """Execute a verified module's bytes (compiled code cached under the bytes' hash)."""
    import importlib.util
    key = f"code-{hashlib.sha256(data).hexdigest()}-{sys.implementation.cache_tag}-{importlib.util.MAGIC_NUMBER.hex()}"
    code = None
    cached = cache.read(key)
    if cached is not None:
        try:
            code = marshal.loads(cached)
        except (EOFError, ValueError, TypeError):
            code = None
    if code is None:
        code = compile(data, str(path), "exec", dont_inherit=True)
        cache.write(key, marshal.dumps(code))
    module = types.ModuleType(name)
    module.__file__ = str(path)
    # A generated module imports its runtime relatively (`from .runtime import …`): here it
    # gets polc's own, the file `polc build` copies beside it (verified modules come from
    # this polc, whose fingerprint includes runtime.py). A standalone module imports nothing.
    module.__package__ = __package__
    exec(code, module.__dict__)
    return module
