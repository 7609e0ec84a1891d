// Benchmark (issue #4): the debug adapter's recording and time travel on a 1,000,000-step run: stepBack at the
// end beside one forward step, reverseContinue across the whole run, recorded bytes per step, and
// launch-to-first-stop of a 100-line scenario through the stdio adapter.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { BreakpointTable } from '../src/adapter/breakpoints';
import { Navigator } from '../src/adapter/navigator';
import { openProgram } from '../src/adapter/programs';
import { Recording } from '../src/adapter/recording';
import { StopFinder } from '../src/adapter/stopFinder';
import { collectGarbage, measure, peakRss, report } from './measure';

/**
 * A loop of five steps per iteration. Receive (`deviceWrites`): map FROM_DEVICE, device write, sync for the CPU,
 * CPU read, unmap. Transmit: CPU write, map TO_DEVICE, device read, sync for the CPU, unmap; no write of the
 * device's, so only the CPU's write origins come and go.
 */
function loopScenario(steps: number, deviceWrites: boolean): string {
  const body = deviceWrites
    ? ['h = dma_map_single(nic, rx, 2KiB, FROM_DEVICE)', 'nic.write(h, 0, 64, 0x5A)', 'dma_sync_single_for_cpu(nic, h, 2KiB, FROM_DEVICE)', 'cpu.read(rx, 0, 64)', 'dma_unmap_single(nic, h, 2KiB, FROM_DEVICE)']
    : ['cpu.write(rx, 0, 64, 0x5A)', 'h = dma_map_single(nic, rx, 2KiB, TO_DEVICE)', 'nic.read(h, 0, 64)', 'dma_sync_single_for_cpu(nic, h, 2KiB, TO_DEVICE)', 'dma_unmap_single(nic, h, 2KiB, TO_DEVICE)'];
  return ['platform arm64', 'device nic', 'rx = kmalloc(4KiB)', `repeat ${Math.ceil(steps / 5)} {`, ...body.map((l) => '  ' + l), '}', 'kfree(rx)', ''].join('\n');
}

/** About 100 lines of straight-line streaming and cache statements. */
function hundredLines(): string {
  const lines = ['platform arm64', 'device nic', 'rx = kmalloc(4KiB)'];
  while (lines.length < 98) {
    lines.push('h = dma_map_single(nic, rx, 4KiB, FROM_DEVICE)', 'nic.write(h, 0, 64, 0x5A)', 'dma_unmap_single(nic, h, 4KiB, FROM_DEVICE)', 'cpu.read(rx, 0, 64) expect 0x5A');
  }
  lines.push('kfree(rx)');
  return lines.join('\n') + '\n';
}

/** Bytes the process holds (V8 heap and array buffers) after a full collection. */
function heldBytes(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function writeTemp(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmabuf-bench-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function launchToFirstStop(): Promise<number> {
  const program = writeTemp('hundred.dmabuf', hundredLines());
  const adapter = path.resolve(__dirname, '../../dist/debugAdapter.js');
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const dc = new DebugClient('node', adapter, 'dmabuf');
    await dc.start();
    const t0 = performance.now();
    await dc.initializeRequest({ adapterID: 'dmabuf', pathFormat: 'path' });
    const initialized = dc.waitForEvent('initialized');
    const launched = dc.launchRequest({ program, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const stopped = dc.waitForEvent('stopped');
    await dc.configurationDoneRequest();
    await launched;
    await stopped;
    best = Math.min(best, performance.now() - t0);
    await dc.stop();
  }
  return best;
}

/** Records the loop and times the motions at its end. */
function timeTravel(title: string, target: number, deviceWrites: boolean): void {
  const program = writeTemp('loop.dmabuf', loopScenario(target, deviceWrites));
  const opened = openProgram({ program, stopOnEntry: true, stepLimit: target });
  if ('errors' in opened) throw new Error(opened.errors.join('\n'));
  const engine = opened.engine;
  // What the recording holds is what the process holds more once it is made: the syntax tree, which every
  // snapshot's frames point into, and the live machine were there before and are not counted.
  const heldBefore = heldBytes();
  const rec = new Recording(engine);
  const t0 = performance.now();
  rec.recordSteps();
  const recordMs = performance.now() - t0;
  const recordingBytes = heldBytes() - heldBefore;
  const table = new BreakpointTable(engine, rec);
  table.setHazardFilters([]);
  const nav = new Navigator(rec, engine, new StopFinder(rec, engine, table, () => undefined));

  // A forward step executes one statement and keeps the state it leaves; a stepBack hands that state back, or
  // restores the nearest snapshot and replays. Each trial first stands at its start (untimed), then times the
  // motion and the settling of the state it shows.
  const n = rec.length;
  // No collection between trials (unlike `measure`): right after one, allocation waits for the sweeper, which
  // would swamp motions of a few microseconds.
  const timed = (setup: () => void, motion: () => void, trials: number): number => {
    let best = Infinity;
    for (let i = 0; i < trials; i++) {
      setup();
      nav.settle();
      const t = performance.now();
      motion();
      nav.settle();
      best = Math.min(best, performance.now() - t);
    }
    return best;
  };
  const forwardMs = timed(() => nav.goto(n - 2), () => nav.next(), 5);
  const backMs = timed(() => nav.goto(n - 1), () => nav.stepBack(), 5);
  const repeatedBackMs = timed(() => undefined, () => nav.stepBack(), 5);
  // The worst stepBack: the first into a segment arrived at from elsewhere (goto), which replays the segment.
  const firstBackMs = timed(() => {
    nav.goto(0);
    nav.settle();
    nav.goto(n - 1);
  }, () => nav.stepBack(), 3);

  table.setLines([{ line: 3 }]); // the first statement only: reverse continue crosses the whole run
  nav.goto(n - 1);
  nav.settle();
  const reverse = measure(() => {
    nav.goto(n - 1);
    nav.reverseContinue();
    nav.settle();
  }, 3);

  const recordBytes = rec.recordBytes();
  const snapBytes = recordingBytes - recordBytes;
  report(title, [
    ['run recorded', `${n.toLocaleString('en')} steps in ${(recordMs / 1000).toFixed(1)} s, ${rec.segmentCount} snapshots`],
    ['forward step at the end', `${forwardMs.toFixed(3)} ms`],
    ['stepBack at the end (goal <= 2x forward)', `${backMs.toFixed(3)} ms (${(backMs / forwardMs).toFixed(1)}x)`],
    ['repeated stepBack (best)', `${repeatedBackMs.toFixed(3)} ms`],
    ['first stepBack after a goto (the worst: replays a segment)', `${firstBackMs.toFixed(2)} ms`],
    ['reverseContinue across the run (goal < 1 s)', `${reverse.ms.toFixed(0)} ms`],
    ['recorded bytes per step (goal <= 100)', `${(recordingBytes / n).toFixed(1)}: ${(recordBytes / n).toFixed(1)} in records + ${(snapBytes / n).toFixed(1)} in snapshots and array slack`],
    ['  (how)', `heap and array buffers after GC, after recording minus before; ${rec.segmentCount} snapshots, ${(snapBytes / rec.segmentCount / 1024).toFixed(1)} KiB each`],
  ]);
}

export async function run(): Promise<void> {
  const target = Number(process.env.ADAPTER_BENCH_STEPS ?? 1_000_000);
  timeTravel('adapter: time travel, device writes every 5 steps', target, true);
  timeTravel('adapter: time travel, a transmit loop (the device reads)', target, false);
  report('adapter: launch', [
    ['launch to first stop, 100 lines (stdio)', `${(await launchToFirstStop()).toFixed(0)} ms`],
    ['peak RSS', `${peakRss()} MB`],
  ]);
}

if (require.main === module) void run();
