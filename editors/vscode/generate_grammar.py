"""Writes syntaxes/polc.tmLanguage.json from grammar/polc.lark: run it after adding a keyword.

    python editors/vscode/generate_grammar.py

Every quoted Chinese word of the Lark grammar is a keyword; the groups below only choose its
colour (a new word lands in keyword.other). Patterns keep to the regex subset Oniguruma (VS
Code) and Python's re share — literal CJK ranges, (?:…), one-character (?<!…) and (?!…) — so
tests/test_vscode.py can run the grammar in Python.
"""

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
LARK = HERE.parent.parent / "grammar" / "polc.lark"
OUT = HERE / "syntaxes" / "polc.tmLanguage.json"

NAME_CHAR = "[㐀-䶿一-鿿A-Za-z_·]"  # what a bare name is made of (grammar/polc.lark NAME)
GROUPS = [
    ("storage.type.declaration.polc", "政策 词汇 条款 事实 枚举 定义 定义事项 案例"),
    ("support.type.polc", "金额 数值 百分比 是否 日期 年份 逐年 逐项"),
    ("keyword.operator.comparison.polc", "超过 高于 大于 不低于 不少于 达到 不超过 不高于 低于 少于 不足 等于 "
                                         "首次超过 首次达到 首次不低于 均超过 均高于 均不低于 均达到 均不超过 均低于 早于"),
    ("keyword.operator.logical.polc", "且 或 非 属于 不属于"),
    ("constant.language.polc", "是 否 适用 不适用 无法判定 一事一议 金额未定 就高不重复 可叠加 上一年 当年 降序 升序 "
                               "当年起 次年起 一次性 不设上限 仅文本 无文号"),
]


def lark_keywords() -> set[str]:
    text = re.sub(r"//[^\n]*", "", LARK.read_text(encoding="utf-8"))
    return set(re.findall(r'"([\u3400-\u9fff]+)"', text))


def _alternation(words: list[str]) -> str:
    ordered = sorted(set(words), key=lambda w: (-len(w), w))  # longest first
    return f"(?<!{NAME_CHAR})(?:" + "|".join(ordered) + f")(?!{NAME_CHAR})"


def grammar() -> dict:
    keywords = lark_keywords()
    groups = [(scope, [w for w in words.split() if w in keywords]) for scope, words in GROUPS]
    placed = {w for _, words in groups for w in words}
    groups.append(("keyword.other.polc", sorted(keywords - placed)))
    order = ["comment", "string", "quoted-name", "docno", "article", "date", "money", "percent", "years", "number",
             "keywords", "operators", "punctuation", "name"]
    repository = {
        "comment": {"name": "comment.line.number-sign.polc", "match": "#.*$"},
        "string": {"name": "string.quoted.double.polc", "begin": "\"", "end": "\"",
                   "patterns": [{"name": "constant.character.escape.polc", "match": "\\\\."}]},
        "quoted-name": {"name": "variable.other.quoted.polc", "match": "「[^」\\n]+」"},
        # the year in 〔〕, [] or () (and their full-width forms), as the gazettes write it
        "docno": {"name": "constant.other.docno.polc",
                  "match": "[一-鿿]+(?:〔[0-9]{4}〕|\\[[0-9]{4}\\]|［[0-9]{4}］|\\([0-9]{4}\\)|（[0-9]{4}）)[0-9]+号"},
        "article": {"name": "entity.name.section.polc", "match": "第[一二三四五六七八九十百零]+条|第[0-9一二三四五六七八九十]+项"},
        "date": {"name": "constant.other.date.polc",
                 "match": "[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日|[0-9]{4}-[0-9]{2}-[0-9]{2}"},
        "money": {"name": "constant.numeric.money.polc",
                  "match": "[0-9]+(?:\\.[0-9]+)?(?:万亿元|亿元|万元|元)(?:/[一-鿿]+)?"},
        # a rate range as written (5%-20%, 5%～20%) is one constant, as in the Lark grammar
        "percent": {"name": "constant.numeric.percent.polc",
                    "match": "[0-9]+(?:\\.[0-9]+)?%(?:[-~－～—–〜][0-9]+(?:\\.[0-9]+)?%)?"},
        # the years of a run (issue 13: 前三年, 后两年, 第4年, 第4至5年) are one token, as in the Lark grammar
        "years": {"name": "constant.numeric.year.polc",
                  "match": "(?:前|后)(?:[0-9]+|[一二两三四五六七八九十]+)年"
                           "|第(?:[0-9]+|[一二两三四五六七八九十]+)(?:年至第?(?:[0-9]+|[一二两三四五六七八九十]+))?年"
                           "|第(?:[0-9]+|[一二两三四五六七八九十]+)至(?:[0-9]+|[一二两三四五六七八九十]+)年"
                           f"|[0-9]+年|(?<!{NAME_CHAR})[一二两三四五六七八九十]+年(?!{NAME_CHAR})"},
        "number": {"name": "constant.numeric.polc", "match": "[0-9]+(?:\\.[0-9]+)?"},
        "keywords": {"patterns": [{"name": scope, "match": _alternation(words)} for scope, words in groups if words]},
        "operators": {"name": "keyword.operator.polc", "match": "→|->|>=|<=|≥|≤|>|<|×|÷|\\*|/|\\+|-|="},
        "punctuation": {"name": "punctuation.separator.polc", "match": "[:：,，、()（）\\[\\]{}]"},
        "name": {"name": "variable.other.polc", "match": f"{NAME_CHAR}+"},
    }
    return {"$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
            "name": "polc", "scopeName": "source.polc", "fileTypes": ["pol"],
            "patterns": [{"include": f"#{key}"} for key in order], "repository": repository}


def render() -> str:
    return json.dumps(grammar(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(OUT.relative_to(HERE.parent.parent))
