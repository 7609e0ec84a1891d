// Single mappings kept as numbers until asked for (LiveSegments), cache lines held by (device, dma address)
// (CacheLines), and the checker's findings whether a mapping's objects are made at once or only when needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CacheLines } from '../../src/ftrace/cacheLines';
import { TraceChecker, type CheckOptions } from '../../src/ftrace/checker';
import type { DmaEvent, TraceDirection } from '../../src/ftrace/events';
import type { TraceFinding } from '../../src/ftrace/findings';
import { LiveSegments } from '../../src/ftrace/liveSegments';

const origin = { line: 7, offset: 700, timestamp: 1.25, cpu: 1, epoch: 2 };

test('a single mapping kept as numbers becomes the mapping and segment a map would have made, once', () => {
  const t = new LiveSegments('dev');
  t.addSingle(5, 0x1000, 256, 0x1000, 'FROM_DEVICE', 'SKIP_CPU_SYNC', false, origin);
  t.addSingle(6, 0x2000, 64, 0x9000, 'TO_DEVICE', '', true, origin);
  const slot = t.find(0x1000);
  assert.equal(t.isNumbers(slot), true);
  assert.deepEqual([t.sizeAt(slot), t.physAt(slot), t.lineAt(slot), t.timestampAt(slot)], [256, 0x1000, 7, 1.25]);
  const s = t.get(0x1000)!;
  const { segments, ...m } = s.mapping;
  assert.deepEqual(m, { id: 5, kind: 'single', device: 'dev', dir: 'FROM_DEVICE', attrs: 'SKIP_CPU_SYNC', nents: 0, truncated: false, bounced: false, identity: true, origin });
  assert.deepEqual([segments.length, segments[0] === s, s.index, s.dma, s.size, s.phys], [1, true, 0, 0x1000, 256, 0x1000]);
  assert.equal(t.isNumbers(t.find(0x1000)), false);
  assert.equal(t.get(0x1000), s, 'the same objects every time');
  const bounced = t.get(0x2000)!.mapping;
  assert.deepEqual([bounced.bounced, bounced.identity, bounced.dir], [true, false, 'TO_DEVICE']);
});

test('a segment is found by any address in its range, the nearest start first; a copy makes its own objects and takes no later change', () => {
  const t = new LiveSegments('dev');
  t.addSingle(1, 0x1000, 0x100, 0x5000, 'TO_DEVICE', '', false, origin);
  assert.equal(t.holding(0x10ff)?.dma, 0x1000);
  assert.equal(t.holding(0x1100), undefined);
  t.addSingle(2, 0x3000, 0, 0x6000, 'TO_DEVICE', '', false, origin);
  assert.equal(t.holding(0x3000)?.mapping.id, 2, 'a mapping of no size is still the one its address names');
  const c = t.clone();
  assert.equal(t.delete(0x1000, t.get(0x1000)!), true);
  assert.equal(t.find(0x1000), -1);
  assert.equal(c.get(0x1000)?.mapping.id, 1);
  assert.equal(c.delete(0x1000, { ...c.get(0x1000)! }), false, 'only the segment held there');
  assert.notEqual(c.find(0x1000), -1);
});

test('of overlapping ranges, an address inside both belongs to the one starting nearest below it (of those holding all the bytes asked for), however the table grew', () => {
  for (const order of [[0, 1], [1, 0]]) {
    for (const others of [0, 100]) {
      const t = new LiveSegments('dev');
      for (let i = 0; i < others; i++) t.addSingle(10 + i, 0x100000 + i * 0x1000, 16, 0, 'TO_DEVICE', '', false, origin);
      const ranges: [number, number][] = [[0x1000, 0x1000], [0x1200, 0x100]];
      for (const i of order) t.addSingle(i + 1, ranges[i][0], ranges[i][1], 0, 'TO_DEVICE', '', false, origin);
      assert.deepEqual([0x1250, 0x1400, 0x1200].map((a) => t.holding(a)?.mapping.id), [2, 1, 2], `order ${order}, ${others} others`);
      // A range of bytes goes to the one holding all of it, as dma-debug's containing match finds a sync's mapping.
      assert.deepEqual([t.holding(0x1250, 0x200)?.mapping.id, t.holding(0x1200, 0x200)?.mapping.id, t.holding(0x1250, 0x10000)?.mapping.id], [1, 1, 2]);
      // By physical address the same way.
      const p = new LiveSegments('dev');
      const phys: [number, number, number][] = [[0x9000, 0x50000, 0x1000], [0xa000, 0x50200, 0x100]];
      for (const i of order) p.addSingle(i + 1, phys[i][0], phys[i][2], phys[i][1], 'TO_DEVICE', '', false, origin);
      assert.deepEqual([0x50250, 0x50400].map((a) => p.holdingPhys(a)?.mapping.id), [2, 1]);
    }
  }
});

test('a cache line passes from its holder to the segments that overlapped it, in order', () => {
  const lines = new CacheLines();
  lines.add(9, 0, 0x1000, 0);
  lines.add(9, 1, 0x1000, 0);
  lines.add(9, 0, 0x2000, 0);
  lines.add(9, 0, 0x2000, 1);
  assert.deepEqual(lines.holder(9), { device: 0, dma: 0x1000, index: 0 });
  const copy = lines.clone();
  lines.remove(9, 0, 0x1000, 0);
  assert.deepEqual(lines.holder(9), { device: 1, dma: 0x1000, index: 0 }, 'the same address of another device is another segment');
  lines.remove(9, 0, 0x2000, 1);
  lines.remove(9, 0, 0x3000, 0);
  assert.deepEqual(lines.holder(9), { device: 1, dma: 0x1000, index: 0 });
  lines.remove(9, 1, 0x1000, 0);
  assert.deepEqual(lines.holder(9), { device: 0, dma: 0x2000, index: 0 }, 'another entry of a list at the same address is another segment');
  lines.remove(9, 0, 0x2000, 0);
  assert.equal(lines.held(9), false);
  assert.deepEqual(copy.holder(9), { device: 0, dma: 0x1000, index: 0 });
});

// Random events on few addresses and lines, two devices: collisions, dma-direct mappings, bounces, sg lists.
const DEVICES = ['a', 'b'];
const DIRS: TraceDirection[] = ['TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL'];
const addr = fc.integer({ min: 0, max: 5 }).map((k) => 0x10000 + k * 0x20);
// Mostly the same direction and size, so that many unmaps and syncs match their map (the path kept as numbers).
const common = { device: fc.constantFrom(...DEVICES), dir: fc.constantFrom(...DIRS, 'FROM_DEVICE', 'FROM_DEVICE'), dma: addr, size: fc.constantFrom(0x20, 0x20, 0x20, 0x40) };
const event: fc.Arbitrary<DmaEvent> = fc.oneof(
  fc.record({ op: fc.constant('map' as const), ...common, phys: fc.oneof(addr, fc.constant(-1)), attrs: fc.constantFrom('', 'SKIP_CPU_SYNC', 'CACHE_CLEAN') })
    .map((e) => ({ ...e, phys: e.phys < 0 ? e.dma : e.phys })),
  fc.record({ op: fc.constant('unmap' as const), ...common, attrs: fc.constant('') }),
  fc.record({ op: fc.constant('sync' as const), forCpu: fc.boolean(), ...common }),
  fc.record({ op: fc.constant('bounce' as const), device: common.device, phys: addr, size: common.size, dmaMask: fc.constant(2 ** 32 - 1), forced: fc.constant(true) }),
  fc.record({ op: fc.constant('map_sg' as const), device: common.device, dir: common.dir, attrs: fc.constant(''), dmas: fc.array(addr, { minLength: 1, maxLength: 3 }), phys: fc.array(addr, { minLength: 3, maxLength: 3 }) })
    .map((e) => ({ ...e, nents: e.dmas.length, ents: e.dmas.length, truncated: false, sizes: e.dmas.map(() => 0x20), phys: e.phys.slice(0, e.dmas.length) })),
  fc.record({ op: fc.constant('unmap_sg' as const), device: common.device, dir: common.dir, attrs: fc.constant(''), phys: fc.array(addr, { minLength: 1, maxLength: 3 }) }),
  fc.record({ op: fc.constant('free' as const), api: fc.constant('coherent' as const), device: common.device, dma: addr, size: common.size }),
);

/** Findings and per-device figures of `events`; `eager` makes every live mapping's objects after each event. */
function run(events: DmaEvent[], eager: boolean, options: CheckOptions): unknown {
  const findings: TraceFinding[] = [];
  const c = new TraceChecker((f) => findings.push(f), options);
  events.forEach((e, i) => {
    c.applyEvent(e, i + 1, i * 100, i / 1000, i % 2);
    if (eager) for (const d of c.devices.values()) d.mappings();
  });
  c.finish();
  const devices = [...c.devices.values()].map((d) => ({ name: d.name, stats: d.stats, live: d.live, mappings: d.mappings().map((m) => ({ ...m, segments: m.segments.map(({ mapping, ...s }) => s), supersededBy: undefined })) }));
  // Who holds each line the addresses fall in.
  const lines = [0, 1, 2].map((i) => c.cachelines.holder(0x10000 / 64 + i));
  return { findings, devices, lines };
}

test('the findings and figures are the same whether mappings are objects from the start or only when asked', () => {
  for (const options of [{}, { fromBoot: true }, { keepReleased: true }]) {
    fc.assert(fc.property(fc.array(event, { maxLength: 60 }), (events) => {
      assert.deepEqual(run(events, false, options), run(events, true, options));
    }), { numRuns: 400 });
  }
});
