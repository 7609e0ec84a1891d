// Golden transcripts: what a user sees stepping into an API call, as one file that states the intent.
// Set UPDATE_GOLDEN=1 to rewrite them after a deliberate change.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { fixture, launch, move, startClient } from './client';

const GOLDEN = path.resolve(__dirname, '../../../test/adapter/golden');

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) fs.writeFileSync(file, actual);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `differs from ${file}`);
}

let dc: DebugClient;
before(async () => (dc = await startClient()));
after(() => dc.stop());

test('stepping into dma_unmap_single walks the modeled kernel down to the invalidate of the stale line', async () => {
  const program = fixture('stale.dmabuf');
  await launch(dc, { program }, async () => {
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.setBreakpointsRequest({ source: { path: program }, breakpoints: [{ line: 10 }] });
  });
  const transcript: string[] = [];
  for (let i = 0; i < 20; i++) {
    const stop = await move(dc, 'stepIn');
    const st = await dc.stackTraceRequest({ threadId: stop.body.threadId ?? 1 });
    const top = st.body.stackFrames[0];
    if (!top.source?.sourceReference) {
      transcript.push(`back in the scenario at line ${top.line}`);
      break;
    }
    const text = (await dc.sourceRequest({ sourceReference: top.source.sourceReference, source: top.source })).body.content;
    if (i === 0) transcript.push(text);
    const frames = st.body.stackFrames.map((f) => f.name).join(' < ');
    transcript.push(`${stop.body.reason}: line ${top.line}: ${text.split('\n')[top.line - 1].trim()}    [${frames}]`);
  }
  golden('stale-unmap-step-in.txt', transcript.join('\n') + '\n');
});
