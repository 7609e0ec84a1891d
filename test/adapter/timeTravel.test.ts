// Breakpoints of every kind and time travel over the stdio adapter: stepBack and reverseContinue reach the same
// states as forward execution, data breakpoints fire on ownership changes in both directions.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { failure, fixture, launch, move, scenarioLine, startClient, stateOf, topFrame } from './client';

const RING = fixture('ring.dmabuf');
const STALE = fixture('stale.dmabuf');
const noHazardStops = (dc: DebugClient) => () => dc.setExceptionBreakpointsRequest({ filters: [] });

/** Continues (or reverse-continues) until the end or the start, collecting each stop's state. */
async function collect(dc: DebugClient, command: 'continue' | 'reverseContinue', until: string): Promise<string[][]> {
  const states: string[][] = [];
  for (let i = 0; i < 100; i++) {
    const stop = await move(dc, command);
    if (stop.body.reason === until) return states;
    states.push(await stateOf(dc, stop.body.threadId));
  }
  throw new Error('no end in sight');
}

describe('time travel and breakpoints', () => {
  let dc: DebugClient;
  beforeEach(async () => (dc = await startClient()));
  afterEach(() => dc.stop());

  test('stepBack reaches the same states as forward execution', async () => {
    await launch(dc, { program: RING, stopOnEntry: true }, noHazardStops(dc));
    const forward: string[][] = [await stateOf(dc)];
    let stop: DebugProtocol.StoppedEvent;
    do {
      stop = await move(dc, 'next');
      forward.push(await stateOf(dc, stop.body.threadId));
    } while (!stop.body.description?.includes('reached its end'));
    const backward: string[][] = [forward[forward.length - 1]];
    for (let i = 1; i < forward.length; i++) {
      const back = await move(dc, 'stepBack');
      backward.push(await stateOf(dc, back.body.threadId));
    }
    assert.deepEqual(backward.reverse(), forward);
  });

  test('reverseContinue stops at the same breakpoints as continue, with the same variables', async () => {
    let bp: DebugProtocol.SetBreakpointsResponse | undefined;
    await launch(dc, { program: RING, stopOnEntry: true }, async () => {
      await noHazardStops(dc)();
      bp = await dc.setBreakpointsRequest({ source: { path: RING }, breakpoints: [{ line: 11 }] });
    });
    assert.equal(bp!.body.breakpoints[0].verified, true);
    const forward = await collect(dc, 'continue', 'end');
    assert.equal(forward.length, 4);
    const backward = await collect(dc, 'reverseContinue', 'entry');
    assert.deepEqual(backward.reverse(), forward);
  });

  test('line breakpoints are unverified on lines with no statement; breakpointLocations lists the statements', async () => {
    await launch(dc, { program: RING, stopOnEntry: true }, async () => {
      const r = await dc.setBreakpointsRequest({ source: { path: RING }, breakpoints: [{ line: 1 }, { line: 7 }, { line: 9 }] });
      assert.deepEqual(r.body.breakpoints.map((b) => b.verified), [false, false, true]);
    });
    const locations = await dc.customRequest('breakpointLocations', { source: { path: RING }, line: 8, endLine: 13 });
    assert.deepEqual(locations.body.breakpoints.map((b: DebugProtocol.BreakpointLocation) => b.line), [9, 10, 11, 12]);
  });

  test('condition, hitCondition and logMessage', async () => {
    const output: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    await launch(dc, { program: RING }, async () => {
      await noHazardStops(dc)();
      await dc.setBreakpointsRequest({
        source: { path: RING },
        breakpoints: [
          { line: 9, condition: 'rx.owner == cpu' },
          { line: 10, logMessage: 'owner before sync: {rx.owner}' },
          { line: 11, condition: 'rx.owner == cpu', hitCondition: '3' },
        ],
      });
    });
    assert.equal(await scenarioLine(dc, 1), 11);
    const hits = await dc.evaluateRequest({ expression: 'rx.owner', context: 'watch', frameId: (await topFrame(dc)).id });
    assert.equal(hits.body.result, 'cpu');
    const targets = await dc.gotoTargetsRequest({ source: { path: RING }, line: 11 });
    const current = targets.body.targets.findIndex((t) => t.label.includes('execution 3 of 4'));
    assert.ok(current >= 0);
    assert.equal(output.filter((o) => o === 'owner before sync: nic:FROM_DEVICE\n').length, 3, 'one log per pass, forward only');
    await move(dc, 'reverseContinue');
    assert.equal(output.filter((o) => o.startsWith('owner before sync')).length, 3);
  });

  test('function breakpoints on API names, globs and owner:BUF', async () => {
    await launch(dc, { program: RING, stopOnEntry: true }, async () => {
      await noHazardStops(dc)();
      const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'dma_sync_*' }, { name: 'kfree' }, { name: 'nothing_like_this' }] });
      assert.deepEqual(r.body.breakpoints.map((b) => b.verified), [true, true, false]);
    });
    const stops = await collect(dc, 'continue', 'end');
    assert.equal(stops.length, 9, '8 syncs and the kfree');
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'owner:rx' }] });
    const back = await move(dc, 'reverseContinue');
    assert.equal(back.body.reason, 'function breakpoint');
    assert.equal(await scenarioLine(dc, back.body.threadId), 19, 'the kfree took rx away from the CPU');
    const owners = await collect(dc, 'reverseContinue', 'entry');
    assert.equal(owners.length, 11, 'the unmap, the 8 syncs, the map and the kmalloc changed the owner of rx');
  });

  test('data breakpoints on a buffer owner, set from the Variables view, fire on ownership changes both ways', async () => {
    await launch(dc, { program: RING }, async () => {
      await noHazardStops(dc)();
      await dc.setBreakpointsRequest({ source: { path: RING }, breakpoints: [{ line: 9 }] });
    });
    const frame = await topFrame(dc);
    const scopes = await dc.scopesRequest({ frameId: frame.id });
    const locals = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
    const rx = locals.body.variables.find((v) => v.name === 'rx')!;
    const info = await dc.dataBreakpointInfoRequest({ variablesReference: rx.variablesReference, name: 'owner' });
    assert.ok(info.body.dataId, info.body.description);
    const notWatchable = await dc.dataBreakpointInfoRequest({ variablesReference: rx.variablesReference, name: 'size' });
    assert.equal(notWatchable.body.dataId, null);
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId! }] });
    assert.equal(set.body.breakpoints[0].verified, true);
    await dc.setBreakpointsRequest({ source: { path: RING }, breakpoints: [] });
    const forward: (number | undefined)[] = [];
    for (;;) {
      const stop = await move(dc, 'continue');
      if (stop.body.reason === 'end') break;
      assert.equal(stop.body.reason, 'data breakpoint');
      forward.push(await scenarioLine(dc, stop.body.threadId));
    }
    assert.deepEqual(forward, [10, 12, 10, 12, 10, 12, 10, 12, 18, 19], 'the kfree too: the owner becomes none');
    const backward: (number | undefined)[] = [];
    for (;;) {
      const stop = await move(dc, 'reverseContinue');
      if (stop.body.reason === 'entry') break;
      backward.push(await scenarioLine(dc, stop.body.threadId));
    }
    assert.deepEqual(backward, [19, 18, 12, 10, 12, 10, 12, 10, 12, 10, 6, 5], 'and, going back, the kmalloc that gave rx an owner');
  });

  test('hazard filters stop where a hazard is raised; exceptionInfo gives the kind, the message and the related lines', async () => {
    const stop = await launch(dc, { program: STALE });
    assert.equal(stop.body.reason, 'exception');
    assert.equal(await scenarioLine(dc, stop.body.threadId), 9);
    const info = await dc.exceptionInfoRequest({ threadId: stop.body.threadId ?? 1 });
    assert.equal(info.body.exceptionId, 'cpu-access-while-device-owned');
    assert.match(info.body.description!, /dma_sync_single_for_cpu/);
    assert.match(info.body.details!.stackTrace!, /stale\.dmabuf:7:1/);
    await dc.setExceptionBreakpointsRequest({ filters: ['leak'] });
    const end = await move(dc, 'continue');
    assert.equal(end.body.reason, 'end');
    await dc.setExceptionBreakpointsRequest({ filters: ['stale-read'] });
    const back = await move(dc, 'reverseContinue');
    assert.equal(back.body.reason, 'exception');
    assert.equal((await dc.exceptionInfoRequest({ threadId: back.body.threadId ?? 1 })).body.exceptionId, 'stale-read');
  });

  test('gotoTargets lists every execution of a statement and goto jumps to one of them', async () => {
    await launch(dc, { program: RING, stopOnEntry: true }, noHazardStops(dc));
    const targets = await dc.gotoTargetsRequest({ source: { path: RING }, line: 10 });
    assert.equal(targets.body.targets.length, 4);
    const third = targets.body.targets[2];
    assert.match(third.label, /execution 3 of 4 \(statement \d+\)$/);
    const stop = await move(dc, 'goto', { threadId: 1, targetId: third.id });
    assert.equal(stop.body.reason, 'goto');
    assert.equal(await scenarioLine(dc, stop.body.threadId), 10);
    const st = await dc.stackTraceRequest({ threadId: stop.body.threadId ?? 1 });
    assert.equal(st.body.stackFrames[1].name, 'repeat 3/4');
  });

  test('restart records the run again and keeps the breakpoints', async () => {
    await launch(dc, { program: RING }, async () => {
      await noHazardStops(dc)();
      await dc.setBreakpointsRequest({ source: { path: RING }, breakpoints: [{ line: 12 }] });
    });
    await move(dc, 'continue');
    const again = dc.waitForEvent('stopped');
    await dc.restartRequest({});
    const stop = (await again) as DebugProtocol.StoppedEvent;
    assert.equal(stop.body.reason, 'breakpoint');
    const st = await dc.stackTraceRequest({ threadId: 1 });
    assert.deepEqual([st.body.stackFrames[0].line, st.body.stackFrames[1].name], [12, 'repeat 1/4']);
  });

  test('a scenario that never ends stops at stepLimit; stepping back works there; continuing ends the session', async () => {
    const progress: string[] = [];
    dc.on('progressStart', () => progress.push('start'));
    dc.on('progressEnd', () => progress.push('end'));
    await launch(dc, { program: fixture('endless.dmabuf'), stepLimit: 120_000, stopOnEntry: true }, noHazardStops(dc));
    assert.deepEqual(progress, ['start', 'end'], 'a long recording reports its progress');
    const end = await move(dc, 'continue');
    assert.equal(end.body.reason, 'end');
    assert.equal(end.body.description, 'The scenario stopped after 120000 statements at the step limit');
    await move(dc, 'stepBack');
    assert.equal(await scenarioLine(dc, 1), 5, 'the last statement run: the write of step 120000');
    await move(dc, 'continue');
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: 1 });
    await terminated;
  });

  test('each statement prints its machine events as one group; hazards print as warnings at their location', async () => {
    const output: DebugProtocol.OutputEvent[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e));
    await launch(dc, { program: STALE, stopOnEntry: true }, noHazardStops(dc));
    await move(dc, 'continue');
    const map = output.findIndex((e) => e.body.group === 'startCollapsed' && /dma_map_single/.test(e.body.output));
    assert.ok(map >= 0);
    const end = output.findIndex((e, i) => i > map && e.body.group === 'end');
    assert.ok(output.slice(map, end).some((e) => /owner of rx .*cpu -> nic:FROM_DEVICE/.test(e.body.output)));
    const warning = output.find((e) => e.body.category === 'stderr' && /warning: stale-read/.test(e.body.output));
    assert.equal(warning?.body.line, 9);
    assert.match(warning!.body.output, /stale\.dmabuf:9:1: warning: stale-read: .*\n.*note: /);
  });

  test('setting breakpoints before a launch is a bad request that leaves the session usable', async () => {
    assert.match(await failure(dc.setBreakpointsRequest({ source: { path: RING }, breakpoints: [{ line: 9 }] })), /No scenario/);
    const stop = await launch(dc, { program: RING, stopOnEntry: true });
    assert.equal(stop.body.reason, 'entry');
  });
});

describe('data breakpoints on cache lines and bytes', () => {
  let dc: DebugClient;
  beforeEach(async () => (dc = await startClient()));
  afterEach(() => dc.stop());

  /** Lines of the steps where the watched value changed, continuing to the end then back to the start. */
  async function firings(): Promise<{ forward: (number | undefined)[]; backward: (number | undefined)[] }> {
    const forward: (number | undefined)[] = [];
    for (let stop = await move(dc, 'continue'); stop.body.reason !== 'end'; stop = await move(dc, 'continue')) {
      assert.equal(stop.body.reason, 'data breakpoint');
      forward.push(await scenarioLine(dc, stop.body.threadId));
    }
    const backward: (number | undefined)[] = [];
    for (let stop = await move(dc, 'reverseContinue'); stop.body.reason !== 'entry'; stop = await move(dc, 'reverseContinue')) {
      backward.push(await scenarioLine(dc, stop.body.threadId));
    }
    return { forward, backward };
  }

  async function watch(expression: string): Promise<void> {
    await launch(dc, { program: STALE, stopOnEntry: true }, noHazardStops(dc));
    await move(dc, 'next');
    const info = await dc.dataBreakpointInfoRequest({ name: expression, frameId: (await topFrame(dc)).id });
    assert.ok(info.body.dataId, info.body.description);
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId! }] });
  }

  test("a cache line's state: filled by the read, dropped by the unmap's invalidate, filled again", async () => {
    await watch('cache.line(rx, 0).state');
    const { forward, backward } = await firings();
    assert.deepEqual(forward, [6, 10, 11]);
    assert.deepEqual(backward, [11, 10, 6]);
  });

  test("a byte range's contents as the CPU reads them: the stale line hides the device's write until the unmap", async () => {
    await watch('rx[0x0]');
    const { forward, backward } = await firings();
    assert.deepEqual(forward, [10]);
    assert.deepEqual(backward, [10, 5], 'going back, the kmalloc that created the bytes changes them too');
  });
});
