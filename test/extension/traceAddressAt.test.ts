// The address a hover over a kernel trace's text evaluates: address fields and list entries, not other numbers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { traceAddressAt } from '../../src/extension/traceAddressAt';

/** The expression found with the mouse on the first occurrence of `at` (plus `offset` characters) in `line`. */
const hover = (line: string, at: string, offset = 0) => traceAddressAt(line, line.indexOf(at) + offset)?.expression;

const MAP = '         exe-256 [001] dBH1.  13.292411: dma_map_phys: 0000:00:02.0 dir=TO_DEVICE dma_addr=fffed002 size=1442 phys_addr=c602002 attrs=';
const SG = '  udmabuf-sync-157 [000] ..... 5.434555: dma_map_sg: udmabuf dir=TO_DEVICE nents=2/2 ents=2/2 dma_addrs={0x1018c000,0x1d5e000} sizes={0x1000,0x1000}';
const IOMMU = '          ip-169 [000] ..... 7.685901: map: IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 paddr=0x000000000c602000 size=4096';

test('a hover on an address field, anywhere in its value, evaluates the whole value as printed', () => {
  assert.equal(hover(MAP, 'fffed002'), 'fffed002');
  assert.equal(hover(MAP, 'fffed002', 7), 'fffed002');
  assert.equal(hover(MAP, 'c602002', 3), 'c602002');
  assert.equal(hover(IOMMU, '0x00000000fffff000', 1), '0x00000000fffff000');
  assert.equal(hover(IOMMU, '0x000000000c602000'), '0x000000000c602000');
  assert.deepEqual(traceAddressAt(MAP, MAP.indexOf('fffed002') + 2), { expression: 'fffed002', start: MAP.indexOf('fffed002'), end: MAP.indexOf('fffed002') + 8 });
});

test("each entry of an sg list's dma or phys addresses, and an IOVA range's end, are addresses", () => {
  assert.equal(hover(SG, '0x1018c000'), '0x1018c000');
  assert.equal(hover(SG, '0x1d5e000', 4), '0x1d5e000');
  assert.equal(hover(IOMMU, '0x0000000100000000', 5), '0x0000000100000000');
});

test('sizes, sg sizes, pids, CPUs, timestamps, flags and words are no address', () => {
  for (const [line, at] of [[MAP, '1442'], [MAP, '256'], [MAP, '001'], [MAP, '13.292411'], [MAP, 'dBH1'], [MAP, 'TO_DEVICE'], [MAP, 'dma_addr'], [SG, '0x1000'], [SG, '2/2'], [IOMMU, '4096']] as const) {
    assert.equal(hover(line, at), undefined, at);
  }
  assert.equal(traceAddressAt('', 0), undefined);
  assert.equal(hover('x virt_addr=ffff8881 y', 'ffff8881'), undefined);
});
