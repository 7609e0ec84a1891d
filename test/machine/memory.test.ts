// Physical memory as runs, the layout and the page allocator (spec §3 `memory`, §5).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FOUR_GIB, RAM_BASE, computeLayout } from '../../src/machine/layout';
import { createRunStore, fillRun, readRuns, runCount, writeRuns } from '../../src/machine/memory';
import { allocContiguous, allocRuns, allocScattered, createPageAllocator, freePages } from '../../src/machine/pageAllocator';
import { allocTopDown, createRangeAllocator, freeRange, reserve } from '../../src/machine/rangeAllocator';
import { overwriteRuns, sliceRuns, toByteRuns } from '../../src/machine/runs';

test('memory starts as zero bytes written before the first statement', () => {
  const m = createRunStore();
  assert.deepEqual(readRuns(m, RAM_BASE, 4096), [{ len: 4096, value: 0, seq: 0 }]);
});

test('writing 1 GiB of one value costs O(1) runs, not bytes', () => {
  const m = createRunStore();
  fillRun(m, RAM_BASE, 2 ** 30, 0xa5, 1);
  assert.equal(runCount(m), 3);
  assert.deepEqual(readRuns(m, RAM_BASE + 12345, 2 ** 20), [{ len: 2 ** 20, value: 0xa5, seq: 1 }]);
});

test('memory runs coalesce adjacent equal runs', () => {
  const m = createRunStore();
  fillRun(m, 1000, 100, 7, 3);
  fillRun(m, 1100, 100, 7, 3);
  assert.equal(runCount(m), 3);
  fillRun(m, 1000, 200, 0, 0);
  assert.equal(runCount(m), 1, 'writing the surrounding value back merges everything into one run');
});

test('a write inside a run splits it and keeps both ends', () => {
  const m = createRunStore();
  fillRun(m, 0, 1000, 1, 1);
  writeRuns(m, 100, [{ len: 10, value: 2, seq: 2 }, { len: 5, value: 3, seq: 3 }]);
  assert.deepEqual(readRuns(m, 90, 30), [
    { len: 10, value: 1, seq: 1 }, { len: 10, value: 2, seq: 2 }, { len: 5, value: 3, seq: 3 }, { len: 5, value: 1, seq: 1 },
  ]);
});

test('any sequence of writes leaves the bytes a byte array would hold, in the fewest runs (adjacent runs always differ)', () => {
  const SPAN = 1600;
  // Short writes, and some that cross hundreds of runs: over a store of more runs than a block holds, they split,
  // shift and join blocks.
  const runsOf = (max: number) => fc.array(fc.record({ len: fc.integer({ min: 1, max }), value: fc.nat(3), seq: fc.nat(3) }), { minLength: 1, maxLength: 3 });
  const write = fc.record({ addr: fc.nat(SPAN - 1), runs: fc.oneof(runsOf(40), runsOf(500)) });
  fc.assert(fc.property(fc.boolean(), fc.array(write, { maxLength: 40 }), (many, writes) => {
    const m = createRunStore();
    const bytes = Array.from({ length: SPAN + 1600 }, () => [0, 0]);
    // With `many`, 1200 one-byte runs to start with: several blocks.
    for (let i = 0; many && i < 1200; i++) {
      writeRuns(m, i, [{ len: 1, value: 1 + (i % 2), seq: 9 }]);
      bytes[i] = [1 + (i % 2), 9];
    }
    if (many) assert.ok(m.blocks.length > 2, `${m.blocks.length} blocks`);
    for (const w of writes) {
      writeRuns(m, w.addr, w.runs);
      let at = w.addr;
      for (const r of w.runs) for (let k = 0; k < r.len; k++) bytes[at++] = [r.value, r.seq];
    }
    const read = readRuns(m, 0, bytes.length).flatMap((r) => Array.from({ length: r.len }, () => [r.value, r.seq]));
    assert.deepEqual(read, bytes);
    // As few runs as the bytes need: one per change of value or write (the zeros past the array run to the end).
    let changes = 1;
    for (let i = 1; i <= bytes.length; i++) {
      const [v, q] = bytes[i] ?? [0, 0];
      if (v !== bytes[i - 1][0] || q !== bytes[i - 1][1]) changes++;
    }
    assert.equal(runCount(m), changes);
  }), { numRuns: 500 });
});

test('run helpers slice and overwrite by runs, and byte runs merge equal values of different writes', () => {
  const runs = [{ len: 4, value: 1, seq: 1 }, { len: 4, value: 1, seq: 2 }];
  assert.deepEqual(sliceRuns(runs, 2, 4), [{ len: 2, value: 1, seq: 1 }, { len: 2, value: 1, seq: 2 }]);
  assert.deepEqual(overwriteRuns(runs, 3, [{ len: 2, value: 9, seq: 5 }]), [
    { len: 3, value: 1, seq: 1 }, { len: 2, value: 9, seq: 5 }, { len: 3, value: 1, seq: 2 },
  ]);
  assert.deepEqual(toByteRuns(runs), [{ len: 8, value: 1 }]);
});

test('layout: RAM at 0x8000_0000, swiotlb pool and CMA below 4 GiB', () => {
  const l = computeLayout(8 * 2 ** 30);
  assert.equal(l.ramBase, 0x8000_0000);
  assert.equal(l.ramEnd, 0x8000_0000 + 8 * 2 ** 30);
  assert.equal(l.swiotlbSize, 64 * 2 ** 20);
  assert.ok(l.swiotlbBase + l.swiotlbSize <= FOUR_GIB && l.cmaBase + l.cmaSize <= FOUR_GIB);
});

test('the page allocator places allocations from the top of RAM down, so by default above 4 GiB', () => {
  const l = computeLayout(8 * 2 ** 30);
  const a = createPageAllocator(l, 1);
  const p1 = allocContiguous(a, 4096) as number;
  const p2 = allocContiguous(a, 4096) as number;
  assert.equal(p1, l.ramEnd - 4096);
  assert.equal(p2, l.ramEnd - 8192);
  assert.ok(p2 >= FOUR_GIB);
});

test('an allocation restricted below a dma_mask lands under it; CMA allocations come from the CMA region', () => {
  const l = computeLayout(8 * 2 ** 30);
  const a = createPageAllocator(l, 1);
  const low = allocContiguous(a, 1 << 20, { below: FOUR_GIB }) as number;
  assert.ok(low + (1 << 20) <= FOUR_GIB);
  const cma = allocContiguous(a, 1 << 20, { cma: true }) as number;
  assert.ok(cma >= l.cmaBase && cma + (1 << 20) <= l.cmaBase + l.cmaSize);
  assert.equal(allocContiguous(a, 2 ** 40), undefined, 'too large: nothing fits');
});

test('vmalloc gets scattered pages, never adjacent, deterministic for a seed', () => {
  const l = computeLayout(8 * 2 ** 30);
  const runs1 = allocScattered(createPageAllocator(l, 7), 64 * 1024) as { phys: number; len: number }[];
  const runs2 = allocScattered(createPageAllocator(l, 7), 64 * 1024) as { phys: number; len: number }[];
  assert.deepEqual(runs1, runs2);
  assert.ok(runs1.length > 1);
  assert.equal(runs1.reduce((n, r) => n + r.len, 0), 64 * 1024);
  for (let i = 1; i < runs1.length; i++) assert.ok(runs1[i].phys + runs1[i].len < runs1[i - 1].phys, 'a gap between runs');
});

test('freed pages are handed out again', () => {
  const l = computeLayout(8 * 2 ** 30);
  const a = createPageAllocator(l, 1);
  const runs = allocRuns(a, [8192, 4096]) as { phys: number; len: number }[];
  for (const r of runs) freePages(a, r.phys, r.len);
  const before = a.general.freeBytes;
  assert.equal(allocContiguous(a, 4096), l.ramEnd - 4096);
  assert.equal(a.general.freeBytes, before - 4096);
  // Free ranges merged back into one: what stands free is the region less that page, in one run.
  const free = readRuns(a.general.runs, a.general.base, a.general.end - a.general.base).filter((r) => r.value === 1);
  assert.deepEqual(free.map((r) => r.len), [before - 4096]);
});

test('the range allocator hands out what a sorted free list would: top-down first fit below a limit, aligned, freed ranges merged', () => {
  // A reference model: the free list as sorted [phys, end) pairs, merged on free.
  const step = fc.oneof(
    fc.record({ op: fc.constant('alloc' as const), len: fc.integer({ min: 1, max: 48 }), below: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }), align: fc.constantFrom(1, 2, 8, 16) }),
    fc.record({ op: fc.constant('free' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('reserve' as const), phys: fc.integer({ min: 80, max: 300 }), len: fc.integer({ min: 1, max: 30 }) }),
  );
  fc.assert(fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
    const r = createRangeAllocator(100, 260);
    const model = new Uint8Array(400); // 1 = free
    model.fill(1, 100, 260);
    const held: [number, number][] = [];
    for (const s of steps) {
      if (s.op === 'alloc') {
        let want: number | undefined;
        for (let top = Math.min(s.below ?? Infinity, 260); top >= 100 && want === undefined; top--) {
          // The highest free byte below `top` ends a run; the highest aligned fit in that run is the answer.
          if (model[top - 1] !== 1) continue;
          let lo = top;
          while (lo > 100 && model[lo - 1] === 1) lo--;
          const start = Math.floor((top - s.len) / s.align) * s.align;
          if (start >= lo) want = start;
          top = lo + 1;
        }
        const got = allocTopDown(r, s.len, s.below, s.align);
        assert.equal(got, want);
        if (got !== undefined) {
          model.fill(0, got, got + s.len);
          held.push([got, s.len]);
        }
      } else if (s.op === 'free' && held.length > 0) {
        const [phys, len] = held.splice(s.pick % held.length, 1)[0];
        freeRange(r, phys, len);
        model.fill(1, phys, phys + len);
      } else if (s.op === 'reserve') {
        reserve(r, s.phys, s.len);
        model.fill(0, Math.max(s.phys, 100), Math.min(s.phys + s.len, 260));
      }
      assert.equal(r.freeBytes, model.reduce((n, b) => n + b, 0));
    }
  }), { numRuns: 300 });
});
