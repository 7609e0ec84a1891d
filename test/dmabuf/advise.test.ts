// `dmabuf advise`: for each dma-buf, the constraints of each device that attaches, whether the allocation
// serves them all, and which exporter or allocation would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adviseSource, formatAdvice, main } from '../../src/cli/advise';
import { lines } from './helpers';

const examples = join(__dirname, '..', '..', '..', 'examples');
const read = (f: string) => readFileSync(join(examples, f), 'utf8');

test('advise: a GPU export does not serve the camera and the display; the ISP should export it, contiguous, or the cma heap', () => {
  const { advice } = adviseSource(read('dmabuf-wrong-exporter.dmabuf'), 'x.dmabuf');
  assert.equal(advice?.length, 1);
  const [a] = advice!;
  assert.deepEqual(a.importers.map((i) => [i.device, i.served]), [['gpu', true], ['isp', false], ['dpu', false]]);
  assert.equal(a.servesAll, false);
  assert.match(a.wouldServe, /^contiguous pages below 4 GiB/);
  assert.ok(a.suggestions.some((s) => s.startsWith('let isp export it: dma_buf_export(isp, 4 MiB, contiguous)')), a.suggestions.join('\n'));
  assert.ok(a.suggestions.some((s) => s.includes('dma_heap_alloc(cma, 4 MiB)')));
  assert.ok(a.suggestions.some((s) => s.includes('deferred') && s.includes('attach gpu, isp, dpu before the first map')));
  const text = formatAdvice('x.dmabuf', a);
  assert.match(text, /isp \(noncoherent, contiguous, dma_mask=32\), attached at line 14: NOT served: isp needs one contiguous segment/);
});

test('advise: a deferred export attached by everyone before the first map serves them all', () => {
  const { advice } = adviseSource(read('dmabuf-deferred.dmabuf'), 'x.dmabuf');
  assert.equal(advice![0].servesAll, true);
  assert.deepEqual(advice![0].suggestions, []);
  assert.match(formatAdvice('x.dmabuf', advice![0]), /serves every device that attached/);
});

test('advise: pages a device reaches only through swiotlb serve it, and say so', () => {
  const text = lines('platform arm64', 'device isp dma_mask=32', 'b = dma_heap_alloc(system, 64KiB)', 'a = dma_buf_attach(b, isp)');
  const [a] = adviseSource(text, 'x.dmabuf').advice!;
  assert.deepEqual([a.importers[0].served, a.importers[0].bounces], [true, true]);
  assert.match(formatAdvice('x.dmabuf', a), /served, through swiotlb bounce buffers/);
});

test('advise: when no single allocation can serve everyone it says why', () => {
  const text = lines('platform arm64', 'device isp contiguous', 'device dsp max_segment_size=64KiB', 'b = dma_heap_alloc(system, 2MiB)', 'a = dma_buf_attach(b, isp)', 'd = dma_buf_attach(b, dsp)');
  const [a] = adviseSource(text, 'x.dmabuf').advice!;
  assert.equal(a.servesAll, false);
  assert.match(a.suggestions[0], /no allocation serves everyone/);
});

test('advise: exit status 0 when every buffer serves its devices, 1 when one does not, 2 on a usage error', async () => {
  const out = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    assert.equal(await main([join(examples, 'dmabuf-deferred.dmabuf')]), 0);
    assert.equal(await main([join(examples, 'dmabuf-wrong-exporter.dmabuf'), '--json']), 1);
  } finally {
    process.stdout.write = out;
  }
  const err = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.equal(await main([]), 2);
  } finally {
    process.stderr.write = err;
  }
});

test('advise says when a limit cut the run short: the advice is then for the machine where it stopped', () => {
  const text = 'device isp\nbuf = dma_heap_alloc(system, 64K)\na = dma_buf_attach(buf, isp)\nrepeat 1000000000 {\n  dma_buf_begin_cpu_access(buf, TO_DEVICE)\n  dma_buf_end_cpu_access(buf, TO_DEVICE)\n}\n';
  assert.equal(adviseSource(text, 'x.dmabuf', { stepLimit: 5 }).stopped, 'stopped after 5 statements at the step limit');
  assert.equal(adviseSource('device isp\nbuf = dma_heap_alloc(system, 64K)\n', 'x.dmabuf').stopped, undefined);
});
