// Sets of steps without a JavaScript number per member: a trace breakpoint's matches, four bytes each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SortedSteps } from '../../src/adapter/stepSet';

test('SortedSteps answers as a Set of the same steps would: has, size, iteration, forEach', () => {
  fc.assert(fc.property(fc.uniqueArray(fc.nat(100_000), { maxLength: 300 }), fc.array(fc.integer({ min: -5, max: 100_010 }), { maxLength: 50 }), (raw, probes) => {
    const sorted = [...raw].sort((a, b) => a - b);
    const steps = new SortedSteps();
    for (const s of sorted) steps.add(s);
    const reference = new Set(sorted);
    assert.equal(steps.size, reference.size);
    assert.deepEqual([...steps], sorted);
    assert.deepEqual([...steps.view()], sorted);
    for (const p of [...probes, ...sorted]) assert.equal(steps.has(p), reference.has(p), String(p));
    const seen: number[] = [];
    steps.forEach((v, k) => {
      assert.equal(v, k);
      seen.push(v);
    });
    assert.deepEqual(seen, sorted);
  }));
});
