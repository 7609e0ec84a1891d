// The session's call stacks: which frames a stop shows, in the client's numbering, and how long the frame ids and
// kernel source references they hand out stay valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BreakpointTable } from '../../src/adapter/breakpoints';
import { StepFlag, type KernelEvent } from '../../src/adapter/engine';
import { ErrorCode, RequestError } from '../../src/adapter/errors';
import { FrameStore } from '../../src/adapter/frameStore';
import { Navigator } from '../../src/adapter/navigator';
import { Recording } from '../../src/adapter/recording';
import { StopFinder } from '../../src/adapter/stopFinder';
import { FakeEngine, statementsOf, type FakeStep } from './fakeEngine';

const events: KernelEvent[] = [
  { kind: 'call', fn: 'system_heap_map_dma_buf', text: '' },
  { kind: 'effect', text: 'clean line', flags: StepFlag.cache },
  { kind: 'return' },
];

function setup(run: FakeStep[]) {
  const engine = new FakeEngine(statementsOf(['alloc', 'dma_sync_single_for_cpu', 'cpu.read']), run);
  const rec = new Recording(engine, 8, 8);
  rec.recordSteps();
  const nav = new Navigator(rec, engine, new StopFinder(rec, engine, new BreakpointTable(engine, rec), () => undefined));
  // A client that numbers from 0 and sees paths under another root: the frames must be in its form.
  const frames = new FrameStore({ line: (l) => l - 1, column: (c) => c - 1, path: (p) => `/client${p}` });
  return { run: { engine, rec, nav }, nav, frames };
}

const unknownFrame = (e: unknown): boolean => e instanceof RequestError && e.code === ErrorCode.unknownReference;

test("a stop's frames stand for its scenario frames until the next stop, in the client's numbering and paths", () => {
  const { run, nav, frames } = setup([{ stmt: 0 }, { stmt: 2, depth: 2 }, { stmt: 0 }]);
  nav.entry();
  nav.goto(1);
  const stack = frames.current(run);
  assert.deepEqual(stack.map((f) => f.name), ['frame2', 'main'], "the fake engine's frames, innermost first");
  const [top, outer] = stack;
  assert.equal(top.line, 2, 'statement 3 is on line 3, the client counts from 0');
  assert.equal(top.column, 0);
  assert.equal(top.source?.path, '/client/fake/scenario.dmabuf');
  assert.equal(frames.scenarioFrame(top.id), 0);
  assert.equal(frames.scenarioFrame(outer.id), 1);
  assert.equal(frames.scenarioFrame(undefined), 0, 'no frame named: the innermost');
  frames.newStop();
  assert.throws(() => frames.scenarioFrame(top.id), unknownFrame);
  assert.ok(!stack.some((f) => f.id === frames.current(run)[0].id), 'ids are not reused');
});

test("inside an API call, the kernel's frames come first, from one source reference per step, kept until a new run", () => {
  const { run, nav, frames } = setup([{ stmt: 1, events }, { stmt: 0 }]);
  nav.entry();
  nav.stepIn();
  nav.stepIn();
  const stack = frames.current(run);
  assert.deepEqual(stack.map((f) => f.name), ['system_heap_map_dma_buf', 'frame1']);
  const ref = stack[0].source?.sourceReference;
  assert.ok(ref, 'the kernel frame has a source reference');
  assert.equal(frames.stepOf(ref), 0);
  assert.equal(frames.scenarioFrame(stack[0].id), 0, "a kernel frame's scope is the scenario's innermost");
  frames.newStop();
  assert.equal(frames.current(run)[0].source?.sourceReference, ref, 'the same step, the same reference');
  assert.equal(frames.stepOf(ref), 0, 'a new stop keeps the references');
  frames.newRun();
  assert.equal(frames.stepOf(ref), undefined);
  // The new run's kernel frames hand out references anew, which stand for their steps.
  const again = frames.current(run)[0].source?.sourceReference;
  assert.ok(again);
  assert.equal(frames.stepOf(again), 0);
});

test("another thread's stack is where it last ran, none before it ran; past the last step, the end of the scenario", () => {
  const { run, nav, frames } = setup([{ stmt: 0 }, { stmt: 1, thread: 1 }, { stmt: 2 }]);
  nav.entry();
  assert.deepEqual(frames.idle(run, 1), []);
  nav.next();
  nav.next();
  const [idle] = frames.idle(run, 1);
  assert.equal(idle.name, 'isp: last ran dma_sync_single_for_cpu (statement 2)');
  assert.equal(idle.line, 1);
  nav.continue();
  assert.ok(nav.atEnd);
  assert.deepEqual(frames.current(run).map((f) => [f.name, f.line]), [['end of scenario', 2]]);
});
