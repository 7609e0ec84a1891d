// Launch, restart, cancel and terminate over the stdio adapter: breakpoints a client sends malformed are refused one
// by one and a restart keeps the rest, the newest of two launches wins, a restart that replaces a launch still
// recording asks for the configuration that launch could not (and ends the session if it fails), no restart begins
// before configurationDone, a cancel cancels only what it names, and a launch or restart after terminate waits for
// its configuration.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { ADAPTER, failure, fixture, launch, move, scenarioLine, startClient, topFrame } from './client';

const RING = fixture('ring.dmabuf');
const ENDLESS = fixture('endless.dmabuf');

const verdicts = (bps: DebugProtocol.Breakpoint[]): [boolean, string | undefined][] => bps.map((b) => [b.verified, b.message]);

describe('launch and restart', () => {
  // One launch per adapter session: a session per test.
  let dc: DebugClient;
  beforeEach(async () => (dc = await startClient()));
  afterEach(() => dc.stop());

  test('malformed breakpoints are refused one by one, naming the field; a restart keeps the others and stops again', async () => {
    await launch(dc, { program: RING, stopOnEntry: true });
    const notObject: [boolean, string] = [false, 'A breakpoint must be an object, not null'];
    const lines = await dc.setBreakpointsRequest({ source: { path: RING }, breakpoints: [null, { line: 'x' }, { line: 9 }] as unknown as DebugProtocol.SourceBreakpoint[] });
    assert.deepEqual(verdicts(lines.body.breakpoints), [notObject, [false, "The breakpoint's line must be a positive integer"], [true, undefined]]);
    const functions = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 5 }, { name: null }, null, { name: 'kfree' }] as unknown as DebugProtocol.FunctionBreakpoint[] });
    const notText: [boolean, string] = [false, "The breakpoint's name must be a string"];
    assert.deepEqual(verdicts(functions.body.breakpoints), [notText, notText, notObject, [true, undefined]]);
    const data = await dc.customRequest('setDataBreakpoints', { breakpoints: [null, { dataId: 7 }] });
    assert.deepEqual(verdicts(data.body.breakpoints), [notObject, [false, "The breakpoint's dataId must be a string"]]);
    // A request refused whole is not what a restart sets again.
    assert.match(await failure(dc.customRequest('setFunctionBreakpoints', { breakpoints: 'kfree' })), /breakpoints array/);
    const stopped = dc.waitForEvent('stopped');
    await dc.customRequest('restart', {});
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'entry');
    const atLine = await move(dc, 'continue');
    assert.equal(atLine.body.reason, 'breakpoint');
    assert.equal(await scenarioLine(dc, atLine.body.threadId, RING), 9);
    const frameId = (await topFrame(dc, atLine.body.threadId)).id;
    assert.ok((await dc.scopesRequest({ frameId })).body.scopes.length > 0, 'the new run answers');
  });

  test('a launch while another records replaces it: the newest wins, the older fails as replaced', async () => {
    const initialized = dc.waitForEvent('initialized');
    const slow = dc.launchRequest({ program: ENDLESS, stopOnEntry: true, stepLimit: 2_000_000 } as DebugProtocol.LaunchRequestArguments);
    const fast = dc.launchRequest({ program: RING, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
    assert.match(await failure(slow), /^Replaced by a later launch or restart after [\d,]+ statements$/);
    await fast;
    await initialized;
    const stopped = dc.waitForEvent('stopped');
    await dc.configurationDoneRequest();
    await stopped;
    assert.equal((await topFrame(dc)).source?.path, RING);
    assert.deepEqual((await dc.threadsRequest()).body.threads.map((t) => t.name), ['cpu', 'nic']);
  });

  test('a restart that replaces a first launch still recording asks for the configuration, and stops only after configurationDone', async () => {
    let initializedEvents = 0;
    let stops = 0;
    dc.on('initialized', () => initializedEvents++);
    dc.on('stopped', () => stops++);
    const initialized = dc.waitForEvent('initialized');
    const slow = dc.launchRequest({ program: ENDLESS, stopOnEntry: true, stepLimit: 2_000_000 } as DebugProtocol.LaunchRequestArguments);
    const restart = dc.customRequest('restart', { arguments: { program: RING, stopOnEntry: true } });
    assert.match(await failure(slow), /^Replaced by a later launch or restart after [\d,]+ statements$/);
    await restart;
    await initialized;
    const set = await dc.setBreakpointsRequest({ source: { path: RING }, breakpoints: [{ line: 9 }] });
    assert.deepEqual(verdicts(set.body.breakpoints), [[true, undefined]]);
    await dc.threadsRequest();
    assert.equal(stops, 0, 'no stop before configurationDone');
    const stopped = dc.waitForEvent('stopped');
    await dc.configurationDoneRequest();
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'entry');
    const atLine = await move(dc, 'continue');
    assert.equal(atLine.body.reason, 'breakpoint', 'the breakpoint set after `initialized` holds in the restarted run');
    assert.equal(await scenarioLine(dc, atLine.body.threadId, RING), 9);
    assert.equal(initializedEvents, 1);
  });

  test('a restart while the configuration is still awaited (a launch\'s, or a restart\'s that replaced a launch still recording) waits for it too', async () => {
    let initializedEvents = 0;
    let early = 0;
    let configured = false;
    dc.on('initialized', () => initializedEvents++);
    dc.on('stopped', () => (early += configured ? 0 : 1));
    // A launch that has asked for its configuration, then a restart.
    let initialized = dc.waitForEvent('initialized');
    await dc.launchRequest({ program: RING, stopOnEntry: false } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await dc.customRequest('restart', { arguments: { program: RING, stopOnEntry: false } });
    await dc.threadsRequest();
    assert.equal(early, 0, 'no stop before configurationDone');
    dc.stop();
    dc = await startClient();
    dc.on('initialized', () => initializedEvents++);
    dc.on('stopped', () => (early += configured ? 0 : 1));
    // A restart that replaced a launch still recording, then another restart before configurationDone.
    initialized = dc.waitForEvent('initialized');
    const slow = dc.launchRequest({ program: ENDLESS, stopOnEntry: true, stepLimit: 2_000_000 } as DebugProtocol.LaunchRequestArguments);
    const first = dc.customRequest('restart', { arguments: { program: RING, stopOnEntry: false } });
    await failure(slow);
    await first;
    await initialized;
    await dc.customRequest('restart', { arguments: { program: RING, stopOnEntry: false } });
    await dc.setBreakpointsRequest({ source: { path: RING }, breakpoints: [{ line: 9 }] });
    await dc.threadsRequest();
    assert.equal(early, 0, 'no stop before configurationDone');
    const stopped = dc.waitForEvent('stopped');
    configured = true;
    await dc.configurationDoneRequest();
    const stop = (await stopped) as DebugProtocol.StoppedEvent;
    assert.equal(stop.body.reason, 'breakpoint', 'the breakpoint set after `initialized` holds');
    assert.equal(await scenarioLine(dc, stop.body.threadId, RING), 9);
    assert.equal(initializedEvents, 2, 'one `initialized` per session');
  });

  test('a restart that fails after replacing a launch still recording ends the session: nothing is left to debug', async () => {
    const terminated = dc.waitForEvent('terminated');
    const slow = dc.launchRequest({ program: ENDLESS, stopOnEntry: true, stepLimit: 2_000_000 } as DebugProtocol.LaunchRequestArguments);
    const restart = failure(dc.customRequest('restart', { arguments: { program: fixture('missing.dmabuf'), stopOnEntry: true } }));
    assert.match(await failure(slow), /^Replaced by a later launch or restart/);
    assert.match(await restart, /missing\.dmabuf/);
    await terminated;
  });

  test('a data breakpoint on bytes of a buffer freed and forgotten by then is checked against its own size, not the largest of the run', async () => {
    // The 4 KiB buffer is freed, and no binding names it once `a` is bound again: the machine prunes it among the
    // hundred that follow, so only the recording knows its size.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dmabuf-watch-')), 'freed.dmabuf');
    fs.writeFileSync(file, 'platform arm64\ndevice nic\na = kmalloc(4KiB)\nkfree(a)\nrepeat 100 {\n  a = kmalloc(64KiB)\n  kfree(a)\n}\n');
    await launch(dc, { program: file, stopOnEntry: true });
    await move(dc, 'next');
    const info = await dc.dataBreakpointInfoRequest({ name: 'a.owner', frameId: (await topFrame(dc)).id });
    const id = /^owner:(\d+)$/.exec(info.body.dataId ?? '')![1];
    await move(dc, 'continue');
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [`bytes:${id}:0:4096`, `bytes:${id}:0:8192`, 'bytes:999:0:1'].map((dataId) => ({ dataId })) });
    assert.deepEqual(verdicts(set.body.breakpoints), [
      [true, undefined],
      [false, `Bytes [0x0, +0x2000) are not all in the 4096 bytes of buffer #${id}`],
      [false, 'No buffer #999 in this run'],
    ]);
  });

  test('a failed allocation cannot be watched: it never held a byte', async () => {
    await launch(dc, { program: fixture('failed.dmabuf'), stopOnEntry: true });
    await move(dc, 'next');
    const info = await dc.dataBreakpointInfoRequest({ name: 'p.owner', frameId: (await topFrame(dc)).id });
    assert.equal(info.body.dataId, null);
    assert.match(info.body.description, /^'p\.owner' cannot be watched: Buffer #\d+ is a failed allocation: it never held a byte$/);
  });

  test('a client that counts lines from 0 gets its own line numbers back, for the program and for a file that is not it', async () => {
    dc.stop();
    dc = new DebugClient('node', ADAPTER, 'dmabuf');
    await dc.start();
    await dc.initializeRequest({ adapterID: 'dmabuf', linesStartAt1: false, columnsStartAt1: false, pathFormat: 'path' });
    await launch(dc, { program: RING, stopOnEntry: true });
    const mine = await dc.setBreakpointsRequest({ source: { path: RING }, breakpoints: [{ line: 8 }] });
    const other = await dc.setBreakpointsRequest({ source: { path: fixture('stale.dmabuf') }, breakpoints: [{ line: 8 }] });
    assert.deepEqual([mine.body.breakpoints[0].line, other.body.breakpoints[0].line], [8, 8]);
    assert.equal(other.body.breakpoints[0].verified, false);
  });

  test('a cancel naming another progress or request leaves the recording going; one naming its request cancels it', async () => {
    // The recording must still be going when the wrong cancels are answered, or the test would prove nothing.
    let answered = false;
    let recordedAfter = false;
    dc.on('progressStart', (e: DebugProtocol.ProgressStartEvent) => {
      void Promise.all([dc.customRequest('cancel', { progressId: 'x' }), dc.customRequest('cancel', { requestId: (e.body.requestId ?? 0) + 1000 })]).then(() => (answered = true));
    });
    dc.on('progressUpdate', () => (recordedAfter ||= answered));
    const stop = await launch(dc, { program: ENDLESS, stopOnEntry: true, stepLimit: 1_000_000 });
    assert.equal(stop.body.reason, 'entry');
    assert.ok(recordedAfter, 'the recording went on after both cancels were answered');
    await dc.disconnectRequest({});
    dc.stop();
    dc = await startClient();
    dc.on('progressStart', (e: DebugProtocol.ProgressStartEvent) => void dc.customRequest('cancel', { requestId: e.body.requestId }));
    const terminated = dc.waitForEvent('terminated');
    assert.match(await failure(dc.launchRequest({ program: ENDLESS, stopOnEntry: true, stepLimit: 2_000_000 } as DebugProtocol.LaunchRequestArguments)), /^Launch cancelled after/);
    await terminated;
  });

  test('a launch after terminate waits for its configurationDone before it stops', async () => {
    await launch(dc, { program: RING, stopOnEntry: true });
    const terminated = dc.waitForEvent('terminated');
    await dc.terminateRequest({});
    await terminated;
    await launchWaitsForConfiguration(true);
  });

  test('a restart after terminate asks for its configuration, and stops only after configurationDone', async () => {
    await launch(dc, { program: RING, stopOnEntry: true });
    const terminated = dc.waitForEvent('terminated');
    await dc.terminateRequest({});
    await terminated;
    let stops = 0;
    dc.on('stopped', () => stops++);
    const initialized = dc.waitForEvent('initialized');
    await dc.customRequest('restart', {});
    await initialized;
    await dc.threadsRequest();
    assert.equal(stops, 0, 'no stop before configurationDone');
    const stopped = dc.waitForEvent('stopped');
    await dc.configurationDoneRequest();
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'entry');
  });

  test('a second launch in a running session waits for its own configurationDone too', async () => {
    await launch(dc, { program: RING, stopOnEntry: true });
    await launchWaitsForConfiguration(false);
  });

  /** Launches RING again: no stop comes before the configurationDone that follows its `initialized`, and one after. */
  async function launchWaitsForConfiguration(stopOnEntry: boolean): Promise<void> {
    let stops = 0;
    dc.on('stopped', () => stops++);
    const initialized = dc.waitForEvent('initialized');
    await dc.launchRequest({ program: RING, stopOnEntry } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await dc.threadsRequest();
    assert.equal(stops, 0, 'no stop before configurationDone');
    const stopped = dc.waitForEvent('stopped');
    await dc.configurationDoneRequest();
    await stopped;
  }
});
