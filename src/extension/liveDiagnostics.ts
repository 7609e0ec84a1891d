// Diagnostics as you type: parse and name errors after a short pause, and the hazards of a headless run on open
// and save, or as you type while that run stays fast (setting `dmabuf.hazards.check`).
import * as vscode from 'vscode';
import type { CheckResult } from '../runtime/checker';
import { LANGUAGE_ID, type ScenarioDocuments } from './documents';
import { runHeadless } from './headlessCheck';
import { hazardProblems, parseProblems, SOURCE } from './problems';
import { limitNote } from './runReport';

/** A check slower than this would make typing lag; such a document is then checked on save only. */
const TYPING_BUDGET_MS = 60;

type Trigger = 'open' | 'type' | 'save';

export class LiveDiagnostics implements vscode.Disposable {
  private readonly parse = vscode.languages.createDiagnosticCollection(LANGUAGE_ID);
  private readonly hazards = vscode.languages.createDiagnosticCollection(LANGUAGE_ID + '-hazards');
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly checkMs = new Map<string, number>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly docs: ScenarioDocuments, private readonly log: vscode.OutputChannel) {
    this.subscriptions = [
      this.parse,
      this.hazards,
      vscode.workspace.onDidOpenTextDocument((d) => this.refresh(d, 'open')),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidSaveTextDocument((d) => this.refresh(d, 'save')),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)),
    ];
    for (const d of vscode.workspace.textDocuments) this.refresh(d, 'open');
  }

  /** Shows a finished run's hazards (the "Run Scenario" command shares the same Problems entries). */
  showHazards(doc: vscode.TextDocument, result: CheckResult): void {
    const problems = hazardProblems(doc, result.hazards);
    const text = limitNote(result);
    if (text) {
      const note = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), text, vscode.DiagnosticSeverity.Information);
      note.source = SOURCE;
      problems.push(note);
    }
    this.hazards.set(doc.uri, problems);
  }

  private schedule(doc: vscode.TextDocument): void {
    if (doc.languageId !== LANGUAGE_ID) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    const delay = vscode.workspace.getConfiguration('dmabuf').get<number>('diagnostics.delay', 200);
    this.timers.set(key, setTimeout(() => { this.timers.delete(key); this.refresh(doc, 'type'); }, delay));
  }

  private refresh(doc: vscode.TextDocument, trigger: Trigger): void {
    if (doc.languageId !== LANGUAGE_ID || doc.isClosed) return;
    const index = this.docs.get(doc);
    this.parse.set(doc.uri, parseProblems(index.diagnostics));
    if (index.diagnostics.length > 0) return this.hazards.delete(doc.uri);
    const config = vscode.workspace.getConfiguration('dmabuf');
    const mode = config.get<'auto' | 'onSave' | 'off'>('hazards.check', 'auto');
    if (mode === 'off') return this.hazards.delete(doc.uri);
    const key = doc.uri.toString();
    // A document never checked yet (it was opened with a parse error) gets its first check as the user types: only a
    // check measured slow moves it to checks on save.
    if (trigger === 'type' && (mode === 'onSave' || (this.checkMs.get(key) ?? 0) > TYPING_BUDGET_MS)) return;
    const check = runHeadless(doc.getText(), index.program.file, config.get<number>('hazards.stepLimit', 1_000_000));
    this.checkMs.set(key, check.ms);
    if (check.result) this.showHazards(doc, check.result);
    else this.log.appendLine(`Headless check of ${index.program.file} failed: ${check.error}`);
  }

  private forget(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.checkMs.delete(key);
    this.parse.delete(doc.uri);
    this.hazards.delete(doc.uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subscriptions) s.dispose();
  }
}
