"""`polc`: a thin command line over the driver.

Exit codes: 0 clean, 1 errors found (diagnostics, failing examples, stale outputs, bad
facts), 2 usage (unknown option, missing path). Messages are Chinese first; --lang en
switches to English.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import attrs

from . import __version__, driver, printer, runtime
from .diagnostics import render_all, to_github, to_json, to_sarif

DEFAULT_PATHS = ["policies"]
DEFAULT_OUT = "generated"


def _say(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _print_diagnostics(project: driver.Project, args, stream=sys.stdout) -> None:
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
    project = driver.load(args.paths or DEFAULT_PATHS)
    _print_diagnostics(project, args)
    if not project.has_errors and args.format == "human":
        print(_say(args.lang, f"检查通过：{len(project.policies)} 个政策，"
                              f"{sum(len(p.clauses) for p in project.policies)} 个条款",
                   f"check passed: {len(project.policies)} policies, "
                   f"{sum(len(p.clauses) for p in project.policies)} clauses"))
    return 1 if project.has_errors else 0


def cmd_build(args) -> int:
    project = driver.load(args.paths or DEFAULT_PATHS)
    if project.has_errors:
        _print_diagnostics(project, args, sys.stderr)
        print(_say(args.lang, "有错误，未生成任何文件", "errors found: nothing was written"), file=sys.stderr)
        return 1
    if args.emit:
        for policy in project.policies:
            if args.emit == "ast":
                print(printer.policy(policy), end="")
            elif args.emit == "py":
                from .to_python import to_python
                print(to_python(policy), end="")
            else:
                print(driver.outputs(attrs.evolve(project, policies=[policy]), args.out)[
                    f"{driver.module_name(policy.path)}.md"], end="")
        return 0
    out = args.out
    if os.path.lexists(out) and not os.path.isdir(out):
        print(_say(args.lang, f"polc: --out {out} 不是目录", f"polc: --out {out} is not a directory"), file=sys.stderr)
        return 2
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(out) and not os.path.isdir(parent):
        # Only the output directory itself is created: a missing parent is more often a typo.
        print(_say(args.lang, f"polc: --out {out} 的上级目录不存在", f"polc: the parent of --out {out} does not exist"),
              file=sys.stderr)
        return 2
    files = driver.outputs(project, out)
    if args.check:
        problems = driver.stale(out, files)
        for problem in problems:
            print(problem)
        if problems:
            print(_say(args.lang, f"{out} 与源文件不一致：请运行 polc build", f"{out} is out of date: run polc build"))
            return 1
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
    for name in files:
        print(f"{Path(out) / name}")
    return 0


def cmd_test(args) -> int:
    project = driver.load(args.paths or DEFAULT_PATHS, overlaps=False)
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


def cmd_eval(args) -> int:
    project = driver.load(args.policies, overlaps=False)
    if project.has_errors:
        _print_diagnostics(project, args, sys.stderr)
        return 1
    if args.batch:
        return _eval_batch(project, args)
    try:
        facts = _read_facts(args.facts)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    modules = [driver.load_module(policy) for policy in project.policies]
    try:
        evaluation = runtime.evaluate_policies([(m.POLICY, m.CLAUSES) for m in modules], facts, args.on)
    except runtime.FactError as exc:
        print(_say(args.lang, f"事实错误：「{exc.fact}」{exc.problem_zh}", f"fact error: {exc.fact!r} {exc.problem_en}"),
              file=sys.stderr)
        return 1
    report = evaluation.to_json()
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(report, args.lang)
    return 0


def _eval_batch(project: driver.Project, args) -> int:
    from . import batch
    if args.batch != "-" and not Path(args.batch).is_file():
        print(f"polc: 找不到名册文件 {args.batch} / no such register: {args.batch}", file=sys.stderr)
        return 2
    modules = [driver.load_module(policy) for policy in project.policies]
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    try:
        summary = batch.run(modules, args.batch, args.on, out, sys.stderr, include_all=args.all)
    finally:
        if args.out:
            out.close()
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
    return 0


def _read_facts(path: str) -> dict:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"无法读取事实文件 {path}：{exc.strerror} / cannot read facts file {path}") from None
    try:
        facts = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: 事实文件不是合法的 JSON：{exc.msg} / invalid JSON") from None
    if not isinstance(facts, dict):
        raise ValueError(f"{path}: 事实文件应为 JSON 对象（以事实名称为键）/ facts must be a JSON object keyed by fact names")
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
                      "unspecified": "金额未定", "routing": f"由{award.get('approver')}审定"}[award["kind"]]
        label = row["article"] + (f"第{row['item']}项" if row["item"] is not None else "")
        print(f"- {row['policy']} {label} {row['title'] or ''}：{state}，{paid} {amount}（{row['reason']}）")
        for line in row["trace"]:
            print(f"    {line}")
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
    from . import fmt
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
    from . import facts
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polc", description="polc：中文关键字的政策语言编译器 / a policy language compiler")
    parser.add_argument("--version", action="version", version=f"polc {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=["zh", "en"], default="zh", help="消息语言 / message language")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", parents=[common], help="检查政策文件 / check policy files")
    check.add_argument("paths", nargs="*", help="文件或目录（默认 policies/）")
    check.add_argument("--format", choices=["human", "json", "sarif", "github"], default="human",
                       help="human（默认）、json、sarif（代码扫描）、github（工作流注释）")
    check.add_argument("--verbose", "-v", action="store_true", help="也显示提示信息（如重叠） / also show info")
    check.set_defaults(run=cmd_check)

    build = sub.add_parser("build", parents=[common], help="生成 generated/ / write generated/")
    build.add_argument("paths", nargs="*")
    build.add_argument("--out", default=DEFAULT_OUT, help="输出目录（默认 generated/）")
    build.add_argument("--check", action="store_true", help="只检查 generated/ 是否最新 / only check generated/ is current")
    build.add_argument("--emit", choices=["ast", "py", "md"], help="输出到标准输出，不写文件 / print one stage's output")
    build.set_defaults(run=cmd_build, format="human")

    test = sub.add_parser("test", parents=[common], help="运行案例 / run the examples")
    test.add_argument("paths", nargs="*")
    test.set_defaults(run=cmd_test, format="human")

    evaluate = sub.add_parser("eval", parents=[common], help="评估一个申请人的事实 / evaluate one applicant's facts")
    evaluate.add_argument("policies", nargs="+", help="一个或多个 .pol 文件或目录")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--facts", help="一个申请人的事实 JSON 文件（- 为标准输入）")
    source.add_argument("--batch", help="企业名册：CSV 或 JSON Lines（.jsonl），每行一个申请人")
    evaluate.add_argument("--out", help="批量结果写入的 JSON Lines 文件（默认标准输出）")
    evaluate.add_argument("--all", action="store_true", help="批量结果也列出不适用的条款")
    evaluate.add_argument("--on", default=None, help="评估日 YYYY-MM-DD（默认今天）")
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

    explain = sub.add_parser("explain", parents=[common], help="解释诊断代码 / explain a diagnostic code")
    explain.add_argument("code", nargs="?")
    explain.add_argument("--list", action="store_true", help="列出全部诊断代码 / list every code")
    explain.set_defaults(run=cmd_explain)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "on", None):
        try:
            runtime.parse_date(args.on, "--on")
        except runtime.FactError:
            parser.error(f"--on 应为日期 YYYY-MM-DD，得到 {args.on!r}")
    try:
        return args.run(args)
    except driver.UsageError as exc:
        print(f"polc: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
