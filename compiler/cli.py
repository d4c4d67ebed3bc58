"""`polc`: a thin command line over the driver.

Exit codes: 0 clean, 1 errors found (diagnostics, failing examples, stale outputs, bad
facts), 2 usage (unknown option, missing path). Messages are Chinese first; --lang en
switches to English.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from pathlib import Path

from . import __version__, runtime
from .paths import UsageError

# The compiler proper (driver, checks, parser, printer, diagnostics) is imported by the
# commands that use it, not here: `polc eval --facts` with current generated modules never
# needs it, and importing it took longer than the whole evaluation.

DEFAULT_PATHS = ["policies"]
DEFAULT_OUT = "generated"
MAX_FACTS_BYTES = 4 << 20  # one applicant's facts: 4 MiB is far more than any real one


def _say(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _print_diagnostics(project, args, stream=None) -> None:
    from .diagnostics import render_all, to_github, to_json, to_sarif
    # Resolved at call time, not bound at import, so a redirected sys.stdout is honoured.
    stream = stream or sys.stdout
    shown = [d for d in project.diagnostics if d.severity != "info" or getattr(args, "verbose", False)]
    form = getattr(args, "format", "human")
    if form == "json":
        stream.write(to_json(project.diagnostics, args.lang))
    elif form == "sarif":
        stream.write(to_sarif(project.diagnostics, args.lang))
    elif form == "github":
        stream.write(to_github(shown, args.lang))
    elif shown or project.has_errors:
        stream.write(render_all(shown, project.sources, args.lang))


def cmd_check(args) -> int:
    from . import driver
    project = driver.load(args.paths or DEFAULT_PATHS, encoding=args.encoding, one_shot=True)
    _print_diagnostics(project, args)
    if not project.has_errors and args.format == "human":
        print(_say(args.lang, f"检查通过：{len(project.policies)} 个政策，"
                              f"{sum(len(p.clauses) for p in project.policies)} 个条款",
                   f"check passed: {len(project.policies)} policies, "
                   f"{sum(len(p.clauses) for p in project.policies)} clauses"))
    return 1 if project.has_errors else 0


def _emit_sql(project, args) -> int:
    """polc build --emit sql: the per-applicant query of every given policy together
    (CONTRACTS.md §2), over a register named `register` laid out as §4, for the date --on."""
    import datetime

    from . import facts, to_sql
    if not project.policies:
        print(_say(args.lang, "polc: 没有 .pol 政策文件", "polc: no .pol policy file"), file=sys.stderr)
        return 2
    try:
        to_sql.dialect(args.dialect)
    except ValueError as exc:
        print(_say(args.lang, f"polc: 未知的 SQL 方言：{exc}", f"polc: unknown SQL dialect: {exc}"), file=sys.stderr)
        return 2
    if args.on:
        on = runtime.parse_date(args.on, "--on")
    else:
        # deterministic: the year after the first assessed year the policies govern (as `polc facts`)
        first = facts.default_year(project.policies)
        on = datetime.date((first or 2020) + 1, 6, 30)
    years: dict[str, set[int]] = {}
    for need in facts.collect(project.policies):
        if need.decl.type.series:
            for assessed in {on.year, on.year - 1}:
                years.setdefault(need.name, set()).update(facts.years_of(need, assessed))
    try:
        query = to_sql.applicant_clauses([project.model(p) for p in project.policies], args.register, on,
                                         years={name: tuple(sorted(ys)) for name, ys in years.items()})
        text = to_sql.to_sql(query, args.dialect)
    except to_sql.SqlUnsupported as exc:
        print(_say(args.lang, f"polc: 无法生成 SQL：{exc}", f"polc: cannot emit SQL: {exc}"), file=sys.stderr)
        return 1
    except to_sql.SqlglotError as exc:  # a construct sqlglot cannot write in that dialect
        print(_say(args.lang, f"polc: 无法以方言 {args.dialect} 生成 SQL：{exc}",
                   f"polc: cannot write the SQL in dialect {args.dialect}: {exc}"), file=sys.stderr)
        return 1
    # The header names nothing from the policies or the command line (a comment is SQL text too).
    print(f"-- polc build --emit sql: one row per register row and clause, evaluation date {on}\n{text};")
    return 0


def cmd_build(args) -> int:
    import attrs

    from . import driver, printer
    project = driver.load(args.paths or DEFAULT_PATHS, encoding=args.encoding, one_shot=True)
    if project.has_errors:
        _print_diagnostics(project, args, sys.stderr)
        print(_say(args.lang, "有错误，未生成任何文件", "errors found: nothing was written"), file=sys.stderr)
        return 1
    if args.emit == "schema":  # one document: the facts of the policies evaluated together
        from . import schema
        print(schema.dumps(schema.for_policies(project.policies)), end="")
        return 0
    if args.emit == "sql":
        return _emit_sql(project, args)
    if args.emit:
        for policy in project.policies:
            if args.emit == "ast":
                print(printer.policy(policy), end="")
            elif args.emit == "py":
                from .to_python import to_python
                print(to_python(project.model(policy), standalone=args.standalone), end="")
            else:
                print(driver.outputs(attrs.evolve(project, policies=[policy]), args.out or DEFAULT_OUT)[
                    f"{driver.module_name(policy.path)}.md"], end="")
        return 0
    if args.package is not None:
        from .package import name_problem, version_problem
        problem = name_problem(args.package) or version_problem(args.package_version)
        if args.out is None:
            problem = ("--package 需要 --out 目录", "--package needs an --out folder")
        elif args.standalone:
            problem = ("--package 与 --standalone 不能同时使用", "--package and --standalone cannot be used together")
        if problem:
            print("polc: " + _say(args.lang, *problem), file=sys.stderr)
            return 2
    out = args.out if args.out is not None else DEFAULT_OUT
    if not project.policies and args.paths:
        # Nothing to build (a folder with no .pol file, or only folders named *.pol): writing an
        # empty output folder or index would look like a build. Usage, as for a missing path.
        shown = " ".join(args.paths)
        print(_say(args.lang, f"polc: {shown} 中没有 .pol 政策文件，未生成任何文件",
                   f"polc: no .pol policy file in {shown}: nothing was written"), file=sys.stderr)
        return 2
    if os.path.lexists(out) and not os.path.isdir(out):
        print(_say(args.lang, f"polc: --out {out} 不是目录", f"polc: --out {out} is not a directory"), file=sys.stderr)
        return 2
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(out) and not os.path.isdir(parent):
        # Only the output directory itself is created: a missing parent is more often a typo.
        print(_say(args.lang, f"polc: --out {out} 的上级目录不存在", f"polc: the parent of --out {out} does not exist"),
              file=sys.stderr)
        return 2
    if args.package is not None:
        from .package import package_outputs
        # Summaries link to no source: the package leaves the project behind.
        built = driver.outputs(project, out, links=False)
        files = package_outputs(args.package, args.package_version, built,
                                {p.docno: driver.module_name(p.path) for p in project.policies})
    else:
        files = driver.outputs(project, out, standalone=args.standalone)
    if args.check:
        problems = driver.stale(out, files)
        for problem in problems:
            print(problem)
        if problems:
            print(_say(args.lang, f"{out} 与源文件不一致：请运行 polc build", f"{out} is out of date: run polc build"))
            return 1
        _record_modules(project, files)
        print(_say(args.lang, f"{out} 是最新的（{len(files)} 个文件）", f"{out} is up to date ({len(files)} files)"))
        return 0
    others = driver.foreign_modules(out, files) if os.path.isdir(out) else []
    if others and driver.INDEX in files:
        # The index is rebuilt from the policies given; with other policies' modules in the
        # directory it would drop them. A partial build leaves it alone, and says so.
        del files[driver.INDEX]
        print(_say(args.lang,
                   f"注意：{out} 中还有本次未构建的 {len(others)} 个生成文件，索引 {driver.INDEX} 未更新；"
                   f"构建全部政策（polc build）以更新索引",
                   f"note: {out} holds {len(others)} generated files this build did not produce; the index "
                   f"{driver.INDEX} was left as it was: build every policy (polc build) to update it"), file=sys.stderr)
    try:
        if not os.path.isdir(out):
            os.mkdir(out)
        driver.write_atomically(out, files)
    except driver.WriteError as exc:
        done = _say(args.lang, "部分文件已更新，请修正后重新运行 polc build", "some files were replaced: fix this and run polc build again") \
            if exc.partial else _say(args.lang, "未改动任何文件", "nothing was changed")
        print(_say(args.lang, f"polc: 无法写入 {exc.path}：{exc.reason}；{done}",
                   f"polc: cannot write {exc.path}: {exc.reason}; {done}"), file=sys.stderr)
        return 1
    except OSError as exc:
        print(_say(args.lang, f"polc: 无法创建 {out}：{exc.strerror}；未改动任何文件",
                   f"polc: cannot create {out}: {exc.strerror}; nothing was changed"), file=sys.stderr)
        return 1
    _record_modules(project, files)
    for name in files:
        print(f"{Path(out) / name}")
    return 0


def _record_modules(project, files: dict[str, str]) -> None:
    """Tell `polc eval` these modules are polc's own, and from which inputs (fast_eval)."""
    from . import driver, fast_eval
    inputs = driver.module_inputs(project)
    if set(inputs) <= set(files):  # the policies' modules (not runtime.py, __init__.py, nor a package's)
        fast_eval.record({name: files[name].encode("utf-8") for name in inputs}, inputs)


def cmd_test(args) -> int:
    from . import driver
    project = driver.load(args.paths or DEFAULT_PATHS, overlaps=False, encoding=args.encoding, one_shot=True)
    if project.has_errors:
        _print_diagnostics(project, args, sys.stderr)
        return 1
    passed = failed = 0
    for policy in project.policies:
        for outcome in driver.run_cases(policy):
            if outcome.ok:
                passed += 1
                continue
            failed += 1
            case = outcome.case
            title = f"「{case.title}」" if case.title else ""
            print(_say(args.lang, "失败", "FAIL") + f" {case.span.path}:{case.span.line} "
                  f"{policy.docno} {outcome.clause.label} {_say(args.lang, '案例', 'example')}{title}")
            print(_say(args.lang, f"  预期：{outcome.expected}", f"  expected: {outcome.expected}"))
            print(_say(args.lang, f"  实际：{outcome.actual}", f"  actual:   {outcome.actual}"))
            for line in outcome.detail:
                print(f"  {line}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


class _InputError(Exception):
    """A facts file or register that cannot be used: exit `code` (2 for a path that is not a
    readable file, 1 for content that is bad), with a message in both languages."""

    def __init__(self, code: int, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en = code, zh, en


def _regular_file(path: str, what_zh: str, what_en: str) -> None:
    """A path given for input must be a regular file: a directory, a FIFO (which would
    wait for a writer forever) or a device is a usage error."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise _InputError(2, f"找不到{what_zh} {path}：{exc.strerror}", f"no such {what_en}: {path} ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        kind = "目录" if stat.S_ISDIR(mode) else "管道或设备"
        kind_en = "a directory" if stat.S_ISDIR(mode) else "a pipe or device"
        raise _InputError(2, f"{what_zh} {path} 是{kind}，不是文件（标准输入请用 -）",
                          f"the {what_en} {path} is {kind_en}, not a file (use - for standard input)")


def cmd_eval(args) -> int:
    if (args.trace or args.explain) and not args.batch:
        print("polc: " + _say(args.lang, "--trace/--explain 只用于 --batch（--facts 的结果本就含追踪）",
                              "--trace/--explain go with --batch (a --facts result has its trace already)"),
              file=sys.stderr)
        return 2
    # On eval, --encoding names the encoding of the facts or the register, the data that
    # comes from elsewhere; the policies are read as usual (BOM, else UTF-8, else GB18030).
    # Fast path, for one applicant and for a batch alike: the committed generated modules,
    # when current and verified (fast_eval); the policies are then not even parsed.
    from . import fast_eval
    probe = fast_eval.probe(args.policies, args.generated)
    if probe.stale:
        print(_say(args.lang, f"注意：{probe.stale} 已过期（源文件已改动），本次在内存中重新编译；运行 polc build 更新",
                   f"note: {probe.stale} is stale (its sources changed); compiled in memory this time: "
                   f"run polc build"), file=sys.stderr)
    modules = probe.modules
    try:
        if modules is None:
            from . import driver
            project = driver.load(args.policies, overlaps=False)
            if project.has_errors:
                _print_diagnostics(project, args, sys.stderr)
                return 1
            modules = _compile_modules(project, probe, args)
            if args.batch:
                return _eval_batch(modules, _project_models(project), args)
        elif args.batch:
            return _eval_batch(modules, _verified_models(probe, args.policies), args)
        facts = _read_facts(args.facts, args.encoding)
    except _InputError as exc:
        print("polc: " + _say(args.lang, exc.zh, exc.en), file=sys.stderr)
        return exc.code
    try:
        evaluation = runtime.evaluate_policies([(m.POLICY, m.CLAUSES) for m in modules], facts, args.on)
    except runtime.FactError as exc:
        for problem in exc.problems:  # every problem of the facts, one line each
            print(_say(args.lang, f"事实错误：「{problem.fact}」{problem.problem_zh}",
                       f"fact error: {problem.fact!r} {problem.problem_en}"), file=sys.stderr)
        return 1
    report = evaluation.to_json()
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(report, args.lang)
    return 0


def _compile_modules(project, probe, args) -> list:
    """The policies' modules compiled in memory, from the very text `polc build` writes (so
    the output is the same either way). When the modules on disk are that text byte for
    byte, this is recorded, and the next eval uses them directly."""
    from . import driver, fast_eval
    texts = driver.python_outputs(project)
    on_disk = probe.on_disk if probe is not None else {}
    if on_disk and set(on_disk) == set(texts):
        if all(on_disk[name] == text.encode("utf-8") for name, text in texts.items()):
            fast_eval.record(on_disk, driver.module_inputs(project))
        elif not probe.stale:
            differing = next(name for name, text in texts.items() if on_disk[name] != text.encode("utf-8"))
            print(_say(args.lang, f"注意：生成的模块 {differing} 与 polc 由当前源文件生成的内容不同（已过期或被改动过），"
                                  f"未使用；运行 polc build 重新生成",
                       f"note: the generated module {differing} differs from what polc generates from the current "
                       f"sources (stale or edited), so it was not used: run polc build"), file=sys.stderr)
    return [driver.load_module(policy, texts[f"{driver.module_name(policy.path)}.py"]) for policy in project.policies]


def _project_models(project):
    """The batch's lowered models (for the SQL text, compiler/sql_cache.py) of a loaded project:
    the ones the modules were generated from (named from the project root; no path is in the
    SQL)."""
    from . import driver, sql_cache
    sources = [[os.path.abspath(policy.path), inputs] for policy, inputs
               in zip(project.policies, driver.module_inputs(project).values())]
    return sql_cache.Models(sources, lambda: [project.model(policy, embedded=True) for policy in project.policies])


def _verified_models(probe, paths: list[str]):
    """The batch's lowered models when the verified generated modules are used: made (parsed,
    checked, lowered) only if the SQL text is not in polc's cache, and only from the very
    sources the modules were verified against (a policy edited while polc runs is an error,
    exit 1, never SQL of other text than the modules')."""
    from . import sql_cache

    def make() -> list:
        from . import driver
        project = driver.load(paths, overlaps=False)
        found = [[os.path.abspath(policy.path), [list(pair) for pair in inputs]] for policy, inputs
                 in zip(project.policies, driver.module_inputs(project).values())]
        if project.has_errors or found != probe.sources:
            raise sql_cache.SourcesChanged()
        return [project.model(policy, embedded=True) for policy in project.policies]

    return sql_cache.Models(probe.sources, make)


def _eval_batch(modules: list, models, args) -> int:
    """Evaluate the register of --batch with the policies' modules; models: their lowered
    models (sql_cache.Models) for the DuckDB engine's SQL."""
    from . import batch, compact, sql_cache, sql_register
    register = args.batch
    table = sql_register.table_source(args.batch)
    if table is not None:
        register = table[0]  # FILE.duckdb:TABLE, a table of a DuckDB database file
    kind = compact.output_format(args.out)
    explain = batch.Explain(every=True) if args.trace else batch.Explain.parse(args.explain) if args.explain else None
    # The traces of --trace/--explain come from the Python evaluator: those runs use its engine.
    engine = "python" if explain is not None else args.engine
    if engine == "python" and sql_register.register_format(args.batch) in ("parquet", "table"):
        raise _InputError(2, f"名册 {args.batch}：Parquet 与 DuckDB 表只能由 DuckDB 引擎读取（去掉 --engine python 与 --trace/--explain）",
                          f"register {args.batch}: Parquet and DuckDB tables are read by the DuckDB engine only "
                          f"(drop --engine python and --trace/--explain)")
    if args.batch != "-":
        _regular_file(register, "名册文件", "register")
    if explain is not None and kind != "jsonl":
        raise _InputError(2, f"--trace/--explain 输出带追踪的完整记录，只能写 JSON Lines（--out {args.out} 是 {kind}）",
                          f"--trace/--explain write full records with traces, as JSON Lines only "
                          f"(--out {args.out} is {kind})")
    outputs = []  # the result, and for CSV/Parquet the summary beside it: committed together
    writer = None
    try:
        # Opened inside the try: an interrupt between opening and evaluating removes them too.
        if args.out:
            outputs.append(_open_output(args.out, register, batch))
            if kind != "jsonl":
                outputs.append(_open_output(compact.summary_path(args.out), register, batch))
        if kind == "csv":
            writer = compact.CsvWriter(outputs[0].stream, outputs[1].stream)
        elif kind == "parquet" and engine == "duckdb":
            from . import sql_batch
            writer = sql_batch.ParquetTarget(outputs[0].temp or outputs[0].target, outputs[1].stream)
        elif kind == "parquet":
            writer = compact.ParquetWriter(outputs[0].temp or outputs[0].target, outputs[1].stream)
        else:
            writer = compact.JsonLinesWriter(outputs[0].stream if outputs else sys.stdout)
        if engine == "duckdb":
            from . import sql_batch
            summary = sql_batch.run(modules, args.batch, args.on, writer, sys.stderr,
                                    include_all=args.all, encoding=args.encoding, models=models)
        else:
            summary = batch.run(modules, args.batch, args.on, writer, sys.stderr,
                                include_all=args.all, encoding=args.encoding, explain=explain)
        if kind == "parquet":
            writer.finish()
        for output in outputs:
            output.commit()
    except (batch.RegisterError, sql_cache.SourcesChanged) as exc:
        raise _InputError(1, exc.zh + "；未写出任何结果", exc.en + "; nothing was written") from None
    except OSError as exc:
        if not outputs and isinstance(exc, BrokenPipeError):
            raise
        where = args.out if outputs else args.batch
        raise _InputError(1, f"读写 {where} 失败：{exc.strerror or exc}；未写出任何结果",
                          f"cannot read or write {where}: {exc.strerror or exc}; nothing was written") from None
    finally:
        if hasattr(writer, "discard"):  # a Parquet writer's spool
            writer.discard()
        for output in outputs:
            output.discard()
    human = sys.stdout if args.out else sys.stderr
    bad = summary["bad_rows"]["count"]
    print(_say(args.lang, f"共 {summary['rows']} 行：评估 {summary['evaluated']} 行，跳过 {bad} 行",
               f"{summary['rows']} rows: {summary['evaluated']} evaluated, {bad} skipped"), file=human)
    for key, entry in summary["clauses"].items():
        if entry["applies"]:
            print(f"  {key}：适用 {entry['applies']}，支付 {entry['paid']}，无法判定 {entry['undecidable']}，"
                  f"名额外 {entry['outside_quota']}，预算外 {entry['outside_budget']}，"
                  f"待评审择优 {entry['needs_selection']}，名单超额 {entry['list_over']}，合计 {entry['min']}–{entry['max']}元",
                  file=human)
    for key, entry in summary["quotas"].items():
        print(f"  名额 {key}：{entry}", file=human)
    for key, entry in summary["budgets"].items():
        print(f"  预算 {key}：{entry}", file=human)
    for key, entry in summary.get("outcomes", {}).items():  # issue 13: outcomes that are not money
        print(_say(args.lang, f"  非金钱结果 {key}：{entry['outcome']}{entry['object']} {entry['count']} 个",
                   f"  non-money outcome {key}: {entry['outcome']}{entry['object']} × {entry['count']}"), file=human)
    missing = explain.missing() if explain is not None else []
    if missing:
        print(_say(args.lang, f"polc: --explain 中的 {'、'.join(missing)} 不是任何已评估行的申请人或行号（@行号）",
                   f"polc: --explain {', '.join(missing)}: no evaluated row has that 申请人 or line (@LINE)"),
              file=sys.stderr)
        return 1
    return 0


def _open_output(out: str, register: str, batch):
    """Check --out before anything is evaluated or written: not the register itself, not a
    directory, in a directory that exists; then open its temporary file beside it."""
    target = Path(out)
    if target.is_dir():
        raise _InputError(2, f"--out {out} 是目录，应为文件", f"--out {out} is a directory, not a file")
    if register != "-" and target.exists() and os.path.samefile(target, register):
        raise _InputError(2, f"--out {out} 就是名册文件本身：写结果会毁掉名册",
                          f"--out {out} is the register itself: writing results would destroy it")
    parent = Path(os.path.realpath(out)).parent
    if not parent.is_dir():
        raise _InputError(2, f"--out {out}：目录 {parent} 不存在", f"--out {out}: the directory {parent} does not exist")
    try:
        return batch.Output(out)
    except OSError as exc:
        raise _InputError(2, f"无法写入 --out {out}：{exc.strerror or exc}",
                          f"cannot write --out {out}: {exc.strerror or exc}") from None


def _read_facts(path: str, encoding: str | None = None) -> dict:
    """One applicant's facts: a JSON object from a regular file (or - for stdin) of at most
    MAX_FACTS_BYTES, decoded as source.decode does, parsed with source.load_json's bounds."""
    from . import source
    shown = "标准输入" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_FACTS_BYTES + 1)
        else:
            _regular_file(path, "事实文件", "facts file")
            with open(path, "rb") as handle:
                data = handle.read(MAX_FACTS_BYTES + 1)
    except OSError as exc:
        raise _InputError(2, f"无法读取事实文件 {shown}：{exc.strerror}", f"cannot read facts file {path}: {exc.strerror}") from None
    if len(data) > MAX_FACTS_BYTES:
        raise _InputError(1, f"事实文件 {shown} 超过 {MAX_FACTS_BYTES >> 20} MiB", f"facts file {path} is over {MAX_FACTS_BYTES >> 20} MiB")
    try:
        text = source.decode(data, shown, encoding)
        facts = source.load_json(text)
    except source.DecodeError as exc:
        raise _InputError(1, exc.zh, exc.en) from None
    except json.JSONDecodeError as exc:
        raise _InputError(1, f"{shown}:{exc.lineno}:{exc.colno}: 事实文件不是合法的 JSON：{exc.msg}",
                          f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except source.JSONLimitError as exc:
        raise _InputError(1, f"{shown}: {exc.zh}", f"{path}: {exc.en}") from None
    if not isinstance(facts, dict):
        raise _InputError(1, f"{shown}: 事实文件应为 JSON 对象（以事实名称为键）",
                          f"{path}: facts must be a JSON object keyed by fact names")
    if "polc" not in facts:  # an applicant's facts as they are (compiler.facts, and the AST with it, not imported)
        return facts
    from .facts import TEMPLATE_MARK, template_facts
    if facts.get("polc") == TEMPLATE_MARK:  # a filled-in `polc facts` template
        return template_facts(facts)
    return facts


def _print_report(report: dict, lang: str) -> None:
    print(_say(lang, f"评估日：{report['on']}", f"evaluation date: {report['on']}"))
    for row in report["clauses"]:
        state = {True: "适用", False: "不适用", None: "无法判定"}[row["applies"]]
        paid = _say(lang, "支付", "paid") if row["paid"] else _say(lang, "不支付", "not paid")
        award = row["award"]
        amount = ""
        if award:
            amount = {"exact": f"{award['max']}元", "up_to": f"最高 {award['max']}元",
                      "range": f"{award['min']}–{award['max']}元", "case_by_case": "一事一议",
                      "unspecified": "金额未定",
                      "routing": (f"{award['outcome']}{award.get('object')}" if award.get("outcome")  # issue 13
                                  else f"由{award.get('approver')}审定"),
                      "at_least": f"不低于 {award['min']}元"}[award["kind"]]
            if award.get("parts") is not None:  # issue 13: paid in parts
                amount += _say(lang, f"（本期 {award['min']}元）", f" ({award['min']} now)")
        label = row["article"] + (f"第{row['item']}项" if row["item"] is not None else "")
        print(f"- {row['policy']} {label} {row['title'] or ''}：{state}，{paid} {amount}（{row['reason']}）")
        for line in row["trace"]:
            print(f"    {line}")
        if row.get("allocation") == "capped":  # 企业上限 (issue 13)
            print(_say(lang, "    企业上限：本政策各条合计超过上限，合计按上限计（原文未规定核减哪一条）",
                       "    enterprise cap: this policy's clauses together exceed its cap; the total is capped "
                       "(the text does not say which clause is reduced)"))
    for warning in report.get("warnings", []):
        print(_say(lang, f"注意：{warning}", f"warning: {warning}"))
    total = report["total"]
    print(_say(lang, f"合计：{total['min']}元 至 {total['max']}元", f"total: {total['min']} to {total['max']} yuan"))
    if total.get("undecided"):
        listed = "、".join(total["undecided"])
        print(_say(lang, f"另有无法判定且未设上限的条款：{listed}", f"also undecidable, with no stated bound: {listed}"))


def cmd_explain(args) -> int:
    from .explain import explain, listing
    if args.list:
        print(listing(args.lang))
        return 0
    if args.code is None:
        print(_say(args.lang, "polc explain: 请给出诊断代码（如 E001），或用 --list 列出全部",
                   "polc explain: give a diagnostic code (such as E001), or --list for all"), file=sys.stderr)
        return 2
    text = explain(args.code.upper(), args.lang)
    if text is None:
        print(_say(args.lang, f"未知的诊断代码：{args.code}", f"unknown diagnostic code: {args.code}"), file=sys.stderr)
        return 2
    print(text)
    return 0


def cmd_fmt(args) -> int:
    """polc fmt: rewrite files to the canonical layout (--check: only report, with a diff)."""
    from . import driver, fmt
    from .diagnostics import render_all
    from .source import SourceFile
    if args.paths == ["-"]:
        text = sys.stdin.read()
        formatted = fmt.format_text(text)
        if formatted.text is None:
            sys.stderr.write(render_all(formatted.diagnostics, {"<stdin>": SourceFile("<stdin>", text)}, args.lang))
            return 1
        sys.stdout.write(formatted.text)
        return 0
    if "-" in args.paths:
        print(_say(args.lang, "polc fmt: 「-」（标准输入）不能与文件一起使用", "polc fmt: - (standard input) cannot be mixed with files"),
              file=sys.stderr)
        return 2
    paths = driver.discover(args.paths or DEFAULT_PATHS)
    failed = changed = 0
    for path in paths:
        try:
            source = SourceFile.read(path)
        except (OSError, UnicodeDecodeError) as exc:
            print(_say(args.lang, f"{path}：无法读取：{exc}", f"{path}: cannot read: {exc}"), file=sys.stderr)
            failed += 1
            continue
        try:
            formatted = fmt.format_source(source)
        except fmt.FormatBug as exc:
            print(_say(args.lang, f"polc 内部错误（请报告）：格式化结果与原文含义不同，文件未改动。{exc}",
                       f"polc internal error (please report): formatting would change the meaning; file left untouched. {exc}"),
                  file=sys.stderr)
            failed += 1
            continue
        if formatted.text is None:
            sys.stderr.write(render_all(formatted.diagnostics, {path: source}, args.lang))
            print(_say(args.lang, f"{path}：有错误，未格式化", f"{path}: has errors, not formatted"), file=sys.stderr)
            failed += 1
            continue
        with open(path, encoding="utf-8-sig", newline="") as handle:
            on_disk = handle.read()
        if formatted.text == on_disk:
            continue
        changed += 1
        if args.check:
            sys.stdout.write(fmt.unified_diff(path, on_disk, formatted.text))
        else:
            fmt.write_atomically(path, formatted.text)
            print(_say(args.lang, f"已格式化 {path}", f"reformatted {path}"))
    if args.check:
        if changed:
            print(_say(args.lang, f"{changed} 个文件需要格式化：请运行 polc fmt", f"{changed} file(s) need formatting: run polc fmt"),
                  file=sys.stderr)
        return 1 if changed or failed else 0
    return 1 if failed else 0


def cmd_facts(args) -> int:
    """polc facts: the facts an applicant or a register must provide, as a JSON template or
    as the header row of a batch register (CSV)."""
    from . import driver, facts
    project = driver.load(args.policies, overlaps=False)
    if project.has_errors:
        _print_diagnostics(project, argparse.Namespace(lang=args.lang, format="human"), sys.stderr)
        return 1
    year = args.year or facts.default_year(project.policies)
    if year is None:
        print(_say(args.lang, "政策没有施行日期，无法确定考核年度：请用 --year 指定",
                   "the policies have no start date, so the assessed year is unknown: give --year"), file=sys.stderr)
        return 2
    render = facts.to_csv if args.format == "csv" else facts.to_json
    sys.stdout.write(render(project.policies, year))
    return 0


def cmd_lsp(args) -> int:
    """polc lsp: the language server, speaking LSP over standard input and output."""
    try:
        from .lsp import main as serve
    except ImportError as exc:  # pygls is a dependency, but say so plainly if it is missing
        print(f"polc lsp: 缺少 pygls（pip install pygls）/ pygls is not installed: {exc}", file=sys.stderr)
        return 2
    return serve(args.lang)


def cmd_serve(args) -> int:
    """polc serve: the policies as an HTTP JSON service (compiler/serve.py)."""
    try:
        from . import serve
    except ImportError as exc:  # starlette and uvicorn are dependencies; say so plainly if missing
        print(f"polc serve: 缺少 starlette/uvicorn / starlette or uvicorn is not installed: {exc}", file=sys.stderr)
        return 2
    return serve.run(args.policies or DEFAULT_PATHS, args.host, args.port, args.generated, args.workers,
                     args.timeout, args.lang, args.poll)


def _positive(kind, zero: bool = False):
    """A finite number above 0 (or 0 too, with zero=True), for argparse."""
    import math
    wanted = "应为非负数 / must be 0 or more" if zero else "应为正数 / must be a positive number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{wanted}: {text!r}") from None
        if not math.isfinite(value) or not (value >= 0 if zero else value > 0):
            raise argparse.ArgumentTypeError(f"{wanted}: {text!r}")
        return value
    return parse


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"端口应为 1–65535 / a port is 1-65535: {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polc", description="polc：中文关键字的政策语言编译器 / a policy language compiler")
    parser.add_argument("--version", action="version", version=f"polc {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=["zh", "en"], default="zh", help="消息语言 / message language")
    encoded = argparse.ArgumentParser(add_help=False)
    encoded.add_argument("--encoding", type=_encoding, default=None,
                         help="输入文件的编码（默认：BOM，否则 UTF-8，否则 GB18030）/ encoding of the input files")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", parents=[common, encoded], help="检查政策文件 / check policy files")
    check.add_argument("paths", nargs="*", help="文件或目录（默认 policies/）")
    check.add_argument("--format", choices=["human", "json", "sarif", "github"], default="human",
                       help="human（默认）、json、sarif（代码扫描）、github（工作流注释）")
    check.add_argument("--verbose", "-v", action="store_true", help="也显示提示信息（如重叠） / also show info")
    check.set_defaults(run=cmd_check)

    build = sub.add_parser("build", parents=[common, encoded], help="生成 generated/ / write generated/")
    build.add_argument("paths", nargs="*")
    build.add_argument("--out", default=None, help="输出目录（默认 generated/）")
    build.add_argument("--check", action="store_true", help="只检查 generated/ 是否最新 / only check generated/ is current")
    build.add_argument("--emit", choices=["ast", "py", "md", "sql", "schema"],
                       help="输出到标准输出，不写文件；schema 为共同评估时事实的 JSON Schema / print one stage's output "
                            "(schema: JSON Schema of the facts of the policies evaluated together)")
    build.add_argument("--on", default=None,
                       help="--emit sql：评估日 YYYY-MM-DD（默认为首个考核年度的次年6月30日） / the evaluation date of the SQL")
    build.add_argument("--dialect", default="duckdb",
                       help="--emit sql：SQL 方言（默认 duckdb，唯一经测试的方言） / SQL dialect (duckdb, the one tested)")
    build.add_argument("--register", default="register",
                       help="--emit sql：登记表（表或视图）名称 / the register table or view the SQL reads")
    build.add_argument("--standalone", action="store_true",
                       help="每个模块自带运行时（单文件，不写 runtime.py）/ single-file modules with the runtime inlined")
    build.add_argument("--package", metavar="NAME",
                       help="在 --out 目录写出可 pip 安装的包 NAME / write an installable package NAME into --out")
    build.add_argument("--package-version", metavar="VERSION", default="1.0.0",
                       help="--package 的版本号（默认 1.0.0）/ the package's version (default 1.0.0)")
    build.set_defaults(run=cmd_build, format="human")

    test = sub.add_parser("test", parents=[common, encoded], help="运行案例 / run the examples")
    test.add_argument("paths", nargs="*")
    test.set_defaults(run=cmd_test, format="human")

    evaluate = sub.add_parser("eval", parents=[common, encoded], help="评估一个申请人的事实 / evaluate one applicant's facts")
    evaluate.add_argument("policies", nargs="+", help="一个或多个 .pol 文件或目录")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--facts", help="一个申请人的事实 JSON 文件（- 为标准输入）")
    source.add_argument("--batch", help="企业名册：CSV 或 JSON Lines（.jsonl），每行一个申请人")
    evaluate.add_argument("--out", help="批量结果文件：扩展名 .csv 写 CSV，.parquet 写 Parquet，其余写 JSON Lines（默认标准输出）")
    evaluate.add_argument("--all", action="store_true", help="批量结果也列出不适用的条款")
    evaluate.add_argument("--engine", choices=["duckdb", "python"], default="duckdb",
                          help="批量评估引擎：duckdb（默认，SQL）或 python（逐行流式；--trace/--explain 用它） / batch engine")
    traced = evaluate.add_mutually_exclusive_group()
    traced.add_argument("--trace", action="store_true",
                        help="批量结果写每行的完整记录（含追踪），而非紧凑记录 / full records with traces for every row")
    traced.add_argument("--explain", nargs="+", metavar="ID",
                        help="只写这些申请人（或 @行号）的完整记录（含追踪） / full records for these 申请人 (or @LINE) only")
    evaluate.add_argument("--on", default=None,
                          help="评估日 YYYY-MM-DD（默认今天，由此处明确给出）/ the evaluation date (default: today, set here)")
    evaluate.add_argument("--generated", metavar="DIR", default=None,
                          help="已生成模块所在目录（默认项目根目录下的 generated/）；模块最新时直接使用 / "
                               "where the generated modules are (default: generated/ under the project root)")
    evaluate.add_argument("--format", choices=["json", "text"], default="text")
    evaluate.set_defaults(run=cmd_eval)

    formatter = sub.add_parser("fmt", parents=[common], help="统一格式 / format .pol files in place")
    formatter.add_argument("paths", nargs="*", help="文件或目录（默认 policies/）；- 读标准输入、写标准输出")
    formatter.add_argument("--check", action="store_true", help="只检查：未格式化的文件打印差异并以 1 退出 / only report, with a diff")
    formatter.set_defaults(run=cmd_fmt)

    needed = sub.add_parser("facts", parents=[common], help="申请人需提供的事实 / the facts an applicant must provide")
    needed.add_argument("policies", nargs="+", help="一个或多个 .pol 文件或目录")
    needed.add_argument("--format", choices=["json", "csv"], default="json",
                        help="json：可填写后交给 polc eval --facts 的模板；csv：批量名册的表头")
    needed.add_argument("--year", type=int, help="考核年度（默认：各政策施行后的第一个考核年度中最晚的）")
    needed.set_defaults(run=cmd_facts)

    server = sub.add_parser("lsp", parents=[common], help="语言服务器（标准输入输出） / language server over stdio")
    server.set_defaults(run=cmd_lsp)

    service = sub.add_parser("serve", parents=[common], help="HTTP JSON 服务 / serve the policies over HTTP")
    service.add_argument("policies", nargs="*", help="一个或多个 .pol 文件或目录（默认 policies/）")
    service.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机）")
    service.add_argument("--port", type=_port, default=8000, help="端口（默认 8000）")
    service.add_argument("--generated", metavar="DIR", default=None,
                         help="已生成模块所在目录（默认项目根目录下的 generated/）")
    service.add_argument("--workers", type=_positive(int), default=1, help="工作进程数（默认 1）/ worker processes")
    service.add_argument("--timeout", type=_positive(float), default=5.0,
                         help="每个请求的评估时限，秒（默认 5）/ seconds allowed per evaluation")
    service.add_argument("--poll", type=_positive(float, zero=True), default=1.0,
                         help="检查政策与生成文件是否改动的间隔，秒（默认 1；0 只在 SIGHUP 时重新加载）/ "
                              "seconds between checks for changed files (0: reload on SIGHUP only)")
    service.set_defaults(run=cmd_serve)

    explain = sub.add_parser("explain", parents=[common], help="解释诊断代码 / explain a diagnostic code")
    explain.add_argument("code", nargs="?")
    explain.add_argument("--list", action="store_true", help="列出全部诊断代码 / list every code")
    explain.set_defaults(run=cmd_explain)
    return parser


def _encoding(name: str) -> str:
    from . import source
    try:
        return source.check_encoding(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`polc … | head -1`): stop quietly. Python would report the
        # pipe again when it flushes stdout at exit, so point stdout at devnull first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "on", None):
        try:
            runtime.parse_date(args.on, "--on")
        except runtime.FactError:
            parser.error(f"--on 应为日期 YYYY-MM-DD，得到 {args.on!r}")
    elif getattr(args, "run", None) is cmd_eval:
        # The runtime requires the date; the command line's default, today, is given here.
        import datetime
        args.on = datetime.date.today().isoformat()
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"polc: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
