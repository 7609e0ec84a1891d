// What a dma-buf allocation that finds no pages says (-ENOMEM): the bytes free where it may take pages, and the
// shape it needed when that many are free.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSource } from '../../src/runtime/checker';

const messages = (...stmts: string[]) => checkSource(stmts.join('\n'), 'oom.dmabuf').hazards.filter((h) => h.detail === 'out-of-memory').map((h) => h.message);

test('an export under a 32-bit dma_mask that finds no pages counts the memory free below the mask, not all of RAM, and says so', () => {
  // 8 GiB of RAM: 1728 MiB of general pages below 4 GiB, 6 GiB above. The contiguous 1600 MiB (too big for the
  // 256 MiB of CMA) leaves 128 MiB of general pages below the mask; above it all is free, and no use to isp.
  const below = ['memory 8GiB', 'device isp dma_mask=32', 'device gpu', 'big = dma_buf_export(isp, 1600MiB, contiguous)'];
  assert.deepEqual(messages(...below,
    'a = dma_buf_export(isp, 200MiB)',
    'b = dma_buf_export(isp, 120MiB)',
    'c = dma_buf_export(isp, 300MiB, contiguous)',
    'd = dma_buf_export(isp, 500MiB, contiguous)',
    'e = dma_buf_export(gpu, 200MiB)',
  ), [
    'dma_buf_export(isp): cannot allocate 200 MiB: only 128 MiB free below 4 GiB (isp reaches only 32 address bits) (-ENOMEM)',
    'dma_buf_export(isp): cannot allocate 120 MiB: 128 MiB free below 4 GiB (isp reaches only 32 address bits), but not as runs that touch no other (at most 262,144) (-ENOMEM)',
    // A contiguous export takes CMA first, else general pages: both count.
    'dma_buf_export(isp): cannot allocate 300 MiB: 384 MiB free below 4 GiB (isp reaches only 32 address bits), but not as one contiguous run (-ENOMEM)',
    'dma_buf_export(isp): cannot allocate 500 MiB: only 384 MiB free below 4 GiB (isp reaches only 32 address bits) (-ENOMEM)',
  ]);
});

test('a mask below all of RAM leaves nothing free to an export, whatever is free above it', () => {
  assert.deepEqual(messages('memory 8GiB', 'device old dma_mask=31', 'a = dma_buf_export(old, 4KiB)'),
    ['dma_buf_export(old): cannot allocate 4 KiB: only 0 bytes free below 2 GiB (old reaches only 31 address bits) (-ENOMEM)']);
});

test('a mask or a segment size that limits nothing is not named: a 40-bit mask reaches all of 8 GiB', () => {
  assert.deepEqual(messages('memory 8GiB', 'device isp dma_mask=40', 'device seg max_segment_size=64KiB', 'a = dma_buf_export(isp, 9GiB)', 'b = dma_buf_export(seg, 9GiB)'), [
    'dma_buf_export(isp): cannot allocate 9 GiB: only 7872 MiB free (-ENOMEM)',
    'dma_buf_export(seg): cannot allocate 9 GiB: only 7872 MiB free (-ENOMEM)',
  ]);
});

test('enough memory free but not in the shape a device asks for names that device: its segment size', () => {
  assert.deepEqual(messages('memory 8GiB', 'device seg max_segment_size=4KiB', 'b = dma_buf_export(seg, 2GiB)'), [
    'dma_buf_export(seg): cannot allocate 2 GiB: 7872 MiB free, but not as runs that touch no other (at most 262,144) (seg takes segments of at most 4 KiB) (-ENOMEM)',
  ]);
});

test('the heaps count their own regions: the system heap all general pages, the cma heap its region alone', () => {
  assert.deepEqual(messages('memory 8GiB', 'a = dma_heap_alloc(cma, 300MiB)', 'b = dma_heap_alloc(system, 9GiB)'), [
    'dma_heap_alloc(cma): cannot allocate 300 MiB: only 256 MiB free (-ENOMEM)',
    'dma_heap_alloc(system): cannot allocate 9 GiB: only 7872 MiB free (-ENOMEM)',
  ]);
});
