// Go to definition and find references in a capture: from an unmap, sync or free to the line that mapped or allocated
// what it releases, as the checker's state just before it holds it (nothing for other events, or when the map came
// before the trace); from a map to the syncs and the release of what it mapped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEvent, type DmaEvent } from '../../src/ftrace/events';
import { parseLine } from '../../src/ftrace/lineParser';
import { MappingLinks } from '../../src/ftrace/mappingLinks';
import { TraceCursor } from '../../src/ftrace/reader';
import { captureLines, captures, ev } from './helpers';

function eventOf(lines: string[], line: number): DmaEvent {
  const text = lines[line - 1];
  const r = parseLine(text, 0, text.length, line, 0);
  return r?.kind === 'event' ? decodeEvent(r) : { op: 'other' };
}

const RELEASES = new Set(['unmap', 'unmap_sg', 'sync', 'sync_sg', 'free', 'iommu_unmap']);

/** Whether `map` made what `release` releases: the same device and address (inside one of its entries, for a sync). */
function makes(map: DmaEvent, release: DmaEvent): boolean {
  const inside = (dmas: number[], sizes: number[], a: number) => dmas.some((d, i) => a >= d && a < d + Math.max(sizes[i], 1));
  switch (release.op) {
    case 'unmap':
    case 'sync':
      return (map.op === 'map' && map.device === release.device && release.dma >= map.dma && release.dma < map.dma + Math.max(map.size, 1))
        || (map.op === 'map_sg' && map.device === release.device && inside(map.dmas, map.sizes, release.dma));
    case 'sync_sg':
      return map.op === 'map_sg' && map.device === release.device && inside(map.dmas, map.sizes, release.dmas[0]);
    case 'unmap_sg':
      return map.op === 'map_sg' && map.device === release.device && map.phys[0] === release.phys[0];
    case 'free':
      return map.op === 'alloc' && map.device === release.device && map.dma === release.dma;
    case 'iommu_unmap':
      return map.op === 'iommu_map' && map.iova === release.iova;
  }
  return false;
}

test("udmabuf's unmaps go to the maps they mismatch", () => {
  const lines = captureLines('udmabuf-noiommu.trace.txt');
  const links = new MappingLinks(TraceCursor.fromText(lines.join('\n')));
  const at = (line: number) => links.mappedAt(line);
  assert.deepEqual([at(16), at(19)], [15, 18]);
  const releases = (line: number) => links.releasesOf(line);
  assert.deepEqual([releases(15), releases(18), releases(16), releases(14)], [[16], [19], [], []]);
  assert.equal(at(15), undefined, 'a map releases nothing');
  assert.equal(at(14), undefined, 'a marker');
  assert.equal(at(1), undefined, 'the header');
  assert.equal(at(999), undefined, 'past the end');
});

test('in every real capture, a release goes to an earlier line that mapped or allocated the same address', () => {
  let resolved = 0;
  for (const name of captures()) {
    const lines = captureLines(name);
    const text = lines.join('\n');
    const releases = lines.map((_, i) => i + 1).filter((n) => RELEASES.has(eventOf(lines, n).op));
    const links = new MappingLinks(TraceCursor.fromText(text));
    for (const line of releases) {
      const at = links.mappedAt(line);
      if (at === undefined) continue;
      resolved++;
      assert.ok(at < line && makes(eventOf(lines, at), eventOf(lines, line)), `${name}:${line} -> ${at}: ${lines[at - 1]}`);
      // And back: the map's references hold the release, and end with its unmap or free if they reach one.
      const back = links.releasesOf(at);
      assert.ok(back.includes(line), `${name}:${at} -> ${back} lacks ${line}`);
      assert.ok(back.slice(0, -1).every((l) => !['unmap', 'unmap_sg', 'free', 'iommu_unmap'].includes(eventOf(lines, l).op)), `${name}:${at} -> ${back}`);
    }
  }
  assert.ok(resolved >= 10000, `${resolved} releases resolved`);
});

test('a release of what was mapped before the trace began, or of nothing, goes nowhere; the newest map wins', () => {
  const text = [
    ev(1, 'dma_unmap_phys', 'dev dir=TO_DEVICE dma_addr=1000 size=64 attrs='),
    ev(2, 'dma_map_phys', 'dev dir=TO_DEVICE dma_addr=2000 size=64 phys_addr=5000 attrs='),
    ev(3, 'dma_unmap_phys', 'dev dir=TO_DEVICE dma_addr=2000 size=64 attrs='),
    ev(4, 'dma_map_phys', 'dev dir=FROM_DEVICE dma_addr=2000 size=128 phys_addr=6000 attrs='),
    ev(5, 'dma_sync_single_for_cpu', 'dev dir=FROM_DEVICE dma_addr=2040 size=16'),
    ev(6, 'dma_unmap_phys', 'other dir=FROM_DEVICE dma_addr=2000 size=128 attrs='),
  ].join('\n');
  const links = new MappingLinks(TraceCursor.fromText(text));
  const at = (line: number) => links.mappedAt(line);
  assert.deepEqual([1, 3, 5, 6].map(at), [undefined, 2, 4, undefined]);
  const releases = (line: number) => links.releasesOf(line);
  assert.deepEqual([2, 4].map(releases), [[3], [5]], 'another device\'s unmap of the address is not this mapping\'s');
});

test('a release of the wrong kind goes to what the checker says it releases: an unmap to an allocation, a free to a mapping', () => {
  const free = (ts: number, dma: string) => ev(ts, 'dma_free', `dev dir=BIDIRECTIONAL dma_addr=${dma} size=64 virt_addr=00000000f07f6c93 attrs=`);
  const links = new MappingLinks(TraceCursor.fromText([
    ev(1, 'dma_alloc', 'dev dir=BIDIRECTIONAL dma_addr=9000 size=64 virt_addr=00000000f07f6c93 flags=GFP_KERNEL attrs='),
    ev(2, 'dma_unmap_phys', 'dev dir=BIDIRECTIONAL dma_addr=9000 size=64 attrs='),
    ev(3, 'dma_map_phys', 'dev dir=TO_DEVICE dma_addr=1000 size=64 phys_addr=1000 attrs='),
    free(4, '1000'),
    // Released already: nothing to go to.
    free(5, '9000'),
  ].join('\n')));
  assert.deepEqual([2, 4, 5].map((l) => links.mappedAt(l)), [1, 3, undefined]);
  assert.deepEqual([1, 3].map((l) => links.releasesOf(l)), [[2], [4]]);
});

test('an sg unmap that check-trace finds releasing a dma-direct single mapping (by the wrong function, left mapped) refers to it without ending it', () => {
  const D = 'nvme0';
  const unmapSg = (t: number) => ev(t, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x20000,0x30000} attrs=`);
  const links = new MappingLinks(TraceCursor.fromText([
    ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x20000,0x30000} sizes={0x1000,0x1000} phys_addrs={0x20000,0x30000} attrs=`),
    unmapSg(2),
    ev(3, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=20000 size=4096 phys_addr=20000 attrs=`),
    unmapSg(4),
    ev(5, 'dma_unmap_phys', `${D} dir=TO_DEVICE dma_addr=20000 size=4096 attrs=`),
  ].join('\n')));
  assert.deepEqual([2, 4, 5].map((l) => links.mappedAt(l)), [1, 3, 3]);
  assert.deepEqual([1, 3].map((l) => links.releasesOf(l)), [[2], [4, 5]]);
});
