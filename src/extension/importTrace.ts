// "Import Trace as Scenario": `dmabuf import` on a kernel capture from the editor. The scenario is written beside
// the capture (never over a file already there) and opened, for the user to add the CPU and device accesses a
// trace cannot show and run the full coherency checks. The bundled CLI runs as a child process (cliProcess.ts).
import * as path from 'path';
import * as vscode from 'vscode';
import { runCli } from './cliProcess';
import { traceFile } from './debugging';

/** Past this size a scenario is left closed: the editor would hold all of it, for one statement per event. */
const OPEN_AT_MOST = 50 * 1024 * 1024;

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** `NAME.dmabuf` beside the capture `NAME.trace.txt` (or `.trace`, `.txt`), or `NAME-2.dmabuf`, ... if taken. */
export async function scenarioBeside(capture: vscode.Uri): Promise<vscode.Uri> {
  const base = path.basename(capture.fsPath).replace(/(\.trace)?(\.txt)?$/, '') || 'trace';
  for (let n = 1; ; n++) {
    const candidate = vscode.Uri.joinPath(capture, '..', `${base}${n === 1 ? '' : `-${n}`}.dmabuf`);
    if (!(await exists(candidate))) return candidate;
  }
}

/** Imports the capture; returns the scenario written (undefined when there is none: not a capture, cancelled, failed). */
export async function importTrace(resource: unknown, extensionPath: string, out: vscode.OutputChannel): Promise<vscode.Uri | undefined> {
  const capture = await traceFile(resource);
  if (!capture) return undefined;
  const scenario = await scenarioBeside(capture);
  const name = path.basename(capture.fsPath);
  const run = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Importing ${name} as a scenario`, cancellable: true },
    (_progress, token) => runCli(extensionPath, ['import', capture.fsPath, '-o', scenario.fsPath], token),
  );
  // The CLI writes the scenario whole or not at all: a cancelled (killed) or failed import leaves none.
  if (run.code !== 0) {
    const why = run.code === null ? 'cancelled' : run.stderr.trim() || `import exited with ${run.code}`;
    out.appendLine(`✘ import ${name}: ${why}`);
    if (run.code !== null) void vscode.window.showErrorMessage(`Import Trace: ${why}`);
    return undefined;
  }
  out.appendLine(`✔ imported ${name} as ${path.basename(scenario.fsPath)}`);
  const { size } = await vscode.workspace.fs.stat(scenario);
  if (size <= OPEN_AT_MOST) await vscode.window.showTextDocument(scenario);
  else void vscode.window.showInformationMessage(`Imported ${name} as ${path.basename(scenario.fsPath)} (${(size / 2 ** 20).toFixed(0)} MiB: too large to open here).`);
  return scenario;
}
