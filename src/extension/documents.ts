// One parse per document version, shared by every editor feature (diagnostics, hovers, outline, navigation).
import type * as vscode from 'vscode';
import { ScenarioIndex } from './scenarioIndex';

export const LANGUAGE_ID = 'dmabuf';
/** Kernel ftrace captures (`.trace`, `*.trace.txt`): debuggable, with breakpoints on their event lines. */
export const TRACE_LANGUAGE_ID = 'dmabuf-trace';

export class ScenarioDocuments {
  private readonly cache = new WeakMap<vscode.TextDocument, { version: number; index: ScenarioIndex }>();

  get(doc: vscode.TextDocument): ScenarioIndex {
    const hit = this.cache.get(doc);
    if (hit && hit.version === doc.version) return hit.index;
    const index = new ScenarioIndex(doc.getText(), doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.toString());
    this.cache.set(doc, { version: doc.version, index });
    return index;
  }
}
