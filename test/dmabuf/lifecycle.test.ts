// dma-buf lifecycle rules (spec §4, §8): reference counts and release, attach/detach, leaks; each hazard with a
// scenario that raises it and a corrected twin that does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hazardRecords, hazardsOf, lines } from './helpers';

const head = ['platform arm64', 'device gpu iommu', 'device isp contiguous dma_mask=32'];

test('the spec §1 example runs clean', () => {
  const text = lines(
    'platform arm64',
    'cache size=32KiB ways=4 prefetch=next-line',
    'device isp dma_mask=32',
    'device gpu iommu',
    'buf = dma_heap_alloc(system, 1MiB)',
    'a = dma_buf_attach(buf, isp)',
    'sgt = dma_buf_map_attachment(a, FROM_DEVICE)',
    'isp.write(sgt, 0, 4KiB, 0xA5)',
    'dma_buf_unmap_attachment(a, sgt, FROM_DEVICE)',
    'v = dma_buf_vmap(buf)',
    'dma_buf_begin_cpu_access(buf, FROM_DEVICE)',
    'cpu.read(v, 0, 64) expect 0xA5',
    'dma_buf_end_cpu_access(buf, FROM_DEVICE)',
    'dma_buf_vunmap(buf, v)',
    'dma_buf_detach(buf, a)',
    'dma_buf_put(buf)',
  );
  assert.deepEqual(hazardsOf(text), []);
});

test('reference counts: the buffer is released at zero; use after the last put is api-misuse', () => {
  const bad = lines(...head, 'b = dma_heap_alloc(system, 64KiB)', 'dma_buf_get(b)', 'dma_buf_put(b)', 'dma_buf_put(b)', 'expect_owner(b, none)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(bad), ['9:api-misuse']);
  assert.match(hazardRecords(bad)[0].message, /use after the last put/);
  const good = lines(...head, 'b = dma_heap_alloc(system, 64KiB)', 'dma_buf_get(b)', 'expect_owner(b, cpu)', 'dma_buf_put(b)', 'expect_owner(b, cpu)', 'dma_buf_put(b)', 'expect_owner(b, none)');
  assert.deepEqual(hazardsOf(good), []);
});

test('use after the last put: attach, vmap and CPU access through an old pointer are api-misuse', () => {
  const text = lines(...head, 'b = dma_heap_alloc(system, 64KiB)', 'p = dma_buf_mmap(b)', 'dma_buf_put(b)', 'a = dma_buf_attach(b, gpu)', 'v = dma_buf_vmap(b)', 'cpu.read(p, 0, 64)');
  assert.deepEqual(hazardsOf(text), ['7:api-misuse', '8:api-misuse', '9:api-misuse']);
});

test('detach while mapped is api-misuse, and the mapping it leaves is a leak', () => {
  const bad = lines(...head, 'b = dma_heap_alloc(system, 64KiB)', 'a = dma_buf_attach(b, gpu)', 's = dma_buf_map_attachment(a, TO_DEVICE)', 'dma_buf_detach(b, a)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(bad).sort(), ['7:api-misuse', '8:api-misuse', '6:leak'].sort());
  const good = lines(...head, 'b = dma_heap_alloc(system, 64KiB)', 'a = dma_buf_attach(b, gpu)', 's = dma_buf_map_attachment(a, TO_DEVICE)', 'dma_buf_unmap_attachment(a, s, TO_DEVICE)', 'dma_buf_detach(b, a)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(good), []);
});

test('a double detach and an unmap with another attachment\'s sg table are api-misuse', () => {
  const text = lines(
    ...head,
    'b = dma_heap_alloc(system, 64KiB)',
    'a = dma_buf_attach(b, gpu)',
    'g = dma_buf_attach(b, gpu)',
    's = dma_buf_map_attachment(a, TO_DEVICE)',
    'dma_buf_unmap_attachment(g, s, TO_DEVICE)',
    'dma_buf_unmap_attachment(a, s, TO_DEVICE)',
    'dma_buf_detach(b, a)',
    'dma_buf_detach(b, a)',
    'dma_buf_detach(b, g)',
    'dma_buf_put(b)',
  );
  assert.deepEqual(hazardsOf(text), ['8:api-misuse', '11:api-misuse']);
});

test('releasing a buffer while a device is still attached is api-misuse', () => {
  const bad = lines(...head, 'b = dma_heap_alloc(system, 64KiB)', 'a = dma_buf_attach(b, gpu)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(bad), ['6:api-misuse']);
  assert.match(hazardRecords(bad)[0].message, /still attached/);
  assert.deepEqual(hazardsOf(lines(...head, 'b = dma_heap_alloc(system, 64KiB)', 'a = dma_buf_attach(b, gpu)', 'dma_buf_detach(b, a)', 'dma_buf_put(b)')), []);
});

test('leaks: buffers, attachments, attachment mappings and vmaps are reported where they were made; an mmap is no leak', () => {
  const bad = lines(...head, 'b = dma_heap_alloc(system, 64KiB)', 'a = dma_buf_attach(b, gpu)', 's = dma_buf_map_attachment(a, TO_DEVICE)', 'v = dma_buf_vmap(b)', 'p = dma_buf_mmap(b)');
  assert.deepEqual(hazardsOf(bad).sort(), ['4:leak', '5:leak', '6:leak', '7:leak'].sort());
  const good = lines(
    ...head,
    'b = dma_heap_alloc(system, 64KiB)', 'a = dma_buf_attach(b, gpu)', 's = dma_buf_map_attachment(a, TO_DEVICE)', 'v = dma_buf_vmap(b)', 'p = dma_buf_mmap(b)',
    'dma_buf_vunmap(b, v)', 'dma_buf_unmap_attachment(a, s, TO_DEVICE)', 'dma_buf_detach(b, a)', 'dma_buf_put(b)',
  );
  assert.deepEqual(hazardsOf(good), []);
});

test('a double vunmap and a vunmap of an mmap are api-misuse', () => {
  const text = lines(...head, 'b = dma_heap_alloc(system, 64KiB)', 'v = dma_buf_vmap(b)', 'p = dma_buf_mmap(b)', 'dma_buf_vunmap(b, v)', 'dma_buf_vunmap(b, v)', 'dma_buf_vunmap(b, p)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(text), ['8:api-misuse', '9:api-misuse']);
});
