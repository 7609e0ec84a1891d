// Benchmark of the trace reader and checker: builds a large capture by repeating a real one with shifted addresses
// and timestamps (FTRACE_BENCH_MB, default 100; FTRACE_BENCH_TRACE picks the capture), then times a newline count
// (the floor), a raw line scan (with and without a string per line), a readline scan and `checkTrace` over it (as
// the CLI runs it, and kept to one thread), each in a fresh process so that its peak RSS is its own, in
// FTRACE_BENCH_RUNS rounds (default 3) of every pass in turn. First, a real capture's text read three times in one
// process, which must cost the same each time.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { batchesOf } from '../src/ftrace/batchSource';
import { checkTrace } from '../src/ftrace/check';
import { TraceChecker } from '../src/ftrace/checker';
import { TraceCursor } from '../src/ftrace/reader';

const TRACES = path.resolve(__dirname, '..', '..', '..', 'shared', 'traces');
/** Each repetition's addresses move up by this much: far above any real one, still exact in a double. */
const ADDRESS_SHIFT = 2 ** 34;
const SHIFTED = /\b(dma_addr|phys_addr|dev_addr|iova|paddr)=(0x)?([0-9a-f]+)|(- 0x)([0-9a-f]{16})|\b(dma_addrs|phys_addrs)=\{([0-9a-fx,]*)\}|(\] [^ ]* +)(\d+\.\d+)(: )/g;

type Piece = string | ((rep: number) => string);

function shifted(hexText: string, rep: number, width = 0): string {
  if (/^f{16}$/.test(hexText)) return hexText; // DMA_MAPPING_ERROR stays itself
  return (parseInt(hexText, 16) + rep * ADDRESS_SHIFT).toString(16).padStart(width, '0');
}

/** Splits the capture's event lines into literal text and the addresses and timestamps each repetition moves. */
function template(text: string, span: number): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(SHIFTED)) {
    pieces.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1]) {
      const [key, prefix, value] = [m[1], m[2] ?? '', m[3]];
      pieces.push((rep) => `${key}=${prefix}${shifted(value, rep)}`);
    } else if (m[4]) {
      const value = m[5];
      pieces.push((rep) => `- 0x${shifted(value, rep, 16)}`);
    } else if (m[6]) {
      const [key, list] = [m[6], m[7].split(',')];
      pieces.push((rep) => `${key}={${list.map((v) => '0x' + shifted(v.replace(/^0x/, ''), rep)).join(',')}}`);
    } else {
      const [before, ts, after] = [m[8], Number(m[9]), m[10]];
      pieces.push((rep) => `${before}${(ts + rep * span).toFixed(6)}${after}`);
    }
  }
  pieces.push(text.slice(last));
  return pieces;
}

/** Writes a capture of about `mb` MiB to `file`: the real capture's header, then its events repeated. */
export function buildTrace(source: string, file: string, mb: number): void {
  const text = fs.readFileSync(source, 'latin1');
  const lines = text.split('\n');
  const header = lines.filter((l) => l.startsWith('#')).join('\n') + '\n';
  const body = lines.filter((l) => l.trim() !== '' && !l.startsWith('#')).join('\n') + '\n';
  const stamps = [...body.matchAll(/ (\d+\.\d+): /g)].map((m) => Number(m[1]));
  const span = Math.ceil(Math.max(...stamps)) + 1;
  const pieces = template(body, span);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, header);
    let written = header.length;
    for (let rep = 0; written < mb * 1024 * 1024; rep++) {
      const chunk = pieces.map((p) => (typeof p === 'string' ? p : p(rep))).join('');
      fs.writeSync(fd, chunk, null, 'latin1');
      written += chunk.length;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The baseline: read in chunks, decode each byte once as text (latin1, as the reader does), find every line's end
 * (with `slices`, also cut each line out as a string, what a caller would loop over). The unfinished last line's
 * bytes move to the front of the buffer, so no text is copied twice.
 */
function rawScan(file: string, slices = false): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(2 * 1024 * 1024);
  let lines = 0;
  let chars = 0;
  let keep = 0;
  for (let n = fs.readSync(fd, buf, keep, buf.length - keep, null); n > 0; n = fs.readSync(fd, buf, keep, buf.length - keep, null)) {
    const filled = keep + n;
    const text = buf.toString('latin1', 0, filled);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      if (slices) chars += text.slice(start, nl).length;
      lines++;
      start = nl + 1;
    }
    keep = filled - start;
    buf.copy(buf, 0, start, filled);
  }
  fs.closeSync(fd);
  // The slices' lengths are used, so that cutting them out is not optimised away.
  return chars >= 0 ? lines : 0;
}

/** The floor: newlines counted in the bytes (memchr speed), no text made. */
function byteScan(file: string): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(2 * 1024 * 1024);
  let lines = 0;
  for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) {
    for (let nl = buf.indexOf(10); nl >= 0 && nl < n; nl = buf.indexOf(10, nl + 1)) lines++;
  }
  fs.closeSync(fd);
  return lines;
}

/**
 * Decoding alone: every batch taken in order, nothing checked, through the reading threads as `check-trace` uses them
 * (the checking thread decoding too while it would wait), or on this thread alone (`threads` false): what read +
 * check would cost if checking were free.
 */
function decodeOnly(file: string, threads: boolean): number {
  const source = batchesOf(TraceCursor.open(file), threads);
  try {
    while (source.next());
  } finally {
    source.close();
  }
  return source.nextLine - 1;
}

async function readlineScan(file: string): Promise<number> {
  let lines = 0;
  for await (const line of readline.createInterface({ input: fs.createReadStream(file, 'latin1'), crlfDelay: Infinity })) if (line.length >= 0) lines++;
  return lines;
}

/** Runs one measurement in this process and prints `{ms, cpuMs, rssMB, lines, findings}` as JSON. */
async function child(mode: string, file: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let lines = 0;
  let findings = 0;
  if (mode === 'raw') lines = rawScan(file);
  else if (mode === 'bytes') lines = byteScan(file);
  else if (mode === 'strings') lines = rawScan(file, true);
  else if (mode === 'readline') lines = await readlineScan(file);
  else if (mode === 'decode' || mode === 'decode-one') lines = decodeOnly(file, mode === 'decode');
  else {
    // `check` decides as the CLI does (a reading thread for a large file on two cores); `check-one` keeps to one;
    // `check-js` leaves every event to the JavaScript checker, as before the common path.
    const r = checkTrace(TraceCursor.open(file), file, {}, { thread: mode === 'check-one' ? false : undefined, commonPath: mode !== 'check-js' });
    lines = r.lines;
    findings = r.findings.length;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // CPU time of every thread of the process (user and system): on a machine of few cores, what bounds the time.
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMB: process.resourceUsage().maxRSS / 1024, lines, findings }) + '\n');
}

interface Measure {
  ms: number;
  cpuMs: number;
  rssMB: number;
  lines: number;
  findings: number;
}

function measure(mode: string, file: string): Measure {
  return JSON.parse(execFileSync(process.execPath, [__filename, '--child', mode, file], { encoding: 'utf8' })) as Measure;
}

/** Builds a capture of about `mb` MiB from the real capture `trace` in a temp dir, runs `body` on it, removes it. */
export async function withBuiltTrace(mb: number, trace: string, body: (file: string, size: number) => void | Promise<void>): Promise<void> {
  const source = path.join(TRACES, trace);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftrace-bench-'));
  const file = path.join(dir, 'big.trace.txt');
  try {
    const t0 = Date.now();
    buildTrace(source, file, mb);
    const size = fs.statSync(file).size;
    console.log(`built ${(size / 2 ** 20).toFixed(0)} MiB from ${trace} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await body(file, size);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The general reader's pass over a real capture's text, read a second time in the same process: a debugger replays
 * the same bytes from a checkpoint, and go to definition reads an open document again. The second pass must cost what
 * the first did (once, it cost a compare of the whole buffer per event: 100x).
 */
function rereadPasses(): void {
  const text = fs.readFileSync(path.join(TRACES, 'vblk-virtio-iommu.trace.txt'), 'latin1');
  const pass = (): number => {
    const t0 = performance.now();
    const cursor = TraceCursor.fromText(text);
    const checker = new TraceChecker(() => undefined);
    for (let r = cursor.next(); r; r = cursor.next()) checker.apply(r);
    return performance.now() - t0;
  };
  const times = [pass(), pass(), pass()];
  console.log(`ftrace: the same text read again (general reader + checker, ${(text.length / 2 ** 20).toFixed(1)} MiB): ${times.map((t) => t.toFixed(0)).join(', ')} ms for passes 1-3`);
}

/**
 * A capture naming many devices, one map each: what a device costs before it holds anything (its release logs take
 * memory at their first release). Each pass in its own process for its peak RSS.
 */
function manyDevices(): void {
  const devices = Number(process.env.FTRACE_BENCH_DEVICES ?? 100_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftrace-bench-'));
  const file = path.join(dir, 'devices.trace.txt');
  try {
    const hex = (n: number): string => n.toString(16);
    const lines = Array.from({ length: devices }, (_, k) =>
      `  kworker/0:1-42 [000] ..... ${(1 + k * 1e-6).toFixed(6).padStart(12)}: dma_map_phys: dev${k} dir=FROM_DEVICE dma_addr=${hex(0x1000 * (k + 1))} size=64 phys_addr=${hex(0x1000 * (k + 1))} attrs=`);
    fs.writeFileSync(file, `# tracer: nop\n${lines.join('\n')}\n`);
    const [common, js] = [measure('check-one', file), measure('check-js', file)];
    console.log(`ftrace: ${devices} devices, one map each: read + check ${common.ms.toFixed(0)} ms, peak RSS ${common.rssMB.toFixed(0)} MiB (every event in TraceChecker: ${js.ms.toFixed(0)} ms, ${js.rssMB.toFixed(0)} MiB)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  rereadPasses();
  manyDevices();
  const mb = Number(process.env.FTRACE_BENCH_MB ?? 100);
  await withBuiltTrace(mb, process.env.FTRACE_BENCH_TRACE ?? 'vblk-virtio-iommu.trace.txt', (file, size) => {
    // Several rounds, each running every pass once in turn: the machine may be shared, and its speed drifts over
    // minutes, so a pass's best is taken over the rounds and the check is compared with the raw scan of its own round.
    const runs = Number(process.env.FTRACE_BENCH_RUNS ?? 3);
    const modes = ['bytes', 'raw', 'strings', 'readline', 'check', 'check-one', 'check-js', 'decode', 'decode-one'] as const;
    const rounds = Array.from({ length: runs }, () => Object.fromEntries(modes.map((m) => [m, measure(m, file)])) as Record<(typeof modes)[number], Measure>);
    const best = (mode: (typeof modes)[number]): Measure => rounds.map((r) => r[mode]).reduce((a, b) => (b.ms < a.ms ? b : a));
    const paired = rounds.map((r) => r.check.ms / r.raw.ms).sort((a, b) => a - b);
    const [bytes, raw, strings, rl, chk, one, js, dec, decOne] = modes.map(best);
    const rate = (m: Measure): string => `${(size / 2 ** 20 / (m.ms / 1000)).toFixed(0)} MiB/s`;
    const cpu = (m: Measure): string => `CPU ${m.cpuMs.toFixed(0)} ms`;
    console.log(`ftrace: newline count   ${bytes.ms.toFixed(0)} ms (${rate(bytes)}), bytes only, no text`);
    console.log(`ftrace: raw line scan   ${raw.ms.toFixed(0)} ms (${rate(raw)}), ${cpu(raw)}, peak RSS ${raw.rssMB.toFixed(0)} MiB, ${raw.lines} lines`);
    console.log(`ftrace: ... line strings ${strings.ms.toFixed(0)} ms (${rate(strings)}), each line sliced out as a string`);
    console.log(`ftrace: readline scan   ${rl.ms.toFixed(0)} ms (${rate(rl)}), peak RSS ${rl.rssMB.toFixed(0)} MiB`);
    console.log(`ftrace: read + check    ${chk.ms.toFixed(0)} ms (${rate(chk)}), ${cpu(chk)}, peak RSS ${chk.rssMB.toFixed(0)} MiB, ${chk.findings} findings`);
    const cores = os.cpus().length;
    console.log(`ftrace: ... its CPU over ${cores} cores ${(chk.cpuMs / cores).toFixed(0)} ms (${(chk.cpuMs / cores / raw.ms).toFixed(2)}x the raw scan): the floor no split of this work between threads goes below`);
    console.log(`ftrace: ... one thread  ${one.ms.toFixed(0)} ms (${rate(one)}), ${cpu(one)}, peak RSS ${one.rssMB.toFixed(0)} MiB (${(one.ms / raw.ms).toFixed(2)}x the raw scan)`);
    console.log(`ftrace: ... all in JavaScript ${js.ms.toFixed(0)} ms, ${cpu(js)} (${(js.ms / raw.ms).toFixed(2)}x the raw scan): every event left to TraceChecker, no common path`);
    console.log(`ftrace: ... nothing checked ${dec.ms.toFixed(0)} ms, ${cpu(dec)} (${(dec.ms / raw.ms).toFixed(2)}x the raw scan): what free checking would reach; on one thread ${decOne.ms.toFixed(0)} ms, ${cpu(decOne)} (${(decOne.ms / raw.ms).toFixed(2)}x)`);
    console.log(`ftrace: check / raw scan = ${(chk.ms / raw.ms).toFixed(2)}x (best of each; within a round: ${paired.map((x) => x.toFixed(2)).join(', ')}), check / line strings = ${(chk.ms / strings.ms).toFixed(2)}x, check / readline = ${(chk.ms / rl.ms).toFixed(2)}x, check / newline count = ${(chk.ms / bytes.ms).toFixed(1)}x (${runs} rounds, ${cores} CPUs, load ${os.loadavg()[0].toFixed(1)})`);
  });
}

if (require.main === module) {
  const [flag, mode, file] = process.argv.slice(2);
  (flag === '--child' ? child(mode, file) : run()).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
