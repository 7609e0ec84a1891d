// Benchmark: the language front end on a generated 1,000,000-statement (~30 MB) scenario: a bare tokenize
// pass, then lex + parse + resolve (parseScenario).
import { tokenize } from '../src/language/lexer';
import { parseScenario } from '../src/language';
import { measure, peakRss, report } from './measure';

/** Every statement family in turn: streaming, dma-buf, accesses with expect, named args, checks, a proc call. */
export function frontEndScenario(statements: number): string {
  const head = [
    'platform arm64 noncoherent',
    'cache size=32KiB ways=4 line=64 prefetch=next-line',
    'device isp dma_mask=32 max_segment_size=64KiB segment_boundary=0xFFFF_FFFF',
    'proc touch(p, v) {',
    '  cpu.write(p, 0, 64, v)',
    '}',
    'buf = kmalloc(0x1_0000)',
  ];
  const body = [
    'h = dma_map_single(isp, buf, 16KiB, DMA_FROM_DEVICE, offset=0x1000)   # rx',
    'isp.write(h, 0, 4KiB, 0xA5)',
    'dma_sync_single_for_cpu(isp, h, 16KiB, FROM_DEVICE, offset=4096)',
    'cpu.read(buf, 0x1000, 64) expect 0xA5',
    'dma_unmap_single(isp, h, 16KiB, FROM_DEVICE)',
    'd = dma_heap_alloc(system, 1MiB)',
    'expect_owner(d, cpu, 0, 4K)',
    'touch(buf, 0x5A)',
    'dma_buf_put(d)',
    'cache.evict(buf, 0, 128)',
  ];
  const lines = head.slice();
  for (let i = 0; i < statements; i++) lines.push(body[i % body.length]);
  return lines.join('\n') + '\n';
}

export async function run(): Promise<void> {
  const n = Number(process.env.TOKENIZE_BENCH_STATEMENTS ?? 1_000_000);
  const text = frontEndScenario(n);
  const mb = text.length / 1e6;
  let tokens = 0;
  const tok = measure(() => (tokens = tokenize(text).count), 3);
  let errors = 0;
  const front = measure(() => (errors = parseScenario(text, 'bench.dmabuf').diagnostics.length), 1);
  if (errors) throw new Error(`the generated scenario has ${errors} errors`);
  report('tokenize', [
    ['scenario', `${n.toLocaleString('en')} statements, ${mb.toFixed(1)} MB, ${tokens.toLocaleString('en')} tokens`],
    ['tokenize', `${tok.ms.toFixed(0)} ms (${(mb / (tok.ms / 1000)).toFixed(0)} MB/s, ${Math.round(n / (tok.ms / 1000)).toLocaleString('en')} statements/s)`],
    ['lex + parse + resolve', `${front.ms.toFixed(0)} ms (${Math.round(n / (front.ms / 1000)).toLocaleString('en')} statements/s, ${(front.ms / tok.ms).toFixed(2)}x tokenize)`],
    ['peak RSS', `${peakRss()} MB`],
  ]);
}

if (require.main === module) void run();
