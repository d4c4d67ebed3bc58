"""`polc lsp`: a language server (pygls, over stdio) for editors.

What it offers, and from which stage of the compiler:
- Diagnostics as you type: the buffer is parsed and checked as `polc check` checks one file,
  with its 引用 vocabularies read from open buffers first, then from disk. On save, the
  whole folder is loaded as `polc check FOLDER` does, which adds what needs every file: the
  overlap findings (就高不重复 and friends) and cross-file checks; those are published for
  every file of the folder.
- Hover: a fact's type, unit and 说明; a definition's formula; an enumeration's values; a
  matter's 说明; a clause's title and 原文 (on its article, 第七条); a keyword's meaning.
- Completion: keywords, declared facts, definitions, enumerations and their values, matters,
  articles — what the context calls for first (事项 → matters, 属于 → values, 除外 → articles).
- Go to definition for facts, definitions, enumerations (and their values), matters — into
  the 引用 vocabulary too — and articles.
- Document symbols: an outline of the articles and their items.
- Formatting through `polc fmt` (nothing is changed while the file has syntax errors).
- Quick fixes from a diagnostic's suggestion where it names the edit (did you mean 「X」, put
  spaces around a keyword, declare a matter, state a 冲突原则). Each fix is applied to a copy
  and checked again before it is offered: it must make that diagnostic go away.

Positions: LSP counts columns in the negotiated encoding — UTF-16 code units by default (a
CJK character is one unit, a character outside the Basic Multilingual Plane two); the
compiler counts code points. Every conversion goes through Positions below.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

import attrs
from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from . import __version__, ast, checks, driver, printer
from .diagnostics import Diagnostic, sorted_diagnostics
from .parser import keywords
from .source import SourceFile, normalise
from .types import Symbols

# ---------------------------------------------------------------- keyword meanings (hover)
KEYWORD_DOCS: dict[str, str] = {
    "政策": "文件开头：政策 文号。一个 .pol 文件编码一份政策文件。",
    "词汇": "共用词汇文件开头：词汇 名称。只放枚举、事实、定义和事项，供各政策「引用」。",
    "标题": "政策的标题（字符串）。", "发布机关": "发布机关（字符串）。", "发布日期": "发布日期。",
    "施行日期": "施行日期：评估日早于它时各条款不适用。", "失效日期": "失效日期（含）：评估日晚于它时各条款不适用。",
    "废止": "本政策废止的旧政策文号。", "适用范围": "适用范围（字符串）。",
    "冲突原则": "同一事项多条款都适用时的处理：就高不重复（只付最高一项）或 可叠加。",
    "就高不重复": "同一事项只支付金额最高的一项。", "可叠加": "同一事项的各项奖励可以同时享受。",
    "配套": "配套 付款方 不低于 比例 [除外 条…]：下级财政配套的最低比例。",
    "分担": "分担 付款方 比例、…：各级财政分担奖励的比例，合计应为100%。",
    "过渡": "过渡 \"原文\" [当 考核年度 早于 N年 依照 旧文号]：过渡规定。",
    "引用": "引用 \"vocabulary.pol\"：引入共用词汇文件（相对本文件）。",
    "预算": "预算 付款方 每年 金额 [按 事实 降序]：每年的预算，按排序依次资助。",
    "一定比例": "X × 一定比例：原文只说按X的一定比例、未给比例；按「金额未定」处理，不推定比例。",
    "企业上限": "企业上限 每年 金额 | 企业上限 累计 金额 已获 事实：一个企业一年内（或跨年度累计）从本政策各条款所得合计的上限。",
    "考核年度": "考核年度：上一年（默认，评估日前一年）或 当年。表达式中指被考核的年份。",
    "上一年": "考核年度为评估日的前一年。", "当年": "考核年度为评估日所在年。",
    "说明": "说明 \"…\"：记录读法、依据或原文未明之处；不参与计算。",
    "定义事项": "定义事项 名称 [说明 \"…\"]：声明一个事项；涵盖同一事项的条款按冲突原则处理。",
    "枚举": "枚举 名称: 值、值、…：一组可选值。", "事实": "事实 名称: [逐年|逐项] 类型 [说明 \"…\"]：申请人要提供的一项事实。",
    "逐年": "逐年：每年一个值（写作 {2019: …, 2020: …}）。", "逐项": "逐项：每项一个值的列表（写作 [ …, … ]），配合「每项」使用。",
    "金额": "类型：金额（元、万元、亿元，精确计算）。", "数值": "类型：数值。", "百分比": "类型：百分比（5%）。",
    "是否": "类型：是/否。", "日期": "类型：日期（2020年1月1日 或 2020-01-01）。", "年份": "类型：年份（2020年）。",
    "定义": "定义 名称 = 表达式：一个由事实算出的量。",
    "条款": "条款 第N条 [第M项] [「标题」]：一条可评估的规则，下面逐行写它的字段。",
    "原文": "原文 \"…\"：条款对应的政策原文，供审阅对照。", "责任单位": "责任单位 单位、…：负责的部门。",
    "对象": "对象 \"…\"：奖励给谁。", "事项": "事项 名称：本条款奖励的事项（须已用「定义事项」声明）。",
    "当": "当 条件：条款适用的条件；多行「当」同时成立才适用。",
    "给予": "给予 金额|最高 金额|A 至 B|一事一议|金额未定|按 … 分别|按 … 分档|每项 …：奖励金额。",
    "最高": "最高 金额：上限（含本数）。", "至": "A 至 B：金额区间。", "一事一议": "金额一事一议，评估时不给出数字；「一事一议 最高 X」按最高 X、评审确定评估。",
    "无文号": "政策 无文号 「简称」：没有文号的政策，以简称标识，须写标题。",
    "金额未定": "原文没有公布金额。", "分别": "按 枚举事实 分别：各取值对应的金额表。", "分档": "按 X 比较词 分档：门槛从高到低的分档表，先满足的一档生效。",
    "每项": "每项 金额 [每项最高 金额]：对逐项事实的每一项分别计算，再合计（可只设总额封顶 最高 …）。", "每项最高": "每一项的上限。",
    "期限": "期限 最多 N年 [自 年份事实 当年起|次年起]：可连续支付的年数。", "最多": "最多 N年。",
    "自": "自 年份事实：期限的起算。", "当年起": "从该年份当年起算。", "次年起": "从该年份的次年起算。",
    "一次性": "一次性奖励（只支付一次）。", "不设上限": "原文确无上限：明确写出，以免 E080。",
    "名额": "名额 每年 N 单位 [按 事实 降序] 或 名额 比例 P% [起点 N]：名额限制。", "每年": "每年。",
    "比例": "比例 P%。", "起点": "起点 N：名单超过 N 时才按比例限制。",
    "系数": "系数 K 作用于 事项：本条款适用时，该事项的奖励乘以 K。", "作用于": "系数作用的事项。",
    "仅文本": "只记录原文、不作判定的条款。", "审定": "由 \"…\" 审定：金额由某机构审定。", "由": "由 \"机构\" 审定。",
    "按": "按：排序键、分别/分档的依据或事项按枚举取值。", "降序": "从大到小排序。", "升序": "从小到大排序。",
    "除外": "除外 第N条、…：不适用的条款。", "依照": "依照 旧文号：过渡期内依照旧政策。", "早于": "早于 N年（不含）。",
    "案例": "案例 [「标题」] 已知 事实 = 值, … [评估日 日期] 预期 结果：polc test 运行的例子。",
    "已知": "案例的已知事实。", "评估日": "案例的评估日（默认取当日）。", "预期": "案例的预期结果。",
    "适用": "预期：适用。", "不适用": "预期：不适用。", "无法判定": "预期：缺少事实，无法判定。",
    "且": "两个条件都成立。", "或": "任一条件成立。", "非": "条件不成立。",
    "属于": "X 属于 值、值：枚举取值之一。", "不属于": "X 不属于 值、值。",
    "连续": "连续 N年 条件：考核年度及之前共 N 年每年都成立。", "近": "近 N年 条件：同「连续」。",
    "上年": "上年 X：逐年事实在考核年度前一年的值。", "增速": "X 增速 = (X − 上年 X) ÷ 上年 X。", "取整": "向下取整。",
    "是": "是（真）。", "否": "否（假）。",
    "超过": "超过：大于，不含本数。", "高于": "高于：大于，不含本数。", "大于": "大于，不含本数。",
    "不低于": "不低于：大于或等于，含本数。", "不少于": "不少于：含本数。", "达到": "达到：含本数。",
    "不超过": "不超过：小于或等于，含本数。", "不高于": "不高于：含本数。",
    "低于": "低于：小于，不含本数。", "少于": "少于：不含本数。", "不足": "不足：小于，不含本数。", "等于": "等于。",
    "首次超过": "首次超过 X：考核年度超过 X，且此前有记录的年度都没有超过。", "首次达到": "首次达到：同上，含本数。",
    "首次不低于": "首次不低于：同上，含本数。",
    "均超过": "均超过：连续/近 N 年的每一年都超过。", "均高于": "均高于：每一年都高于。", "均不低于": "均不低于：每一年都不低于。",
    "均达到": "均达到：每一年都达到。", "均不超过": "均不超过：每一年都不超过。", "均低于": "均低于：每一年都低于。",
    # ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
    "列": "按 A、B 分别 / 列 值、值：二维奖励表的列（B 的取值）；每行「A的取值 → 金额、金额、—」，— 为该组合不予奖励。",
    "分段": "按 X 分段 [全量计价]：每段写自己的上下限（不低于 100 且 不超过 500），数值落在哪一段付哪一段。",
    "全量计价": "全量计价：所在段的单价 × 全部数量，不是超额累进。",
    "逐档": "按 X 首次超过 逐档：每个首次越过的档次各付一次（同一年越过两档，两档都付）；上一年无记录时无法判定。",
    "晋级差额": "按 新等级 自 原等级 晋级差额：新等级金额减去原等级金额；同级或降级不予奖励。",
    "—": "—：二维奖励表中该组合不予奖励。",
}

_TYPE_WORDS = {"money": "金额", "number": "数值", "percent": "百分比", "bool": "是否", "date": "日期", "year": "年份"}
_UNIT_WORDS = {"money": "元（可写万元、亿元）", "percent": "%", "year": "年", "date": "日期"}
_WORD = re.compile(r"[\u4e00-\u9fff]+(?:〔[0-9]{4}〕|\[[0-9]{4}\]|\([0-9]{4}\))[0-9]+号|第[一二三四五六七八九十百零]+条|第[0-9一二三四五六七八九十]+项"
                   r"|「[^」\n]+」|[\u3400-\u4dbf\u4e00-\u9fffA-Za-z_·]+")
_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning,
             "info": lsp.DiagnosticSeverity.Hint}


# ---------------------------------------------------------------- positions
class Positions:
    """Code-point offsets of a text <-> LSP positions in the negotiated encoding."""

    def __init__(self, text: str, encoding: str = "utf-16"):
        self.text = text
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.encoding = encoding

    def _units(self, ch: str) -> int:
        if self.encoding == "utf-8":
            return len(ch.encode("utf-8"))
        if self.encoding == "utf-32":
            return 1
        return 2 if ord(ch) > 0xFFFF else 1

    def position(self, offset: int) -> lsp.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        prefix = self.text[self.starts[line]:offset]
        return lsp.Position(line=line, character=sum(self._units(ch) for ch in prefix))

    def offset(self, position: lsp.Position) -> int:
        if position.line >= len(self.lines):
            return len(self.text)
        line, units, index = self.lines[position.line], 0, 0
        while index < len(line) and units < position.character:
            units += self._units(line[index])
            index += 1
        return self.starts[position.line] + index

    def range(self, start: int, end: int) -> lsp.Range:
        return lsp.Range(start=self.position(start), end=self.position(end))

    def whole(self) -> lsp.Range:
        return self.range(0, len(self.text))


# ---------------------------------------------------------------- analysis
@attrs.define
class Analysis:
    path: str
    text: str
    tree: object  # ast.Policy (vocabulary merged) | ast.Vocabulary | None
    diagnostics: list[Diagnostic]
    texts: dict[str, str]  # every file read, by absolute path

    @property
    def symbols(self) -> Symbols | None:
        return Symbols.of(self.tree) if self.tree is not None else None


class _BufferReader(driver._Reader):
    """The driver's reader, but open editor buffers win over the files on disk."""

    def __init__(self, buffers: dict[str, str]):
        super().__init__()
        self.buffers = buffers

    def read(self, path: str):
        key = str(Path(path).resolve())
        if key not in self.buffers or path in self.parsed:
            return super().read(path)
        return self.take(path, SourceFile(path, self.buffers[key]))


def analyse(path: str, text: str, buffers: dict[str, str] | None = None) -> Analysis:
    """Parse and check one buffer as `polc check` checks one file (no cross-file overlaps)."""
    path = str(Path(path).resolve())
    reader = _BufferReader({**(buffers or {}), path: text})
    tree = reader.read(path)
    if isinstance(tree, ast.Policy):
        tree = reader.resolve_imports(tree)
        reader.found.extend(checks.check_policy(tree))
    texts = {str(Path(p).resolve()): s.text for p, s in reader.sources.items()}
    mine = [d for d in reader.found if d.span is None or str(Path(d.span.path).resolve()) == path]
    return Analysis(path, text, tree, sorted_diagnostics(mine), texts)


def analyse_folder(folder: str) -> tuple[dict[str, list[Diagnostic]], dict[str, str]]:
    """`polc check FOLDER` from disk: every file's diagnostics, overlaps included."""
    project = driver.load([folder])
    by_file: dict[str, list[Diagnostic]] = {str(Path(p).resolve()): [] for p in project.sources}
    for diagnostic in project.diagnostics:
        if diagnostic.span is not None:
            by_file.setdefault(str(Path(diagnostic.span.path).resolve()), []).append(diagnostic)
    texts = {str(Path(p).resolve()): s.text for p, s in project.sources.items()}
    return by_file, texts


def to_lsp_diagnostic(diagnostic: Diagnostic, positions: Positions, lang: str) -> lsp.Diagnostic:
    span = diagnostic.span
    where = positions.range(span.start, span.end) if span is not None else lsp.Range(
        start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0))
    labels = ("expected", "suggestion") if lang == "en" else ("期望", "建议")
    message = diagnostic.message.get(lang)
    if diagnostic.expected is not None:
        message += f"\n{labels[0]}: {diagnostic.expected.get(lang)}"
    if diagnostic.suggestion is not None:
        message += f"\n{labels[1]}: {diagnostic.suggestion.get(lang)}"
    for note in diagnostic.notes:
        message += f"\n{note.get(lang)}"
    return lsp.Diagnostic(range=where, message=message, severity=_SEVERITY.get(diagnostic.severity),
                          code=diagnostic.code, source="polc")


# ---------------------------------------------------------------- what is under the cursor
def word_at(text: str, offset: int) -> tuple[str, int, int] | None:
    """The name, keyword, article or document number at offset (「」 removed), with its span."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line = normalise(text[line_start:line_end if line_end >= 0 else len(text)])
    for match in _WORD.finditer(line):
        if match.start() <= offset - line_start <= match.end() and match.end() > match.start():
            word = match.group(0)
            if word.startswith("「"):
                word = word[1:-1]
            return word, line_start + match.start(), line_start + match.end()
    return None


def _fact_markdown(decl: ast.FactDecl, symbols: Symbols) -> str:
    t = decl.type
    kind = "逐年 " if t.series else "逐项 " if t.items else ""
    type_word = t.enum.text if t.enum else _TYPE_WORDS.get(t.base, t.base)
    lines = [f"**事实** `{printer.name(decl.name)}: {kind}{type_word}`"]
    if t.base in _UNIT_WORDS:
        lines.append(f"单位：{_UNIT_WORDS[t.base]}")
    if t.enum:
        lines.append("取值：" + "、".join(symbols.enum_values(t.enum.text)))
    if decl.note:
        lines.append(f"说明：{decl.note}")
    return "\n\n".join(lines)


def describe(word: str, tree, symbols: Symbols | None) -> str | None:
    """Hover text for a word: a declared name, an article, or a keyword."""
    if symbols is not None:
        if word in symbols.facts:
            return _fact_markdown(symbols.facts[word], symbols)
        if word in symbols.defs:
            decl = symbols.defs[word]
            text = f"**定义** `{printer.name(decl.name)} = {printer.expr(decl.expr)}`"
            return text + (f"\n\n说明：{decl.note}" if decl.note else "")
        if word in symbols.enums:
            return f"**枚举** {word}：" + "、".join(symbols.enum_values(word))
        if word in symbols.matters:
            note = symbols.matters[word].note
            return f"**事项** {word}" + (f"\n\n说明：{note}" if note else "")
        if word in symbols.enum_of_value:
            enum = symbols.enum_of_value[word]
            return f"枚举 **{enum}** 的取值：" + "、".join(symbols.enum_values(enum))
    if isinstance(tree, ast.Policy) and re.fullmatch(r"第[一二三四五六七八九十百零]+条", word):
        parts = []
        for clause in tree.clauses:
            if clause.article == word:
                heading = f"**{clause.label}**" + (f"「{clause.title}」" if clause.title else "")
                parts.append(heading + (f"\n\n原文：{clause.source_text}" if clause.source_text else "\n\n（无原文）"))
        if parts:
            return "\n\n---\n\n".join(parts)
    if word in KEYWORD_DOCS:
        return f"**关键字** {word}：{KEYWORD_DOCS[word]}"
    if word in keywords():  # a keyword added to the grammar after this table was written
        return f"**关键字** {word}"
    return None


def declaration_of(word: str, tree, symbols: Symbols | None):
    """The span of what word names: a declaration, an enumeration value, or a clause."""
    if symbols is not None:
        for table in (symbols.facts, symbols.defs, symbols.enums, symbols.matters):
            if word in table:
                return table[word].name.span
        if word in symbols.enum_of_value:
            # A value may belong to several enumerations: the file's own come first.
            own = list(tree.enums) if isinstance(tree, (ast.Policy, ast.Vocabulary)) else []
            for decl in [*own, symbols.enums[symbols.enum_of_value[word]]]:
                for value in decl.values:
                    if value.text == word:
                        return value.span
    if isinstance(tree, ast.Policy):
        for clause in tree.clauses:
            if clause.article == word:
                return clause.span
    return None


# ---------------------------------------------------------------- quick fixes
@attrs.frozen
class Fix:
    title: str
    start: int
    end: int
    new_text: str


def _line_start_of(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text, re.M)
    return match.start() if match else None


def fixes_for(diagnostic: Diagnostic, text: str) -> list[Fix]:
    """Edits that a diagnostic's suggestion names (not yet checked)."""
    span = diagnostic.span
    zh = diagnostic.suggestion.zh if diagnostic.suggestion is not None else ""
    found: list[Fix] = []
    if diagnostic.fix:
        # The parser's own fix, already checked to parse: its edits as one replacement.
        start = min(edit[0] for edit in diagnostic.fix)
        end = max(edit[1] for edit in diagnostic.fix)
        replaced = text[start:end]
        for edit_start, edit_end, new_text in sorted(diagnostic.fix, reverse=True):
            replaced = replaced[:edit_start - start] + new_text + replaced[edit_end - start:]
        found.append(Fix(f"修正：{replaced.strip()[:40]}", start, end, replaced))
        return found
    near = re.search(r"是否想写「(.+?)」", zh)
    if near and span is not None:
        written = text[span.start:span.end]
        replacement = f"「{near.group(1)}」" if written.startswith("「") else printer.name(ast.Name(near.group(1)))
        found.append(Fix(f"改为「{near.group(1)}」", span.start, span.end, replacement))
    spaced = re.match(r"在关键字两侧加空格：(.+)$", zh)
    if spaced and span is not None:
        found.append(Fix(f"加空格：{spaced.group(1)}", span.start, span.end, spaced.group(1)))
    matter = re.match(r"声明：(定义事项 .+)$", zh)
    if matter:
        at = _line_start_of(text, r"^条款 ")
        at = len(text) if at is None else at
        prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
        found.append(Fix(f"声明「{matter.group(1)}」", at, at, f"{prefix}{matter.group(1)}\n"))
    # Any other suggestion that ends in replacement text ("…：X") is tried in the span's place;
    # checked_fixes keeps it only if it really fixes the diagnostic.
    tail = re.search(r"[：:]\s*「?([^「」：:]+?)」?\s*$", zh)
    if tail and span is not None and span.end > span.start and not spaced:
        found.append(Fix(f"改为：{tail.group(1)}", span.start, span.end, tail.group(1)))
    # No conflict principle (W053, and E071's suggestion): the two the language has, in the header.
    if diagnostic.code == "W053" or "冲突原则 就高不重复" in zh:
        head = re.search(r"^政策 .*$", text, re.M)
        if head:
            for principle in ("就高不重复", "可叠加"):
                found.append(Fix(f"写明「冲突原则 {principle}」", head.end(), head.end(), f"\n冲突原则 {principle}"))
    return found


def checked_fixes(analysis: Analysis, diagnostic: Diagnostic, buffers: dict[str, str]) -> list[Fix]:
    """The fixes that, applied to a copy, make the diagnostic go away without a syntax error."""
    good = []
    for fix in dict.fromkeys(fixes_for(diagnostic, analysis.text)):
        changed = analysis.text[:fix.start] + fix.new_text + analysis.text[fix.end:]
        after = analyse(analysis.path, changed, buffers)
        if after.tree is None:
            continue
        moved = len(fix.new_text) - (fix.end - fix.start)
        if not any(d.code == diagnostic.code and d.message == diagnostic.message and d.span is not None
                   and d.span.start in (diagnostic.span.start if diagnostic.span else -1,
                                        (diagnostic.span.start + moved) if diagnostic.span else -1)
                   for d in after.diagnostics):
            good.append(fix)
    return good


# ---------------------------------------------------------------- completion
def completions(analysis: Analysis | None, text: str, offset: int) -> list[lsp.CompletionItem]:
    before = normalise(text[text.rfind("\n", 0, offset) + 1:offset])
    previous = re.findall(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z_·]+|「[^」]*」|、", before)
    typing_word = bool(re.search(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z_·「]$", before))
    context = previous[-2] if typing_word and len(previous) >= 2 else (previous[-1] if previous else "")
    items: list[lsp.CompletionItem] = []

    def add(label: str, kind, detail: str, first: bool, doc: str | None = None):
        items.append(lsp.CompletionItem(
            label=label, kind=kind, detail=detail, sort_text=("0" if first else "1") + label,
            documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=doc) if doc else None))

    symbols = analysis.symbols if analysis is not None else None
    tree = analysis.tree if analysis is not None else None
    if symbols is not None:
        for name, decl in symbols.facts.items():
            add(printer.name(decl.name), lsp.CompletionItemKind.Variable, "事实",
                context in ("当", "且", "或", "非", "按", "已知", ","), _fact_markdown(decl, symbols))
        for name, decl in symbols.defs.items():
            add(printer.name(decl.name), lsp.CompletionItemKind.Function, "定义", context in ("当", "且", "或", "给予"))
        for name in symbols.enums:
            add(printer.name(ast.Name(name)), lsp.CompletionItemKind.Enum, "枚举", context == ":")
        for value, enum in symbols.enum_of_value.items():
            add(printer.name(ast.Name(value)), lsp.CompletionItemKind.EnumMember, f"枚举 {enum} 的取值",
                context in ("属于", "不属于", "、", "="))
        for name, decl in symbols.matters.items():
            add(printer.name(decl.name), lsp.CompletionItemKind.Module, "事项", context in ("事项", "作用于"), decl.note)
    if isinstance(tree, ast.Policy):
        for article in dict.fromkeys(c.article for c in tree.clauses):
            add(article, lsp.CompletionItemKind.Reference, "条款", context in ("除外", "、"))
    for word in sorted(keywords()):
        add(word, lsp.CompletionItemKind.Keyword, "关键字", False, KEYWORD_DOCS.get(word))
    return items


# ---------------------------------------------------------------- outline
def outline(tree, positions: Positions) -> list[lsp.DocumentSymbol]:
    if not isinstance(tree, ast.Policy):
        return []
    articles: dict[str, list[ast.Clause]] = {}
    for clause in tree.clauses:
        articles.setdefault(clause.article, []).append(clause)
    symbols = []
    for article, clauses in articles.items():
        def label(c: ast.Clause, with_article: bool) -> str:
            head = c.label if with_article else (f"第{c.item}项" if c.item is not None else c.article)
            return head + (f"「{c.title}」" if c.title else "")
        spans = [c.span for c in clauses if c.span is not None]
        if not spans:
            continue
        whole = positions.range(min(s.start for s in spans), max(s.end for s in spans))
        if len(clauses) == 1 and clauses[0].item is None:
            symbols.append(lsp.DocumentSymbol(name=label(clauses[0], True), kind=lsp.SymbolKind.Namespace,
                                              range=whole, selection_range=whole))
            continue
        children = [lsp.DocumentSymbol(name=label(c, False), kind=lsp.SymbolKind.Function,
                                       range=positions.range(c.span.start, c.span.end),
                                       selection_range=positions.range(c.span.start, c.span.end))
                    for c in clauses if c.span is not None]
        symbols.append(lsp.DocumentSymbol(name=article, kind=lsp.SymbolKind.Namespace, range=whole,
                                          selection_range=whole, children=children))
    return symbols


# ---------------------------------------------------------------- the server
class PolcServer(LanguageServer):
    def __init__(self):
        super().__init__("polc", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.lang = "zh"
        self.last_good: dict[str, Analysis] = {}  # uri -> the last analysis whose file parsed

    def encoding(self) -> str:
        value = self.workspace.position_encoding or "utf-16"
        return str(getattr(value, "value", value))

    def buffers(self) -> dict[str, str]:
        found = {}
        for uri, document in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path:
                found[str(Path(path).resolve())] = document.source
        return found

    def text_of(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    def analysis(self, uri: str) -> Analysis:
        result = analyse(to_fs_path(uri), self.text_of(uri), self.buffers())
        if result.tree is not None:
            self.last_good[uri] = result
        return result

    def publish(self, uri: str, diagnostics: list[Diagnostic], text: str) -> None:
        positions = Positions(text, self.encoding())
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, diagnostics=[to_lsp_diagnostic(d, positions, self.lang) for d in diagnostics]))

    def context(self, uri: str) -> Analysis | None:
        current = self.analysis(uri)
        return current if current.tree is not None else self.last_good.get(uri)


server = PolcServer()


@server.feature(lsp.INITIALIZE)
def _initialize(ls: PolcServer, params: lsp.InitializeParams):
    options = params.initialization_options
    if isinstance(options, dict) and options.get("lang") in ("zh", "en"):
        ls.lang = options["lang"]


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def _did_open(ls: PolcServer, params: lsp.DidOpenTextDocumentParams):
    uri = params.text_document.uri
    ls.publish(uri, ls.analysis(uri).diagnostics, ls.text_of(uri))


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def _did_change(ls: PolcServer, params: lsp.DidChangeTextDocumentParams):
    uri = params.text_document.uri
    ls.publish(uri, ls.analysis(uri).diagnostics, ls.text_of(uri))


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def _did_save(ls: PolcServer, params: lsp.DidSaveTextDocumentParams):
    path = to_fs_path(params.text_document.uri)
    folder = str(Path(path).resolve().parent)
    try:
        by_file, texts = analyse_folder(folder)
    except driver.UsageError:
        return
    for file, diagnostics in by_file.items():
        uri = from_fs_path(file)
        text = ls.text_of(uri) if uri in ls.workspace.text_documents else texts.get(file, "")
        ls.publish(uri, diagnostics, text)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: PolcServer, params: lsp.DidCloseTextDocumentParams):
    ls.last_good.pop(params.text_document.uri, None)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def _hover(ls: PolcServer, params: lsp.HoverParams):
    uri = params.text_document.uri
    text = ls.text_of(uri)
    positions = Positions(text, ls.encoding())
    found = word_at(text, positions.offset(params.position))
    if found is None:
        return None
    word, start, end = found
    analysis = ls.context(uri)
    markdown = describe(word, analysis.tree if analysis else None, analysis.symbols if analysis else None)
    if markdown is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=markdown),
                     range=positions.range(start, end))


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[" ", "「", "、"]))
def _completion(ls: PolcServer, params: lsp.CompletionParams):
    uri = params.text_document.uri
    text = ls.text_of(uri)
    offset = Positions(text, ls.encoding()).offset(params.position)
    return lsp.CompletionList(is_incomplete=False, items=completions(ls.context(uri), text, offset))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def _definition(ls: PolcServer, params: lsp.DefinitionParams):
    uri = params.text_document.uri
    text = ls.text_of(uri)
    found = word_at(text, Positions(text, ls.encoding()).offset(params.position))
    analysis = ls.context(uri)
    if found is None or analysis is None:
        return None
    span = declaration_of(found[0], analysis.tree, analysis.symbols)
    if span is None:
        return None
    target = str(Path(span.path).resolve())
    target_uri = from_fs_path(target)
    if target_uri in ls.workspace.text_documents:
        target_text = ls.text_of(target_uri)
    else:
        target_text = analysis.texts.get(target) or Path(target).read_text(encoding="utf-8-sig")
    return lsp.Location(uri=target_uri, range=Positions(target_text, ls.encoding()).range(span.start, span.end))


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def _symbols(ls: PolcServer, params: lsp.DocumentSymbolParams):
    uri = params.text_document.uri
    analysis = ls.context(uri)
    if analysis is None:
        return []
    return outline(analysis.tree, Positions(analysis.text, ls.encoding()))


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def _formatting(ls: PolcServer, params: lsp.DocumentFormattingParams):
    from . import fmt
    uri = params.text_document.uri
    text = ls.text_of(uri)
    try:
        formatted = fmt.format_text(text, to_fs_path(uri) or "<buffer>")
    except fmt.FormatBug as exc:
        ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"polc fmt: {exc}"))
        return None
    if formatted.text is None or formatted.text == text:
        return [] if formatted.text == text else None
    return [lsp.TextEdit(range=Positions(text, ls.encoding()).whole(), new_text=formatted.text)]


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
def _code_action(ls: PolcServer, params: lsp.CodeActionParams):
    uri = params.text_document.uri
    analysis = ls.analysis(uri)
    positions = Positions(analysis.text, ls.encoding())
    wanted_start, wanted_end = positions.offset(params.range.start), positions.offset(params.range.end)
    actions = []
    buffers = ls.buffers()
    for diagnostic in analysis.diagnostics:
        span = diagnostic.span
        if span is None or span.end < wanted_start or span.start > wanted_end:
            continue
        shown = to_lsp_diagnostic(diagnostic, positions, ls.lang)
        for fix in checked_fixes(analysis, diagnostic, buffers):
            edit = lsp.TextEdit(range=positions.range(fix.start, fix.end), new_text=fix.new_text)
            actions.append(lsp.CodeAction(title=fix.title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[shown],
                                          is_preferred=len(actions) == 0,
                                          edit=lsp.WorkspaceEdit(changes={uri: [edit]})))
    return actions


def main(lang: str = "zh") -> int:
    """Serve over stdio until the client says exit. initializationOptions {"lang": "en"} from
    the client overrides lang."""
    server.lang = lang
    server.start_io()
    return 0
