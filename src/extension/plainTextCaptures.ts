// Captures saved as plain text (`cat /sys/kernel/tracing/trace > trace.txt`) open as plain text: VS Code tells a
// `.txt` file's language by its extension, and consults a language's `firstLine` only when no extension matches.
// A plain-text file whose first lines are ftrace's output is given the trace language as it opens, so that it gets
// the trace's colours, outline, breakpoints and debug hovers, as the debugger already takes it for a trace. A user
// who sets such a document back to plain text keeps it so for the session.
import * as vscode from 'vscode';
import { HEAD_BYTES, looksLikeTraceText } from '../adapter/traceDetect';
import { TRACE_LANGUAGE_ID } from './documents';

const PLAIN_TEXT = 'plaintext';
/** Files only: not output channels or other views, whose text and mode another part of VS Code sets. */
const FILE = 'file';

export class PlainTextCaptures implements vscode.Disposable {
  private readonly listeners: vscode.Disposable[];
  /** Documents given the trace language, and those whose user set them back to plain text. */
  private readonly adopted = new Set<string>();
  private readonly declined = new Set<string>();
  /** Adopted documents closing in this turn of the event loop: a language change closes and reopens at once. */
  private readonly closing = new Set<string>();

  constructor() {
    this.listeners = [
      vscode.workspace.onDidOpenTextDocument((doc) => void this.consider(doc)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.closed(doc)),
    ];
    for (const doc of vscode.workspace.textDocuments) void this.consider(doc);
  }

  /** Gives `doc` the trace language if it is plain text that looks like a capture; resolves when done. */
  async consider(doc: vscode.TextDocument): Promise<void> {
    if (doc.languageId !== PLAIN_TEXT || doc.uri.scheme !== FILE) return;
    const key = doc.uri.toString();
    if (this.closing.has(key)) this.declined.add(key);
    if (this.declined.has(key)) return;
    if (!looksLikeTraceText(doc.getText(new vscode.Range(doc.positionAt(0), doc.positionAt(HEAD_BYTES))))) return;
    this.adopted.add(key);
    try {
      await vscode.languages.setTextDocumentLanguage(doc, TRACE_LANGUAGE_ID);
    } catch {
      // Closed meanwhile: it is considered again when it opens.
      this.adopted.delete(key);
    }
  }

  dispose(): void {
    for (const l of this.listeners) l.dispose();
  }

  private closed(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    if (doc.languageId !== TRACE_LANGUAGE_ID || !this.adopted.has(key)) return;
    this.closing.add(key);
    setTimeout(() => this.closing.delete(key), 0);
  }
}
