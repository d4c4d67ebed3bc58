"""The `polc` command's entry point.

It imports nothing but `sys` before putting the interrupt handler in place, so Ctrl-C while
lark, attrs and jinja2 are still loading ends quietly with exit status 130 (the shell's
convention for SIGINT) instead of a traceback. Files being written are cleaned up by their
writers' own `except BaseException` blocks before the interrupt reaches this frame.
"""

import sys


def run() -> int:
    try:
        from .cli import main
        return main()
    except KeyboardInterrupt:
        try:
            print("polc: 已中断 / interrupted", file=sys.stderr)
        except OSError:
            pass
        return 130
