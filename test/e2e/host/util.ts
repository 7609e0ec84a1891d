// Helpers of the in-host suites: the test workspace, waiting for diagnostics, and debug sessions that stop.
import * as vscode from 'vscode';

export const EXTENSION_ID = 'dmabuf-tools.dmabuf-debugger';

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need the fixture workspace open');
  return vscode.Uri.joinPath(folder.uri, name);
}

export async function openScenario(name: string): Promise<vscode.TextEditor> {
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceFile(name)));
}

/** Resolves when `ready` holds for a document's diagnostics (checked now and on every change). */
export function diagnosticsWhen(uri: vscode.Uri, ready: (d: vscode.Diagnostic[]) => boolean, timeoutMs = 15000): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const d = vscode.languages.getDiagnostics(uri);
      if (!ready(d)) return false;
      sub.dispose();
      clearTimeout(timer);
      resolve(d);
      return true;
    };
    const sub = vscode.languages.onDidChangeDiagnostics(check);
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`diagnostics never matched; last: ${JSON.stringify(vscode.languages.getDiagnostics(uri).map(describe))}`));
    }, timeoutMs);
    check();
  });
}

/** A diagnostic as `line:col-line:col code message`, 1-based, for readable assertions. */
export function describe(d: vscode.Diagnostic): string {
  const r = d.range;
  return `${r.start.line + 1}:${r.start.character + 1}-${r.end.line + 1}:${r.end.character + 1} ${d.code ?? ''} ${d.message}`.replace(/ +/g, ' ');
}

export interface Stop {
  session: vscode.DebugSession;
  reason: string;
  threadId: number;
}

/** The `stopped` events of the `dmabuf` sessions started from now on, in order, as they come. */
export function watchStops(): { next: () => Promise<Stop>; dispose: () => void } {
  const seen: Stop[] = [];
  const waiting: ((s: Stop) => void)[] = [];
  const tracker = vscode.debug.registerDebugAdapterTrackerFactory('dmabuf', {
    createDebugAdapterTracker: (session) => ({
      onDidSendMessage: (m: { type: string; event?: string; body?: { reason: string; threadId: number } }) => {
        if (m.type !== 'event' || m.event !== 'stopped') return;
        const stop = { session, reason: m.body?.reason ?? '', threadId: m.body?.threadId ?? 0 };
        const w = waiting.shift();
        if (w) w(stop);
        else seen.push(stop);
      },
    }),
  });
  return {
    next: () => new Promise<Stop>((resolve) => {
      const s = seen.shift();
      if (s) resolve(s);
      else waiting.push(resolve);
    }),
    dispose: () => tracker.dispose(),
  };
}

/** Runs `start` (which starts a `dmabuf` session) and resolves with the session at its first `stopped` event. */
export async function untilStopped(start: () => Thenable<boolean>): Promise<Stop> {
  const stops = watchStops();
  try {
    if (!(await start())) throw new Error('the debug session did not start');
    return await stops.next();
  } finally {
    stops.dispose();
  }
}

export const startDebugging = (config: vscode.DebugConfiguration | string) => () => vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], config);

/** Ends a session and waits until VS Code has let it go. */
export async function stop(session: vscode.DebugSession): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    const sub = vscode.debug.onDidTerminateDebugSession((s) => { if (s.id === session.id) { sub.dispose(); resolve(); } });
  });
  await vscode.debug.stopDebugging(session);
  await ended;
}
