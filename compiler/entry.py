"""The `polc` command's entry point.

It imports nothing but `sys` and `signal` before putting the interrupt handlers in place, so
Ctrl-C while lark, attrs and jinja2 are still loading ends quietly with exit status 130 (the
shell's convention for SIGINT) instead of a traceback. Files being written are cleaned up by
their writers' own `except BaseException` blocks before the interrupt reaches this frame.

SIGTERM (what `timeout`, `kill`, a CI runner cancelling a job or a container stopping sends)
is handled the same way and ends with status 143 (128 + 15). Left to Python's default it ends
the process at once: no `finally` runs, so a batch left its DuckDB work directory behind (a
copy of the register, 1.4 GB at 1,000,000 enterprises) and the staged results beside `--out`.
The handler raises KeyboardInterrupt, so every path that already cleans up after Ctrl-C
(the writers, the DuckDB engine interrupting its query, `TemporaryDirectory`) does so for
SIGTERM too; `_terminated` says which of the two it was. SIGKILL cannot be handled.
"""

import signal
import sys

_terminated = False


def _terminate(_signum, _frame) -> None:
    global _terminated
    _terminated = True
    raise KeyboardInterrupt


def run() -> int:
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # a parent that ignores it is obeyed
            signal.signal(signal.SIGTERM, _terminate)
        from .cli import main
        return main()
    except KeyboardInterrupt:
        try:
            print("polc: 已终止 / terminated" if _terminated else "polc: 已中断 / interrupted", file=sys.stderr)
        except OSError:
            pass
        return 143 if _terminated else 130
