// The IOMMU and sg constraints (spec §6, §7, kernel-dma-facts §3): IOVA allocation, dma_map_sg merging
// against max_segment_size and segment_boundary (nents < orig_nents), and constraint-violation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createIommu, iommuMapSg } from '../../src/machine/iommu';
import { at, machine } from './helpers';

const dev = (o: { maxSegmentSize?: number; segmentBoundary?: number } = {}) => ({ name: 'gpu', coherent: false, iommu: true, contiguous: false, dmaMask: 64, ...o });

function mapRuns(runs: { phys: number; len: number }[], o: { maxSegmentSize?: number; segmentBoundary?: number } = {}) {
  const m = machine({ devices: [dev(o)] });
  return at(m, 1, () => iommuMapSg(m.state, dev(o), runs)).result;
}

const pages = (n: number, step = 3 * 4096) => Array.from({ length: n }, (_, i) => ({ phys: 0x2_0000_0000 + i * step, len: 4096 }));

test('behind an IOMMU, dma_map_sg merges page runs into one segment when no limit applies (nents < orig_nents)', () => {
  const r = mapRuns(pages(8));
  assert.equal(r?.table.orig_nents, 8);
  assert.equal(r?.table.nents, 1);
  assert.equal(r?.table.entries[0].dma_length, 8 * 4096);
  assert.deepEqual(r?.table.entries.slice(1).map((e) => e.dma_length), new Array(7).fill(0));
});

test('IOVA is allocated counting down from just below 4 GiB with a 4 KiB granule', () => {
  const r = mapRuns(pages(1));
  assert.equal(r?.iova.phys, 2 ** 32 - 4096);
  assert.equal(createIommu(dev()).iova.end, 2 ** 32);
});

test('merging stops at max_segment_size', () => {
  const r = mapRuns(pages(8), { maxSegmentSize: 16384 });
  assert.equal(r?.table.nents, 2);
  assert.deepEqual(r?.table.entries.slice(0, 2).map((e) => e.dma_length), [16384, 16384]);
});

test('merging never crosses segment_boundary', () => {
  const r = mapRuns(pages(8), { segmentBoundary: 0x3fff });
  assert.equal(r?.table.nents, 2);
  for (const e of r!.table.entries.slice(0, 2)) assert.equal(Math.floor(e.dma_address / 0x4000), Math.floor((e.dma_address + e.dma_length - 1) / 0x4000));
});

test('a run that does not end on a granule is not merged with the next', () => {
  const r = mapRuns([{ phys: 0x2_0000_0000, len: 1000 }, { phys: 0x2_0001_0000, len: 4096 }]);
  assert.equal(r?.table.nents, 2);
});

test('dma_map_sg of vmalloc memory behind an IOMMU gives one segment for scattered pages', () => {
  const m = machine({ devices: [dev()] });
  const p = at(m, 1, (x) => x.vmalloc(64 * 1024)).result;
  const sg = at(m, 2, (x) => x.dmaMapSg('gpu', p, 'TO_DEVICE', false));
  assert.deepEqual(sg.hazards, []);
  const [mp] = m.mappings();
  assert.ok(mp.orig_nents > 1);
  assert.equal(mp.nents, 1);
  assert.ok(sg.events.some((e) => e.type === 'sg' && e.nents === 1));
});

test('without an IOMMU every physically contiguous run is one segment', () => {
  const m = machine({ devices: [{ name: 'isp' }] });
  const p = at(m, 1, (x) => x.vmalloc(64 * 1024)).result;
  at(m, 2, (x) => x.dmaMapSg('isp', p, 'TO_DEVICE', false));
  const [mp] = m.mappings();
  assert.equal(mp.nents, mp.orig_nents);
  assert.equal(mp.orig_nents, m.buffers()[0].segments.length);
});

test('a contiguous device without an IOMMU given more than one sg entry fails with constraint-violation; one entry is fine', () => {
  const m = machine({ devices: [{ name: 'isp', contiguous: true }] });
  const v = at(m, 1, (x) => x.vmalloc(64 * 1024)).result;
  const bad = at(m, 2, (x) => x.dmaMapSg('isp', v, 'TO_DEVICE', false));
  assert.equal(bad.failed, true);
  assert.deepEqual(bad.hazards.map((h) => h.kind), ['constraint-violation']);
  const k = at(m, 3, (x) => x.kmalloc(64 * 1024)).result;
  const ok = at(m, 4, (x) => x.dmaMapSg('isp', k, 'TO_DEVICE', false));
  assert.deepEqual(ok.hazards, []);
});

test('without an IOMMU an entry longer than max_segment_size or crossing segment_boundary fails', () => {
  const m = machine({ devices: [{ name: 'a', maxSegmentSize: 4096 }, { name: 'b', segmentBoundary: 0xfff }] });
  const k = at(m, 1, (x) => x.kmalloc(8192)).result;
  assert.deepEqual(at(m, 2, (x) => x.dmaMapSg('a', k, 'TO_DEVICE', false)).hazards.map((h) => h.kind), ['constraint-violation']);
  assert.deepEqual(at(m, 3, (x) => x.dmaMapSg('b', k, 'TO_DEVICE', false)).hazards.map((h) => h.kind), ['constraint-violation']);
});

test('behind an IOMMU only what merging cannot fix fails: a single run longer than max_segment_size', () => {
  const m = machine({ devices: [dev({ maxSegmentSize: 4096 })] });
  const v = at(m, 1, (x) => x.vmalloc(64 * 1024)).result;
  const k = at(m, 2, (x) => x.kmalloc(8192)).result;
  const vm = at(m, 3, (x) => x.dmaMapSg('gpu', v, 'TO_DEVICE', false));
  assert.ok(!vm.hazards.some((h) => h.kind === 'constraint-violation') || m.buffers()[0].segments.some((s) => s.len > 4096));
  assert.deepEqual(at(m, 4, (x) => x.dmaMapSg('gpu', k, 'TO_DEVICE', false)).hazards.map((h) => h.kind), ['constraint-violation']);
});
