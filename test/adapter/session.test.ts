// The stdio adapter driven by DebugClient the way VS Code drives it: launch, threads and frames, stepping into
// the modeled kernel, variables and memory, evaluate, and error responses that leave the session going.
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { HAZARD_KINDS } from '../../src/machine/hazards';
import { failure, fixture, launch, move, scenarioLine, startClient, stateOf, topFrame } from './client';

const CAMERA = fixture('camera.dmabuf');

describe('launch', () => {
  let dc: DebugClient;
  before(async () => (dc = await startClient()));
  after(() => dc.stop());

  test('parse errors end the launch with every positioned message, in the output and the error response', async () => {
    const output: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    const terminated = dc.waitForEvent('terminated');
    const message = await failure(dc.launchRequest({ program: fixture('broken.dmabuf') } as DebugProtocol.LaunchRequestArguments));
    assert.match(message, /broken\.dmabuf:4:\d+: error: /);
    assert.match(message, /broken\.dmabuf:5:\d+: error: /);
    await terminated;
    assert.ok(output.some((o) => /broken\.dmabuf:4:\d+: error: /.test(o)));
  });

  test('a launch without a program, or with a wrong platform or stepLimit, gets an error response', async () => {
    assert.match(await failure(dc.launchRequest({} as DebugProtocol.LaunchRequestArguments)), /program/);
    assert.match(await failure(dc.launchRequest({ program: CAMERA, platform: 'sparc' } as DebugProtocol.LaunchRequestArguments)), /platform/);
    assert.match(await failure(dc.launchRequest({ program: CAMERA, stepLimit: -3 } as DebugProtocol.LaunchRequestArguments)), /stepLimit/);
    assert.match(await failure(dc.launchRequest({ program: fixture('missing.dmabuf') } as DebugProtocol.LaunchRequestArguments)), /cannot read/);
  });

  test('disconnect always answers', async () => {
    await dc.disconnectRequest({});
  });
});

describe('a stopped scenario', () => {
  let dc: DebugClient;
  before(async () => (dc = await startClient()));
  after(() => dc.stop());

  test('initialize declares time travel, every breakpoint kind and one exception filter per hazard kind', async () => {
    const r = await dc.initializeRequest({ adapterID: 'dmabuf', pathFormat: 'path' });
    const caps = r.body!;
    assert.equal(caps.supportsStepBack, true);
    assert.equal(caps.supportsDataBreakpoints, true);
    assert.equal(caps.supportsGotoTargetsRequest, true);
    assert.deepEqual(caps.exceptionBreakpointFilters!.map((f) => f.filter), [...HAZARD_KINDS]);
  });

  test('stopOnEntry stops before the first statement, on the cpu thread', async () => {
    // Stepping here walks the scenario statement by statement: no stops inside steps for hazards.
    const stop = await launch(dc, { program: CAMERA, stopOnEntry: true }, () => dc.setExceptionBreakpointsRequest({ filters: [] }));
    assert.equal(stop.body.reason, 'entry');
    assert.equal(stop.body.threadId, 1);
    const frame = await topFrame(dc);
    assert.equal(frame.line, 14);
    assert.equal(frame.name, 'main');
  });

  test('threads: the CPU and each declared device', async () => {
    const r = await dc.threadsRequest();
    assert.deepEqual(r.body.threads.map((t) => t.name), ['cpu', 'isp', 'gpu']);
  });

  test('step in enters a proc inside a repeat iteration named with its index', async () => {
    await move(dc, 'next');
    await move(dc, 'next');
    const stop = await move(dc, 'stepIn');
    assert.equal(stop.body.reason, 'step');
    const st = await dc.stackTraceRequest({ threadId: 1 });
    assert.deepEqual(st.body.stackFrames.map((f) => [f.name, f.line]), [['capture', 9], ['repeat 1/3', 17], ['main', 16]]);
  });

  test('step into an API call shows the modeled kernel from a virtual source; step out returns to the scenario', async () => {
    await move(dc, 'stepIn');
    const st = await dc.stackTraceRequest({ threadId: 1 });
    const top = st.body.stackFrames[0];
    assert.ok(top.source?.sourceReference, 'kernel frames come from a sourceReference');
    const src = await dc.sourceRequest({ sourceReference: top.source!.sourceReference!, source: top.source });
    assert.match(src.body.content, /dma_buf_map_attachment/);
    assert.match(src.body.content.split('\n')[top.line - 1], /\S/);
    assert.equal(st.body.stackFrames.at(-3)?.name, 'capture', 'the scenario frames stay below the kernel frames');
    let frame = top;
    let stop: DebugProtocol.StoppedEvent | undefined;
    for (let i = 0; i < 50 && frame.source?.sourceReference; i++) {
      stop = await move(dc, 'stepOut');
      frame = await topFrame(dc, stop.body.threadId);
    }
    assert.equal(frame.line, 10, 'back in the scenario at the next statement');
    assert.equal(stop?.body.threadId, 2, 'isp.write runs on the isp thread');
  });

  test('a device statement stops on its device thread; the CPU thread shows where it last ran', async () => {
    const isp = await dc.stackTraceRequest({ threadId: 2 });
    assert.equal(isp.body.stackFrames[0].line, 10);
    const cpu = await dc.stackTraceRequest({ threadId: 1 });
    assert.equal(cpu.body.stackFrames.length, 1);
    assert.match(cpu.body.stackFrames[0].name, /cpu: last ran dma_buf_map_attachment/);
  });

  test('scopes: Locals, Buffers, Devices, Attachments and mappings, CPU cache, Hazards', async () => {
    const frame = await topFrame(dc, 2);
    const scopes = await dc.scopesRequest({ frameId: frame.id });
    assert.deepEqual(scopes.body.scopes.map((s) => s.name), ['Locals', 'Buffers', 'Devices', 'Attachments and mappings', 'CPU cache', 'Hazards']);
    const locals = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
    const names = locals.body.variables.map((v) => v.name);
    assert.ok(names.includes('sgt') && names.includes('att') && names.includes('buf'), names.join(','));
  });

  test('an evaluate that fails on a 100 KB expression answers with a short message: the names it repeats are cut', async () => {
    const frameId = (await topFrame(dc, 2)).id;
    for (const expression of [`buf.${'f'.repeat(100_000)}`, `${'n'.repeat(100_000)}.size`, `buf.owners.${'q'.repeat(100_000)}[0]`]) {
      const message = await failure(dc.evaluateRequest({ expression, context: 'watch', frameId }));
      assert.ok(message.length < 400, `${message.length} characters: ${message.slice(0, 200)}`);
      assert.match(message, /…/);
    }
  });

  test('a buffer shows size, kind, exporter, owner by range, pages, refcount, attachments, mappings and a memory reference', async () => {
    const r = await dc.evaluateRequest({ expression: 'buf', context: 'watch', frameId: (await topFrame(dc, 2)).id });
    assert.ok(r.body.memoryReference);
    const fields = await dc.variablesRequest({ variablesReference: r.body.variablesReference });
    const byName = new Map(fields.body.variables.map((v) => [v.name, v]));
    for (const f of ['size', 'kind', 'exporter', 'owner', 'owners', 'pages', 'refcount', 'attachments', 'mappings']) assert.ok(byName.has(f), `missing ${f}`);
    assert.match(byName.get('owner')!.value, /isp:FROM_DEVICE/);
    assert.match(byName.get('exporter')!.value, /system heap/);
    assert.ok(byName.get('pages')!.indexedVariables! >= 1);
  });

  test('a mapping shows its sg table with nents, orig_nents and per-entry phys, length, dma_address, dma_length', async () => {
    const frameId = (await topFrame(dc, 2)).id;
    const nents = await dc.evaluateRequest({ expression: 'sgt.nents', context: 'watch', frameId });
    assert.match(nents.body.result, /^\d+$/);
    const entry = await dc.evaluateRequest({ expression: 'sgt[0]', context: 'hover', frameId });
    const fields = await dc.variablesRequest({ variablesReference: entry.body.variablesReference });
    assert.deepEqual(fields.body.variables.map((v) => v.name), ['phys', 'length', 'dma_address', 'dma_length']);
    const dma = await dc.evaluateRequest({ expression: 'sgt[0].dma_address', context: 'hover', frameId });
    assert.match(dma.body.result, /^0x[0-9a-f]+$/);
  });

  test('hover evaluation of cache.line(buf, 0x40) and buf[0x40] has no side effects', async () => {
    const frameId = (await topFrame(dc, 2)).id;
    const before = await stateOf(dc, 2);
    const line = await dc.evaluateRequest({ expression: 'cache.line(buf, 0x40)', context: 'hover', frameId });
    assert.match(line.body.result, /^0x[0-9a-f]+ (Invalid|Clean|Dirty)/);
    const byte = await dc.evaluateRequest({ expression: 'buf[0x40]', context: 'hover', frameId });
    assert.match(byte.body.result, /^0x[0-9a-f]+$/);
    assert.deepEqual(await stateOf(dc, 2), before);
  });

  test('readMemory returns the bytes the CPU would read now, and memory its own', async () => {
    await move(dc, 'next', { threadId: 2 });
    await move(dc, 'next'); // the unmap copies the bounce slot (isp reaches 32 bits only) back to the buffer
    const frameId = (await topFrame(dc)).id;
    const buf = await dc.evaluateRequest({ expression: 'buf', context: 'watch', frameId });
    const mem = await dc.customRequest('readMemory', { memoryReference: buf.body.memoryReference!, offset: 0, count: 64 });
    const bytes = Buffer.from(mem.body.data, 'base64');
    assert.equal(bytes.length, 64);
    const raw = await dc.customRequest('readMemory', { memoryReference: buf.body.memoryReference!.replace('cpu:', 'mem:'), offset: 0, count: 16 });
    assert.equal(Buffer.from(raw.body.data, 'base64')[0], 0xa5, 'the device wrote 0xA5, copied back at unmap');
  });

  test('bad requests get error responses and the session goes on', async () => {
    assert.match(await failure(dc.stackTraceRequest({ threadId: 99 })), /No thread 99/);
    assert.match(await failure(dc.variablesRequest({ variablesReference: 123456 })), /No variables/);
    assert.match(await failure(dc.evaluateRequest({ expression: 'nosuch.owner', context: 'watch' })), /not defined/);
    assert.match(await failure(dc.evaluateRequest({ expression: 'buf.(', context: 'watch' })), /Cannot read/);
    assert.match(await failure(dc.customRequest('readMemory', { memoryReference: 'cpu:999999', count: 4 })), /No memory/);
    assert.match(await failure(dc.customRequest('goto', { threadId: 1, targetId: 0 })), /No goto target/);
    assert.match(await failure(dc.exceptionInfoRequest({ threadId: 1 })), /did not stop on a hazard/);
    assert.match(await failure(dc.nextRequest({ threadId: 42 })), /No thread/);
    assert.ok((await dc.threadsRequest()).body.threads.length === 3);
  });

  test('terminate answers and ends the session', async () => {
    const terminated = dc.waitForEvent('terminated');
    await dc.terminateRequest({});
    await terminated;
  });
});

describe('large collections', () => {
  let dc: DebugClient;
  before(async () => (dc = await startClient()));
  after(() => dc.stop());

  test('pages of a large buffer and the lines of a large cache are paged with indexedVariables', async () => {
    await launch(dc, { program: fixture('big.dmabuf') }, async () => {
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      await dc.setBreakpointsRequest({ source: { path: fixture('big.dmabuf') }, breakpoints: [{ line: 6 }] });
    });
    const frameId = (await topFrame(dc)).id;
    const pages = await dc.evaluateRequest({ expression: 'big.pages', context: 'watch', frameId });
    assert.ok(pages.body.indexedVariables! > 1000, `${pages.body.indexedVariables} pages`);
    const page = await dc.variablesRequest({ variablesReference: pages.body.variablesReference, filter: 'indexed', start: 1000, count: 100 });
    assert.equal(page.body.variables.length, 100);
    assert.equal(page.body.variables[0].name, '[1000]');
    const scopes = await dc.scopesRequest({ frameId });
    const cache = scopes.body.scopes.find((s) => s.name === 'CPU cache')!;
    assert.ok(cache.indexedVariables! > 8000, `${cache.indexedVariables} valid lines`);
    const all = await dc.variablesRequest({ variablesReference: cache.variablesReference });
    assert.ok(all.body.variables.length <= 1000, 'an unbounded request still gets one page at most');
    const named = await dc.variablesRequest({ variablesReference: cache.variablesReference, filter: 'named' });
    assert.equal(named.body.variables.length, 0);
  });
});

describe('requests VS Code would not send', () => {
  let dc: DebugClient;
  before(async () => (dc = await startClient()));
  after(() => dc.stop());

  test('a breakpoint whose condition or log message is not text is refused, and the run still goes to its first stop', async () => {
    const stale = fixture('stale.dmabuf');
    let refused: DebugProtocol.Breakpoint[] = [];
    const stop = await launch(dc, { program: stale }, async () => {
      refused = (await dc.setBreakpointsRequest({ source: { path: stale }, breakpoints: [{ line: 9, condition: 5 as unknown as string }, { line: 11, logMessage: {} as unknown as string }] })).body.breakpoints;
    });
    assert.deepEqual(refused.map((b) => [b.verified, b.message]), [[false, "The breakpoint's condition must be a string"], [false, "The breakpoint's logMessage must be a string"]]);
    // The stale read at line 9 (the refused breakpoints would have stopped there first).
    assert.equal(stop.body.reason, 'exception');
    assert.equal(await scenarioLine(dc, stop.body.threadId, stale), 9);
    assert.equal((await move(dc, 'continue')).body.reason, 'end');
  });

  test('requests of capabilities not offered get an error, not an empty success; so do unknown filters and a thread id that is not a number', async () => {
    for (const command of ['attach', 'setVariable', 'completions', 'stepInTargets', 'restartFrame', 'writeMemory', 'disassemble', 'loadedSources', 'terminateThreads']) {
      assert.match(await failure(dc.customRequest(command, {})), new RegExp(`^${command} is not supported`), command);
    }
    const filters = (await dc.setExceptionBreakpointsRequest({ filters: ['stale-read', 'no-such-filter'] })).body?.breakpoints;
    assert.deepEqual((filters ?? []).map((f) => f.verified), [true, false]);
    assert.match(await failure(dc.stackTraceRequest({ threadId: '1' as unknown as number })), /No thread 1/);
    // Without any arguments: what is missing, not a TypeError.
    assert.equal(await failure(dc.customRequest('gotoTargets')), 'gotoTargets needs a source and a line');
    assert.equal(await failure(dc.customRequest('readMemory')), 'readMemory needs a memoryReference and a count');
    assert.equal(await failure(dc.customRequest('readMemory', { memoryReference: 'cpu:1', count: 4, offset: 0.5 })), 'readMemory: offset must be an integer');
    assert.ok((await dc.threadsRequest()).body.threads.length > 0, 'the session goes on');
  });

  test('initialize without arguments gets an error, not a stack trace', async () => {
    const message = await failure(dc.customRequest('initialize'));
    assert.equal(message, 'initialize needs its arguments (InitializeRequestArguments)');
  });
});

describe('owner breakpoints', () => {
  // One launch per adapter session: a session per test.
  let dc: DebugClient;
  beforeEach(async () => (dc = await startClient()));
  afterEach(() => dc.stop());

  test('owner:BUF stops where the buffer is allocated and freed too: its owner becomes cpu, then none', async () => {
    const stale = fixture('stale.dmabuf');
    const first = await launch(dc, { program: stale }, async () => {
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'owner:rx' }] });
    });
    // It stops inside the statement, at the kernel's step that changed the owner: the scenario's frame is below.
    const lines = [await scenarioLine(dc, first.body.threadId, stale)];
    for (let stop = await move(dc, 'continue'); stop.body.reason !== 'end'; stop = await move(dc, 'continue')) lines.push(await scenarioLine(dc, stop.body.threadId, stale));
    // kmalloc (none -> cpu), the map (-> nic), the unmap (-> cpu), kfree (-> none).
    assert.deepEqual(lines, [5, 7, 10, 12]);
  });

  test('a failed allocation changes no owner: owner:BUF does not stop there', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmabuf-owner-'));
    const program = path.join(dir, 'failed.dmabuf');
    fs.writeFileSync(program, 'device d dma_mask=24\nx = dma_alloc_coherent(d, 4KiB)\ndma_free_coherent(d, x)\n');
    try {
      const stop = await launch(dc, { program }, async () => {
        await dc.setExceptionBreakpointsRequest({ filters: [] });
        await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'owner:x' }] });
      });
      assert.equal(stop.body.reason, 'end');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what a user reads at the edges', () => {
  const ring = fixture('ring.dmabuf');
  let dc: DebugClient;
  before(async () => (dc = await startClient()));
  after(() => dc.stop());

  test('the last stop of a scenario is on an end of scenario frame, at its last statement', async () => {
    const stop = await launch(dc, { program: ring }, () => dc.setExceptionBreakpointsRequest({ filters: [] }));
    assert.equal(stop.body.reason, 'end');
    const end = await topFrame(dc, stop.body.threadId);
    assert.deepEqual([end.name, end.line], ['end of scenario', 19]);
    const back = await move(dc, 'stepBack', { threadId: stop.body.threadId });
    const last = await topFrame(dc, back.body.threadId);
    assert.deepEqual([last.name, last.line], ['main', 19]);
  });

  test('messages cut the long text they repeat, and name a missing argument', async () => {
    const names = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'x'.repeat(100_000) }, { name: `${'*'.repeat(100_000)}kfree` }] });
    assert.deepEqual(
      names.body.breakpoints.map((b) => [b.verified, b.message]),
      [[false, `No call matches '${'x'.repeat(40)}…' (100000 characters)`], [true, undefined]],
    );
    const evaluated = await failure(dc.evaluateRequest({ expression: 'a+'.repeat(50_000), context: 'watch' }));
    assert.ok(evaluated.length < 300, evaluated.slice(0, 300));
    assert.equal(await failure(dc.customRequest('goto', { threadId: 1 })), 'goto needs a targetId');
    assert.equal(await failure(dc.customRequest('next', {})), 'next needs a threadId');
    assert.equal(await failure(dc.customRequest('stackTrace', {})), 'stackTrace needs a threadId');
    assert.equal(await failure(dc.customRequest('variables', {})), 'variables needs a variablesReference');
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  });

  test('a data breakpoint on no buffer of the run, on bytes past its buffer or on an id of no kind, is unverified with the reason', async () => {
    await move(dc, 'goto', { threadId: 1, targetId: 3 });
    const info = await dc.dataBreakpointInfoRequest({ name: 'rx.owner' });
    const id = /^owner:(\d+)$/.exec(info.body.dataId ?? '')![1];
    const set = await dc.setDataBreakpointsRequest({
      breakpoints: [`owner:${id}`, 'owner:999', `bytes:${id}:0:4096`, `bytes:${id}:4000:97`, `bytes:${id}:0:999999999999`, 'colour:7'].map((dataId) => ({ dataId })),
    });
    assert.deepEqual(set.body.breakpoints.map((b) => [b.verified, b.message]), [
      [true, undefined],
      [false, 'No buffer #999 in this run'],
      [true, undefined],
      [false, `Bytes [0xfa0, +0x61) are not all in the 4096 bytes of buffer #${id}`],
      [false, `Bytes [0x0, +0xe8d4a50fff) are not all in the 4096 bytes of buffer #${id}`],
      [false, "Unknown data: 'colour:7'"],
    ]);
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
  });

  test('readMemory leaves out bytes before the buffer and counts those past its end as unreadable', async () => {
    const rx = await dc.evaluateRequest({ expression: 'rx', context: 'watch', frameId: (await topFrame(dc)).id });
    const read = async (offset: number, count: number) => {
      const r = (await dc.customRequest('readMemory', { memoryReference: rx.body.memoryReference, offset, count })).body;
      return [r.address, Buffer.from(r.data ?? '', 'base64').length, r.unreadableBytes];
    };
    assert.deepEqual(await read(-8, 16), ['0x0', 8, 0]);
    assert.deepEqual(await read(4090, 16), ['0xffa', 6, 10]);
    assert.deepEqual(await read(-100, 16), ['0x0', 0, 16]);
  });
});
