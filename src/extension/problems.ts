// Turns parse errors and hazards into VS Code diagnostics: errors with their exact ranges, hazards as warnings
// whose related information points at the statements that set them up.
import * as vscode from 'vscode';
import type { Diagnostic } from '../language/diagnostics';
import type { Hazard, Loc } from '../machine/hazards';
import { statementExtent } from './statementExtent';

export const SOURCE = 'dmabuf';

export function parseProblems(diags: readonly Diagnostic[]): vscode.Diagnostic[] {
  return diags.map((d) => {
    const range = new vscode.Range(d.line - 1, d.column - 1, d.endLine - 1, d.endColumn - 1);
    const problem = new vscode.Diagnostic(range, d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
    problem.source = SOURCE;
    return problem;
  });
}

/** The whole statement at a hazard's location (a loc past the end of the document clamps to its last line). */
function statementRange(doc: vscode.TextDocument, loc: Loc): vscode.Range {
  const line = Math.min(Math.max(loc.line - 1, 0), Math.max(doc.lineCount - 1, 0));
  const { start, end } = statementExtent(doc.lineAt(line).text, loc.column);
  return new vscode.Range(line, start, line, end);
}

/** Unexpected hazards only: those consumed by `expect_hazard` are what the scenario asserts. */
export function hazardProblems(doc: vscode.TextDocument, hazards: readonly Hazard[]): vscode.Diagnostic[] {
  return hazards.filter((h) => !h.expected).map((h) => {
    const problem = new vscode.Diagnostic(statementRange(doc, h.loc), h.message, vscode.DiagnosticSeverity.Warning);
    problem.source = SOURCE;
    problem.code = h.kind;
    problem.relatedInformation = h.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(doc.uri, statementRange(doc, r.loc)), r.message));
    return problem;
  });
}
