// The machine's events (spec §5 "every change of owner is an event"; the debugger's event list): each kind has a
// readable description, and large operations are summarised rather than listed line by line.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MachineEvent, changesOwner, describeEvent } from '../../src/machine/events';
import { runCount } from '../../src/machine/memory';
import { LINE_EVENT_BUDGET } from '../../src/machine/state';
import { at, machine } from './helpers';

test('describeEvent gives one readable line for each kind of event', () => {
  const samples: MachineEvent[] = [
    { type: 'call', fn: 'dma_map_single', detail: 'isp' }, { type: 'return' },
    { type: 'alloc', buffer: 1, kind: 'kmalloc', size: 4096, segments: [{ phys: 0x1000, len: 4096 }] }, { type: 'free', buffer: 1, kind: 'kmalloc' },
    { type: 'owner', buffer: 1, off: 0, len: 64, from: 'cpu', to: 'isp:FROM_DEVICE' },
    { type: 'line', set: 3, way: 1, phys: 0x40, from: 'C', to: 'D', cause: 'write' },
    { type: 'lines', phys: 0, len: 0x1000, count: 64, to: 'I', cause: 'invalidate' },
    { type: 'writeback', phys: 0x40, len: 64 }, { type: 'clean', phys: 0, len: 64, lines: 1 }, { type: 'invalidate', phys: 0, len: 64, lines: 1 },
    { type: 'bounce', dir: 'to-slot', orig: 0x1000, slot: 0x8000_0000, len: 64 },
    { type: 'sg', mapping: 2, device: 'gpu', entries: [{ phys: 0x1000, length: 4096, dma_address: 0xffff_f000, dma_length: 4096 }], nents: 1, orig_nents: 1 },
    { type: 'iommu-map', device: 'gpu', iova: 0xffff_f000, len: 4096 }, { type: 'dma', device: 'isp', access: 'write', phys: 0x1000, len: 64, snoop: false },
    { type: 'map', mapping: 2, device: 'isp', dir: 'TO_DEVICE', kind: 'single', size: 64 }, { type: 'hazard', kind: 'stale-read', message: 'm' },
  ];
  for (const e of samples) {
    const line = describeEvent(e);
    assert.ok(line.length > 1 && !line.includes('\n') && !line.includes('undefined'), line);
  }
  assert.equal(describeEvent(samples[4]), 'owner of #1 [0x0, +0x40): cpu -> isp:FROM_DEVICE');
  // A summary counts changes, not lines: a line filled and then evicted in one statement counts twice.
  assert.equal(describeEvent(samples[6]), 'cache: 64 more line changes in [0x0, +0x1000) -> Invalid (invalidate)');
});

test('events are plain JSON-serialisable objects', () => {
  const m = machine();
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  const ev = at(m, 2, (x) => x.dmaMapSingle('isp', p, 4096, 'TO_DEVICE', 0, false)).events;
  assert.deepEqual(JSON.parse(JSON.stringify(ev)), ev);
});

test('events for many lines are summarised: a 1 GiB write, map, sync and read stay within the per-line budget plus range events', () => {
  const m = machine({ cache: { prefetch: 'next-line' } });
  const p = at(m, 1, (x) => x.kmalloc(2 ** 30)).result;
  const steps = [
    at(m, 2, (x) => x.cpuWrite(p, 0, 2 ** 30, 1)),
    at(m, 3, (x) => x.dmaMapSingle('isp', p, 2 ** 30, 'BIDIRECTIONAL', 0, false)),
    at(m, 4, (x) => x.dmaSyncSingleForCpu('isp', { type: 'dma_handle', id: 2 }, 2 ** 30, 'BIDIRECTIONAL', 0)),
    at(m, 5, (x) => x.cpuRead(p, 0, 2 ** 30, 1)),
  ];
  for (const s of steps) {
    assert.deepEqual(s.hazards, []);
    assert.ok(s.events.filter((e) => e.type === 'line').length <= LINE_EVENT_BUDGET);
    assert.ok(s.events.length < LINE_EVENT_BUDGET + 40, `${s.events.length} events`);
  }
  assert.ok(runCount(m.state.mem) < 10, 'memory stays a handful of runs');
});

test('event text names buffers and mappings by their bindings when given labels', () => {
  const labels = { buffer: (id: number) => (id === 1 ? 'frame' : `#${id}`), mapping: (id: number) => (id === 2 ? 'h' : `#${id}`) };
  assert.equal(describeEvent({ type: 'owner', buffer: 1, off: 0, len: 0x40, from: 'cpu', to: 'isp:FROM_DEVICE' }, labels), 'owner of frame [0x0, +0x40): cpu -> isp:FROM_DEVICE');
  assert.equal(describeEvent({ type: 'map', mapping: 2, device: 'isp', dir: 'FROM_DEVICE', kind: 'single', size: 64 }, labels), 'map single h for isp FROM_DEVICE, 64 bytes');
  assert.equal(describeEvent({ type: 'free', buffer: 3, kind: 'kmalloc' }, labels), 'free kmalloc #3');
});

test('an owner changes at a hand-off, an allocation that got pages and a free; nowhere else', () => {
  const alloc = (segments: { phys: number; len: number }[]): MachineEvent => ({ type: 'alloc', buffer: 1, kind: 'kmalloc', size: 4096, segments });
  assert.equal(changesOwner({ type: 'owner', buffer: 1, off: 0, len: 64, from: 'cpu', to: 'isp:FROM_DEVICE' }), true);
  assert.equal(changesOwner(alloc([{ phys: 0x1000, len: 4096 }])), true);
  assert.equal(changesOwner(alloc([])), false, 'a failed allocation hands nothing to anyone');
  assert.equal(changesOwner({ type: 'free', buffer: 1, kind: 'kmalloc' }), true);
  for (const e of [{ type: 'writeback', phys: 0x40, len: 64 }, { type: 'map', mapping: 2, device: 'isp', dir: 'TO_DEVICE', kind: 'single', size: 64 }] as MachineEvent[]) {
    assert.equal(changesOwner(e), false, e.type);
  }
});

test("a bounce's line summaries name the original's lines and the slot's apart, the first before the buffer goes back to the CPU", () => {
  // The original lies above a 32-bit mask, so the unmap copies the slot back over it: each side's lines are evicted.
  const m = machine({ devices: [{ name: 'isp', dmaMask: 32 }] });
  const p = at(m, 1, (x) => x.kmalloc(200 * 1024)).result;
  const h = at(m, 2, (x) => x.dmaMapSingle('isp', p, 200 * 1024, 'FROM_DEVICE', 0, false)).result;
  at(m, 3, (x) => x.deviceWrite('isp', h, 0, 200 * 1024, 0x44));
  at(m, 4, (x) => x.cpuWrite(p, 0, 200 * 1024, 0x55));
  const events = at(m, 5, (x) => x.dmaUnmapSingle('isp', h, 200 * 1024, 'FROM_DEVICE', false)).events;
  const sums = events.filter((e): e is Extract<MachineEvent, { type: 'lines' }> => e.type === 'lines');
  const evicted = sums.filter((e) => e.cause === 'evict');
  assert.ok(evicted.length >= 2, JSON.stringify(sums));
  // Each a range of one buffer's lines, not a bound over both (they lie gigabytes apart).
  for (const e of sums) assert.ok(e.len <= 200 * 1024 + 64 && !e.scattered, JSON.stringify(e));
  // The first comes before the buffer is handed back to the CPU (the copy's last is flushed at the statement's end).
  const owner = events.findIndex((e) => e.type === 'owner');
  assert.ok(owner > 0 && events.findIndex((e) => e.type === 'lines') < owner, events.map((e) => e.type).join());
});
