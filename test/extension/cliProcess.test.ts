// The editor's runner of the bundled CLI (Check Trace, Import Trace): its result, and Cancel, which kills the CLI
// and reports the run as cancelled even though the CLI exits with a code of its own once it has cleaned up.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import type * as vscode from 'vscode';
import { runCli } from '../../src/extension/cliProcess';
import { repeatedCapture, REPO, TRACES } from '../ftrace/helpers';

/** The part of a cancellation token the runner uses, cancelled by calling `cancel`. */
function tokenSource(): { token: vscode.CancellationToken; cancel(): void } {
  const listeners: (() => void)[] = [];
  const token = {
    isCancellationRequested: false,
    onCancellationRequested: (listener: () => void) => {
      listeners.push(listener);
      return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
    },
  } as unknown as vscode.CancellationToken;
  return { token, cancel: () => [...listeners].forEach((l) => l()) };
}

test('a finished run gives the CLI\'s exit code and output', async () => {
  const { token } = tokenSource();
  const r = await runCli(REPO, ['check-trace', path.join(TRACES, 'udmabuf-noiommu.trace.txt'), '--json'], token);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(JSON.parse(r.stdout).ok, false);
});

test('Cancel kills an import midway: the run is cancelled (code null) and leaves no scenario, whole or partial', async () => {
  const capture = repeatedCapture('vblk-virtio-iommu.trace.txt', 40);
  const dir = path.dirname(capture);
  try {
    const { token, cancel } = tokenSource();
    const run = runCli(REPO, ['import', capture, '-o', path.join(dir, 'vblk.dmabuf')], token);
    const writing = (): boolean => fs.readdirSync(dir).some((f) => f.endsWith('.partial') && fs.statSync(path.join(dir, f)).size > 0);
    for (const t0 = Date.now(); !writing(); await new Promise((r) => setTimeout(r, 10))) assert.ok(Date.now() - t0 < 30_000, 'the import never started writing');
    cancel();
    assert.equal((await run).code, null);
    assert.deepEqual(fs.readdirSync(dir), ['repeated.trace.txt']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
