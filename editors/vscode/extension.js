// polc for VS Code: the grammar, snippets and language configuration are declarative
// (package.json); this client starts `polc lsp` for diagnostics, hover, completion, go to
// definition, the outline, formatting and quick fixes.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("polc");
  const command = config.get("command", "polc");
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "polc",
    "polc",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "polc" }],
      initializationOptions: { lang: config.get("lang", "zh") },
    }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `polc: cannot start "${command} lsp" (${error.message}). Set polc.command to your polc executable.`
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
