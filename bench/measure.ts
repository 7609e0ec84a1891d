// Timing and reporting helpers shared by the benchmarks: best-of-N wall time and a printed table.
import { performance } from 'node:perf_hooks';

/** Best of `repeats` runs, to keep the machine's noise out of the figure. */
export function measure(fn: () => void, repeats: number): { ms: number } {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    // The previous repeat's garbage is collected first (run.ts passes --expose-gc), so it is neither timed nor held.
    (globalThis as { gc?: () => void }).gc?.();
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
