// Debugging a long trace without holding its events (issue #6 item 7): the recording keeps no memory per event,
// pages of events re-read from the file answer statements, threads, lines and event-name breakpoints exactly as a
// linear walk does, seeks anywhere give the state reached forwards, reverse continue finds the stops of continue.
import * as fs from 'fs';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BreakpointTable } from '../../src/adapter/breakpoints';
import { StepFlag } from '../../src/adapter/engine';
import { Navigator } from '../../src/adapter/navigator';
import { Recording } from '../../src/adapter/recording';
import { StopFinder } from '../../src/adapter/stopFinder';
import { PAGE_STEPS } from '../../src/adapter/traceColumns';
import { TraceEngine } from '../../src/adapter/traceEngine';
import { TraceSteps } from '../../src/adapter/traceSteps';
import { QueryMatch, parseTraceQuery } from '../../src/adapter/traceBreakpoints';
import { TraceChecker, TraceCursor, decodeEvent } from '../../src/ftrace/index';
import { generatedTrace, trace } from './traceFiles';

function recorded(file: string): { engine: TraceEngine; rec: Recording } {
  const engine = new TraceEngine(file);
  const rec = new Recording(engine);
  while (!rec.recordSteps(50_000));
  return { engine, rec };
}

/** What the debugger shows at the engine's position: every scope's value, the stack and the current statement. */
function shown(e: TraceEngine): string {
  const scopes = e.view.scopes().map((s) => `${s.name}=${s.node.value}`);
  const frames = e.frames().map((f) => `${f.name}@${f.line}`);
  return [...scopes, ...frames].join(' | ');
}

/** What the debugger shows at `position`, reached by a fresh engine stepping forwards. */
function shownAt(file: string, position: number): string {
  const e = new TraceEngine(file);
  while (e.position < position) e.step();
  return shown(e);
}

/** The events of a capture as the cursor reads them: line, name and CPU. */
function eventsOf(file: string): { line: number; name: string; cpu: number }[] {
  const out: { line: number; name: string; cpu: number }[] = [];
  for (const r of TraceCursor.open(file)) if (r.kind === 'event') out.push({ line: r.line, name: r.event, cpu: r.cpu });
  return out;
}

/** The steps a query matches, by one pass over the whole file with a checker of its own. */
function fullPass(file: string, name: string): number[] {
  const matches = new QueryMatch(parseTraceQuery(name)!);
  const checker = new TraceChecker(() => undefined);
  const out: number[] = [];
  let step = 0;
  for (const r of TraceCursor.open(file)) {
    if (r.kind === 'event') {
      if (matches.test(decodeEvent(r), checker)) out.push(step);
      step++;
    }
    checker.apply(r);
  }
  return out;
}

/** A small deterministic pseudo-random sequence (the same positions on every run). */
function positions(count: number, below: number): number[] {
  let x = 12345;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % below;
  });
}

const MID = generatedTrace(30_000, { bugEvery: 700 });

describe('a long trace recorded without memory per event', () => {
  test('after recording a generated 200k-event trace the retained bytes per event stay under 0.5', () => {
    const { engine, rec } = recorded(generatedTrace(200_000));
    assert.equal(rec.length, 200_000);
    assert.ok(rec.steps instanceof TraceSteps, 'a trace brings its own step store');
    const perEvent = (rec.recordBytes() + engine.recordBytes()) / rec.length;
    assert.ok(perEvent <= 0.5, `${perEvent} bytes per event`);
    // What is decoded is a bounded cache of pages, whatever the length of the file.
    for (const p of positions(40, rec.length)) engine.statements[p].line;
    assert.ok(engine.columns.cacheBytes() <= 16 * PAGE_STEPS * 16, `${engine.columns.cacheBytes()} bytes of pages`);
    assert.ok(engine.checkpointCount <= 201);
  });

  test('repeated stepBack replays a few dozen events each, not the stretch from the checkpoint before', () => {
    const { engine, rec } = recorded(generatedTrace(200_000));
    let replayed = 0;
    const step = engine.step.bind(engine);
    engine.step = () => (replayed++, step());
    rec.seek(150_000);
    replayed = 0;
    for (let p = 149_999; p >= 149_800; p--) rec.seek(p);
    assert.ok(replayed / 200 <= 80, `${replayed / 200} events replayed per stepBack`);
  });

  test('statements, threads and lines read from pages are those of a linear read of the file', () => {
    const { engine, rec } = recorded(MID);
    const events = eventsOf(MID);
    assert.equal(rec.length, events.length);
    for (const i of [0, 1, PAGE_STEPS - 1, PAGE_STEPS, PAGE_STEPS + 1, events.length - 1, ...positions(200, events.length)]) {
      const s = engine.statements[i];
      assert.deepEqual([s.line, s.name, rec.steps.thread(i), rec.steps.stmt(i)], [events[i].line, events[i].name, events[i].cpu, i], `step ${i}`);
    }
    assert.match(engine.statements[PAGE_STEPS].text, /^worker-\d+ +\[00\d\]/);
    // Line breakpoints and goto targets find the event of a line across page boundaries; comment lines have none.
    const line = events[PAGE_STEPS].line;
    assert.deepEqual(engine.statementsOnLines(line - 1, line + 1), [PAGE_STEPS - 1, PAGE_STEPS, PAGE_STEPS + 1]);
    assert.deepEqual(engine.statementsOnLines(1, 2), []);
  });

  test('the last step of each CPU before a position is the one a linear scan finds', () => {
    const { rec } = recorded(MID);
    const events = eventsOf(MID);
    for (const before of [1, 2, 5, PAGE_STEPS + 2, ...positions(30, events.length)]) {
      for (const cpu of [0, 1, 2, 3, 7]) {
        let expected: number | undefined;
        for (let i = before - 1; i >= 0; i--) {
          if (events[i].cpu === cpu) {
            expected = i;
            break;
          }
        }
        assert.equal(rec.steps.lastOnThread(cpu, before), expected, `CPU ${cpu} before ${before}`);
      }
    }
  });

  test('seek to random positions gives the same variables as a fresh linear walk', () => {
    const linear = new TraceEngine(MID);
    const wanted = new Set(positions(60, 30_000));
    const expected = new Map<number, string>();
    for (;;) {
      if (wanted.has(linear.position)) expected.set(linear.position, shown(linear));
      if (linear.done) break;
      linear.step();
    }
    const { engine, rec } = recorded(MID);
    for (const p of positions(60, 30_000)) {
      rec.seek(p);
      assert.equal(shown(engine), expected.get(p), `position ${p}`);
    }
    // Step by step backwards from one of them, through the states kept on the way.
    const far = Math.max(...wanted);
    rec.seek(far);
    for (let p = far - 1; p >= far - 300; p--) rec.seek(p);
    assert.equal(shown(engine), expected.get(far - 300) ?? shownAt(MID, far - 300));
    rec.seek(far);
    assert.equal(shown(engine), expected.get(far));
  });

  test('the hazards of each step and before each position are those the first pass raised', () => {
    const { engine, rec } = recorded(MID);
    const steps = engine.hazards().map((h) => h.loc.line);
    assert.ok(steps.length >= 20, `${steps.length} findings`);
    let seen = 0;
    for (let i = 0; i < rec.length; i++) {
      const own = rec.hazardsOf(i);
      if (own.length > 0) assert.ok(rec.unexpectedKinds(i) !== 0 && (rec.steps.flags(i) & StepFlag.hazard) !== 0, `step ${i}`);
      else assert.equal(rec.steps.flags(i), 0);
      seen += own.length;
      assert.equal(rec.hazardsBefore(i + 1).length, seen);
    }
    assert.equal(seen, steps.length);
  });
});

describe('stops on a paged trace', () => {
  /** Every stop key a continue reaches from the start, and every one a reverse continue reaches from the end. */
  function stopsBothWays(configure: (t: BreakpointTable) => void): { forward: number[]; backward: number[] } {
    const { engine, rec } = recorded(MID);
    const table = new BreakpointTable(engine, rec);
    configure(table);
    const nav = new Navigator(rec, engine, new StopFinder(rec, engine, table, () => undefined));
    const forward: number[] = [];
    for (let m = nav.start(); m.stop; m = nav.continue() ?? { reason: 'end' }) forward.push(m.stop.key);
    const backward: number[] = [];
    for (let m = nav.reverseContinue(); m.stop; m = nav.reverseContinue()) backward.push(m.stop.key);
    return { forward, backward };
  }

  test('reverseContinue finds the same stops as forward continue: exceptions, a mark name, a wide event name', () => {
    const { forward, backward } = stopsBothWays((t) => {
      t.setHazardFilters(['api-misuse']);
      t.setFunctions([{ name: 'tracing_mark_write' }, { name: 'dma_unmap_*', hitCondition: '% 97' }]);
    });
    assert.ok(forward.length > 150, `${forward.length} stops`);
    assert.ok(forward.some((k) => k % 2 === 1), 'an exception stop is inside its step');
    assert.deepEqual([...backward].reverse(), forward);
  });

  test('an event-name breakpoint matching thousands of events is not listed per event, and stops on each', () => {
    const { engine, rec } = recorded(MID);
    const unmaps = engine.functionStatements('dma_unmap_phys');
    const events = eventsOf(MID);
    const expected = events.flatMap((e, i) => (e.name === 'dma_unmap_phys' ? [i] : []));
    assert.ok(expected.length > 4096, 'wide enough to be asked per step');
    assert.equal(unmaps.size, expected.length);
    assert.deepEqual([...unmaps], expected);
    assert.equal(unmaps.has(expected[77]), true);
    assert.equal(unmaps.has(expected[77] + 1), false);
    const table = new BreakpointTable(engine, rec);
    table.setHazardFilters([]);
    table.setFunctions([{ name: 'dma_unmap_phys' }]);
    const finder = new StopFinder(rec, engine, table, () => undefined);
    const stops: number[] = [];
    for (let s = finder.forward(-1); s && stops.length < 50; s = finder.forward(s.key)) stops.push(s.key / 2);
    assert.deepEqual(stops, expected.slice(0, 50));
  });

  test('address and device breakpoints read only the pages that may match, and find what a full pass finds', () => {
    const iommu = trace('e1000e-intel-iommu.trace.txt');
    const mapped = /dma_addr=(\w+) size=\d+ phys_addr=(\w+)/.exec(fs.readFileSync(iommu, 'latin1'))!;
    const cases: [string, string[]][] = [
      [MID, ['dma:0x10003000', 'dma:0x10003800-0x10004fff', 'phys:0x2005000+0x10', 'dma:0x30001000', 'dma:0xdead0000', 'device:0000:00:02.0', 'device:nosuch']],
      [iommu, [`dma:${mapped[1]}`, `phys:${mapped[2]}`, 'iova:0xfffff000-0xffffffff']],
    ];
    for (const [file, names] of cases) {
      const { engine, rec } = recorded(file);
      const pages = Math.ceil(rec.length / PAGE_STEPS);
      for (const name of names) {
        const before = engine.queryPages;
        assert.deepEqual([...engine.functionStatements(name)], fullPass(file, name), name);
        if (name === 'dma:0x30001000') assert.ok(engine.queryPages - before < pages, `${name} read ${engine.queryPages - before} of ${pages} pages`);
        if (name === 'dma:0xdead0000' || name === 'device:nosuch') assert.equal(engine.queryPages, before, `${name} reads no page`);
      }
    }
  });

  test('an address past 2^53 names no event and returns at once; a range ending there, or as wide as any, reads the pages that may match', () => {
    const { engine } = recorded(MID);
    // Such addresses hung the adapter: the index's loop over granules stood still past 2^53.
    for (const name of ['dma:0x123456789abcdef0123', `phys:0x${'f'.repeat(3000)}`, 'phys:0xfffffffffffffffffffff', 'dma:0x20000000000001']) {
      assert.equal(parseTraceQuery(name), undefined, name);
      assert.equal(engine.functionStatements(name).size, 0, name);
    }
    for (const name of ['dma:0x1fffffffffff00+0x1000', 'dma:0x0-0x1fffffffffffff', 'phys:0x1ffffffffff000+0x10']) {
      assert.deepEqual([...engine.functionStatements(name)], fullPass(MID, name), name);
    }
  });

  test('a dma-address breakpoint sent again is remembered, not read again', () => {
    const { engine } = recorded(MID);
    const first = engine.functionStatements('dma:0x10003000');
    assert.ok(first.size > 100, `${first.size} events`);
    const read = engine.queryPages;
    assert.equal(engine.functionStatements('dma:10003000+1'), first, 'the same query spelled differently');
    assert.equal(engine.queryPages, read);
  });
});
