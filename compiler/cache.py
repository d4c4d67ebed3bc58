"""polc's private cache directory: the parser tables, and which generated modules polc has
verified (see compiler/fast_eval.py). Standard library only, so the fast path of `polc eval`
can use it without importing the compiler.

Location: $POLC_CACHE_DIR, else $XDG_CACHE_HOME/polc, else ~/.cache/polc. What is read
back from here is trusted (a pickled parser, a verified module's hash), so the directory is
used only when it is the user's own and nobody else can write to it (mode 0700, owned by
the user); otherwise polc runs without a cache, correctly but slower. Every file is written
to a temporary name and renamed, so a reader never sees half a file, and names carry the
hash of what they were made from, so a stale entry is never looked up.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def directory() -> Path | None:
    """The cache directory, created if needed, or None when it cannot be used safely."""
    configured = os.environ.get("POLC_CACHE_DIR")
    if configured == "":
        return None  # POLC_CACHE_DIR= (empty) turns the cache off
    if configured:
        path = Path(configured)
    elif os.environ.get("XDG_CACHE_HOME"):
        path = Path(os.environ["XDG_CACHE_HOME"]) / "polc"
    else:
        path = Path.home() / ".cache" / "polc"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(path)
    except (OSError, RuntimeError):  # RuntimeError: no home directory
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o022:
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return None
    return path


def read(name: str) -> bytes | None:
    """A cache entry's bytes, or None when absent or the cache is unusable."""
    base = directory()
    if base is None:
        return None
    try:
        with open(base / name, "rb") as stream:
            return stream.read()
    except OSError:
        return None


def write(name: str, data: bytes) -> None:
    """Store an entry whole (temporary file, then rename); failure only costs speed."""
    base = directory()
    if base is None:
        return
    handle, temp = None, None
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=base)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, base / name)
    except OSError:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
