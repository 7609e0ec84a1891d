// The binary searches of src/sorted/search.ts must answer as a scan from the front would: on empty arrays, before
// the first value, after the last, and among runs of equal values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { countAtMost, firstAtLeast, firstEndingAfter, lastAtMost, segmentAt } from '../../src/sorted/search';

const at = (a: readonly number[]) => (k: number): number => a[k];

/** The answers of a linear scan. */
const scanFirstAtLeast = (a: readonly number[], x: number): number => {
  const k = a.findIndex((v) => v >= x);
  return k < 0 ? a.length : k;
};
const scanLastAtMost = (a: readonly number[], x: number): number => a.reduce((last, v, k) => (v <= x ? k : last), -1);

/** Ascending whole numbers, with repeats, and a whole number to look for around and between them. */
const sortedWholes = fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 40 }).map((a) => a.sort((p, q) => p - q));
const probe = fc.integer({ min: -60, max: 60 });

test('firstAtLeast: empty, before the first, after the last, the first of equal values', () => {
  const a = [2, 4, 4, 4, 9];
  assert.equal(firstAtLeast(0, at([]), 3), 0);
  assert.equal(firstAtLeast(a.length, at(a), -1), 0);
  assert.equal(firstAtLeast(a.length, at(a), 2), 0);
  assert.equal(firstAtLeast(a.length, at(a), 3), 1);
  assert.equal(firstAtLeast(a.length, at(a), 4), 1);
  assert.equal(firstAtLeast(a.length, at(a), 9), 4);
  assert.equal(firstAtLeast(a.length, at(a), 10), 5);
});

test('lastAtMost: empty, before the first, after the last, the last of equal values, between whole numbers', () => {
  const a = [2, 4, 4, 4, 9];
  assert.equal(lastAtMost(0, at([]), 3), -1);
  assert.equal(lastAtMost(a.length, at(a), 1), -1);
  assert.equal(lastAtMost(a.length, at(a), 2), 0);
  assert.equal(lastAtMost(a.length, at(a), 3), 0);
  assert.equal(lastAtMost(a.length, at(a), 4), 3);
  assert.equal(lastAtMost(a.length, at(a), 8.5), 3);
  assert.equal(lastAtMost(a.length, at(a), 9), 4);
  assert.equal(lastAtMost(a.length, at(a), 2 ** 52), 4);
  assert.equal(lastAtMost(1, at([0]), -0.5), -1);
});

test('segmentAt: the segment a position lies in, the first for one before them all', () => {
  const starts = [0, 4096, 8192];
  assert.equal(segmentAt(starts.length, at(starts), 0), 0);
  assert.equal(segmentAt(starts.length, at(starts), 4095), 0);
  assert.equal(segmentAt(starts.length, at(starts), 4096), 1);
  assert.equal(segmentAt(starts.length, at(starts), 2 ** 40), 2);
  assert.equal(segmentAt(starts.length, at([10, 20]), 3), 0, 'before the first');
  assert.equal(segmentAt(0, at([]), 3), 0);
});

test('countAtMost counts the values at or before', () => {
  assert.equal(countAtMost([], 5), 0);
  assert.equal(countAtMost([1, 3, 3, 7], 0), 0);
  assert.equal(countAtMost([1, 3, 3, 7], 3), 3);
  assert.equal(countAtMost([1, 3, 3, 7], 3.9), 3);
  assert.equal(countAtMost(new Float64Array([1, 3, 3, 7]), 7), 4);
});

test('firstEndingAfter: a range ending at a byte does not reach past it', () => {
  const ranges = [
    { off: 0, len: 4 },
    { off: 8, len: 2 },
    { off: 16, len: 16 },
  ];
  assert.equal(firstEndingAfter([], 0), 0);
  assert.equal(firstEndingAfter(ranges, -1), 0);
  assert.equal(firstEndingAfter(ranges, 3), 0);
  assert.equal(firstEndingAfter(ranges, 4), 1); // [0, 4) ends at 4: byte 4 lies after it
  assert.equal(firstEndingAfter(ranges, 6), 1);
  assert.equal(firstEndingAfter(ranges, 10), 2);
  assert.equal(firstEndingAfter(ranges, 31), 2);
  assert.equal(firstEndingAfter(ranges, 32), 3);
});

test('each search answers as a linear scan', () => {
  fc.assert(
    fc.property(sortedWholes, probe, (a, x) => {
      assert.equal(firstAtLeast(a.length, at(a), x), scanFirstAtLeast(a, x));
      assert.equal(lastAtMost(a.length, at(a), x), scanLastAtMost(a, x));
      assert.equal(lastAtMost(a.length, at(a), x + 0.5), scanLastAtMost(a, x + 0.5));
      assert.equal(countAtMost(a, x), a.filter((v) => v <= x).length);
      assert.equal(segmentAt(a.length, at(a), x), Math.max(0, scanLastAtMost(a, x)));
    }),
  );
});

test('firstEndingAfter answers as a linear scan over sorted disjoint ranges', () => {
  // Gaps (0: touching) and lengths of the ranges, laid out from `start`.
  const ranges = fc
    .tuple(fc.integer({ min: -20, max: 20 }), fc.array(fc.tuple(fc.nat(5), fc.integer({ min: 1, max: 6 })), { maxLength: 20 }))
    .map(([start, parts]) => {
      let pos = start;
      return parts.map(([gap, len]) => {
        pos += gap;
        const r = { off: pos, len };
        pos += len;
        return r;
      });
    });
  fc.assert(
    fc.property(ranges, fc.integer({ min: -30, max: 160 }), (rs, x) => {
      const k = rs.findIndex((r) => r.off + r.len > x);
      assert.equal(firstEndingAfter(rs, x), k < 0 ? rs.length : k);
    }),
  );
});
