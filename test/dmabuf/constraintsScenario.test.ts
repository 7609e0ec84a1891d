// Constraints and deferred allocation on the machine (spec §7): attach and map checks, and what a deferred
// export allocates; each hazard with a scenario that raises it and a corrected twin that does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hazardRecords, hazardsOf, lines } from './helpers';
import { parseScenario } from '../../src/language';
import { Runner } from '../../src/runtime/runner';
import { FOUR_GIB } from '../../src/machine/layout';

const head = ['platform arm64', 'device gpu iommu', 'device isp contiguous dma_mask=32', 'device dsp max_segment_size=64KiB'];

function finalMachine(text: string) {
  const { program, diagnostics } = parseScenario(text, 't.dmabuf');
  assert.deepEqual(diagnostics, []);
  const r = new Runner(program);
  while (!r.done) r.step();
  return r.machine;
}

test('an attach the pages cannot serve fails with a constraint-violation naming the device that should export', () => {
  const bad = lines(...head, 'b = dma_heap_alloc(system, 2MiB)', 'a = dma_buf_attach(b, isp)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(bad), ['6:constraint-violation']);
  const h = hazardRecords(bad)[0];
  assert.match(h.message, /isp needs one contiguous segment/);
  assert.match(h.message, /let isp's driver export it/);
  assert.equal(h.failure, true);
  const good = lines(...head, 'b = dma_heap_alloc(cma, 2MiB)', 'a = dma_buf_attach(b, isp)', 'dma_buf_detach(b, a)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(good), []);
});

test('an export allocates for its own device: contiguous and below its dma_mask', () => {
  const text = lines(...head, 'b = dma_buf_export(isp, 2MiB, contiguous)', 'a = dma_buf_attach(b, isp)', 'g = dma_buf_attach(b, gpu)');
  const [view] = finalMachine(text).dmaBufs();
  assert.equal(view.segments.length, 1);
  assert.ok(view.segments[0].phys + view.segments[0].len <= FOUR_GIB);
  const late = lines(...head, 'b = dma_buf_export(gpu, 2MiB)', 'a = dma_buf_attach(b, isp)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(late), ['6:constraint-violation']);
  assert.match(hazardRecords(late)[0].message, /gpu exported it to fit only itself: let isp export it/);
});

test('a deferred export allocates at the first map, to fit every device attached by then', () => {
  const text = lines(...head,
    'b = dma_buf_export(gpu, 3MiB, deferred)', 'expect_owner(b, none)',
    'g = dma_buf_attach(b, gpu)', 'i = dma_buf_attach(b, isp)',
    's = dma_buf_map_attachment(g, TO_DEVICE)', 'expect_owner(b, gpu:TO_DEVICE)',
    't = dma_buf_map_attachment(i, TO_DEVICE)',
    'dma_buf_unmap_attachment(g, s, TO_DEVICE)', 'dma_buf_unmap_attachment(i, t, TO_DEVICE)',
    'dma_buf_detach(b, g)', 'dma_buf_detach(b, i)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(text), []);
  const [view] = finalMachine(text).dmaBufs();
  assert.equal(view.segments.length, 1, 'contiguous: isp has no IOMMU');
  assert.ok(view.segments[0].phys + view.segments[0].len <= FOUR_GIB, 'below isp\'s 32-bit mask');
});

test('a later attach the deferred pages cannot serve fails, naming the device that should have attached first', () => {
  const bad = lines(...head,
    'b = dma_buf_export(gpu, 3MiB, deferred)', 'g = dma_buf_attach(b, gpu)',
    's = dma_buf_map_attachment(g, TO_DEVICE)', 'i = dma_buf_attach(b, isp)',
    'dma_buf_unmap_attachment(g, s, TO_DEVICE)', 'dma_buf_detach(b, g)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(bad), ['8:constraint-violation']);
  const h = hazardRecords(bad)[0];
  assert.match(h.message, /allocated at the first map \(line 7\) to fit gpu: attach isp before that map, or let isp export the buffer/);
  assert.deepEqual(h.related.map((r) => r.loc.line), [5, 7]);
});

test('a map whose sg table breaks its device\'s constraints fails with a constraint-violation', () => {
  // Contiguous for isp, so one 2 MiB segment: longer than dsp's max_segment_size.
  const bad = lines(...head,
    'b = dma_buf_export(gpu, 2MiB, deferred)', 'i = dma_buf_attach(b, isp)', 'd = dma_buf_attach(b, dsp)',
    's = dma_buf_map_attachment(d, TO_DEVICE)',
    'dma_buf_detach(b, i)', 'dma_buf_detach(b, d)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(bad), ['8:constraint-violation']);
  const twin = lines(...head,
    'b = dma_buf_export(gpu, 2MiB, deferred)', 'd = dma_buf_attach(b, dsp)',
    's = dma_buf_map_attachment(d, TO_DEVICE)', 'dma_buf_unmap_attachment(d, s, TO_DEVICE)',
    'dma_buf_detach(b, d)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(twin), [], 'without isp the pages are runs of at most 64 KiB');
});

test('a failed attach still binds a handle, like DMA_MAPPING_ERROR: using it later is api-misuse', () => {
  const text = lines(...head, 'b = dma_heap_alloc(system, 2MiB)', 'a = dma_buf_attach(b, isp)', 's = dma_buf_map_attachment(a, TO_DEVICE)', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(text), ['6:constraint-violation', '7:api-misuse']);
});

test('expect error consumes the constraint-violation of a failed attach', () => {
  const text = lines(...head, 'b = dma_heap_alloc(system, 2MiB)', 'dma_buf_attach(b, isp) expect error', 'dma_buf_put(b)');
  assert.deepEqual(hazardsOf(text), []);
});
