// The checker on hand-written traces: the DMA-API debugging checks one by one, and the state a debugger
// queries after any event (live mappings per device, sg lists, IOMMU mappings, bounce slots), cloned for checkpoints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TraceChecker, type Outcome } from '../../src/ftrace/checker';
import type { DeviceState } from '../../src/ftrace/deviceState';
import { decodeEvent } from '../../src/ftrace/events';
import { hex, type Allocation, type Released, type StreamingMapping } from '../../src/ftrace/mappings';
import type { TraceFinding } from '../../src/ftrace/findings';
import { TraceCursor } from '../../src/ftrace/reader';
import { bugKeys, bugs, captureLines, captures, checkLines, ev } from './helpers';

const D = '0000:00:02.0';
const map = (ts: number, dir: string, dma: string, size: number, phys = dma, attrs = ''): string =>
  ev(ts, 'dma_map_phys', `${D} dir=${dir} dma_addr=${dma} size=${size} phys_addr=${phys} attrs=${attrs}`);
const unmap = (ts: number, dir: string, dma: string, size: number): string => ev(ts, 'dma_unmap_phys', `${D} dir=${dir} dma_addr=${dma} size=${size} attrs=`);
const bounce = (ts: number, phys: string, size: number): string => ev(ts, 'swiotlb_bounced', `dev_name: ${D} dma_mask=ffffffff dev_addr=${phys} size=${size} FORCE`);

test('a number from 2^53 on is unreadable, the line malformed (a double holds only some of them): two addresses a byte apart are never taken for one', () => {
  const D = 'dev dir=TO_DEVICE';
  const r = checkLines([
    ev(1, 'dma_map_phys', `${D} dma_addr=1ffffffffff000 size=4096 phys_addr=2000 attrs=`),
    ev(2, 'dma_unmap_phys', `${D} dma_addr=1ffffffffff000 size=4096 attrs=`),
    ev(3, 'dma_map_phys', `${D} dma_addr=ffffffffffff0000 size=4096 phys_addr=2000 attrs=`),
    ev(4, 'dma_unmap_phys', `${D} dma_addr=ffffffffffff0001 size=4096 attrs=`),
    ev(5, 'dma_unmap_phys', `${D} dma_addr=fffffffffffffffffffff size=4096 attrs=`),
    ev(6, 'dma_unmap_phys', `${D} dma_addr=20000000000001 size=9007199254740993 attrs=`),
    // ~0, with leading zeros or not, is DMA_MAPPING_ERROR.
    ev(7, 'dma_map_phys', `${D} dma_addr=0000ffffffffffffffff size=4096 phys_addr=3000 attrs=`),
    ev(8, 'dma_map_phys', `${D} dma_addr=FFFFFFFFFFFFFFFF size=9007199254740991 phys_addr=3000 attrs=`),
    ev(9, 'dma_unmap_phys', `${D} dma_addr=1000 size=fffffffffffffffffff attrs=`),
    ev(10, 'dma_unmap_phys', `${D} dma_addr=1000 size=18446744073709551615 attrs=`),
  ]);
  assert.deepEqual(r.malformedLines.map((m) => `${m.line} ${m.reason}`), [
    '3 dma_map_phys: dma_addr=ffffffffffff0000 is 2^53 or more, which no number here holds exactly',
    '4 dma_unmap_phys: dma_addr=ffffffffffff0001 is 2^53 or more, which no number here holds exactly',
    '5 dma_unmap_phys: dma_addr=fffffffffffffffffffff is 2^53 or more, which no number here holds exactly',
    '6 dma_unmap_phys: dma_addr=20000000000001 is 2^53 or more, which no number here holds exactly',
    '9 dma_unmap_phys: no readable size=',
    '10 dma_unmap_phys: size=18446744073709551615 is 2^53 or more, which no number here holds exactly',
  ]);
  assert.deepEqual(bugKeys(r), ['constraint-violation/map-error@7', 'constraint-violation/map-error@8']);
});

test('two live device-writable mappings starting in one cache line overlap (dma-debug cacheline EEXIST)', () => {
  const r = checkLines([
    bounce(1, '1000', 64), map(1.1, 'FROM_DEVICE', '79100000', 64, '1000'),
    bounce(2, '1020', 32), map(2.1, 'FROM_DEVICE', '79100800', 32, '1020'),
  ]);
  assert.deepEqual(bugKeys(r), ['api-misuse/overlapping-mapping@4']);
  assert.deepEqual(r.findings.find((f) => f.kind !== 'window')?.related.map((x) => x.line), [2]);
});

test('a line stays tracked while any mapping that overlapped in it is live: the newer one unmapped, the older still holds it', () => {
  // dma-debug counts a line's overlaps and frees the line only when the last mapping in it goes.
  const r = checkLines([
    map(1, 'FROM_DEVICE', 'fffff000', 512, '4db9000'), map(2, 'FROM_DEVICE', 'ffffe000', 512, '4db9008'),
    unmap(3, 'FROM_DEVICE', 'ffffe000', 512), map(4, 'FROM_DEVICE', 'ffffd000', 512, '4db9010'),
    unmap(5, 'FROM_DEVICE', 'fffff000', 512), unmap(6, 'FROM_DEVICE', 'ffffd000', 512), map(7, 'FROM_DEVICE', 'ffffc000', 512, '4db9018'),
  ]);
  assert.deepEqual(bugKeys(r), ['api-misuse/overlapping-mapping@2', 'api-misuse/overlapping-mapping@4']);
  assert.deepEqual(r.findings.filter((f) => f.kind !== 'window').map((f) => f.related.map((x) => x.line)), [[1], [1]]);
  // The older one unmapped first: the newer takes the line over, and a third mapping overlaps it.
  const r2 = checkLines([
    map(1, 'FROM_DEVICE', 'fffff000', 512, '4db9000'), map(2, 'FROM_DEVICE', 'ffffe000', 512, '4db9008'),
    unmap(3, 'FROM_DEVICE', 'fffff000', 512), map(4, 'FROM_DEVICE', 'ffffd000', 512, '4db9010'),
  ]);
  assert.deepEqual(bugKeys(r2), ['api-misuse/overlapping-mapping@2', 'api-misuse/overlapping-mapping@4']);
  assert.deepEqual(r2.findings.filter((f) => f.kind !== 'window').map((f) => f.related.map((x) => x.line)), [[1], [2]]);
});

test('two entries of one sg list starting in one cache line overlap: dma-debug adds the entries one by one', () => {
  const sg = (ts: number, dir: string): string => ev(ts, 'dma_map_sg', `${D} dir=${dir} nents=2/2 ents=2/2 dma_addrs={0xfffff000,0x100000000} sizes={0x20,0x20} phys_addrs={0x4db9000,0x4db9020} attrs=`);
  const [f, ...rest] = checkLines([sg(1, 'FROM_DEVICE')]).findings.filter((x) => x.kind !== 'window');
  assert.deepEqual([f.detail, f.line, rest.length], ['overlapping-mapping', 1, 0]);
  assert.match(f.message, /its entries 0 \(phys 0x4db9000\) and 1 \(phys 0x4db9020\) start in the same cache line/);
  assert.deepEqual(bugKeys(checkLines([sg(1, 'TO_DEVICE')])), []);
});

test('a sync inside two overlapping mappings is checked against the one holding all of it, as dma-debug finds it', () => {
  const sync = (size: number) => ev(3, 'dma_sync_single_for_cpu', `${D} dir=BIDIRECTIONAL dma_addr=1250 size=${size}`);
  const maps = [map(1, 'BIDIRECTIONAL', '1000', 4096, '80000'), map(2, 'BIDIRECTIONAL', '1200', 256, '90000')];
  assert.deepEqual(bugKeys(checkLines([...maps, sync(512)])), []);
  assert.deepEqual(bugKeys(checkLines([...[...maps].reverse(), sync(512)])), []);
  // Held by neither whole: past the end of the one starting nearest below it.
  const [f] = bugs(checkLines([...maps, sync(0x10000)]));
  assert.deepEqual([f.detail, f.related.map((r) => r.line)], ['sync-outside-mapping', [2]]);
});

test('two entries of one sg list at the same dma address, starting in one cache line, are told apart', () => {
  const sg = ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x10000} sizes={0x20,0x20} phys_addrs={0x50000,0x50020} attrs=`);
  const [f] = checkLines([sg]).findings.filter((x) => x.kind !== 'window');
  assert.match(f.message, /its entries 0 \(phys 0x50000\) and 1 \(phys 0x50020\) start in the same cache line/);
});

test('an sg list giving one dma address twice is a live mapping till it is unmapped, whichever of its entries is the longer', () => {
  for (const sizes of ['0x1000,0x200', '0x200,0x1000', '0x200,0x200']) {
    const sg = ev(1, 'dma_map_sg', `${D} dir=TO_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x10000} sizes={${sizes}} phys_addrs={0x50000,0x90000} attrs=`);
    assert.deepEqual(bugKeys(checkLines([sg], { fromBoot: true })), ['leak/mapping-leak@1'], sizes);
    const r = checkLines([sg]);
    assert.equal(r.devices[0].liveAtEnd, 1, sizes);
    assert.deepEqual(r.findings.map((f) => `${f.kind}@${f.line}`), ['window@1'], sizes);
  }
});

test('an sg list giving one dma address twice: a sync of either entry is held by the longer one, as dma-debug finds it', () => {
  const sg = ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x10000} sizes={0x1000,0x200} phys_addrs={0x50000,0x90000} attrs=`);
  const sync = (dmas: string, sizes: string): string => ev(2, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={${dmas}} sizes={${sizes}}`);
  const unmapSg = ev(3, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x50000,0x90000} attrs=`);
  assert.deepEqual(bugKeys(checkLines([sg, sync('0x10000,0x10000', '0x1000,0x200'), unmapSg])), []);
  // Past the longer entry's end is still outside the mapping.
  assert.deepEqual(bugKeys(checkLines([sg, sync('0x10000,0x10000', '0x2000,0x200'), unmapSg])), ['api-misuse/sync-outside-mapping@2']);
});

test('overlapping mappings are fine when one is TO_DEVICE or the new one skips the CPU sync', () => {
  assert.deepEqual(bugKeys(checkLines([map(1, 'TO_DEVICE', 'a1000', 64, '1000'), map(2, 'FROM_DEVICE', 'a2000', 64, '1000')])), []);
  assert.deepEqual(bugKeys(checkLines([map(1, 'FROM_DEVICE', 'a1000', 64, '1000'), map(2, 'FROM_DEVICE', 'a2000', 64, '1000', 'SKIP_CPU_SYNC')])), []);
});

test('a dma-direct mapping whose memory is mapped again counts as dropped, and its later unmap reveals the overlap', () => {
  const quiet = checkLines([map(1, 'FROM_DEVICE', '5000', 4096), map(2, 'FROM_DEVICE', '5000', 4096), unmap(3, 'FROM_DEVICE', '5000', 4096)]);
  assert.deepEqual(bugKeys(quiet), []);
  assert.equal(quiet.devices[0].droppedWithoutUnmap, 1);
  const both = checkLines([map(1, 'FROM_DEVICE', '5000', 4096), map(2, 'FROM_DEVICE', '5000', 4096), unmap(3, 'FROM_DEVICE', '5000', 4096), unmap(4, 'FROM_DEVICE', '5000', 4096)]);
  assert.deepEqual(bugKeys(both), ['api-misuse/overlapping-mapping@2']);
});

test('unmapping coherent memory or freeing a streaming mapping is a kind mismatch; double free is decided', () => {
  const alloc = ev(1, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=4096 virt_addr=00000000aa flags=GFP_KERNEL attrs=`);
  const free = (ts: number, size = 4096): string => ev(ts, 'dma_free', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=${size} virt_addr=00000000aa attrs=`);
  assert.deepEqual(bugKeys(checkLines([alloc, unmap(2, 'BIDIRECTIONAL', '9000', 4096)])), ['api-misuse/kind-mismatch@2']);
  assert.deepEqual(bugKeys(checkLines([map(1, 'TO_DEVICE', '9000', 4096), free(2)])), ['api-misuse/kind-mismatch@2']);
  assert.deepEqual(bugKeys(checkLines([alloc, free(2), free(3)])), ['api-misuse/double-free@3']);
  assert.deepEqual(bugKeys(checkLines([alloc, free(2, 8192)])), ['api-misuse/size-mismatch@2']);
  // dma-debug drops the entry it found, whatever the mismatch: nothing is left live, and a second release is decided.
  const unmapped = checkLines([alloc, unmap(2, 'BIDIRECTIONAL', '9000', 4096), free(3)]);
  assert.deepEqual(bugKeys(unmapped), ['api-misuse/kind-mismatch@2', 'api-misuse/double-free@3']);
  assert.deepEqual([unmapped.devices[0].coherent.liveAtEnd, unmapped.findings.filter((f) => f.kind === 'window')], [0, []]);
  // A coherent allocation released by an unmap is freed as by dma_free: counted so.
  assert.deepEqual(unmapped.devices[0].coherent, { allocs: 1, frees: 1, liveAtEnd: 0 });
  const freed = checkLines([map(1, 'TO_DEVICE', '9000', 4096), free(2), unmap(3, 'TO_DEVICE', '9000', 4096)]);
  assert.deepEqual(bugKeys(freed), ['api-misuse/kind-mismatch@2', 'api-misuse/double-unmap@3']);
  assert.deepEqual([freed.devices[0].liveAtEnd, freed.findings.filter((f) => f.kind === 'window')], [0, []]);
});

test('a coherent allocation whose address is allocated again was never freed: a leak at the first allocation', () => {
  const alloc = (ts: number): string => ev(ts, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=4096 virt_addr=00000000aa flags=GFP_KERNEL attrs=`);
  assert.deepEqual(bugKeys(checkLines([alloc(1), alloc(2)])), ['leak/missing-free@1']);
});

test('a failed dma_map_sg (dma_map_sg_err) is a map error', () => {
  const r = checkLines([ev(1, 'dma_map_sg_err', `${D} dir=TO_DEVICE dma_addrs={0x1000,0x2000} err=-12 attrs=`)]);
  assert.deepEqual(bugKeys(r), ['constraint-violation/map-error@1']);
  assert.equal(r.devices[0].mapErrors, 1);
});

test('a sync_single inside an sg segment is checked against that segment', () => {
  const sg = ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x30000} sizes={0x1000,0x1000} phys_addrs={0x10000,0x30000} attrs=`);
  const sync = (size: number): string => ev(2, 'dma_sync_single_for_cpu', `${D} dir=FROM_DEVICE dma_addr=30100 size=${size}`);
  assert.deepEqual(bugKeys(checkLines([sg, sync(256)])), []);
  assert.deepEqual(bugKeys(checkLines([sg, sync(0x1000)])), ['api-misuse/sync-outside-mapping@2']);
});

test('the state after any event: live mappings per device, sg lists, IOMMU mappings and bounce slots', () => {
  const lines = [
    bounce(1, '2788040', 1522), map(1.1, 'FROM_DEVICE', '79100000', 1522, '2788040'),
    ev(2, 'map', 'IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 paddr=0x000000000c602000 size=4096'),
    ev(2.1, 'map', 'IOMMU: iova=0x00000000ffffe000 - 0x00000000fffff000 paddr=0x000000000c603000 size=4096'),
    ev(3, 'dma_map_sg', `${D} dir=TO_DEVICE nents=1/1 ents=1/1 dma_addrs={0x50000} sizes={0x200} phys_addrs={0x50000} attrs=`),
    ev(4, 'unmap', 'IOMMU: iova=0x00000000ffffe000 - 0x0000000100000000 size=8192 unmapped_size=8192'),
  ];
  const seen: TraceFinding[] = [];
  const checker = new TraceChecker((f) => seen.push(f));
  const cursor = TraceCursor.fromText(lines.join('\n') + '\n');
  for (let i = 0; i < 5; i++) checker.apply(cursor.next()!);
  const d = checker.device(D);
  const live = [...d.mappings()];
  assert.deepEqual(live.map((m) => [m.kind, m.dir, m.bounced, m.segments[0].dma, m.segments[0].phys]), [
    ['single', 'FROM_DEVICE', true, 0x79100000, 0x2788040],
    ['sg', 'TO_DEVICE', false, 0x50000, 0x50000],
  ]);
  assert.equal(checker.iommu.byIova.size, 2);
  // IOMMU mappings read back by ascending IOVA, each with the line it was mapped at.
  assert.deepEqual(checker.iommu.byIova.values().map((m) => [m.iova, m.paddr, m.size, m.origin.line, m.origin.timestamp]), [
    [0xffffe000, 0xc603000, 4096, 4, 2.1],
    [0xfffff000, 0xc602000, 4096, 3, 2],
  ]);
  assert.equal(checker.iommu.at(0xfffff800)?.paddr, 0xc602000);
  assert.equal(checker.mappingAt(0x2788040 + 100)?.mapping, live[0]);
  const snapshot = checker.clone(() => undefined);
  checker.apply(cursor.next()!);
  assert.equal(checker.iommu.byIova.size, 0);
  // What a mapping keeps of where it was made is its own: later events do not move it.
  assert.deepEqual([live[0].origin.line, live[0].origin.timestamp], [2, 1.1]);
  assert.equal(snapshot.iommu.byIova.size, 2);
  assert.equal([...snapshot.device(D).mappings()].length, 2);
  assert.deepEqual(seen, []);
});

test('a bounce waits for its map even when the other CPU logs events in between', () => {
  const r = checkLines([
    bounce(1, '3000', 512),
    ev(1.05, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=77000 size=8 phys_addr=77000 attrs=`, 'other-9', 1),
    map(1.1, 'FROM_DEVICE', '79100000', 512, '3000'),
  ]);
  assert.equal(r.devices[0].bounces, 1);
  assert.deepEqual(bugKeys(r), []);
});

test('findings carry the line, byte offset, timestamp and device of their event', () => {
  const lines = [map(1, 'TO_DEVICE', '1000', 64), unmap(2.5, 'TO_DEVICE', '1000', 32)];
  const [f] = checkLines(lines).findings.filter((x) => x.kind !== 'window');
  assert.deepEqual([f.line, f.offset, f.timestamp, f.device], [2, lines[0].length + 1, 2.5, D]);
  assert.match(f.message, /different size/);
});

test('a sync of an sg entry\'s address after dma_unmap_sg is a sync of unmapped memory, as after a single unmap', () => {
  const lines = [
    ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x20000} sizes={0x1000,0x1000} phys_addrs={0x10000,0x20000} attrs=`),
    ev(2, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x10000,0x20000} attrs=`),
    ev(3, 'dma_sync_single_for_cpu', `${D} dir=FROM_DEVICE dma_addr=20000 size=64`),
    ev(4, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={0x10000} sizes={0x1000}`),
  ];
  assert.deepEqual(bugKeys(checkLines(lines)), ['api-misuse/sync-unmapped@3', 'api-misuse/sync-unmapped@4']);
});

test('--from-boot: what is mapped or allocated after the last [LOST N EVENTS] marker and never released is a leak; what came before a marker is window information', () => {
  const alloc = (ts: number, dma: string): string => ev(ts, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=${dma} size=512 virt_addr=00000000f07f6c93 flags=GFP_KERNEL attrs=`);
  const lines = [map(1, 'FROM_DEVICE', 'a000', 64), alloc(1.5, 'c000'), 'CPU:0 [LOST 5 EVENTS]', map(3, 'FROM_DEVICE', 'b000', 64), alloc(3.5, 'd000')];
  const r = checkLines(lines, { fromBoot: true });
  assert.deepEqual(bugKeys(r), ['leak/mapping-leak@4', 'leak/allocation-leak@5']);
  assert.deepEqual(r.findings.filter((f) => f.kind === 'window').map((f) => `${f.detail}@${f.line}`).sort(), ['live-at-end@1', 'live-at-end@2']);
});

test('DMA_MAPPING_ERROR is named as the kernel prints it (~0), not as the double it reads as', () => {
  const lines = [
    map(1, 'FROM_DEVICE', 'ffffffffffffffff', 4096, '4db9000'),
    unmap(2, 'FROM_DEVICE', 'ffffffffffffffff', 4096),
  ];
  const f = checkLines(lines).findings.find((x) => x.detail === 'unmap-failed-mapping');
  assert.match(f?.message ?? '', /dma_unmap of 0xffffffffffffffff \(4096 bytes\)/);
});

/** What `d` holds: live mappings, dma-direct ones taken as dropped, allocations. */
const held = (d: DeviceState | undefined): number => (d ? d.live + d.dropped.size + d.coherent.size : 0);

const alloc = ev(1, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=9000 size=4096 virt_addr=00000000aa flags=GFP_KERNEL attrs=`);
const free = (ts: number, dma: string): string => ev(ts, 'dma_free', `${D} dir=BIDIRECTIONAL dma_addr=${dma} size=4096 virt_addr=00000000aa attrs=`);
/** A dma-direct list (dma == phys), or one behind an IOMMU at `iova`. */
const sg = (ts: number, iova?: number): string => {
  const dmas = iova === undefined ? '0x10000,0x20000' : `${hex(iova)},${hex(iova + 0x1000)}`;
  return ev(ts, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={${dmas}} sizes={0x1000,0x1000} phys_addrs={0x10000,0x20000} attrs=`);
};
const unmapSg = (ts: number, phys: string): string => ev(ts, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={${phys}} attrs=`);
const sync = (ts: number, dma: string): string => ev(ts, 'dma_sync_single_for_cpu', `${D} dir=FROM_DEVICE dma_addr=${dma} size=64`);
const syncSg = (ts: number, dmas: string, sizes: string): string => ev(ts, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={${dmas}} sizes={${sizes}}`);
const LOST = 'CPU:0 [LOST 3 EVENTS]';

/**
 * Traces of each kind of release and sync, and of two things at one address, with what `outcomeOf` says each
 * release and sync comes to: `live@L` (what was mapped or allocated at line L), `kept@L`, `again@R/L` (the release at
 * line R, of what line L mapped), `-` for none; a sync_sg's entries joined by `+`.
 */
const RELEASES: [string[], string[]][] = [
  [[alloc, unmap(2, 'BIDIRECTIONAL', '9000', 4096), free(3, '9000')], ['live@1', 'again@2/1']],
  [[map(1, 'TO_DEVICE', '9000', 4096), free(2, '9000'), unmap(3, 'TO_DEVICE', '9000', 4096)], ['live@1', 'again@2/1']],
  [[sg(1), unmap(2, 'FROM_DEVICE', '20000', 4096), unmapSg(3, '0x10000,0x20000')], ['live@1', '-']],
  [[sg(1), unmapSg(2, '0x10000,0x20000'), unmapSg(3, '0x10000,0x20000')], ['live@1', 'again@2/1']],
  // An sg unmap of a dma-direct single mapping is reported, and leaves it mapped.
  [[map(1, 'TO_DEVICE', '5000', 4096), unmapSg(2, '0x5000'), unmap(3, 'TO_DEVICE', '5000', 4096)], ['kept@1', 'live@1']],
  [[map(1, 'FROM_DEVICE', '5000', 4096), map(2, 'FROM_DEVICE', '5000', 4096), unmap(3, 'FROM_DEVICE', '5000', 4096), unmap(4, 'FROM_DEVICE', '5000', 4096)], ['live@2', 'live@1']],
  [[map(1, 'FROM_DEVICE', 'ffffffffffffffff', 4096, '4db9000'), unmap(2, 'FROM_DEVICE', 'ffffffffffffffff', 4096)], ['-']],
  // Two things at one address: which one a release takes is the order the handlers look them up in.
  [[alloc, map(2, 'TO_DEVICE', '9000', 4096), free(3, '9000')], ['live@1']],
  [[alloc, map(2, 'TO_DEVICE', '9000', 4096), unmap(3, 'TO_DEVICE', '9000', 4096)], ['live@2']],
  [[map(1, 'FROM_DEVICE', '5000', 4096), map(2, 'FROM_DEVICE', 'a000', 4096, '5000'), ev(3, 'dma_alloc', `${D} dir=BIDIRECTIONAL dma_addr=5000 size=4096 virt_addr=00000000aa flags=GFP_KERNEL attrs=`), unmap(4, 'FROM_DEVICE', '5000', 4096)], ['live@1']],
  [[ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=1/1 ents=1/1 dma_addrs={0xffffffffffffffff} sizes={0x1000} phys_addrs={0x30000} attrs=`), unmap(2, 'FROM_DEVICE', 'ffffffffffffffff', 4096)], ['-']],
  // An unmap of DMA_MAPPING_ERROR is that misuse, even where a list with such an entry was unmapped.
  [[ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=1/1 ents=1/1 dma_addrs={0xffffffffffffffff} sizes={0x1000} phys_addrs={0x30000} attrs=`), unmapSg(2, '0x30000'), unmap(3, 'FROM_DEVICE', 'ffffffffffffffff', 4096)], ['live@1', '-']],
  // Each release reads its own log: a free after an unmap is undecided, a free after a free decided.
  [[map(1, 'TO_DEVICE', '9000', 4096), unmap(2, 'TO_DEVICE', '9000', 4096), free(3, '9000')], ['live@1', '-']],
  [[alloc, free(2, '9000'), free(3, '9000')], ['live@1', 'again@2/1']],
  // A list unmapped, its first address taken by a dma-direct single mapping, the list unmapped again: the mapping, reported and kept.
  [[sg(1), unmapSg(2, '0x10000,0x20000'), map(3, 'TO_DEVICE', '10000', 4096), unmapSg(4, '0x10000,0x20000'), unmap(5, 'TO_DEVICE', '10000', 4096)], ['live@1', 'kept@3', 'live@3']],
  // ... by a single mapping that is no dma-direct one: the list's second unmap.
  [[sg(1), unmapSg(2, '0x10000,0x20000'), map(3, 'TO_DEVICE', '10000', 4096, '99000'), unmapSg(4, '0x10000,0x20000')], ['live@1', 'again@2/1']],
  // A live list behind an IOMMU and a dma-direct single mapping at its first physical address: the list first.
  [[sg(1, 0xfff00000), map(2, 'TO_DEVICE', '10000', 4096), unmapSg(3, '0x10000,0x20000'), unmapSg(4, '0x10000,0x20000'), unmap(5, 'TO_DEVICE', '10000', 4096)], ['live@1', 'kept@2', 'live@2']],
  // Two live lists of the same pages: the older first, then the newer; a third unmap is the newer's second.
  [[sg(1, 0xfff00000), sg(2, 0xffe00000), unmapSg(3, '0x10000,0x20000'), unmapSg(4, '0x10000,0x20000'), unmapSg(5, '0x10000,0x20000')], ['live@1', 'live@2', 'again@4/2']],
  // Events lost between two releases: undecided; a release after that one is decided, and names what the first released.
  [[map(1, 'FROM_DEVICE', '1000', 4096), unmap(2, 'FROM_DEVICE', '1000', 4096), LOST, unmap(4, 'FROM_DEVICE', '1000', 4096), unmap(5, 'FROM_DEVICE', '1000', 4096)], ['live@1', '-', 'again@4/1']],
  [[alloc, free(2, '9000'), LOST, free(4, '9000')], ['live@1', '-']],
  [[free(1, '9000')], ['-']],
  // Syncs: inside a mapping, after its unmap (single and sg), and of a dma-direct mapping taken as dropped.
  [[map(1, 'FROM_DEVICE', '1000', 4096), sync(2, '1040'), unmap(3, 'FROM_DEVICE', '1000', 4096), sync(4, '1000'), syncSg(5, '0x1000', '0x1000')], ['live@1', 'live@1', 'again@3/1', 'again@3/1']],
  [[map(1, 'FROM_DEVICE', '5000', 4096), map(2, 'FROM_DEVICE', 'a000', 4096, '5000'), sync(3, '5000')], ['live@1']],
  // A sync_sg's entries: one with no size and DMA_MAPPING_ERROR are skipped, and so are those past the live list's.
  [[sg(1), unmapSg(2, '0x10000,0x20000'), syncSg(3, '0x10000,0x20000,0xffffffffffffffff', '0x1000,0x0,0x1000')], ['live@1', 'again@2/1+-+-']],
  [[map(1, 'FROM_DEVICE', '30000', 4096), unmap(2, 'FROM_DEVICE', '30000', 4096), sg(3), syncSg(4, '0x10000,0x20000,0x30000', '0x1000,0x1000,0x1000')], ['live@1', 'live@3+live@3+-']],
  // Each entry is looked up as a single sync's address: inside a segment, or a dma-direct mapping taken as dropped.
  [[map(1, 'FROM_DEVICE', '5000', 4096), map(2, 'FROM_DEVICE', 'a000', 4096, '5000'), syncSg(3, '0x5000', '0x40'), sg(4), syncSg(5, '0x10040', '0x40')], ['live@1', 'live@4']],
];

test('what releasedBy says a release releases is what the checker releases, in every real capture and for each kind of release', () => {
  const synthetic = RELEASES.map(([lines]) => lines.join('\n'));
  let released = 0;
  for (const text of [...synthetic, ...captures().map((name) => captureLines(name).join('\n'))]) {
    const checker = new TraceChecker(() => undefined);
    const cursor = TraceCursor.fromText(text);
    for (let r = cursor.next(); r; r = cursor.next()) {
      const e = r.kind === 'event' ? decodeEvent(r) : undefined;
      if (e === undefined || (e.op !== 'unmap' && e.op !== 'unmap_sg' && e.op !== 'free')) {
        checker.apply(r);
        continue;
      }
      const what = checker.releasedBy(e);
      const before = held(checker.deviceNamed(e.device));
      checker.apply(r);
      const d = checker.deviceNamed(e.device)!;
      assert.equal(before - held(d), what ? 1 : 0, `line ${r.line}`);
      if (what && 'api' in what) assert.notEqual(d.coherent.get(what.dma), what);
      else if (what) assert.ok(d.byDma.get(what.segments[0].dma)?.mapping !== what && d.dropped.get(what.segments[0].dma) !== what, `line ${r.line}`);
      if (what) released++;
    }
  }
  assert.ok(released >= 10000, `${released} releases`);
});

/** A release or sync's outcome as `RELEASES` writes it. */
function told(o: Outcome | undefined): string {
  if (o === undefined) return '-';
  const w = o.kind === 'again' ? o.release.what : undefined;
  if (o.kind === 'again') return `again@${o.release.line}/${w === undefined ? '?' : 'api' in w ? w.origin.line : w.mapping.origin.line}`;
  return `${o.kind}@${o.what.origin.line}`;
}

/** Who a release released: a mapping by its id (a dropped one is a copy, its segments point to the original), or the allocation. */
const owner = (x: Released | StreamingMapping | Allocation): unknown => ('api' in x ? x : 'mapping' in x ? x.mapping.id : x.id);

/** Reported when a release or sync finds nothing live and the trace released the address already, with no events lost since. */
const TWICE = new Set(['double-unmap', 'double-free', 'sync-unmapped']);
/** Reported when a sync finds nothing live. */
const UNSYNCED = new Set(['sync-unmapped', 'lost-events', 'mapped-before-trace', 'sync-not-mapped']);
/** Reported when a release finds nothing live and nothing the trace released decides it. */
const NOTHING = new Set(['unmap-not-mapped', 'free-not-allocated', 'unmap-failed-mapping']);

test('what outcomeOf says a release or sync comes to is what its handler does, in every real capture and for each kind of release and sync', () => {
  const outcomes = new Map<string, number>();
  for (const [i, text] of [...RELEASES.map(([lines]) => lines.join('\n')), ...captures().map((name) => captureLines(name).join('\n'))].entries()) {
    const found: TraceFinding[] = [];
    const checker = new TraceChecker((f) => found.push(f), { keepReleased: true });
    /** Who the release at each line released, by `owner`: what a later decided release must name. */
    const releasedAt = new Map<number, unknown>();
    const seen: string[] = [];
    const cursor = TraceCursor.fromText(text);
    for (let r = cursor.next(); r; r = cursor.next()) {
      const e = r.kind === 'event' ? decodeEvent(r) : undefined;
      if (e === undefined || (e.op !== 'unmap' && e.op !== 'unmap_sg' && e.op !== 'free' && e.op !== 'sync' && e.op !== 'sync_sg')) {
        checker.apply(r);
        continue;
      }
      const os = e.op === 'sync_sg' ? e.dmas.map((_, entry) => checker.outcomeOf(e, entry)) : [checker.outcomeOf(e)];
      const releases = e.op !== 'sync' && e.op !== 'sync_sg';
      const release = releases ? os[0] : undefined;
      const before = held(checker.deviceNamed(e.device));
      const reported = found.length;
      checker.apply(r);
      const d = checker.deviceNamed(e.device)!;
      const now = found.slice(reported);
      const at = `line ${r.line} of ${i < RELEASES.length ? `RELEASES[${i}]` : captures()[i - RELEASES.length]}`;
      seen.push(os.map(told).join('+'));
      for (const o of os) outcomes.set(o?.kind ?? '-', (outcomes.get(o?.kind ?? '-') ?? 0) + 1);
      // Only a release of what it finds live releases anything, and then what it found.
      assert.equal(before - held(d), release?.kind === 'live' ? 1 : 0, at);
      if (release?.kind === 'live') {
        const x = release.what;
        assert.ok('api' in x ? d.coherent.get(x.dma) !== x : d.byDma.get(x.segments[0].dma)?.mapping !== x && d.dropped.get(x.segments[0].dma) !== x, at);
        releasedAt.set(r.line, owner(x));
      }
      // Kept: reported as the wrong kind, still mapped.
      const kept = os.filter((o) => o?.kind === 'kept');
      assert.deepEqual(now.filter((f) => f.detail === 'kind-mismatch' && e.op === 'unmap_sg').map((f) => f.related[0].line), kept.map((o) => o.what.origin.line), at);
      for (const o of kept) assert.equal(d.byDma.get(o.what.segments[0].dma)?.mapping, o.what, at);
      // Again: a second release (a sync of unmapped memory) exactly then, pointing at the release it names, of what that one released.
      const again = os.filter((o) => o?.kind === 'again');
      assert.deepEqual(now.filter((f) => TWICE.has(f.detail)).map((f) => f.related[0].line), again.map((o) => o.release.line), at);
      for (const o of again) {
        const was = o.release.what && releasedAt.get(o.release.line);
        if (was !== undefined) assert.equal(owner(o.release.what!), was, at);
      }
      if (release?.kind === 'again' && release.release.what) releasedAt.set(r.line, owner(release.release.what));
      // A sync entry found live is not reported as finding nothing there.
      if (!releases) {
        const missed = now.filter((f) => UNSYNCED.has(f.detail)).map((f) => /^\S+ of (0x[0-9a-f]+) /.exec(f.message)?.[1]);
        const dmas = e.op === 'sync' ? [e.dma] : e.dmas;
        assert.deepEqual(os.flatMap((o, entry) => (o?.kind === 'live' && missed.includes(hex(dmas[entry])) ? [entry] : [])), [], at);
      }
      // None: window information, or nothing released there ever.
      if (releases && release === undefined) assert.ok(now.every((f) => f.kind === 'window' || NOTHING.has(f.detail)), `${at}: ${now.map((f) => f.detail)}`);
    }
    if (i < RELEASES.length) assert.deepEqual(seen, RELEASES[i][1], `RELEASES[${i}]`);
  }
  assert.ok((outcomes.get('live') ?? 0) >= 10000, JSON.stringify(Object.fromEntries(outcomes)));
});
