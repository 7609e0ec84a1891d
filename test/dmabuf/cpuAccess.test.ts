// CPU access to dma-bufs (spec §4, §8): begin/end_cpu_access and DMA_BUF_IOCTL_SYNC sync every mapped
// attachment; access outside a bracket, or while a device owns the range, is a hazard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSource } from '../../src/runtime/checker';
import { hazardRecords, hazardsOf, lines } from './helpers';

const head = ['platform arm64', 'cache size=32KiB ways=4', 'device gpu iommu', 'device isp'];
const setup = ['b = dma_heap_alloc(system, 64KiB)', 'g = dma_buf_attach(b, gpu)', 'i = dma_buf_attach(b, isp)'];
const teardown = ['dma_buf_detach(b, g)', 'dma_buf_detach(b, i)', 'dma_buf_put(b)'];

test('unbracketed-cpu-access: a vmap read outside begin/end_cpu_access; the bracketed twin is clean', () => {
  const bad = lines(...head, ...setup, 'v = dma_buf_vmap(b)', 'cpu.read(v, 0, 64)', 'dma_buf_vunmap(b, v)', ...teardown);
  assert.deepEqual(hazardsOf(bad), ['9:unbracketed-cpu-access']);
  assert.match(hazardRecords(bad)[0].message, /dma_buf_begin_cpu_access/);
  const good = lines(...head, ...setup, 'v = dma_buf_vmap(b)', 'dma_buf_begin_cpu_access(b, FROM_DEVICE)', 'cpu.read(v, 0, 64)', 'dma_buf_end_cpu_access(b, FROM_DEVICE)', 'dma_buf_vunmap(b, v)', ...teardown);
  assert.deepEqual(hazardsOf(good), []);
});

test('unbracketed-cpu-access: an mmap write without DMA_BUF_IOCTL_SYNC; the synced twin is clean', () => {
  const bad = lines(...head, ...setup, 'p = dma_buf_mmap(b)', 'cpu.write(p, 0, 64, 1)', ...teardown);
  assert.deepEqual(hazardsOf(bad), ['9:unbracketed-cpu-access']);
  assert.match(hazardRecords(bad)[0].message, /dma_buf_sync/);
  const good = lines(...head, ...setup, 'p = dma_buf_mmap(b)', 'dma_buf_sync(b, START, WRITE)', 'cpu.write(p, 0, 64, 1)', 'dma_buf_sync(b, END, WRITE)', ...teardown);
  assert.deepEqual(hazardsOf(good), []);
});

test('a CPU access while a device owns a dma-buf names it as the scenario bound it, in its advice too; a deferred export as well', () => {
  for (const exp of ['b = dma_heap_alloc(system, 64KiB)', 'b = dma_buf_export(gpu, 64KiB, deferred)']) {
    const text = lines(...head, exp, 'g = dma_buf_attach(b, gpu)', 's = dma_buf_map_attachment(g, BIDIRECTIONAL)', 'v = dma_buf_vmap(b)',
      'dma_buf_begin_cpu_access(b, TO_DEVICE)', 'dma_buf_end_cpu_access(b, TO_DEVICE)', 'cpu.read(v, 0, 64)');
    const owned = hazardRecords(text).find((h) => h.kind === 'cpu-access-while-device-owned');
    assert.match(owned?.message ?? '', /CPU read 0x40 bytes at offset 0x0 of b: .*: call dma_buf_begin_cpu_access\(b, \.\.\.\)/, exp);
  }
});

test('end without begin is api-misuse, for end_cpu_access and for the sync ioctl', () => {
  const bad = lines(...head, ...setup, 'dma_buf_end_cpu_access(b, TO_DEVICE)', 'dma_buf_sync(b, START, READ)', 'dma_buf_sync(b, END, READ)', 'dma_buf_sync(b, END, READ)', ...teardown);
  assert.deepEqual(hazardsOf(bad), ['8:api-misuse', '11:api-misuse']);
  assert.match(hazardRecords(bad)[0].message, /end without begin/);
});

test('begin_cpu_access syncs every mapped attachment for the CPU: device writes become visible', () => {
  const body = (bracket: boolean) => lines(
    ...head, ...setup,
    'v = dma_buf_vmap(b)',
    'dma_buf_begin_cpu_access(b, BIDIRECTIONAL)',
    'cpu.read(v, 0, 8KiB)', // lines cached before the devices write
    'dma_buf_end_cpu_access(b, BIDIRECTIONAL)',
    'sg = dma_buf_map_attachment(g, BIDIRECTIONAL)',
    'si = dma_buf_map_attachment(i, BIDIRECTIONAL)',
    'gpu.write(sg, 0, 4KiB, 0x11)',
    'isp.write(si, 4KiB, 4KiB, 0x22)',
    ...(bracket ? ['dma_buf_begin_cpu_access(b, BIDIRECTIONAL)'] : []),
    'cpu.read(v, 0, 4KiB) expect 0x11',
    'cpu.read(v, 4KiB, 4KiB) expect 0x22',
    ...(bracket ? ['dma_buf_end_cpu_access(b, BIDIRECTIONAL)'] : []),
    'dma_buf_unmap_attachment(g, sg, BIDIRECTIONAL)',
    'dma_buf_unmap_attachment(i, si, BIDIRECTIONAL)',
    'dma_buf_vunmap(b, v)',
    ...teardown,
  );
  assert.deepEqual(hazardsOf(body(true)), []);
  const kinds = new Set(hazardsOf(body(false)).map((h) => h.replace(/^\d+:/, '')));
  for (const k of ['unbracketed-cpu-access', 'cpu-access-while-device-owned', 'stale-read', 'expect-failed']) assert.ok(kinds.has(k), `missing ${k}`);
});

test('end_cpu_access syncs every mapped attachment back for its device: CPU writes reach the devices', () => {
  const body = (end: boolean) => lines(
    ...head, ...setup,
    'v = dma_buf_vmap(b)',
    'sg = dma_buf_map_attachment(g, BIDIRECTIONAL)',
    'dma_buf_begin_cpu_access(b, BIDIRECTIONAL)',
    'cpu.write(v, 0, 4KiB, 0x33)',
    ...(end ? ['dma_buf_end_cpu_access(b, BIDIRECTIONAL)'] : []),
    'gpu.read(sg, 0, 4KiB) expect 0x33',
    ...(end ? [] : ['dma_buf_end_cpu_access(b, BIDIRECTIONAL)']),
    'dma_buf_unmap_attachment(g, sg, BIDIRECTIONAL)',
    'dma_buf_vunmap(b, v)',
    ...teardown,
  );
  assert.deepEqual(hazardsOf(body(true)), []);
  assert.deepEqual(hazardsOf(body(false)), ['12:device-access-while-cpu-owned', '12:stale-read', '12:expect-failed']);
});

test('cpu-access-while-device-owned: inside a bracket, an attachment mapped after begin owns the range again', () => {
  const body = (unmapFirst: boolean) => lines(
    ...head, ...setup,
    'v = dma_buf_vmap(b)',
    'dma_buf_begin_cpu_access(b, TO_DEVICE)',
    'sg = dma_buf_map_attachment(g, TO_DEVICE)',
    ...(unmapFirst ? ['dma_buf_unmap_attachment(g, sg, TO_DEVICE)'] : []),
    'cpu.write(v, 0, 64, 5)',
    ...(unmapFirst ? [] : ['dma_buf_unmap_attachment(g, sg, TO_DEVICE)']),
    'dma_buf_end_cpu_access(b, TO_DEVICE)',
    'dma_buf_vunmap(b, v)',
    ...teardown,
  );
  assert.deepEqual(hazardsOf(body(true)), []);
  assert.deepEqual(hazardsOf(body(false)), ['11:cpu-access-while-device-owned']);
});

test('use after vunmap is api-misuse and the access does not happen', () => {
  const text = lines(...head, ...setup, 'v = dma_buf_vmap(b)', 'dma_buf_vunmap(b, v)', 'dma_buf_begin_cpu_access(b, TO_DEVICE)', 'cpu.write(v, 0, 64, 5)', 'dma_buf_end_cpu_access(b, TO_DEVICE)', ...teardown);
  assert.deepEqual(hazardsOf(text), ['11:api-misuse']);
  assert.match(hazardRecords(text)[0].message, /dma_buf_vunmap/);
});

test('begin_cpu_access syncs a bounced attachment too: its copy-back of a stale slot destroys another device\'s write (lost-write)', () => {
  const text = lines(
    'platform arm64', 'cache size=32KiB ways=4', 'device gpu iommu', 'device isp dma_mask=32',
    'b = dma_heap_alloc(system, 64KiB)', 'g = dma_buf_attach(b, gpu)', 'i = dma_buf_attach(b, isp)',
    'sg = dma_buf_map_attachment(g, BIDIRECTIONAL)', 'si = dma_buf_map_attachment(i, BIDIRECTIONAL)',
    'gpu.write(sg, 0, 4KiB, 0x11)',
    'dma_buf_begin_cpu_access(b, BIDIRECTIONAL)', 'dma_buf_end_cpu_access(b, BIDIRECTIONAL)',
    'dma_buf_unmap_attachment(g, sg, BIDIRECTIONAL)', 'dma_buf_unmap_attachment(i, si, BIDIRECTIONAL)',
    'dma_buf_detach(b, g)', 'dma_buf_detach(b, i)', 'dma_buf_put(b)',
  );
  // isp's slot still holds the bytes of map time; copying it back at begin overwrites what gpu wrote since.
  assert.deepEqual([...new Set(hazardsOf(text))], ['11:lost-write']);
});

test('on a coherent platform the unsynced mmap reads the right bytes, but the access is still unbracketed and device-owned', () => {
  const text = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'dmabuf-mmap-nosync.dmabuf'), 'utf8');
  const r = checkSource(text, 'x.dmabuf', { platform: 'x86_64' });
  assert.deepEqual(r.hazards.map((h) => `${h.loc.line}:${h.kind}`), [
    '15:unbracketed-cpu-access', '15:cpu-access-while-device-owned', '19:unbracketed-cpu-access', '19:cpu-access-while-device-owned',
  ]);
});
