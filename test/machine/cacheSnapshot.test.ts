// The cache's compact snapshot (valid lines only): restoring it gives back exactly the lines that were valid,
// every other line Invalid, and a cache that goes on exactly as the original does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CacheState, cpuAccess, evictAll, maintain } from '../../src/machine/cache';
import { restoreCache, snapshotCache } from '../../src/machine/cacheSnapshot';
import { Machine } from '../../src/machine/machine';
import type { MachineState } from '../../src/machine/state';
import { at, machine } from './helpers';

const BASE = 0x1_0000_0000;

type Op = { kind: 'read' | 'write' | 'clean' | 'invalidate' | 'evict-all'; off: number; len: number; value: number };

const op = fc.record({
  kind: fc.constantFrom('read' as const, 'write' as const, 'clean' as const, 'invalidate' as const, 'evict-all' as const),
  off: fc.nat(6000), len: fc.integer({ min: 1, max: 700 }), value: fc.nat(255),
});

function apply(m: Machine, line: number, o: Op): unknown {
  return at(m, line, (x) => {
    const s = x.state;
    const phys = BASE + o.off;
    if (o.kind === 'read') return cpuAccess(s, phys, o.len, { kind: 'read' });
    if (o.kind === 'write') return cpuAccess(s, phys, o.len, { kind: 'write', runs: [{ len: o.len, value: o.value, seq: ++s.seq }], copy: false });
    if (o.kind === 'evict-all') return evictAll(s);
    return maintain(s, phys, o.len, o.kind);
  });
}

/** Each valid line as the cache holds it; stamps of Invalid lines mean nothing (LRU and views read valid lines'). */
function validLines(c: CacheState): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < c.states.length; i++) {
    if (c.states[i] !== 0) out.push({ i, tag: c.tags[i], state: c.states[i], stamp: c.stamps[i], data: c.data[i], filledAt: c.filledAt[i] });
  }
  return out;
}

function invalidLinesAreEmpty(c: CacheState): boolean {
  for (let i = 0; i < c.states.length; i++) {
    if (c.states[i] === 0 && (c.tags[i] !== -1 || c.data[i] !== null || c.filledAt[i] !== null)) return false;
  }
  return true;
}

test('a restored cache snapshot holds exactly the valid lines, and the cache goes on exactly as the original', () => {
  fc.assert(
    fc.property(
      fc.record({
        sets: fc.constantFrom(1, 4, 16), ways: fc.constantFrom(1, 2, 4), line: fc.constantFrom(16, 64),
        prefetch: fc.constantFrom('none' as const, 'next-line' as const, 'speculative' as const),
        before: fc.array(op, { maxLength: 15 }), after: fc.array(op, { maxLength: 8 }),
      }),
      (t) => {
        const m = machine({ cache: { size: t.sets * t.ways * t.line, ways: t.ways, line: t.line, prefetch: t.prefetch } });
        t.before.forEach((o, i) => apply(m, i + 1, o));
        const snap = m.snapshot();
        const copies = [Machine.restore(snap), Machine.restore(snap)];
        for (const r of copies) {
          const c = r.state.cache;
          assert.deepEqual(validLines(c), validLines(m.state.cache));
          assert.ok(invalidLinesAreEmpty(c));
          assert.deepEqual([c.valid, c.clock, c.sets, c.ways, c.line, c.prefetch], [m.state.cache.valid, m.state.cache.clock, t.sets, t.ways, m.state.cache.line, t.prefetch]);
        }
        for (const [i, o] of t.after.entries()) {
          const want = apply(m, 100 + i, o);
          for (const r of copies) assert.deepEqual(apply(r, 100 + i, o), want);
        }
        const shown = JSON.stringify(m.cacheLines(0, m.cacheLineCount()));
        for (const r of copies) {
          assert.equal(JSON.stringify(r.cacheLines(0, r.cacheLineCount())), shown);
          assert.deepEqual(r.peekMemory(BASE, 8192), m.peekMemory(BASE, 8192));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('a cache snapshot keeps the valid lines only, whatever the size of the cache', () => {
  const m = machine({ cache: { size: 1024 * 1024, ways: 8, line: 64 } });
  at(m, 1, (x) => cpuAccess(x.state, BASE, 200, { kind: 'read' }));
  const snap = snapshotCache(m.state.cache);
  assert.equal(snap.refs.length, 2 * 4, 'four lines, each with its data and the statement that filled it');
  const back = restoreCache(snap);
  assert.equal(back.states.length, 16384);
  assert.deepEqual(validLines(back), validLines(m.state.cache));
});

test('restoring a snapshot taken mid-operation keeps its pending line summary apart from the original', () => {
  const m = machine({ cache: { size: 4096, ways: 2, line: 64 } });
  const s: MachineState = m.state;
  s.cache.summary = [{ lo: 1, hi: 2, count: 2, to: 'I', cause: 'evict' }, { lo: 9, hi: 9, count: 1, to: 'C', cause: 'fill' }];
  const back = restoreCache(snapshotCache(s.cache));
  assert.deepEqual(back.summary, s.cache.summary);
  assert.notEqual(back.summary, s.cache.summary);
  assert.notEqual(back.summary![0], s.cache.summary[0]);
});

test('a transient snapshot keeps every line whole: restored copies are independent, an adopting restore takes its arrays', () => {
  const m = machine({ cache: { size: 4096, ways: 2, line: 64 } });
  at(m, 1, (x) => cpuAccess(x.state, BASE, 200, { kind: 'read' }));
  const snap = snapshotCache(m.state.cache, true);
  const before = validLines(m.state.cache);
  const a = restoreCache(snap);
  const b = restoreCache(snap);
  assert.deepEqual(validLines(a), before);
  a.states.fill(0);
  a.tags.fill(-1);
  assert.deepEqual(validLines(b), before, 'a copy restored from the same snapshot is untouched');
  const adopted = restoreCache(snap, true);
  assert.deepEqual(validLines(adopted), before, 'the snapshot itself is untouched by the copies');
  assert.equal(adopted.tags, snap.whole?.tags, 'adopting takes the arrays, no copy');
});
