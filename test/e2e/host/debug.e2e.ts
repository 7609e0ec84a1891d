/// <reference types="mocha" />
// Debugging in the real workbench: a breakpoint stops the run, the adapter's variables show the buffers, the
// adapter runs inline or as a separate process, as the setting says, and a real kernel capture stops at its bug.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { openScenario, startDebugging, stop, untilStopped, watchStops, workspaceFile } from './util';

interface Variable { name: string; value: string; variablesReference: number }

/** Every variable of the top frame's cheap scopes, by scope name. */
async function variablesByScope(session: vscode.DebugSession, threadId: number): Promise<{ line: number; scopes: Record<string, Variable[]> }> {
  const st = await session.customRequest('stackTrace', { threadId });
  const top = st.stackFrames[0];
  const { scopes } = await session.customRequest('scopes', { frameId: top.id });
  const out: Record<string, Variable[]> = {};
  for (const s of scopes as { name: string; variablesReference: number; expensive: boolean }[]) {
    if (!s.expensive) out[s.name] = (await session.customRequest('variables', { variablesReference: s.variablesReference })).variables;
  }
  return { line: top.line, scopes: out };
}

const lineOf = (doc: vscode.TextDocument, text: string) => doc.getText().split('\n').findIndex((l) => l.includes(text));

suite('debugging a scenario', () => {
  teardown(() => vscode.debug.removeBreakpoints(vscode.debug.breakpoints));

  test('startDebugging stops at a breakpoint and the variables show the buffers', async () => {
    const { document: doc } = await openScenario('tour.dmabuf');
    const bpLine = lineOf(doc, 'h = dma_map_single');
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(doc.uri, new vscode.Position(bpLine, 0)))]);
    const { session, reason, threadId } = await untilStopped(startDebugging('Debug tour.dmabuf'));
    try {
      assert.equal(reason, 'breakpoint');
      const { line, scopes } = await variablesByScope(session, threadId);
      assert.equal(line, bpLine + 1);
      const frame = Object.values(scopes).flat().find((v) => v.name === 'frame');
      assert.ok(frame, `no variable 'frame' in ${JSON.stringify(Object.keys(scopes))}`);
      assert.match(frame.value, /cpu/);
      const owner = await session.customRequest('evaluate', { expression: 'frame.owner', context: 'hover' });
      assert.match(owner.result, /cpu/);
    } finally {
      await stop(session);
    }
  });

  test('with "dmabuf.debugAdapter": "process" the adapter runs as dist/debugAdapter.js and stops on entry', async () => {
    const config = vscode.workspace.getConfiguration('dmabuf');
    await config.update('debugAdapter', 'process', vscode.ConfigurationTarget.Global);
    try {
      const program = workspaceFile('tour.dmabuf').fsPath;
      const { session, reason, threadId } = await untilStopped(startDebugging({ type: 'dmabuf', request: 'launch', name: 'process', program, stopOnEntry: true }));
      try {
        assert.equal(reason, 'entry');
        const { line } = await variablesByScope(session, threadId);
        assert.equal(line, 5, 'the first statement');
      } finally {
        await stop(session);
      }
    } finally {
      await config.update('debugAdapter', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('"Debug Scenario" on a file without breakpoints stops on entry', async () => {
    const uri = workspaceFile('tour.dmabuf');
    const { session, reason } = await untilStopped(() => vscode.commands.executeCommand<boolean>('dmabuf.debugScenario', uri));
    try {
      assert.equal(reason, 'entry');
    } finally {
      await stop(session);
    }
  });
});


suite('debugging a kernel trace', () => {
  test('"Debug Trace" on a real capture stops on entry at its first event; the api-misuse exception breakpoint stops at its real bug, the unmap in the Event scope', async () => {
    const uri = workspaceFile('udmabuf-noiommu.trace.txt');
    const stops = watchStops();
    try {
      assert.equal(await vscode.commands.executeCommand<boolean>('dmabuf.debugTrace', uri), true);
      const entry = await stops.next();
      const session = entry.session;
      try {
        assert.equal(entry.reason, 'entry');
        const st = await session.customRequest('stackTrace', { threadId: entry.threadId });
        assert.deepEqual(st.stackFrames.slice(0, 2).map((f: { name: string; line: number }) => [f.name, f.line]), [['tracing_mark_write', 13], ['init-1 on CPU 1 @ 5.197607', 13]]);
        // The workbench hands paths back as its own URIs (vscode-remote:// under code-server).
        assert.ok(String(st.stackFrames[0].source.path).endsWith(uri.path), st.stackFrames[0].source.path);
        // udmabuf maps TO_DEVICE and unmaps BIDIRECTIONAL in release_udmabuf().
        await session.customRequest('setExceptionBreakpoints', { filters: ['api-misuse'] });
        const next = stops.next();
        await session.customRequest('continue', { threadId: entry.threadId });
        const bug = await next;
        assert.equal(bug.reason, 'exception');
        // On top, the event's record as the kernel logged it (a read-only view); then the event at its line.
        const frames: { name: string; line: number; source: { name: string } }[] = (await session.customRequest('stackTrace', { threadId: bug.threadId })).stackFrames;
        assert.match(frames[0].source.name, /^dma_unmap_sg \(real kernel's record/);
        assert.deepEqual([frames[1].name, frames[1].line], ['dma_unmap_sg udmabuf', 16]);
        // The Event scope shows the event that raised the finding (the state shows its effects).
        const { scopes } = await variablesByScope(session, bug.threadId);
        const event = Object.fromEntries((scopes.Event ?? []).map((v) => [v.name, v.value]));
        assert.deepEqual([event.name, event.line, event.dir], ['dma_unmap_sg', '16', 'BIDIRECTIONAL'], JSON.stringify(scopes.Event));
      } finally {
        await stop(session);
      }
    } finally {
      stops.dispose();
    }
  });
});
