"""`polc serve`: the compiled policies as an HTTP JSON service (Starlette under uvicorn).

    POST /v1/evaluate                  {"facts": {...}, "on": "YYYY-MM-DD", "policies": [文号, ...]}
    GET  /v1/policies                  文号, title, module, clauses (labels, titles, matters)
    GET  /v1/policies/{文号}/schema     the policy's facts JSON Schema (as `polc build --emit schema`)
    GET  /v1/policies/{文号}/summary    the policy's Markdown summary (as generated/<module>.md)
    GET  /v1/schema?policies=…         the facts schema of policies evaluated together (default all)
    GET  /openapi.json                 OpenAPI 3.1 description of all of these
    GET  /healthz                      liveness, and what is loaded

An evaluation is the `polc eval --format json` document, made by the same call
(runtime.evaluate_policies over the policies' generated modules), with 就高不重复 and
modifiers across the policies of the request, in the order given.

Loading. The policies are loaded before the socket is opened: the current generated modules
through the fast path of `polc eval --facts` (fast_eval: verified, current modules from
generated/), else compiled in memory. The schemas, summaries and OpenAPI description come
from the compiler (they need the facts' 说明 and the overlap analysis), compiled in a
background thread when first asked for (a server that only evaluates never pays for
it; each worker process would otherwise compile them all); those endpoints wait for it.
A generation (modules, documents, evaluators) is replaced as a whole — one reference
assignment — on SIGHUP or when a watched file changes (the .pol files and the generated
directories, polled by mtime); a reload that fails logs why and keeps the old generation.

Bounds. A request body over MAX_BODY bytes is refused (413) before it is parsed; JSON is
read by compiler.source.load_json (Decimal numbers, no NaN, nesting ≤ 16); parsing,
validation and evaluation run under a time limit (503 past it): in the event loop's thread,
stopped by SIGALRM (it really stops, and no thread hand-off costs latency); where the loop
is not in the main thread, in a small thread pool instead (a thread cannot be stopped, but
the pool is bounded, so stuck work queues rather than multiplies). A request's content is only ever data: facts go to runtime.validate_facts,
policy names are dictionary keys, and everything returned is JSON-encoded (or the Markdown
that polc generated, escaped for Markdown by to_markdown).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from . import __version__, fast_eval, runtime, source
from .paths import UsageError, discover, project_root

MAX_BODY = 1 << 20  # 1 MiB: one applicant's facts are a few KB
DEFAULT_TIMEOUT = 5.0  # seconds for parsing, validating and evaluating one request
POLL_SECONDS = 1.0
POOL_THREADS = 4
MAX_PROBLEMS = 100  # fact problems listed in one answer
MAX_CACHED_SETS = 64  # evaluators kept per generation, one per set of policies asked for
REQUEST_KEYS = ("facts", "on", "policies")

log = logging.getLogger("polc.serve")


def _bilingual(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


class RequestError(Exception):
    """A request that cannot be served: HTTP status, a code, a message in both languages."""

    def __init__(self, status: int, code: str, zh: str, en: str, **extra):
        super().__init__(en)
        self.status, self.code, self.zh, self.en, self.extra = status, code, zh, en, extra

    def body(self) -> dict:
        return {"error": {"status": self.status, "code": self.code, "message": _bilingual(self.zh, self.en),
                          **self.extra}}


class LoadError(Exception):
    """Policies that cannot be loaded (diagnostics with errors, a missing path)."""


# ---------------------------------------------------------------- a generation of policies
class Documents:
    """What the compiler gives beside the modules: schemas, summaries, the OpenAPI text."""

    def __init__(self, schemas: dict[str, dict], merged: dict, summaries: dict[str, str], openapi: bytes):
        self.schemas, self.merged, self.summaries, self.openapi = schemas, merged, summaries, openapi


class Generation:
    """One loaded set of policies; never changed once made (the evaluator cache only grows)."""

    def __init__(self, number: int, modules: list, origin: str):
        self.number = number
        self.modules = modules
        # "generated": the modules of generated/ (verified, or compiled and found identical);
        # "compiled": compiled in memory because generated/ is stale or missing
        self.origin = origin
        self.loaded_at = time.time()
        self.by_docno = {m.POLICY.docno: m for m in modules}
        self.lookup = {**{m.__name__: m for m in modules}, **self.by_docno}  # 文号 or module name
        self.docnos = [m.POLICY.docno for m in modules]
        self.listing = _json_bytes({"policies": [_describe(m) for m in modules]})
        self._evaluators: dict[tuple[str, ...], object] = {}
        self._documents: Documents | None = None
        self._documents_error: str | None = None
        self._documents_ready = threading.Event()
        self._starting = threading.Lock()

    def evaluator(self, docnos: tuple[str, ...]):
        found = self._evaluators.get(docnos)
        if found is None:
            found = runtime.Evaluator([(self.by_docno[d].POLICY, self.by_docno[d].CLAUSES) for d in docnos])
            # Kept for the sets asked most (all, each one alone, …): a bounded number, since
            # requests can name any of 2^n sets.
            if len(self._evaluators) < MAX_CACHED_SETS:
                self._evaluators[docnos] = found
        return found

    def set_documents(self, documents: Documents | None, error: str | None = None) -> None:
        self._documents, self._documents_error = documents, error
        self._documents_ready.set()

    compile_documents: Callable[[], None] | None = None  # started on first need, once

    def documents(self, timeout: float) -> Documents:
        with self._starting:
            start, self.compile_documents = self.compile_documents, None
        if start is not None:
            start()
        if not self._documents_ready.wait(timeout):
            raise RequestError(503, "loading", "政策文档（事实模式、摘要）仍在编译，请稍后再试",
                               "the policy documents (schemas, summaries) are still being compiled: try again shortly")
        if self._documents is None:
            raise RequestError(503, "documents_failed", f"政策文档编译失败：{self._documents_error}",
                               f"the policy documents could not be compiled: {self._documents_error}")
        return self._documents

    @property
    def documents_state(self) -> str:
        if self.compile_documents is not None:
            return "on_demand"
        if not self._documents_ready.is_set():
            return "loading"
        return "ready" if self._documents is not None else "failed"


def _describe(module) -> dict:
    policy = module.POLICY
    return {
        "docno": policy.docno, "title": policy.title, "module": module.__name__, "source": policy.path,
        "effective_from": str(policy.effective_from) if policy.effective_from else None,
        "effective_until": str(policy.effective_until) if policy.effective_until else None,
        "principle": policy.principle,
        "clauses": [{"label": spec.label, "article": spec.article, "item": spec.item, "title": spec.title,
                     "matter": spec.matter} for spec in module.CLAUSES],
    }


def _json_bytes(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False).encode("utf-8")


class Loader:
    """Loads generations of the policies under paths (as `polc eval` finds them)."""

    def __init__(self, paths: list[str], generated: str | None, lang: str = "zh"):
        self.paths, self.generated, self.lang = paths, generated, lang
        self.count = 0
        # The compiler keeps module-level caches and was not written for threads: one
        # compilation at a time (a reload may come while the documents are compiling).
        self._compiling = threading.Lock()

    def load(self) -> Generation:
        """A new generation; the documents follow in a background thread when the modules
        came from the fast path. Raises LoadError (nothing is replaced)."""
        try:
            probe = fast_eval.probe(self.paths, self.generated)
        except UsageError as exc:
            raise LoadError(str(exc)) from None
        if probe.modules is not None:
            self.count += 1
            generation = Generation(self.count, probe.modules, "generated")
            on_disk = probe.on_disk
            generation.compile_documents = lambda: threading.Thread(
                target=self._documents_for, args=(generation, on_disk), daemon=True,
                name=f"polc-documents-{generation.number}").start()
            return generation
        if probe.stale:
            log.warning("%s", f"注意：{probe.stale} 已过期（源文件已改动），在内存中重新编译；运行 polc build 更新 / "
                              f"note: {probe.stale} is stale (its sources changed): compiled in memory; run polc build")
        project = self._compile()
        with self._compiling:
            modules, same_as_disk = _compile_modules(project, probe)
            documents = _documents(project, modules, self.generated)
        self.count += 1  # generations are numbered as they are made: a failed load takes no number
        generation = Generation(self.count, modules, "generated" if same_as_disk else "compiled")
        generation.set_documents(documents)
        return generation

    def _compile(self):
        from . import driver
        from .diagnostics import render_all
        try:
            with self._compiling:
                project = driver.load(self.paths)
        except UsageError as exc:
            raise LoadError(str(exc)) from None
        if project.has_errors:
            shown = [d for d in project.diagnostics if d.severity != "info"]
            raise LoadError(render_all(shown, project.sources, self.lang).rstrip())
        if not project.policies:
            raise LoadError(f"{' '.join(self.paths)} 中没有政策 / no policies in {' '.join(self.paths)}")
        return project

    def _documents_for(self, generation: Generation, modules: dict[str, bytes]) -> None:
        """Compile the documents of a generation loaded from generated/: only if the sources
        still give those very modules, so a schema never describes other rules than those
        that evaluate (if the sources moved on, a reload is coming: the watcher saw it)."""
        from . import driver
        try:
            project = self._compile()
            with self._compiling:
                texts = driver.python_outputs(project)
                if {name: text.encode("utf-8") for name, text in texts.items()} != modules:
                    raise LoadError("源文件已改动，与已加载的模块不一致：请等待重新加载（或发送 SIGHUP）/ "
                                    "the sources changed since the modules were loaded: wait for the reload (or send SIGHUP)")
                documents = _documents(project, generation.modules, self.generated)
            generation.set_documents(documents)
        except LoadError as exc:
            log.error("%s", f"polc serve: 无法编译政策文档 / cannot compile the policy documents:\n{exc}")
            generation.set_documents(None, str(exc).splitlines()[0] if str(exc) else "?")
        except Exception as exc:  # noqa: BLE001 - a compiler bug must not take the server down
            log.exception("polc serve: internal error while compiling the policy documents")
            generation.set_documents(None, f"{type(exc).__name__}")

    def watched(self) -> tuple:
        """What is watched for changes that call for a reload: the .pol files and the files of
        the generated directories, by (path, mtime, size)."""
        seen = []
        try:
            files = discover(self.paths)
        except UsageError:
            files = []
        folders = {self.generated} if self.generated is not None else {str(project_root(f) / "generated") for f in files}
        for folder in sorted(folders):
            try:
                files.extend(str(Path(folder) / name) for name in os.listdir(folder) if name.endswith((".py", ".md")))
            except OSError:
                continue
        for path in sorted(files):
            try:
                info = os.stat(path)
            except OSError:
                continue
            seen.append((path, info.st_mtime_ns, info.st_size))
        return tuple(seen)


def _compile_modules(project, probe) -> tuple[list, bool]:
    """The modules compiled in memory from the text `polc build` writes, and whether the
    modules on disk are that text byte for byte (then recorded, so the next load takes the
    fast path: a build that has just written them may not have recorded them yet)."""
    from . import driver
    texts = driver.python_outputs(project)
    same = bool(probe.on_disk) and set(probe.on_disk) == set(texts) and all(
        probe.on_disk[name] == text.encode("utf-8") for name, text in texts.items())
    if same:
        fast_eval.record(probe.on_disk, driver.module_inputs(project))
    return [driver.load_module(policy, texts[f"{driver.module_name(policy.path)}.py"])
            for policy in project.policies], same


def _documents(project, modules: list, generated: str | None) -> Documents:
    from . import driver, schema
    files = driver.outputs(project, generated)
    schemas, summaries = {}, {}
    for policy in project.policies:
        name = driver.module_name(policy.path)
        schemas[policy.docno] = schema.for_policy(policy)
        summaries[policy.docno] = files[f"{name}.md"]
    merged = schema.merge(list(schemas.values()))
    return Documents(schemas, merged, summaries, _json_bytes(openapi(merged, [m.POLICY.docno for m in modules])))


# ---------------------------------------------------------------- evaluating one request
def parse_request(body: bytes, generation: Generation) -> tuple[dict, str, tuple[str, ...]]:
    """The facts, the date and the policies (文号, in the order to evaluate) of a request.
    Raises RequestError for a body, date or policy list that cannot be used."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequestError(400, "malformed_json", f"请求体不是 UTF-8 文本（第 {exc.start} 字节）",
                           f"the request body is not UTF-8 text (byte {exc.start})") from None
    try:
        request = source.load_json(text)
    except json.JSONDecodeError as exc:
        raise RequestError(400, "malformed_json", f"请求体不是合法的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}",
                           f"the request body is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    except source.JSONLimitError as exc:
        raise RequestError(400, "malformed_json", f"请求体：{exc.zh}", f"request body: {exc.en}") from None
    if not isinstance(request, dict):
        raise RequestError(400, "malformed_request", "请求体应为 JSON 对象：{\"facts\": {…}, \"on\": \"YYYY-MM-DD\"}",
                           'the request body must be a JSON object: {"facts": {...}, "on": "YYYY-MM-DD"}')
    unknown = [key for key in request if key not in REQUEST_KEYS]
    if unknown:
        raise RequestError(422, "unknown_field", f"请求中有未知字段 {runtime.shown(unknown[0])}（可用：facts、on、policies）",
                           f"unknown field {runtime.shown(unknown[0])} in the request (allowed: facts, on, policies)",
                           field=runtime.shown(unknown[0], 80, str))
    docnos = _policies_of(request.get("policies"), generation)
    if "on" not in request:
        raise RequestError(422, "missing_on", "缺少评估日 on（YYYY-MM-DD）", "the evaluation date \"on\" (YYYY-MM-DD) is missing")
    try:
        on = runtime.parse_date(request["on"], "on")
    except runtime.FactError as exc:
        raise _fact_errors([exc]) from None
    facts = request.get("facts")
    if not isinstance(facts, dict):
        raise RequestError(422, "bad_facts", "facts 应为以事实名称为键的 JSON 对象",
                           "\"facts\" must be a JSON object keyed by fact names",
                           problems=[{"fact": "*", **_bilingual("应为对象", "must be an object")}])
    return facts, on, docnos


def _policies_of(given, generation: Generation) -> tuple[str, ...]:
    if given is None:
        return tuple(generation.docnos)
    if not isinstance(given, list) or not given or not all(isinstance(name, str) for name in given):
        raise RequestError(422, "bad_policies", "policies 应为文号（字符串）的非空列表", "\"policies\" must be a non-empty list of 文号 strings",
                           valid=generation.docnos)
    docnos = []
    for name in given:
        module = generation.lookup.get(name)
        if module is None:
            raise _unknown_policy(name, generation)
        if module.POLICY.docno in docnos:
            raise RequestError(422, "bad_policies", f"政策 {name} 重复列出", f"the policy {name} is listed twice")
        docnos.append(module.POLICY.docno)
    # In load order, whatever the order asked: `polc eval A B` evaluates its files in path
    # order too, and 就高不重复 breaks ties by that order, so the answer is the same document.
    return tuple(docno for docno in generation.docnos if docno in docnos)


def _unknown_policy(name: str, generation: Generation) -> RequestError:
    shown = runtime.shown(name, 80, str)
    return RequestError(404, "unknown_policy", f"没有政策 {shown}；已加载：{'、'.join(generation.docnos)}",
                        f"no policy {shown}; loaded: {', '.join(generation.docnos)}", policy=shown,
                        valid=generation.docnos)


def fact_problems(generation: Generation, docnos: tuple[str, ...], facts: dict) -> list:
    """Every fact the evaluation would refuse, each with the runtime's own FactError: each
    fact is checked alone, against every policy of the request that declares it (so a
    problem with one fact does not hide another's)."""
    tables = [generation.by_docno[docno].POLICY.schema for docno in docnos]
    known = {}
    for table in tables:
        known.update(table)
    problems: list = []
    for name, value in facts.items():
        try:
            if name not in known:
                runtime.validate_facts({name: value}, known)  # raises, with a "did you mean"
            for table in tables:
                if name in table:
                    runtime.validate_facts({name: value}, table)
        except runtime.FactError as exc:
            problems.extend(p for p in getattr(exc, "problems", None) or [exc] if p not in problems)
            if len(problems) >= MAX_PROBLEMS:  # a hostile body of 100,000 bad keys gets a bounded answer
                return problems[:MAX_PROBLEMS]
    return problems


def _fact_errors(problems: list) -> RequestError:
    rows = [{"fact": exc.fact, "zh": f"事实错误：「{exc.fact}」{exc.problem_zh}", "en": f"fact error: {exc.fact!r} {exc.problem_en}"}
            for exc in problems]
    zh = "；".join(row["zh"] for row in rows[:3]) + (f"（共 {len(rows)} 处）" if len(rows) > 3 else "")
    en = "; ".join(row["en"] for row in rows[:3]) + (f" ({len(rows)} in all)" if len(rows) > 3 else "")
    return RequestError(422, "bad_facts", zh, en, problems=rows)


def evaluate_body(body: bytes, generation: Generation) -> bytes:
    """The response to POST /v1/evaluate: the `polc eval --format json` document."""
    facts, on, docnos = parse_request(body, generation)
    try:
        evaluation = generation.evaluator(docnos).evaluate(facts, on)
    except runtime.FactError as exc:
        # Every bad fact, each in the runtime's own words: as the runtime lists them when it
        # does (FactError.problems), else found here one fact at a time (only now, so good
        # requests are validated once).
        listed = getattr(exc, "problems", None)
        raise _fact_errors(list(listed) if listed else fact_problems(generation, docnos, facts) or [exc]) from None
    return _json_bytes(evaluation.to_json())


# ---------------------------------------------------------------- OpenAPI
def openapi(merged: dict, docnos: list[str]) -> dict:
    facts = {key: value for key, value in merged.items() if key != "$schema"}
    error = {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["status", "code", "message"],
        "properties": {"status": {"type": "integer"}, "code": {"type": "string"},
                       "message": {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}},
                       "problems": {"type": "array", "items": {"type": "object", "properties": {
                           "fact": {"type": "string"}, "zh": {"type": "string"}, "en": {"type": "string"}}}},
                       "valid": {"type": "array", "items": {"type": "string"}}}}}}
    money = {"type": ["string", "null"], "pattern": "^-?[0-9]+\\.[0-9]{2}$", "description": "元，两位小数 / yuan, two places"}
    award = {"type": ["object", "null"], "properties": {
        "kind": {"enum": ["exact", "up_to", "range", "case_by_case", "unspecified", "routing"]},
        "min": money, "max": money,
        # issue 13: an award paid in parts (其中 …): each part and whether it is paid now
        "parts": {"type": "array", "items": {"type": "object", "properties": {
            "part": {"type": "string"}, "status": {"enum": ["paid", "pending", "undecidable"]},
            "min": money, "max": money, "year": {"type": "integer"}}}}}}
    clause = {"type": "object", "required": ["policy", "article", "item", "title", "matter", "applies", "paid", "award",
                                             "reason", "trace", "missing", "source"],
              "properties": {"policy": {"type": "string"}, "article": {"type": "string"},
                             "item": {"type": ["integer", "null"]}, "title": {"type": ["string", "null"]},
                             "matter": {"type": ["string", "null"]}, "applies": {"type": ["boolean", "null"]},
                             "paid": {"type": "boolean"}, "award": award, "reason": {"type": "string"},
                             "trace": {"type": "array", "items": {"type": "string"}},
                             "missing": {"type": "array", "items": {"type": "string"}},
                             "source": {"type": "string"}, "could_pay": money,
                             "per_year": {"type": "boolean"}, "years_max": {"type": "integer"},
                             "funding": {"type": "object"}, "modifies": {"type": "object"},
                             # issue 13: what reduced the award (抵扣 …)
                             "offsets": {"type": "array", "items": {"type": "object", "properties": {
                                 "offset": {"type": "string"}, "by": {"type": "array", "items": {"type": "string"}},
                                 "min": money, "max": money}}}}}
    evaluation = {"type": "object", "required": ["on", "clauses", "total", "warnings"],
                  "description": "与 `polc eval --format json` 相同的文档 / the `polc eval --format json` document",
                  "properties": {"on": {"type": "string", "format": "date"},
                                 "clauses": {"type": "array", "items": {"$ref": "#/components/schemas/ClauseResult"}},
                                 "total": {"type": "object", "required": ["min", "max", "open"], "properties": {
                                     "min": money, "max": money, "open": {"type": "array", "items": {"type": "string"}},
                                     "undecided": {"type": "array", "items": {"type": "string"}}}},
                                 "warnings": {"type": "array", "items": {"type": "string"}}}}
    request = {"type": "object", "required": ["facts", "on"], "additionalProperties": False,
               "properties": {"facts": {"$ref": "#/components/schemas/Facts"},
                              "on": {"type": "string", "format": "date", "description": "评估日 / evaluation date"},
                              "policies": {"type": "array", "minItems": 1, "uniqueItems": True,
                                           "items": {"type": "string"},
                                           "examples": [docnos],
                                           "description": "要共同评估的政策（文号或模块名）；按加载顺序（与 polc eval 相同）"
                                                          "评估；省略为全部 / the policies to evaluate together (文号 or "
                                                          "module name), in load order as polc eval does; all if omitted"}}}
    policy_list = {"type": "object", "properties": {"policies": {"type": "array", "items": {
        "type": "object", "properties": {"docno": {"type": "string"}, "title": {"type": ["string", "null"]},
                                         "module": {"type": "string"}, "clauses": {"type": "array"}}}}}}

    def responses(ok: dict, *errors: int) -> dict:
        table = {"200": ok}
        for status in errors:
            table[str(status)] = {"description": _STATUS[status],
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        return table

    docno = {"name": "docno", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "文号（或生成模块名）/ 文号 (or the generated module's name)"}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "polc", "version": __version__,
                 "description": "编译后的政策：评估一个申请人 / compiled policies: evaluate one applicant"},
        "paths": {
            "/v1/evaluate": {"post": {
                "summary": "评估一个申请人 / evaluate one applicant",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/EvaluateRequest"}}}},
                "responses": responses({"description": "评估结果 / the evaluation", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Evaluation"}}}},
                    400, 404, 413, 422, 503)}},
            "/v1/policies": {"get": {"summary": "已加载的政策 / the loaded policies", "responses": responses(
                {"description": "政策与条款 / policies and their clauses",
                 "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PolicyList"}}}})}},
            "/v1/policies/{docno}/schema": {"get": {
                "summary": "政策的事实 JSON Schema / a policy's facts JSON Schema", "parameters": [docno],
                "responses": responses({"description": "JSON Schema 2020-12", "content": {"application/schema+json": {
                    "schema": {"type": "object"}}}}, 404, 503)}},
            "/v1/policies/{docno}/summary": {"get": {
                "summary": "政策摘要（Markdown）/ a policy's summary (Markdown)", "parameters": [docno],
                "responses": responses({"description": "Markdown", "content": {"text/markdown": {
                    "schema": {"type": "string"}}}}, 404, 503)}},
            "/v1/schema": {"get": {
                "summary": "共同评估的政策的事实 JSON Schema / the facts JSON Schema of policies evaluated together",
                "parameters": [{"name": "policies", "in": "query", "required": False, "style": "form", "explode": True,
                                "schema": {"type": "array", "items": {"type": "string"}},
                                "description": "文号或模块名，可重复；省略为全部 / 文号 or module names, repeated; all if omitted"}],
                "responses": responses({"description": "JSON Schema 2020-12", "content": {"application/schema+json": {
                    "schema": {"type": "object"}}}}, 404, 422, 503)}},
            "/openapi.json": {"get": {"summary": "本描述 / this description", "responses": responses(
                {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}, 503)}},
            "/healthz": {"get": {"summary": "健康检查 / health", "responses": responses(
                {"description": "运行中 / up", "content": {"application/json": {"schema": {"type": "object"}}}})}},
        },
        "components": {"schemas": {"Facts": facts, "EvaluateRequest": request, "Evaluation": evaluation,
                                   "ClauseResult": clause, "PolicyList": policy_list, "Error": error}},
    }


_STATUS = {400: "请求体不是合法 JSON / malformed request", 404: "没有此政策 / unknown policy",
           413: "请求体过大 / request body too large", 422: "事实或参数有误 / bad facts or parameters",
           503: "评估超时或文档仍在编译 / evaluation timed out, or documents still compiling"}


# ---------------------------------------------------------------- the ASGI application
class Service:
    """The state shared by the requests of one process: the current generation, reloads."""

    def __init__(self, loader: Loader, timeout: float = DEFAULT_TIMEOUT, poll: float = POLL_SECONDS):
        self.loader, self.timeout, self.poll = loader, timeout, poll
        self._stamp = loader.watched()  # before loading: a change made meanwhile is not missed
        self.current = loader.load()  # raises LoadError: the server does not start
        self._reload_wanted = threading.Event()
        self._stopping = threading.Event()
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="polc-eval")
        self._watcher: threading.Thread | None = None

    # -- reloading
    def request_reload(self, *_args) -> None:
        """SIGHUP handler: only sets a flag (signal handlers must not do the work)."""
        self._reload_wanted.set()

    def start_watching(self) -> None:
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, daemon=True, name="polc-watch")
            self._watcher.start()

    def stop(self) -> None:
        self._stopping.set()
        self._reload_wanted.set()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            signalled = self._reload_wanted.wait(self.poll if self.poll > 0 else None)
            if self._stopping.is_set():
                return
            self._reload_wanted.clear()
            stamp = self.loader.watched() if self.poll > 0 else self._stamp
            if signalled or stamp != self._stamp:
                self._stamp = stamp  # a failed reload is retried on the next change or signal
                self.reload("SIGHUP" if signalled else "change")

    def reload(self, why: str) -> bool:
        try:
            fresh = self.loader.load()
        except LoadError as exc:
            log.error("%s", f"polc serve: 重新加载失败，继续使用第 {self.current.number} 代政策 / reload failed, "
                            f"keeping generation {self.current.number}:\n{exc}")
            return False
        except Exception:  # noqa: BLE001 - a compiler bug must not take the server down
            log.exception("polc serve: internal error while reloading; keeping the loaded policies")
            return False
        self.current = fresh  # one assignment: a request sees the old generation or the new one
        log.warning("%s", f"polc serve: 已重新加载（{why}）：第 {fresh.number} 代，{len(fresh.modules)} 个政策 / "
                          f"reloaded ({why}): generation {fresh.number}, {len(fresh.modules)} policies")
        return True

    # -- running work under the time limit
    def use_alarm(self) -> None:
        """Evaluate in the event loop's own thread, stopped by SIGALRM past the limit. Only
        where the loop runs in the main thread (signals go there): the normal case, for
        `polc serve` and for each uvicorn worker process."""
        if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGALRM, self._alarm)
            self._inline = True

    _inline = False
    _armed = False

    def _alarm(self, *_args) -> None:
        if self._armed:  # an alarm that comes after the work ended (a race) does nothing
            raise _OverTime()

    async def bounded(self, work: Callable, *args):
        if self._inline:
            return self._timed(work, *args)
        loop = asyncio.get_running_loop()
        started = loop.time()
        future = loop.run_in_executor(self.pool, work, *args)
        late = RequestError(503, "timeout", f"评估超过 {self.timeout:g} 秒，已放弃",
                            f"the evaluation took over {self.timeout:g} s and was abandoned")
        try:
            result = await asyncio.wait_for(future, self.timeout)
        except asyncio.TimeoutError:
            raise late from None
        # The thread may finish in the instant the limit passes (the loop runs the callbacks
        # in either order): a result later than the bound is refused all the same.
        if loop.time() - started > self.timeout:
            raise late
        return result


    def _timed(self, work: Callable, *args):
        """work(*args), abandoned when SIGALRM comes: unlike a thread, it really stops (the
        runtime catches only Exception, and _OverTime is not one)."""
        try:
            try:
                self._armed = True
                signal.setitimer(signal.ITIMER_REAL, self.timeout)
                result = work(*args)
            finally:
                self._armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _OverTime:
            raise RequestError(503, "timeout", f"评估超过 {self.timeout:g} 秒，已中止",
                               f"the evaluation took over {self.timeout:g} s and was stopped") from None
        return result


class _OverTime(BaseException):
    """Raised by SIGALRM inside an evaluation past its time limit."""


def create_app(service: Service):
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    def json_response(content: bytes, status: int = 200, media_type: str = "application/json") -> Response:
        return Response(content, status_code=status, media_type=media_type)

    def error_response(exc: RequestError) -> Response:
        return json_response(_json_bytes(exc.body()), exc.status)

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        too_large = RequestError(413, "too_large", f"请求体超过 {MAX_BODY >> 20} MiB", f"the request body is over {MAX_BODY >> 20} MiB")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
            raise too_large
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    async def evaluate(request: Request) -> Response:
        generation = service.current
        try:
            body = await read_body(request)
            return json_response(await service.bounded(evaluate_body, body, generation))
        except RequestError as exc:
            return error_response(exc)

    async def policies(_request: Request) -> Response:
        return json_response(service.current.listing)

    async def document(request: Request, kind: str) -> Response:
        generation = service.current
        name = request.path_params["docno"]
        try:
            module = generation.lookup.get(name)
            if module is None:
                raise _unknown_policy(name, generation)
            documents = await asyncio.to_thread(generation.documents, max(service.timeout, 30.0))
            docno = module.POLICY.docno
            if kind == "schema":
                return json_response(_json_bytes(documents.schemas[docno]), media_type="application/schema+json")
            return Response(documents.summaries[docno], media_type="text/markdown; charset=utf-8")
        except RequestError as exc:
            return error_response(exc)

    async def facts_schema(request: Request) -> Response:
        return await document(request, "schema")

    async def summary(request: Request) -> Response:
        return await document(request, "summary")

    async def schema_of_set(request: Request) -> Response:
        generation = service.current
        try:
            docnos = _policies_of(request.query_params.getlist("policies") or None, generation)
            documents = await asyncio.to_thread(generation.documents, max(service.timeout, 30.0))
        except RequestError as exc:
            return error_response(exc)
        from .schema import merge
        chosen = documents.merged if list(docnos) == generation.docnos else merge([documents.schemas[d] for d in docnos])
        return json_response(_json_bytes(chosen), media_type="application/schema+json")

    async def described(_request: Request) -> Response:
        try:
            documents = await asyncio.to_thread(service.current.documents, max(service.timeout, 30.0))
        except RequestError as exc:
            return error_response(exc)
        return json_response(documents.openapi)

    async def health(_request: Request) -> Response:
        generation = service.current
        loaded = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(generation.loaded_at))
        return json_response(_json_bytes({"status": "ok", "version": __version__, "generation": generation.number,
                                          "loaded_at": loaded, "origin": generation.origin,
                                          "documents": generation.documents_state, "policies": generation.docnos}))

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        words = {404: ("没有这个地址", "no such path"), 405: ("不支持此方法", "method not allowed")}
        zh, en = words.get(exc.status_code, ("请求有误", "bad request"))
        paths = ["POST /v1/evaluate", "GET /v1/policies", "GET /v1/policies/{docno}/schema",
                 "GET /v1/policies/{docno}/summary", "GET /v1/schema?policies=…", "GET /openapi.json", "GET /healthz"]
        return error_response(RequestError(exc.status_code, "not_found" if exc.status_code == 404 else "bad_method",
                                           zh, en, paths=paths))

    async def internal_error(_request: Request, exc: Exception) -> Response:
        # Starlette re-raises it after this answer, and uvicorn logs the traceback once.
        log.error("polc serve: internal error: %s", type(exc).__name__)
        return error_response(RequestError(500, "internal", "服务内部错误（已记录）", "internal error (logged)"))

    routes = [
        Route("/v1/evaluate", evaluate, methods=["POST"]),
        Route("/v1/policies", policies, methods=["GET"]),
        Route("/v1/policies/{docno}/schema", facts_schema, methods=["GET"]),
        Route("/v1/policies/{docno}/summary", summary, methods=["GET"]),
        Route("/v1/schema", schema_of_set, methods=["GET"]),
        Route("/openapi.json", described, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
    ]

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: internal_error})
    app.state.service = service
    return app


# ---------------------------------------------------------------- the command
ENVIRONMENT = "POLC_SERVE_CONFIG"  # how a worker process (--workers N) learns what to load


def worker_app():
    """The application of one uvicorn worker process (--workers N > 1): loads the policies
    named in $POLC_SERVE_CONFIG. Each worker reloads on its own when files change; SIGHUP to
    the main process makes uvicorn restart the workers, which load afresh."""
    config = json.loads(os.environ[ENVIRONMENT])
    _configure_logging()
    service = Service(Loader(config["paths"], config["generated"], config["lang"]), config["timeout"], config["poll"])
    service.use_alarm()
    service.start_watching()
    return create_app(service)


def _configure_logging() -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def run(paths: list[str], host: str, port: int, generated: str | None, workers: int, timeout: float,
        lang: str = "zh", poll: float = POLL_SECONDS) -> int:
    """polc serve: load, listen, serve until SIGINT/SIGTERM; 0 on a clean stop, 1 if the
    policies cannot be loaded or the address cannot be bound, 2 for a path that is not there."""
    import uvicorn
    _configure_logging()
    say = (lambda zh, en: en) if lang == "en" else (lambda zh, en: zh)
    try:
        discover(paths)  # a path that does not exist is a usage error (2), as for every command
    except UsageError as exc:
        print(f"polc: {exc}", file=sys.stderr)
        return 2
    if workers > 1:
        # Loaded here once to refuse bad policies before any worker starts.
        try:
            Loader(paths, generated, lang).load()
        except LoadError as exc:
            print(say(f"polc serve: 无法加载政策：\n{exc}", f"polc serve: cannot load the policies:\n{exc}"), file=sys.stderr)
            return 1
        os.environ[ENVIRONMENT] = json.dumps({"paths": [os.path.abspath(p) for p in paths],
                                              "generated": os.path.abspath(generated) if generated else None,
                                              "lang": lang, "timeout": timeout, "poll": poll})
        print(say(f"polc serve: http://{host}:{port}（{workers} 个工作进程）",
                  f"polc serve: http://{host}:{port} ({workers} worker processes)"), file=sys.stderr, flush=True)
        uvicorn.run("compiler.serve:worker_app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
        print(say("polc serve: 已停止", "polc serve: stopped"), file=sys.stderr)
        return 0
    try:
        service = Service(Loader(paths, generated, lang), timeout, poll)
    except LoadError as exc:
        print(say(f"polc serve: 无法加载政策：\n{exc}", f"polc serve: cannot load the policies:\n{exc}"), file=sys.stderr)
        return 1
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(say(f"注意：监听 {host}，其他机器也能访问，且没有身份验证", f"note: listening on {host}: other machines "
                  f"can reach it, and there is no authentication"), file=sys.stderr)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, service.request_reload)
    service.use_alarm()
    service.start_watching()
    app = create_app(service)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    print(say(f"polc serve: http://{host}:{port}（{len(service.current.modules)} 个政策；Ctrl-C 停止）",
              f"polc serve: http://{host}:{port} ({len(service.current.modules)} policies; Ctrl-C stops)"),
          file=sys.stderr, flush=True)
    # uvicorn stops gracefully on SIGINT/SIGTERM, then raises the signal again for the
    # previous handler: Ctrl-C (KeyboardInterrupt) and SIGTERM (ignored here) are a clean stop.
    signal.signal(signal.SIGTERM, lambda *_args: None)
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind the address (and says why)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
    if not server.started:
        return 1  # the address could not be bound (uvicorn said why)
    print(say("polc serve: 已停止", "polc serve: stopped"), file=sys.stderr)
    return 0
