"""The facts an evaluator accepts, as JSON Schema (draft 2020-12): `polc build --emit schema`
and the schemas `polc serve` gives (per policy, and in its OpenAPI description).

One schema per set of policies evaluated together: a policy's own, or the merge of several
(the vocabularies of `polc eval A.pol B.pol`). It describes exactly the facts
`runtime.validate_facts` reads for those policies, written the way clients send them:

- money: a number of 元, or text with a unit (`"30亿元"`, `"1,200.5元"`);
- a percentage: the fraction as a number (0.05), or text (`"5%"`, `"0.05"`);
- a number: a number, or its text; a year: an integer 1000–9999 or `"2019"`/`"2019年"`;
- yes/no: true/false (or `"是"`/`"否"`); a date: `"2020-06-30"` or `"2020年6月30日"`;
- an enumeration: one of its labels (`enum`); 标识: non-blank text;
- 逐年: an object keyed by year; 逐项: an array, one value per item;
- `null` (unknown) for any fact and any year of a series; any undeclared key is refused
  (`additionalProperties: false`).

What the schema accepts, the runtime accepts, except for what JSON Schema cannot state: the
bounds on numeric *text* (below 10^15, at most 28 significant digits), a year written twice
in one series (`"2019"` and `"2019年"`) and the calendar check of `"2020年2月30日"`; the
bounds are in the descriptions, and `runtime.validate_facts` still checks all three. The runtime accepts a little
more than the schema (surrounding tabs, `"+5"`, a 标识 as a JSON integer), never less. A schema is built only from
the runtime's own fact table (name -> (base, yearly, enumeration labels, per item)) and the
facts' 说明, so a generated module and the compiler give the same schema, and the output is
deterministic: properties in declaration order, keys in a fixed order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from . import runtime

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Patterns use only what ECMA-262 and Python's re read alike (no \d, no \s: the two differ).
_SPACES = " *"
_DECIMAL = "-?[0-9]+(\\.[0-9]+)?"
_GROUPED = "-?([0-9]+|[0-9]{1,3}([,，][0-9]{3})+)(\\.[0-9]+)?"
MONEY_TEXT = f"^{_SPACES}{_GROUPED}{_SPACES}(万亿元|亿元|万元|元)?{_SPACES}$"
PERCENT_TEXT = f"^{_SPACES}{_DECIMAL}{_SPACES}%?{_SPACES}$"
NUMBER_TEXT = f"^{_SPACES}{_DECIMAL}{_SPACES}$"
YEAR_TEXT = f"^{_SPACES}[1-9][0-9]{{3}}年?{_SPACES}$"
ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CHINESE_DATE = "^[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日$"
BOOL_WORDS = ("是", "否", "true", "false")
# A character Python's str.strip() keeps (ECMA's \s lacks \x1c-\x1f and \x85, which strip() removes).
NOT_BLANK = "[^\\s\\x1c-\\x1f\\x85]"

_LIMIT = {kind: int(bound) for kind, bound in runtime.MAX_MAGNITUDE.items()}


def _bounded_number(kind: str) -> dict:
    return {"type": "number", "exclusiveMinimum": -_LIMIT[kind], "exclusiveMaximum": _LIMIT[kind]}


def _text(pattern: str) -> dict:
    return {"type": "string", "maxLength": runtime.MAX_NUMBER_TEXT, "pattern": pattern}


_KIND_WORDS = {
    "money": ("金额：元数，或带单位的文字（如 \"30万元\"、\"1.2亿元\"），绝对值小于 10^15 元",
              "money: a number of yuan, or text with a unit (\"30万元\"), below 10^15 yuan in size"),
    "percent": ("百分比：小数（0.05）或文字（\"5%\"）", "a percentage: the fraction (0.05) or text (\"5%\")"),
    "number": ("数值，绝对值小于 10^15", "a number below 10^15 in size"),
    "bool": ("是否：true/false（或 \"是\"/\"否\"）", "yes/no: true/false (or \"是\"/\"否\")"),
    "year": ("年份：1000–9999 的整数（或 \"2019\"、\"2019年\"）", "a year 1000-9999 (or \"2019\", \"2019年\")"),
    "date": ("日期：\"2020-06-30\" 或 \"2020年6月30日\"", "a date: \"2020-06-30\" or \"2020年6月30日\""),
    "text": ("标识：非空文字（名称、编号），用于分组", "an identifier: non-blank text (a name or a code), for grouping"),
    "enum": ("枚举，取值之一", "an enumeration: one of its labels"),
}


def value_schemas(base: str, labels: Iterable[str] | None = None) -> list[dict]:
    """The ways one value of a fact of this base type may be written (alternatives)."""
    if base == "money":
        return [_bounded_number("money"), _text(MONEY_TEXT)]
    if base == "percent":
        return [_bounded_number("percent"), _text(PERCENT_TEXT)]
    if base == "number":
        return [_bounded_number("number"), _text(NUMBER_TEXT)]
    if base == "bool":
        return [{"type": "boolean"}, {"enum": list(BOOL_WORDS)}]
    if base == "year":
        return [{"type": "integer", "minimum": 1000, "maximum": 9999}, _text(YEAR_TEXT)]
    if base == "date":
        return [{"type": "string", "pattern": ISO_DATE, "format": "date"}, {"type": "string", "pattern": CHINESE_DATE}]
    if base == "text":
        # Text only: the runtime also reads a JSON integer (12) but not 12.0, and JSON Schema
        # cannot tell the two apart, so the schema keeps to what is always read.
        return [{"type": "string", "pattern": NOT_BLANK}]
    if base == "enum":
        return [{"enum": list(labels or ())}]
    raise ValueError(f"unknown fact type {base!r}")


def _one_of(alternatives: list[dict]) -> dict:
    return alternatives[0] if len(alternatives) == 1 else {"anyOf": alternatives}


def fact_schema(name: str, spec: tuple, note: str | None = None) -> dict:
    """One fact's schema, from the runtime's spec (base, yearly, labels, per item[, …])."""
    base, yearly, labels = spec[0], spec[1], spec[2]
    per_item = len(spec) > 3 and bool(spec[3])
    zh, en = _KIND_WORDS[base]
    if base == "enum":
        zh, en = f"枚举：{'、'.join(labels or ())}之一", f"one of: {', '.join(labels or ())}"
    if yearly:
        zh, en = f"逐年（以年份为键的对象，如 {{\"2019\": …}}）；{zh}", f"yearly, an object keyed by year; {en}"
    if per_item:
        zh, en = f"逐项（数组，每项一个值）；{zh}", f"per item, an array of values; {en}"
    described = f"{note.rstrip('。')}。{zh} / {en}" if note else f"{zh} / {en}"
    schema: dict = {"title": name, "description": described + "；null 为未知 / null is unknown"}
    values = value_schemas(base, labels)
    if per_item:
        schema.update({"type": ["array", "null"], "items": _one_of(values)})
    elif yearly:
        schema.update({"type": ["object", "null"], "propertyNames": {"pattern": YEAR_TEXT},
                       "additionalProperties": {"anyOf": [*values, {"type": "null"}]}})
    else:
        schema["anyOf"] = [*values, {"type": "null"}]
    return schema


def policy_schema(docno: str, title: str | None, facts: Mapping[str, tuple],
                  notes: Mapping[str, str | None] | None = None) -> dict:
    """The facts schema of one policy: facts is its runtime table (module.FACTS)."""
    notes = notes or {}
    return {
        "$schema": DIALECT,
        "title": f"{docno} 的事实 / facts for {docno}",
        "description": title or docno,
        "type": "object",
        "properties": {name: fact_schema(name, spec, notes.get(name)) for name, spec in facts.items()},
        "additionalProperties": False,
    }


_ANNOTATIONS = ("title", "description")


def _constraints(schema: dict) -> dict:
    return {key: value for key, value in schema.items() if key not in _ANNOTATIONS}


def merge(schemas: list[dict]) -> dict:
    """The facts of several policies evaluated together: every policy reads the facts it
    declares, so a fact two of them declare must satisfy both (allOf when they differ)."""
    if len(schemas) == 1:
        return schemas[0]
    if not schemas:
        return {"$schema": DIALECT, "title": "没有政策 / no policies", "type": "object", "additionalProperties": False}
    properties: dict[str, dict] = {}
    for schema in schemas:
        for name, fact in schema["properties"].items():
            known = properties.get(name)
            if known is None:
                properties[name] = fact
            elif _constraints(known) != _constraints(fact) and fact not in known.get("allOf", ()):
                parts = known["allOf"] if "allOf" in known else [_constraints(known)]
                properties[name] = {**{k: known[k] for k in _ANNOTATIONS if k in known},
                                    "allOf": [*parts, _constraints(fact)]}
    docnos = "、".join(schema["title"].split(" 的事实")[0] for schema in schemas)
    return {
        "$schema": DIALECT,
        "title": f"{docnos} 共同评估的事实 / facts for evaluating {docnos} together",
        "description": "；".join(schema["description"] for schema in schemas),
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def dumps(schema: dict) -> str:
    """The schema as written: UTF-8 text, two-space indent, keys in the order built."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def fact_table(policy) -> tuple[dict[str, tuple], dict[str, str | None]]:
    """A compiled policy's (ast.Policy) runtime fact table — what its generated module carries
    as FACTS, the lowered model's schema() — and each fact's 说明 from its declaration (the
    policy's or its vocabulary's)."""
    from .lower import lower
    lowered = lower(policy)
    facts = lowered.schema()
    return facts, {name: lowered.facts[name].note for name in facts}


def for_policy(policy) -> dict:
    """A compiled policy's facts schema (what `polc build --emit schema FILE` prints)."""
    facts, notes = fact_table(policy)
    return policy_schema(policy.docno, policy.title, facts, notes)


def for_policies(policies: list) -> dict:
    """The schema of the facts `polc eval` accepts for these policies evaluated together."""
    return merge([for_policy(policy) for policy in policies])
