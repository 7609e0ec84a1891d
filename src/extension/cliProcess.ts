// The bundled CLI run as a child process, for the commands on kernel captures: a capture may be gigabytes, and the
// editor stays responsive while the CLI's own reading threads decode it; cancelling kills it.
import { spawn } from 'child_process';
import * as path from 'path';
import type * as vscode from 'vscode';

export interface CliRun {
  /** Null when cancelled (the CLI killed; it may still exit with a code of its own, once it has cleaned up). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bundled CLI with `args` until it exits or `token` cancels it. */
export function runCli(extensionPath: string, args: string[], token: vscode.CancellationToken): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // In desktop VS Code the extension host's executable is Electron: make it behave as plain Node.
    const child = spawn(process.execPath, [path.join(extensionPath, 'dist', 'cli.js'), ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let cancelled = false;
    const cancel = token.onCancellationRequested(() => {
      cancelled = true;
      child.kill();
    });
    child.on('error', (e) => {
      cancel.dispose();
      reject(e);
    });
    child.on('close', (code) => {
      cancel.dispose();
      resolve({ code: cancelled && code !== 0 ? null : code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}
