// Mutated copies of the real captures give exactly the planted findings at the right lines: a deleted unmap,
// a changed direction, a repeated unmap, a changed size, a sync outside the range, and more.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { checkTrace } from '../../src/ftrace/check';
import { TraceCursor } from '../../src/ftrace/reader';
import { bugKeys, bugs, captureLines, fieldOf, findLine, tempTrace } from './helpers';

function checkFile(lines: string[], fromBoot = false) {
  const file = tempTrace(lines);
  try {
    return checkTrace(TraceCursor.open(file), file, { fromBoot });
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

const isUnmap = (l: string): boolean => l.includes(': dma_unmap_phys: ');
const isMapOf = (dma: string) => (l: string): boolean => l.includes(': dma_map_phys: ') && l.includes(` dma_addr=${dma} `);

/** The line of the map that `unmap` (a 1-based line) releases. */
function mapLineOf(lines: string[], unmap: number): number {
  const dma = fieldOf(lines[unmap - 1], 'dma_addr');
  let m = unmap - 1;
  while (!isMapOf(dma)(lines[m - 1])) m--;
  return m;
}

test('a deleted unmap of an IOMMU mapping: a leak (missing-unmap) at its map when its IOVA is handed out again', () => {
  const lines = captureLines('e1000e-intel-iommu.trace.txt');
  const remapped = (u: number): boolean => lines.slice(u).some(isMapOf(fieldOf(lines[u - 1], 'dma_addr')));
  const u = findLine(lines, (l) => isUnmap(l) && remapped(lines.indexOf(l) + 1), 2000);
  const m = mapLineOf(lines, u);
  const again = findLine(lines, isMapOf(fieldOf(lines[u - 1], 'dma_addr')), u + 1);
  const mutated = lines.filter((_, i) => i !== u - 1);
  const r = checkFile(mutated);
  const [leak, ...rest] = bugs(r).sort((a, b) => Number(b.kind === 'leak') - Number(a.kind === 'leak'));
  assert.equal(`${leak.kind}/${leak.detail}@${leak.line}`, `leak/missing-unmap@${m}`);
  assert.deepEqual(leak.related.map((x) => x.line), [again - 1]);
  // Meanwhile the still-mapped rx buffer's page is mapped again, as dma-debug's cacheline EEXIST would say.
  for (const f of rest) assert.deepEqual([f.detail, f.related[0].line], ['overlapping-mapping', m]);
});

test('a deleted unmap of a swiotlb mapping whose slot is not reused: still live at the end, window information', () => {
  const lines = captureLines('e1000-swiotlb-force.trace.txt');
  const u = findLine(lines, isUnmap, 2000);
  const m = mapLineOf(lines, u);
  const r = checkFile(lines.filter((_, i) => i !== u - 1));
  assert.deepEqual(bugKeys(r), []);
  assert.deepEqual(r.findings.filter((f) => f.detail === 'live-at-end' && f.line === m).length, 1);
  assert.ok(bugKeys(checkFile(lines.filter((_, i) => i !== u - 1), true)).includes(`leak/mapping-leak@${m}`));
});

test('a changed direction on an unmap: direction-mismatch at that line', () => {
  const lines = captureLines('e1000e-intel-iommu.trace.txt');
  const u = findLine(lines, (l) => isUnmap(l) && l.includes('dir=FROM_DEVICE'), 3000);
  lines[u - 1] = lines[u - 1].replace('dir=FROM_DEVICE', 'dir=TO_DEVICE');
  assert.deepEqual(bugKeys(checkFile(lines)), [`api-misuse/direction-mismatch@${u}`]);
});

test('a repeated unmap under dma-direct: double-unmap at the repeat', () => {
  const lines = captureLines('nvme-noiommu.trace.txt');
  const u = findLine(lines, isUnmap, 500);
  lines.splice(u, 0, lines[u - 1]);
  assert.deepEqual(bugKeys(checkFile(lines)), [`api-misuse/double-unmap@${u + 1}`]);
});

test('a changed size on an unmap: size-mismatch at that line', () => {
  const lines = captureLines('vblk-virtio-iommu.trace.txt');
  const u = findLine(lines, (l) => isUnmap(l) && / size=\d+ /.test(l), 4000);
  const size = Number(fieldOf(lines[u - 1], 'size'));
  lines[u - 1] = lines[u - 1].replace(` size=${size} `, ` size=${size * 2} `);
  assert.deepEqual(bugKeys(checkFile(lines)), [`api-misuse/size-mismatch@${u}`]);
});

test('a sync reaching outside its mapping: sync-outside-mapping at the sync', () => {
  const lines = captureLines('e1000-swiotlb-force.trace.txt');
  const s = findLine(lines, (l) => l.includes('dma_sync_single_for_cpu'));
  lines[s - 1] = lines[s - 1].replace(/ size=\d+$/, ' size=8192');
  assert.deepEqual(bugKeys(checkFile(lines)), [`api-misuse/sync-outside-mapping@${s}`]);
});

test('a sync in another direction than the map: direction-mismatch at the sync', () => {
  const lines = captureLines('e1000-swiotlb-force.trace.txt');
  const s = findLine(lines, (l) => l.includes('dma_sync_single_for_cpu') && l.includes('dir=FROM_DEVICE'));
  lines[s - 1] = lines[s - 1].replace('dir=FROM_DEVICE', 'dir=TO_DEVICE');
  assert.deepEqual(bugKeys(checkFile(lines)), [`api-misuse/direction-mismatch@${s}`]);
});

test('syncs of a BIDIRECTIONAL mapping may name any direction', () => {
  const lines = captureLines('gpu-swiotlb-force-linux6.12.trace.txt');
  const s = findLine(lines, (l) => l.includes('dma_sync_sg_for_device'), 1000);
  lines[s - 1] = lines[s - 1].replace('dir=TO_DEVICE', 'dir=FROM_DEVICE');
  assert.deepEqual(bugKeys(checkFile(lines)), []);
});

test('a sync moved after its unmap: sync of unmapped memory, decided because the trace saw the unmap', () => {
  const lines = captureLines('e1000-swiotlb-force.trace.txt');
  const s = findLine(lines, (l) => l.includes('dma_sync_single_for_cpu'));
  const dma = fieldOf(lines[s - 1], 'dma_addr');
  const u = findLine(lines, (l) => isUnmap(l) && l.includes(` dma_addr=${dma} `), s + 1);
  lines.splice(u, 0, lines[s - 1]);
  assert.deepEqual(bugKeys(checkFile(lines)), [`api-misuse/sync-unmapped@${u + 1}`]);
});

test('an unmap_sg in another direction or with another entry count than its map_sg', () => {
  const ahci = captureLines('ahci-swiotlb-force.trace.txt');
  const u = findLine(ahci, (l) => l.includes('dma_unmap_sg') && l.includes('dir=FROM_DEVICE'), 1000);
  ahci[u - 1] = ahci[u - 1].replace('dir=FROM_DEVICE', 'dir=BIDIRECTIONAL');
  assert.deepEqual(bugKeys(checkFile(ahci)), [`api-misuse/direction-mismatch@${u}`]);
  const gpu = captureLines('gpu-noiommu.trace.txt');
  const g = findLine(gpu, (l) => l.includes('dma_unmap_sg'));
  gpu[g - 1] = gpu[g - 1].replace(/phys_addrs=\{(0x[0-9a-f]+),/, 'phys_addrs={$1,0x1234000,');
  assert.deepEqual(bugKeys(checkFile(gpu)), [`api-misuse/sg-count-mismatch@${g}`]);
});

test('a failed map and the driver unmapping its DMA_MAPPING_ERROR: map-error, then unmap-failed-mapping', () => {
  const lines = captureLines('e1000e-intel-iommu.trace.txt');
  const u = findLine(lines, isUnmap, 1000);
  const dma = fieldOf(lines[u - 1], 'dma_addr');
  const m = mapLineOf(lines, u);
  lines[m - 1] = lines[m - 1].replace(` dma_addr=${dma} `, ' dma_addr=ffffffffffffffff ');
  lines[u - 1] = lines[u - 1].replace(` dma_addr=${dma} `, ' dma_addr=ffffffffffffffff ');
  assert.deepEqual(bugKeys(checkFile(lines)), [`constraint-violation/map-error@${m}`, `api-misuse/unmap-failed-mapping@${u}`]);
});

test('a deleted map: its unmap is window information, or with --from-boot an unmap of memory never mapped', () => {
  const lines = captureLines('vblk-virtio-iommu.trace.txt');
  const firstUnmapOf = (l: string, i: number): boolean => isUnmap(l) && !lines.slice(0, i).some((x) => isUnmap(x) && x.includes(` dma_addr=${fieldOf(l, 'dma_addr')} `));
  const u = findLine(lines, (l) => firstUnmapOf(l, lines.indexOf(l)), 3000);
  const m = mapLineOf(lines, u);
  const mutated = lines.filter((_, i) => i !== m - 1);
  const window = checkFile(mutated);
  assert.deepEqual(bugKeys(window), []);
  assert.ok(window.findings.some((f) => f.kind === 'window' && f.detail === 'mapped-before-trace' && f.line === u - 1));
  assert.ok(bugKeys(checkFile(mutated, true)).includes(`api-misuse/unmap-not-mapped@${u - 1}`));
});

test('events lost between two unmaps make the double unmap undecidable: window information', () => {
  const lines = captureLines('nvme-noiommu.trace.txt');
  const u = findLine(lines, isUnmap, 500);
  lines.splice(u, 0, 'CPU:0 [LOST 17 EVENTS]', lines[u - 1]);
  const r = checkFile(lines);
  assert.deepEqual(bugKeys(r), []);
  assert.ok(r.findings.some((f) => f.detail === 'lost-events' && f.line === u + 2));
  assert.equal(r.lostEvents, 17);
});

test('a free with another virt_addr than its allocation: cpu-address-mismatch at that line, pointing at the allocation', () => {
  const lines = captureLines('e1000-swiotlb-force.trace.txt');
  const f = findLine(lines, (l) => l.includes(': dma_free: '));
  const dma = fieldOf(lines[f - 1], 'dma_addr');
  const a = findLine(lines, (l) => l.includes(': dma_alloc: ') && l.includes(` dma_addr=${dma} `));
  lines[f - 1] = lines[f - 1].replace(/virt_addr=\w+/, 'virt_addr=00000000deadbeef');
  const [finding, ...rest] = bugs(checkFile(lines));
  assert.deepEqual([finding.kind, finding.detail, finding.line, finding.related.map((x) => x.line), rest.length], ['api-misuse', 'cpu-address-mismatch', f, [a], 0]);
  assert.match(finding.message, /passes virt_addr=00000000deadbeef, but it was allocated at virt_addr=[0-9a-f]{16}/);
});
