// The machine's state stays bounded by what is live, not by the run's history (issue #4 item 10): released
// mappings, buffers, handles, dma-buf objects and write origins nothing can name again are dropped, while every
// message stays the same, and a snapshot restored twice replays identically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serialize } from 'node:v8';
import { parseScenario } from '../../src/language';
import { Runner } from '../../src/runtime/runner';
import type { MachineState } from '../../src/machine/state';

function runner(text: string): Runner {
  const { program, diagnostics } = parseScenario(text, 't.dmabuf');
  assert.deepEqual(diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`), []);
  return new Runner(program);
}

const lines = (...l: string[]): string => l.join('\n') + '\n';

/** Entries in the tables that used to grow with every statement. */
function entries(s: MachineState): number {
  const d = s.dmabuf;
  return s.writes.size + s.mappings.size + s.handles.size + s.names.size + s.buffers.size + d.bufs.size + d.attachments.size + d.views.size;
}

/** Lines 1-4 of the scenarios below: a NIC and two buffers, rx and tx. */
const twoBuffers = ['platform arm64', 'device nic', 'rx = kmalloc(4KiB)', 'tx = kmalloc(4KiB)'];

const rxLoop = (n: number): string =>
  lines(
    'platform arm64',
    'device nic',
    'rx = kmalloc(4KiB)',
    `repeat ${n} {`,
    '  h = dma_map_single(nic, rx, 2KiB, FROM_DEVICE)',
    '  nic.write(h, 0, 64, 0x5A)',
    '  dma_sync_single_for_cpu(nic, h, 2KiB, FROM_DEVICE)',
    '  cpu.read(rx, 0, 64) expect 0x5A',
    '  dma_unmap_single(nic, h, 2KiB, FROM_DEVICE)',
    '}',
    'kfree(rx)',
  );

test('100,000 map/write/sync/read/unmap iterations: the machine state stays bounded and the run stays clean', () => {
  const r = runner(rxLoop(100_000));
  let peakEntries = 0;
  let peakBytes = 0;
  while (!r.done) {
    r.step();
    if (r.stepCount % 10_000 === 0) {
      peakEntries = Math.max(peakEntries, entries(r.machine.state));
      peakBytes = Math.max(peakBytes, serialize(r.machine.state).length);
    }
  }
  assert.equal(r.stepCount, 2 + 5 * 100_000);
  assert.deepEqual(r.hazards(), []);
  // 100,000 mappings and write origins were made; a few hundred entries at most are ever held.
  assert.ok(peakEntries < 600, `peak table entries ${peakEntries}`);
  assert.ok(peakBytes < 64 * 1024, `peak serialized state ${peakBytes} bytes`);
});

test('a double unmap long after the first still says where the first unmap was', () => {
  const r = runner(lines(
    ...twoBuffers,
    'old = dma_map_single(nic, rx, 2KiB, FROM_DEVICE)',
    'dma_unmap_single(nic, old, 2KiB, FROM_DEVICE)',
    'keep = dma_map_single(nic, tx, 4KiB, FROM_DEVICE)',
    'nic.write(keep, 0, 64, 0x77)',
    'repeat 20000 {',
    '  h = dma_map_single(nic, rx, 2KiB, FROM_DEVICE)',
    '  nic.write(h, 0, 64, 0x5A)',
    '  dma_unmap_single(nic, h, 2KiB, FROM_DEVICE)',
    '}',
    'dma_unmap_single(nic, old, 2KiB, FROM_DEVICE)',
    'cpu.read(tx, 0, 64)',
    'dma_unmap_single(nic, keep, 4KiB, FROM_DEVICE)',
    'kfree(tx)',
    'kfree(rx)',
  ));
  while (!r.done) {
    r.step();
    assert.ok(entries(r.machine.state) < 600, `entries ${entries(r.machine.state)} at step ${r.stepCount}`);
  }
  const [unmap, owned, ...others] = r.hazards();
  assert.deepEqual(others, []);
  assert.equal(unmap.kind, 'api-misuse');
  assert.equal(unmap.loc.line, 14);
  assert.match(unmap.message, /already unmapped at line 6/);
  assert.deepEqual(unmap.related.map((x) => `${x.loc.line} ${x.message}`), ['5 mapped for nic FROM_DEVICE here', '6 unmapped here']);
  assert.equal(owned.kind, 'cpu-access-while-device-owned');
  assert.equal(owned.loc.line, 15);
});

test('a stale read long after the device wrote still names the write and its line', () => {
  const r = runner(lines(
    ...twoBuffers,
    'keep = dma_map_single(nic, tx, 4KiB, FROM_DEVICE)',
    'cache.prefetch(tx, 0, 64)',
    'nic.write(keep, 0, 64, 0x77)',
    'dma_unmap_single(nic, keep, 4KiB, FROM_DEVICE, SKIP_CPU_SYNC)',
    'repeat 20000 {',
    '  cpu.write(rx, 0, 64, 1)',
    '  h = dma_map_single(nic, rx, 2KiB, TO_DEVICE)',
    '  nic.read(h, 0, 64)',
    '  dma_unmap_single(nic, h, 2KiB, TO_DEVICE)',
    '}',
    'cpu.read(tx, 0, 64)',
    'kfree(tx)',
    'kfree(rx)',
  ));
  while (!r.done) r.step();
  assert.ok(r.machine.state.writes.size < 600, `write origins ${r.machine.state.writes.size}`);
  const stale = r.hazards().filter((h) => h.kind === 'stale-read');
  assert.equal(stale.length, 1);
  assert.equal(stale[0].loc.line, 15);
  assert.match(stale[0].message, /nic wrote them at line 7/);
  assert.ok(stale[0].related.some((x) => x.loc.line === 7));
});

test('attach/map/unmap/detach loops on one dma-buf keep its attachments and importers bounded', () => {
  const r = runner(lines(
    'platform arm64',
    'device gpu iommu',
    'b = dma_heap_alloc(system, 64KiB)',
    'repeat 5000 {',
    '  a = dma_buf_attach(b, gpu)',
    '  t = dma_buf_map_attachment(a, BIDIRECTIONAL)',
    '  gpu.write(t, 0, 64, 3)',
    '  dma_buf_unmap_attachment(a, t, BIDIRECTIONAL)',
    '  v = dma_buf_vmap(b)',
    '  dma_buf_vunmap(b, v)',
    '  dma_buf_detach(b, a)',
    '}',
    'dma_buf_detach(b, a)',
    'dma_buf_put(b)',
  ));
  while (!r.done) r.step();
  const s = r.machine.state;
  assert.ok(entries(s) < 600, `entries ${entries(s)}`);
  const [buf] = s.dmabuf.bufs.values();
  assert.ok(buf.importers.length < 300 && buf.attachments.length < 300 && buf.views.length < 300);
  assert.deepEqual(r.machine.dmaBufAdvice()[0].importers.map((i) => `${i.device} ${i.attachedAt.line}`), ['gpu 5']);
  // The attachment still bound to `a` answers the second detach with the line of its detach.
  assert.deepEqual(r.hazards().map((h) => `${h.loc.line}:${h.kind}`), ['13:api-misuse']);
  assert.match(r.hazards()[0].message, /already detached at line 11/);
});

/** Runs to the end, recording every step and the final views. */
function rest(r: Runner): string {
  const out: string[] = [];
  while (!r.done) {
    const s = r.step();
    out.push(`${s.index}:${s.loc.line}:${s.events.length}:${s.hazards.map((h) => h.message).join('|')}`);
  }
  return JSON.stringify({ out, buffers: r.machine.buffers(), mappings: r.machine.mappings(), hazards: r.hazards() });
}

test('restoring the same snapshot twice, after pruning, replays identically, and as a run that never restored', () => {
  const text = rxLoop(3000).replace('kfree(rx)', 'dma_unmap_single(nic, h, 2KiB, FROM_DEVICE)\nkfree(rx)');
  const r = runner(text);
  for (let i = 0; i < 7_777; i++) r.step();
  const snap = r.snapshot();
  const first = rest(r);
  r.restore(snap);
  const second = rest(r);
  r.restore(snap);
  assert.equal(r.stepCount, 7_777);
  assert.equal(rest(r), first);
  assert.equal(second, first);
  const straight = runner(text);
  for (let i = 0; i < 7_777; i++) straight.step();
  assert.equal(rest(straight), first);
  assert.match(first, /already unmapped at line 9/);
});

test('snapshots share the hazard list, yet restoring one undoes the expect_hazard marks made after it', () => {
  const r = runner(lines(
    'platform arm64',
    'device nic',
    'rx = kmalloc(4KiB)',
    'repeat 2000 {',
    '  h = dma_map_single(nic, rx, 2KiB, FROM_DEVICE)',
    '  nic.read(h, 0, 64)',
    '  dma_unmap_single(nic, h, 2KiB, FROM_DEVICE)',
    '}',
    'expect_hazard(direction-violation)',
    'kfree(rx)',
  ));
  // The last snapshot follows the expect_hazard (step 6002): it must not share the chunks it changed.
  const snaps = [1000, 3000, 5998, 6002].map((at) => {
    while (r.stepCount < at) r.step();
    return { at, snap: r.snapshot(), hazards: JSON.stringify(r.hazards()) };
  });
  const ends = new Map<number, string>();
  for (const { at, snap, hazards } of [...snaps, ...snaps.slice().reverse()]) {
    r.restore(snap);
    assert.equal(r.stepCount, at);
    assert.equal(JSON.stringify(r.hazards()), hazards);
    assert.equal(r.hazards().some((h) => h.expected), at > 6001);
    const end = rest(r);
    assert.ok(r.hazards().length === 2000 && r.hazards().every((h) => h.expected));
    assert.equal(end, ends.get(at) ?? end);
    ends.set(at, end);
  }
});
