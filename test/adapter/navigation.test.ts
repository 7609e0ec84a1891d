// Continue, reverse continue and stepping over the recorded run: reverse stops exactly where forward stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BreakpointTable } from '../../src/adapter/breakpoints';
import { StepFlag, type KernelEvent } from '../../src/adapter/engine';
import { Navigator } from '../../src/adapter/navigator';
import { Recording } from '../../src/adapter/recording';
import { StopFinder } from '../../src/adapter/stopFinder';
import { FakeEngine, statementsOf, type FakeStep } from './fakeEngine';

function setup(run: FakeStep[], names = ['alloc', 'dma_sync_single_for_cpu', 'cpu.read', 'proc_call', 'dma_sync_sg_for_device'], interval = 8) {
  const engine = new FakeEngine(statementsOf(names), run);
  const rec = new Recording(engine, interval, interval);
  rec.recordSteps();
  const table = new BreakpointTable(engine, rec);
  const logs: string[] = [];
  const finder = new StopFinder(rec, engine, table, (m) => logs.push(m));
  const nav = new Navigator(rec, engine, finder);
  return { engine, rec, table, nav, logs };
}

const loop = (n: number): FakeStep[] => Array.from({ length: n }, (_, i) => ({ stmt: i % 3, owner: i % 7 === 3 ? { buffer: 7, to: `o${i}` } : undefined }));

function stopsForward(nav: Navigator): number[] {
  const keys: number[] = [];
  for (nav.start(); !nav.atEnd; nav.continue()) keys.push(nav.cursor.key);
  return keys;
}

function stopsBackward(nav: Navigator): number[] {
  const keys: number[] = [];
  while (nav.reverseContinue().reason !== 'entry') keys.push(nav.cursor.key);
  return keys.reverse();
}

test('reverse continue stops at the same line breakpoints as forward continue, in reverse order', () => {
  const { table, nav } = setup(loop(100));
  table.setLines([{ line: 2 }]);
  const fwd = stopsForward(nav);
  assert.equal(fwd.length, 33);
  assert.deepEqual(stopsBackward(nav), fwd);
});

test('hit conditions count executions from the start of the run, in both directions', () => {
  const { table, nav } = setup(loop(100));
  table.setLines([{ line: 1, hitCondition: '% 10' }]);
  const fwd = stopsForward(nav);
  assert.deepEqual(fwd.map((k) => k / 2), [27, 57, 87]);
  assert.deepEqual(stopsBackward(nav), fwd);
});

test('conditions are evaluated in the state before the statement; logpoints print going forward only', () => {
  const { table, nav, logs } = setup(loop(30));
  table.setLines([{ line: 3, condition: 'pos > 20' }, { line: 1, logMessage: 'at {pos}' }]);
  const fwd = stopsForward(nav);
  assert.deepEqual(fwd.map((k) => k / 2), [23, 26, 29]);
  assert.deepEqual(logs.slice(0, 3), ['at 0', 'at 3', 'at 6']);
  const printed = logs.length;
  assert.deepEqual(stopsBackward(nav), fwd);
  assert.equal(logs.length, printed);
});

test('function breakpoints match API names and globs such as dma_sync_*', () => {
  const run: FakeStep[] = [0, 1, 2, 4, 1, 2].map((stmt) => ({ stmt }));
  const { table, nav } = setup(run);
  const [exact, glob, none] = table.setFunctions([{ name: 'cpu.read' }, { name: 'dma_sync_*' }, { name: 'kfree' }]);
  assert.equal(exact.verified, true);
  assert.equal(glob.verified, true);
  assert.equal(none.verified, false);
  assert.deepEqual(stopsForward(nav).map((k) => k / 2), [1, 2, 3, 4, 5]);
});

test('owner and owner:BUF function breakpoints stop inside the step that changed the owner', () => {
  const { table, nav } = setup(loop(30));
  table.setFunctions([{ name: 'owner:buf' }]);
  const fwd = stopsForward(nav);
  assert.deepEqual(fwd, [3, 10, 17, 24].map((s) => 2 * s + 1));
  assert.deepEqual(stopsBackward(nav), fwd);
  assert.equal(table.setFunctions([{ name: 'owner:nothing' }])[0].verified, false);
});

test('data breakpoints on a buffer owner fire on each ownership change, forwards and backwards', () => {
  const { engine, table, nav } = setup(loop(30));
  const [bp] = table.setData([{ dataId: 'owner:7' }]);
  assert.equal(bp.verified, true);
  const fwd = stopsForward(nav);
  assert.equal(fwd.length, 4);
  const move = nav.reverseContinue();
  assert.equal(move.reason, 'data breakpoint');
  nav.settle();
  assert.equal(engine.view.evaluate('owner7', 0).value, 'o24');
});

test('exception filters stop at unexpected hazards only, on the hazard event', () => {
  const hazardEvents: KernelEvent[] = [
    { kind: 'call', fn: 'dma_direct_sync', text: '' },
    { kind: 'effect', text: 'invalidate', flags: StepFlag.cache },
    { kind: 'effect', text: 'HAZARD stale-read', flags: StepFlag.hazard, hazard: 'stale-read' },
    { kind: 'return' },
  ];
  const run: FakeStep[] = [{ stmt: 0 }, { stmt: 2, hazard: 'stale-read', events: hazardEvents }, { stmt: 2, hazard: 'leak', expected: true }, { stmt: 0 }];
  const { table, nav } = setup(run);
  const move = nav.continue();
  assert.equal(move?.reason, 'exception');
  assert.equal(move?.stop?.hazard?.kind, 'stale-read');
  assert.deepEqual(nav.cursor, { key: 3, event: 2 });
  assert.equal(nav.continue()?.reason, 'end');
  table.setHazardFilters([]);
  assert.equal(nav.reverseContinue().reason, 'entry');
});

test('step over skips a proc body, step out leaves it, step back returns over it', () => {
  const run: FakeStep[] = [{ stmt: 0 }, { stmt: 3 }, { stmt: 1, depth: 2 }, { stmt: 2, depth: 2 }, { stmt: 0 }];
  const { nav } = setup(run);
  nav.entry();
  nav.next();
  assert.equal(nav.step, 1);
  nav.next();
  assert.equal(nav.step, 4, 'over the proc call');
  nav.stepBack();
  assert.equal(nav.step, 1, 'back over the proc call');
  nav.stepIn();
  assert.equal(nav.step, 2, 'into the proc');
  nav.stepOut();
  assert.equal(nav.step, 4);
});

test('step into an API call walks its kernel events; step out returns to the scenario', () => {
  const events: KernelEvent[] = [
    { kind: 'call', fn: 'system_heap_map_dma_buf', text: '' },
    { kind: 'effect', text: 'sg table built', flags: 0 },
    { kind: 'call', fn: 'arch_sync_dma_for_device', text: '' },
    { kind: 'effect', text: 'clean line', flags: StepFlag.cache },
    { kind: 'return' },
    { kind: 'return' },
    { kind: 'effect', text: 'owner -> isp', flags: StepFlag.owner, buffer: 7 },
  ];
  const run: FakeStep[] = [{ stmt: 0, events }, { stmt: 1 }];
  const { nav } = setup(run);
  nav.entry();
  nav.stepIn();
  assert.deepEqual(nav.cursor, { key: 1, event: 0 });
  const k = nav.kernel(0);
  assert.deepEqual(k.frames(0, 'alloc').map((f) => f.name), ['system_heap_map_dma_buf']);
  nav.stepIn();
  nav.stepIn();
  nav.stepIn();
  assert.deepEqual(nav.cursor, { key: 1, event: 3 });
  assert.deepEqual(k.frames(3, 'alloc').map((f) => f.name), ['arch_sync_dma_for_device', 'system_heap_map_dma_buf']);
  assert.match(k.text.split('\n')[k.frames(3, 'alloc')[0].line - 1], /clean line/);
  nav.stepOut();
  assert.deepEqual(nav.cursor, { key: 1, event: 6 }, 'out of both nested calls to the effect at the top level');
  nav.stepBack();
  assert.deepEqual(nav.cursor, { key: 1, event: 3 });
  nav.stepOut();
  nav.stepOut();
  assert.deepEqual(nav.cursor, { key: 2, event: -1 }, 'out of the API call: the next statement');
});
