// `import` (issue 6 item 5): a capture's DMA calls as a scenario the language parser accepts, devices named by
// identifiers with the trace's names in comments, phys() buffers, one statement per event, and the window's end
// closed, so that `check` on an imported capture reports what the trace decides.
import assert from 'node:assert/strict';
import * as path from 'path';
import { test } from 'node:test';
import { MEMORY_PER_DEVICE } from '../../src/ftrace/deviceState';
import { importTrace } from '../../src/ftrace/importer';
import { deviceIdentifiers } from '../../src/ftrace/names';
import { TraceCursor } from '../../src/ftrace/reader';
import { parseScenario } from '../../src/language';
import { checkSource } from '../../src/runtime/checker';
import { bugKeys, bugs, captures, checkText, ev, TRACES } from './helpers';

async function importText(text: string): Promise<string> {
  let out = '';
  await importTrace(TraceCursor.fromText(text), TraceCursor.fromText(text), 'test.trace', (t) => (out += t));
  return out;
}

async function importCapture(name: string): Promise<string> {
  const file = path.join(TRACES, name);
  let out = '';
  await importTrace(TraceCursor.open(file), TraceCursor.open(file), name, (t) => (out += t));
  return out;
}

test('device names become identifiers, unique, with the language\'s identifier characters only', () => {
  const ids = deviceIdentifiers(['0000:00:02.0', 'udmabuf', '0000_00_02_0', 'a-b.c']);
  assert.deepEqual([...ids.values()], ['dev_0000_00_02_0', 'dev_udmabuf', 'dev_0000_00_02_0_2', 'dev_a_b_c']);
});

/** The hazards `check` finds in a scenario, as kind counts (its parse errors first, if any). */
function hazardsOf(text: string, name: string): Record<string, number> {
  const r = checkSource(text, name);
  assert.deepEqual(r.diagnostics.slice(0, 3), [], name);
  const kinds: Record<string, number> = {};
  for (const h of r.hazards) kinds[h.kind] = (kinds[h.kind] ?? 0) + 1;
  return kinds;
}

/** udmabuf's real bug: the two sg lists (16 and 128 entries) unmapped BIDIRECTIONAL, mapped TO_DEVICE. */
const REAL_HAZARDS: Record<string, Record<string, number>> = { 'udmabuf-noiommu.trace.txt': { 'api-misuse': 144 } };

for (const name of captures()) {
  test(`the import of ${name} parses and checks clean: what the trace leaves mapped is released at its end`, async () => {
    const text = await importCapture(name);
    assert.deepEqual(parseScenario(text, `${name}.dmabuf`).diagnostics.slice(0, 3), []);
    assert.deepEqual(hazardsOf(text, `${name}.dmabuf`), REAL_HAZARDS[name] ?? {});
  });
}

test('the end of the window: mappings still live, dma-direct mappings never unmapped, and allocations are released, each saying why', async () => {
  const D = 'nvme0';
  const map = (t: number, dma: string) => ev(t, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=${dma} size=4096 phys_addr=${dma} attrs=`);
  const text = await importText([
    ev(1, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=4096 virt_addr=00000000f07f6c93 flags=GFP_KERNEL attrs=`),
    map(2, '1000'),
    // dma-direct maps the same address again with no unmap between (dma_need_unmap() is false).
    map(3, '1000'),
    map(4, '2000'),
    ev(5, 'dma_unmap_phys', `${D} dir=TO_DEVICE dma_addr=2000 size=4096 attrs=`),
  ].join('\n'));
  const closing = text.slice(text.indexOf('# The trace ends here.')).split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(closing, [
    'dma_unmap_single(dev_nvme0, m2, 4096, TO_DEVICE)  # mapped at L2, never unmapped: its address was mapped again (dma-direct skips the unmap, or events were lost)',
    'dma_unmap_single(dev_nvme0, m3, 4096, TO_DEVICE)  # mapped at L3, still mapped when the trace ended',
    'dma_free_coherent(dev_nvme0, c1)  # still allocated when the trace ended',
  ]);
  assert.deepEqual(hazardsOf(text, 'window.dmabuf'), {});
  // Without the releases each would be a leak.
  assert.deepEqual(hazardsOf(text.slice(0, text.indexOf('# The trace ends here.')), 'cut.dmabuf'), { leak: 3 });
});

test('each DMA call becomes one statement with its line, timestamp and task as a comment', async () => {
  const D = '0000:00:02.0';
  const text = await importText([
    '# tracer: nop',
    ev(1, 'swiotlb_bounced', `dev_name: ${D} dma_mask=ffffffff dev_addr=2788040 size=1522 FORCE`),
    ev(1.5, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=79100000 size=1522 phys_addr=2788040 attrs=`),
    ev(2, 'dma_sync_single_for_cpu', `${D} dir=FROM_DEVICE dma_addr=79100040 size=64`),
    ev(3, 'dma_unmap_phys', `${D} dir=FROM_DEVICE dma_addr=79100000 size=1522 attrs=SKIP_CPU_SYNC`),
    ev(4, 'dma_unmap_phys', `${D} dir=FROM_DEVICE dma_addr=5555000 size=64 attrs=`),
    ev(5, 'tracing_mark_write', 'PHASE done'),
  ].join('\n'));
  const body = text.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(body, [
    'platform x86_64 swiotlb=force  # the captured machine (coherent DMA); try `platform arm64` for a noncoherent SoC',
    'device dev_0000_00_02_0 dma_mask=32  # 0000:00:02.0',
    'p_2788040_1522 = phys(0x2788040, 1522)  # L3 1.500000 kworker/0:1-42 cpu0',
    'm3 = dma_map_single(dev_0000_00_02_0, p_2788040_1522, 1522, FROM_DEVICE)  # L3 1.500000 kworker/0:1-42 cpu0',
    'dma_sync_single_for_cpu(dev_0000_00_02_0, m3, 64, FROM_DEVICE, offset=64)  # L4 2.000000 kworker/0:1-42 cpu0',
    'dma_unmap_single(dev_0000_00_02_0, m3, 1522, FROM_DEVICE, SKIP_CPU_SYNC)  # L5 3.000000 kworker/0:1-42 cpu0',
  ]);
  assert.match(text, /^# L6 4\.000000 kworker\/0:1-42 cpu0 dma_unmap_phys: .*dma_addr=5555000/m);
  assert.match(text, /^# L7 5\.000000 kworker\/0:1-42 cpu0 tracing_mark_write: PHASE done$/m);
  assert.deepEqual(parseScenario(text, 'x.dmabuf').diagnostics, []);
});

test('an sg list becomes one dma_map_sg per mapped segment; devices behind an IOMMU are declared so', async () => {
  const D = 'udmabuf';
  const text = await importText([
    ev(1, 'dma_map_sg', `${D} dir=TO_DEVICE nents=2/2 ents=2/2 dma_addrs={0xfff00000,0xfff01000} sizes={0x1000,0x1000} phys_addrs={0x10000,0x30000} attrs=`),
    ev(2, 'dma_unmap_sg', `${D} dir=TO_DEVICE phys_addrs={0x10000,0x30000} attrs=`),
  ].join('\n'));
  assert.match(text, /^device dev_udmabuf iommu {2}# udmabuf$/m);
  assert.match(text, /^sg1_0 = dma_map_sg\(dev_udmabuf, p_10000_4096, TO_DEVICE\)/m);
  assert.match(text, /^sg1_1 = dma_map_sg\(dev_udmabuf, p_30000_4096, TO_DEVICE\)/m);
  assert.match(text, /^dma_unmap_sg\(dev_udmabuf, sg1_1, TO_DEVICE\)/m);
  assert.deepEqual(parseScenario(text, 'x.dmabuf').diagnostics, []);
});

test('the trace\'s double unmap, double free and syncs after an unmap name the old handle again: check finds them as check-trace does', async () => {
  const D = 'nvme0';
  const alloc = ev(1, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=512 virt_addr=00000000f07f6c93 flags=GFP_KERNEL attrs=`);
  const free = (t: number) => ev(t, 'dma_free', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=512 virt_addr=00000000f07f6c93 attrs=`);
  const map = ev(3, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=1000 size=4096 phys_addr=1000 attrs=`);
  const unmap = (t: number) => ev(t, 'dma_unmap_phys', `${D} dir=FROM_DEVICE dma_addr=1000 size=4096 attrs=`);
  const sg = ev(6, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x20000,0x30000} sizes={0x1000,0x1000} phys_addrs={0x20000,0x30000} attrs=`);
  const cases: [string[], string[], Record<string, number>][] = [
    [[alloc, free(2), free(3)], ['dma_free_coherent(dev_nvme0, c1)'], { 'api-misuse': 1 }],
    [[map, unmap(4), unmap(5)], ['dma_unmap_single(dev_nvme0, m1, 4096, FROM_DEVICE)'], { 'api-misuse': 1 }],
    [[map, unmap(4), ev(5, 'dma_sync_single_for_cpu', `${D} dir=FROM_DEVICE dma_addr=1000 size=64`)], ['dma_sync_single_for_cpu(dev_nvme0, m1, 64, FROM_DEVICE)'], { 'api-misuse': 1 }],
    [[sg, ev(7, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x20000,0x30000} attrs=`), ev(8, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={0x30000} sizes={0x1000}`)],
      ['dma_sync_sg_for_cpu(dev_nvme0, sg1_1, FROM_DEVICE)'], { 'api-misuse': 1 }],
    // A list unmapped twice: its first entry again (the language maps one range per dma_map_sg), one double unmap.
    [[sg, ev(7, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x20000,0x30000} attrs=`), ev(8, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x20000,0x30000} attrs=`)],
      ['dma_unmap_sg(dev_nvme0, sg1_0, FROM_DEVICE)'], { 'api-misuse': 1 }],
  ];
  for (const [lines, last, hazards] of cases) {
    const text = await importText(lines.join('\n'));
    const statements = text.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.equal(statements.at(-1)?.replace(/ {2}#.*/, ''), last[0], text);
    assert.deepEqual(hazardsOf(text, 'x.dmabuf'), hazards, text);
  }
});

test('a release of the wrong kind (an unmap of a coherent buffer, a free of a mapping, a page free of a coherent buffer) is noted and written as the right one; a sync_sg syncs only its entries', async () => {
  const D = 'nvme0';
  const text = await importText([
    ev(1, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=512 virt_addr=00000000f07f6c93 flags=GFP_KERNEL attrs=`),
    ev(2, 'dma_unmap_phys', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=512 attrs=`),
    ev(3, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=1000 size=64 phys_addr=1000 attrs=`),
    ev(4, 'dma_free', `${D} dir=BIDIRECTIONAL dma_addr=1000 size=64 virt_addr=00000000f07f6c93 attrs=`),
    ev(5, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x20000,0x30000} sizes={0x1000,0x1000} phys_addrs={0x20000,0x30000} attrs=`),
    ev(6, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={0x30000} sizes={0x1000}`),
    ev(7, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x20000,0x30000} attrs=`),
    ev(8, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=a000 size=512 virt_addr=00000000f07f6c93 flags=GFP_KERNEL attrs=`),
    ev(9, 'dma_free_pages', `${D} dir=BIDIRECTIONAL dma_addr=a000 size=512 virt_addr=00000000f07f6c93 attrs=`),
  ].join('\n'));
  assert.match(text, /^# dma_free_pages of c8, a coherent buffer: the kind-mismatch check-trace reports, .* so it is freed\ndma_free_coherent\(dev_nvme0, c8\) {2}# L9 /m);
  assert.match(text, /^# dma_unmap_phys of c1, a coherent buffer: the kind-mismatch check-trace reports, .* so it is freed\ndma_free_coherent\(dev_nvme0, c1\) {2}# L2 /m);
  assert.match(text, /^# dma_free of m3, a streaming mapping: the kind-mismatch check-trace reports, .* so it is unmapped\ndma_unmap_single\(dev_nvme0, m3, 64, TO_DEVICE\) {2}# L4 /m);
  assert.deepEqual(text.split('\n').filter((l) => l.startsWith('dma_sync_sg')).map((l) => l.replace(/ {2}#.*/, '')), ['dma_sync_sg_for_cpu(dev_nvme0, sg5_1, FROM_DEVICE)']);
  // Nothing is left to release when the trace ends: the wrong releases released.
  assert.doesNotMatch(text, /The trace ends here/);
  assert.deepEqual(hazardsOf(text, 'x.dmabuf'), {});
});

test('a sync_sg of a list that gives one dma address twice syncs each of its entries, in either order of their sizes, live or unmapped', async () => {
  const D = 'nvme0';
  for (const sizes of ['0x1000,0x200', '0x200,0x1000']) {
    const sync = (ts: number): string => ev(ts, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={0x10000,0x10000} sizes={${sizes}}`);
    const text = await importText([
      ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x10000} sizes={${sizes}} phys_addrs={0x50000,0x90000} attrs=`),
      sync(2),
      ev(3, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x50000,0x90000} attrs=`),
      sync(4),
    ].join('\n'));
    assert.deepEqual(text.split('\n').filter((l) => l.startsWith('dma_sync_sg')).map((l) => l.replace(/ {2}#.*/, '')),
      ['sg1_0', 'sg1_1', 'sg1_0', 'sg1_1'].map((n) => `dma_sync_sg_for_cpu(dev_nvme0, ${n}, FROM_DEVICE)`), sizes);
  }
});

/** Asserts that `dmabuf check` of the import finds what check-trace finds in the trace (the same bugs, by kind); returns how many. */
async function importAgrees(lines: string[]): Promise<number> {
  const text = lines.join('\n');
  const found = bugs(checkText(text));
  const expected: Record<string, number> = {};
  for (const f of found) expected[f.kind] = (expected[f.kind] ?? 0) + 1;
  const scenario = await importText(text);
  assert.deepEqual(hazardsOf(scenario, 'x.dmabuf'), expected, scenario.length < 4000 ? scenario : lines.slice(-3).join('\n'));
  return found.length;
}

test('a second release or a sync after lost events is window information in the import too; with none lost, a bug in both', async () => {
  const D = 'nvme0';
  const lost = 'CPU:0 [LOST 3 EVENTS]';
  const alloc = ev(1, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=512 virt_addr=00000000f07f6c93 flags=GFP_KERNEL attrs=`);
  const free = (t: number) => ev(t, 'dma_free', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=512 virt_addr=00000000f07f6c93 attrs=`);
  const map = ev(1, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=1000 size=4096 phys_addr=1000 attrs=`);
  const unmap = (t: number) => ev(t, 'dma_unmap_phys', `${D} dir=FROM_DEVICE dma_addr=1000 size=4096 attrs=`);
  const sync = ev(5, 'dma_sync_single_for_cpu', `${D} dir=FROM_DEVICE dma_addr=1000 size=64`);
  const sg = ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x20000,0x30000} sizes={0x1000,0x1000} phys_addrs={0x20000,0x30000} attrs=`);
  const unmapSg = (t: number) => ev(t, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x20000,0x30000} attrs=`);
  const syncSg = ev(5, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={0x30000} sizes={0x1000}`);
  const cases: [string[], number][] = [
    [[map, unmap(2), unmap(3)], 1], [[map, unmap(2), lost, unmap(3)], 0], [[map, unmap(2), lost, unmap(3), unmap(4)], 1],
    [[map, unmap(2), sync], 1], [[map, unmap(2), lost, sync], 0],
    [[alloc, free(2), free(3)], 1], [[alloc, free(2), lost, free(3)], 0],
    [[sg, unmapSg(2), unmapSg(3)], 1], [[sg, unmapSg(2), lost, unmapSg(3)], 0],
    // A sync of a dma-direct mapping taken as dropped (its memory mapped again) syncs that mapping, not an old one.
    [[map, unmap(2), ev(3, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=1000 size=4096 phys_addr=1000 attrs=`),
      ev(4, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=a000 size=4096 phys_addr=1000 attrs=`), sync], 0], [[sg, unmapSg(2), syncSg], 1], [[sg, unmapSg(2), lost, syncSg], 0],
  ];
  for (const [lines, found] of cases) assert.equal(await importAgrees(lines), found, lines.join('\n'));
});

test('a mapping behind an IOMMU or swiotlb whose dma address is mapped again is the leak check-trace reports, left mapped by the import; with events lost between, window information in both', async () => {
  const D = 'nvme0';
  const map = (t: number, phys: string) => ev(t, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=fffff000 size=4096 phys_addr=${phys} attrs=`);
  const unmap = ev(4, 'dma_unmap_phys', `${D} dir=TO_DEVICE dma_addr=fffff000 size=4096 attrs=`);
  assert.equal(await importAgrees([map(1, '2000'), map(2, '5000'), unmap]), 1);
  assert.equal(await importAgrees([map(1, '2000'), 'CPU:0 [LOST 3 EVENTS]', map(2, '5000'), unmap]), 0);
  const scenario = await importText([map(1, '2000'), map(2, '5000'), unmap].join('\n'));
  assert.match(scenario, /^# m1 \(mapped at L1\) is not released: its address was mapped again with no unmap between, the leak \(missing-unmap\) check-trace reports$/m);
});

test('what check-trace finds that the language cannot write or check is a comment at its event; a sync of part of an sg entry says the whole entry is synced', async () => {
  const D = 'nvme0';
  const lines = [
    ev(1, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=f000 size=64 phys_addr=1000 attrs=`),
    ev(2, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=a000 size=64 phys_addr=1020 attrs=`),
    ev(3, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x3000,0x4000} sizes={0x200,0x200} phys_addrs={0x3000,0x4000} attrs=`),
    ev(4, 'dma_sync_single_for_cpu', `${D} dir=FROM_DEVICE dma_addr=3080 size=64`),
    ev(5, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x3000} attrs=`),
    ev(6, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=512 virt_addr=00000000f07f6c93 flags=GFP_KERNEL attrs=`),
    ev(7, 'dma_free', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=256 virt_addr=00000000f07f6c93 attrs=`),
    ev(8, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=ffffffffffffffff size=64 phys_addr=5000 attrs=`),
  ];
  const text = lines.join('\n');
  const found = bugKeys(checkText(text));
  assert.deepEqual(found, ['api-misuse/overlapping-mapping@2', 'api-misuse/sg-count-mismatch@5', 'api-misuse/size-mismatch@7', 'constraint-violation/map-error@8']);
  const scenario = await importText(text);
  const noted = [...scenario.matchAll(/^# check-trace finds ([a-z-]+) \(([a-z-]+)\) here, which `check` of this scenario cannot: /gm)].map((m) => `${m[1]}/${m[2]}`);
  assert.deepEqual(noted, found.map((k) => k.replace(/@\d+$/, '')));
  assert.match(scenario, /^# the trace syncs 64 bytes at offset 128 of sg3_0; a scenario's sg sync takes no range, so the whole entry is synced\ndma_sync_sg_for_cpu\(dev_nvme0, sg3_0, FROM_DEVICE\)/m);
  assert.deepEqual(hazardsOf(scenario, 'x.dmabuf'), {});
});

test('a sync_sg whose first entry is a live single mapping still syncs, through its old handle, an entry of a list the trace unmapped', async () => {
  const D = 'nvme0';
  const lines = [
    ev(1, 'dma_map_phys', `${D} dir=FROM_DEVICE dma_addr=1000 size=4096 phys_addr=1000 attrs=`),
    ev(2, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=1/1 ents=1/1 dma_addrs={0x20000} sizes={0x1000} phys_addrs={0x20000} attrs=`),
    ev(3, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x20000} attrs=`),
    ev(4, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={0x1000,0x20000} sizes={0x40,0x40}`),
  ];
  assert.deepEqual(bugKeys(checkText(lines.join('\n'))), ['api-misuse/sync-unmapped@4']);
  assert.match(await importText(lines.join('\n')), /^dma_sync_sg_for_cpu\(dev_nvme0, sg2, FROM_DEVICE\) {2}# L4 /m);
  assert.equal(await importAgrees(lines), 1);
});

test('each entry of an imported sync_sg is synced as check-trace finds it, whatever its first entry is', async () => {
  const D = 'nvme0';
  const sg = (t: number, dmas: string, dir = 'FROM_DEVICE') => ev(t, 'dma_map_sg', `${D} dir=${dir} nents=2/2 ents=2/2 dma_addrs={${dmas}} sizes={0x1000,0x1000} phys_addrs={${dmas}} attrs=`);
  const syncSg = (t: number, dmas: string) => ev(t, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={${dmas}} sizes={0x40,0x40}`);
  // The first entry in a live list, the second in a list the trace unmapped: a sync of unmapped memory in both.
  const unmapped = [sg(1, '0x10000,0x20000'), sg(2, '0x30000,0x40000'), ev(3, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x30000,0x40000} attrs=`), syncSg(4, '0x10000,0x40000')];
  assert.deepEqual(bugKeys(checkText(unmapped.join('\n'))), ['api-misuse/sync-unmapped@4']);
  assert.equal(await importAgrees(unmapped), 1);
  // An entry in a live single mapping of another direction: a direction mismatch in both, the scenario syncing the mapping.
  const single = [ev(1, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=1000 size=4096 phys_addr=1000 attrs=`), sg(2, '0x10000,0x20000'), syncSg(3, '0x10000,0x1000')];
  assert.deepEqual(bugKeys(checkText(single.join('\n'))), ['api-misuse/direction-mismatch@3']);
  assert.match(await importText(single.join('\n')), /^dma_sync_single_for_cpu\(dev_nvme0, m1, 64, FROM_DEVICE\) {2}# L3 /m);
  assert.equal(await importAgrees(single), 1);
  // An entry given twice is checked twice; an entry inside a later segment is that segment's.
  assert.equal(await importAgrees([...unmapped.slice(0, 3), syncSg(4, '0x40000,0x40000')]), 2);
  const overlapping = [ev(1, 'dma_map_sg', `${D} dir=TO_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x10800} sizes={0x1000,0x1000} phys_addrs={0x10000,0x50000} attrs=`),
    ev(2, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={0x10000,0x10900} sizes={0x40,0x100}`)];
  assert.equal(await importAgrees(overlapping), 2);
});

test('a single sync of an sg entry, and an sg sync of a single mapping, are imported in the kind the scenario names the mapping', async () => {
  const D = 'nvme0';
  const sg = ev(1, 'dma_map_sg', `${D} dir=TO_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x20000} sizes={0x1000,0x1000} phys_addrs={0x10000,0x20000} attrs=`);
  const unmapSg = ev(2, 'dma_unmap_sg', `${D} dir=TO_DEVICE phys_addrs={0x10000,0x20000} attrs=`);
  const single = ev(1, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=30000 size=4096 phys_addr=30000 attrs=`);
  const unmap = ev(2, 'dma_unmap_phys', `${D} dir=TO_DEVICE dma_addr=30000 size=4096 attrs=`);
  const syncSingle = (dma: string, dir = 'TO_DEVICE') => ev(3, 'dma_sync_single_for_cpu', `${D} dir=${dir} dma_addr=${dma} size=64`);
  const syncSg = (dma: string) => ev(3, 'dma_sync_sg_for_cpu', `${D} dir=TO_DEVICE dma_addrs={${dma}} sizes={0x40}`);
  const cases: [string[], string][] = [
    [[sg, syncSingle('20000', 'FROM_DEVICE')], 'api-misuse/direction-mismatch@2'],
    [[sg, unmapSg, syncSingle('20000')], 'api-misuse/sync-unmapped@3'],
    [[single, unmap, syncSg('0x30000')], 'api-misuse/sync-unmapped@3'],
  ];
  for (const [lines, found] of cases) {
    assert.deepEqual(bugKeys(checkText(lines.join('\n'))), [found]);
    assert.equal(await importAgrees(lines), 1, lines.join('\n'));
  }
});

test('each device\'s releases are remembered apart: another device\'s many releases do not hide a double unmap', async () => {
  const map = (t: number, d: string, dma: number) => ev(t, 'dma_map_phys', `${d} dir=TO_DEVICE dma_addr=${dma.toString(16)} size=64 phys_addr=5000 attrs=`);
  const unmap = (t: number, d: string, dma: number) => ev(t, 'dma_unmap_phys', `${d} dir=TO_DEVICE dma_addr=${dma.toString(16)} size=64 attrs=`);
  // As many as a device remembers: more than one memory shared by all devices would keep of the first device's.
  const other = Array.from({ length: MEMORY_PER_DEVICE }, (_, i) => [map(3, 'other', 0x100000 + i * 64), unmap(3, 'other', 0x100000 + i * 64)]).flat();
  assert.equal(await importAgrees([map(1, 'nvme0', 0x1000), unmap(2, 'nvme0', 0x1000), ...other, unmap(4, 'nvme0', 0x1000)]), 1);
});

test('an sg unmap of a list unmapped already, whose first address a dma-direct single mapping took since, is the kind mismatch check-trace reports, not a double unmap of the list', async () => {
  const D = 'nvme0';
  const sg = ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x20000,0x30000} sizes={0x1000,0x1000} phys_addrs={0x20000,0x30000} attrs=`);
  const unmapSg = (t: number) => ev(t, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x20000,0x30000} attrs=`);
  const single = (phys: string) => ev(3, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=20000 size=4096 phys_addr=${phys} attrs=`);
  const lines = [sg, unmapSg(2), single('20000'), unmapSg(4)];
  // check-trace: the single mapping of line 3 released by the wrong function, and left mapped.
  const report = checkText(lines.join('\n'));
  assert.deepEqual(bugs(report).map((f) => [f.detail, f.line, f.related.map((x) => x.line)]), [['kind-mismatch', 4, [3]]]);
  assert.deepEqual(report.findings.filter((f) => f.kind === 'window').map((f) => `${f.detail}@${f.line}`), ['live-at-end@3']);
  // The import names the same mapping, m3, in the note a scenario's types leave it, writes no second dma_unmap_sg of the
  // list, and releases m3 where the trace ends, as check-trace finds it still mapped there.
  const text = await importText(lines.join('\n'));
  assert.match(text, /^# dma_unmap_sg of m3, a single mapping: the kind-mismatch check-trace reports, which a scenario's types forbid, so it stays mapped$/m);
  assert.deepEqual(text.split('\n').filter((l) => l.startsWith('dma_unmap')).map((l) => l.replace(/ {2}# (L\d+).*/, '  $1').replace(/ {2}# mapped at .*, (.*)/, '  $1')), [
    'dma_unmap_sg(dev_nvme0, sg1_0, FROM_DEVICE)  L2',
    'dma_unmap_sg(dev_nvme0, sg1_1, FROM_DEVICE)  L2',
    'dma_unmap_single(dev_nvme0, m3, 4096, TO_DEVICE)  still mapped when the trace ended',
  ]);
  assert.deepEqual(hazardsOf(text, 'x.dmabuf'), {});
  // Unmapped later as a single mapping, it is released there and nothing is left to release.
  const unmapped = await importText([...lines, ev(5, 'dma_unmap_phys', `${D} dir=TO_DEVICE dma_addr=20000 size=4096 attrs=`)].join('\n'));
  assert.match(unmapped, /^dma_unmap_single\(dev_nvme0, m3, 4096, TO_DEVICE\) {2}# L5 /m);
  assert.doesNotMatch(unmapped, /The trace ends here/);
  // A single mapping there that is no dma-direct one is not taken for the list: the list's double unmap, in both.
  const iommu = [sg, unmapSg(2), single('99000'), unmapSg(4)];
  assert.deepEqual(bugKeys(checkText(iommu.join('\n'))), ['api-misuse/double-unmap@4']);
  assert.match(await importText(iommu.join('\n')), /^dma_unmap_sg\(dev_nvme0, sg1_0, FROM_DEVICE\) {2}# L4 /m);
  assert.equal(await importAgrees(iommu), 1);
});
