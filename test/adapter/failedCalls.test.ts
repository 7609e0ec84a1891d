// What the debugger shows of what a failed call returned: a failed allocation says so, and has no bytes to read
// and no cache line; a failed dma-buf call's handle names the call.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { fixture, launch, move, startClient, stateOf, topFrame } from './client';

describe('failed calls in the debugger', () => {
  let dc: DebugClient;
  before(async () => {
    dc = await startClient();
    // Past the failures' own hazards: no stop on them.
    await launch(dc, { program: fixture('failed.dmabuf'), stopOnEntry: true }, () => dc.setExceptionBreakpointsRequest({ filters: [] }));
    // Past the three failed calls (lines 3-5).
    for (let i = 0; i < 3; i++) await move(dc, 'next');
  });
  after(() => dc.stop());

  test('hover and watch on them say which call failed, and reading a byte is an error, not a zero', async () => {
    const frameId = (await topFrame(dc)).id;
    const value = async (expression: string): Promise<string> => (await dc.evaluateRequest({ expression, context: 'hover', frameId })).body.result;
    assert.equal(await value('p'), 'kmalloc #1, 134217728 bytes, allocation failed (NULL)');
    assert.match(await value('buf'), /^dmabuf #\d+ \(from the call that failed at line 4\)$/);
    await assert.rejects(dc.evaluateRequest({ expression: 'p[0]', context: 'watch', frameId }), /p has no bytes: allocation failed \(NULL\)/);
    const fields = await dc.variablesRequest({ variablesReference: (await dc.evaluateRequest({ expression: 'p', context: 'watch', frameId })).body.variablesReference });
    assert.ok(fields.body.variables.some((v) => v.name === 'allocation' && v.value === 'failed (NULL)'));
  });

  test('cache.line of what a failed call returned is an error: it has no pages, so no line holds its bytes', async () => {
    const frameId = (await topFrame(dc)).id;
    const before = await stateOf(dc);
    for (const name of ['p', 'buf', 'r']) {
      await assert.rejects(dc.evaluateRequest({ expression: `cache.line(${name}, 0)`, context: 'watch', frameId }), new RegExp(`^Error: ${name} is not a buffer with pages here$`));
    }
    assert.deepEqual(await stateOf(dc), before);
  });

  test('a failed phys() has no bytes either, and reading one says it was the phys() that failed', async () => {
    const frameId = (await topFrame(dc)).id;
    await assert.rejects(dc.evaluateRequest({ expression: 'r[0]', context: 'watch', frameId }), /r has no bytes: phys\(\) failed/);
    const fields = await dc.variablesRequest({ variablesReference: (await dc.evaluateRequest({ expression: 'r', context: 'watch', frameId })).body.variablesReference });
    assert.ok(fields.body.variables.some((v) => v.name === 'phys()' && v.value === 'failed'), JSON.stringify(fields.body.variables.map((v) => [v.name, v.value])));
  });
});
