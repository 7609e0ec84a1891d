// Ownership (spec §5: every byte is owned by the CPU or a set of (device, direction) pairs): many live mappings of
// one pair over a range are one owner, so a map costs the same however many of them are live, while each mapping
// still knows which bytes it owns for the hazards of §8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { at, machine, scenario } from './helpers';
import { partsOf, withRange } from '../../src/machine/spans';

test('1,000 live TO_DEVICE maps of one range are one owner, and only the first map changes it', () => {
  const m = machine();
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  const ownerEvents = [];
  for (let i = 0; i < 1000; i++) ownerEvents.push(...at(m, 2, (x) => x.dmaMapSingle('isp', p, 4096, 'TO_DEVICE', 0, false)).events.filter((e) => e.type === 'owner'));
  assert.deepEqual(ownerEvents.map((e) => e.type === 'owner' && `${e.from} -> ${e.to}`), ['cpu -> isp:TO_DEVICE']);
  assert.deepEqual(m.buffers()[0].owners, [{ off: 0, len: 4096, owner: 'isp:TO_DEVICE' }]);
  const runs = m.state.buffers.get(m.buffers()[0].id)?.owners;
  assert.deepEqual(runs?.map((r) => [r.owners.length, r.counts]), [[1, [1000]]]);
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

test('spans: the parts of a range covered or not, and a range added or taken out', () => {
  const s = [{ off: 0, len: 10 }, { off: 20, len: 10 }];
  assert.deepEqual(partsOf(s, 5, 20, true), [{ off: 5, len: 5 }, { off: 20, len: 5 }]);
  assert.deepEqual(partsOf(s, 5, 30, false), [{ off: 10, len: 10 }, { off: 30, len: 5 }]);
  assert.deepEqual(withRange(s, 10, 10, true), [{ off: 0, len: 30 }]);
  assert.deepEqual(withRange(s, 5, 20, false), [{ off: 0, len: 5 }, { off: 25, len: 5 }]);
  assert.deepEqual(withRange([], 0, 0, true), []);
});
