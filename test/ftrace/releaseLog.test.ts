// The checker's memory of released addresses (issue 6 item 7): it must answer like a map of the newest releases,
// forget the oldest beyond its capacity so that memory does not grow with the trace, and copy for checkpoints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Allocation, Origin } from '../../src/ftrace/mappings';
import { ReleaseLog, type Release } from '../../src/ftrace/releaseLog';

const origin = (line: number): Origin => ({ line, offset: line * 100, timestamp: line / 1000, cpu: line % 4, epoch: line % 3 });
/** What the log keeps of `origin(line)`: what the checks read. */
const release = (line: number): Release => ({ line, epoch: line % 3 });

test('a release is remembered with its line and epoch, and the newest release of an address wins', () => {
  const log = new ReleaseLog(16);
  log.set(0x1000, origin(1));
  log.set(2 ** 40 + 0x1000, origin(2));
  log.set(0x1000, origin(3));
  assert.deepEqual(log.get(0x1000), release(3));
  assert.deepEqual(log.get(2 ** 40 + 0x1000), release(2));
  assert.equal(log.get(0x2000), undefined);
  assert.equal(log.size, 2);
});

test('past its capacity the log forgets the oldest releases first: memory stays bounded', () => {
  const log = new ReleaseLog(1024);
  for (let i = 0; i < 10_000; i++) log.set(0x10000 + i * 64, origin(i + 1));
  assert.ok(log.size <= 1024 && log.size >= 512, `${log.size}`);
  // The newest half of the capacity is always there; anything older than the capacity is gone.
  for (let i = 10_000 - 512; i < 10_000; i++) assert.deepEqual(log.get(0x10000 + i * 64), release(i + 1));
  for (let i = 0; i < 10_000 - 1024; i++) assert.equal(log.get(0x10000 + i * 64), undefined);
});

test('DMA_MAPPING_ERROR, addresses past 2^53 and NaN are keys like any other', () => {
  const log = new ReleaseLog(8);
  for (const [i, key] of [2 ** 64, 2 ** 60, NaN, 0].entries()) log.set(key, origin(i + 1));
  assert.equal(log.get(2 ** 64)?.line, 1);
  assert.equal(log.get(2 ** 60)?.line, 2);
  assert.equal(log.get(NaN)?.line, 3);
  assert.equal(log.get(0)?.line, 4);
});

const keys = fc.oneof(fc.integer({ min: 0, max: 40 }).map((k) => k * 4096), fc.integer({ min: 0, max: 40 }).map((k) => 2 ** 34 * k + 64));

/** Checks `log` against the model of releases `seq` (line = place + 1): what a map of the newest would answer. */
function answersAsModel(log: ReleaseLog, seq: number[], capacity: number): void {
  const newest = new Map<number, number>();
  seq.forEach((key, i) => newest.set(key, i + 1));
  // Those among the last `capacity / 2` releases are kept for sure.
  const sure = seq.length - Math.floor(capacity / 2);
  for (const [key, line] of newest) {
    const got = log.get(key);
    if (line > sure) assert.deepEqual(got, release(line));
    // An older one may be forgotten, or still there, but never stale.
    else assert.ok(got === undefined || got.line === line);
  }
  assert.ok(log.size <= capacity);
}

test('it answers as a map of the newest releases would, for any sequence of releases', () => {
  fc.assert(fc.property(fc.array(keys, { maxLength: 300 }), fc.integer({ min: 2, max: 64 }), (seq, capacity) => {
    const log = new ReleaseLog(capacity);
    seq.forEach((key, i) => {
      log.set(key, origin(i + 1));
      // Questions between releases make the index catch up part way.
      if (i % 7 === 0) log.get(key);
    });
    answersAsModel(log, seq, capacity);
  }), { numRuns: 300 });
});

test('a copy and its original go on apart, each answering for its own releases, across generations', () => {
  const seqs = fc.array(keys, { maxLength: 120 });
  fc.assert(fc.property(seqs, seqs, seqs, fc.integer({ min: 2, max: 16 }), (before, mine, theirs, capacity) => {
    const log = new ReleaseLog(capacity);
    before.forEach((key, i) => log.set(key, origin(i + 1)));
    const copy = log.clone();
    mine.forEach((key, i) => log.set(key, origin(before.length + i + 1)));
    theirs.forEach((key, i) => copy.set(key, origin(before.length + i + 1)));
    answersAsModel(log, [...before, ...mine], capacity);
    answersAsModel(copy, [...before, ...theirs], capacity);
  }), { numRuns: 300 });
});

test('a clone is a checkpoint: later releases on either side do not show in the other', () => {
  const log = new ReleaseLog(4);
  log.set(1, origin(1));
  const copy = log.clone();
  log.set(2, origin(2));
  copy.set(3, origin(3));
  assert.equal(copy.get(2), undefined);
  assert.equal(log.get(3), undefined);
  assert.equal(copy.get(1)?.line, 1);
});

test('a log made to keep what each release released answers with that release\'s, across generations and in copies apart', () => {
  const kept = (line: number): Allocation => ({ api: 'coherent', device: 'dev', dma: line, size: 64, origin: origin(line) });
  const seqs = fc.array(keys, { maxLength: 120 });
  fc.assert(fc.property(seqs, seqs, fc.integer({ min: 2, max: 16 }), (before, after, capacity) => {
    const log = new ReleaseLog(capacity, true);
    before.forEach((key, i) => log.set(key, origin(i + 1), kept(i + 1)));
    const copy = log.clone();
    after.forEach((key, i) => log.set(key, origin(before.length + i + 1), kept(before.length + i + 1)));
    for (const [l, seq] of [[log, [...before, ...after]], [copy, before]] as const) {
      assert.equal(l.get(seq.at(-1) ?? -1)?.line, seq.length || undefined);
      for (const key of seq) {
        const r = l.get(key);
        if (r) assert.equal(r.what?.dma, r.line);
      }
    }
  }), { numRuns: 300 });
});
