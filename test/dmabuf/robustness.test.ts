// Bad input never crashes the machine: random sequences of dma-buf calls, in any order and on any handle,
// run to their end with hazards, never exceptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkSource } from '../../src/runtime/checker';

const prologue = [
  'platform arm64', 'cache size=4KiB ways=2 prefetch=speculative',
  'device gpu iommu max_segment_size=64KiB', 'device isp contiguous dma_mask=32', 'device dsp segment_boundary=0xFFFF',
  'b = dma_heap_alloc(system, 128KiB)', 'c = dma_buf_export(gpu, 96KiB, deferred)',
  'a = dma_buf_attach(b, gpu)', 'x = dma_buf_attach(c, isp)', 's = dma_buf_map_attachment(a, TO_DEVICE)', 'v = dma_buf_vmap(b)', 'p = dma_buf_mmap(c)',
];
const bufs = ['b', 'c'];
const atts = ['a', 'x'];
const devs = ['gpu', 'isp', 'dsp'];
const dirs = ['TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL'];
const ptrs = ['v', 'p'];

const statement = fc.oneof(
  fc.constantFrom(...bufs).map((x) => `dma_buf_get(${x})`),
  fc.constantFrom(...bufs).map((x) => `dma_buf_put(${x})`),
  fc.tuple(fc.constantFrom(...bufs), fc.constantFrom(...devs), fc.constantFrom(...atts)).map(([x, d, n]) => `${n} = dma_buf_attach(${x}, ${d})`),
  fc.tuple(fc.constantFrom(...bufs), fc.constantFrom(...atts)).map(([x, n]) => `dma_buf_detach(${x}, ${n})`),
  fc.tuple(fc.constantFrom(...atts), fc.constantFrom(...dirs)).map(([n, d]) => `s = dma_buf_map_attachment(${n}, ${d})`),
  fc.tuple(fc.constantFrom(...atts), fc.constantFrom(...dirs)).map(([n, d]) => `dma_buf_unmap_attachment(${n}, s, ${d})`),
  fc.tuple(fc.constantFrom(...bufs), fc.constantFrom(...dirs), fc.boolean()).map(([x, d, begin]) => `dma_buf_${begin ? 'begin' : 'end'}_cpu_access(${x}, ${d})`),
  fc.tuple(fc.constantFrom(...bufs), fc.constantFrom('START', 'END'), fc.constantFrom('READ', 'WRITE', 'RW')).map(([x, ph, ac]) => `dma_buf_sync(${x}, ${ph}, ${ac})`),
  fc.constantFrom(...bufs).map((x) => `v = dma_buf_vmap(${x})`),
  fc.constantFrom(...bufs).map((x) => `p = dma_buf_mmap(${x})`),
  fc.tuple(fc.constantFrom(...bufs), fc.constantFrom(...ptrs)).map(([x, q]) => `dma_buf_vunmap(${x}, ${q})`),
  fc.tuple(fc.constantFrom(...ptrs), fc.nat(200_000), fc.integer({ min: 1, max: 70_000 })).map(([q, off, len]) => `cpu.write(${q}, ${off}, ${len}, 7)`),
  fc.tuple(fc.constantFrom(...ptrs), fc.nat(200_000), fc.integer({ min: 1, max: 70_000 })).map(([q, off, len]) => `cpu.read(${q}, ${off}, ${len})`),
  fc.tuple(fc.constantFrom(...devs), fc.nat(200_000), fc.integer({ min: 1, max: 70_000 })).map(([d, off, len]) => `${d}.write(s, ${off}, ${len}, 9)`),
  fc.tuple(fc.constantFrom(...ptrs), fc.nat(4096)).map(([q, off]) => `cache.evict(${q}, ${off}, 64)`),
  fc.constantFrom(...bufs).map((x) => `expect_owner(${x}, cpu)`),
);

test('any sequence of dma-buf calls runs to its end without an exception', () => {
  fc.assert(
    fc.property(fc.array(statement, { maxLength: 25 }), (body) => {
      const r = checkSource([...prologue, ...body].join('\n'), 'fuzz.dmabuf');
      assert.deepEqual(r.diagnostics, []);
      assert.equal(r.stopReason, 'end');
    }),
    { numRuns: 150 },
  );
});
