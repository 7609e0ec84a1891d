// Commands of the Getting Started walkthrough: open one of the bundled example scenarios, start a new one.
import * as vscode from 'vscode';
import { LANGUAGE_ID } from './documents';

/** The first comment of a scenario, its one-line summary. */
function summaryOf(text: string): string {
  return /^\s*#\s*(.*)$/m.exec(text)?.[1] ?? '';
}

export async function openExample(extensionUri: vscode.Uri): Promise<vscode.TextEditor | undefined> {
  const dir = vscode.Uri.joinPath(extensionUri, 'examples');
  const entries = await Promise.resolve(vscode.workspace.fs.readDirectory(dir)).catch(() => [] as [string, vscode.FileType][]);
  const files = entries.filter(([n, t]) => t === vscode.FileType.File && n.endsWith('.dmabuf')).map(([n]) => n).sort();
  if (files.length === 0) {
    void vscode.window.showWarningMessage('No example scenarios were found in this installation.');
    return undefined;
  }
  const items = await Promise.all(files.map(async (label) => {
    const uri = vscode.Uri.joinPath(dir, label);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    return { label, detail: summaryOf(text), uri };
  }));
  const pick = await vscode.window.showQuickPick(items, { title: 'Open an example scenario', matchOnDetail: true });
  return pick && vscode.window.showTextDocument(pick.uri);
}

/** A new untitled scenario, started from the "Scenario skeleton" snippet the extension contributes. */
export async function newScenario(extensionUri: vscode.Uri): Promise<void> {
  const raw = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'snippets', 'dmabuf.code-snippets')));
  const body = (JSON.parse(raw) as Record<string, { body: string[] }>)['Scenario skeleton'].body.join('\n');
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: LANGUAGE_ID }));
  await editor.insertSnippet(new vscode.SnippetString(body));
}
