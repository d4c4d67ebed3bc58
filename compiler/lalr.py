"""Runs the grammar's LALR tables and builds the AST as it goes, without a parse tree.

Lark (compiler/grammar_tables.py) builds the grammar's lexer and LALR(1) tables; this module
drives them itself. Lark's own loop builds a parse tree first — per node a chain of wrapper
objects (child filter, position propagation) and a Tree, per token a Token with line and
column — and the AST builders then walked that tree again: 20 µs a token, most of what
`polc check` spent on a new draft. Here each reduction calls the rule's builder
(compiler/parser.py's `_ToAst` methods, looked up by rule name) on its children straight
away, with the same children and the same `meta` positions Lark's tree would have given it,
so the AST is identical, node for node and span for span (tests/test_parser.py compares the
two on every draft the tests hold).

What is reproduced from Lark's tree building (lark/parse_tree_builder.py), per rule, read
from Lark's own rule objects so that a new grammar rule needs nothing here:
- which children a rule keeps: anonymous keyword tokens are dropped unless the rule is
  `!rule`; the children of a `_rule` (and of Lark's `x*` helper rules) are spliced into
  their parent;
- `?rule` with one child kept is that child (no node, no builder call);
- positions: a node spans from the start of its first child to the end of its last,
  counting the dropped keywords and the brackets of an inlined `( … )` ("containers");
- a rule without a builder becomes a lark `Tree` with those positions, as before.
Tokens passed to builders are lark `Token`s carrying `type`, `start_pos` and `end_pos` (the
builders read nothing else; `line`/`column` are left unset — the source's own line index
gives them from offsets when a span is made).

Anything out of the ordinary — a character no terminal matches, a token the table does
not expect, an expression nested deeper than the limit, or a builder raising — makes
`run` raise `Fallback`: the caller then parses the text the ordinary way (Lark's parser,
then the tree walk), which gives exactly the diagnostics it always gave. Only text that
has a problem pays for parsing twice.
"""

from __future__ import annotations

import re
from operator import itemgetter
from re import _constants as _sre, _parser as _sre_parse  # type: ignore[attr-defined]

from lark import Lark, Token, Tree
from lark.tree import Meta


class Fallback(Exception):
    """This text is not for the fast runner: parse it with Lark's own parser."""


class Unsupported(Exception):
    """The grammar uses something the runner does not reproduce (raised when it is built)."""


class _Meta:
    """The positions a builder reads (`meta.start_pos`, `meta.end_pos`, `meta.empty`)."""

    __slots__ = ("start_pos", "end_pos")
    empty = False

    def __init__(self, start_pos: int, end_pos: int):
        self.start_pos = start_pos
        self.end_pos = end_pos


# A stack entry is a tuple (value, start, end, depth, node):
#   value  the child a builder receives: a Token, a built value, or for a `_rule` the list of
#          its children's entries (spliced into the parent);
#   start, end  the entry's container positions (what a parent's span is computed from);
#   depth  how many expression nodes deep it is (limits.MAX_NESTING is checked on it);
#   node   True for what a rule produced, False for a token (Lark updates the container
#          positions of a node passed up by a `?rule`, never those of a token).

_VALUE, _DEPTH = itemgetter(0), itemgetter(3)

_PASS = 0      # `?rule` over exactly one kept child at position 0 of a one-symbol rule: nothing changes
_BUILD = 1     # a rule with a builder
_TREE = 2      # a rule without one: a lark Tree
_SPLICE = 3    # a `_rule`: its children go to its parent


class Runner:
    """The tables of one Lark LALR parser, arranged for `run`."""

    def __init__(self, parser: Lark, builders: dict, deep_rules: frozenset[str], max_depth: int):
        options = parser.options
        if options.parser != "lalr" or options.lexer != "basic" or options.postlex is not None \
                or options.lexer_callbacks or options.maybe_placeholders or not options.propagate_positions:
            raise Unsupported("the runner reproduces LALR with a basic lexer, positions, no placeholders")
        frontend = parser.parser
        lexer = frontend.lexer
        scanner = lexer.scanner
        self.patterns = tuple(scanner._mres)
        self.lexer = _FirstCharLexer(scanner) if len(self.patterns) == 1 and not scanner.use_bytes \
            and not any(_BACKREFERENCE.search(t.pattern.to_regexp()) for t in scanner.terminals) else None
        self.ignore = frozenset(lexer.ignore_types)
        # Lark's basic lexer retypes a NAME that is exactly a keyword (UnlessCallback): the
        # same as a look-up of the token's text among those keywords' strings.
        self.retype: dict[str, dict[str, str]] = {}
        for type_, callback in lexer.callback.items():
            keywords = getattr(callback, "scanner", None)
            if keywords is None or any(t.pattern.type != "str" or t.pattern.flags for t in keywords.terminals):
                raise Unsupported(f"lexer callback for {type_}")
            self.retype[type_] = {t.pattern.value: t.name for t in keywords.terminals}
        table = frontend.parser.parser.parse_table
        self.start_state = table.start_states["start"]
        self.end_state = table.end_states["start"]

        plans, index_of = [], {}
        kept_terminals = set()
        for rule in parser.rules:
            if not rule.expansion:
                raise Unsupported(f"empty rule {rule}")
            name = rule.alias or rule.options.template_source or rule.origin.name
            keep_all = rule.options.keep_all_tokens
            keep = tuple((i, not sym.is_term and sym.name.startswith("_")) for i, sym in enumerate(rule.expansion)
                         if keep_all or not (sym.is_term and sym.filter_out))
            kept_terminals.update(rule.expansion[i].name for i, splice in keep if rule.expansion[i].is_term)
            expand1 = bool(rule.options.expand1 and not rule.alias)
            if expand1 and len(rule.expansion) == 1 and keep == ((0, False),):
                kind = _PASS
            elif rule.origin.name.startswith("_"):
                kind = _SPLICE
            elif name in builders:
                kind = _BUILD
            else:
                kind = _TREE
            index_of[rule] = len(plans)
            spliced = any(splice for _i, splice in keep)
            # str(): built afresh (not from the cached tables), a rule's name is a lark Token,
            # and every look-up of it in a state's row would call Token.__eq__.
            plans.append((kind, len(rule.expansion), str(rule.origin.name), keep if spliced else None,
                          tuple(i for i, _splice in keep), expand1, name, builders.get(name), name in deep_rules))
        self.plans = tuple(plans)
        self.kept_terminals = frozenset(kept_terminals)
        # state -> {symbol: n}: n >= 0 shifts to (or, for a rule's name, goes to) state n;
        # n < 0 reduces by plan -n - 1.
        self.states: dict[int, dict[str, int]] = {}
        for state, actions in table.states.items():
            row = {}
            for symbol, (action, argument) in actions.items():
                row[symbol] = argument if action.name == "Shift" else -index_of[argument] - 1
            self.states[state] = row
        self.max_depth = max_depth

    def run(self, text: str, builder):
        """The builders' value for the whole text (the `start` rule's), or Fallback."""
        states, stack = [self.start_state], []
        table, plans, ignore, retype = self.states, self.plans, self.ignore, self.retype
        patterns, kept, end_state, max_depth = self.patterns, self.kept_terminals, self.end_state, self.max_depth
        single = patterns[0].match if len(patterns) == 1 else None
        lexer = self.lexer
        by_char = lexer.by_char if lexer is not None else None
        new_token = Token._future_new  # Token(...) without its deprecated-argument check
        pos, length = 0, len(text)
        while True:
            if pos < length:
                if by_char is not None:
                    match = by_char.get(text[pos])
                    if match is None:
                        match = lexer.matcher(text[pos])  # type: ignore[union-attr]
                    found = match(text, pos)
                elif single is not None:
                    found = single(text, pos)
                else:
                    found = next((m for m in (p.match(text, pos) for p in patterns) if m), None)
                if found is None:
                    raise Fallback("no terminal matches")
                type_ = found.lastgroup
                end = found.end()
                if type_ in ignore:
                    pos = end
                    continue
                value = found.group()
                if type_ in retype:
                    type_ = retype[type_].get(value, type_)
                entry = (new_token(type_, value, pos, None, None, None, None, end) if type_ in kept else None,
                         pos, end, 0, False)
                pos = end
            else:
                type_, entry = "$END", None
            while True:
                action = table[states[-1]].get(type_)
                if action is None:
                    raise Fallback("unexpected token")
                if action >= 0:
                    if entry is None:  # $END is never shifted
                        raise Fallback("unexpected end")
                    states.append(action)
                    stack.append(entry)
                    break
                kind, size, origin, keep, kept_at, expand1, name, build, deep = plans[-action - 1]
                if kind == _PASS:  # the child stands for the rule: same entry, new state
                    del states[-1]
                    states.append(table[states[-1]][origin])
                    if entry is None and states[-1] == end_state:
                        return stack[-1][0]
                    continue
                raw = stack[-size:]
                del stack[-size:]
                del states[-size:]
                start, end_ = raw[0][1], raw[-1][2]
                if keep is None:  # nothing to splice: the kept children are entries of the stack
                    kids = [raw[i] for i in kept_at] if len(kept_at) != size else raw
                else:
                    kids = []
                    for i, splice in keep:
                        if not splice:
                            kids.append(raw[i])
                        elif kids:
                            kids.extend(raw[i][0])
                        else:  # a left-recursive list (x*) grows in place, not copied at every item
                            kids = raw[i][0]
                if expand1 and len(kids) == 1:
                    value, _s, _e, depth, node = kids[0]
                    new = (value, start, end_, depth, True) if node else kids[0]
                else:
                    depth = max(map(_DEPTH, kids)) if kids else 0
                    if kind == _SPLICE:
                        new = (kids, start, end_, depth, True)
                    else:
                        if deep:
                            depth += 1
                            if depth > max_depth:
                                raise Fallback("nested too deeply")
                        values = list(map(_VALUE, kids))
                        if kind == _BUILD:
                            try:
                                value = build(builder, _Meta(start, end_), values)
                            except Exception as exc:  # noqa: BLE001 - the ordinary parse reports it as it always did
                                raise Fallback(f"builder {name}: {exc!r}") from exc
                        else:
                            value = Tree(name, values, _tree_meta(text, start, end_))
                        new = (value, start, end_, depth, True)
                states.append(table[states[-1]][origin])
                stack.append(new)
                if entry is None and states[-1] == end_state:
                    return new[0]


class _FirstCharLexer:
    """Lark's lexer, one regular expression per first character.

    Lark's basic lexer matches one alternation of every terminal at each position, and
    Python's `re` tries its alternatives in order: a space (half the tokens of a draft) was
    tried against sixteen terminals before WS, and a name against DOCNO, whose `[一-鿿]+`
    runs over the whole name before it fails. Here each character that starts a token picks
    the alternation of the terminals that can begin with it, in Lark's order: alternatives
    that cannot match at this position are left out, so the first that matches, and the
    token, are the same (`tests/test_fast_parse.py` compares the tokens on every draft). The
    characters a terminal can begin with are read from the terminal's parsed regular
    expression, over-approximated where unsure (then it is kept for every character).
    """

    def __init__(self, scanner):
        self.flags = scanner.g_regex_flags
        self.terminals = [(t.name, t.pattern.to_regexp()) for t in scanner.terminals]
        anywhere = bool(self.flags & re.IGNORECASE)
        self.firsts = [None if anywhere else _first_chars(regexp, self.flags) for _name, regexp in self.terminals]
        self.by_char: dict = {}      # character -> the match function of its alternation
        self._by_terminals: dict = {}  # indices of the terminals kept -> that match function

    def matcher(self, char: str):
        code = ord(char)
        kept = tuple(i for i, ranges in enumerate(self.firsts)
                     if ranges is None or any(low <= code <= high for low, high in ranges))
        match = self._by_terminals.get(kept)
        if match is None:
            if kept:
                match = re.compile("|".join(f"(?P<{self.terminals[i][0]}>{self.terminals[i][1]})" for i in kept),
                                   self.flags).match
            else:
                match = _no_match
            self._by_terminals[kept] = match
        self.by_char[char] = match
        return match


# A terminal referring to a group by number would see other numbers in a shorter alternation.
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def _no_match(_text: str, _pos: int) -> None:
    return None


def _first_chars(regexp: str, flags: int) -> list[tuple[int, int]] | None:
    """The code point ranges a match of regexp can begin with; None: any character (also when
    it can match the empty string, or uses something not understood here)."""
    parsed = _sre_parse.parse(regexp, flags)
    if parsed.state.flags & re.IGNORECASE:
        return None
    ranges, nullable = _first_of_sequence(list(parsed))
    return None if ranges is None or nullable else ranges


def _first_of_sequence(items) -> tuple[list | None, bool]:
    found: list = []
    for op, argument in items:
        ranges, nullable = _first_of_item(op, argument)
        if ranges is None:
            return None, False
        found += ranges
        if not nullable:
            return found, False
    return found, True


def _first_of_item(op, argument) -> tuple[list | None, bool]:
    """(ranges, whether the item can match the empty string); None: any character."""
    if op is _sre.LITERAL:
        return [(argument, argument)], False
    if op is _sre.IN:
        ranges = []
        for kind, value in argument:
            if kind is _sre.LITERAL:
                ranges.append((value, value))
            elif kind is _sre.RANGE:
                ranges.append(value)
            else:  # a negated set, a category (\d, \w): any character
                return None, False
        return ranges, False
    if op is _sre.SUBPATTERN:
        _group, add_flags, _del_flags, pattern = argument
        return (None, False) if add_flags & re.IGNORECASE else _first_of_sequence(list(pattern))
    if op is _sre.BRANCH:
        found, nullable = [], False
        for alternative in argument[1]:
            ranges, empty = _first_of_sequence(list(alternative))
            if ranges is None:
                return None, False
            found += ranges
            nullable = nullable or empty
        return found, nullable
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT)):
        least, _most, pattern = argument
        ranges, nullable = _first_of_sequence(list(pattern))
        return (None, False) if ranges is None else (ranges, nullable or least == 0)
    if op in (_sre.ASSERT, _sre.ASSERT_NOT, _sre.AT):  # consumes nothing: what follows begins the match
        return [], True
    return None, False


def _tree_meta(text: str, start: int, end: int) -> Meta:
    """A lark Meta as Lark's tree building gives a node (only for a rule without a builder)."""
    meta = Meta()
    meta.empty = False
    meta.start_pos, meta.end_pos = start, end
    meta.line = text.count("\n", 0, start) + 1
    meta.column = start - (text.rfind("\n", 0, start) + 1) + 1
    meta.end_line = text.count("\n", 0, end) + 1
    meta.end_column = end - (text.rfind("\n", 0, end) + 1) + 1
    return meta
