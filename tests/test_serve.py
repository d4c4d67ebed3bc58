"""`polc serve` started as a user starts it: a real process on 127.0.0.1, spoken to over HTTP
with the standard library (http.client), every endpoint, bad requests, concurrent clients,
the time limit, reloads (on a change, on SIGHUP, a failed one) and a clean Ctrl-C.

Each server runs on a copy of policies/ and generated/ in a temporary project, so reload
tests can change files."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import ROOT, run_polc

ON = "2021-06-30"
FACTS = {"年营业收入": {"2018": "25亿元", "2019": "30亿元", "2020": "31亿元"}, "实现税收": True,
         "投资额": "3000万元", "企业服务业类别": "生产性服务业"}
DOC = "嘉政发〔2020〕6号"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A `polc serve` process and a way to talk to it."""

    def __init__(self, project: Path, *options: str):
        self.project = project
        self.port = _free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.log = project / "serve.log"  # a file, not a pipe nobody reads while it runs
        with open(self.log, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "compiler", "serve", "policies", "--port", str(self.port), *options],
                cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"polc serve exited {self.process.returncode}: {self.errors()}")
            try:
                if self.request("GET", "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("polc serve did not answer /healthz")
            time.sleep(0.05)

    def errors(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 30):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, urllib.parse.quote(path, safe="/?=&"), body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, value=None, raw: bytes | None = None):
        body = raw if raw is not None else (json.dumps(value, ensure_ascii=False).encode() if value is not None else None)
        status, headers, data = self.request(method, path, body, {"Content-Type": "application/json"})
        return status, json.loads(data)

    def health(self) -> dict:
        return self.json("GET", "/healthz")[1]

    def stop(self, sig=signal.SIGINT) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.process.returncode, self.errors()


def _project(tmp: Path, verify: bool = True) -> Path:
    shutil.copytree(ROOT / "policies", tmp / "policies")
    shutil.copytree(ROOT / "generated", tmp / "generated")
    (tmp / "pyproject.toml").write_text("[project]\nname = 'copy'\n", encoding="utf-8")
    if verify:  # recorded in the tests' cache as polc's own: the fast path is taken (for any copy)
        assert run_polc("build", "--check", cwd=tmp).returncode == 0
    return tmp


@pytest.fixture(scope="module")
def compiled():
    from compiler import driver
    project = driver.load([str(ROOT / "policies")], overlaps=False)
    assert not project.has_errors
    return project


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(_project(tmp_path_factory.mktemp("serve")), "--poll", "0.2")
    yield running
    running.stop()


def _polc_eval(project: Path, files: list[str], facts: dict, on: str = ON) -> dict:
    facts_file = project / "facts.json"
    facts_file.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    done = run_polc("eval", *files, "--facts", facts_file, "--on", on, "--format", "json", cwd=project)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _wait_for(condition, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_health_says_what_is_loaded(server):
    health = server.health()
    assert health["status"] == "ok" and health["origin"] == "generated"
    assert DOC in health["policies"] and len(health["policies"]) == 6


def test_evaluate_is_the_polc_eval_document(server):
    status, every = server.json("POST", "/v1/evaluate", {"facts": FACTS, "on": ON})
    assert status == 200
    assert every == _polc_eval(server.project, ["policies"], FACTS)
    assert every["total"]["min"] != "0.00"
    # a subset: 就高不重复 and modifiers across exactly those policies, in file order as polc eval
    pair = ["policies/jzf-2020-08.pol", "policies/jzf-2020-06.pol"]
    status, some = server.json("POST", "/v1/evaluate", {"facts": FACTS, "on": ON,
                                                        "policies": ["嘉政发〔2020〕8号", "jzf_2020_06"]})
    assert status == 200
    assert some == _polc_eval(server.project, pair, FACTS)
    assert {row["policy"] for row in some["clauses"]} == {"嘉政发〔2020〕8号", DOC}


def test_every_fact_problem_at_once_in_both_languages(server):
    facts = {"年营业收:入": 1, "实现税收": "也许", "投资额": "abc", "企业服务业类别": "生产服务业"}
    status, answer = server.json("POST", "/v1/evaluate", {"facts": facts, "on": ON, "policies": [DOC]})
    assert status == 422 and answer["error"]["code"] == "bad_facts"
    problems = answer["error"]["problems"]
    assert [p["fact"] for p in problems] == list(facts)
    assert "是否想写「年营业收入」" in problems[0]["zh"] and "did you mean '年营业收入'" in problems[0]["en"]
    assert "是否想写「生产性服务业」" in problems[3]["zh"]
    # each is the very message `polc eval` gives for that fact alone
    (server.project / "bad.json").write_text(json.dumps({"投资额": "abc"}), encoding="utf-8")
    done = run_polc("eval", "policies/jzf-2020-06.pol", "--facts", "bad.json", "--on", ON, cwd=server.project)
    assert done.returncode == 1 and done.stderr.strip() == problems[2]["zh"]


@pytest.mark.parametrize("body, status, code", [
    (b'{"facts": {', 400, "malformed_json"),
    (b"\xff\xfe{}", 400, "malformed_json"),
    (b'{"facts": {"x": NaN}, "on": "2021-06-30"}', 400, "malformed_json"),
    (b"[" * 40 + b"]" * 40, 400, "malformed_json"),
    (b'[1, 2]', 400, "malformed_request"),
    (b'{"facts": {}, "on": "2021-06-30", "exec": "1"}', 422, "unknown_field"),
    (b'{"facts": {}}', 422, "missing_on"),
    (b'{"facts": {}, "on": "30/06/2021"}', 422, "bad_facts"),
    (b'{"facts": [], "on": "2021-06-30"}', 422, "bad_facts"),
    (b'{"facts": {}, "on": "2021-06-30", "policies": "all"}', 422, "bad_policies"),
    (b'{"facts": {}, "on": "2021-06-30", "policies": []}', 422, "bad_policies"),
    ('{"facts": {}, "on": "2021-06-30", "policies": ["嘉政发〔2020〕6号", "jzf_2020_06"]}'.encode(), 422, "bad_policies"),
])
def test_bad_requests_get_json_errors(server, body, status, code):
    got, answer = server.json("POST", "/v1/evaluate", raw=body)
    assert (got, answer["error"]["code"]) == (status, code)
    assert answer["error"]["message"]["zh"] and answer["error"]["message"]["en"]


def test_many_bad_facts_get_a_bounded_answer(server):
    facts = {f"未声明的事实{n}": n for n in range(5000)}
    status, answer = server.json("POST", "/v1/evaluate", {"facts": facts, "on": ON})
    assert status == 422 and len(answer["error"]["problems"]) == 100


def test_unknown_policy_is_404_with_the_valid_list(server):
    status, answer = server.json("POST", "/v1/evaluate", {"facts": {}, "on": ON, "policies": ["嘉政发〔2020〕99号"]})
    assert status == 404 and answer["error"]["valid"] == server.health()["policies"]
    for path in ("/v1/policies/嘉政发〔2020〕99号/schema", "/v1/policies/nope/summary"):
        status, answer = server.json("GET", path)
        assert status == 404 and answer["error"]["code"] == "unknown_policy" and DOC in answer["error"]["valid"]
    status, answer = server.json("GET", "/v1/nothing")
    assert status == 404 and answer["error"]["code"] == "not_found"
    status, answer = server.json("DELETE", "/v1/policies")
    assert status == 405


def test_oversized_bodies_are_refused_unread(server):
    big = b'{"facts": {"x": "' + b"a" * (1 << 20) + b'"}, "on": "2021-06-30"}'
    status, answer = server.json("POST", "/v1/evaluate", raw=big)
    assert status == 413 and answer["error"]["code"] == "too_large"
    # without a Content-Length (chunked), counted as it arrives
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("POST", "/v1/evaluate", body=iter([big[i:i + 65536] for i in range(0, len(big), 65536)]),
                       encode_chunked=True, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 413 and json.loads(response.read())["error"]["code"] == "too_large"
    connection.close()
    assert server.health()["status"] == "ok"


def test_policies_list_clauses(server):
    status, answer = server.json("GET", "/v1/policies")
    assert status == 200
    listed = {p["docno"]: p for p in answer["policies"]}
    assert list(listed) == server.health()["policies"]
    assert listed[DOC]["module"] == "jzf_2020_06"
    labels = [c["label"] for c in listed[DOC]["clauses"]]
    assert "第七条" in labels and "第一条第1项" in labels
    seventh = next(c for c in listed[DOC]["clauses"] if c["label"] == "第七条")
    assert seventh["title"] == "支持服务业企业规模上台阶" and seventh["matter"]


def test_schema_and_summary_are_the_compilers(server, compiled):
    from compiler import schema
    status, headers, data = server.request("GET", f"/v1/policies/{DOC}/schema")
    assert status == 200 and headers["content-type"].startswith("application/schema+json")
    policy = next(p for p in compiled.policies if p.docno == DOC)
    assert json.loads(data) == json.loads(schema.dumps(schema.for_policy(policy)))  # = build --emit schema
    status, headers, data = server.request("GET", "/v1/policies/jzf_2020_06/summary")
    assert status == 200 and headers["content-type"].startswith("text/markdown")
    assert data == (server.project / "generated" / "jzf_2020_06.md").read_bytes()


def test_schema_of_policies_evaluated_together(server, compiled):
    from compiler import schema
    status, everything = server.json("GET", "/v1/schema")
    assert status == 200 and everything == json.loads(schema.dumps(schema.for_policies(compiled.policies)))
    pair = [p for p in compiled.policies if p.docno in ("嘉政发〔2020〕8号", DOC)]
    status, together = server.json("GET", "/v1/schema?policies=嘉政发〔2020〕8号&policies=jzf_2020_06")
    assert status == 200 and together == json.loads(schema.dumps(schema.for_policies(pair)))
    assert server.json("GET", "/v1/schema?policies=nope")[0] == 404


def test_openapi_describes_every_endpoint_with_the_facts_schema(server, compiled):
    from compiler import schema
    status, document = server.json("GET", "/openapi.json")
    assert status == 200 and document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/v1/evaluate", "/v1/policies", "/v1/policies/{docno}/schema",
                                      "/v1/policies/{docno}/summary", "/v1/schema", "/openapi.json", "/healthz"}
    schemas = document["components"]["schemas"]
    everything = json.loads(schema.dumps(schema.for_policies(compiled.policies)))
    del everything["$schema"]
    assert schemas["Facts"] == everything
    request = document["paths"]["/v1/evaluate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request == {"$ref": "#/components/schemas/EvaluateRequest"}
    assert schemas["EvaluateRequest"]["properties"]["facts"] == {"$ref": "#/components/schemas/Facts"}
    assert schemas["EvaluateRequest"]["properties"]["policies"]["examples"] == [server.health()["policies"]]

    def refs(node):
        if isinstance(node, dict):
            yield from ([node["$ref"]] if "$ref" in node else [])
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas


def test_request_content_is_only_data(server):
    hostile = {"__import__('os').system('touch pwned')": 1, "投资额": "__import__('os')", "实现税收": {"$ne": 1}}
    status, answer = server.json("POST", "/v1/evaluate", {"facts": hostile, "on": ON})
    assert status == 422 and len(answer["error"]["problems"]) == 3
    status, _answer = server.json("GET", "/v1/policies/..%2F..%2Fpyproject.toml/summary")
    assert status == 404
    assert not (server.project / "pwned").exists()


def test_concurrent_clients_each_get_their_own_answer(server):
    cases = [{**FACTS, "年营业收入": {"2019": "1亿元", "2020": f"{5 * n}亿元"}} for n in range(1, 9)]
    expected = {}
    for index, facts in enumerate(cases):
        status, expected[index] = server.json("POST", "/v1/evaluate", {"facts": facts, "on": ON, "policies": [DOC]})
        assert status == 200
    assert len({json.dumps(v, sort_keys=True) for v in expected.values()}) >= 4
    failures = []

    def client(index: int) -> None:
        for _round in range(6):
            status, answer = server.json("POST", "/v1/evaluate", {"facts": cases[index], "on": ON, "policies": [DOC]})
            if status != 200 or answer != expected[index]:
                failures.append((index, status))
    threads = [threading.Thread(target=client, args=(index,)) for index in range(len(cases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


SMALL = "嘉人社〔2020〕11号"
SMALL_TITLE = "关于做好2020年嘉兴市本级失业保险稳岗返还工作有关事项的通知"


@pytest.fixture(scope="module")
def small_built(tmp_path_factory) -> Path:
    """One short policy (and the vocabulary and text it reads), built once: reload tests
    compile it again and again, so it is the smallest of the shipped policies."""
    tmp = tmp_path_factory.mktemp("small")
    (tmp / "policies").mkdir()
    for name in ("jrs-2020-11.pol", "vocabulary.pol"):
        shutil.copy(ROOT / "policies" / name, tmp / "policies" / name)
    shutil.copytree(ROOT / "policies" / "sources", tmp / "policies" / "sources")
    (tmp / "pyproject.toml").write_text("[project]\nname = 'small'\n", encoding="utf-8")
    assert run_polc("build", cwd=tmp).returncode == 0
    return tmp


def _small_project(built: Path, tmp: Path) -> Path:
    """A copy of the built small project (the same bytes: verified already, fast path)."""
    shutil.copytree(built, tmp / "small")
    return tmp / "small"


def _retitle(project: Path, title: str) -> str:
    policy = project / "policies" / "jrs-2020-11.pol"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace(f'标题 "{SMALL_TITLE}"', f'标题 "{title}"', 1), encoding="utf-8")
    return text


def _title(server: Server) -> str:
    return server.json("GET", "/v1/policies")[1]["policies"][0]["title"]


def test_reload_when_generated_changes_and_a_failed_reload_keeps_the_old(small_built, tmp_path):
    project = _small_project(small_built, tmp_path)
    server = Server(project, "--poll", "0.2")
    try:
        assert server.health()["policies"] == [SMALL]
        original = _retitle(project, f"{SMALL_TITLE}（修订）")
        assert run_polc("build", cwd=project).returncode == 0

        def revised() -> bool:  # the edit alone may reload first (compiled in memory), the build after it
            return _title(server) == f"{SMALL_TITLE}（修订）" and server.health()["origin"] == "generated"
        assert _wait_for(revised), server.errors()
        assert server.health()["generation"] > 1
        # a broken draft: logged, and the loaded generation keeps serving
        (project / "policies" / "jrs-2020-11.pol").write_text(original + "\n条款 第九十九条\n  给予\n", encoding="utf-8")
        assert _wait_for(lambda: "重新加载失败" in server.errors()), server.errors()
        assert revised()
        assert server.json("POST", "/v1/evaluate", {"facts": {}, "on": ON})[0] == 200
    finally:
        server.stop()


def test_sighup_reloads_time_limit_and_ctrl_c(small_built, tmp_path):
    project = _small_project(small_built, tmp_path)
    server = Server(project, "--poll", "0", "--timeout", "0.0001")
    try:
        status, answer = server.json("POST", "/v1/evaluate", {"facts": {}, "on": ON})
        assert status == 503 and answer["error"]["code"] == "timeout"
        assert server.json("GET", "/v1/policies")[0] == 200  # the rest is served regardless
        _retitle(project, "新标题")
        time.sleep(0.5)
        assert server.health()["generation"] == 1  # --poll 0: no polling, only the signal
        server.process.send_signal(signal.SIGHUP)
        assert _wait_for(lambda: server.health()["generation"] == 2, 60), server.errors()
        assert server.health()["origin"] == "compiled"  # generated/ is stale now: compiled in memory, as polc eval does
        assert _title(server) == "新标题"
    finally:
        code, err = server.stop(signal.SIGINT)
    assert code == 0, err
    assert "已停止" in err and "Traceback" not in err


def test_policies_with_errors_or_a_busy_port_do_not_start(tmp_path):
    (tmp_path / "bad.pol").write_text("政策 测试〔2020〕1号\n条款 第一条\n  给予\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "compiler", "serve", "bad.pol", "--port", str(_free_port())],
                          cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and "无法加载政策" in done.stderr and "Traceback" not in done.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        done = subprocess.run([sys.executable, "-m", "compiler", "serve", str(ROOT / "policies"), "--port",
                               str(busy.getsockname()[1])], cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_worker_processes_answer_alike_and_stop_cleanly(server):
    workers = Server(server.project, "--workers", "2", "--poll", "0")
    try:
        request = {"facts": FACTS, "on": ON, "policies": [DOC]}
        expected = server.json("POST", "/v1/evaluate", request)
        answers = [workers.json("POST", "/v1/evaluate", request) for _ in range(4)]
        assert all(answer == expected for answer in answers) and expected[0] == 200
    finally:
        code, err = workers.stop(signal.SIGINT)
    assert code == 0 and "Traceback" not in err, err


@pytest.mark.parametrize("arguments", [["no-such-folder"], ["--port", "70000"], ["--workers", "0"], ["--timeout", "-1"],
                                       ["--timeout", "inf"], ["--poll", "-1"], ["--poll", "nan"]])
def test_usage_errors_exit_2(tmp_path, arguments):
    done = run_polc("serve", *arguments, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
