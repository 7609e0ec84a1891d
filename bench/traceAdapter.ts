// Benchmark of debugging a large trace: builds a capture of TRACE_ADAPTER_BENCH_MB MiB (default 200) from a real one
// (as bench/ftrace.ts does), records it as the debug adapter does at launch, then times seeks to anywhere in it,
// repeated stepBack, a continue that scans every event, and function breakpoints on an event name and a dma
// address. Memory: the bytes the recording retains per event (page index, steps with findings, snapshot positions)
// and the process's peak RSS.
import { BreakpointTable } from '../src/adapter/breakpoints';
import { Recording } from '../src/adapter/recording';
import { StopFinder } from '../src/adapter/stopFinder';
import { TraceEngine } from '../src/adapter/traceEngine';
import { withBuiltTrace } from './ftrace';

const SEEKS = 20;

const ms = (t: number): string => `${(performance.now() - t).toFixed(0)} ms`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export async function run(): Promise<void> {
  const mb = Number(process.env.TRACE_ADAPTER_BENCH_MB ?? 200);
  await withBuiltTrace(mb, process.env.TRACE_ADAPTER_BENCH_TRACE ?? 'e1000e-intel-iommu.trace.txt', (file, size) => {
    let t = performance.now();
    const engine = new TraceEngine(file);
    const rec = new Recording(engine);
    // As the session records: chunks of 50,000 steps between progress reports.
    let chunks = 0;
    while (!rec.recordSteps(50_000)) chunks++;
    const recordMs = performance.now() - t;
    console.log(`traceAdapter: recorded ${mib(size)} (${rec.length} events) in ${recordMs.toFixed(0)} ms (${(size / 2 ** 20 / (recordMs / 1000)).toFixed(0)} MiB/s), ${chunks} progress reports`);
    const retained = rec.recordBytes() + engine.recordBytes();
    console.log(`traceAdapter: retained per event ${(retained / rec.length).toFixed(3)} B (${(rec.recordBytes() / rec.length).toFixed(3)} B of recording + ${(engine.recordBytes() / rec.length).toFixed(3)} B of page index), plus ${engine.checkpointCount} checkpoints and ${mib(engine.columns.cacheBytes())} of decoded pages; heap ${mib(process.memoryUsage().heapUsed)}, peak RSS ${mib(process.resourceUsage().maxRSS * 1024)} so far`);

    let worst = 0;
    t = performance.now();
    for (let i = 0; i < SEEKS; i++) {
      const s = performance.now();
      rec.seek(Math.floor(((i * 7919) % SEEKS) / SEEKS * rec.length));
      worst = Math.max(worst, performance.now() - s);
    }
    console.log(`traceAdapter: ${SEEKS} seeks anywhere: ${((performance.now() - t) / SEEKS).toFixed(1)} ms each, worst ${worst.toFixed(0)} ms`);

    const at = Math.floor(rec.length * 0.75);
    rec.seek(at);
    t = performance.now();
    for (let i = 0; i < 100; i++) rec.seek(at - i - 1);
    console.log(`traceAdapter: 100 stepBacks: ${((performance.now() - t) / 100).toFixed(2)} ms each`);

    // A continue with a line breakpoint on the last event: the stop finder looks at every step.
    const table = new BreakpointTable(engine, rec);
    table.setHazardFilters([]);
    const lastLine = engine.statements[rec.length - 1].line;
    table.setLines([{ line: lastLine }]);
    const finder = new StopFinder(rec, engine, table, () => undefined);
    t = performance.now();
    const stop = finder.forward(-1);
    console.log(`traceAdapter: continue over every event to line ${lastLine}: ${stop ? 'stopped' : 'no stop'}, ${ms(t)}`);
    const firstLine = engine.statements[0].line;
    table.setLines([{ line: firstLine }]);
    t = performance.now();
    const back = finder.backward(2 * rec.length);
    console.log(`traceAdapter: reverse continue over every event to line ${firstLine}: ${back ? 'stopped' : 'no stop'}, ${ms(t)}`);

    t = performance.now();
    const named = engine.functionStatements('dma_unmap_*');
    console.log(`traceAdapter: function breakpoint dma_unmap_*: ${named.size} events, ${ms(t)}`);

    t = performance.now();
    const hits = engine.functionStatements('dma:0xffefc802');
    console.log(`traceAdapter: function breakpoint dma:0xffefc802 over the whole file: ${hits.size} events, ${ms(t)}`);
    t = performance.now();
    engine.functionStatements('dma:0xffefc802');
    console.log(`traceAdapter: the same breakpoints sent again: ${ms(t)}`);
    console.log(`traceAdapter: peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}, ${engine.columns.decodes} pages decoded`);
  });
}

if (require.main === module) {
  run().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
