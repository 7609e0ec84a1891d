// Benchmark (b), (c): the machine's cost must follow statements, never bytes. Times kmalloc + cpu.write +
// dma_map_single + sync_for_cpu + cpu.read (+ device write, unmap, kfree) of 1 GiB beside the same on 4 KiB,
// and the memory the sequences take; and maps of one buffer that are never unmapped, whose cost may not grow with
// the mappings live.
import { Machine } from '../src/machine/machine';
import { performance } from 'node:perf_hooks';
import { report } from './measure';

const GiB = 2 ** 30;

function newMachine(prefetch: 'next-line' | 'speculative' = 'next-line'): Machine {
  return new Machine({
    platform: { arch: 'arm64', coherent: false, swiotlbForce: false },
    cache: { size: 32 * 1024, ways: 4, line: 64, prefetch },
    memory: { size: 8 * GiB, seed: 1 },
    devices: [{ name: 'isp', coherent: false, iommu: false, contiguous: false, dmaMask: 64 }],
  });
}

/** One sequence of statements on `size` bytes; returns the hazards it raised (there should be none). */
function sequence(m: Machine, size: number): number {
  let hazards = 0;
  let line = 0;
  const step = <T>(f: () => T): T => {
    m.begin({ line: ++line, column: 1 });
    const r = f();
    hazards += m.end().hazards.length;
    return r;
  };
  const p = step(() => m.kmalloc(size));
  step(() => m.cpuWrite(p, 0, size, 0x5a));
  const h = step(() => m.dmaMapSingle('isp', p, size, 'BIDIRECTIONAL', 0, false));
  step(() => m.deviceWrite('isp', h, 0, size, 0xa5));
  step(() => m.dmaSyncSingleForCpu('isp', h, size, 'BIDIRECTIONAL', 0));
  step(() => m.cpuRead(p, 0, size, 0xa5));
  step(() => m.dmaUnmapSingle('isp', h, size, 'BIDIRECTIONAL', false));
  step(() => m.kfree(p));
  return hazards;
}

/**
 * Times `rounds` sequences of each size, interleaved so that both see the same load on the host; returns the
 * median and the best time of one sequence per size.
 */
function timeSequences(sizes: number[], rounds: number): { median: number; best: number; hazards: number }[] {
  const machines = sizes.map(() => newMachine());
  const times = sizes.map(() => [] as number[]);
  let hazards = 0;
  for (let r = 0; r < rounds; r++) {
    sizes.forEach((size, k) => {
      const t0 = performance.now();
      hazards += sequence(machines[k], size);
      times[k].push(performance.now() - t0);
    });
  }
  return times.map((ts) => {
    ts.sort((a, b) => a - b);
    return { median: ts[Math.floor(ts.length / 2)], best: ts[0], hazards };
  });
}

/**
 * vmalloc's scattered pages (runs of 1 to 4 pages) written whole by the CPU, read back and freed: the cost may grow
 * with the pieces, never with the bytes (each piece's lines were once simulated one by one: 11.5 s for 1 GiB), nor
 * with the square of the pieces (each line written back once shifted every run of memory). Best of 3.
 */
function scatteredWrite(size: number): { ms: number; pieces: number } {
  return scattered(size, 'next-line', (m, v) => {
    m.cpuWrite(v, 0, size, 3);
    m.cpuRead(v, 0, size, 3);
  });
}

/**
 * The same pages mapped with dma_map_sg and written whole by a device under prefetch=speculative, which allocates
 * the written lines first (once piece by piece: 3.9 s for 1 GiB), then unmapped. Best of 3.
 */
function speculativeDeviceWrite(size: number): { ms: number; pieces: number } {
  return scattered(size, 'speculative', (m, v) => {
    const sg = m.dmaMapSg('isp', v, 'FROM_DEVICE', false);
    m.deviceWrite('isp', sg, 0, size, 3);
    m.dmaUnmapSg('isp', sg, 'FROM_DEVICE', false);
  });
}

/** vmalloc of `size`, `body` on it, vfree: the best time of 3, and the pieces. */
function scattered(size: number, prefetch: 'next-line' | 'speculative', body: (m: Machine, v: ReturnType<Machine['vmalloc']>) => void): { ms: number; pieces: number } {
  let best = Infinity;
  let pieces = 0;
  for (let r = 0; r < 3; r++) {
    const m = newMachine(prefetch);
    const t0 = performance.now();
    m.begin({ line: 1, column: 1 });
    const v = m.vmalloc(size);
    pieces = [...m.state.buffers.values()].reduce((n, b) => Math.max(n, b.segs.length), 0);
    body(m, v);
    m.vfree(v);
    m.end();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, pieces };
}

type Alloc = (m: Machine) => ReturnType<Machine['kmalloc']>;
type MapOnce = (m: Machine, p: ReturnType<Machine['kmalloc']>) => void;

/**
 * `n` maps of one buffer left mapped (a loop that never unmaps), one statement each: a map may cost no more with
 * more mappings of the range live (each map once copied and sorted the range's whole owner list: 67 s for 64,000).
 */
function repeatedMaps(n: number, alloc: Alloc, map: MapOnce): number {
  const m = newMachine();
  m.begin({ line: 1, column: 1 });
  const p = alloc(m);
  m.end();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    m.begin({ line: 2, column: 1 });
    map(m, p);
    m.end();
  }
  return performance.now() - t0;
}

function repeatedMapRows(what: string, alloc: Alloc, map: MapOnce): [string, string][] {
  const [t16, t64] = [16_000, 64_000].map((n) => repeatedMaps(n, alloc, map));
  const us = (ms: number, n: number): string => `${((ms * 1000) / n).toFixed(1)} us per map`;
  return [
    [`${what}, 16,000 times, never unmapped`, `${t16.toFixed(0)} ms, ${us(t16, 16_000)}`],
    [`the same, 64,000 times (goal ~4x the time)`, `${t64.toFixed(0)} ms, ${us(t64, 64_000)} (${(t64 / t16).toFixed(1)}x)`],
  ];
}

/**
 * One mapping of `n` × 128 bytes synced back 64 bytes in every 128 (`n` holes in what it owns), then synced whole to
 * the device, 10 times: the ms of the partial syncs and of the full ones. Each full sync walked the buffer's 2n runs
 * once per hole, n × 2n. Each partial sync copied the buffer's runs and the mapping's spans, so n of them cost n × n;
 * they are now changed in place where the piece is (copyOnWrite.ts).
 */
function fullSyncsAfterPartial(n: number): { partial: number; full: number } {
  const m = newMachine();
  m.begin({ line: 1, column: 1 });
  const p = m.kmalloc(n * 128);
  const h = m.dmaMapSingle('isp', p, n * 128, 'BIDIRECTIONAL', 0, false);
  m.end();
  let partial = 0;
  let full = 0;
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    m.begin({ line: 2, column: 1 });
    for (let k = 0; k < n; k++) m.dmaSyncSingleForCpu('isp', h, 64, 'BIDIRECTIONAL', k * 128);
    m.end();
    const t1 = performance.now();
    m.begin({ line: 3, column: 1 });
    m.dmaSyncSingleForDevice('isp', h, n * 128, 'BIDIRECTIONAL', 0);
    m.end();
    partial += t1 - t0;
    full += performance.now() - t1;
  }
  return { partial, full };
}

export async function run(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  timeSequences([4096, GiB], 50); // warm up
  gc?.();
  const before = process.memoryUsage();
  const [small, large] = timeSequences([4096, GiB], 2000);
  const after = process.memoryUsage();
  const us = (ms: number): string => `${(ms * 1000).toFixed(1)} us`;
  report('machine', [
    ['sequence', 'kmalloc, cpu.write, dma_map_single, DEV.write, sync_for_cpu, cpu.read, unmap, kfree'],
    ['4 KiB per sequence', `median ${us(small.median)}, best ${us(small.best)}`],
    ['1 GiB per sequence', `median ${us(large.median)}, best ${us(large.best)}`],
    ['ratio 1 GiB / 4 KiB (goal <= 2x)', `median ${(large.median / small.median).toFixed(2)}x, best ${(large.best / small.best).toFixed(2)}x`],
    ['hazards raised (should be 0)', `${large.hazards}`],
    ['heapUsed delta over 2 x 2000 sequences', `${((after.heapUsed - before.heapUsed) / 2 ** 20).toFixed(1)} MB`],
    ['rss delta over 2 x 2000 sequences', `${((after.rss - before.rss) / 2 ** 20).toFixed(1)} MB`],
  ]);
  const [v16, v64, v1g] = [16, 64, 1024].map((mb) => scatteredWrite(mb * 2 ** 20));
  const per = (x: { ms: number; pieces: number }): string => `${x.ms.toFixed(0)} ms, ${x.pieces} pieces, ${((x.ms * 1000) / x.pieces).toFixed(1)} us per piece`;
  report('machine', [
    ['vmalloc + cpu.write + cpu.read + vfree, 16 MiB', per(v16)],
    ['the same, 64 MiB (4x the pieces; goal ~4x the time)', `${per(v64)} (${(v64.ms / v16.ms).toFixed(1)}x)`],
    ['the same, 1 GiB (64x the pieces)', `${per(v1g)} (${(v1g.ms / v16.ms).toFixed(1)}x)`],
  ]);
  report('machine', [
    ...repeatedMapRows('dma_map_single of one 4 KiB kmalloc', (m) => m.kmalloc(4096), (m, p) => m.dmaMapSingle('isp', p, 4096, 'TO_DEVICE', 0, false)),
    ...repeatedMapRows('dma_map_sg of one 64 KiB vmalloc', (m) => m.vmalloc(64 * 1024), (m, p) => m.dmaMapSg('isp', p, 'TO_DEVICE', false)),
  ]);
  const [f2k, f8k] = [2000, 8000].map(fullSyncsAfterPartial);
  report('machine', [
    ['dma_sync_single_for_device of a whole mapping with 2,000 holes, 10 times', `${f2k.full.toFixed(0)} ms`],
    ['the same, 8,000 holes (goal ~4x the time)', `${f8k.full.toFixed(0)} ms (${(f8k.full / f2k.full).toFixed(1)}x)`],
    ['the 2,000 partial syncs that made the holes, 10 times', `${f2k.partial.toFixed(0)} ms`],
    ['the same, 8,000 (4x the syncs; goal ~4x the time)', `${f8k.partial.toFixed(0)} ms (${(f8k.partial / f2k.partial).toFixed(1)}x)`],
  ]);
  const [d16, d1g] = [16, 1024].map((mb) => speculativeDeviceWrite(mb * 2 ** 20));
  report('machine', [
    ['vmalloc + dma_map_sg + DEV.write (prefetch=speculative) + unmap + vfree, 16 MiB', per(d16)],
    ['the same, 1 GiB (64x the pieces)', `${per(d1g)} (${(d1g.ms / d16.ms).toFixed(1)}x)`],
  ]);
}

if (require.main === module) void run();
