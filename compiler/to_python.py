"""Stage 3a: model -> a plain Python evaluator module (standard library only).

Safety: nothing from a .pol file becomes code except through the constructs below. User
text (names, sentences, labels) reaches the output only as string literals made by repr();
identifiers in the output are our own ASCII names (_clause_3, _def_2); numbers go out as
Decimal('…') built from a Decimal's own string. The module is compiled before it is
written, and tests try to smuggle code through every place a .pol file can put text.

The module imports the runtime (compiler/runtime.py) that `polc build` copies beside it
(`from .runtime import …`, after checking RUNTIME_VERSION), so every module of a build shares
one runtime and its classes; `standalone=True` inlines the runtime instead (`polc build
--standalone`), for a single file that imports nothing but the standard library. Each clause
becomes one function with a docstring that quotes its source sentence and points at its .pol
line.
"""

from __future__ import annotations

import ast as pyast
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from typing import assert_never

from . import __version__, model

RUNTIME_PATH = Path(__file__).resolve().parent / "runtime.py"


# Re-exported: the name of a policy's generated module, and why a name cannot be one (in paths,
# standard library only, so that `polc check` does not import the code generator for them).
from .paths import _RESERVED_NAMES, module_name, module_name_problem  # noqa: E402,F401




class Writer:
    """Lines of Python with an indentation level, in the manner of Jinja's CodeGenerator."""

    def __init__(self):
        self.lines: list[str] = []
        self.level = 0
        self._counter = 0

    def line(self, text: str = "") -> None:
        self.lines.append(("    " * self.level + text) if text else "")

    def indent(self) -> None:
        self.level += 1

    def outdent(self) -> None:
        self.level -= 1

    def temp(self, prefix: str = "t") -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _literal(value) -> str:
    """A Python literal for a value we made ourselves: only types whose repr is safe."""
    if isinstance(value, Decimal):
        return f"Decimal({str(value)!r})"
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    raise TypeError(f"no safe literal for {type(value).__name__}")


def _docstring(text: str, indent: str = "") -> str:
    """A triple-quoted docstring when the text reads back unchanged, else a repr literal.

    Continuation lines are indented like the code around them (inspect.cleandoc removes it).
    """
    body = text.replace("\n", "\n" + indent)
    body = "\n".join(line.rstrip() for line in body.split("\n"))
    candidate = '"""' + body + "\n" + indent + '"""'
    try:
        if "\\" not in text and pyast.literal_eval(candidate) == body + "\n" + indent:
            return candidate
    except (SyntaxError, ValueError):
        pass
    return repr(text)


_ARITH = {"+": "add", "-": "sub", "×": "mul", "÷": "div"}
# Deeper than this many indentation levels, the right side of 且/或 and the body of 连续/近
# become functions of their own. Nested conditions would otherwise nest Python blocks as
# deep as they go, and compile() refuses 100 levels of indentation or 20 nested loops; this
# way no function is indented more than a few levels, whatever the condition's depth.
_HOIST_LEVEL = 6


# How a clause function is written (the shared scaffolding; each award form is one `case`
# in _ClauseCompiler.award, each expression one `case` in _ClauseCompiler._expr):
#
#     def _clause_8(run):
#         """docstring: the clause's words and where it is"""
#         facts = run.facts                                  # the applicant's typed facts
#         trace = run.trace if run.tracing else None         # None: nobody will read a trace
#         holds = True
#         v1 = facts.get('项目类别')
#         if v1 is None:
#             run.missed('项目类别')
#         c2 = None if v1 is None else v1 == '生产性服务业'
#         if trace is not None:
#             trace.append((trace_value, '项目类别 属于 生产性服务业', v1, 'enum', c2))
#         if c2 is False:
#             return False
#         ...
#         return exact(run, v7, _K17, '200万元')
#
# Why it looks like this (generated clauses were ×3–5 a hand-written function; see the
# README, "Generated modules"):
# - facts are read straight from the dict, and conditions, comparisons, arithmetic and
#   三值 logic (Kleene 且/或/非) are inline code, not a method or function call each;
# - trace entries are built only when a trace is wanted (`trace` is None in polc's batch
#   without --trace), and even then kept as (formatter, arguments) and formatted only when
#   read; the formatters (trace_value, trace_compare, …) are the runtime's, the ones its Run
#   methods use, so the interpreter and generated code give the same words;
# - constants are module-level Decimals, built once at import.
# Every expression's code is an *atom* (a name or a constant): what computes it is written
# first, as statements, so facts are read and trace entries recorded in the order the
# interpreter evaluates them, whatever the nesting.
_PREAMBLE = {"facts": "facts = run.facts", "trace": "trace = run.trace if run.tracing else None"}


class _NeedsRun(Exception):
    """Raised while writing a decision function for a construct it does not write inline (an
    item of a 逐项 fact, a table, levels held, parts…): the decision then runs the clause
    function with a QuietRun instead (runtime.decide_by_running)."""


class _ClauseCompiler:
    def __init__(self, policy: model.PolicyModel, writer: Writer, def_functions: dict[str, str]):
        self.policy = policy
        self.out = writer
        self.defs = def_functions
        self.definitions = {decl.name: decl for decl in policy.evaluated_definitions}
        self.constants: dict[str, str] = {}  # Decimal text -> module-level name
        self.helpers: list[str] = []  # lines of the module-level functions split off deep conditions
        self._parts = 0
        self.uses: set[str] = set()  # the locals of _PREAMBLE the function being written reads
        # Writing a decision function (see decision()): facts, year and factor are its
        # arguments, nothing is traced or recorded as missing, awards are plain tuples.
        self.deciding = False
        self.duration: model.Duration | None = None  # the 期限 of the clause being decided, if it has a start
        # A decision function reads a fact (or a year of one) once: reads made at the top level
        # of the function being written (so they ran before anything after them) are reused.
        self.reads: dict[tuple[str, ...], str] = {}
        self.read_at: tuple[Writer, int] | None = None

    def begin_function(self) -> tuple[Writer, int, set[str]]:
        """Where the preamble of the function starting here goes (after its docstring), and
        what the enclosing function had used (a _part_ function starts inside another)."""
        outer_uses, self.uses = self.uses, set()
        return self.out, len(self.out.lines), outer_uses

    def end_function(self, started: tuple[Writer, int, set[str]]) -> None:
        """Insert the locals the function read, at the place begin_function marked."""
        writer, position, outer_uses = started
        indent = "    " * (writer.level + 1)
        if not self.deciding:  # a decision function has its facts, year and factor as arguments
            writer.lines[position:position] = [indent + _PREAMBLE[name] for name in _PREAMBLE if name in self.uses]
        self.uses = outer_uses

    @property
    def year(self) -> str:
        """The assessed year: the run's, or a decision function's argument."""
        return "year" if self.deciding else "run.year"

    def atom(self, code: str) -> str:
        """A name or constant for code: code itself if it is one, else a temporary holding it."""
        if code.isidentifier() or code in ("None", "True", "False") or _is_literal(code):
            return code
        temp = self.out.temp("e")
        self.out.line(f"{temp} = {code}")
        return temp

    def _reused(self, key: tuple[str, ...]) -> str | None:
        """In a decision function, the local already holding this read, if one does."""
        return self.reads.get(key) if self.deciding else None

    def _keep(self, key: tuple[str, ...], local: str) -> None:
        """Remember a read made at the top level of a decision function, for reuse."""
        if self.deciding and self.read_at == (self.out, self.out.level):
            self.reads[key] = local

    def read_fact(self, name: str) -> str:
        """A plain fact (not 逐年, not 逐项) read from the facts; recorded as missing if None."""
        self.uses.add("facts")
        if (known := self._reused(("fact", name))) is not None:
            return known
        value = self.out.temp("v")
        self.out.line(f"{value} = facts.get({name!r})")
        if not self.deciding:
            self.out.line(f"if {value} is None:")
            self.out.line(f"    run.missed({name!r})")
        self._keep(("fact", name), value)
        return value

    def read_year(self, name: str, offset: str) -> str:
        """A 逐年 fact's value in the assessed year less offset (Run.at inline); when it is
        None, Run.at records what is missing (the fact, or that year of it)."""
        self.uses.add("facts")
        out = self.out
        if (known := self._reused(("year", name, offset))) is not None:
            return known
        series, value = self.read_series(name), out.temp("v")
        year = self.year if offset == "0" else f"{self.year} - ({offset})"
        out.line(f"{value} = None if {series} is None else {series}.get({year})")
        if not self.deciding:
            out.line(f"if {value} is None:")
            out.line(f"    run.at({name!r}, {offset})")
        self._keep(("year", name, offset), value)
        return value

    def read_series(self, name: str) -> str:
        """A 逐年 fact's series (a dict by year, or None)."""
        if (known := self._reused(("series", name))) is not None:
            return known
        series = self.out.temp("s")
        self.out.line(f"{series} = facts.get({name!r})")
        self._keep(("series", name), series)
        return series

    def record(self, entry: str) -> None:
        """A trace entry, built only when a trace is wanted (never in a decision function)."""
        if self.deciding:
            return
        self.uses.add("trace")
        self.out.line("if trace is not None:")
        self.out.line(f"    trace.append(({entry}))")

    def nested(self, node: model.Expr, offset: str) -> str:
        """Python source for a sub-expression written inside a block: inline while shallow,
        else a call to a module-level function `_part_N(run, offset)` that computes it (it
        reads nothing but run and the year offset, so it can stand alone)."""
        if self.out.level <= _HOIST_LEVEL:
            return self.expr(node, offset)
        self._parts += 1
        function = f"_part_{self._parts}"
        outer, self.out = self.out, Writer()
        started = self.begin_function()
        self.out.indent()
        outer_reads, self.reads, outer_at, self.read_at = self.reads, {}, self.read_at, (self.out, self.out.level)
        try:
            value = self.expr(node, "offset")
        finally:
            self.reads, self.read_at = outer_reads, outer_at
        self.out.line(f"return {value}")
        self.out.outdent()
        self.end_function(started)
        body, self.out = self.out.lines, outer
        arguments = "facts, year, offset" if self.deciding else "run, offset"
        self.helpers.extend([f"def {function}({arguments}):", *body, "", ""])
        return f"{function}({arguments.replace('offset', offset)})"

    def constant(self, value: Decimal) -> str:
        """Decimal constants are built once, at import, not on every call."""
        text = str(value)
        if text not in self.constants:
            self.constants[text] = f"_K{len(self.constants) + 1}"
        return self.constants[text]

    def expr(self, node: model.Expr, offset: str) -> str:
        """An atom (a name or a constant) holding node's value; the statements computing it
        are written first (see the comment above _PREAMBLE)."""
        return self.atom(self._expr(node, offset))

    def _expr(self, node: model.Expr, offset: str) -> str:
        """Python source computing node's value, statements it needs written first; its
        operands are atoms, so it may be evaluated at any later point."""
        out = self.out
        match node:
            case model.Constant():
                return self.constant(node.value)
            case model.BoolConstant() | model.YearConstant():
                return repr(node.value)
            case model.AssessedYear():
                return self.year if offset == "0" else f"({self.year} - ({offset}))"
            case model.Floor():
                return f"floor({self.expr(node.operand, offset)})"
            case model.FactRef():
                name, t = node.fact.name, node.fact.type
                if t.series:
                    return self.read_year(name, offset)
                if t.items and self.deciding:
                    raise _NeedsRun(name)
                if t.items:  # inside 每项 this is the current item (run.item)
                    if t.base is model.Base.BOOL:
                        return f"run.truth({name!r}, run.fact({name!r}))"
                    return f"run.fact({name!r})"
                value = self.read_fact(name)
                if t.base is model.Base.BOOL:  # a 是否 fact is traced as it is read (Run.truth)
                    self.record(f"trace_value, {name!r}, {value}, 'bool', {value}")
                return value
            case model.DefRef() if self.deciding:
                # Inline: a definition's value is its expression's, and a decision traces nothing.
                return self._expr(self.definitions[node.name].expr, offset)
            case model.DefRef():
                return f"{self.defs[node.name]}(run, {offset})"
            case model.EnumValue():
                return repr(node.value)
            case model.PrevYear():
                return self.read_year(node.fact.name, f"{offset} + 1")
            case model.Growth():
                # Run.growth inline; a year before of 0 goes to Run.growth, which traces why
                # the rate is unknown.
                name = node.fact.name
                current = self.read_year(name, offset)
                previous = self.read_year(name, f"{offset} + 1")
                if self.deciding:  # a rate over a year of 0 is unknown (Run.growth, without its trace)
                    return (f"(None if {current} is None or {previous} is None or {previous} == 0 else "
                            f"({current} - {previous}) / {previous})")
                return (f"(None if {current} is None or {previous} is None else "
                        f"run.growth({name!r}, {offset}) if {previous} == 0 else ({current} - {previous}) / {previous})")
            case model.Neg():
                operand = self.expr(node.operand, offset)
                return f"(None if {operand} is None else -{operand})"
            case model.Arith():
                # runtime.add/sub/mul/div inline: None (unknown) if an operand is, and a
                # quotient by zero is unknown too.
                left = self.expr(node.left, offset)
                right = self.expr(node.right, offset)
                unknown = [f"{operand} is None" for operand in (left, right) if not _is_literal(operand)]
                if node.op is model.ArithOp.DIV:
                    unknown.append(f"{right} == 0")
                value = f"{left} {_PYTHON_ARITH[node.op]} {right}"
                return f"(None if {' or '.join(unknown)} else {value})" if unknown else value
            case model.Compare():
                return self.compare(node, offset)
            case model.Member():
                # Run.member inline: unknown if the subject is; traced as Run.member does.
                subject = self.expr(node.subject, offset)
                options = node.options
                if len(options) == 1:
                    test = f"{subject} {'!=' if node.negated else '=='} {options[0]!r}"
                else:
                    test = f"{subject} {'not in' if node.negated else 'in'} {_literal(options)}"
                result = out.temp("m")
                out.line(f"{result} = None if {subject} is None else {test}")
                self.record(f"trace_value, {node.text!r}, {subject}, 'enum', {result}")
                return result
            case model.RunOfYears():
                results, year = out.temp("years"), out.temp("k")
                out.line(f"{results} = []")
                out.line(f"for {year} in range({node.years}):")
                out.indent()
                inner = self.nested(node.condition, f"{offset} + {year}" if offset != "0" else year)
                out.line(f"{results}.append({inner})")
                out.outdent()
                if self.deciding:  # Run.run_of_years: the Kleene 且 of the years, inline
                    combined, outcome = out.temp("r"), out.temp("o")
                    out.line(f"{combined} = True")
                    out.line(f"for {outcome} in {results}:")
                    out.line(f"    if {outcome} is False:")
                    out.line(f"        {combined} = False")
                    out.line("        break")
                    out.line(f"    if {outcome} is None:")
                    out.line(f"        {combined} = None")
                    return combined
                return f"run.run_of_years({node.text!r}, {results})"
            case model.And() | model.Or():
                # Kleene 且/或 (runtime.kleene_and/kleene_or) inline. The right side is
                # evaluated only when the left does not decide (False for 且, True for 或), as
                # the interpreter does; then the left is the other truth value or None, and
                # the result is the right's value, unless the left is None and the right does
                # not decide either.
                stop, go = ("False", "True") if isinstance(node, model.And) else ("True", "False")
                temp = out.temp()
                out.line(f"{temp} = {self.expr(node.left, offset)}")
                out.line(f"if {temp} is not {stop}:")
                out.indent()
                right = self.nested(node.right, offset)
                out.line(f"if {temp} is {go}:")
                out.line(f"    {temp} = {right}")
                out.line(f"elif {right} is {stop}:")
                out.line(f"    {temp} = {stop}")
                out.outdent()
                return temp
            case model.Not():
                operand = self.expr(node.operand, offset)
                return f"(None if {operand} is None else not {operand})"
            case _:
                assert_never(node)

    def compare(self, node: model.Compare, offset: str) -> str:
        op, kind, label = node.op.value, node.kind.value, node.text
        if node.first_time:
            assert isinstance(node.left, model.FactRef)  # lowering guarantees it
            threshold = self.expr(node.right, offset)
            return self.first_time(node, node.left.fact.name, threshold, offset)
        left = self.expr(node.left, offset)
        right = self.expr(node.right, offset)
        if node.ordered and self.deciding:  # Run.compare_ordered: by position in the order
            order = _literal(node.order)

            def position(side: str) -> str:  # a stated level's position is worked out here
                if _is_literal(side) and pyast.literal_eval(side) in node.order:
                    return repr(node.order.index(pyast.literal_eval(side)))
                return f"{order}.index({side})"
            unknown = [f"{side} is None" for side in (left, right) if not _is_literal(side)]
            test = f"{position(left)} {_PYTHON_COMPARE[node.op]} {position(right)}"
            return f"(None if {' or '.join(unknown)} else {test})" if unknown else test
        if node.ordered:
            return f"run.compare_ordered({label!r}, {op!r}, {left}, {right}, {_literal(node.order)})"
        # Run.compare inline: unknown if a side is; traced as Run.compare does (with the year
        # read when the comparison is of a 逐年 value).
        unknown = [f"{side} is None" for side in (left, right) if not _is_literal(side)]
        test = f"{left} {_PYTHON_COMPARE[node.op]} {right}"
        result = self.out.temp("r")
        self.out.line(f"{result} = None if {' or '.join(unknown)} else {test}" if unknown else f"{result} = {test}")
        if node.per_year and not self.deciding:
            year = "run.year" if offset == "0" else f"run.year - ({offset})"
            self.record(f"trace_compare_year, {label!r}, {year}, {left}, {right}, {kind!r}, {result}")
        else:
            self.record(f"trace_compare, {label!r}, '', {left}, {right}, {kind!r}, {result}")
        return result

    def first_time(self, node: model.Compare, name: str, threshold: str, offset: str) -> str:
        """Run.first_time inline: the year's value passes, and no recorded earlier year did;
        unknown if the year's value or the threshold is. Traced as Run.first_time does."""
        self.uses.add("facts")
        out = self.out
        test = _PYTHON_COMPARE[node.op]
        if self.deciding:  # the series and the year's value as read_year reads them (once)
            current = self.read_year(name, offset)
            series = self.reads.get(("series", name)) or self.read_series(name)
            year = self.year if offset == "0" else out.temp("y")
            result, earlier_year, earlier = out.temp("r"), out.temp("y"), out.temp("v")
            if offset != "0":
                out.line(f"{year} = {self.year} - ({offset})")
        else:
            series, year, current, result = out.temp("s"), out.temp("y"), out.temp("v"), out.temp("r")
            earlier_year, earlier = out.temp("y"), out.temp("v")
            out.line(f"{series} = facts.get({name!r})")
            out.line(f"{year} = {self.year}" if offset == "0" else f"{year} = {self.year} - ({offset})")
            out.line(f"{current} = None if {series} is None else {series}.get({year})")
        out.line(f"if {current} is None:")
        if not self.deciding:
            out.line(f"    run.at({name!r}, {offset})  # records what is missing: the fact, or its year")
        out.line(f"    {result} = None")
        if not _is_literal(threshold):
            out.line(f"elif {threshold} is None:")
            out.line(f"    {result} = None")
        out.line(f"elif {current} {test} {threshold}:")
        out.line(f"    {result} = True")
        out.line(f"    for {earlier_year}, {earlier} in {series}.items():")
        out.line(f"        if {earlier_year} < {year} and {earlier} {test} {threshold}:")
        out.line(f"            {result} = False")
        out.line("            break")
        out.line("else:")
        out.line(f"    {result} = False")
        self.record(f"trace_first_time, {node.text!r}, {year}, {current}, {threshold}, {node.kind.value!r}, "
                    f"{series}, {node.op.value!r}, {result}")
        return result

    def amount(self, node: model.Expr) -> str:
        """An award's amount: its value, traced as a definition (Run.define) unless it is a
        sum of money written as such."""
        value = self.expr(node, "0")
        if model.is_money_constant(node):
            return value
        self.record(f"trace_define, {node.text!r}, {value}, 'money'")
        return value

    def clause(self, clause: model.ClauseModel, function: str) -> None:
        out = self.out
        out.line(f"def {function}(run):")
        out.indent()
        out.line(_docstring(_clause_doc(self.policy, clause), "    "))
        out.outdent()
        started = self.begin_function()
        out.indent()
        if clause.conditions:
            out.line("holds = True")
        for condition in clause.conditions:
            value = self.expr(condition, "0")
            outcome = out.temp("c")
            out.line(f"{outcome} = {value}")
            out.line(f"if {outcome} is False:")
            out.line("    return False")
            # Here the outcome is True or None (unknown): unknown makes the whole unknown.
            out.line(f"if {outcome} is None:")
            out.line("    holds = None")
        if clause.conditions:
            out.line("if holds is None:")
            out.line("    return None")
        if clause.modifier is not None:
            out.line("return True  # a MODIFIER clause: its coefficient applies to its matter")
        elif clause.parts:  # issue 13: payments in parts — the award, then each part's condition
            assert clause.award is not None
            self.in_parts(clause, clause.award)
        else:
            assert clause.award is not None  # an evaluated clause has an award or a modifier
            self.award(clause.award)
        out.outdent()
        self.end_function(started)
        out.line()
        out.line()

    # ---- decision functions (issue 10): the clause decided as a plain value
    def decision(self, clause: model.ClauseModel, function: str, clause_function: str) -> None:
        """`def {function}(facts, year, factor=None)`: the clause's decision (runtime, "decisions"):
        the clause function's conditions, in its order, with nothing traced or recorded, and
        the award as a plain tuple. A clause whose award needs the runtime's helpers (items,
        levels held, tables, parts…) decides by running its clause function without a trace."""
        out = self.out
        self.duration = clause.duration if clause.duration and clause.duration.start_fact else None
        out.line(f"def {function}(facts, year, factor=None):")
        out.indent()
        out.line(_docstring(f"{clause.label}: the decision of {clause_function} (see runtime, \"decisions\").", "    "))
        saved = (len(out.lines), out.level, len(self.helpers), dict(self.constants), self._parts)
        self.deciding = True
        self.reads, self.read_at = {}, (out, out.level)
        try:
            self._decision_body(clause)
        except _NeedsRun:
            lines, out.level, helpers, self.constants, self._parts = saved
            del out.lines[lines:]
            del self.helpers[helpers:]
            self.give(f"decide_by_running({clause_function}, facts, year, factor)")
        finally:
            self.deciding = False
            self.duration = None
            self.reads, self.read_at = {}, None
        out.outdent()
        out.line()
        out.line()

    def _decision_body(self, clause: model.ClauseModel) -> None:
        out = self.out
        started = self.begin_function()
        if clause.parts:
            raise _NeedsRun("parts")
        if clause.conditions:
            out.line("holds = True")
        for condition in clause.conditions:
            value = self.expr(condition, "0")
            out.line(f"if {value} is False:")
            out.line("    return False")
            out.line(f"if {value} is None:")
            out.line("    holds = None")
        if clause.conditions:
            out.line("if holds is None:")
            out.line("    return None")
        if clause.modifier is not None:
            out.line("return True  # a MODIFIER clause: its coefficient applies to its matter")
        else:
            assert clause.award is not None
            self.decided_award(clause.award)
        self.end_function(started)

    def give(self, decision: str) -> None:
        """Return an award's decision, within the clause's 期限 when it has one (runtime.in_period)."""
        d = self.duration
        if d is None:
            self.out.line(f"return {decision}")
            return
        assert d.start_fact is not None
        self.out.line(f"return in_period({decision}, facts.get({d.start_fact.name!r}), year, {d.years!r}, "
                      f"{bool(d.start_next_year)!r})")

    def exact_decision(self, amount: model.Expr, cap_node: model.Expr | None, cap: str) -> str:
        """runtime.exact_decision of the amount; a stated amount (under a stated cap, or none)
        is decided here, rounded once as exact_decision would, unless a coefficient scales it."""
        code = f"exact_decision({self.amount(amount)}, {cap}, factor)"
        if not (isinstance(amount, model.Constant) and model.is_money_constant(amount) and amount.value >= 0):
            return code
        if cap_node is not None and not (isinstance(cap_node, model.Constant) and model.is_money_constant(cap_node)):
            return code
        value = amount.value if cap_node is None or amount.value <= cap_node.value else cap_node.value
        rounded = self.constant(value.quantize(Decimal("0.01"), ROUND_HALF_UP))
        return f"('exact', {rounded}, {rounded}) if factor is None else {code}"

    def decided_award(self, award: model.Award) -> None:
        """The award's decision, as award() writes the award (the same forms, amounts and caps)."""
        out = self.out
        cap = "None"
        if award.cap is not None:
            out.line(f"cap = {self.expr(award.cap, '0')}")
            if not model.is_money_constant(award.cap):
                out.line("if cap is None:")
                out.line("    return None")
            cap = "cap"
        form = award.form
        match form:
            case model.Exact():
                self.give(self.exact_decision(form.amount, award.cap, cap))
            case model.UpTo():
                self.give(f"up_to_decision({self.amount(form.ceiling)}, {cap}, factor)")
            case model.Range():
                self.give(f"range_decision({self.amount(form.low)}, {self.amount(form.high)}, {cap}, factor)")
            case model.AtLeast():
                self.give(f"at_least_decision({self.amount(form.floor)}, {cap}, factor)")
            case model.CaseByCase():
                self.give("('case_by_case', None, None)")
            case model.Unspecified():
                self.give("('unspecified', None, None" + (f", {form.note!r})" if form.note is not None else ")"))
            case model.Routing() if form.outcome != "审定":
                self.give(f"('routing', None, None, {form.approver!r}, {form.outcome!r})")
            case model.Routing():
                self.give(f"('routing', None, None, {form.approver!r})")
            case model.ByLevel():
                # pick_level inline: unknown, not a paying level (the reason it gives), or the first row of the level.
                subject = form.subject.name
                picked = out.temp("level")
                out.line(f"{picked} = facts.get({subject!r})")
                out.line(f"if {picked} is None:")
                out.line("    return None")
                for index, level in enumerate(form.rows):
                    out.line(f"{'if' if index == 0 else 'elif'} {picked} == {level.level!r}:")
                    out.indent()
                    self.give(self.exact_decision(level.amount, award.cap, cap))
                    out.outdent()
                out.line(f"return '%s为「%s」，不在奖励等级之内' % ({subject!r}, {picked})")
            case model.ByTier() | model.ByBand():
                for row in form.rows:
                    test = self.expr(row.test, "0")
                    out.line(f"if {test} is None:")
                    out.line("    return None")
                    out.line(f"if {test}:")
                    out.indent()
                    self.give(self.exact_decision(row.amount, award.cap, cap))
                    out.outdent()
                out.line(f"return {(model.NO_TIER_MET if isinstance(form, model.ByTier) else model.NO_BAND_MET)!r}")
            case model.PerItem() | model.ByRunYear() | model.ByTable() | model.EachTier() | model.Upgrade():
                raise _NeedsRun(type(form).__name__)
            case _:
                assert_never(form)

    def payer_rules(self, clause: model.ClauseModel, index: int) -> str:
        """Issue 13, payers by condition: a function per conditional 分担 rule of the clause
        (`_payers_<clause>_<rule>(run)`, the condition's value), and the ClauseSpec literal."""
        out = self.out
        parts = []
        for number, rule in enumerate(clause.payer_rules, 1):
            shares = _literal(tuple((share.payer, share.share) for share in rule.shares))
            if rule.condition is None:
                parts.append(f"(None, {shares})")
                continue
            function = f"_payers_{index}_{number}"
            out.line(f"def {function}(run):")
            out.indent()
            started = self.begin_function()
            out.line(f"return {self.expr(rule.condition, '0')}")
            out.outdent()
            self.end_function(started)
            out.line()
            out.line()
            parts.append(f"({function}, {shares})")
        return "(" + ", ".join(parts) + ",)"

    def in_parts(self, clause: model.ClauseModel, award: model.Award) -> None:
        """The award computed by an inner function, then runtime.in_parts with each part's
        condition read only when the clause pays (as the interpreter does)."""
        out = self.out
        out.line("def award(run):")
        out.indent()
        self.award(award)
        out.outdent()
        out.line("awarded = award(run)")
        out.line("if awarded is None or awarded is False or isinstance(awarded, str):")
        out.line("    return awarded")
        parts = []
        for part in clause.parts:
            outcome = "True"
            if part.condition is not None:
                outcome = out.temp("part")
                out.line(f"{outcome} = {self.expr(part.condition, '0')}")
            parts.append(f"({_literal(part.share)}, {_literal(part.text)}, {_literal(part.year)}, {outcome})")
        out.line(f"return in_parts(run, awarded, ({', '.join(parts)},))")

    def award(self, award: model.Award) -> None:
        out = self.out
        cap = "None"
        cap_label = "None"
        if award.cap is not None:
            out.line(f"cap = {self.expr(award.cap, '0')}")
            if not model.is_money_constant(award.cap):
                out.line("if cap is None:")
                out.line("    return None")
            cap, cap_label = "cap", repr(award.cap.text)
        form = award.form
        match form:
            case model.Exact():
                out.line(f"return exact(run, {self.amount(form.amount)}, {cap}, {cap_label})")
            case model.UpTo():
                out.line(f"return up_to(run, {self.amount(form.ceiling)}, {cap}, {cap_label})")
            case model.Range():
                out.line(f"return between(run, {self.amount(form.low)}, {self.amount(form.high)}, {cap}, {cap_label})")
            case model.CaseByCase():
                out.line("return case_by_case(run)")
            case model.Unspecified():
                out.line(f"return unspecified(run, {form.note!r})")
            case model.ByLevel():
                subject = form.subject.name
                levels = _literal(tuple(r.level for r in form.rows))
                out.line(f"picked = pick_level(run, {subject!r}, run.fact({subject!r}), {levels})")
                out.line("if not isinstance(picked, int):")
                out.line("    return picked")
                for index, level in enumerate(form.rows):
                    out.line(f"{'if' if index == 0 else 'elif'} picked == {index}:  # {_ascii_safe(level.level)}")
                    out.indent()
                    out.line(f"return exact(run, {self.amount(level.amount)}, {cap}, {cap_label})")
                    out.outdent()
            case model.Routing() if form.outcome != "审定":  # issue 13: 免收, 优先保障, 列入, 授予
                out.line(f"return outcome(run, {form.outcome!r}, {form.approver!r})")
            case model.Routing():
                out.line(f"return routing(run, {form.approver!r})")
            case model.AtLeast():
                out.line(f"return at_least(run, {self.amount(form.floor)}, {cap}, {cap_label})")
            case model.PerItem():
                name = form.item_fact.name
                out.line(f"values = items(run, {name!r})")
                out.line("if values is None:")
                out.line("    return None")
                out.line("total = Decimal(0)")
                out.line("for index, value in enumerate(values, 1):")
                out.indent()
                out.line(f"run.item[{name!r}] = value")
                amount = self.expr(form.amount, "0")
                if form.item_cap is None:  # 每项 with the total cap only
                    out.line(f"part = per_item_uncapped(run, {name!r}, index, value, {amount})")
                else:
                    item_cap = self.expr(form.item_cap, "0")
                    out.line(f"part = per_item(run, {name!r}, index, value, {amount}, {item_cap}, {form.item_cap.text!r})")
                out.line("if part is None:")
                out.line("    return None")
                out.line("total += part")
                out.outdent()
                out.line(f"return exact(run, total, {cap}, {cap_label})")
            case model.ByTier():
                for tier in form.rows:
                    test = self.expr(tier.test, "0")
                    outcome = out.temp("tier")
                    out.line(f"{outcome} = {test}")
                    out.line(f"if {outcome} is None:")
                    out.line("    return None")
                    out.line(f"if {outcome}:")
                    out.indent()
                    out.line(f"return exact(run, {self.amount(tier.amount)}, {cap}, {cap_label})")
                    out.outdent()
                out.line(f"return {model.NO_TIER_MET!r}")
            case model.ByRunYear():  # issue 13: the row whose years of the 期限 hold the assessed year
                for run_row in form.rows:
                    test = self.expr(run_row.test, "0")
                    outcome = out.temp("year")
                    out.line(f"{outcome} = {test}")
                    out.line(f"if {outcome} is None:")
                    out.line("    return None")
                    out.line(f"if {outcome}:")
                    out.indent()
                    out.line(f"run.note({run_row.label!r})")
                    out.line(f"return exact(run, {self.amount(run_row.amount)}, {cap}, {cap_label})")
                    out.outdent()
                out.line(f"return {model.NO_RUN_YEAR!r}")
            case model.ByTable() | model.ByBand() | model.EachTier() | model.Upgrade():
                self.table_award(form, cap, cap_label)
            case _:
                assert_never(form)

    # ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
    def table_award(self, form: model.ByTable | model.ByBand | model.EachTier | model.Upgrade, cap: str,
                    cap_label: str) -> None:
        out = self.out
        match form:
            case model.ByTable():
                row_fact, column_fact = form.row_fact.name, form.column_fact.name
                out.line(f"picked = pick_cell(run, {row_fact!r}, run.fact({row_fact!r}), {column_fact!r}, "
                         f"run.fact({column_fact!r}), {_literal(form.levels)}, {_literal(form.columns)}, "
                         f"{_literal(form.filled)})")
                out.line("if not isinstance(picked, tuple):")
                out.line("    return picked")
                for i, row in enumerate(form.rows):
                    for j, cell in enumerate(row.cells):
                        if cell is None:
                            continue
                        out.line(f"if picked == ({i}, {j}):  # {_ascii_safe(row.level)} × {_ascii_safe(form.columns[j])}")
                        out.indent()
                        out.line(f"return exact(run, {self.amount(cell)}, {cap}, {cap_label})")
                        out.outdent()
                out.line("return None  # not reached: pick_cell picks a filled cell")
            case model.ByBand():
                for band in form.rows:
                    test = self.expr(band.test, "0")
                    outcome = out.temp("band")
                    out.line(f"{outcome} = {test}")
                    out.line(f"if {outcome} is None:")
                    out.line("    return None")
                    out.line(f"if {outcome}:")
                    out.indent()
                    out.line(f"return exact(run, {self.amount(band.amount)}, {cap}, {cap_label})")
                    out.outdent()
                out.line(f"return {model.NO_BAND_MET!r}")
            case model.EachTier():
                outcomes = []
                for tier in form.rows:
                    threshold = self.expr(tier.threshold, "0")
                    outcome = out.temp("tier")
                    out.line(f"{outcome} = crossed(run, {tier.test.text!r}, {form.op.value!r}, {form.subject.name!r}, "
                             f"{threshold}, {form.kind.value!r})")
                    outcomes.append(outcome)
                out.line(f"if None in ({', '.join(outcomes)},):")
                out.line("    return None")
                out.line(f"if not any(({', '.join(outcomes)},)):")
                out.line(f"    return {model.NO_TIER_MET!r}")
                out.line("total = Decimal(0)")
                for tier, outcome in zip(form.rows, outcomes):
                    out.line(f"if {outcome}:")
                    out.indent()
                    if model.is_money_constant(tier.amount):  # a stated amount is never unknown
                        out.line(f"total += {self.amount(tier.amount)}")
                    else:
                        part = out.temp("part")
                        out.line(f"{part} = {self.amount(tier.amount)}")
                        out.line(f"if {part} is None:")
                        out.line("    return None")
                        out.line(f"total += {part}")
                    out.outdent()
                out.line(f"return exact(run, total, {cap}, {cap_label})")
            case model.Upgrade():
                subject, held = form.subject.name, form.held.name
                levels = _literal(tuple(r.level for r in form.rows))
                out.line(f"picked = pick_upgrade(run, {subject!r}, run.fact({subject!r}), {held!r}, run.fact({held!r}), "
                         f"{levels}, {_literal(form.order)})")
                out.line("if not isinstance(picked, tuple):")
                out.line("    return picked")
                out.line("new = old = Decimal(0)")
                for side in ("new", "old"):
                    for index, level in enumerate(form.rows):
                        out.line(f"if picked[{0 if side == 'new' else 1}] == {index}:  # {_ascii_safe(level.level)}")
                        out.indent()
                        out.line(f"{side} = {self.amount(level.amount)}")
                        out.outdent()
                out.line(f"return exact(run, sub(new, old), {cap}, {cap_label})")
            case _:
                assert_never(form)

    def definition(self, decl: model.Definition, function: str) -> None:
        out = self.out
        out.line(f"def {function}(run, offset):")
        out.indent()
        out.line(_docstring(f"定义 {decl.name_text} = {decl.expr.text}"
                            + (f"\n\n{decl.note}" if decl.note else ""), "    "))
        out.outdent()
        started = self.begin_function()
        out.indent()
        value = self.expr(decl.expr, "offset")
        self.record(f"trace_define, {decl.name!r}, {value}, {decl.kind!r}")  # as Run.define
        out.line(f"return {value}")
        out.outdent()
        self.end_function(started)
        out.line()
        out.line()


_PYTHON_ARITH = {model.ArithOp.ADD: "+", model.ArithOp.SUB: "-", model.ArithOp.MUL: "*", model.ArithOp.DIV: "/"}
_PYTHON_COMPARE = {model.CompareOp.GT: ">", model.CompareOp.GE: ">=", model.CompareOp.LT: "<",
                   model.CompareOp.LE: "<=", model.CompareOp.EQ: "=="}


def _is_literal(code: str) -> bool:
    """Code that is a constant, never None: a module-level Decimal (_K3), a number or a
    string literal (an enumeration value, repr'd), True/False."""
    if code in ("True", "False"):
        return True
    if code.startswith("_K") and code[2:].isdigit():
        return True
    try:
        value = pyast.literal_eval(code)
    except (ValueError, SyntaxError):
        return False
    return isinstance(value, (int, str))  # bool is an int


def _ascii_safe(text: str) -> str:
    """Only for comments: drop anything that could end the comment line."""
    return "".join(ch for ch in text if ch.isprintable() and ch not in "\r\n")


def _clause_doc(policy: model.PolicyModel, clause: model.ClauseModel) -> str:
    lines = [f"{clause.label}" + (f"「{clause.title}」" if clause.title else "")]
    if clause.source_text:
        lines += ["", f"原文：{clause.source_text}"]
    for note in clause.notes:
        lines += ["", f"说明：{note}"]
    lines += ["", f"来源：{policy.path}:{clause.line}"]
    return "\n".join(lines)


def _runtime_source() -> str:
    """runtime.py without its module docstring (the generated module has its own)."""
    source = RUNTIME_PATH.read_text(encoding="utf-8")
    tree = pyast.parse(source)
    first = tree.body[0]
    if isinstance(first, pyast.Expr) and isinstance(first.value, pyast.Constant):
        source = "\n".join(source.split("\n")[first.end_lineno:]).lstrip("\n")
    return source


def runtime_text() -> str:
    """runtime.py exactly as polc ships it: `polc build` copies it beside the modules."""
    return RUNTIME_PATH.read_bytes().decode("utf-8")


def runtime_version() -> str:
    """RUNTIME_VERSION as runtime.py states it (read, not imported: it is the file that ships)."""
    for node in pyast.parse(runtime_text()).body:
        if isinstance(node, pyast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["RUNTIME_VERSION"]:
            return pyast.literal_eval(node.value)
    raise RuntimeError("runtime.py states no RUNTIME_VERSION")


def _runtime_names() -> frozenset[str]:
    """The public names runtime.py defines at top level (not those it imports)."""
    names = set()
    for node in pyast.parse(runtime_text()).body:
        if isinstance(node, (pyast.FunctionDef, pyast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (pyast.Assign, pyast.AnnAssign)):
            for target in (node.targets if isinstance(node, pyast.Assign) else [node.target]):
                if isinstance(target, pyast.Name):
                    names.add(target.id)
    return frozenset(n for n in names if not n.startswith("_"))


# What a generated module offers its users besides its own FACTS, Facts, POLICY, CLAUSES,
# evaluate and evaluate_many: the result types, the error, and the functions across applicants.
_API = ("Award", "ClauseNotFound", "ClauseResult", "Evaluation", "Evaluator", "FactError", "FactProblem",
        "FactSpec", "FundingShare", "RUNTIME_VERSION", "Total", "allocate_budget", "allocate_quota")
_OWN = ("CLAUSES", "EVALUATOR", "FACTS", "Facts", "POLICY", "evaluate", "evaluate_many")


def _runtime_import(name: str, body: str) -> list[str]:
    """The lines that import the shared runtime: refused outside a package, then the version
    checked before any name is taken (another version may lack them), then the names the
    module's code uses and those it offers, sorted."""
    version = runtime_version()
    used = {node.id for node in pyast.walk(pyast.parse(body)) if isinstance(node, pyast.Name)}
    names = sorted((used & _runtime_names()) | set(_API))
    lines = ["import datetime",
             "import typing",
             "from decimal import Decimal",
             "",
             "if not __package__:",
             "    raise ImportError(",
             "        f'{__name__} imports the polc runtime beside it (runtime.py): import it from its package '",
             f"        f'(e.g. `from generated import {name}`), or build single-file modules with `polc build --standalone`')",
             "",
             "from . import runtime as _runtime  # noqa: E402",
             "",
             f"if _runtime.RUNTIME_VERSION != {version!r}:",
             "    raise ImportError(",
             f"        f'{{__name__}} was generated for polc runtime version {version}, but {{_runtime.__file__}} is version '",
             "        f'{_runtime.RUNTIME_VERSION}: rebuild the modules and the runtime with one polc (`polc build`)')",
             "",
             "from .runtime import (  # noqa: E402"]
    lines += [f"    {n} as {n}," if n in _API else f"    {n}," for n in names]  # `as`: re-exported, for type checkers
    lines += [")"]
    return lines


def to_python(policy: model.PolicyModel, standalone: bool = False) -> str:
    """The evaluator module of a policy: importing the shared runtime, or with it inlined
    (standalone)."""
    out = Writer()
    name = module_name(policy.path)
    out.line(f"# Generated by polc {__version__} from {_ascii_safe(Path(policy.path).as_posix())}. "
             "Do not edit: change the .pol file and run `polc build`.")
    doc = [f"{policy.docno} {policy.title or ''}".rstrip(), "",
           "Evaluator generated by polc; standard library only"
           + (" (the polc runtime inlined)." if standalone else " (with the polc runtime beside it, runtime.py)."), "",
           "Usage:",
           f"    from generated import {name}" if not standalone else f"    import {name}",
           f"    result = {name}.evaluate({{...facts...}}, on=\"2020-06-30\")",
           "    result.to_json()   # the same JSON as `polc eval --format json`",
           "    result.total.max, result.clause(\"第七条\").award   # Decimal amounts, typed results",
           f"    for row_number, result in {name}.evaluate_many(rows, on=\"2020-06-30\"): ...",
           f"    {name}.CLAUSES[0].decide(typed_facts, 2019)   # one clause decided as a plain value (no trace)", "",
           "Facts: a dict keyed by the declared fact names (see FACTS, and the Facts TypedDict). Money",
           "as a number of 元 or text with a unit (\"30亿元\"); a yearly series as {\"2019\": ..., \"2020\": ...};",
           "enumerations by their Chinese label; yes/no as True/False; None for unknown.", "",
           "Rounding: amounts are rounded to 0.01 元, half up, once, when an award is made."]
    out.line(_docstring("\n".join(doc)))
    out.line()
    policy_part = _policy_part(policy)
    if standalone:
        out.lines.extend(_runtime_source().rstrip("\n").split("\n"))
    else:
        out.lines.extend(_runtime_import(name, policy_part))
    out.line()
    out.line(f"__all__ = {sorted(_API + _OWN)!r}")
    out.line()
    out.line()
    out.lines.extend(policy_part.rstrip("\n").split("\n"))
    source = out.text()
    compile(source, f"{name}.py", "exec")  # never write a module that does not compile
    return source


# What evaluate() accepts for each kind of fact (the runtime's parse_* functions), as the
# runtime's type aliases, so the Facts TypedDict rejects what evaluate would refuse.
_INPUT_TYPES = {"money": "NumberInput", "percent": "NumberInput", "number": "NumberInput", "bool": "BoolInput",
                "year": "YearInput", "date": "DateInput", "text": "TextInput"}


def _fact_annotation(spec) -> str:
    base, series, options, is_items = spec
    if base == "enum":
        value = "typing.Literal[" + ", ".join(_literal(o) for o in options) + "]" if options else "str"
    else:
        value = _INPUT_TYPES[base]
    if series:
        # One key type: a literal {"2019": …, 2020: …} is inferred against it (a union of
        # Mapping types is not). Mapping keys are invariant, so a dict variable is declared
        # Mapping[str | int, …] or dict[str | int, …] to be accepted.
        return f"typing.Mapping[str | int, {value} | None] | None"
    if is_items:
        return f"list[{value}] | tuple[{value}, ...] | None"
    return f"{value} | None"


def _policy_part(policy: model.PolicyModel) -> str:
    """Everything after the runtime: the facts, the policy, the clauses, evaluate()."""
    out = Writer()
    out.line("# " + "-" * 64 + " the policy")
    facts = policy.schema()
    out.line("FACTS: dict[str, FactSpec] = {")
    for fact, (base, series, options, is_items) in facts.items():
        out.line(f"    {fact!r}: FactSpec({base!r}, {series!r}, {_literal(options)}, {is_items!r}),")
    out.line("}")
    out.line("# What evaluate() accepts: each fact optional, None for unknown.")
    out.line("Facts = typing.TypedDict('Facts', {")
    for fact, spec in facts.items():
        out.line(f"    {fact!r}: {_fact_annotation(spec)},")
    out.line("}, total=False)")
    out.line()
    start, end = policy.effective_from, policy.effective_until
    out.line("POLICY: PolicyInfo = PolicyInfo(")
    out.line(f"    docno={policy.docno!r},")
    out.line(f"    title={policy.title!r},")
    out.line(f"    path={Path(policy.path).as_posix()!r},")
    out.line(f"    effective_from={_date(start)},")
    out.line(f"    effective_until={_date(end)},")
    out.line(f"    assessed_offset={policy.assessed_year.offset!r},")
    out.line(f"    principle={policy.principle.value if policy.principle else None!r},")
    out.line("    schema=FACTS,")
    out.line(f"    transitional={_literal(policy.transitional_spec())},")
    out.line(f"    budgets={_literal(policy.budgets_spec())},")
    if policy.enterprise_caps:  # 企业上限 (issue 13); left out when none, so other modules are unchanged
        out.line(f"    caps={_literal(policy.caps_spec())},")
    out.line(")")
    out.line()
    out.line()
    # Own definitions first, numbered as written; then those of the vocabulary the policy uses.
    definitions = policy.evaluated_definitions
    def_functions = {decl.name: f"_def_{index}" for index, decl in enumerate(definitions, 1)}
    body = Writer()
    compiler = _ClauseCompiler(policy, body, def_functions)
    for decl in definitions:
        compiler.definition(decl, def_functions[decl.name])
    specs = []
    payer_rules: dict[int, str] = {}  # issue 13: clause index -> the payer_rules literal (conditions as functions)
    for index, clause in enumerate(policy.evaluated_clauses, 1):
        function = f"_clause_{index}"
        compiler.clause(clause, function)
        compiler.decision(clause, decide_name(function), function)
        specs.append((clause, function))
        if clause.payer_rules:
            payer_rules[id(clause)] = compiler.payer_rules(clause, index)
    for text, name in compiler.constants.items():
        out.line(f"{name} = Decimal({text!r})")
    if compiler.constants:
        out.line()
        out.line()
    out.lines.extend(compiler.helpers)
    out.lines.extend(body.lines)
    out.line("CLAUSES: tuple[ClauseSpec, ...] = (")
    for clause, function in specs:
        d = clause.duration
        out.line("    ClauseSpec(")
        out.line(f"        policy={policy.docno!r}, article={clause.article!r}, item={clause.item!r},")
        out.line(f"        title={clause.title!r}, matter={clause.matter.name if clause.matter else None!r},")
        out.line(f"        source={clause.source!r}, evaluate={function}, decide={decide_name(function)},")
        out.line(f"        duration={d.years if d else None!r}, "
                 f"start_fact={d.start_fact.name if d and d.start_fact else None!r}, "
                 f"start_next_year={bool(d and d.start_next_year)!r}, cofunded={clause.cofunded!r},")
        modifies = (clause.modifier.matter, clause.modifier.factor) if clause.modifier else None
        split = tuple((s.payer, s.share) for s in clause.split) if clause.split is not None else None
        out.line(f"        modifies={_literal(modifies)}, split={_literal(split)},")
        out.line(f"        matter_fact={clause.matter_by.name if clause.matter_by else None!r}, "
                 f"quota={_literal(clause.quota.runtime_spec() if clause.quota else None)}, "
                 f"ceiling={_literal(clause.could_pay)},")
        if clause.outcome is not None:  # issue 13: a non-money outcome, counted in batch summaries
            out.line(f"        outcome={_literal(clause.outcome)},")
        if id(clause) in payer_rules:  # issue 13: payers by condition
            out.line(f"        payer_rules={payer_rules[id(clause)]},")
        if clause.offsets:  # issue 13: 抵扣 (written only when there are some: other modules stay as they were)
            out.line(f"        offsets={_literal(_offsets_spec(clause))},")
        out.line("    ),")
    out.line(")")
    out.line()
    out.line()
    out.line("EVALUATOR: Evaluator = Evaluator([(POLICY, CLAUSES)])")
    out.line()
    out.line()
    out.line("def evaluate(facts: Facts, on: datetime.date | str) -> Evaluation:")
    out.line('    """Evaluate every clause for one applicant on the date `on` (required: a date, or text such')
    out.line("    as \"2021-06-30\"), resolving overlaps (就高不重复). Bad facts raise one FactError listing")
    out.line('    every problem, before any clause runs."""')
    out.line("    return EVALUATOR.evaluate(facts, on)")
    out.line()
    out.line()
    out.line("def evaluate_many(rows: typing.Iterable[Facts],")
    out.line("                  on: datetime.date | str) -> typing.Iterator[tuple[int, Evaluation | FactError]]:")
    out.line('    """Streaming batch: yields (row number, Evaluation or FactError) per row; memory does not')
    out.line("    grow with the number of rows. Quotas and budgets across applicants are applied by")
    out.line('    `polc eval --batch` (or allocate_quota / allocate_budget on the collected candidates)."""')
    out.line("    return EVALUATOR.evaluate_many(rows, on)")
    return out.text()


def decide_name(clause_function: str) -> str:
    """The decision function of a clause function: _clause_8 -> _decide_8."""
    return clause_function.replace("_clause_", "_decide_", 1)


def _date(value) -> str:
    return "None" if value is None else f"datetime.date({value.year}, {value.month}, {value.day})"


# ---- issue 13: offsets
def _offsets_spec(clause: model.ClauseModel) -> tuple[tuple[str, str], ...]:
    """ClauseSpec.offsets: (("matter" | "fact", name), …)."""
    return tuple((offset.source.value, offset.name) for offset in clause.offsets)
