// "Check Trace": the checks of `dmabuf check-trace` on a kernel capture without debugging it: the report in the
// output channel, the findings in Problems at their lines. The bundled CLI runs as a child process (cliProcess.ts).
import * as path from 'path';
import * as vscode from 'vscode';
import type { TraceReport } from '../ftrace/check';
import { isBug, type TraceFinding } from '../ftrace/findings';
import { formatReport } from '../ftrace/reportText';
import { runCli } from './cliProcess';
import { traceFile } from './debugging';
import { SOURCE } from './problems';

/** Window information past this many entries stays in the report: Problems would not cope with a long capture's. */
const WINDOW_PROBLEMS = 500;

function problem(uri: vscode.Uri, f: TraceFinding): vscode.Diagnostic {
  const line = (n: number) => new vscode.Range(n - 1, 0, n - 1, Number.MAX_SAFE_INTEGER);
  const d = new vscode.Diagnostic(line(f.line), `${f.device ? `${f.device}: ` : ''}${f.message}`, isBug(f) ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information);
  d.source = SOURCE;
  d.code = f.detail;
  d.relatedInformation = f.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, line(r.line)), r.message));
  return d;
}

/** The findings as Problems: every bug, and window information up to WINDOW_PROBLEMS (the rest is in the report). */
function traceProblems(uri: vscode.Uri, findings: readonly TraceFinding[]): vscode.Diagnostic[] {
  const bugs = findings.filter(isBug);
  const window = findings.filter((f) => !isBug(f)).slice(0, WINDOW_PROBLEMS);
  return [...bugs, ...window].map((f) => problem(uri, f));
}

/** Checks the capture and shows what it found; returns the report (undefined when the CLI could not read it). */
export async function checkTrace(resource: unknown, extensionPath: string, out: vscode.OutputChannel, problems: vscode.DiagnosticCollection): Promise<TraceReport | undefined> {
  const uri = await traceFile(resource);
  if (!uri) return undefined;
  const name = path.basename(uri.fsPath);
  const run = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Checking ${name}`, cancellable: true },
    (_progress, token) => runCli(extensionPath, ['check-trace', '--json', uri.fsPath], token),
  );
  out.show(true);
  out.appendLine(`▶ ${name}`);
  const stderr = run.stderr.trim();
  if (stderr) out.appendLine(stderr);
  let report: TraceReport;
  try {
    report = JSON.parse(run.stdout) as TraceReport;
  } catch {
    problems.delete(uri);
    const why = run.code === null ? 'cancelled' : stderr || `check-trace exited with ${run.code}`;
    out.appendLine(`✘ ${why}`);
    if (run.code !== null) void vscode.window.showErrorMessage(`Check Trace: ${why}`);
    return undefined;
  }
  out.append(formatReport(report));
  problems.set(uri, traceProblems(uri, report.findings));
  const bugs = report.findings.filter(isBug).length;
  const window = report.findings.length - bugs;
  const shown = Math.min(window, WINDOW_PROBLEMS);
  out.appendLine(`${report.ok ? '✔' : '✘'} ${bugs} finding(s) in Problems; ${window} window note(s)${shown < window ? `, the first ${shown} in Problems` : ''}.`);
  return report;
}
