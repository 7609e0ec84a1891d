// Ownership (spec §5: every byte is owned by the CPU or a set of (device, direction) pairs): many live mappings of
// one pair over a range are one owner, so a map costs the same however many of them are live, while each mapping
// still knows which bytes it owns for the hazards of §8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { at, machine, partlySynced, scenario } from './helpers';
import { partsOf, setRange } from '../../src/machine/spans';
import { share } from '../../src/machine/copyOnWrite';

test('1,000 live TO_DEVICE maps of one range are one owner, and only the first map changes it', () => {
  const m = machine();
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  const ownerEvents = [];
  for (let i = 0; i < 1000; i++) ownerEvents.push(...at(m, 2, (x) => x.dmaMapSingle('isp', p, 4096, 'TO_DEVICE', 0, false)).events.filter((e) => e.type === 'owner'));
  assert.deepEqual(ownerEvents.map((e) => e.type === 'owner' && `${e.from} -> ${e.to}`), ['cpu -> isp:TO_DEVICE']);
  assert.deepEqual(m.buffers()[0].owners, [{ off: 0, len: 4096, owner: 'isp:TO_DEVICE' }]);
  const runs = m.state.buffers.get(m.buffers()[0].id)?.owners;
  assert.deepEqual(runs?.map((r) => r.owners.map((o) => [o.pair, o.count])), [[['isp:TO_DEVICE', 1000]]]);
});

test('each of two mappings of one pair owns its own bytes: syncing one back leaves the other, and the pair, owning', () => {
  const { hazards } = scenario({}, [
    (m, v) => (v.p = m.kmalloc(4096)),
    (m, v) => (v.a = m.dmaMapSingle('isp', v.p, 4096, 'FROM_DEVICE', 0, false)),
    (m, v) => (v.b = m.dmaMapSingle('isp', v.p, 4096, 'FROM_DEVICE', 0, false)),
    (m, v) => m.dmaSyncSingleForCpu('isp', v.a, 4096, 'FROM_DEVICE', 0),
    (m, v) => m.expectOwner(v.p, { device: 'isp', dir: 'FROM_DEVICE' }),
    (m, v) => m.deviceWrite('isp', v.b, 0, 64, 1),
    (m, v) => m.deviceWrite('isp', v.a, 0, 64, 2),
    (m, v) => m.dmaUnmapSingle('isp', v.b, 4096, 'FROM_DEVICE', false),
    (m, v) => m.expectOwner(v.p, 'cpu'),
    (m, v) => m.dmaUnmapSingle('isp', v.a, 4096, 'FROM_DEVICE', false),
  ]);
  assert.deepEqual(hazards.map((h) => `${h.loc.line} ${h.kind}`), ['7 device-access-while-cpu-owned']);
});

test('a CPU access to bytes two mappings own names both, the first mapped first', () => {
  const { hazards, kinds } = scenario({}, [
    (m, v) => (v.p = m.kmalloc(8192)),
    (m, v) => (v.first = m.dmaMapSingle('isp', v.p, 4096, 'TO_DEVICE', 0, false)),
    (m, v) => (v.second = m.dmaMapSingle('isp', v.p, 4096, 'TO_DEVICE', 0, false)),
    (m, v) => m.cpuRead(v.p, 0, 64),
  ]);
  assert.deepEqual(kinds, ['cpu-access-while-device-owned']);
  assert.match(hazards[0].message, /owned by isp:TO_DEVICE \(mapped at line 2, not synced back\)/);
  assert.deepEqual(hazards[0].related.map((r) => r.loc.line), [2, 3]);
});

test('a full sync after many partial ones merges the runs back into one, and runs and spans it does not change are kept as they were', () => {
  const m = machine();
  const n = 50;
  const p = at(m, 1, (x) => x.kmalloc(n * 128)).result;
  const h = at(m, 2, (x) => x.dmaMapSingle('isp', p, n * 128, 'BIDIRECTIONAL', 0, false)).result;
  const b = m.state.buffers.get(m.buffers()[0].id)!;
  const mapping = [...m.state.mappings.values()][0];
  for (let i = 0; i < n; i++) at(m, 3, (x) => x.dmaSyncSingleForCpu('isp', h, 64, 'BIDIRECTIONAL', i * 128));
  assert.equal(b.owners.length, 2 * n);
  assert.equal(mapping.owned.length, n);
  // Syncing one piece back again changes nothing: no new runs or spans are made.
  const [runs, owned] = [b.owners, mapping.owned];
  at(m, 4, (x) => x.dmaSyncSingleForCpu('isp', h, 64, 'BIDIRECTIONAL', 0));
  assert.equal(b.owners, runs);
  assert.equal(mapping.owned, owned);
  // Handing one piece back to the device makes new runs only around it: the runs after it are the very same (the
  // array is changed in place, so they are compared with a copy).
  const before = runs.slice();
  at(m, 5, (x) => x.dmaSyncSingleForDevice('isp', h, 64, 'BIDIRECTIONAL', 0));
  // No snapshot shares them here: the runs and spans are changed in place, not copied whole.
  assert.equal(b.owners, runs);
  assert.equal(mapping.owned, owned);
  assert.equal(b.owners.length, 2 * n - 1);
  assert.ok(b.owners.slice(1).every((r, i) => r === before[i + 2]));
  const events = at(m, 6, (x) => x.dmaSyncSingleForDevice('isp', h, n * 128, 'BIDIRECTIONAL', 0)).events.filter((e) => e.type === 'owner');
  assert.deepEqual(b.owners.map((r) => [r.off, r.len, r.owners.map((o) => [o.pair, o.count])]), [[0, n * 128, [['isp:BIDIRECTIONAL', 1]]]]);
  assert.deepEqual(mapping.owned, [{ off: 0, len: n * 128 }]);
  assert.equal(events.length, n - 1);
});

test('runs with the same owning pairs merge whichever mappings made them: one owner event, one range', () => {
  const m = machine();
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  const a = at(m, 2, (x) => x.dmaMapSingle('isp', p, 128, 'BIDIRECTIONAL', 0, false)).result;
  at(m, 3, (x) => x.dmaMapSingle('isp', p, 4096, 'BIDIRECTIONAL', 0, false));
  at(m, 4, (x) => x.dmaUnmapSingle('isp', a, 128, 'BIDIRECTIONAL', false));
  const c = at(m, 5, (x) => x.dmaMapSingle('isp', p, 4096, 'TO_DEVICE', 0, false));
  assert.deepEqual(c.events.filter((e) => e.type === 'owner').map((e) => e.type === 'owner' && `${e.off}+${e.len}: ${e.from} -> ${e.to}`), ['0+4096: isp:BIDIRECTIONAL -> isp:BIDIRECTIONAL, isp:TO_DEVICE']);
  assert.deepEqual(m.buffers()[0].owners, [{ off: 0, len: 4096, owner: 'isp:BIDIRECTIONAL, isp:TO_DEVICE' }]);
  assert.equal(m.state.buffers.get(m.buffers()[0].id)?.owners.length, 1);
});

test('adjacent runs owned by one pair through different numbers of its mappings are one range and one event', () => {
  const m = machine();
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  at(m, 2, (x) => x.dmaMapSingle('isp', p, 128, 'BIDIRECTIONAL', 0, false));
  at(m, 3, (x) => x.dmaMapSingle('isp', p, 4096, 'BIDIRECTIONAL', 0, false));
  assert.equal(m.state.buffers.get(m.buffers()[0].id)?.owners.length, 2);
  assert.deepEqual(m.buffers()[0].owners, [{ off: 0, len: 4096, owner: 'isp:BIDIRECTIONAL' }]);
  const events = at(m, 4, (x) => x.dmaMapSingle('isp', p, 4096, 'TO_DEVICE', 0, false)).events.filter((e) => e.type === 'owner');
  assert.deepEqual(events.map((e) => e.type === 'owner' && [e.off, e.len]), [[0, 4096]]);
});

test('a sync that runs past the end of its buffer hands over the bytes inside it', () => {
  const m = machine();
  const p = at(m, 1, (x) => x.kmalloc(256)).result;
  const h = at(m, 2, (x) => x.dmaMapSingle('isp', p, 200, 'TO_DEVICE', 100, false)).result;
  at(m, 3, (x) => x.dmaSyncSingleForCpu('isp', h, 156, 'TO_DEVICE', 0));
  at(m, 4, (x) => x.dmaSyncSingleForDevice('isp', h, 100, 'TO_DEVICE', 100));
  assert.deepEqual(m.buffers()[0].owners, [{ off: 0, len: 200, owner: 'cpu' }, { off: 200, len: 56, owner: 'isp:TO_DEVICE' }]);
});

test('spans: the parts of a range covered or not, and a range added or taken out', () => {
  const s = [{ off: 0, len: 10 }, { off: 20, len: 10 }];
  assert.deepEqual(partsOf(s, 5, 20, true), [{ off: 5, len: 5 }, { off: 20, len: 5 }]);
  assert.deepEqual(partsOf(s, 5, 30, false), [{ off: 10, len: 10 }, { off: 30, len: 5 }]);
  // setRange changes the spans in place: each call gets its own.
  assert.deepEqual(setRange([...s], 10, 10, true), [{ off: 0, len: 30 }]);
  assert.deepEqual(setRange([...s], 5, 20, false), [{ off: 0, len: 5 }, { off: 25, len: 5 }]);
  assert.deepEqual(setRange([], 0, 0, true), []);
  assert.deepEqual(setRange([...s, { off: 40, len: 10 }], 5, 30, true), [{ off: 0, len: 35 }, { off: 40, len: 10 }]);
  assert.deepEqual(setRange([{ off: 0, len: 50 }], 10, 10, false), [{ off: 0, len: 10 }, { off: 20, len: 30 }]);
});

test('setRange on spans a snapshot shares leaves them as they were and returns a changed copy, which the caller keeps and then changes in place', () => {
  const spans = share([{ off: 0, len: 10 }, { off: 20, len: 10 }, { off: 40, len: 10 }]);
  const before = structuredClone(spans);
  const added = setRange(spans, 10, 10, true);
  assert.notEqual(added, spans);
  assert.deepEqual(added, [{ off: 0, len: 30 }, { off: 40, len: 10 }]);
  assert.deepEqual(spans, before);
  // Span objects are never changed: the copy keeps those the range did not meet.
  assert.equal(added[1], spans[2]);
  const taken = setRange(spans, 5, 40, false);
  assert.notEqual(taken, spans);
  assert.deepEqual(taken, [{ off: 0, len: 5 }, { off: 45, len: 5 }]);
  assert.deepEqual(spans, before);
  // Nothing to change: the array itself, shared or not.
  assert.equal(setRange(spans, 0, 0, true), spans);
  // The copy is no snapshot's: the next change makes it in place, so that a mapping synced piece by piece costs no copy per piece.
  assert.equal(setRange(added, 35, 5, true), added);
  assert.deepEqual(added, [{ off: 0, len: 30 }, { off: 35, len: 15 }]);
  assert.deepEqual(spans, before);
});

test('a sync after a snapshot installs new owned spans and owner runs in the live mapping and buffer, and the snapshot keeps the arrays it had, unchanged', () => {
  const { m, h } = partlySynced(1024);
  const b = m.state.buffers.get(m.buffers()[0].id)!;
  const mapping = [...m.state.mappings.values()][0];
  const [owned, runs] = [mapping.owned, b.owners];
  const [ownedBefore, runsBefore] = [structuredClone(owned), structuredClone(runs)];
  const snap = m.snapshot();
  at(m, 4, (x) => x.dmaSyncSingleForCpu('isp', h, 64, 'BIDIRECTIONAL', 512));
  assert.notEqual(mapping.owned, owned);
  assert.notEqual(b.owners, runs);
  assert.deepEqual(mapping.owned, [{ off: 64, len: 448 }, { off: 576, len: 448 }]);
  assert.deepEqual([owned, runs], [ownedBefore, runsBefore]);
  assert.equal(snap.state.mappings.get(mapping.id)?.owned, owned);
  assert.equal(snap.state.buffers.get(b.id)?.owners, runs);
});
