"""`polc lsp` driven over its real protocol: a subprocess speaking JSON-RPC with
Content-Length framing on stdin/stdout, as an editor would."""

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from compiler.lsp import Positions
from conftest import ROOT

DRAFT = """政策 嘉政发〔2020〕99号
施行日期 2020年1月1日
引用 "vocabulary.pol"
冲突原则 就高不重复
# 注释
枚举 等级: 国家、省、市
事实 营业收入: 逐年 金额 说明 "企业的年营业收入"
事实 获奖等级: 等级 说明 "获奖的级别"

条款 第一条 「规模奖励」
  原文 "对年营业收入首次超过1亿元的，给予10万元奖励。"
  当 营业收入 首次超过 1亿元
  给予 10万元
  案例 已知 营业收入 = {2019: 9000万元, 2020: 1.2亿元} 评估日 2021-06-30 预期 10万元

条款 第二条 第1项 「品牌」
  事项 驰名商标
  当 获奖等级 属于 国家
  给予 按 获奖等级 分别
    国家 → 30万元
  案例 已知 获奖等级 = 国家 评估日 2021-06-30 预期 30万元
"""


class Client:
    """A minimal LSP client: requests wait for their response; notifications are queued."""

    def __init__(self, cwd: Path):
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen([sys.executable, "-m", "compiler", "lsp"], cwd=cwd, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.next_id = 0
        self.messages: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        stream = self.process.stdout
        while True:
            headers = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.decode("ascii").strip()
                if not line:
                    break
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            self.messages.put(json.loads(body.decode("utf-8")))

    def send(self, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: dict, timeout: float = 60):
        self.next_id += 1
        wanted = self.next_id
        self.send({"jsonrpc": "2.0", "id": wanted, "method": method, "params": params})
        while True:
            message = self.messages.get(timeout=timeout)
            if message.get("id") == wanted and "method" not in message:
                assert "error" not in message, message
                return message.get("result")
            if "id" in message and "method" in message:  # a request from the server: answer it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                self.pending.append(message)

    pending: list = []

    def notification(self, method: str, uri: str | None = None, timeout: float = 60) -> dict:
        for index, message in enumerate(self.pending):
            if message.get("method") == method and (uri is None or message["params"].get("uri") == uri):
                return self.pending.pop(index)["params"]
        while True:
            message = self.messages.get(timeout=timeout)
            if message.get("method") == method and (uri is None or message["params"].get("uri") == uri):
                return message["params"]
            if "id" in message and "method" in message:
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    def close(self) -> int:
        self.request("shutdown", None)
        self.notify("exit", None)
        try:
            return self.process.wait(timeout=20)
        finally:
            self.process.stdout.close()
            self.process.stdin.close()
            self.process.stderr.close()


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drafts")
    shutil.copy(ROOT / "policies" / "vocabulary.pol", folder / "vocabulary.pol")
    draft = folder / "draft.pol"
    draft.write_text(DRAFT, encoding="utf-8")
    client = Client(folder)
    client.pending = []
    result = client.request("initialize", {"processId": None, "rootUri": folder.as_uri(), "capabilities": {}})
    capabilities = result["capabilities"]
    client.notify("initialized", {})
    uri = draft.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "polc", "version": 1,
                                                             "text": DRAFT}})
    opened = client.notification("textDocument/publishDiagnostics", uri)
    yield client, uri, folder, capabilities, opened
    assert client.close() == 0


def _position(text: str, needle: str, delta: int = 0) -> dict:
    offset = text.index(needle) + delta
    p = Positions(text).position(offset)
    return {"line": p.line, "character": p.character}


def _doc(uri: str) -> dict:
    return {"textDocument": {"uri": uri}}


def test_capabilities_and_a_clean_draft_has_no_diagnostics(session):
    client, uri, folder, capabilities, opened = session
    for key in ("hoverProvider", "completionProvider", "definitionProvider", "documentSymbolProvider",
                "documentFormattingProvider", "codeActionProvider"):
        assert capabilities.get(key), key
    assert [d for d in opened["diagnostics"] if d["severity"] == 1] == [], opened


def test_hover_on_a_fact_a_clause_and_a_keyword(session):
    client, uri, *_ = session
    fact = client.request("textDocument/hover", {**_doc(uri), "position": _position(DRAFT, "营业收入 首次超过", 1)})
    assert "逐年 金额" in fact["contents"]["value"] and "企业的年营业收入" in fact["contents"]["value"]
    clause = client.request("textDocument/hover", {**_doc(uri), "position": _position(DRAFT, "第一条", 1)})
    assert "对年营业收入首次超过1亿元的" in clause["contents"]["value"]
    keyword = client.request("textDocument/hover", {**_doc(uri), "position": _position(DRAFT, "首次超过 1亿元", 1)})
    assert "此前有记录的年度" in keyword["contents"]["value"]
    vocabulary = client.request("textDocument/hover", {**_doc(uri), "position": _position(DRAFT, "驰名商标", 1)})
    assert "事项" in vocabulary["contents"]["value"]


def test_completion_offers_values_after_shu_yu_and_matters_after_shi_xiang(session):
    client, uri, *_ = session
    result = client.request("textDocument/completion", {**_doc(uri), "position": _position(DRAFT, "国家\n  给予", 0)})
    items = sorted(result["items"], key=lambda i: i["sortText"])
    labels = [i["label"] for i in items]
    assert {"国家", "省", "市"} <= set(labels[:10])
    assert "营业收入" in labels and "给予" in labels and "第一条" in labels
    matters = client.request("textDocument/completion", {**_doc(uri), "position": _position(DRAFT, "驰名商标", 0)})
    first = sorted(matters["items"], key=lambda i: i["sortText"])[0]
    assert first["detail"] == "事项"


def test_go_to_definition_in_the_file_and_across_yin_yong(session):
    client, uri, folder, *_ = session
    local = client.request("textDocument/definition", {**_doc(uri), "position": _position(DRAFT, "获奖等级 属于", 1)})
    assert local["uri"] == uri and local["range"]["start"] == _position(DRAFT, "获奖等级: 等级")
    value = client.request("textDocument/definition", {**_doc(uri), "position": _position(DRAFT, "属于 国家", 3)})
    assert value["range"]["start"] == _position(DRAFT, "国家、省")
    across = client.request("textDocument/definition", {**_doc(uri), "position": _position(DRAFT, "驰名商标", 0)})
    vocabulary = (folder / "vocabulary.pol").read_text(encoding="utf-8")
    assert across["uri"] == (folder / "vocabulary.pol").as_uri()
    assert across["range"]["start"] == _position(vocabulary, "定义事项 驰名商标", 5)


def test_document_symbols_outline_the_articles(session):
    client, uri, *_ = session
    symbols = client.request("textDocument/documentSymbol", _doc(uri))
    assert [s["name"] for s in symbols] == ["第一条「规模奖励」", "第二条"]
    assert [c["name"] for c in symbols[1]["children"]] == ["第1项「品牌」"]


def test_formatting_goes_through_fmt(session):
    client, uri, *_ = session
    messy = DRAFT.replace("  当 营业收入 首次超过 1亿元", "    当 营业收入   首次超过 1亿元")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": messy}]})
    client.notification("textDocument/publishDiagnostics", uri)
    edits = client.request("textDocument/formatting", {**_doc(uri), "options": {"tabSize": 2, "insertSpaces": True}})
    assert len(edits) == 1 and edits[0]["newText"] == DRAFT


def test_diagnostics_as_you_type_and_a_checked_quick_fix(session):
    client, uri, *_ = session
    typo = DRAFT.replace("当 获奖等级 属于 国家", "当 获奖等极 属于 国家")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                             "contentChanges": [{"text": typo}]})
    published = client.notification("textDocument/publishDiagnostics", uri)
    e011 = [d for d in published["diagnostics"] if d["code"] == "E011"]
    assert e011 and e011[0]["range"]["start"] == _position(typo, "获奖等极")
    actions = client.request("textDocument/codeAction", {**_doc(uri), "range": e011[0]["range"],
                                                         "context": {"diagnostics": e011}})
    assert actions and actions[0]["kind"] == "quickfix"
    (edit,) = actions[0]["edit"]["changes"][uri]
    assert edit["newText"] == "获奖等级" and edit["range"] == e011[0]["range"]
    # A keyword against a name: the fix puts the space in.
    joined = DRAFT.replace("  给予 10万元", "  给予10万元").replace("  当 营业收入", "  当营业收入")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 4},
                                             "contentChanges": [{"text": joined}]})
    published = client.notification("textDocument/publishDiagnostics", uri)
    e002 = [d for d in published["diagnostics"] if d["code"] == "E002"]
    assert e002, published
    actions = client.request("textDocument/codeAction", {**_doc(uri), "range": e002[0]["range"],
                                                         "context": {"diagnostics": e002}})
    assert actions[0]["edit"]["changes"][uri][0]["newText"] == "当 营业收入"
    # Back to the clean text: the diagnostics are cleared.
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 5},
                                             "contentChanges": [{"text": DRAFT}]})
    assert not [d for d in client.notification("textDocument/publishDiagnostics", uri)["diagnostics"]
                if d["severity"] == 1]


def test_incremental_change_with_an_astral_character_counts_utf16_units(session):
    client, uri, *_ = session
    with_emoji = DRAFT.replace("# 注释", "# 注释😀😀").replace(
        "事实 获奖等级", "事实 「奖😀项」: 是否 说明 \"表情名\"\n事实 获奖等级").replace("  给予 10万元", "    给予 10万元")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 6},
                                             "contentChanges": [{"text": with_emoji}]})
    client.notification("textDocument/publishDiagnostics", uri)
    # Insert after the two astral characters: # 注释 is 4 UTF-16 units, each 😀 is 2.
    line = with_emoji.split("\n").index("# 注释😀😀")
    edit = {"range": {"start": {"line": line, "character": 8}, "end": {"line": line, "character": 8}}, "text": "!"}
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 7}, "contentChanges": [edit]})
    client.notification("textDocument/publishDiagnostics", uri)
    (formatted,) = client.request("textDocument/formatting", {**_doc(uri), "options": {"tabSize": 2, "insertSpaces": True}})
    assert "\n# 注释😀😀!\n" in formatted["newText"] and "\n  给予 10万元" in formatted["newText"]
    # Hover on the character after an astral one, inside a 「」 name.
    position = _position(with_emoji, "项」: 是否")
    assert position["character"] == with_emoji.split("\n")[position["line"]].index("项") + 1
    hover = client.request("textDocument/hover", {**_doc(uri), "position": position})
    assert "表情名" in hover["contents"]["value"]
    assert hover["range"]["end"]["character"] - hover["range"]["start"]["character"] == 6  # 「奖😀项」
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 8},
                                             "contentChanges": [{"text": DRAFT}]})
    client.notification("textDocument/publishDiagnostics", uri)


def test_overlap_findings_on_save(session):
    client, uri, folder, *_ = session
    twice = DRAFT + "\n条款 第三条\n  事项 驰名商标\n  当 获奖等级 属于 省\n  给予 5万元\n" \
                    "  案例 已知 获奖等级 = 省 评估日 2021-06-30 预期 5万元\n"
    (folder / "draft.pol").write_text(twice, encoding="utf-8")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 9},
                                             "contentChanges": [{"text": twice}]})
    typed = client.notification("textDocument/publishDiagnostics", uri)
    client.notify("textDocument/didSave", _doc(uri))
    saved = client.notification("textDocument/publishDiagnostics", uri)
    assert {d["code"] for d in saved["diagnostics"]} - {d["code"] for d in typed["diagnostics"]}, saved


def test_positions_convert_utf16_units():
    text = "甲😀乙\n第二行"
    positions = Positions(text)
    assert positions.position(text.index("乙")).character == 3  # 甲 1 unit, 😀 2 units
    assert positions.offset(positions.position(text.index("乙"))) == text.index("乙")
    assert positions.position(text.index("二")).line == 1
    assert Positions(text, "utf-32").position(text.index("乙")).character == 2


def test_english_messages_and_no_formatting_while_the_file_does_not_parse(tmp_path):
    draft = tmp_path / "draft.pol"
    broken = "政策 嘉政发〔2020〕99号\n条款 第一条\n  当 甲\n  给予10万\n"
    draft.write_text(broken, encoding="utf-8")
    client = Client(tmp_path)
    client.pending = []
    client.request("initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {},
                                  "initializationOptions": {"lang": "en"}})
    client.notify("initialized", {})
    uri = draft.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "polc", "version": 1,
                                                             "text": broken}})
    (diagnostic, *_) = client.notification("textDocument/publishDiagnostics", uri)["diagnostics"]
    assert diagnostic["severity"] == 1 and diagnostic["code"].startswith("E")
    assert diagnostic["message"][0].isascii() and "lacks the unit" in diagnostic["message"], diagnostic  # English
    assert client.request("textDocument/formatting", {**_doc(uri), "options": {"tabSize": 2, "insertSpaces": True}}) is None
    assert client.close() == 0


def test_checked_fixes_for_a_matter_and_a_conflict_principle():
    """In process (the protocol is covered above): each offered fix removes its diagnostic."""
    from compiler.lsp import analyse, checked_fixes
    text = ("政策 嘉政发〔2020〕99号\n施行日期 2020年1月1日\n枚举 奖项: 甲奖、乙奖\n事实 所获奖项: 奖项\n"
            "定义事项 甲奖\n\n条款 第一条\n  原文 \"…\"\n  事项 按 所获奖项\n  给予 10万元\n"
            "  案例 已知 所获奖项 = 甲奖 预期 10万元\n")
    analysis = analyse("/nonexistent/draft.pol", text)
    by_code = {d.code: d for d in analysis.diagnostics}
    (declare,) = checked_fixes(analysis, by_code["E015"], {})
    assert declare.new_text == "定义事项 乙奖\n" and text[declare.start:].startswith("条款 第一条")
    plain = analyse("/nonexistent/draft.pol", text.replace("事项 按 所获奖项", "事项 甲奖"))
    (w053,) = [d for d in plain.diagnostics if d.code == "W053"]
    principles = checked_fixes(plain, w053, {})
    assert [f.new_text for f in principles] == ["\n冲突原则 就高不重复", "\n冲突原则 可叠加"]
    # A suggestion that would not fix anything is not offered.
    from compiler.diagnostics import Message
    import attrs
    wrong = attrs.evolve(by_code["E015"], suggestion=Message("声明：定义事项 丙奖", "declare it: 定义事项 丙奖"))
    assert checked_fixes(analysis, wrong, {}) == []
