"""Nothing from a .pol file may become executable code except through the compiler's own
constructs. This test puts code-shaped text in every place a drafter can write text and
checks that the generated module only ever holds it as data."""

import ast as pyast
import json
import subprocess
import sys

from compiler import driver
from compiler.parser import parse_text
from compiler.lower import lower
from compiler.to_python import to_python



def payloads(marker):
    touch = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    return [
        f'\\"\\"\\"; {touch}; \\"\\"\\"',           # ends a triple-quoted docstring
        f"'); {touch}; ('",                           # ends a single-quoted literal
        f"\\n{touch}\\n# ",                            # a line of its own after a newline
        f"\\\\\\\"; {touch} #",                        # backslash games
        "{" + touch + "}",                             # f-string style braces
    ]


def hostile_policy(marker) -> str:
    p = payloads(marker)
    name = "「x'); __import__('os').system('id'); ('」"
    enum = "「" + '"' * 3 + "'); import os #」"
    title = p[1].replace('"', "").replace("\\", "")
    lines = [
        "政策 测试〔2020〕7号",
        f'  标题 "{p[0]}"',
        f'  发布机关 "{p[1]}"',
        "  施行日期 2020年1月1日",
        f'  适用范围 "{p[2]}"',
        f'  过渡 "{p[3]}"',
        f'  说明 "{p[4]}"',
        "  冲突原则 就高不重复",
        f"枚举 {enum}: 「a" + '"' * 3 + "」、「b'); import os; ('」",
        f'事实 {name}: 金额 说明 "{p[0]}"',
        f"事实 「k」: {enum}",
        f'定义 「d\')#」 = {name} × 5% 说明 "{p[1]}"',
        "定义事项 「m" + '\\"' * 3 + "')#」",
        f"条款 第一条 「{title}」",
        f'  原文 "{p[0]}{p[2]}"',
        "  事项 「m" + '\\"' * 3 + "')#」",
        "  责任单位 「u" + "'" * 3 + "\\'#」",
        f'  说明 "{p[3]}"',
        "  当 「k」 属于 「b'); import os; ('」",
        "  给予 「d')#」 最高 200万元",
        f"  案例 「{p[4].replace(chr(34), '')}」 已知 {name} = 100万元, 「k」 = 「b'); import os; ('」 预期 5万元",
        "条款 第二条",
        f'  原文 "{p[2]}"',
        f'  给予 金额未定 "{p[0]}"',
        "  案例 预期 金额未定",
    ]
    return "\n".join(lines) + "\n"


def test_code_in_text_stays_text(tmp_path):
    marker = tmp_path / "pwned"
    policy, problems = parse_text(hostile_policy(marker), "hostile.pol")
    assert problems == [], problems
    source = to_python(lower(policy), standalone=True)  # one file, the runtime inlined: everything it runs is here
    tree = pyast.parse(source)
    imported = {alias.name for node in pyast.walk(tree) if isinstance(node, (pyast.Import, pyast.ImportFrom))
                for alias in node.names}
    imported |= {node.module for node in pyast.walk(tree) if isinstance(node, pyast.ImportFrom)}
    assert imported <= {"dataclasses", "datetime", "json", "operator", "re", "decimal", "typing", "ROUND_HALF_UP",
                        "ROUND_FLOOR", "Decimal", "InvalidOperation", "collections.abc", "Callable", "Iterable", "Iterator",
                        "Mapping"}
    called = {node.func.id for node in pyast.walk(tree) if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Name)}
    assert not called & {"__import__", "eval", "exec", "compile", "open", "getattr", "system"}
    # Every user string is in the module as a constant, intact.
    constants = {node.value for node in pyast.walk(tree) if isinstance(node, pyast.Constant) and isinstance(node.value, str)}
    assert policy.title in constants
    assert any(policy.clauses[0].source_text in c for c in constants)

    module_path = tmp_path / "hostile.py"
    module_path.write_text(source, encoding="utf-8")
    facts = {"x'); __import__('os').system('id'); ('": "100万元", "k": "b'); import os; ('"}
    code = (f"import sys, json; sys.path.insert(0, {str(tmp_path)!r}); import hostile; "
            f"print(json.dumps(hostile.evaluate(json.loads({json.dumps(json.dumps(facts))}), on='2020-06-30').to_json()))")
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), "text from the .pol file was executed"
    report = json.loads(result.stdout)
    assert report["clauses"][0]["award"] == {"kind": "exact", "min": "50000.00", "max": "50000.00"}


def test_hostile_examples_run_and_markdown_is_built(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "hostile.pol"
    path.write_text(hostile_policy(marker), encoding="utf-8")
    project = driver.load([str(path)])
    assert not project.has_errors
    files = driver.outputs(project)
    assert all(driver.run_cases(p) for p in project.policies)
    assert all(outcome.ok for p in project.policies for outcome in driver.run_cases(p))
    assert not marker.exists()
    assert "hostile.md" in files
