"""`python -m compiler ARGS` as a fresh process, without paying Python's start-up and imports.

Most CLI end-to-end tests start polc in a subprocess to see what a user sees: the exit
code, stdout and stderr of a process of its own, from its own working directory and
environment. Starting the interpreter and importing the compiler's libraries (lark,
duckdb, sqlglot, jinja2) costs about half a second of CPU per call, and the suite makes
hundreds of calls. So a helper process (the zygote) is started once, imports those
modules and nothing else (no policy is read, no parser table loaded, no DuckDB database
opened, so it runs no threads), and forks one child per call. The child is a new process:
it gets the caller's pipes as its fds 0, 1 and 2 (the ones not redirected are the
zygote's, inherited from the test run, as with subprocess), closes every other fd, takes
the call's working directory, umask, environment, argv and sys.path[0] as `python -m` would set
them, and runs the `compiler` package's __main__ with runpy; an exception that escapes is
printed as the interpreter prints it and exits 1. Nothing a test does in the pytest
process (monkeypatched modules, imported generated modules, open DuckDB connections)
reaches it. What differs from a cold start: the modules above are already imported, and
every child shares the zygote's hash seed. Tests of a cold start, of determinism between
two runs, and test_cli.py (the CLI as a user runs it) use a real subprocess instead
(`@pytest.mark.fresh_process`; POLC_TEST_FRESH_PROCESS=1 makes every call one).
"""

from __future__ import annotations

import io
import json
import locale
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

# Imported by the zygote before it forks: what every polc command loads anyway.
PRELOAD = ("compiler.cli", "compiler.driver", "compiler.parser", "compiler.checks", "compiler.lower",
           "compiler.to_python", "compiler.to_markdown", "compiler.to_sql", "compiler.sql_batch",
           "compiler.sql_register", "compiler.batch", "compiler.compact", "compiler.fmt", "compiler.printer",
           "compiler.facts", "compiler.schema", "compiler.explain", "lark", "duckdb", "sqlglot", "jinja2")


# ---------------------------------------------------------------- the zygote (its own process)
def _child(request: dict, fds: list[int]) -> None:
    """In the forked child: become `python -m compiler ARGV` and never return."""
    code = 1
    try:
        for target, fd in zip(request["targets"], fds):
            os.dup2(fd, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.umask(request["umask"])  # a subprocess inherits the caller's umask of the moment
        os.environ.clear()
        os.environ.update(request["env"])
        # fresh standard streams on fds 0-2, as the interpreter makes them at start-up
        # (encoding and errors as the zygote's own, which started from the same environment)
        streams = []
        for fd, mode, like in ((0, "r", sys.__stdin__), (1, "w", sys.__stdout__), (2, "w", sys.__stderr__)):
            raw = io.FileIO(fd, mode, closefd=False)
            buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
            streams.append(io.TextIOWrapper(buffered, encoding=like.encoding, errors=like.errors,
                                            line_buffering=fd == 2 or os.isatty(fd)))
        sys.stdin, sys.stdout, sys.stderr = streams
        sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams
        sys.path[0] = os.getcwd()  # `python -m` puts the working directory first
        import runpy
        sys.argv = ["-m", *request["argv"]]
        try:
            runpy.run_module("compiler", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except KeyboardInterrupt:
            import traceback
            traceback.print_exc()
            sys.stderr.flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        except BaseException:  # noqa: BLE001 - the interpreter prints whatever escapes
            import traceback
            traceback.print_exc()
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - as at interpreter exit: a flush that fails is reported
                code = code or 120
    finally:
        os._exit(code & 0xFF)


def serve(sock: socket.socket) -> None:
    """The zygote's loop: one request at a time (the tests call polc one at a time)."""
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:  # renamed or gone: a child imports what it needs itself, and fails as polc would
            pass
    # this module's folder was on the path only to import it; a child's path is the user's
    sys.path.remove(os.path.dirname(os.path.abspath(__file__)))
    sock.sendall(b"ready\n")
    while True:
        message, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 3)
        if not message:
            return
        request = json.loads(message)
        pid = os.fork()
        if pid == 0:
            sock.close()
            _child(request, fds)
        for fd in fds:
            os.close(fd)
        sock.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        sock.sendall(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode() + b"\n")


# ---------------------------------------------------------------- the caller (the pytest process)
class Zygote:
    def __init__(self, root: str):
        self.root = root
        # the environment the zygote's interpreter starts from: the test run's, as it is now,
        # not as a test that happens to make the first call may have changed it
        self.start_env = dict(os.environ)
        self.sock: socket.socket | None = None
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        here = os.path.dirname(os.path.abspath(__file__))
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import socket, sys, forked_polc; "
             "forked_polc.serve(socket.socket(fileno=int(sys.argv[1])))", str(theirs.fileno())],
            cwd=self.root, env=dict(self.start_env, PYTHONPATH=os.pathsep.join([self.root, here])),
            pass_fds=[theirs.fileno()])
        theirs.close()
        self.sock = ours
        self.buffer = b""
        if self._readline(600) != b"ready\n":
            raise RuntimeError("the polc zygote did not start")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.process.wait(timeout=30)
            self.sock = None

    def run(self, argv: list[str], cwd, env: dict, stdin: str | None, timeout: float) -> subprocess.CompletedProcess:
        """As subprocess.run([python, -m, compiler, *argv], cwd=…, input=stdin, capture_output=True,
        text=True, env=…, timeout=…)."""
        with self.lock:
            if self.sock is None:
                self._start()
            fds, targets, ours = [], [], {}
            if stdin is not None:
                read, write = os.pipe()
                fds.append(read), targets.append(0)
                ours[0] = write
            for target in (1, 2):
                read, write = os.pipe()
                fds.append(write), targets.append(target)
                ours[target] = read
            umask = os.umask(0)
            os.umask(umask)
            request = {"argv": [str(a) for a in argv], "cwd": os.path.abspath(cwd), "env": env, "targets": targets,
                       "umask": umask}
            try:
                socket.send_fds(self.sock, [json.dumps(request).encode()], fds)
            finally:
                for fd in fds:
                    os.close(fd)
            pid = json.loads(self._readline(60))["pid"]
            output: dict[int, bytes] = {}

            def drain(target: int) -> None:
                with open(ours[target], "rb", closefd=True) as pipe:
                    output[target] = pipe.read()

            def feed() -> None:
                encoding = locale.getpreferredencoding(False)
                with open(ours[0], "wb", closefd=True) as pipe:
                    try:
                        pipe.write(stdin.encode(encoding))
                    except BrokenPipeError:
                        pass
            threads = [threading.Thread(target=drain, args=(t,), daemon=True) for t in (1, 2)]
            if stdin is not None:
                threads.append(threading.Thread(target=feed, daemon=True))
            for thread in threads:
                thread.start()
            line = self._readline(timeout)
            if line is None:
                os.kill(pid, signal.SIGKILL)
                self._readline(60)
                for thread in threads:
                    thread.join()
                raise subprocess.TimeoutExpired(["polc", *argv], timeout, output.get(1), output.get(2))
            for thread in threads:
                thread.join()
            returncode = json.loads(line)["returncode"]
        return subprocess.CompletedProcess([sys.executable, "-m", "compiler", *argv], returncode,
                                           _text(output[1]), _text(output[2]))

    def _readline(self, timeout: float) -> bytes | None:
        """The zygote's next line, or None after `timeout` seconds without one."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("the polc zygote went away")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line + b"\n"


def _text(data: bytes) -> str:
    """As subprocess's text mode: the locale's encoding, universal newlines."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=locale.getpreferredencoding(False)).read()
