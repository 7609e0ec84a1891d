// Every streaming hazard of spec §8, each raised by a short sequence and absent from its corrected twin; leaks;
// stale reads and lost writes through eviction, speculative prefetch and misplaced maintenance.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Handle } from '../../src/machine/machine';
import { checkSource } from '../../src/runtime/checker';
import { Options, Stmt, Vars, machine, run, scenario } from './helpers';

const kmalloc = (name: string, size = 4096): Stmt => (m, v) => (v[name] = m.kmalloc(size));
const mapSingle = (dir: 'TO_DEVICE' | 'FROM_DEVICE' | 'BIDIRECTIONAL', skip = false, dev = 'isp'): Stmt => (m, v) => (v.h = m.dmaMapSingle(dev, v.p, 4096, dir, 0, skip));
const unmapSingle = (dir: 'TO_DEVICE' | 'FROM_DEVICE' | 'BIDIRECTIONAL', size = 4096, skip = false, dev = 'isp'): Stmt => (m, v) => m.dmaUnmapSingle(dev, v.h, size, dir, skip);

interface Case {
  kind: string;
  title: string;
  opts?: Options;
  bad: Stmt[];
  good: Stmt[];
  detail?: string;
}

const cases: Case[] = [
  {
    kind: 'stale-read', title: 'the CPU reads device-written data without sync_for_cpu, through lines cached before the transfer',
    bad: [kmalloc('p'), (m, v) => m.cpuRead(v.p, 0, 64), mapSingle('FROM_DEVICE'), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 0xa5), (m, v) => m.dmaSyncSingleForDevice('isp', v.h, 4096, 'FROM_DEVICE', 0), (m, v) => { m.cpuRead(v.p, 0, 64); }],
    good: [kmalloc('p'), (m, v) => m.cpuRead(v.p, 0, 64), mapSingle('FROM_DEVICE'), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 0xa5), (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 4096, 'FROM_DEVICE', 0), (m, v) => m.cpuRead(v.p, 0, 64, 0xa5)],
  },
  {
    kind: 'stale-read', title: 'speculative prefetch during the transfer leaves stale lines when unmap skips the CPU sync',
    opts: { cache: { prefetch: 'speculative' } },
    bad: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 0xa5), unmapSingle('FROM_DEVICE', 4096, true), (m, v) => m.cpuRead(v.p, 0, 64)],
    good: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 0xa5), unmapSingle('FROM_DEVICE'), (m, v) => m.cpuRead(v.p, 0, 64, 0xa5)],
  },
  {
    kind: 'stale-read', title: 'a device reads data still dirty in the CPU cache (written after the map)',
    bad: [kmalloc('p'), mapSingle('TO_DEVICE'), (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 4096, 'TO_DEVICE', 0), (m, v) => m.cpuWrite(v.p, 0, 64, 1), (m, v) => m.dmaSyncSingleForDevice('isp', v.h, 4096, 'TO_DEVICE', 0), (m, v) => m.cpuWrite(v.p, 0, 64, 2), (m, v) => m.deviceRead('isp', v.h, 0, 64)],
    good: [kmalloc('p'), (m, v) => m.cpuWrite(v.p, 0, 64, 2), mapSingle('TO_DEVICE'), (m, v) => m.deviceRead('isp', v.h, 0, 64, 2)],
  },
  {
    kind: 'lost-write', title: 'an eviction writes a dirty line back over what the device wrote (map with SKIP_CPU_SYNC)',
    bad: [kmalloc('p'), (m, v) => m.cpuWrite(v.p, 0, 64, 1), mapSingle('FROM_DEVICE', true), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 0xa5), (m, v) => m.cacheEvict(v.p, 0, 64)],
    good: [kmalloc('p'), (m, v) => m.cpuWrite(v.p, 0, 64, 1), mapSingle('FROM_DEVICE'), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 0xa5), (m, v) => m.cacheEvict(v.p, 0, 64)],
  },
  {
    kind: 'lost-write', title: 'arm invalidates at a FROM_DEVICE map and drops CPU writes the device never overwrites',
    opts: { arch: 'arm' },
    bad: [kmalloc('p'), (m, v) => m.cpuWrite(v.p, 0, 4096, 1), mapSingle('FROM_DEVICE')],
    good: [kmalloc('p'), (m, v) => m.cpuWrite(v.p, 0, 4096, 1), mapSingle('BIDIRECTIONAL')],
  },
  {
    kind: 'cpu-access-while-device-owned', title: 'the CPU reads a buffer mapped for a device and not synced back',
    bad: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.cpuRead(v.p, 0, 64)],
    good: [kmalloc('p'), mapSingle('FROM_DEVICE'), unmapSingle('FROM_DEVICE'), (m, v) => m.cpuRead(v.p, 0, 64)],
  },
  {
    kind: 'device-access-unmapped', title: 'a device writes through a mapping after its unmap',
    bad: [kmalloc('p'), mapSingle('FROM_DEVICE'), unmapSingle('FROM_DEVICE'), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 1)],
    good: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 1), unmapSingle('FROM_DEVICE')],
  },
  {
    kind: 'device-access-unmapped', title: "a device accesses memory through another device's mapping",
    opts: { devices: [{ name: 'isp' }, { name: 'gpu' }] },
    bad: [kmalloc('p'), mapSingle('TO_DEVICE'), (m, v) => m.deviceRead('gpu', v.h, 0, 64)],
    good: [kmalloc('p'), mapSingle('TO_DEVICE'), (m, v) => m.deviceRead('isp', v.h, 0, 64)],
  },
  {
    kind: 'device-access-while-cpu-owned', title: 'a device writes a range synced back to the CPU and not yet to the device',
    bad: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 4096, 'FROM_DEVICE', 0), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 1)],
    good: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 4096, 'FROM_DEVICE', 0), (m, v) => m.dmaSyncSingleForDevice('isp', v.h, 4096, 'FROM_DEVICE', 0), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 1)],
  },
  {
    kind: 'direction-violation', title: 'a device writes through a TO_DEVICE mapping',
    bad: [kmalloc('p'), mapSingle('TO_DEVICE'), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 1)],
    good: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 1)],
  },
  {
    kind: 'direction-violation', title: 'a device reads through a FROM_DEVICE mapping',
    bad: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.deviceRead('isp', v.h, 0, 64)],
    good: [kmalloc('p'), mapSingle('TO_DEVICE'), (m, v) => m.deviceRead('isp', v.h, 0, 64)],
  },
  {
    kind: 'api-misuse', detail: 'size-mismatch', title: 'unmap with another size than the map',
    bad: [kmalloc('p'), mapSingle('TO_DEVICE'), unmapSingle('TO_DEVICE', 2048)], good: [kmalloc('p'), mapSingle('TO_DEVICE'), unmapSingle('TO_DEVICE')],
  },
  {
    kind: 'api-misuse', detail: 'direction-mismatch', title: 'unmap with another direction than the map',
    bad: [kmalloc('p'), mapSingle('TO_DEVICE'), unmapSingle('FROM_DEVICE')], good: [kmalloc('p'), mapSingle('TO_DEVICE'), unmapSingle('TO_DEVICE')],
  },
  {
    kind: 'api-misuse', detail: 'wrong-function', title: 'unmap of an sg mapping with dma_unmap_single (another kind)',
    bad: [kmalloc('p'), (m, v) => (v.h = m.dmaMapSg('isp', v.p, 'TO_DEVICE', false)), unmapSingle('TO_DEVICE')],
    good: [kmalloc('p'), (m, v) => (v.h = m.dmaMapSg('isp', v.p, 'TO_DEVICE', false)), (m, v) => m.dmaUnmapSg('isp', v.h, 'TO_DEVICE', false)],
  },
  {
    kind: 'api-misuse', detail: 'sync-outside', title: 'a sync outside the mapping (a sub-range sync is fine)',
    bad: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 64, 'FROM_DEVICE', 4090)],
    good: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 64, 'FROM_DEVICE', 4032)],
  },
  {
    kind: 'api-misuse', detail: 'direction-mismatch', title: 'a sync in another direction than the map',
    bad: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 4096, 'TO_DEVICE', 0)],
    good: [kmalloc('p'), mapSingle('BIDIRECTIONAL'), (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 4096, 'TO_DEVICE', 0)],
  },
  {
    kind: 'api-misuse', detail: 'double-unmap', title: 'double unmap',
    bad: [kmalloc('p'), mapSingle('TO_DEVICE'), unmapSingle('TO_DEVICE'), unmapSingle('TO_DEVICE')], good: [kmalloc('p'), mapSingle('TO_DEVICE'), unmapSingle('TO_DEVICE')],
  },
  {
    kind: 'api-misuse', detail: 'double-free', title: 'double free',
    bad: [kmalloc('p'), (m, v) => m.kfree(v.p), (m, v) => m.kfree(v.p)], good: [kmalloc('p'), (m, v) => m.kfree(v.p)],
  },
  {
    kind: 'api-misuse', detail: 'unknown-handle', title: 'an unknown handle',
    bad: [(m) => m.dmaSyncSingleForCpu('isp', { type: 'dma_handle', id: 999 }, 64, 'TO_DEVICE', 0)], good: [kmalloc('p'), mapSingle('TO_DEVICE'), (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 64, 'TO_DEVICE', 0)],
  },
  {
    kind: 'api-misuse', detail: 'wrong-device', title: 'a handle used with a device it was not mapped for',
    opts: { devices: [{ name: 'isp' }, { name: 'gpu', coherent: true }] },
    bad: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.dmaSyncSingleForCpu('gpu', v.h, 4096, 'FROM_DEVICE', 0)],
    good: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 4096, 'FROM_DEVICE', 0)],
  },
  {
    kind: 'api-misuse', detail: 'free-while-mapped', title: 'free while mapped (the free still happens)',
    bad: [kmalloc('p'), mapSingle('TO_DEVICE'), (m, v) => m.kfree(v.p)], good: [kmalloc('p'), mapSingle('TO_DEVICE'), unmapSingle('TO_DEVICE'), (m, v) => m.kfree(v.p)],
  },
  {
    kind: 'api-misuse', detail: 'map-vmalloc', title: 'dma_map_single of vmalloc memory fails, as the kernel rejects it',
    bad: [(m, v) => (v.p = m.vmalloc(4096)), mapSingle('TO_DEVICE')], good: [(m, v) => (v.p = m.vmalloc(4096)), (m, v) => m.dmaMapSg('isp', v.p, 'TO_DEVICE', false)],
  },
  {
    kind: 'api-misuse', detail: 'out-of-bounds', title: 'an access past the end of a buffer',
    bad: [kmalloc('p'), (m, v) => m.cpuWrite(v.p, 4000, 200, 1)], good: [kmalloc('p'), (m, v) => m.cpuWrite(v.p, 4000, 96, 1)],
  },
  {
    kind: 'expect-failed', title: 'expect_owner names the wrong owner',
    bad: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.expectOwner(v.p, 'cpu')],
    good: [kmalloc('p'), mapSingle('FROM_DEVICE'), (m, v) => m.expectOwner(v.p, { device: 'isp', dir: 'FROM_DEVICE' }, 0, 64)],
  },
];

for (const c of cases) {
  test(`${c.kind}${c.detail ? ` (${c.detail})` : ''}: ${c.title}; absent from its corrected twin`, () => {
    const bad = scenario(c.opts ?? {}, c.bad);
    assert.ok(bad.kinds.includes(c.kind), `raised: ${bad.kinds.join(', ') || 'nothing'}`);
    if (c.detail) assert.ok(bad.hazards.some((h) => h.kind === c.kind && h.detail === c.detail), bad.hazards.map((h) => h.detail).join());
    const good = scenario(c.opts ?? {}, c.good);
    assert.deepEqual(good.kinds, []);
  });
}

test('a stale read message says what happened, why, and which call is missing, with related locations', () => {
  const r = scenario({}, cases[0].bad);
  const h = r.hazards.find((x) => x.kind === 'stale-read');
  assert.ok(h);
  assert.equal(h.loc.line, 6);
  assert.match(h.message, /CPU read 0x40 bytes at offset 0x0 of kmalloc #1: 64 byte\(s\) are stale: isp wrote them at line 4 but the lines cached at line 2 were not invalidated: call dma_sync_single_for_cpu\(isp, \.\.\.\) or dma_unmap_single before reading/);
  assert.deepEqual(h.related.map((x) => x.loc.line), [4, 2, 3]);
});

// Lines cached before the device wrote are to blame only when memory holds its data: with swiotlb it is in the slot
// (until copied back) or, once the slot is released uncopied, nowhere.
for (const [title, skipUnmap, why, fix] of [
  ['read before the copy back: the bounce buffer was not copied back', false, 'the bounce buffer was not copied back', 'call dma_sync_single_for_cpu\\(isp, \\.\\.\\.\\) or dma_unmap_single before reading'],
  ['the unmap with SKIP_CPU_SYNC released the slot uncopied: the data is lost', true, 'no copy of it survives in memory or the cache \\(see the lost-write\\)', 'no sync can bring it back'],
] as const) {
  test(`a stale read of a bounced buffer on a coherent machine blames no cached line: ${title}`, () => {
    const r = scenario({ arch: 'x86_64', swiotlbForce: true }, [
      (m, v) => (v.p = m.kmalloc(4096)),
      (m, v) => (v.h = m.dmaMapSingle('isp', v.p, 4096, 'FROM_DEVICE', 0, true)),
      (m, v) => m.deviceWrite('isp', v.h, 0, 64, 0x22),
      (m, v) => (skipUnmap ? m.dmaUnmapSingle('isp', v.h, 4096, 'FROM_DEVICE', true) : undefined),
      (m, v) => m.cpuRead(v.p, 0, 64),
    ]);
    const h = r.hazards.find((x) => x.kind === 'stale-read');
    assert.match(h?.message ?? '', new RegExp(`isp wrote them at line 3 but ${why}: ${fix}`));
    assert.deepEqual(h?.related.map((x) => x.message), ['isp wrote the newest data here', 'mapped for isp here']);
  });
}

test('leaks: mappings and buffers never released are reported at the creating statement; phys() ranges are not', () => {
  const r = scenario({}, [kmalloc('p'), mapSingle('TO_DEVICE'), (m, v) => (v.q = m.phys(0x9000_0000, 4096)), (m, v) => (v.c = m.dmaAllocCoherent('isp', 4096))], true);
  assert.deepEqual(r.hazards.map((h) => [h.kind, h.loc.line]), [['leak', 2], ['leak', 1], ['leak', 4]]);
  const clean = scenario({}, [kmalloc('p'), mapSingle('TO_DEVICE'), unmapSingle('TO_DEVICE'), (m, v) => m.kfree(v.p), (m, v) => (v.q = m.phys(0x9000_0000, 4096))], true);
  assert.deepEqual(clean.kinds, []);
});

test('a coherent buffer of a noncoherent device is uncached: CPU accesses bypass the cache, the device sees them at once', () => {
  const r = scenario({}, [(m, v) => (v.c = m.dmaAllocCoherent('isp', 4096)), (m, v) => m.cpuWrite(v.c, 0, 64, 9), (m, v) => m.deviceRead('isp', v.c, 0, 64, 9), (m, v) => m.deviceWrite('isp', v.c, 0, 64, 3), (m, v) => m.cpuRead(v.c, 0, 64, 3), (m, v) => m.dmaFreeCoherent('isp', v.c)], true);
  assert.deepEqual(r.kinds, []);
  assert.equal(r.m.cacheLines(0, r.m.cacheLineCount()).filter((l) => l.state !== 'I').length, 0);
});

test('a coherent device snoops: its reads see Dirty lines and its writes update the cached copies', () => {
  const r = scenario({ devices: [{ name: 'isp', coherent: true }] }, [kmalloc('p'), (m, v) => m.cpuRead(v.p, 0, 64), (m, v) => m.cpuWrite(v.p, 64, 64, 7), mapSingle('BIDIRECTIONAL'),
    (m, v) => m.deviceRead('isp', v.h, 64, 64, 7), (m, v) => m.deviceWrite('isp', v.h, 0, 64, 5), unmapSingle('BIDIRECTIONAL'), (m, v) => m.cpuRead(v.p, 0, 64, 5), (m, v) => m.kfree(v.p)], true);
  assert.deepEqual(r.kinds, []);
});

test('misused calls still take effect: an unmap with the wrong size still unmaps', () => {
  const r = scenario({}, [kmalloc('p'), mapSingle('TO_DEVICE'), unmapSingle('TO_DEVICE', 64), (m, v) => m.expectOwner(v.p, 'cpu')]);
  assert.deepEqual(r.kinds, ['api-misuse']);
  assert.equal(r.m.mappings()[0].live, false);
});

test('clone is a deep snapshot: the copy and the original evolve independently', () => {
  const m = machine();
  const v: Vars = {};
  run(m, (x) => (v.p = x.kmalloc(4096)), (x) => x.cpuWrite(v.p, 0, 64, 1));
  const snap = m.clone();
  run(m, (x) => x.cpuWrite(v.p, 0, 64, 2), (x) => x.cacheEvictAll());
  assert.deepEqual(snap.peekCpu(v.p, 0, 64), [{ len: 64, value: 1 }]);
  assert.deepEqual(m.peekCpu(v.p, 0, 64), [{ len: 64, value: 2 }]);
  assert.deepEqual(snap.buffers().map((b) => [b.name, b.kind, b.size, b.cacheable, b.owners.map((o) => o.owner)]), [['kmalloc #1', 'kmalloc', 4096, true, ['cpu']]]);
});

test('every method is total: bad handles and unknown devices give hazards, never exceptions', () => {
  const m = machine();
  const bogus: Handle = { type: 'cpu_ptr', id: 42 };
  const hs = run(m,
    (x) => x.cpuRead(bogus, 0, 1), (x) => x.cpuWrite(bogus, 0, 1, 1), (x) => x.kfree(bogus), (x) => x.dmaMapSingle('nope', bogus, 1, 'TO_DEVICE', 0, false),
    (x) => x.dmaMapSg('isp', bogus, 'TO_DEVICE', false), (x) => x.dmaUnmapSg('isp', bogus, 'TO_DEVICE', false), (x) => x.deviceWrite('isp', bogus, 0, 1, 1),
    (x) => x.cachePrefetch(bogus, 0, 1), (x) => x.cacheEvict(bogus, 0, 1), (x) => x.expectOwner(bogus, 'none'), (x) => x.dmaFreeCoherent('isp', bogus));
  assert.ok(hs.length >= 10 && hs.every((h) => h.kind === 'api-misuse'));
});

test('allocations that cannot be served fail as the kernel would, without crashing', () => {
  const m = machine();
  for (const [i, f] of [(x: typeof m) => x.vmalloc(2 ** 45), (x: typeof m) => x.kmalloc(2 ** 45), (x: typeof m) => x.phys(2 ** 53, 4096), (x: typeof m) => x.dmaAllocCoherent('isp', 2 ** 45)].entries()) {
    m.begin({ line: i + 1, column: 1 });
    const h = f(m);
    const out = m.end();
    assert.equal(out.failed, true);
    assert.ok(out.hazards.every((x) => x.failure));
    assert.equal(typeof h.id, 'number');
  }
});

test('a use of what a failed call returned says which call failed, not that it was freed or never returned', () => {
  const text = ['memory 64MiB', 'device d', 'p = kmalloc(128MiB)', 'cpu.write(p, 0, 64, 0x1)', 'h = dma_map_single(d, p, 64, TO_DEVICE)', 'kfree(p)',
    'c = dma_alloc_coherent(d, 128MiB)', 'd.write(c, 0, 4, 0x3)', 'cpu.read(c, 0, 4)', 'buf = dma_heap_alloc(system, 128MiB)', 'v = dma_buf_vmap(buf)',
    'cpu.read(v, 0, 4)', 'q = kmalloc(64)', 'kfree(q)', 'cpu.read(q, 0, 4)'].join('\n');
  const hazards = checkSource(text, 'failed.dmabuf').hazards.filter((h) => h.detail !== 'out-of-memory');
  const allocationFailed = (line: number): RegExp => new RegExp(`whose allocation failed at line ${line} \\(it returned NULL\\)`);
  const got = hazards.map((h) => ({ line: h.loc.line, detail: h.detail, related: h.related.map((r) => r.loc.line) }));
  assert.deepEqual(got, [
    { line: 4, detail: 'failed-handle', related: [3] }, { line: 5, detail: 'failed-handle', related: [3] },
    { line: 8, detail: 'failed-handle', related: [7] }, { line: 9, detail: 'failed-handle', related: [7] },
    { line: 11, detail: 'failed-handle', related: [10] }, { line: 12, detail: 'failed-handle', related: [11] },
    { line: 15, detail: 'use-after-free', related: [] },
  ], 'kfree(NULL) is no misuse; a use after a real free still says so');
  for (const h of hazards.slice(0, 4)) assert.match(h.message, allocationFailed(h.related[0].loc.line));
  for (const h of hazards.slice(4, 6)) assert.match(h.message, new RegExp(`the handle comes from the call at line ${h.related[0].loc.line}, which failed`));
  assert.match(hazards[6].message, /^cpu\.read of q after it was freed at line 14$/);
});

test('what a failed call returned owns nothing, frees as NULL, and names its call wherever it is passed', () => {
  const text = ['memory 64MiB', 'device isp dma_mask=20', 'buf = dma_heap_alloc(system, 128MiB)', 'expect_owner(buf, none)', 'expect_owner(buf, cpu)',
    'v = vmalloc(128MiB)', 'kfree(v)', 'e = dma_buf_export(isp, 4MiB, deferred)', 'a = dma_buf_attach(e, isp)', 'sgt = dma_buf_map_attachment(a, FROM_DEVICE)',
    'dma_buf_unmap_attachment(a, sgt, FROM_DEVICE)', 'w = dma_buf_vmap(e)', 'dma_buf_vunmap(e, w)', 'dma_map_single(isp, w, 64, TO_DEVICE) expect error',
    'dma_buf_detach(e, a)', 'dma_buf_put(e)'].join('\n');
  const events: string[] = [];
  const r = checkSource(text, 'failed.dmabuf', {}, (step) => events.push(...step.events.map((x) => x.type)));
  const got = r.hazards.filter((h) => h.failure === undefined || h.detail === 'failed-handle').map((h) => [h.loc.line, h.kind, h.detail ?? '', h.message]);
  assert.deepEqual(got, [
    [5, 'expect-failed', '', 'expect_owner(buf, cpu): the handle comes from the call at line 3, which failed'],
    [11, 'api-misuse', 'failed-handle', "dma_buf_unmap_attachment: the handle comes from the call at line 10, which failed: check a call's result before using it"],
    [13, 'api-misuse', 'failed-handle', "dma_buf_vunmap: the handle comes from the call at line 12, which failed: check a call's result before using it"],
  ], 'expect_owner(buf, none) holds, kfree of a failed vmalloc is kfree(NULL), and the map expected to fail is one');
  assert.ok(r.hazards.every((h) => h.loc.line !== 14 || h.expected), 'the map of a failed vmap fails as expected, all its hazards consumed');
  assert.deepEqual(r.hazards.find((h) => h.loc.line === 5)?.related.map((x) => [x.loc.line, x.message]), [[3, 'the call that failed']]);
  assert.equal(events.filter((x) => x === 'alloc').length, 0, 'no allocation event for allocations that failed');
});

test('a failed allocation describes itself as failed, and a copy keeps that', () => {
  const m = machine();
  const v: Vars = {};
  run(m, (x) => (v.p = x.kmalloc(2 ** 45)));
  assert.deepEqual(m.clone().buffers().map((b) => [b.failed, b.live]), [[true, false]]);
});

test('prefetch=speculative allocates a device write\'s whole range before the write, on scattered pages as on contiguous ones', () => {
  // A 4 KiB direct-mapped cache: the second page's lines push out the first's, and with it the line the CPU
  // dirtied. Before the write that is a write-back of old data; piece by piece it came after and destroyed it.
  const text = (seed: number): string => ['platform arm64', `memory 8GiB seed=${seed}`, 'cache size=4KiB ways=1 prefetch=speculative', 'device d',
    'p = vmalloc(8KiB)', 'sg = dma_map_sg(d, p, FROM_DEVICE)', 'cpu.write(p, 0, 64, 0x11)', 'd.write(sg, 0, 8KiB, 0x22)',
    'dma_unmap_sg(d, sg, FROM_DEVICE)', 'cpu.read(p, 0, 64) expect 0x22', 'vfree(p)'].join('\n');
  const pieces = (seed: number): number => {
    let n = 0;
    checkSource(text(seed), 'x.dmabuf', {}, (_step, r) => (n = Math.max(n, r.machine.buffers()[0]?.segments.length ?? 0)));
    return n;
  };
  const kinds = (seed: number): string[] => checkSource(text(seed), 'x.dmabuf').hazards.map((h) => `${h.loc.line} ${h.kind}`);
  assert.deepEqual([pieces(1), pieces(4)], [1, 2], 'seed 1 gives one run of pages, seed 4 two');
  assert.deepEqual(kinds(4), kinds(1));
  assert.deepEqual(kinds(4), ['7 cpu-access-while-device-owned']);
});

test('a mask that reaches neither the page nor the swiotlb pool makes the map fail', () => {
  const r = scenario({ devices: [{ name: 'isp', dmaMask: 24 }] }, [kmalloc('p'), mapSingle('TO_DEVICE')]);
  assert.deepEqual(r.hazards.map((h) => [h.kind, h.detail, h.failure]), [['api-misuse', 'map-failed', true]]);
});

test('a lost-write counts every byte its statement destroyed, over however many lines or pieces, from the lowest; the stale read names no write-back that did not happen', () => {
  // arm invalidates at a FROM_DEVICE map: both dirty lines the CPU wrote are discarded.
  const text = ['platform arm', 'device d', 'p = kmalloc(128)', 'cpu.write(p, 0, 128, 0x11)', 'h = dma_map_single(d, p, 128, FROM_DEVICE)',
    'd.write(h, 0, 64, 0x22)', 'dma_unmap_single(d, h, 128, FROM_DEVICE)', 'cpu.read(p, 64, 64)', 'kfree(p)'].join('\n');
  const events: string[] = [];
  const hazards = checkSource(text, 'lost.dmabuf', {}, (step) => {
    for (const e of step.events) if (e.type === 'hazard' && e.kind === 'lost-write') events.push(e.message);
  }).hazards;
  const lost = hazards.filter((h) => h.kind === 'lost-write');
  assert.deepEqual(events, lost.map((h) => h.message), 'the event raised with it says the same');
  assert.deepEqual(lost.map((h) => [h.loc.line, h.detail]), [[5, 'invalidate']]);
  assert.match(lost[0].message, /^invalidating dirty cache lines destroyed 128 byte\(s\) at p\+0x0: cpu wrote them at line 4/);
  const stale = hazards.find((h) => h.kind === 'stale-read');
  assert.match(stale?.message ?? '', /but no copy of it survives in memory or the cache \(see the lost-write\)/);
});

test('a hazard names a binding with a long name by its first 40 characters, however often it repeats it', () => {
  const name = 'n'.repeat(100_000);
  const { hazards } = checkSource(`repeat 3 {\n  ${name} = kmalloc(4K)\n}\n`, 'x.dmabuf');
  assert.equal(hazards.length, 3);
  for (const h of hazards) assert.match(h.message, /^leak: n{40}… \(kmalloc|^n{40}… \(kmalloc/);
});

test('a phys() beyond the address space is used as a failed phys(), not as an allocation that returned NULL', () => {
  const { hazards } = checkSource('p = phys(0x10000000000000, 64)\ncpu.write(p, 0, 4, 1)\n', 'x.dmabuf');
  assert.deepEqual(hazards.map((h) => [h.loc.line, h.detail, h.message]), [
    [1, 'out-of-range', 'phys(0x10000000000000, 64): beyond the physical address space the machine models (0x10000000000000)'],
    [2, 'failed-handle', "cpu.write to p, whose phys() failed at line 1: check the phys()'s result before using it"],
  ]);
});

test('kfree or vfree of a phys() range: a wrong free, or, when the phys() failed, a use of what it returned (it is no NULL)', () => {
  for (const free of ['kfree', 'vfree']) {
    const live = checkSource(`p = phys(0x90000000, 64)\n${free}(p)\n`, 'x.dmabuf').hazards;
    assert.deepEqual(live.map((h) => [h.loc.line, h.detail, h.message]), [[2, 'wrong-free', `${free}(p): it is a fixed phys() range, never freed`]]);
    const failed = checkSource(`p = phys(0x10000000000000, 64)\n${free}(p)\n`, 'x.dmabuf').hazards.filter((h) => h.loc.line === 2);
    assert.deepEqual(failed.map((h) => [h.detail, h.message]), [['failed-handle', `${free}(p), whose phys() failed at line 1: check the phys()'s result before using it`]]);
    // The call fails in turn, as any given what a failed call returned: expect error holds there.
    assert.deepEqual(checkSource(`p = phys(0x10000000000000, 64)\n${free}(p) expect error\n`, 'x.dmabuf').hazards.map((h) => h.detail), ['out-of-range']);
  }
  // What a failed allocation returned is NULL: freeing it does nothing.
  assert.deepEqual(checkSource('memory 64MiB\np = kmalloc(128MiB)\nkfree(p)\n', 'x.dmabuf').hazards.map((h) => h.detail), ['out-of-memory']);
});

test('a call given what a failed call returned fails in turn: expect error holds on it, whatever the call', () => {
  const text = ['memory 64MiB', 'device d dma_mask=20', 'p = kmalloc(128MiB)', 'cpu.write(p, 0, 4, 1) expect error', 'q = kmalloc(64)',
    'h = dma_map_single(d, q, 64, TO_DEVICE)', 'd.read(h, 0, 4) expect error', 'dma_sync_single_for_cpu(d, h, 64, TO_DEVICE) expect error',
    'dma_unmap_single(d, h, 64, TO_DEVICE) expect error', 'kfree(q)', 'cache.prefetch(p, 0, 64) expect error', 'cache.evict(p, 0, 64) expect error',
    'cache.evict(q, 0, 64)'].join('\n');
  // The map fails: a 20-bit mask reaches neither the page nor the swiotlb pool. A cache event on freed memory is none.
  const hazards = checkSource(text, 'x.dmabuf').hazards.filter((h) => !h.expected);
  assert.deepEqual(hazards.map((h) => [h.loc.line, h.detail]), [[3, 'out-of-memory'], [6, 'map-failed']]);
});

test('a CPU access of what a failed allocation returned stops at its misuse (a NULL has no bounds), and a failed phys() is told as one everywhere', () => {
  const { hazards } = checkSource('memory 64MiB\np = kmalloc(128MiB)\ncpu.read(p, 0, 256MiB)\ncpu.write(p, 0, 256MiB, 1)\nq = phys(0x10000000000000, 64)\nexpect_owner(q, cpu)\n', 'x.dmabuf');
  assert.deepEqual(hazards.filter((h) => h.loc.line === 3 || h.loc.line === 4).map((h) => h.detail), ['failed-handle', 'failed-handle']);
  const owner = hazards.find((h) => h.loc.line === 6);
  assert.equal(owner?.message, 'expect_owner(q, cpu): its phys() failed at line 5');
  assert.deepEqual(owner?.related.map((r) => r.message), ['the phys() that failed']);
});

test('a call on an unmapped handle is worded as dma-debug words it: an unmap "tries to free", a sync "tries to sync"', () => {
  const r = scenario({}, [
    kmalloc('p'), mapSingle('FROM_DEVICE'), unmapSingle('FROM_DEVICE'),
    (m, v) => m.dmaSyncSingleForCpu('isp', v.h, 4096, 'FROM_DEVICE', 0),
    (m, v) => m.dmaSyncSingleForDevice('isp', v.h, 4096, 'FROM_DEVICE', 0),
    unmapSingle('FROM_DEVICE'),
  ]);
  assert.deepEqual(r.hazards.map((h) => [h.loc.line, h.detail, h.message.replace(/.*: device driver tries to /, '')]), [
    [4, 'released-handle', 'sync DMA memory it has not allocated (sync after unmap)'],
    [5, 'released-handle', 'sync DMA memory it has not allocated (sync after unmap)'],
    [6, 'double-unmap', 'free DMA memory it has not allocated (double unmap or use after unmap)'],
  ]);
});

test('a dma_map_single from past the end of the buffer is only out of bounds (not also not contiguous), and fails', () => {
  const r = scenario({}, [kmalloc('p'), (m, v) => (v.h = m.dmaMapSingle('isp', v.p, 4096, 'TO_DEVICE', Number.MAX_SAFE_INTEGER, false))]);
  assert.deepEqual(r.hazards.map((h) => h.detail), ['out-of-bounds']);
  assert.equal(r.m.mappings()[0].failed, true);
});
