// Timing and reporting helpers shared by the benchmarks: best-of-N wall time, a full collection, a printed table.
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full garbage collection: run.ts passes --expose-gc; a bench run on its own enables it here. */
export function collectGarbage(): void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** Best of `repeats` runs, to keep the machine's noise out of the figure; the previous run's garbage is collected first. */
export function measure(fn: () => void, repeats: number): { ms: number } {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    collectGarbage();
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best };
}

export function peakRss(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function report(title: string, rows: [string, string][]): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n== ${title}\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}\n`);
}
