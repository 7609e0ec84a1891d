// The cadence of the finer snapshots taken while stepping back: one slow snapshot (a garbage collection in the
// middle of it) must not stop them for the rest of the segment, or every later stepBack replays it all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recording } from '../../src/adapter/recording';
import { FakeEngine, statementsOf } from './fakeEngine';

/** A fake engine whose snapshot number `slowAt` takes 50 ms. */
class StallingEngine extends FakeEngine {
  snapshots = 0;
  slowAt = -1;

  override snapshot(): ReturnType<FakeEngine['snapshot']> {
    if (++this.snapshots === this.slowAt) {
      const until = performance.now() + 50;
      while (performance.now() < until) {
        // a stall, as a garbage collection during the snapshot would be
      }
    }
    return super.snapshot();
  }
}

test('after one slow snapshot, stepping back still finds a finer snapshot a few steps behind', () => {
  const e = new StallingEngine(statementsOf(['a', 'b', 'c']), Array.from({ length: 2000 }, (_, i) => ({ stmt: i % 3 })));
  const rec = new Recording(e, 256, 256);
  rec.recordSteps();
  e.slowAt = e.snapshots + 2; // the second finer snapshot of the first stepBack's replay stalls
  rec.seek(1999);
  assert.ok(e.snapshots >= e.slowAt, 'the stalling snapshot was taken');
  for (let p = 1998; p > 1900; p--) {
    const before = e.stepsExecuted;
    rec.seek(p);
    assert.ok(e.stepsExecuted - before <= 16, `stepBack to ${p} replayed ${e.stepsExecuted - before} steps`);
  }
});
