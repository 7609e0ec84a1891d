// The CPU cache (spec §3 `cache`, §5, §6): LRU, write-back on eviction, prefetch modes, maintenance of partial
// edge lines, and the bulk path for large ranges, checked against a line-by-line reference.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CpuOp, cpuAccess, maintain } from '../../src/machine/cache';
import { PAGE } from '../../src/machine/layout';
import type { Machine } from '../../src/machine/machine';
import { readRuns, writeRuns } from '../../src/machine/memory';
import type { Hazard } from '../../src/machine/hazards';
import { DataRun, appendRuns, sliceRuns } from '../../src/machine/runs';
import { cpuAccessPieces } from '../../src/machine/scatteredAccess';
import type { MachineState } from '../../src/machine/state';
import { checkSource } from '../../src/runtime/checker';
import { at, machine } from './helpers';

const BASE = 0x1_0000_0000;

function small(o: { sets?: number; ways?: number; line?: number; prefetch?: 'none' | 'next-line' | 'speculative' } = {}): Machine {
  const line = o.line ?? 64;
  const ways = o.ways ?? 2;
  return machine({ cache: { size: (o.sets ?? 4) * ways * line, ways, line, prefetch: o.prefetch ?? 'none' } });
}

function step<T>(m: Machine, body: (s: MachineState) => T): T {
  return at(m, 1, () => body(m.state)).result;
}

const write = (value: number, seq: number, len: number): CpuOp & { kind: 'write' } => ({ kind: 'write', runs: [{ len, value, seq }], copy: false });

/** A property test's access; a copy is a bounce copy, whose data is not the newest (it may destroy newer writes). */
const opOf = (kind: 'read' | 'write' | 'copy' | 'alloc', runs: DataRun[]): CpuOp =>
  kind === 'read' ? { kind: 'read' } : kind === 'alloc' ? { kind: 'alloc', cause: 'prefetch' } : { kind: 'write', runs, copy: kind === 'copy' };

test('a CPU read fills missing lines Clean; a write makes them Dirty (write-allocate)', () => {
  const m = small();
  step(m, (s) => cpuAccess(s, BASE, 64, { kind: 'read' }));
  assert.equal(m.cacheLineAt(BASE)?.state, 'C');
  step(m, (s) => cpuAccess(s, BASE + 64, 8, write(1, 1, 8)));
  assert.equal(m.cacheLineAt(BASE + 64)?.state, 'D');
  assert.deepEqual(m.cacheLineAt(BASE + 64)?.data, [{ len: 8, value: 1 }, { len: 56, value: 0 }]);
});

test('capacity evictions follow LRU within a set and write back Dirty lines', () => {
  const m = small({ sets: 1, ways: 2 });
  step(m, (s) => cpuAccess(s, BASE, 64, write(0xaa, 1, 64)));
  step(m, (s) => cpuAccess(s, BASE + 64, 64, { kind: 'read' }));
  step(m, (s) => cpuAccess(s, BASE, 1, { kind: 'read' })); // BASE is now most recently used
  const ev = at(m, 2, () => cpuAccess(m.state, BASE + 128, 64, { kind: 'read' })).events;
  assert.equal(m.cacheLineAt(BASE + 64), undefined, 'the least recently used line was evicted');
  assert.equal(m.cacheLineAt(BASE)?.state, 'D');
  assert.ok(!ev.some((e) => e.type === 'writeback'), 'a Clean victim is dropped without write-back');
  const ev2 = at(m, 3, () => cpuAccess(m.state, BASE + 192, 64, { kind: 'read' })).events;
  assert.ok(ev2.some((e) => e.type === 'writeback' && e.phys === BASE));
  assert.deepEqual(m.peekMemory(BASE, 64), [{ len: 64, value: 0xaa }]);
  assert.equal(m.cacheLines(0, 2).map((l) => l.lruRank).sort().join(), '0,1');
});

test('prefetch=none allocates only the lines accessed', () => {
  const m = small({ sets: 8, prefetch: 'none' });
  step(m, (s) => cpuAccess(s, BASE, 1, { kind: 'read' }));
  assert.equal(m.cacheLineAt(BASE + 64), undefined);
});

test('prefetch=next-line also allocates lines L+1 and L+2 of the same page, clean', () => {
  const m = small({ sets: 8, prefetch: 'next-line' });
  step(m, (s) => cpuAccess(s, BASE, 1, write(5, 1, 1)));
  assert.equal(m.cacheLineAt(BASE + 64)?.state, 'C');
  assert.equal(m.cacheLineAt(BASE + 128)?.state, 'C');
  assert.equal(m.cacheLineAt(BASE + 192), undefined);
  step(m, (s) => cpuAccess(s, BASE + 4096 - 64, 1, { kind: 'read' }));
  assert.equal(m.cacheLineAt(BASE + 4096), undefined, 'never across the page end');
});

test('prefetch=speculative allocates every cacheable line of a device write just before it, clean from memory', () => {
  const m = machine({ cache: { prefetch: 'speculative' } });
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  const h = at(m, 2, (x) => x.dmaMapSingle('isp', p, 4096, 'FROM_DEVICE', 0, false)).result;
  at(m, 3, (x) => x.deviceWrite('isp', h, 0, 256, 0x5a));
  const phys = m.buffers()[0].segments[0].phys;
  assert.equal(m.cacheLineAt(phys + 192)?.state, 'C');
  assert.deepEqual(m.cacheLineAt(phys)?.data, [{ len: 64, value: 0 }], 'filled before the device wrote');
});

test('invalidate follows whole lines; a partial line at either edge is cleaned before it is invalidated', () => {
  const m = small({ sets: 8 });
  step(m, (s) => cpuAccess(s, BASE, 192, write(0x11, 1, 192)));
  const ev = at(m, 2, () => maintain(m.state, BASE + 32, 96, 'invalidate')).events;
  assert.equal(m.cacheLineAt(BASE), undefined);
  assert.equal(m.cacheLineAt(BASE + 64), undefined);
  assert.equal(m.cacheLineAt(BASE + 128)?.state, 'D', 'a line the range does not touch is kept');
  assert.deepEqual(m.peekMemory(BASE, 64), [{ len: 64, value: 0x11 }], 'the partial edge line was written back');
  assert.deepEqual(m.peekMemory(BASE + 64, 64), [{ len: 64, value: 0 }], 'the full line was dropped unwritten');
  assert.ok(ev.some((e) => e.type === 'hazard' && e.kind === 'lost-write'), 'dropping the only copy of a write is a lost write');
});

test('clean writes Dirty lines back and keeps them Clean; clean+invalidate drops them after writing back', () => {
  const m = small({ sets: 8 });
  step(m, (s) => cpuAccess(s, BASE, 128, write(0x22, 1, 128)));
  step(m, (s) => maintain(s, BASE, 64, 'clean'));
  assert.equal(m.cacheLineAt(BASE)?.state, 'C');
  step(m, (s) => maintain(s, BASE + 64, 64, 'clean+invalidate'));
  assert.equal(m.cacheLineAt(BASE + 64), undefined);
  assert.deepEqual(m.peekMemory(BASE, 128), [{ len: 128, value: 0x22 }]);
});

test('maintenance of a range larger than the cache walks the cache lines and acts on those inside the range', () => {
  const m = small({ sets: 2, ways: 2 });
  step(m, (s) => cpuAccess(s, BASE + 64, 64, write(0x33, 1, 64)));
  step(m, (s) => cpuAccess(s, BASE + 2 ** 30, 64, write(0x44, 2, 64)));
  step(m, (s) => maintain(s, BASE, 2 ** 20, 'clean'));
  assert.equal(m.cacheLineAt(BASE + 64)?.state, 'C');
  assert.equal(m.cacheLineAt(BASE + 2 ** 30)?.state, 'D', 'outside the range');
});

/** What the test compares: memory over the window, and each set's lines by LRU order with state and data. */
function snapshot(s: MachineState, lo: number, hi: number): unknown {
  const c = s.cache;
  const sets: unknown[] = [];
  for (let t = 0; t < c.sets; t++) {
    const ways = [];
    for (let w = 0; w < c.ways; w++) {
      const i = t * c.ways + w;
      if (c.tags[i] >= 0) ways.push({ stamp: c.stamps[i], tag: c.tags[i], state: c.states[i], data: c.data[i] });
    }
    ways.sort((a, b) => a.stamp - b.stamp);
    sets.push(ways.map(({ tag, state, data }) => ({ tag, state, data })));
  }
  return { mem: readRuns(s.mem, lo, hi - lo), sets };
}

/** The reference: the same access done one line at a time. */
function lineByLine(s: MachineState, phys: number, len: number, op: CpuOp): DataRun[] {
  const L = s.cache.line;
  const out: DataRun[] = [];
  for (let a = phys; a < phys + len; ) {
    const b = Math.min(phys + len, (Math.floor(a / L) + 1) * L);
    const part: CpuOp = op.kind === 'write' ? { ...op, runs: sliceRuns(op.runs, a - phys, b - a) } : op;
    appendRuns(out, cpuAccess(s, a, b - a, part));
    a = b;
  }
  return out;
}

/**
 * A statement's hazard messages, in order of text: a summary writes back the lines it pushes out of the cache before
 * it streams the middle, so two lost writes (of different writes) may come in the other order than line by line.
 */
const messages = (hazards: readonly Hazard[]): string[] =>
  hazards.map((h) => JSON.stringify([h.kind, h.detail, h.message, h.related.map((r) => [r.loc.line, r.message])])).sort();

test('bulk equivalence: a large CPU access leaves the same memory, cache and hazards as line-by-line simulation', () => {
  const prior = fc.record({ kind: fc.constantFrom('read', 'write', 'device'), off: fc.nat(4000), len: fc.integer({ min: 1, max: 300 }), value: fc.nat(255) });
  fc.assert(
    fc.property(
      fc.record({
        sets: fc.constantFrom(1, 2, 4), ways: fc.constantFrom(1, 2, 3), line: fc.constantFrom(16, 32),
        prefetch: fc.constantFrom('none' as const, 'next-line' as const, 'speculative' as const),
        prior: fc.array(prior, { maxLength: 12 }),
        final: fc.record({ kind: fc.constantFrom('read', 'write', 'copy', 'alloc'), off: fc.nat(200), extra: fc.nat(3000), value: fc.nat(255) }),
      }),
      (c) => {
        const m = small({ sets: c.sets, ways: c.ways, line: c.line, prefetch: c.prefetch });
        let seq = 100;
        for (const p of c.prior) {
          step(m, (s) => {
            if (p.kind === 'device') {
              // A noncoherent device writes memory only, leaving cached copies stale.
              const r = [{ len: p.len, value: p.value, seq: ++seq }];
              writeRuns(s.mem, BASE + p.off, r);
              writeRuns(s.newest, BASE + p.off, r);
            } else if (p.kind === 'write') {
              const op = write(p.value, ++seq, p.len);
              writeRuns(s.newest, BASE + p.off, op.runs);
              cpuAccess(s, BASE + p.off, p.len, op);
            } else cpuAccess(s, BASE + p.off, p.len, { kind: 'read' });
          });
        }
        const lines = c.sets * c.ways;
        const len = 2 * lines * c.line + c.line + c.final.extra;
        const op = opOf(c.final.kind, [{ len, value: c.final.value, seq: ++seq }]);
        const phys = BASE + c.final.off;
        if (op.kind === 'write' && !op.copy) writeRuns(m.state.newest, phys, op.runs);
        const ref = m.clone();
        const got = at(m, 9, () => cpuAccess(m.state, phys, len, op));
        const want = at(ref, 9, () => lineByLine(ref.state, phys, len, op));
        assert.deepEqual(got.result, want.result);
        assert.deepEqual(messages(got.hazards), messages(want.hazards));
        assert.deepEqual(snapshot(m.state, BASE, BASE + 8192), snapshot(ref.state, BASE, BASE + 8192));
        // The count of valid lines decides whether the walks over every line run at all.
        for (const x of [m, ref]) assert.equal(x.state.cache.valid, x.state.cache.states.filter((st) => st !== 0).length);
      },
    ),
    { numRuns: 300 },
  );
});

/**
 * Runs `op` over the pieces in turn with `cpuAccessPieces` and, on a copy of the machine, line by line; asserts that
 * both read the same, raise the same hazards and leave the same memory (up to `hi`) and cache. A write is newest
 * over all its bytes first, as `cpu.write` makes it; a bounce copy is not.
 */
function sameAsLineByLine(m: Machine, pieces: { phys: number; len: number }[], op: CpuOp, hi: number): void {
  let pos = 0;
  const parts = pieces.map((p) => {
    const part: CpuOp = op.kind === 'write' ? { ...op, runs: sliceRuns(op.runs, pos, p.len) } : op;
    pos += p.len;
    if (part.kind === 'write' && !part.copy) writeRuns(m.state.newest, p.phys, part.runs);
    return part;
  });
  const ref = m.clone();
  const got = at(m, 9, () => cpuAccessPieces(m.state, pieces, op));
  const want = at(ref, 9, () => pieces.map((p, i) => lineByLine(ref.state, p.phys, p.len, parts[i])));
  assert.deepEqual(got.result, want.result);
  assert.deepEqual(messages(got.hazards), messages(want.hazards));
  assert.deepEqual(snapshot(m.state, BASE, hi), snapshot(ref.state, BASE, hi));
  for (const x of [m, ref]) assert.equal(x.state.cache.valid, x.state.cache.states.filter((st) => st !== 0).length);
}

test('scattered pieces: an access of pages in any order leaves the same memory, cache and hazards as line-by-line simulation', () => {
  const PAGES = 20;
  // Where a prior access lands: near the access's start (lines it reaches first), on a page it takes, or anywhere.
  const prior = fc.record({
    kind: fc.constantFrom('read', 'write', 'device'), where: fc.constantFrom('start', 'taken', 'any'), page: fc.nat(PAGES - 1),
    off: fc.nat(4000), near: fc.nat(160), len: fc.integer({ min: 1, max: 300 }), value: fc.nat(255),
  });
  fc.assert(
    fc.property(
      fc.record({
        // Small caches, and caches of more sets than a page has lines (a page fills some sets, not all).
        geometry: fc.constantFrom<[number, number, number]>([1, 1, 16], [1, 3, 16], [2, 2, 16], [4, 3, 32], [4, 2, 16], [256, 1, 32], [256, 2, 32], [512, 1, 16], [128, 2, 64]),
        prefetch: fc.constantFrom('none' as const, 'next-line' as const, 'speculative' as const),
        // Lines of the pieces cached before the access, early or late in it, clean, dirty or stale.
        prior: fc.array(prior, { maxLength: 12 }),
        // Pages of one parity, alternating, or all but the first of one parity: then some sets of the larger caches
        // get no line of the access, or one.
        pages: fc.uniqueArray(fc.nat(PAGES / 2 - 1), { minLength: 2, maxLength: PAGES / 2 }), parity: fc.constantFrom('even', 'odd', 'alternate', 'first'),
        start: fc.nat(PAGE - 1), end: fc.integer({ min: 1, max: PAGE }),
        kind: fc.constantFrom('read', 'write', 'copy', 'alloc'), split: fc.nat(2 * PAGE), value: fc.nat(255),
      }),
      (c) => {
        const [sets, ways, line] = c.geometry;
        const m = small({ sets, ways, line, prefetch: c.prefetch });
        const odd = (i: number): number => (c.parity === 'odd' || (c.parity === 'alternate' && i % 2 === 1) || (c.parity === 'first' && i === 0) ? 1 : 0);
        const pages = c.pages.map((p, i) => 2 * p + odd(i));
        // Whole pages in the order drawn, the first from `start` in its page, the last up to `end` in its page.
        const pieces = pages.map((page, i) => {
          const from = i === 0 ? c.start : 0;
          const to = i === pages.length - 1 ? Math.max(c.end, i === 0 ? c.start + 1 : 1) : PAGE;
          return { phys: BASE + page * PAGE + from, len: to - from };
        });
        let seq = 100;
        for (const p of c.prior) {
          step(m, (s) => {
            const phys = p.where === 'start' ? pieces[0].phys + p.near : BASE + (p.where === 'taken' ? pages[p.page % pages.length] : p.page) * PAGE + p.off;
            if (p.kind === 'device') {
              const r = [{ len: p.len, value: p.value, seq: ++seq }];
              writeRuns(s.mem, phys, r);
              writeRuns(s.newest, phys, r);
            } else if (p.kind === 'write') {
              const op = write(p.value, ++seq, p.len);
              writeRuns(s.newest, phys, op.runs);
              cpuAccess(s, phys, p.len, op);
            } else cpuAccess(s, phys, p.len, { kind: 'read' });
          });
        }
        const total = pieces.reduce((n, p) => n + p.len, 0);
        // A write of two values, split anywhere, so that each piece takes its own slice of the runs.
        const split = Math.min(c.split, total);
        const runs = [{ len: split, value: c.value, seq: ++seq }, { len: total - split, value: c.value + 1, seq: ++seq }].filter((r) => r.len > 0);
        sameAsLineByLine(m, pieces, opOf(c.kind, runs), BASE + (PAGES + 1) * PAGE);
      },
    ),
    { numRuns: 400 },
  );
});

test('scattered pieces: a line cached early in the access, or late in a set that gets few of its lines, is a hit (stale data and all); such a set keeps its newest lines; pieces may share a line', () => {
  // One set of three ways: the access's second and third lines are still cached when it reaches them, stale.
  const m = small({ sets: 1, ways: 3, line: 16 });
  step(m, (s) => cpuAccess(s, BASE + 16, 32, { kind: 'read' }));
  step(m, (s) => writeRuns(s.mem, BASE, [{ len: 64, value: 7, seq: 500 }]));
  const pages = [0, 3, 5].map((p) => ({ phys: BASE + p * PAGE, len: PAGE }));
  sameAsLineByLine(m, pages, { kind: 'read' }, BASE + 8 * PAGE);
  // 256 sets of two ways, 128 lines a page: the odd page fills half the sets once, the even pages the rest many
  // times. A set of the odd half held two lines: it keeps the newer one beside its new line.
  const n = small({ sets: 256, ways: 2, line: 32 });
  const setBytes = 256 * 32;
  step(n, (s) => cpuAccess(s, BASE + PAGE + 5 * 32, 1, write(1, 600, 1)));
  step(n, (s) => cpuAccess(s, BASE + PAGE + setBytes + 5 * 32, 1, write(2, 601, 1)));
  const odd = [{ phys: BASE + 11 * PAGE, len: PAGE }, ...[0, 2, 4, 6, 8, 10, 12, 14, 16].map((p) => ({ phys: BASE + (p + 20) * PAGE, len: PAGE }))];
  sameAsLineByLine(n, odd, write(3, 602, 10 * PAGE), BASE + 40 * PAGE);
  // A line cached late in such an access, where its set got too few lines to push it out, is found still cached.
  const late = small({ sets: 256, ways: 2, line: 32 });
  step(late, (s) => cpuAccess(s, BASE + 31 * PAGE + 64, 32, { kind: 'read' }));
  step(late, (s) => writeRuns(s.mem, BASE + 31 * PAGE + 64, [{ len: 32, value: 8, seq: 700 }]));
  const lateHit = [...[0, 2, 4, 6, 8, 10, 12, 14, 16].map((p) => ({ phys: BASE + (p + 40) * PAGE, len: PAGE })), { phys: BASE + 31 * PAGE, len: PAGE }];
  sameAsLineByLine(late, lateHit, { kind: 'read' }, BASE + 60 * PAGE);
  // The first piece starts in the page where the last one ends: they may share a line (a cached, stale one here).
  const shared = small({ sets: 1, ways: 2, line: 64 });
  step(shared, (s) => cpuAccess(s, BASE + 64, 64, { kind: 'read' }));
  step(shared, (s) => writeRuns(s.mem, BASE + 64, [{ len: 64, value: 9, seq: 800 }]));
  for (const op of [{ kind: 'read' } as CpuOp, write(4, 801, PAGE - 20)]) {
    sameAsLineByLine(shared.clone(), [{ phys: BASE + 100, len: PAGE - 100 }, { phys: BASE, len: 80 }], op, BASE + 4 * PAGE);
  }
});

test('a line size of 8 (the smallest the language takes) is simulated as 8: the neighbouring 8 bytes are another line', () => {
  const text = [
    'platform arm64', 'cache line=8', 'device d', 'p = kmalloc(64)',
    'h = dma_map_single(d, p, 8, FROM_DEVICE, offset=8)',
    // The CPU dirties bytes 0..8 while the device owns 8..16: with 8-byte lines no write-back reaches the device's bytes.
    'cpu.write(p, 0, 8, 0x11)', 'd.write(h, 0, 8, 0x22)', 'dma_unmap_single(d, h, 8, FROM_DEVICE)', 'cpu.read(p, 8, 8) expect 0x22', 'kfree(p)',
  ];
  assert.deepEqual(checkSource(text.join('\n'), 'line8.dmabuf').hazards.map((h) => `${h.kind}@${h.loc.line}`), []);
  // With 16-byte lines the same bytes share a line, and the dirty line is written back over the device's data.
  const shared = checkSource(text.join('\n').replace('cache line=8', 'cache line=16'), 'line16.dmabuf').hazards.map((h) => h.kind);
  assert.ok(shared.includes('lost-write'), shared.join(', '));
});
