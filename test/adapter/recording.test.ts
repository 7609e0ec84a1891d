// The recorded run: snapshots every interval, seeks that replay at most one interval, a few bytes per step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recording } from '../../src/adapter/recording';
import { FakeEngine, statementsOf, type FakeStep } from './fakeEngine';

function longRun(n: number): FakeStep[] {
  return Array.from({ length: n }, (_, i) => ({ stmt: i % 3, owner: i % 10 === 0 ? { buffer: 7, to: i % 20 === 0 ? 'isp:TO_DEVICE' : 'cpu' } : undefined }));
}

test('seek to any past position restores the state forward execution reached there', () => {
  const e = new FakeEngine(statementsOf(['a', 'b', 'c']), longRun(1000));
  const rec = new Recording(e, 64, 64);
  assert.equal(rec.recordSteps(), true);
  assert.equal(rec.length, 1000);
  for (const p of [999, 0, 500, 501, 499, 64, 63, 1000]) {
    rec.seek(p);
    assert.equal(e.position, p);
    const lastOwnerStep = Math.floor((p - 1) / 10) * 10;
    const expected = p === 0 ? 'none' : lastOwnerStep % 20 === 0 ? 'isp:TO_DEVICE' : 'cpu';
    assert.equal(e.view.evaluate('owner7', 0).value, expected, `owner at ${p}`);
  }
});

test('a seek replays at most one snapshot interval, and repeated stepBack far fewer', () => {
  const e = new FakeEngine(statementsOf(['a', 'b', 'c']), longRun(10_000));
  const rec = new Recording(e, 256, 256);
  rec.recordSteps();
  rec.seek(9_000);
  for (let p = 8_999; p > 8_900; p--) {
    const before = e.stepsExecuted;
    rec.seek(p);
    assert.ok(e.stepsExecuted - before <= 256, `seek to ${p} replayed ${e.stepsExecuted - before} steps`);
  }
  const before = e.stepsExecuted;
  rec.seek(8_899);
  assert.ok(e.stepsExecuted - before <= 16, 'stepBack inside a replayed segment uses the finer snapshots');
});

test('the recording keeps at most 100 bytes per step', () => {
  const e = new FakeEngine(statementsOf(['a', 'b', 'c']), longRun(100_000));
  const rec = new Recording(e);
  rec.recordSteps();
  assert.ok(rec.recordBytes() / rec.length <= 100, `${rec.recordBytes() / rec.length} bytes per step`);
});

test('recording in chunks reaches the same run as recording at once', () => {
  const e = new FakeEngine(statementsOf(['a', 'b', 'c']), longRun(1000));
  const rec = new Recording(e, 64, 64);
  let chunks = 0;
  while (!rec.recordSteps(100)) chunks++;
  assert.equal(chunks, 9);
  assert.equal(rec.length, 1000);
  assert.equal(rec.changedOwnerOf(990, 7), true);
  assert.equal(rec.changedOwnerOf(991, 7), false);
});

test('hazards consumed by expect_hazard are recorded as expected, the others as unexpected', () => {
  const run: FakeStep[] = [{ stmt: 0 }, { stmt: 1, hazard: 'stale-read' }, { stmt: 2, hazard: 'leak', expected: true }];
  const rec = new Recording(new FakeEngine(statementsOf(['a', 'b', 'c']), run));
  rec.recordSteps();
  assert.equal(rec.hazards.length, 2);
  assert.notEqual(rec.unexpectedKinds(1), 0);
  assert.equal(rec.unexpectedKinds(2), 0);
  assert.deepEqual(rec.hazardsBefore(2).map((h) => h.kind), ['stale-read']);
});
