"""Symbols and types: what each name means and what type each expression has.

Shared by the checks (which report problems), and by the interpreter and code generator
(which need each value's kind to format it in a trace). Inference never raises: an
ill-typed expression has type None, and the checks say why.
"""

from __future__ import annotations

import attrs

from . import ast


@attrs.frozen
class Type:
    base: str  # money | unit_price | number | percent | bool | date | year | enum
    enum: str | None = None  # the enumeration's name, or the unit of a unit price (平方米)
    series: bool = False
    items: bool = False      # a 逐项 fact: read one item at a time inside 每项

    def scalar(self) -> "Type":
        return attrs.evolve(self, series=False)

    @property
    def dimensionless(self) -> bool:
        return self.base in ("number", "percent")

    def describe(self, lang: str = "zh") -> str:
        zh = {"money": "金额", "unit_price": f"单价（元/{self.enum}）", "number": "数值", "percent": "百分比", "bool": "是否", "date": "日期",
              "year": "年份", "enum": f"枚举「{self.enum}」", "text": "标识"}
        en = {"money": "money", "unit_price": f"a price per {self.enum}", "number": "number", "percent": "percentage", "bool": "yes/no",
              "date": "date", "year": "year", "enum": f"enumeration {self.enum!r}", "text": "identifier"}
        word = (en if lang == "en" else zh)[self.base]
        if self.series:
            return f"yearly {word}" if lang == "en" else f"逐年{word}"
        return word


MONEY, NUMBER, PERCENT, BOOL, YEAR = Type("money"), Type("number"), Type("percent"), Type("bool"), Type("year")

# Comparison words -> (operator, first-time?). 均… is the same test over each year of a run.
COMPARISONS = {
    "超过": "gt", "高于": "gt", "大于": "gt", ">": "gt",
    "不低于": "ge", "不少于": "ge", "达到": "ge", ">=": "ge", "≥": "ge",
    "不超过": "le", "不高于": "le", "<=": "le", "≤": "le",
    "低于": "lt", "少于": "lt", "不足": "lt", "<": "lt",
    "等于": "eq",
}


def comparison(word: str) -> tuple[str, bool]:
    """('gt', first_time) for a comparison word such as 首次超过 or 均不低于."""
    if word.startswith("首次"):
        return COMPARISONS[word[2:]], True
    if word.startswith("均"):
        return COMPARISONS[word[1:]], False
    return COMPARISONS[word], False


@attrs.define
class Symbols:
    """Every declared name of one policy."""

    enums: dict[str, ast.EnumDecl] = attrs.Factory(dict)
    facts: dict[str, ast.FactDecl] = attrs.Factory(dict)
    defs: dict[str, ast.DefDecl] = attrs.Factory(dict)
    matters: dict[str, ast.MatterDecl] = attrs.Factory(dict)
    enum_of_value: dict[str, str] = attrs.Factory(dict)  # value name -> enum name (first one)
    # id(declaration) -> (declaration, its Type): a Type depends on the declaration alone, and
    # infer asks for the same facts' types again and again (kept beside the declaration, so
    # its id cannot be reused while the entry lives).
    _fact_types: dict = attrs.field(factory=dict, init=False, repr=False, eq=False)

    @classmethod
    def of(cls, policy: ast.Policy | ast.Vocabulary) -> "Symbols":
        """Every name a policy can use: its imported vocabulary's, then its own."""
        symbols = cls()
        sources = [policy.vocabulary, policy] if getattr(policy, "vocabulary", None) else [policy]
        for source in sources:
            for decl in source.enums:
                symbols.enums.setdefault(decl.name.text, decl)
                for value in decl.values:
                    symbols.enum_of_value.setdefault(value.text, decl.name.text)
            for kind, table in (("facts", symbols.facts), ("defs", symbols.defs), ("matters", symbols.matters)):
                for decl in getattr(source, kind):
                    table.setdefault(decl.name.text, decl)
        return symbols

    def fact_type(self, decl: ast.FactDecl) -> Type:
        known = self._fact_types.get(id(decl))
        if known is not None and known[0] is decl:
            return known[1]
        t = decl.type
        made = Type(t.base, t.enum.text if t.enum else None, t.series, t.items)
        self._fact_types[id(decl)] = (decl, made)
        return made

    def enum_values(self, enum: str | None) -> tuple[str, ...]:
        decl = self.enums.get(enum) if enum else None
        return tuple(v.text for v in decl.values) if decl else ()

    def names(self) -> list[str]:
        return sorted({*self.facts, *self.defs, *self.enum_of_value})


def infer(node, symbols: Symbols, _seen: frozenset = frozenset()) -> Type | None:
    """The type of an expression, or None if it has none (the checks report why)."""
    if isinstance(node, ast.Money):
        return MONEY
    if isinstance(node, ast.UnitPrice):
        return Type("unit_price", node.unit)
    if isinstance(node, ast.Percent):
        return PERCENT
    if isinstance(node, ast.Number):
        return NUMBER
    if isinstance(node, ast.Bool):
        return BOOL
    if isinstance(node, (ast.YearValue, ast.AssessedYear)):
        return YEAR
    if isinstance(node, ast.Floor):
        inner = infer(node.operand, symbols, _seen)
        return inner if inner is not None and inner.base in ("money", "number", "percent") else None
    if isinstance(node, ast.Ref):
        text = node.name.text
        if text in symbols.facts:
            return symbols.fact_type(symbols.facts[text])
        if text in symbols.defs:
            if text in _seen:
                return None
            return infer(symbols.defs[text].expr, symbols, _seen | {text})
        if text in symbols.enum_of_value:
            owners = [name for name, decl in symbols.enums.items() if any(v.text == text for v in decl.values)]
            # A value shared by several enumerations (国家) takes its enumeration from context.
            return Type("enum", owners[0] if len(owners) == 1 else None)
        return None
    if isinstance(node, (ast.PrevYear,)):
        inner = infer(node.operand, symbols, _seen)
        return inner if inner is not None and inner.series else None
    if isinstance(node, ast.Growth):
        inner = infer(node.operand, symbols, _seen)
        return Type("percent", series=True) if inner is not None and inner.series and inner.base in ("money", "number") else None
    if isinstance(node, ast.Neg):
        inner = infer(node.operand, symbols, _seen)
        return inner if inner is not None and inner.base in ("money", "number", "percent") else None
    if isinstance(node, ast.Binary):
        return _binary(node.op, infer(node.left, symbols, _seen), infer(node.right, symbols, _seen))
    if isinstance(node, (ast.Compare, ast.Member, ast.RunOfYears, ast.And, ast.Or, ast.Not)):
        return BOOL
    return None


def _binary(op: str, left: Type | None, right: Type | None) -> Type | None:
    if left is None or right is None:
        return None
    series = left.series or right.series
    l, r = left.base, right.base
    result = None
    if "year" in (l, r):
        # Years count: 考核年度 - 认定年度 is a number of years; 认定年度 + 1 is a year.
        if op == "-" and l == r == "year":
            result = "number"
        elif op in "+-" and l == "year" and r == "number":
            result = "year"
        elif op == "+" and l == "number" and r == "year":
            result = "year"
        return Type(result, series=series) if result else None
    if op in "+-":
        if l == r == "money":
            result = "money"
        elif left.dimensionless and right.dimensionless:
            result = "percent" if l == r == "percent" else "number"
    elif op == "×" and "unit_price" in (l, r):
        # PER-UNIT: a quantity times a price per unit is money (面积 × 150元/平方米).
        other = r if l == "unit_price" else l
        if other in ("number", "percent"):
            result = "money"
    elif op == "×":
        if {l, r} <= {"money", "number", "percent"} and not (l == r == "money"):
            result = "money" if "money" in (l, r) else ("percent" if l == r == "percent" else "number")
    elif op == "÷":
        if l == "money" and right.dimensionless:
            result = "money"
        elif l == r == "money" or (left.dimensionless and right.dimensionless):
            result = "number"
    return Type(result, series=series) if result else None


def comparable(left: Type, right: Type) -> bool:
    if left.base == "money" or right.base == "money":
        return left.base == right.base
    if left.dimensionless and right.dimensionless:
        return True
    if {left.base, right.base} == {"year", "number"}:
        return True
    return left.base == right.base and (left.enum == right.enum or None in (left.enum, right.enum))


def value_kind(t: Type | None) -> str:
    """How a runtime value of this type is shown in a trace."""
    return t.base if t is not None else "number"
