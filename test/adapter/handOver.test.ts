// Stepping back hands the engine a fine snapshot instead of copying it, and a forward move keeps the state it
// leaves: whatever the order of moves, each position must show exactly the state forward execution reached there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openProgram } from '../../src/adapter/programs';
import { Recording } from '../../src/adapter/recording';
import type { ScenarioEngine } from '../../src/adapter/scenarioEngine';
import { fixture } from './client';

function open(): ScenarioEngine {
  const opened = openProgram({ program: fixture('ring.dmabuf'), stopOnEntry: true });
  if ('errors' in opened) throw new Error(opened.errors.join('\n'));
  return opened.engine as ScenarioEngine;
}

/** What the Variables view would show of the machine at the engine's position. */
function stateOf(e: ScenarioEngine): string {
  const m = e.runner.machine;
  return JSON.stringify({ at: e.position, buffers: m.buffers(), mappings: m.mappings(), lines: m.cacheLines(0, 1024), hazards: e.hazards().length });
}

test('any sequence of seeks, hand-overs and kept departures shows the state forward execution reached', () => {
  const reference = open();
  const expected = [stateOf(reference)];
  while (!reference.done) {
    reference.step();
    expected.push(stateOf(reference));
  }
  const e = open();
  const rec = new Recording(e, 4, 4); // small segments: many hand-overs and segment changes
  rec.recordSteps();
  assert.equal(rec.length, expected.length - 1);
  const move = fc.oneof(fc.constant(-1), fc.constant(1), fc.integer({ min: 0, max: rec.length }).map((p) => ({ to: p })));
  fc.assert(
    fc.property(fc.array(fc.tuple(move, fc.boolean()), { minLength: 1, maxLength: 40 }), (moves) => {
      for (const [m, keep] of moves) {
        const to = typeof m === 'number' ? Math.min(rec.length, Math.max(0, e.position + m)) : m.to;
        rec.seek(to, keep);
        assert.equal(stateOf(e), expected[to], `at ${to}`);
      }
    }),
    { numRuns: 200 },
  );
});

test('stepping back over kept states replays nothing', () => {
  const e = open();
  const rec = new Recording(e, 16, 16); // one segment holds the walk: fine snapshots are kept per segment
  rec.recordSteps();
  let executed = 0;
  const step = e.step.bind(e);
  e.step = () => {
    executed++;
    return step();
  };
  rec.seek(0);
  for (let p = 1; p <= 12; p++) rec.seek(p, true); // step forward, keeping each state left
  for (let p = 11; p >= 1; p--) {
    const before = executed;
    rec.seek(p);
    assert.equal(executed, before, `stepping back to ${p} handed over the state kept there`);
    assert.equal(e.position, p);
  }
});
