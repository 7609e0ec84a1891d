// Benchmark (a): statements per second of the whole pipeline (parse, resolve, run) on a generated
// 1,000,000-statement scenario, beside a bare tokenize pass of the same text.
import { tokenize } from '../src/language/lexer';
import { parseScenario } from '../src/language';
import { Runner } from '../src/runtime/runner';
import { measure, peakRss, report } from './measure';

/** A streaming RX loop written out flat: map, device write, sync, CPU read, unmap, per 5 statements. */
export function generateScenario(statements: number): string {
  const lines = ['platform arm64', 'device nic dma_mask=64', 'buf = kmalloc(4KiB)'];
  const body = [
    'h = dma_map_single(nic, buf, 2KiB, FROM_DEVICE)',
    'nic.write(h, 0, 1500, 0x5A)',
    'dma_sync_single_for_cpu(nic, h, 2KiB, FROM_DEVICE)',
    'cpu.read(buf, 0, 64) expect 0x5A',
    'dma_unmap_single(nic, h, 2KiB, FROM_DEVICE)',
  ];
  for (let i = 0; lines.length - 3 < statements - 2; i++) lines.push(body[i % body.length]);
  lines.push('kfree(buf)');
  return lines.join('\n') + '\n';
}

export async function run(): Promise<void> {
  const n = Number(process.env.RUNTIME_BENCH_STATEMENTS ?? 1_000_000);
  const text = generateScenario(n);
  let steps = 0;
  const pipeline = (): void => {
    const { program, diagnostics } = parseScenario(text, 'bench.dmabuf');
    if (diagnostics.length) throw new Error(diagnostics[0].message);
    // As the headless check runs it (`dmabuf check`, the editor's hazards): nobody reads the machine's events.
    const r = new Runner(program, { events: false });
    while (!r.done) r.step();
    steps = r.stepCount;
  };
  // Peak memory of one pass (later repeats only add the allocator's leftovers), then best of 3 of each, the same
  // statistic on both sides of the ratio.
  const first = measure(pipeline, 1);
  const rss = peakRss();
  const tok = measure(() => tokenize(text), 3);
  const full = { ms: Math.min(first.ms, measure(pipeline, 2).ms) };
  report('runtime', [
    [`scenario`, `${n} statements, ${(text.length / 1e6).toFixed(1)} MB`],
    [`tokenize only`, `${tok.ms.toFixed(0)} ms (${Math.round(n / (tok.ms / 1000)).toLocaleString('en')} statements/s)`],
    [`parse + resolve + run`, `${full.ms.toFixed(0)} ms, ${steps} steps (${Math.round(steps / (full.ms / 1000)).toLocaleString('en')} statements/s)`],
    [`ratio to tokenize (goal <= 5x)`, `${(full.ms / tok.ms).toFixed(2)}x`],
    [`peak RSS (text, tokens, syntax tree, run)`, `${rss} MB`],
  ]);
}

if (require.main === module) void run();
