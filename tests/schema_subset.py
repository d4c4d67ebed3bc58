"""A JSON Schema (draft 2020-12) validator for exactly the keywords polc's facts schemas use
(compiler/schema.py), written here so the tests need no new dependency.

A keyword it does not know is an error, not ignored: if the emitter starts using another
keyword, the tests fail until this validator (and so the test) understands it. `format:
date` is asserted (RFC 3339 full-date), as the format-assertion vocabulary allows.
Values are JSON as polc reads it (compiler.source.load_json: numbers as int or Decimal).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

_ANNOTATIONS = {"$schema", "title", "description"}
_KNOWN = _ANNOTATIONS | {"type", "enum", "anyOf", "allOf", "properties", "additionalProperties", "propertyNames",
                         "items", "pattern", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                         "exclusiveMaximum", "format"}


class UnknownKeyword(AssertionError):
    pass


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _type_of(value, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "number":
        return _is_number(value)
    if name == "integer":
        return _is_number(value) and Decimal(str(value)) == Decimal(str(value)).to_integral_value()
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    raise UnknownKeyword(f"type {name!r}")


def _pattern(pattern: str, text: str) -> bool:
    # ECMA-262's $ matches only at the very end; Python's also before a final newline.
    python = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
    return re.search(python, text) is not None


def _equal(a, b) -> bool:
    if _is_number(a) and _is_number(b):
        return Decimal(str(a)) == Decimal(str(b))
    return type(a) is type(b) and a == b


def errors(schema, value, where: str = "") -> list[str]:
    """Every way value breaks schema (empty: valid), each with the JSON path where."""
    if schema is True:
        return []
    if schema is False:
        return [f"{where or '/'}: not allowed"]
    unknown = set(schema) - _KNOWN
    if unknown:
        raise UnknownKeyword(f"{sorted(unknown)} at {where or '/'}")
    found: list[str] = []
    at = where or "/"
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_of(value, name) for name in names):
            return [f"{at}: not of type {names}"]
    if "enum" in schema and not any(_equal(value, option) for option in schema["enum"]):
        found.append(f"{at}: not one of {schema['enum']}")
    if "anyOf" in schema and all(errors(part, value, where) for part in schema["anyOf"]):
        found.append(f"{at}: matches none of anyOf")
    for part in schema.get("allOf", ()):
        found.extend(errors(part, value, where))
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{at}: longer than {schema['maxLength']}")
        if "pattern" in schema and not _pattern(schema["pattern"], value):
            found.append(f"{at}: does not match {schema['pattern']}")
        if schema.get("format") == "date":
            try:
                datetime.date.fromisoformat(value) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) else None
            except ValueError:
                found.append(f"{at}: not a date")
        elif "format" in schema:
            raise UnknownKeyword(f"format {schema['format']!r}")
    if _is_number(value):
        number = Decimal(str(value))
        for key, holds in (("minimum", lambda b: number >= b), ("maximum", lambda b: number <= b),
                           ("exclusiveMinimum", lambda b: number > b), ("exclusiveMaximum", lambda b: number < b)):
            if key in schema and not holds(Decimal(str(schema[key]))):
                found.append(f"{at}: {key} {schema[key]}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, item in value.items():
            if "propertyNames" in schema:
                found.extend(errors(schema["propertyNames"], key, f"{where}/{key}(name)"))
            if key in properties:
                found.extend(errors(properties[key], item, f"{where}/{key}"))
            elif "additionalProperties" in schema:
                found.extend(errors(schema["additionalProperties"], item, f"{where}/{key}"))
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found.extend(errors(schema["items"], item, f"{where}/{index}"))
    return found


def check_keywords(schema) -> None:
    """Raise UnknownKeyword if the schema anywhere uses a keyword this validator lacks."""
    if isinstance(schema, bool):
        return
    unknown = set(schema) - _KNOWN
    if unknown:
        raise UnknownKeyword(sorted(unknown))
    for key in ("anyOf", "allOf"):
        for part in schema.get(key, ()):
            check_keywords(part)
    for key in ("additionalProperties", "propertyNames", "items"):
        if key in schema:
            check_keywords(schema[key])
    for part in schema.get("properties", {}).values():
        check_keywords(part)
