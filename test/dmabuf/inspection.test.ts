// What the debugger sees of dma-bufs: buffers() shows each with its exporter, reference count, attachments,
// mappings and vmaps; snapshots copy the dma-buf state; large buffers cost per segment, not per byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/language';
import { Runner } from '../../src/runtime/runner';
import { Machine } from '../../src/machine/machine';
import { device, lines } from './helpers';

function runTo(text: string, steps = Infinity): Runner {
  const { program, diagnostics } = parseScenario(text, 't.dmabuf');
  assert.deepEqual(diagnostics, []);
  const r = new Runner(program);
  for (let i = 0; i < steps && !r.done; i++) r.step();
  return r;
}

const scenario = lines(
  'platform arm64',
  'device gpu iommu',
  'device isp',
  'b = dma_heap_alloc(system, 1MiB)',
  'dma_buf_get(b)',
  'g = dma_buf_attach(b, gpu)',
  'i = dma_buf_attach(b, isp)',
  's = dma_buf_map_attachment(g, TO_DEVICE)',
  'v = dma_buf_vmap(b)',
  'p = dma_buf_mmap(b)',
);

test('buffers() shows a dma-buf with its exporter, refcount, attachments, mappings, vmaps and mmaps', () => {
  const m = runTo(scenario, 7).machine;
  const withBuf = m.buffers().filter((b) => b.dmabuf);
  assert.equal(withBuf.length, 1);
  const { dmabuf: d, kind, segments } = withBuf[0];
  assert.equal(kind, 'dmabuf');
  assert.equal(segments.length, 1);
  assert.equal(d!.exporter, 'system heap');
  assert.equal(d!.refcount, 2);
  assert.deepEqual(d!.attachments.map((a) => [a.device, a.live, a.mappings.map((x) => x.dir)]), [['gpu', true, ['TO_DEVICE']], ['isp', true, []]]);
  assert.deepEqual([d!.vmaps.length, d!.mmaps.length], [1, 1]);
  const mapping = m.mappings().find((x) => x.id === d!.attachments[0].mappings[0].sgt);
  assert.equal(mapping?.device, 'gpu');
});

test('a deferred export without pages is listed as a buffer with no segments', () => {
  const m = runTo(lines('platform arm64', 'device gpu iommu', 'b = dma_buf_export(gpu, 64KiB, deferred)')).machine;
  const [view] = m.buffers().filter((b) => b.dmabuf);
  assert.deepEqual([view.segments.length, view.dmabuf?.exporter, view.live], [0, 'gpu (deferred)', true]);
});

test('a snapshot copies the dma-buf state: restoring replays identically', () => {
  const r = runTo(scenario, 3);
  const snap = r.snapshot();
  while (!r.done) r.step();
  const first = JSON.stringify({ b: r.machine.buffers(), h: r.hazards() });
  r.restore(snap);
  assert.equal(r.machine.dmaBufs()[0].attachments.length, 1, 'the restored machine has the state of the snapshot');
  while (!r.done) r.step();
  assert.equal(JSON.stringify({ b: r.machine.buffers(), h: r.hazards() }), first);
});

test('cost grows with segments, not bytes: a 1 GiB system-heap buffer mapped, synced and read stays fast', () => {
  const big = lines(
    'platform arm64', 'device gpu iommu', 'device isp',
    'b = dma_heap_alloc(system, 1GiB)', 'g = dma_buf_attach(b, gpu)', 'i = dma_buf_attach(b, isp)',
    's = dma_buf_map_attachment(g, BIDIRECTIONAL)', 't = dma_buf_map_attachment(i, BIDIRECTIONAL)',
    'gpu.write(s, 0, 1GiB, 7)', 'v = dma_buf_vmap(b)',
    'dma_buf_begin_cpu_access(b, BIDIRECTIONAL)', 'cpu.read(v, 0, 1GiB) expect 7', 'dma_buf_end_cpu_access(b, BIDIRECTIONAL)',
    'dma_buf_vunmap(b, v)', 'dma_buf_unmap_attachment(g, s, BIDIRECTIONAL)', 'dma_buf_unmap_attachment(i, t, BIDIRECTIONAL)',
    'dma_buf_detach(b, g)', 'dma_buf_detach(b, i)', 'dma_buf_put(b)',
  );
  const t0 = process.hrtime.bigint();
  const r = runTo(big);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.deepEqual(r.hazards().map((h) => h.kind), []);
  assert.equal(r.machine.dmaBufs()[0].segments.length, 1024);
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('messages name a dma-buf by its binding once the runtime names the handle', () => {
  const m = new Machine({
    platform: { arch: 'arm64', coherent: false, swiotlbForce: false },
    cache: { size: 32 * 1024, ways: 4, line: 64, prefetch: 'none' },
    memory: { size: 2 ** 33, seed: 1 },
    devices: [device('gpu', { iommu: true })],
  });
  const step = <T>(line: number, f: () => T) => {
    m.begin({ line, column: 1 });
    const r = f();
    return { r, out: m.end() };
  };
  const { r: b } = step(1, () => m.dmaHeapAlloc('system', 4096));
  m.nameHandle(b, 'frame');
  step(2, () => m.dmaBufPut(b));
  const { out } = step(3, () => m.dmaBufPut(b));
  assert.deepEqual(out.hazards.map((h) => h.kind), ['api-misuse']);
  assert.match(out.hazards[0].message, /dma-buf frame \(system heap, line 1\) was released .* at line 2: use after the last put/);
});
