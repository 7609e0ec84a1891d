// swiotlb bounce buffering (spec §6, kernel-dma-facts §2): when it is used, and which calls copy in which
// direction, with and without SKIP_CPU_SYNC.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSource } from '../../src/runtime/checker';
import type { Direction } from '../../src/language/ast';
import type { MachineEvent } from '../../src/machine/events';
import { DIRS, Stmt, at, machine, scenario } from './helpers';

function bounces(events: MachineEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'bounce' ? [e.dir] : []));
}

/** Map, sync_for_cpu, sync_for_device, unmap of a bounced 4 KiB buffer: the copies of each. */
function copies(dir: Direction, skip: boolean): string[][] {
  const m = machine({ devices: [{ name: 'isp', dmaMask: 32 }] });
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  const map = at(m, 2, (x) => x.dmaMapSingle('isp', p, 4096, dir, 0, skip));
  const cpu = at(m, 3, (x) => x.dmaSyncSingleForCpu('isp', map.result, 4096, dir, 0));
  const dev = at(m, 4, (x) => x.dmaSyncSingleForDevice('isp', map.result, 4096, dir, 0));
  const unmap = at(m, 5, (x) => x.dmaUnmapSingle('isp', map.result, 4096, dir, skip));
  return [bounces(map.events), bounces(cpu.events), bounces(dev.events), bounces(unmap.events)];
}

test('a device whose dma_mask cannot reach the page bounces through a slot below 4 GiB', () => {
  const m = machine({ devices: [{ name: 'isp', dmaMask: 32 }] });
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  at(m, 2, (x) => x.dmaMapSingle('isp', p, 4096, 'TO_DEVICE', 0, false));
  const [mp] = m.mappings();
  assert.equal(mp.bounceSlots.length, 1);
  assert.ok(mp.dmaAddress < 2 ** 32 && mp.dmaAddress === mp.bounceSlots[0].slot);
});

test('swiotlb=force bounces every device without an IOMMU, but not one behind an IOMMU', () => {
  const m = machine({ swiotlbForce: true, devices: [{ name: 'isp' }, { name: 'gpu', iommu: true }] });
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  at(m, 2, (x) => x.dmaMapSingle('isp', p, 4096, 'TO_DEVICE', 0, false));
  at(m, 3, (x) => x.dmaMapSingle('gpu', p, 4096, 'TO_DEVICE', 0, false));
  assert.deepEqual(m.mappings().map((x) => x.bounceSlots.length), [1, 0]);
});

for (const dir of DIRS) {
  const toDev = dir !== 'FROM_DEVICE';
  const toCpu = dir !== 'TO_DEVICE';
  test(`${dir}: map copies the original into the slot whatever the direction; sync_for_cpu ${toCpu ? 'copies back' : 'does not copy'}; sync_for_device ${toDev ? 'copies again' : 'does not copy'}; unmap ${toCpu ? 'copies back' : 'does not copy'}`, () => {
    assert.deepEqual(copies(dir, false), [['to-slot'], toCpu ? ['from-slot'] : [], toDev ? ['to-slot'] : [], toCpu ? ['from-slot'] : []]);
  });
  test(`${dir} with SKIP_CPU_SYNC: map still copies into the slot, unmap copies nothing back`, () => {
    assert.deepEqual(copies(dir, true), [['to-slot'], toCpu ? ['from-slot'] : [], toDev ? ['to-slot'] : [], []]);
  });
}

const low = { devices: [{ name: 'isp', dmaMask: 32 }] };

test('bytes the device never writes survive a FROM_DEVICE bounce (map fills the slot)', () => {
  const r = scenario(low, [
    (m, v) => (v.p = m.kmalloc(4096)),
    (m, v) => m.cpuWrite(v.p, 0, 4096, 0x77),
    (m, v) => (v.h = m.dmaMapSingle('isp', v.p, 4096, 'FROM_DEVICE', 0, false)),
    (m, v) => m.deviceWrite('isp', v.h, 0, 64, 0xa5),
    (m, v) => m.dmaUnmapSingle('isp', v.h, 4096, 'FROM_DEVICE', false),
    (m, v) => m.cpuRead(v.p, 0, 64, 0xa5),
    (m, v) => m.cpuRead(v.p, 64, 4032, 0x77),
    (m, v) => m.kfree(v.p),
  ], true);
  assert.deepEqual(r.kinds, []);
});

test('a device read through a bounce slot that was not refreshed after a CPU write is stale', () => {
  const setup: Stmt[] = [
    (m, v) => (v.p = m.kmalloc(4096)),
    (m, v) => (v.h = m.dmaMapSingle('isp', v.p, 4096, 'TO_DEVICE', 0, false)),
    (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 4096, 'TO_DEVICE', 0),
    (m, v) => m.cpuWrite(v.p, 0, 64, 0x42),
  ];
  const bad = scenario(low, [...setup, (m, v) => m.deviceRead('isp', v.h, 0, 64)]);
  assert.ok(bad.kinds.includes('stale-read'));
  assert.ok(bad.kinds.includes('device-access-while-cpu-owned'));
  const fixed = scenario(low, [...setup, (m, v) => m.dmaSyncSingleForDevice('isp', v.h, 4096, 'TO_DEVICE', 0), (m, v) => m.deviceRead('isp', v.h, 0, 64, 0x42)]);
  assert.deepEqual(fixed.kinds, []);
});

// On a coherent platform the device's write is in both the slot's memory and its cached line: one loss, counted once.
for (const [platform, o] of [['arm64, 32-bit mask', low], ['x86_64 swiotlb=force (coherent)', { arch: 'x86_64', swiotlbForce: true }]] as const) {
  test(`unmap with SKIP_CPU_SYNC releases the slot holding the device write: a lost write of its bytes (${platform})`, () => {
    const r = scenario(o, [
      (m, v) => (v.p = m.kmalloc(4096)),
      (m, v) => (v.h = m.dmaMapSingle('isp', v.p, 4096, 'FROM_DEVICE', 0, false)),
      (m, v) => m.deviceWrite('isp', v.h, 0, 64, 0xa5),
      (m, v) => m.dmaUnmapSingle('isp', v.h, 4096, 'FROM_DEVICE', true),
    ]);
    assert.deepEqual(r.hazards.map((h) => [h.kind, h.detail]), [['lost-write', 'slot-release']]);
    assert.match(r.hazards[0].message, /releasing bounce slot .* destroyed 64 byte\(s\) at kmalloc #1\+0x0: isp wrote them at line 3/);
  });
}

test('a bounce copy larger than the cache reports its lines\' write-backs as line-by-line simulation does: one lost write, every byte', () => {
  // 16 lines of cache: the 256-line copy is summarised. The map (SKIP_CPU_SYNC, no clean) leaves the slot's last
  // lines dirty over the device's write; the sync's read of the original evicts them, then the copy's own lines
  // are written back over the rest of the slot: both are write-backs on eviction, one hazard.
  const r = scenario({ ...low, cache: { size: 1024, ways: 2, line: 64 } }, [
    (m, v) => (v.p = m.kmalloc(16384)),
    (m, v) => (v.h = m.dmaMapSingle('isp', v.p, 16384, 'BIDIRECTIONAL', 0, true)),
    (m, v) => m.deviceWrite('isp', v.h, 0, 16384, 0xa5),
    (m, v) => m.dmaSyncSingleForDevice('isp', v.h, 16384, 'BIDIRECTIONAL', 0),
  ]);
  assert.deepEqual(r.hazards.map((h) => [h.kind, h.detail]), [['lost-write', 'write-back']]);
  assert.match(r.hazards[0].message, /^write-back of dirty cache lines \(evict\) destroyed 16384 byte\(s\) at kmalloc #1\+0x0: isp wrote them at line 3/);
});

test('a mapping larger than 128 slots (256 KiB) cannot bounce: the map fails', () => {
  const m = machine({ devices: [{ name: 'isp', dmaMask: 32 }] });
  const p = at(m, 1, (x) => x.kmalloc(512 * 1024)).result;
  const r = at(m, 2, (x) => x.dmaMapSingle('isp', p, 512 * 1024, 'TO_DEVICE', 0, false));
  assert.equal(r.failed, true);
  assert.ok(r.hazards.every((h) => h.failure));
  assert.equal(at(m, 3, (x) => x.deviceRead('isp', r.result, 0, 64)).hazards[0].detail, 'failed-handle');
  // A device access and a DMA-API call given the failed map say so alike.
  assert.deepEqual([at(m, 4, (x) => x.deviceRead('isp', r.result, 0, 64)), at(m, 5, (x) => x.dmaUnmapSingle('isp', r.result, 512 * 1024, 'TO_DEVICE', false))]
    .map((x) => x.hazards.map((h) => [h.detail, h.message, h.related.map((l) => l.loc.line)])), [
    [['failed-handle', 'isp.read through mapping #2, whose map failed (DMA_MAPPING_ERROR)', [2]]],
    [['failed-handle', "DMA-API: isp: dma_unmap_single on mapping #2, whose map failed (DMA_MAPPING_ERROR): check the map's result before using it", [2]]],
  ]);
});

test('a failed dma_map_sg is told by what it returned, 0 entries, not DMA_MAPPING_ERROR', () => {
  const m = machine({ devices: [{ name: 'isp', dmaMask: 32 }] });
  const p = at(m, 1, (x) => x.kmalloc(512 * 1024)).result;
  const r = at(m, 2, (x) => x.dmaMapSg('isp', p, 'TO_DEVICE', false));
  assert.equal(r.failed, true);
  assert.deepEqual([at(m, 3, (x) => x.deviceRead('isp', r.result, 0, 64)), at(m, 4, (x) => x.dmaUnmapSg('isp', r.result, 'TO_DEVICE', false))]
    .map((x) => x.hazards.map((h) => h.message)), [
    ['isp.read through mapping #2, whose map failed (dma_map_sg returned 0)'],
    ["DMA-API: isp: dma_unmap_sg on mapping #2, whose map failed (dma_map_sg returned 0): check the map's result before using it"],
  ]);
  assert.deepEqual(m.mappings().filter((x) => x.failed).map((x) => [x.name, x.live]), [['mapping #2', false]]);
  // A dma-buf attachment's map that fails returns an ERR_PTR, by dma_map_sgtable: told so, not as dma_map_sg.
  const attached = checkSource(['platform arm64', 'memory 8GiB', 'device gpu iommu', 'device isp dma_mask=32', 'buf = dma_buf_export(gpu, 256MiB)',
    'a = dma_buf_attach(buf, isp)', 'sgt = dma_buf_map_attachment(a, FROM_DEVICE)', 'isp.write(sgt, 0, 64, 0xA5)'].join('\n'), 'x.dmabuf');
  assert.deepEqual(attached.hazards.filter((h) => h.detail === 'failed-handle').map((h) => h.message),
    ['isp.write through sgt, whose map failed (dma_buf_map_attachment returned an ERR_PTR)']);
});

test('a bounce past the line-event budget is summarised per new state and cause: the fills of both ends, the slot\'s writes', () => {
  const m = machine(low);
  const p = at(m, 1, (x) => x.kmalloc(2048)).result;
  const { events } = at(m, 2, (x) => x.dmaMapSingle('isp', p, 2048, 'TO_DEVICE', 0, false));
  const sums = events.filter((e): e is Extract<MachineEvent, { type: 'lines' }> => e.type === 'lines');
  // 32 lines of the original and 32 of the slot are filled, 16 of them shown one by one; the slot's 32 are written,
  // then cleaned for the device (arm64).
  assert.deepEqual(sums.map((e) => [e.count, e.to, e.cause, e.scattered ?? false]), [[48, 'C', 'fill', true], [32, 'D', 'write', false], [32, 'C', 'clean', false]]);
  assert.equal(events.filter((e) => e.type === 'line').length, 16);
});

test('a bounce slot holding part of a destroyed cache line keeps those bytes: they are not counted lost', () => {
  // The slot holds bytes 50-149 of b (after the CPU wrote them); invalidating b's dirty lines destroys the rest of
  // lines 0-191 and all the others: 4096 - 100 bytes, though the slot covers lines 0 and 128 only in part.
  const r = checkSource(['platform arm64 swiotlb=force', 'device dev', 'device io iommu', 'b = kmalloc(4096)',
    'h = dma_map_single(dev, b, 100, BIDIRECTIONAL, offset=50)', 'g = dma_map_single(io, b, 4096, FROM_DEVICE)',
    'cpu.write(b, 0, 4096, 1)', 'dma_sync_single_for_device(dev, h, 100, BIDIRECTIONAL)',
    'dma_sync_single_for_cpu(io, g, 4096, FROM_DEVICE)'].join('\n'), 'x.dmabuf');
  const lost = r.hazards.filter((h) => h.kind === 'lost-write');
  assert.deepEqual(lost.map((h) => h.detail), ['invalidate']);
  assert.match(lost[0].message, /destroyed 3996 byte\(s\) at b\+0x0: cpu wrote them at line 7/);
});
