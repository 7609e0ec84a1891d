// The checker's tables of live addresses (issue 6 item 7): an open-addressing table over any double must answer
// as a Map would through any sequence of additions and removals (removal moves entries, it leaves no tombstones),
// grow past its first room, and copy for checkpoints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AddressTable } from '../../src/ftrace/addressTable';

/** A table of one number per address, read as a Map. */
class NumberMap {
  readonly t = new AddressTable(1);
  set(k: number, v: number): void {
    this.t.put(this.t.claim(k), 0, v);
  }
  get(k: number): number | undefined {
    const slot = this.t.find(k);
    return slot < 0 ? undefined : this.t.get(slot, 0);
  }
  delete(k: number): boolean {
    const slot = this.t.find(k);
    if (slot >= 0) this.t.remove(slot);
    return slot >= 0;
  }
  values(): number[] {
    return [...this.t.slots()].map((s) => this.t.get(s, 0));
  }
}

test('an entry holds its numbers and its object; claiming a present address finds the same slot', () => {
  const t = new AddressTable<string>(2);
  const a = t.claim(0xffffb000);
  t.put(a, 0, 4096);
  t.put(a, 1, 7.25);
  t.setObject(a, 'first');
  assert.equal(t.claim(0xffffb000), a);
  assert.equal(t.find(0xffffb000), a);
  assert.deepEqual([t.key(a), t.get(a, 0), t.get(a, 1), t.object(a)], [0xffffb000, 4096, 7.25, 'first']);
  assert.equal(t.size, 1);
  assert.equal(t.find(0xffffa000), -1);
});

test('addresses past 2^53, DMA_MAPPING_ERROR, NaN and 0 are keys like any other', () => {
  const m = new NumberMap();
  const keys = [2 ** 64, 2 ** 60, 2 ** 60 + 4096, NaN, 0, -0.5];
  keys.forEach((k, i) => m.set(k, i));
  keys.forEach((k, i) => assert.equal(m.get(k), i));
  assert.equal(m.t.size, keys.length);
});

test('it answers as a Map would, for any sequence of sets and deletes, past several growths', () => {
  // Page-aligned keys in a narrow range collide in the low bits: removals must keep every probe run whole.
  const key = fc.oneof(fc.integer({ min: 0, max: 200 }).map((k) => 0xfff00000 + k * 4096), fc.integer({ min: 0, max: 50 }).map((k) => 2 ** 36 * k));
  const op = fc.tuple(fc.boolean(), key);
  fc.assert(fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
    const model = new Map<number, number>();
    const m = new NumberMap();
    ops.forEach(([add, k], i) => {
      if (add) {
        model.set(k, i);
        m.set(k, i);
      } else assert.equal(m.delete(k), model.delete(k));
    });
    assert.equal(m.t.size, model.size);
    for (const [k, v] of model) assert.equal(m.get(k), v);
    assert.deepEqual([...m.values()].sort((a, b) => a - b), [...model.values()].sort((a, b) => a - b));
    for (const [, k] of ops) if (!model.has(k)) assert.equal(m.get(k), undefined);
  }), { numRuns: 300 });
});

test('a table grows past its first room and gives the room back when emptied, keeping every entry', () => {
  const t = new AddressTable(1);
  for (let i = 0; i < 5000; i++) t.put(t.claim(0xffff0000 - i * 4096), 0, i);
  assert.ok(t.room >= 10_000, `${t.room}`);
  for (let i = 0; i < 4990; i++) t.remove(t.find(0xffff0000 - i * 4096));
  assert.equal(t.size, 10);
  for (let i = 4990; i < 5000; i++) assert.equal(t.get(t.find(0xffff0000 - i * 4096), 0), i);
  // A walk over the table (a debugger's view, a sync inside a mapping) costs about the live entries, not the peak.
  assert.ok(t.room <= 1024, `${t.room}`);
});

test('a clone is a checkpoint, and clear empties a table for reuse', () => {
  const t = new AddressTable(1);
  t.put(t.claim(1), 0, 10);
  const copy = t.clone();
  t.put(t.claim(2), 0, 20);
  t.remove(t.find(1));
  assert.equal(copy.find(2), -1);
  assert.equal(copy.get(copy.find(1), 0), 10);
  assert.equal(t.find(1), -1);
  t.clear();
  assert.equal(t.size, 0);
  assert.equal(t.find(2), -1);
  t.put(t.claim(3), 0, 30);
  assert.equal(t.get(t.find(3), 0), 30);
});
