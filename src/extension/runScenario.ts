// "Run Scenario" without debugging: the headless run's summary in an output channel, its hazards in Problems.
import * as path from 'path';
import * as vscode from 'vscode';
import { formatDiagnostic } from '../language/diagnostics';
import type { Hazard } from '../machine/hazards';
import { scenarioDocument } from './debugging';
import { runHeadless } from './headlessCheck';
import type { LiveDiagnostics } from './liveDiagnostics';
import { runSummary } from './runReport';

function hazardLines(file: string, h: Hazard): string[] {
  const head = `${file}:${h.loc.line}:${h.loc.column}: ${h.expected ? 'expected' : 'warning'}: ${h.kind}: ${h.message}`;
  return [head, ...h.related.map((r) => `    ${file}:${r.loc.line}: ${r.message}`)];
}

/** Runs the scenario and reports; returns whether it was ok (no parse error, no unexpected hazard, reached its end). */
export async function runScenario(resource: unknown, out: vscode.OutputChannel, live: LiveDiagnostics): Promise<boolean> {
  const doc = await scenarioDocument(resource);
  if (!doc) return false;
  const file = doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.toString();
  const name = path.basename(file);
  const stepLimit = vscode.workspace.getConfiguration('dmabuf').get<number>('hazards.stepLimit', 1_000_000);
  const check = runHeadless(doc.getText(), file, stepLimit);
  out.show(true);
  out.appendLine(`▶ ${name}`);
  const r = check.result;
  if (!r) {
    out.appendLine(`The run failed inside the tool: ${check.error}`);
    return false;
  }
  if (r.diagnostics.length > 0) {
    r.diagnostics.forEach((d) => out.appendLine(formatDiagnostic({ ...d, file: name })));
    out.appendLine(runSummary(r, check.ms));
    return false;
  }
  live.showHazards(doc, r);
  for (const h of r.hazards) hazardLines(name, h).forEach((l) => out.appendLine(l));
  out.appendLine(runSummary(r, check.ms));
  return r.ok;
}
