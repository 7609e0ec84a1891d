// A trace session's launch option `fromBoot` (the CLI's `--from-boot`) and its words: what is live at the end of
// a capture from boot is a leak an exception breakpoint stops on, else window information; messages and frames
// say trace, event and the real kernel's record, never scenario or modeled kernel.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { launchArgsOf } from '../../src/adapter/launchArgs';
import { launch, move, startClient } from './client';
import { generatedTrace } from './traceFiles';

const SHORT = generatedTrace(300, { liveAtEnd: 2 });

describe('fromBoot on a trace session', () => {
  let dc: DebugClient;
  beforeEach(async () => (dc = await startClient()));
  afterEach(() => dc.stop());

  test('fromBoot turns the mappings live at the end into leak findings that exception breakpoints stop on', async () => {
    const stop = await launch(dc, { program: SHORT, fromBoot: true }, () => dc.setExceptionBreakpointsRequest({ filters: ['leak'] }));
    assert.equal(stop.body.reason, 'exception');
    const info = await dc.exceptionInfoRequest({ threadId: stop.body.threadId! });
    assert.equal(info.body.details?.fullTypeName, 'leak/mapping-leak');
    assert.match(info.body.description!, /still mapped at the end of the trace/);
    const frames = (await dc.stackTraceRequest({ threadId: stop.body.threadId! })).body.stackFrames;
    // Stopped inside the last event, on its second leak after continuing.
    assert.equal(frames.find((f) => f.source?.path)?.line, 302);
    const second = await move(dc, 'continue', { threadId: stop.body.threadId! });
    assert.equal(second.body.reason, 'end', 'both leaks belong to the last event: one stop inside it');
  });

  test('without fromBoot what is live at the end is window information: no leak stop, the trace reaches its end', async () => {
    const stop = await launch(dc, { program: SHORT }, () => dc.setExceptionBreakpointsRequest({ filters: ['leak'] }));
    assert.equal(stop.body.reason, 'end');
    assert.equal(stop.body.description, 'The trace reached its end after 300 events');
    const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    assert.deepEqual(frames.map((f) => f.name), ['end of trace']);
  });

  test('a trace finding is shown in a frame of the real kernel record, not of the modeled kernel', async () => {
    const stop = await launch(dc, { program: SHORT, fromBoot: true }, () => dc.setExceptionBreakpointsRequest({ filters: ['leak'] }));
    const frames = (await dc.stackTraceRequest({ threadId: stop.body.threadId! })).body.stackFrames;
    const kernel = frames[0].source!;
    assert.match(kernel.name!, /^dma_map_phys \(real kernel's record, event 300\)$/);
    assert.equal(kernel.origin, "real kernel's record");
    const text = (await dc.sourceRequest({ source: kernel, sourceReference: kernel.sourceReference! })).body.content;
    assert.match(text, /what the DMA-API checks find in this event of the real kernel's trace/);
    assert.doesNotMatch(JSON.stringify(frames), /modeled kernel|scenario/);
    const elsewhere = await dc.setBreakpointsRequest({ source: { path: '/elsewhere/other.dmabuf' }, breakpoints: [{ line: 1 }] });
    assert.equal(elsewhere.body.breakpoints[0].message, 'Not the trace being debugged');
  });
});

test('fromBoot must be true or false', () => {
  assert.equal(launchArgsOf({ program: 'a.trace', fromBoot: true } as never).fromBoot, true);
  assert.equal(launchArgsOf({ program: 'a.trace' } as never).fromBoot, false);
  assert.throws(() => launchArgsOf({ program: 'a.trace', fromBoot: 'yes' } as never), /"fromBoot" must be true or false/);
});
