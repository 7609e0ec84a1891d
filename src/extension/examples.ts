// Commands of the Getting Started walkthrough: open one of the bundled examples (scenarios, and a real kernel
// capture), start a new scenario.
import * as vscode from 'vscode';
import { LANGUAGE_ID } from './documents';

/** The first comment of a scenario, its one-line summary. */
function summaryOf(text: string): string {
  return /^\s*#\s*(.*)$/m.exec(text)?.[1] ?? '';
}

const TRACE = '.trace.txt';

/** Opens bundled example `name` (the walkthrough's link to the capture), or the one picked from them all. */
export async function openExample(extensionUri: vscode.Uri, name?: string): Promise<vscode.TextEditor | undefined> {
  const dir = vscode.Uri.joinPath(extensionUri, 'examples');
  if (typeof name === 'string') return vscode.window.showTextDocument(vscode.Uri.joinPath(dir, name));
  const entries = await Promise.resolve(vscode.workspace.fs.readDirectory(dir)).catch(() => [] as [string, vscode.FileType][]);
  const files = entries.filter(([n, t]) => t === vscode.FileType.File && (n.endsWith('.dmabuf') || n.endsWith(TRACE))).map(([n]) => n).sort();
  if (files.length === 0) {
    void vscode.window.showWarningMessage('No example scenarios were found in this installation.');
    return undefined;
  }
  const items = await Promise.all(files.map(async (label) => {
    const uri = vscode.Uri.joinPath(dir, label);
    if (label.endsWith(TRACE)) return { label, detail: 'A real kernel\'s ftrace capture, with a real DMA-API bug: Debug Trace or Check Trace it', uri };
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    return { label, detail: summaryOf(text), uri };
  }));
  const pick = await vscode.window.showQuickPick(items, { title: 'Open an example', matchOnDetail: true });
  return pick && vscode.window.showTextDocument(pick.uri);
}

/** A new untitled scenario, started from the "Scenario skeleton" snippet the extension contributes. */
export async function newScenario(extensionUri: vscode.Uri): Promise<void> {
  const raw = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'snippets', 'dmabuf.code-snippets')));
  const body = (JSON.parse(raw) as Record<string, { body: string[] }>)['Scenario skeleton'].body.join('\n');
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: LANGUAGE_ID }));
  await editor.insertSnippet(new vscode.SnippetString(body));
}
