// Constraints against a dma-buf's pages (spec §7): which constraints a set of runs breaks for a device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unmetConstraints } from '../../src/machine/dmabufConstraints';
import { device } from './helpers';

const KiB = 1024;
const MiB = 1024 * KiB;
const HIGH = 0x2_0000_0000;
const scattered = [{ phys: HIGH, len: MiB }, { phys: HIGH + 2 * MiB, len: 64 * KiB }];
const names = (runs: { phys: number; len: number }[], d = device('x'), force = false) => unmetConstraints(runs, d, force).map((u) => u.constraint);

test('contiguous: a device without an IOMMU needs one segment; behind an IOMMU any runs do', () => {
  assert.deepEqual(names(scattered, device('isp', { contiguous: true })), ['contiguous']);
  assert.deepEqual(names(scattered, device('gpu', { contiguous: true, iommu: true })), []);
  assert.deepEqual(names([{ phys: HIGH, len: 4 * MiB }], device('isp', { contiguous: true })), []);
});

test('max_segment_size: no run may be longer, even behind an IOMMU', () => {
  assert.deepEqual(names(scattered, device('dsp', { maxSegmentSize: 64 * KiB })), ['max_segment_size']);
  assert.deepEqual(names(scattered, device('dsp', { maxSegmentSize: 64 * KiB, iommu: true })), ['max_segment_size']);
  assert.deepEqual(names(scattered, device('dsp', { maxSegmentSize: MiB })), []);
});

test('segment_boundary: no run may cross it without an IOMMU; behind one only a run longer than the window fails', () => {
  const crossing = [{ phys: HIGH + 0xf000, len: 0x2000 }];
  assert.deepEqual(names(crossing, device('vpu', { segmentBoundary: 0xffff })), ['segment_boundary']);
  assert.deepEqual(names(crossing, device('vpu', { segmentBoundary: 0xffff, iommu: true })), []);
  assert.deepEqual(names(scattered, device('vpu', { segmentBoundary: 0xffff, iommu: true })), ['segment_boundary']);
});

test('dma_mask: pages out of reach bounce through swiotlb, which is no constraint violation', () => {
  assert.deepEqual(names(scattered, device('isp', { dmaMask: 32 })), []);
  assert.deepEqual(names(scattered, device('isp', { dmaMask: 32 }), true), []);
});

test('each unmet constraint says why, naming the device', () => {
  const [u] = unmetConstraints(scattered, device('isp', { contiguous: true }), false);
  assert.match(u.reason, /isp needs one contiguous segment .* 2 separate runs/);
});
