"""Drive `polc serve` with concurrent clients for a fixed time; print requests/s, latency
percentiles and errors for one-applicant evaluations of the shipped policies.

    python bench/serve_bench.py [--seconds 10] [--clients 16] [--client-processes 2]
                                [--workers 2] [--policies policies/] [--url URL]

It starts `polc serve` (on 127.0.0.1, a free port, `--workers N` uvicorn processes) unless
--url names a running server, waits for /healthz, then runs --client-processes processes of
threads (--clients in all), each with one keep-alive connection (http.client), posting
`{"facts": …, "on": …}` bodies for every policy together. The applicants are the examples
(案例) of every policy, one applicant per example, cycled through. After a warm-up second,
every request's latency (send to last byte of the response) is recorded; a response that is
not 200 with the evaluation, or a failed connection, counts as an error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ON = "2021-06-30"


def applicants(paths: list[str]) -> list[bytes]:
    """Request bodies: one per 案例 of the policies, its facts as a client writes them."""
    sys.path.insert(0, str(ROOT))
    from compiler import driver
    project = driver.load(paths, overlaps=False)

    def as_json(value):
        if isinstance(value, dict):
            return {str(year): as_json(item) for year, item in value.items()}
        if isinstance(value, list):
            return [as_json(item) for item in value]
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if hasattr(value, "as_tuple"):  # Decimal: as text, exact (money reads "123.45" as 元)
            return str(value)
        return value
    bodies = []
    for policy in project.policies:
        for clause in policy.clauses:
            for case in clause.cases:
                facts = {name: as_json(value) for name, value in driver.case_facts(case).items()}
                # Percentages go as the fraction's text: "0.05" reads as 5%.
                bodies.append(json.dumps({"facts": facts, "on": ON}, ensure_ascii=False).encode("utf-8"))
    return bodies


def _client(url: str, bodies: list[bytes], threads: int, offset: int, start: float, stop: float, queue) -> None:
    import threading
    parsed = urllib.parse.urlsplit(url)
    results = []

    def run(index: int) -> None:
        latencies, errors = [], 0
        connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
        position = offset + index
        headers = {"Content-Type": "application/json"}
        while time.time() < stop:
            body = bodies[position % len(bodies)]
            position += 7
            began = time.perf_counter()
            try:
                connection.request("POST", "/v1/evaluate", body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                ok = response.status == 200 and data.startswith(b'{"on":')
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
            took = time.perf_counter() - began
            if time.time() >= start:
                latencies.append(took)
                errors += not ok
        connection.close()
        results.append((latencies, errors))
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    began = os.times()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    ended = os.times()
    cpu = ended.user + ended.system - began.user - began.system
    queue.put(([t for latencies, _e in results for t in latencies], sum(e for _l, e in results), cpu))


def _server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server and its worker processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(url: str, process: subprocess.Popen | None) -> None:
    parsed = urllib.parse.urlsplit(url)
    deadline = time.time() + 120
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"polc serve exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    sys.exit("polc serve did not answer /healthz")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (threads, in all)")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes of the server")
    parser.add_argument("--policies", nargs="*", default=[str(ROOT / "policies")])
    parser.add_argument("--url", help="a running server (default: start one)")
    args = parser.parse_args()

    bodies = applicants(args.policies)
    process = None
    url = args.url
    if url is None:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        process = subprocess.Popen([sys.executable, "-m", "compiler", "serve", *args.policies, "--port", str(port),
                                    "--workers", str(args.workers)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        _wait(url, process)
        if args.workers > 1 and process is not None:
            time.sleep(2)  # every worker process loads the policies on its own
        queue = multiprocessing.get_context("fork").Queue()
        start = time.time() + args.warmup
        stop = start + args.seconds
        share = [args.clients // args.client_processes + (i < args.clients % args.client_processes)
                 for i in range(args.client_processes)]
        clients = [multiprocessing.get_context("fork").Process(
            target=_client, args=(url, bodies, threads, 1000 * i, start, stop, queue)) for i, threads in enumerate(share)]
        for client in clients:
            client.start()
        time.sleep(max(0.0, start - time.time()))  # the server's CPU is counted from the end of the warm-up
        server_cpu = _server_cpu(process.pid) if process is not None else None
        gathered = [queue.get() for _ in clients]
        for client in clients:
            client.join()
        if server_cpu is not None:
            server_cpu = _server_cpu(process.pid) - server_cpu if process is not None else None
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    latencies = sorted(t for part, _e, _c in gathered for t in part)
    errors = sum(e for _p, e, _c in gathered)
    client_cpu = sum(c for _p, _e, c in gathered)
    total = sum(len(part) for part, _e, _c in gathered)
    if not latencies:
        print("no requests completed")
        return 1

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000
    print(f"polc serve, {len(args.policies)} path(s), {len(bodies)} applicants (the examples), on {ON}; "
          f"server workers {args.workers}, {args.clients} clients in {args.client_processes} processes, "
          f"{args.seconds:g} s (after {args.warmup:g} s warm-up), {os.cpu_count()} CPUs")
    print(f"requests: {len(latencies)}  requests/s: {len(latencies) / args.seconds:.0f}  "
          f"p50: {percentile(50):.1f} ms  p90: {percentile(90):.1f} ms  p99: {percentile(99):.1f} ms  "
          f"max: {latencies[-1] * 1000:.1f} ms  errors: {errors}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    # CPU per request does not depend on how busy the machine is: what a request costs.
    server_part = f"server {server_cpu / total * 1000:.2f} ms" if server_cpu is not None else "server (not started here)"
    print(f"CPU per request: {server_part}, clients {client_cpu / total * 1000:.2f} ms (with their warm-up); "
          f"load average at the end: {load:.1f}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
