// `import` (issue 6 item 5): a capture's DMA calls as a scenario the language parser accepts, devices named by
// identifiers with the trace's names in comments, phys() buffers, and one statement per event.
import assert from 'node:assert/strict';
import * as path from 'path';
import { test } from 'node:test';
import { importTrace } from '../../src/ftrace/importer';
import { deviceIdentifiers } from '../../src/ftrace/names';
import { TraceCursor } from '../../src/ftrace/reader';
import { parseScenario } from '../../src/language';
import { captures, ev, TRACES } from './helpers';

function importText(text: string): string {
  let out = '';
  importTrace(TraceCursor.fromText(text), TraceCursor.fromText(text), 'test.trace', (t) => (out += t));
  return out;
}

function importCapture(name: string): string {
  const file = path.join(TRACES, name);
  let out = '';
  importTrace(TraceCursor.open(file), TraceCursor.open(file), name, (t) => (out += t));
  return out;
}

test('device names become identifiers, unique, with the language\'s identifier characters only', () => {
  const ids = deviceIdentifiers(['0000:00:02.0', 'udmabuf', '0000_00_02_0', 'a-b.c']);
  assert.deepEqual([...ids.values()], ['dev_0000_00_02_0', 'dev_udmabuf', 'dev_0000_00_02_0_2', 'dev_a_b_c']);
});

for (const name of captures()) {
  test(`the import of ${name} parses without errors`, () => {
    const text = importCapture(name);
    const { diagnostics } = parseScenario(text, `${name}.dmabuf`);
    assert.deepEqual(diagnostics.slice(0, 3), []);
  });
}

test('each DMA call becomes one statement with its line, timestamp and task as a comment', () => {
  const D = '0000:00:02.0';
  const text = importText([
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

test('an sg list becomes one dma_map_sg per mapped segment; devices behind an IOMMU are declared so', () => {
  const D = 'udmabuf';
  const text = importText([
    ev(1, 'dma_map_sg', `${D} dir=TO_DEVICE nents=2/2 ents=2/2 dma_addrs={0xfff00000,0xfff01000} sizes={0x1000,0x1000} phys_addrs={0x10000,0x30000} attrs=`),
    ev(2, 'dma_unmap_sg', `${D} dir=TO_DEVICE phys_addrs={0x10000,0x30000} attrs=`),
  ].join('\n'));
  assert.match(text, /^device dev_udmabuf iommu {2}# udmabuf$/m);
  assert.match(text, /^sg1_0 = dma_map_sg\(dev_udmabuf, p_10000_4096, TO_DEVICE\)/m);
  assert.match(text, /^sg1_1 = dma_map_sg\(dev_udmabuf, p_30000_4096, TO_DEVICE\)/m);
  assert.match(text, /^dma_unmap_sg\(dev_udmabuf, sg1_1, TO_DEVICE\)/m);
  assert.deepEqual(parseScenario(text, 'x.dmabuf').diagnostics, []);
});
