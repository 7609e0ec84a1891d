// Debugging a real kernel trace over the stdio adapter: a trace program opens as one, each event is a step,
// threads are the trace's CPUs, the stack names the task and the event, breakpoints by line, event name, device,
// dma address and phys range, exception breakpoints on planted findings, time travel, Variables and hover.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkTrace, isBug, TraceCursor } from '../../src/ftrace/index';
import { failure, launch, move, startClient, stateOf } from './client';
import { generatedTrace, lineWith, mutated, reusedUnmap, trace } from './traceFiles';

const UDMABUF = trace('udmabuf-noiommu.trace.txt');
const E1000 = trace('e1000-swiotlb-force.trace.txt');
const E1000E = trace('e1000e-intel-iommu.trace.txt');
const noHazardStops = (dc: DebugClient) => () => dc.setExceptionBreakpointsRequest({ filters: [] });

async function frames(dc: DebugClient, threadId = 1): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId })).body.stackFrames;
}

/** The line of the event the debugger stands before (the innermost frame in the trace file). */
async function traceLine(dc: DebugClient, threadId = 1): Promise<number> {
  return (await frames(dc, threadId)).find((f) => f.source?.path)!.line;
}

/** Every line a continue stops at until the end. */
async function stopLines(dc: DebugClient): Promise<number[]> {
  const lines: number[] = [];
  for (let i = 0; i < 50; i++) {
    const stop = await move(dc, 'continue');
    if (stop.body.reason === 'end') return lines;
    lines.push(await traceLine(dc, stop.body.threadId));
  }
  throw new Error('no end in sight');
}

/** A scope's variables by name, and one level into `path` (names of nested variables). */
async function variables(dc: DebugClient, scope: string, ...path: string[]): Promise<DebugProtocol.Variable[]> {
  const frame = (await frames(dc))[0];
  const scopes = await dc.scopesRequest({ frameId: frame.id });
  let ref = scopes.body.scopes.find((s) => s.name === scope)!.variablesReference;
  let vars = (await dc.variablesRequest({ variablesReference: ref })).body.variables;
  for (const name of path) {
    ref = vars.find((v) => v.name === name)!.variablesReference;
    vars = (await dc.variablesRequest({ variablesReference: ref })).body.variables;
  }
  return vars;
}

/**
 * Replaces `file` as an editor saves it: a new file written beside it (one mark's text edited) and renamed over it,
 * a new inode. `same`: of the same size and time as `file`, so that only the inode tells them apart.
 */
function replaceByRename(file: string, same: boolean): void {
  const was = fs.statSync(file);
  const old = fs.readFileSync(file, 'latin1');
  const text = old.replace('tracing_mark_write: pair 99', same ? 'tracing_mark_write: pair 98' : 'tracing_mark_write: pair 98 (edited)');
  assert.notEqual(text, old);
  const beside = `${file}.saving`;
  fs.writeFileSync(beside, text, 'latin1');
  if (same) fs.utimesSync(beside, was.atime, was.mtime);
  fs.renameSync(beside, file);
  const now = fs.statSync(file);
  assert.notEqual(now.ino, was.ino);
  if (same) assert.deepEqual([now.size, now.mtimeMs], [was.size, was.mtimeMs]);
  else assert.notEqual(now.size, was.size);
}

describe('debugging a kernel trace', () => {
  let dc: DebugClient;
  beforeEach(async () => (dc = await startClient()));
  afterEach(() => dc.stop());

  test('a capture with no event (empty, or text that is no capture) fails to launch: there is no CPU to stop on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmabuf-empty-'));
    try {
      for (const [name, text] of [['empty.trace', ''], ['header.trace', '# tracer: nop\n#\n'], ['notes.trace', 'Notes on the camera pipeline\n']]) {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        const terminated = dc.waitForEvent('terminated');
        assert.match(await failure(dc.launchRequest({ program: file } as DebugProtocol.LaunchRequestArguments)), /holds no event to step through/, name);
        await terminated;
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('threads are the CPUs and the stack names the task and the event, each event a step', async () => {
    const entry = await launch(dc, { program: UDMABUF, stopOnEntry: true });
    assert.equal(entry.body.reason, 'entry');
    const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
    assert.deepEqual(threads, ['CPU 0', 'CPU 1']);
    const first = await frames(dc, 2);
    assert.deepEqual(first.map((f) => [f.name, f.line]), [['tracing_mark_write', 13], ['init-1 on CPU 1 @ 5.197607', 13]]);
    assert.equal(first[0].source?.path, UDMABUF);
    await move(dc, 'next');
    const stop = await move(dc, 'next');
    assert.equal(stop.body.threadId, 1, 'the dma_map_sg ran on CPU 0');
    assert.deepEqual((await frames(dc, 1)).map((f) => [f.name, f.line]), [['dma_map_sg udmabuf', 15], ['udmabuf-sync-157 on CPU 0 @ 5.434555', 15]]);
    const idle = await frames(dc, 2);
    assert.match(idle[0].name, /CPU 1: last ran tracing_mark_write/);
  });

  test('a .txt with an ftrace header opens as a trace; a line breakpoint stops before that event', async () => {
    const copy = mutated('udmabuf-noiommu.trace.txt', (l) => l, 'capture.txt');
    let set: DebugProtocol.SetBreakpointsResponse | undefined;
    await launch(dc, { program: copy }, async () => {
      await noHazardStops(dc)();
      set = await dc.setBreakpointsRequest({ source: { path: copy }, breakpoints: [{ line: 18 }, { line: 3 }] });
    });
    assert.deepEqual(set!.body.breakpoints.map((b) => b.verified), [true, false]);
    assert.equal(await traceLine(dc), 18);
  });

  test('function breakpoints stop on an event name, a device, a dma address and a phys range', async () => {
    const names = ['dma_map_sg', 'device:udmabuf', 'dma:0x1d5e000', 'phys:0x4a79000-0x4a79fff', 'dma:0xdead0000'];
    const results: number[][] = [];
    const verified: boolean[] = [];
    for (const name of names) {
      const client = await startClient();
      // Stopped even when a step fails: a live adapter would keep the test process from ending.
      try {
        await launch(client, { program: UDMABUF, stopOnEntry: true }, async () => {
          await noHazardStops(client)();
          verified.push((await client.setFunctionBreakpointsRequest({ breakpoints: [{ name }] })).body.breakpoints[0].verified);
        });
        results.push(await stopLines(client));
      } finally {
        await client.stop();
      }
    }
    assert.deepEqual(results, [[15, 18], [15, 16, 18, 19], [15, 16], [18, 19], []]);
    assert.deepEqual(verified, [true, true, true, true, false]);
  });

  test('an exception breakpoint stops on the finding of its kind: the real direction mismatch of udmabuf', async () => {
    const stop = await launch(dc, { program: UDMABUF }, () => dc.setExceptionBreakpointsRequest({ filters: ['api-misuse'] }));
    assert.equal(stop.body.reason, 'exception');
    assert.equal(await traceLine(dc, stop.body.threadId), 16);
    const info = await dc.exceptionInfoRequest({ threadId: stop.body.threadId! });
    assert.equal(info.body.exceptionId, 'api-misuse');
    assert.match(info.body.description!, /^udmabuf: dma_unmap_sg .* uses BIDIRECTIONAL, but the sg mapping at line 15 .* was mapped TO_DEVICE/);
    assert.match(info.body.details!.stackTrace!, new RegExp(`${UDMABUF}:15:1: mapped here`));
    // The state shows the unmap's effect (the mapping is gone), and the Event scope the unmap, not the next event.
    const event = Object.fromEntries((await variables(dc, 'Event')).map((v) => [v.name, v.value]));
    assert.deepEqual([event.name, event.line, event.phys_addrs?.slice(0, 11)], ['dma_unmap_sg', '16', '{0x1018c000']);
    assert.equal((await dc.evaluateRequest({ expression: 'event.line', context: 'watch' })).body.result, '16');
    assert.match((await dc.evaluateRequest({ expression: '0x1018c000', context: 'hover' })).body.result, /no live mapping holds it before line 17/);
  });

  test('exception breakpoints stop on planted findings: a repeated unmap, a deleted unmap', async () => {
    const doubled = mutated('e1000-swiotlb-force.trace.txt', (lines) => {
      const i = lines.findIndex((l) => l.includes('dma_unmap_phys:'));
      return [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)];
    });
    const stop = await launch(dc, { program: doubled }, () => dc.setExceptionBreakpointsRequest({ filters: ['api-misuse'] }));
    assert.equal(await traceLine(dc, stop.body.threadId), lineWith(doubled, 'dma_unmap_phys:') + 1);
    assert.equal((await dc.exceptionInfoRequest({ threadId: stop.body.threadId! })).body.details?.fullTypeName, 'api-misuse/double-unmap');
    await dc.stop();

    // Without the unmap, the IOVA is handed out again while the trace says it is still mapped: a leak.
    const dropped = mutated('e1000e-intel-iommu.trace.txt', (lines) => {
      const i = reusedUnmap(lines);
      return [...lines.slice(0, i), ...lines.slice(i + 1)];
    });
    dc = await startClient();
    const leak = await launch(dc, { program: dropped }, () => dc.setExceptionBreakpointsRequest({ filters: ['leak'] }));
    assert.equal(leak.body.reason, 'exception');
    assert.equal((await dc.exceptionInfoRequest({ threadId: leak.body.threadId! })).body.details?.fullTypeName, 'leak/missing-unmap');
  });

  test('reverseContinue stops where continue stopped, in reverse, with the same variables', async () => {
    await launch(dc, { program: E1000, stopOnEntry: true }, async () => {
      await noHazardStops(dc)();
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'dma_map_phys', hitCondition: '% 150' }] });
    });
    const forward: string[][] = [];
    for (;;) {
      const stop = await move(dc, 'continue');
      if (stop.body.reason === 'end') break;
      forward.push(await stateOf(dc, stop.body.threadId));
    }
    assert.ok(forward.length >= 5, `${forward.length} stops`);
    const backward: string[][] = [];
    for (;;) {
      const stop = await move(dc, 'reverseContinue');
      if (stop.body.reason === 'entry') break;
      backward.push(await stateOf(dc, stop.body.threadId));
    }
    assert.deepEqual(backward.reverse(), forward);
  });

  test('stepBack reaches the states that next reached', async () => {
    await launch(dc, { program: E1000, stopOnEntry: true }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'dma_map_phys', hitCondition: '== 40' }] }));
    await move(dc, 'continue');
    const forward = [await stateOf(dc)];
    for (let i = 0; i < 30; i++) forward.push(await stateOf(dc, (await move(dc, 'next')).body.threadId));
    const backward = [forward[forward.length - 1]];
    for (let i = 0; i < 30; i++) backward.push(await stateOf(dc, (await move(dc, 'stepBack')).body.threadId));
    assert.deepEqual(backward.reverse(), forward);
  });

  test('Variables show each device live mappings with their sg lists', async () => {
    await launch(dc, { program: UDMABUF, stopOnEntry: true }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'dma_unmap_sg' }] }));
    await move(dc, 'continue');
    assert.equal(await traceLine(dc), 16);
    const event = await variables(dc, 'Event');
    assert.deepEqual(['name', 'line', 'task', 'cpu'].map((n) => event.find((v) => v.name === n)?.value), ['dma_unmap_sg', '16', 'udmabuf-sync', '0']);
    const devices = await variables(dc, 'Devices');
    assert.deepEqual(devices.map((d) => `${d.name}: ${d.value}`), ['udmabuf: 1 live mappings, 0 coherent allocations']);
    const mapping = (await variables(dc, 'Devices', 'udmabuf', 'mappings'))[0];
    assert.match(mapping.value, /sg mapping at line 15 \(16 entries, first 0x1018c000\), TO_DEVICE/);
    const sg = await variables(dc, 'Devices', 'udmabuf', 'mappings', mapping.name, 'sg list');
    assert.equal(sg.length, 16);
    assert.equal(sg[1].value, 'dma 0x1d5e000, phys 0x1d5e000, 4096 bytes');
    const watch = await dc.evaluateRequest({ expression: 'devices.udmabuf.mappings[0].nents', context: 'watch' });
    assert.equal(watch.body.result, '16');
  });

  test('Variables show the IOMMU mappings and the bounce slots in use', async () => {
    await launch(dc, { program: E1000E, stopOnEntry: true }, async () => {
      await noHazardStops(dc)();
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'map', hitCondition: '== 20' }] });
    });
    await move(dc, 'continue');
    const iommu = await variables(dc, 'IOMMU');
    assert.ok(iommu.length > 0 && iommu.every((v) => /^iova 0x[0-9a-f]+ -> paddr 0x[0-9a-f]+, \d+ bytes/.test(v.value)), JSON.stringify(iommu.slice(0, 2)));
    await dc.stop();

    dc = await startClient();
    await launch(dc, { program: E1000, stopOnEntry: true }, async () => {
      await noHazardStops(dc)();
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'dma_map_phys', hitCondition: '== 20' }] });
    });
    await move(dc, 'continue');
    const slots = await variables(dc, 'Bounce slots');
    assert.ok(slots.length > 0 && slots.every((v) => /^slot 0x[0-9a-f]+ <- phys 0x[0-9a-f]+/.test(v.value)), JSON.stringify(slots.slice(0, 2)));
  });

  test('hover over an address shows the mapping that holds it, and nothing once it is unmapped', async () => {
    await launch(dc, { program: UDMABUF, stopOnEntry: true }, () => dc.setBreakpointsRequest({ source: { path: UDMABUF }, breakpoints: [{ line: 16 }, { line: 17 }] }));
    await move(dc, 'continue');
    const frame = (await frames(dc))[0];
    const held = await dc.evaluateRequest({ expression: '0x1d5e000', context: 'hover', frameId: frame.id });
    assert.match(held.body.result, /^udmabuf: the sg mapping at line 15 .* TO_DEVICE, entry 1: dma 0x1d5e000 <-> phys 0x1d5e000, 4096 bytes/);
    assert.ok(held.body.variablesReference > 0);
    await move(dc, 'continue');
    const gone = await dc.evaluateRequest({ expression: '0x1d5e000', context: 'hover' });
    assert.equal(gone.body.result, '0x1d5e000: no live mapping holds it before line 17');
  });

  test('a long trace is recorded with progress events and a breakpoint anywhere in it reaches its line', async () => {
    const long = mutated('e1000-swiotlb-force.trace.txt', (lines) => {
      const events = lines.filter((l) => l.trim() !== '' && !l.startsWith('#'));
      return [...lines.filter((l) => l.startsWith('#')), ...Array.from({ length: 10 }, () => events).flat()];
    });
    const progress = dc.waitForEvent('progressStart');
    const ended = dc.waitForEvent('progressEnd');
    await launch(dc, { program: long, stopOnEntry: true }, async () => {
      await noHazardStops(dc)();
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: '*', hitCondition: '== 60000' }] });
    });
    assert.match((await progress).body.title, /^Recording the trace$/);
    assert.match((await ended).body.message, /63\d\d\d events recorded/);
    const hit = await move(dc, 'continue');
    assert.equal(hit.body.reason, 'function breakpoint', JSON.stringify(hit.body));
    const headerLines = (await import('fs')).readFileSync(long, 'latin1').split('\n').filter((l) => l.startsWith('#')).length;
    assert.equal(await traceLine(dc, hit.body.threadId), headerLines + 60000);
    const back = await move(dc, 'stepBack');
    assert.equal(await traceLine(dc, back.body.threadId), headerLines + 59999);
  });

  test('a condition compares a path with a hex literal, which is not read as an address', async () => {
    await launch(dc, { program: UDMABUF, stopOnEntry: true }, async () => {
      await noHazardStops(dc)();
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'dma_unmap_sg', condition: 'devices.udmabuf.mappings[0].nents == 0x100' }] });
    });
    assert.deepEqual(await stopLines(dc), [19]);
  });

  test('a capture past 16 MiB is recorded on reading threads (the bundle\'s) and stops where the checker finds its bugs', async () => {
    const file = generatedTrace(200_000, { bugEvery: 40_000 });
    assert.ok(fs.statSync(file).size > 16 * 2 ** 20);
    const bugs = checkTrace(TraceCursor.open(file), file, {}, { thread: false }).findings.filter(isBug).map((f) => f.line);
    assert.ok(bugs.length >= 2);
    await launch(dc, { program: file, stopOnEntry: true });
    const lines: number[] = [];
    for (let stop = await move(dc, 'continue'); stop.body.reason !== 'end' && lines.length <= bugs.length; stop = await move(dc, 'continue')) {
      lines.push(await traceLine(dc, stop.body.threadId));
    }
    assert.deepEqual(lines, bugs);
    const back = await move(dc, 'reverseContinue');
    assert.equal(await traceLine(dc, back.body.threadId), bugs[bugs.length - 1]);
  });

  test('a launch cancelled while it records a large capture fails as cancelled and ends the session', async () => {
    const file = generatedTrace(200_000);
    dc.on('progressStart', (e: DebugProtocol.ProgressStartEvent) => void dc.customRequest('cancel', { progressId: e.body.progressId }));
    const initialized = dc.waitForEvent('initialized');
    const terminated = dc.waitForEvent('terminated');
    const launched = dc.launchRequest({ program: file, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
    await Promise.race([initialized, launched.catch(() => undefined)]);
    await assert.rejects(launched, /Launch cancelled after \d+ events/);
    await terminated;
  });

  test('a capture changed on disk while debugged: what must read it fails saying so, nothing moves, and a restart reads it anew', async () => {
    const file = generatedTrace(10_000);
    await launch(dc, { program: file, stopOnEntry: true }, noHazardStops(dc));
    let stops = 0;
    dc.on('stopped', () => stops++);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, 1000);
    const changed = new RegExp(`changed on disk since it was opened \\(${size} bytes then, 1000 now\\).*restart`);
    assert.match(await failure(dc.gotoRequest({ threadId: 1, targetId: 9000 })), changed);
    assert.match(await failure(dc.stackTraceRequest({ threadId: 1 })), changed);
    fs.rmSync(file);
    assert.match(await failure(dc.gotoRequest({ threadId: 1, targetId: 5000 })), /changed on disk since it was opened \(it was deleted\)/);
    // The session answers, and no stop followed the failed motions.
    assert.ok((await dc.threadsRequest()).body.threads.length > 0);
    assert.equal(stops, 0);
    fs.copyFileSync(generatedTrace(3000), file);
    const stopped = dc.waitForEvent('stopped');
    await dc.customRequest('restart', {});
    await stopped;
    const stop = await move(dc, 'goto', { threadId: 1, targetId: 2500 });
    assert.equal(await traceLine(dc, stop.body.threadId), 2502);
  });

  test('a forward motion after the capture was deleted, truncated, rewritten or replaced by rename fails saying so, and nothing moves', async () => {
    // Each change, and the reason the failure gives for it.
    const changes = {
      deleted: /\(it was deleted\)/,
      truncated: /\(\d+ bytes then, \d+ now\)/,
      rewritten: /\(it was rewritten\)/,
      'renamed over, same size and time': /\(it was replaced\)/,
      'renamed over, another size': /\(it was replaced\)/,
    };
    for (const [change, reason] of Object.entries(changes)) {
      const c = await startClient();
      try {
        const file = generatedTrace(10_000);
        // Whole seconds, so that a file renamed over it can be given the very same time: only its inode then differs.
        fs.utimesSync(file, 1e9, 1e9);
        await launch(c, { program: file, stopOnEntry: true }, noHazardStops(c));
        // A step first, so that the next one reads on from the file the engine holds open, restoring nothing.
        await move(c, 'next', { threadId: 1 });
        let stops = 0;
        c.on('stopped', () => stops++);
        const entry = await traceLine(c);
        if (change === 'deleted') fs.rmSync(file);
        else if (change === 'truncated') fs.truncateSync(file, fs.statSync(file).size - 1);
        else if (change === 'rewritten') fs.utimesSync(file, 2e9, 2e9);
        else replaceByRename(file, change === 'renamed over, same size and time');
        for (const motion of [() => c.nextRequest({ threadId: 1 }), () => c.continueRequest({ threadId: 1 }), () => c.stepInRequest({ threadId: 1 })]) {
          const message = await failure(motion());
          assert.match(message, /changed on disk since it was opened/, change);
          assert.match(message, reason, change);
        }
        assert.equal(stops, 0, change);
        // The debugger stands where it stood: a failed motion puts the cursor back.
        assert.equal(await traceLine(c), entry, change);
        // The session is alive: a later request answers.
        assert.deepEqual((await c.threadsRequest()).body.threads.map((t) => t.name), ['CPU 0', 'CPU 1', 'CPU 2', 'CPU 3'], change);
      } finally {
        await c.stop();
      }
    }
  });

  test('a motion that fails because the capture changed leaves the debugger where it stood', async () => {
    const file = generatedTrace(10_000);
    // Whole seconds, so that the file can be given back its time exactly.
    fs.utimesSync(file, 1e9, 1e9);
    const bytes = fs.readFileSync(file);
    await launch(dc, { program: file, stopOnEntry: true }, noHazardStops(dc));
    const entry = await traceLine(dc);
    fs.truncateSync(file, 1000);
    assert.match(await failure(dc.gotoRequest({ threadId: 1, targetId: 9000 })), /changed on disk since it was opened/);
    // Put back as it was, the file shows where the debugger stands: where it stood before the goto.
    fs.writeFileSync(file, bytes);
    fs.utimesSync(file, 1e9, 1e9);
    assert.equal(await traceLine(dc), entry);
  });

  test('breakpoint locations and goto targets find the event of a line, across a page of events', async () => {
    const file = generatedTrace(5000);
    await launch(dc, { program: file, stopOnEntry: true }, noHazardStops(dc));
    // Event 4097 (the first of the second page) is on line 4099, after the two header lines.
    const locations = await dc.customRequest('breakpointLocations', { source: { path: file }, line: 4098, endLine: 4100 });
    assert.deepEqual(locations.body.breakpoints.map((b: DebugProtocol.BreakpointLocation) => b.line), [4098, 4099, 4100]);
    const targets = await dc.gotoTargetsRequest({ source: { path: file }, line: 4099 });
    assert.equal(targets.body.targets.length, 1);
    assert.match(targets.body.targets[0].label, /\(event 4097\)$/);
    const stop = await move(dc, 'goto', { threadId: 1, targetId: targets.body.targets[0].id });
    assert.equal(await traceLine(dc, stop.body.threadId), 4099);
    const back = await move(dc, 'stepBack', { threadId: stop.body.threadId });
    assert.equal(await traceLine(dc, back.body.threadId), 4098);
  });
});
