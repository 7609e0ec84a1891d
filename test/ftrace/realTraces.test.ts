// Every real capture in shared/traces reads with zero malformed lines and zero findings but the window
// information, and the checker gets right what the captures' README says a checker must get right.
import assert from 'node:assert/strict';
import * as path from 'path';
import { test } from 'node:test';
import { checkTrace, type TraceReport } from '../../src/ftrace/check';
import { TraceCursor } from '../../src/ftrace/reader';
import { bugKeys, captures, TRACES } from './helpers';

const reports = new Map<string, TraceReport>();
function report(name: string, fromBoot = false): TraceReport {
  const key = `${name} ${fromBoot}`;
  let r = reports.get(key);
  if (!r) reports.set(key, (r = checkTrace(TraceCursor.open(path.join(TRACES, name)), name, { fromBoot })));
  return r;
}

/** udmabuf maps TO_DEVICE and unmaps BIDIRECTIONAL in release_udmabuf(): the kernel bug "udmabuf DMA direction mismatch in release", really in this capture. */
const REAL_BUGS: Record<string, string[]> = {
  'udmabuf-noiommu.trace.txt': ['api-misuse/direction-mismatch@16', 'api-misuse/direction-mismatch@19'],
};

for (const name of captures()) {
  test(`${name}: zero malformed lines and no findings but window information`, () => {
    const r = report(name);
    assert.equal(r.malformed, 0, JSON.stringify(r.malformedLines.slice(0, 3)));
    assert.deepEqual(bugKeys(r), REAL_BUGS[name] ?? []);
    for (const f of r.findings) assert.ok(f.line > 0 && f.timestamp > 0 && f.message.length > 0);
  });
}

test('the captures count the events the README lists', () => {
  assert.deepEqual(report('nvme-noiommu.trace.txt').events, { dma_map_phys: 1431, dma_unmap_phys: 617, tracing_mark_write: 15, dma_alloc: 11 });
  const ahci = report('ahci-swiotlb-force.trace.txt').events;
  assert.equal(ahci.swiotlb_bounced, 1483);
  assert.equal(ahci.dma_map_sg, 661);
  const gpu = report('gpu-noiommu.trace.txt').events;
  assert.equal(gpu.dma_fence_init, 60);
  assert.equal(report('e1000e-intel-iommu.trace.txt').events.map, 2127);
});

test('nvme under dma-direct does not unmap multi-segment requests: 1431 maps, 617 unmaps, and no leak', () => {
  const r = report('nvme-noiommu.trace.txt');
  const [d] = r.devices;
  assert.equal(d.maps, 1431);
  assert.equal(d.unmaps, 617);
  assert.ok(d.droppedWithoutUnmap > 0);
  assert.equal(d.maps - d.unmaps, d.droppedWithoutUnmap + d.liveAtEnd);
  assert.deepEqual(bugKeys(report('nvme-noiommu.trace.txt', true)).filter((k) => k.startsWith('leak/mapping')), []);
});

test('with swiotlb every map is unmapped, and each bounce is paired with its map although CPUs interleave', () => {
  for (const name of ['ahci-swiotlb-force.trace.txt', 'e1000-swiotlb-force.trace.txt']) {
    const [d] = report(name).devices;
    assert.equal(d.maps, d.unmaps, name);
    assert.equal(d.liveAtEnd, 0, name);
  }
});

test('syncs with no matching for_device and partial-range syncs inside larger mappings are no findings', () => {
  const [d] = report('e1000-swiotlb-force.trace.txt').devices;
  assert.equal(d.syncs, 24);
  const gpu = report('gpu-swiotlb-force-linux6.12.trace.txt').devices[0];
  assert.equal(gpu.syncs, 143);
});

test('mappings and coherent allocations live at the end are window information, not leaks', () => {
  const r = report('vnet-noiommu.trace.txt');
  const window = r.findings.filter((f) => f.kind === 'window');
  assert.equal(window.filter((f) => f.detail === 'live-at-end').length, r.devices[0].liveAtEnd + r.devices[0].coherent.liveAtEnd);
  assert.ok(r.ok);
});

test('IOMMU events are followed: an unmap may cover several maps', () => {
  const r = report('nvme-intel-iommu.trace.txt');
  assert.equal(r.iommu.maps, 1836);
  assert.equal(r.iommu.unmaps, 680);
  assert.ok(r.iommu.liveAtEnd < r.iommu.maps - r.iommu.unmaps);
});

test('per-device figures: bytes, peak live mappings and the longest-lived mapping', () => {
  const [d] = report('usb-noiommu.trace.txt').devices;
  assert.ok(d.bytes > 0 && d.peakLive >= 1);
  assert.ok(d.longestLived && d.longestLived.seconds > 0 && d.longestLived.line > 0);
});
