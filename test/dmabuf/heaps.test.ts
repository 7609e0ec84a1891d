// The dma-buf heaps' allocations (spec §4, §7): system heap runs, CMA contiguity, and allocations shaped to fit devices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitPlan } from '../../src/machine/dmabufConstraints';
import { allocateCma, allocateSystemHeap, allocateToFit, systemHeapRunSizes } from '../../src/machine/heaps';
import { computeLayout, FOUR_GIB } from '../../src/machine/layout';
import { createPageAllocator } from '../../src/machine/pageAllocator';
import { checkSource } from '../../src/runtime/checker';
import { device } from './helpers';

const KiB = 1024;
const MiB = 1024 * KiB;
const fresh = () => {
  const layout = computeLayout(8 * 1024 * MiB);
  return { layout, alloc: createPageAllocator(layout, 1) };
};

test('system heap: page runs of 1 MiB, 64 KiB, then 4 KiB, largest first', () => {
  assert.deepEqual(systemHeapRunSizes(MiB + 64 * KiB + 8 * KiB), [MiB, 64 * KiB, 4 * KiB, 4 * KiB]);
  assert.deepEqual(systemHeapRunSizes(200 * KiB), [64 * KiB, 64 * KiB, 64 * KiB, 4 * KiB, 4 * KiB]);
  assert.deepEqual(systemHeapRunSizes(1), [4 * KiB], 'a size is rounded up to whole pages');
});

test('system heap: no two runs physically adjacent, and allocations land above 4 GiB by default', () => {
  const { alloc } = fresh();
  const runs = allocateSystemHeap(alloc, 3 * MiB + 128 * KiB + 4 * KiB)!;
  assert.equal(runs.length, 6);
  for (const a of runs) {
    assert.ok(a.phys >= FOUR_GIB);
    for (const b of runs) assert.ok(a === b || (a.phys + a.len !== b.phys && b.phys + b.len !== a.phys), 'runs must not touch');
  }
});

test('system heap: each run is aligned to its own size, as the buddy allocator hands out a block of an order', () => {
  const { alloc } = fresh();
  // Taken after a small allocation, so that the top of free memory is no longer aligned to anything.
  allocateSystemHeap(alloc, 12 * KiB);
  const runs = allocateSystemHeap(alloc, 3 * MiB + 128 * KiB + 4 * KiB)!;
  assert.deepEqual(runs.map((r) => r.len), [MiB, MiB, MiB, 64 * KiB, 64 * KiB, 4 * KiB]);
  for (const r of runs) assert.equal(r.phys % r.len, 0, `run of ${r.len} at 0x${r.phys.toString(16)}`);
});

test('system heap: its 1 MiB runs never cross a 1 MiB segment boundary, so a device with one maps the buffer clean', () => {
  const r = checkSource([
    'platform arm64', 'device dpu segment_boundary=0xFFFFF', 'buf = dma_heap_alloc(system, 3MiB)', 'a = dma_buf_attach(buf, dpu)',
    'sgt = dma_buf_map_attachment(a, TO_DEVICE)', 'dma_buf_unmap_attachment(a, sgt, TO_DEVICE)', 'dma_buf_detach(buf, a)', 'dma_buf_put(buf)',
  ].join('\n'), 'heap.dmabuf');
  assert.deepEqual(r.hazards.map((h) => `${h.kind}@${h.loc.line}`), []);
});

test('cma heap: one contiguous run inside the CMA region below 4 GiB', () => {
  const { alloc, layout } = fresh();
  const runs = allocateCma(alloc, 3 * MiB)!;
  assert.equal(runs.length, 1);
  assert.equal(runs[0].len, 3 * MiB);
  assert.ok(runs[0].phys >= layout.cmaBase && runs[0].phys + runs[0].len <= layout.cmaBase + layout.cmaSize);
  assert.equal(allocateCma(alloc, 2 * layout.cmaSize), undefined, 'more than the CMA region holds fails');
});

test('deferred allocation: contiguous if any attached device without an IOMMU needs it, below the smallest dma_mask', () => {
  const { alloc } = fresh();
  const plan = fitPlan([device('gpu', { iommu: true }), device('isp', { contiguous: true, dmaMask: 32 })]);
  assert.equal(plan.contiguous, true);
  assert.equal(plan.below, FOUR_GIB);
  const runs = allocateToFit(alloc, 2 * MiB, plan)!;
  assert.equal(runs.length, 1);
  assert.ok(runs[0].phys + runs[0].len <= FOUR_GIB);
});

test('deferred allocation: a contiguous device behind an IOMMU asks for nothing; otherwise as the system heap does', () => {
  const plan = fitPlan([device('gpu', { iommu: true, contiguous: true })]);
  assert.deepEqual({ contiguous: plan.contiguous, below: plan.below, maxRun: plan.maxRun }, { contiguous: false, below: undefined, maxRun: MiB });
  const { alloc } = fresh();
  const runs = allocateToFit(alloc, 2 * MiB + 4 * KiB, plan)!;
  assert.equal(runs.length, 3);
  // As the system heap places them: each run aligned to its size.
  for (const r of runs) assert.equal(r.phys % r.len, 0, `run of ${r.len} at 0x${r.phys.toString(16)}`);
});

test('deferred allocation: runs no longer than the smallest max_segment_size, aligned so none crosses segment_boundary', () => {
  const { alloc } = fresh();
  const plan = fitPlan([device('dsp', { maxSegmentSize: 64 * KiB }), device('vpu', { segmentBoundary: 0xffff, dmaMask: 33 })]);
  assert.equal(plan.maxRun, 64 * KiB);
  const runs = allocateToFit(alloc, MiB, plan)!;
  assert.equal(runs.length, 16);
  for (const r of runs) {
    assert.ok(r.len <= 64 * KiB);
    assert.equal(Math.floor(r.phys / 0x10000), Math.floor((r.phys + r.len - 1) / 0x10000));
    assert.ok(r.phys + r.len <= 2 ** 33);
  }
});
