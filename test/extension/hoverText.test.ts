// Hovers outside a debug session say what a call does to ownership and the cache on the declared platform
// (spec §6), and what a device's constraints mean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/language';
import { SIGNATURES } from '../../src/language/signatures';
import { callHover, deviceHover, formatBytes } from '../../src/extension/hoverText';

function hoverOn(source: string, line: number, op: string): string {
  const { program } = parseScenario(source, 'h.dmabuf');
  const stmt = program.body.find((s) => s.span.start.line === line);
  return callHover(SIGNATURES.get(op)!, op, program, stmt?.kind === 'call' ? stmt : undefined);
}

const SCENARIO = (platform: string, device = 'device cam') =>
  `platform ${platform}\n${device}\np = kmalloc(4KiB)\nh = dma_map_single(cam, p, 4KiB, FROM_DEVICE)\ndma_unmap_single(cam, h, 4KiB, FROM_DEVICE)\n`;

test('map on arm64 cleans the range whatever the direction, and hands it to the device', () => {
  const text = hoverOn(SCENARIO('arm64'), 4, 'dma_map_single');
  assert.match(text, /Owner → cam:FROM_DEVICE/);
  assert.match(text, /arm64 noncoherent: cleans the range's cache lines to memory/);
});

test('map FROM_DEVICE on 32-bit arm invalidates', () => {
  assert.match(hoverOn(SCENARIO('arm'), 4, 'dma_map_single'), /arm noncoherent, FROM_DEVICE: invalidates/);
});

test('unmap FROM_DEVICE invalidates and hands the range back to the CPU', () => {
  const text = hoverOn(SCENARIO('arm64'), 5, 'dma_unmap_single');
  assert.match(text, /Owner → cpu\. arm64 noncoherent, FROM_DEVICE: invalidates the lines/);
});

test('a coherent platform or device does no maintenance', () => {
  assert.match(hoverOn(SCENARIO('x86_64'), 4, 'dma_map_single'), /x86_64 coherent: no cache maintenance/);
  assert.match(hoverOn(SCENARIO('arm64', 'device cam coherent'), 4, 'dma_map_single'), /cam is coherent: no cache maintenance/);
});

test('without a statement, the hover explains every direction', () => {
  const { program } = parseScenario('platform arm\n', 'h.dmabuf');
  assert.match(callHover(SIGNATURES.get('dma_sync_sg_for_cpu')!, 'dma_sync_sg_for_cpu', program, undefined), /FROM_DEVICE and BIDIRECTIONAL invalidate.*TO_DEVICE does nothing/);
  assert.doesNotMatch(callHover(SIGNATURES.get('kmalloc')!, 'kmalloc', program, undefined), /Owner/);
});

test('dma_buf_sync START hands the buffer to the CPU, END to its devices', () => {
  const src = 'buf = dma_heap_alloc(system, 4KiB)\ndma_buf_sync(buf, START, READ)\ndma_buf_sync(buf, END, READ)\n';
  assert.match(hoverOn(src, 2, 'dma_buf_sync'), /Owner → cpu/);
  assert.match(hoverOn(src, 3, 'dma_buf_sync'), /Owner → the device/);
});

test("a device's constraints", () => {
  const { program } = parseScenario('device isp dma_mask=32 contiguous max_segment_size=64KiB segment_boundary=0xFFFF\ndevice gpu iommu\n', 'd.dmabuf');
  const isp = deviceHover(program.devices.get('isp')!, program);
  assert.match(isp, /noncoherent/);
  assert.match(isp, /dma_mask 32 bits: reaches below 4GiB; streaming maps of higher pages bounce through swiotlb/);
  assert.match(isp, /contiguous: needs a single segment/);
  assert.match(isp, /max_segment_size 64KiB/);
  assert.match(isp, /cross a multiple of 64KiB/);
  assert.match(deviceHover(program.devices.get('gpu')!, program), /behind an IOMMU.*\n.*reaches all memory/);
});

test('sizes in the language units', () => {
  assert.deepEqual([4096, 1 << 20, 3 * 2 ** 30, 100, 4097].map(formatBytes), ['4KiB', '1MiB', '3GiB', '100', '0x1001']);
});

test("an attachment's map and unmap hand the buffer to the device it was attached for: a coherent one needs no maintenance", () => {
  const source = 'platform arm64\ndevice gpu coherent\nb = dma_heap_alloc(system, 4KiB)\na = dma_buf_attach(b, gpu)\ns = dma_buf_map_attachment(a, FROM_DEVICE)\ndma_buf_unmap_attachment(a, s, FROM_DEVICE)\n';
  const { program } = parseScenario(source, 'h.dmabuf');
  const stmt = (line: number) => program.body.find((s) => s.span.start.line === line) as Parameters<typeof callHover>[3];
  const attachedDevice = (a: string) => (a === 'a' ? 'gpu' : undefined);
  const map = callHover(SIGNATURES.get('dma_buf_map_attachment')!, 'dma_buf_map_attachment', program, stmt(5), attachedDevice);
  assert.match(map, /Owner → gpu:FROM_DEVICE\. gpu is coherent: no cache maintenance/);
  const unmap = callHover(SIGNATURES.get('dma_buf_unmap_attachment')!, 'dma_buf_unmap_attachment', program, stmt(6), attachedDevice);
  assert.match(unmap, /Owner → cpu\. /);
  assert.doesNotMatch(unmap, /invalidates/);
});

test('with swiotlb=force, a device without an IOMMU bounces every streaming map', () => {
  const { program } = parseScenario('platform arm64 swiotlb=force\ndevice nic\ndevice gpu iommu\n', 'h.dmabuf');
  assert.match(deviceHover(program.devices.get('nic')!, program), /swiotlb=force: every streaming map bounces/);
  assert.doesNotMatch(deviceHover(program.devices.get('gpu')!, program), /swiotlb=force/);
});
