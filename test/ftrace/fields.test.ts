// Fields by name (issue 6 item 1): key=value in any order, unknown fields kept, {...} arrays, counts, and the
// typed events of the dma, swiotlb, iommu and dma_fence groups across kernel versions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEvent } from '../../src/ftrace/events';
import { allFields, FieldIndex } from '../../src/ftrace/fields';
import { DMA_MAPPING_ERROR } from '../../src/ftrace/recordLayout';
import { TraceCursor } from '../../src/ftrace/reader';
import { ev } from './helpers';

function decode(event: string, body: string) {
  const r = TraceCursor.fromText(ev(1, event, body) + '\n').next();
  assert.ok(r);
  return decodeEvent(r);
}

const index = (body: string): FieldIndex => new FieldIndex().scan(body, 0, body.length);

test('fields are found by name whatever their order, and a key is not matched inside a longer key', () => {
  const f = index('dev size=12 dma_addrs={0x1} sizes={0x20} dma_addr=ff attrs=SKIP_CPU_SYNC');
  assert.equal(f.hex('dma_addr'), 0xff);
  assert.equal(f.dec('size'), 12);
  assert.equal(f.text('attrs'), 'SKIP_CPU_SYNC');
  assert.equal(f.text('missing'), undefined);
  assert.equal(f.word(0), 'dev');
  assert.ok(Number.isNaN(f.dec('attrs')));
});

test('{...} arrays of hex values and A/B counts are read; an array may hold spaces', () => {
  assert.deepEqual(index('x dma_addrs={0x1000, 0x2000} y=1').array('dma_addrs'), [0x1000, 0x2000]);
  assert.equal(index('x dma_addrs={0x1000, 0x2000} y=1').dec('y'), 1);
  assert.deepEqual(index('x a={}').array('a'), []);
  assert.equal(index('x a={0x1,zz}').array('a'), undefined);
  assert.equal(index('x a={0x1').array('a'), undefined);
  assert.equal(index('nents=128/269 ents=2/2').pairFull('nents'), 269);
  assert.ok(Number.isNaN(index('nents=128').pairFull('nents')));
});

test('every field is kept, unknown ones included: key=value, key: value, and positional words', () => {
  const f = allFields('dev_name: 0000:00:1f.2 dma_mask=ffffffff new_field=7 FORCE');
  assert.deepEqual(f, [
    { key: 'dev_name', value: '0000:00:1f.2' },
    { key: 'dma_mask', value: 'ffffffff' },
    { key: 'new_field', value: '7' },
    { key: '$0', value: 'FORCE' },
  ]);
  assert.deepEqual(allFields('IOMMU: iova=0x1000 - 0x2000 size=4096').map((x) => x.key), ['$0', 'iova', '$1', '$2', 'size']);
});

test('6.18 dma_map_phys and 6.12 dma_map_page decode to the same map, with unknown fields ignored', () => {
  const a = decode('dma_map_phys', '0000:00:02.0 dir=FROM_DEVICE dma_addr=2727000 size=4096 phys_addr=2727000 attrs=');
  const b = decode('dma_map_page', '0000:00:02.0 attrs= future=1 phys_addr=2727000 size=4096 dma_addr=2727000 dir=FROM_DEVICE');
  assert.deepEqual(a, b);
  assert.deepEqual(a, { op: 'map', device: '0000:00:02.0', dir: 'FROM_DEVICE', dma: 0x2727000, size: 4096, phys: 0x2727000, attrs: '' });
});

test('dma_map_sg keeps the full entry counts and says when the arrays were [TRUNCATED]', () => {
  const e = decode('dma_map_sg', 'd dir=BIDIRECTIONAL nents=2/300 ents=2/300 [TRUNCATED] dma_addrs={0x1000,0x3000} sizes={0x1000,0x1000} phys_addrs={0x1000,0x3000} attrs=');
  assert.equal(e.op, 'map_sg');
  if (e.op !== 'map_sg') return;
  assert.equal(e.nents, 300);
  assert.equal(e.truncated, true);
  assert.deepEqual(e.dmas, [0x1000, 0x3000]);
});

test('a failed map keeps DMA_MAPPING_ERROR; directions may be spelled DMA_TO_DEVICE', () => {
  const e = decode('dma_map_phys', 'd dir=DMA_TO_DEVICE dma_addr=ffffffffffffffff size=8 phys_addr=1000 attrs=');
  assert.equal(e.op === 'map' && e.dma, DMA_MAPPING_ERROR);
  assert.equal(e.op === 'map' && e.dir, 'TO_DEVICE');
});

test('swiotlb_bounced, iommu map/unmap and dma_fence events decode by their fields', () => {
  assert.deepEqual(decode('swiotlb_bounced', 'dev_name: 0000:00:02.0 dma_mask=ffffffff dev_addr=2788040 size=1522 FORCE'),
    { op: 'bounce', device: '0000:00:02.0', phys: 0x2788040, size: 1522, dmaMask: 0xffffffff, forced: true });
  assert.deepEqual(decode('map', 'IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 paddr=0x000000000c602000 size=4096'),
    { op: 'iommu_map', iova: 0xfffff000, paddr: 0xc602000, size: 4096 });
  assert.deepEqual(decode('unmap', 'IOMMU: iova=0x00000000ffefc000 - 0x00000000ffefd000 size=4096 unmapped_size=4096'),
    { op: 'iommu_unmap', iova: 0xffefc000, size: 4096, unmapped: 4096 });
  assert.deepEqual(decode('dma_fence_emit', 'driver=virtio_gpu timeline=controlq context=1 seqno=2'),
    { op: 'fence', what: 'emit', driver: 'virtio_gpu', timeline: 'controlq', context: 1, seqno: 2 });
});

test('a known event without its fields is bad (a malformed line); other events are opaque steps', () => {
  assert.equal(decode('dma_unmap_phys', 'd dir=TO_DEVICE size=8').op, 'bad');
  assert.equal(decode('dma_map_phys', 'd dir=SIDEWAYS dma_addr=1 size=8 phys_addr=1').op, 'bad');
  assert.equal(decode('sched_switch', 'prev_comm=a prev_pid=1').op, 'other');
  assert.equal(decode('map', 'something else').op, 'other');
});
