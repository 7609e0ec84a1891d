// The reader's fast path (issue 6 item 7): the common DMA events decoded straight from the bytes must read exactly as
// the general parser reads them, on every real capture and on lines bent every way a kernel or a hand could print
// them; whatever it does not read the same way, it leaves to the general parser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DIRECTION_NAMES, EventBatch, HOT_NAMES } from '../../src/ftrace/eventBatch';
import { MARK, R_CODE, R_CPU, R_DEVICE, R_LINE, R_OFFSET, R_TIME, STRIDE } from '../../src/ftrace/recordLayout';
import { decodeEvent } from '../../src/ftrace/events';
import { HotEvents } from '../../src/ftrace/hotEvents';
import { parseLine } from '../../src/ftrace/lineParser';
import { TraceCursor } from '../../src/ftrace/reader';
import { captureLines, captures, ev } from './helpers';

const hot = new HotEvents();

type Reading = { event: string; line: number; offset: number; timestamp: number; cpu: number; decoded: unknown } | undefined;

/** The fast path's reading of each line of `text`, by line number (undefined: left to the general parser). */
function fastReadings(text: string, chunkSize?: number, capacity = 64): Reading[] {
  const cursor = TraceCursor.fromText(text, undefined, chunkSize);
  const batch = new EventBatch(capacity);
  const out: Reading[] = [];
  while (cursor.nextBatch(batch)) {
    const r = batch.records;
    for (let at = 0; at < batch.count * STRIDE; at += STRIDE) {
      if (r[at + R_CODE] >= 0) out[r[at + R_LINE]] = { event: HOT_NAMES[r[at + R_CODE]], line: r[at + R_LINE], offset: r[at + R_OFFSET], timestamp: r[at + R_TIME], cpu: r[at + R_CPU], decoded: { ...hot.at(batch, at) } };
    }
  }
  return out;
}

/** The general parser's reading of `line`. */
function general(line: string, lineNo: number, offset: number): Reading {
  const r = parseLine(line, 0, line.length, lineNo, offset);
  if (!r || r.kind !== 'event') return undefined;
  return { event: r.event, line: r.line, offset: r.offset, timestamp: r.timestamp, cpu: r.cpu, decoded: decodeEvent(r) };
}

/** Checks that each line of `lines` the fast path reads (in one capture) reads as the general parser reads it; how many it read. */
function sameReadings(lines: string[], chunkSize?: number): number {
  const fast = fastReadings(lines.join('\n'), chunkSize);
  let read = 0;
  let offset = 0;
  lines.forEach((line, i) => {
    const f = fast[i + 1];
    if (f) {
      assert.deepEqual(f, general(line, i + 1, offset), `fast path misreads: ${JSON.stringify(line)}`);
      read++;
    }
    offset += line.length + 1;
  });
  return read;
}

/** Whether the fast path reads `line`, met inside a larger capture (bytes around it must not leak in), as the general parser does. */
function sameReading(line: string): boolean {
  return sameReadings(['x', line, 'xX0']) === 1;
}

test('on every real capture, each event line the fast path reads decodes exactly as the general parser decodes it', () => {
  let read = 0;
  for (const name of captures()) read += sameReadings(captureLines(name));
  assert.ok(read > 10000, `the fast path read ${read} lines`);
});

test('the fast path reads the common layouts: maps, unmaps and syncs of both kernels, IOMMU maps and unmaps', () => {
  for (const line of [
    ev(1, 'dma_map_phys', '0000:00:03.0 dir=TO_DEVICE dma_addr=ffffb0f8 size=16 phys_addr=d14c0f8 attrs='),
    ev(1, 'dma_map_page', '0000:00:03.0 dir=DMA_FROM_DEVICE dma_addr=0x1000 size=4096 phys_addr=0x1000 attrs=SKIP_CPU_SYNC'),
    ev(1, 'dma_unmap_phys', '0000:00:03.0 dir=BIDIRECTIONAL dma_addr=ffffb0f8 size=16 attrs='),
    ev(1, 'dma_sync_single_for_cpu', '0000:00:03.0 dir=FROM_DEVICE dma_addr=1000 size=64'),
    '  modprobe-159     [001] d..1.     5.855739: map: IOMMU: iova=0x00000000ffffc000 - 0x00000000ffffe000 paddr=0x0000000001c96000 size=8192',
    '    <idle>-0       [001] d.h2.     5.866229: unmap: IOMMU: iova=0x00000000ffff8000 - 0x00000000ffff9000 size=4096 unmapped_size=4096',
  ]) assert.ok(sameReading(line), line);
});

test('what only the general parser reads the same way is left to it: TGID columns, key: value pairs, {...} values, odd numbers', () => {
  for (const line of [
    '           <idle>-0       (      0) [001] ..s1.     6.194187: dma_unmap_phys: d dir=TO_DEVICE dma_addr=1 size=1 attrs=',
    ev(1, 'dma_map_phys', 'dev dir=TO_DEVICE dma_addr=1 size=0x10 phys_addr=1 attrs='),
    ev(1, 'dma_map_phys', 'dev dir=TO_DEVICE dma_addr={1} size=16 phys_addr=1 attrs='),
    ev(1, 'dma_unmap_phys', 'dev dir=TO_DEVICE dma_addr=1 size=16 attrs: SKIP_CPU_SYNC'),
    ev(1, 'dma_unmap_phys', 'dev: x dir=TO_DEVICE dma_addr=1 size=16'),
    ev(1, 'map', 'IOMMU: 0x1 iova=0x1000 paddr=0x2000 size=4096'),
    ev(1, 'map', 'OTHER: iova=0x1000 paddr=0x2000 size=4096'),
    ev(1, 'dma_map_phys', 'dev dir=SIDEWAYS dma_addr=1 size=16 phys_addr=1 attrs='),
    ev(1, 'dma_map_phys', 'dev dir=TO_DEVICE size=16 phys_addr=1 attrs='),
  ]) assert.equal(sameReading(line), false, line);
});

test('marks, coherent allocations and frees as the kernel prints them are read by the fast path as the general parser reads them', () => {
  const alloc = (body: string): string => ev(1, 'dma_alloc', body);
  const free = (body: string): string => ev(1, 'dma_free', body);
  const read = [
    ev(1, 'tracing_mark_write', 'PHASE virtio-blk: O_DIRECT write 8 x 4KiB at offset 0 (/dev/vdb)'),
    ev(1, 'tracing_mark_write', 'x'),
    ev(1, 'tracing_mark_write', '  two  spaces before, and after  '),
    ev(1, 'tracing_mark_write', '12 starts with digits: dma_addr=1 {'),
    alloc('0000:00:03.0 dir=BIDIRECTIONAL dma_addr=ffffe000 size=6726 virt_addr=00000000c8b770b8 flags=GFP_KERNEL|__GFP_ZERO|__GFP_NOWARN attrs=NO_WARN'),
    alloc('0000:00:03.0 dir=DMA_BIDIRECTIONAL dma_addr=0x1000 size=4096 virt_addr=(null) flags=none attrs='),
    alloc('d dir=NONE dma_addr=ffffffffffffffff size=1 virt_addr=0000000000000000 flags=GFP_ATOMIC attrs=WEAK_ORDERING|NO_WARN'),
    free('0000:00:03.0 dir=BIDIRECTIONAL dma_addr=ffffe000 size=6726 virt_addr=00000000c8b770b8 attrs='),
    free('d dir=TO_DEVICE dma_addr=1 size=0 virt_addr=x attrs=NO_WARN'),
  ];
  for (const line of read) assert.ok(sameReading(line), line);
  const left = [
    // Another form: the general parser reads it (to the same event, or to a malformed one).
    ev(1, 'tracing_mark_write', ''),
    '  t-1 [000] ..... 1.0: print: tracing_mark_write: PHASE x',
    alloc('d dma_addr=1 size=1 virt_addr=1'),
    alloc('d dir=TO_DEVICE dma_addr=1 size=1 virt_addr=1 attrs='),
    alloc('d dir=TO_DEVICE dma_addr=1 size=1 virt_addr= flags=none attrs='),
    alloc('d dir=TO_DEVICE dma_addr=1 size=1 virt_addr={1 2} flags=none attrs='),
    alloc('d dir=TO_DEVICE dma_addr=1 size=1 virt_addr=1 flags={a} attrs='),
    alloc('d dir=TO_DEVICE dma_addr=1 size=1 virt_addr=1 flags=none attrs={a}'),
    alloc('d dir=TO_DEVICE dma_addr=1 size=1 virt_addr=1 flags=none attrs= more'),
    alloc('d dir=TO_DEVICE size=1 dma_addr=1 virt_addr=1 flags=none attrs='),
    alloc('d dir=TO_DEVICE dma_addr=1 size=0x1 virt_addr=1 flags=none attrs='),
    alloc('d: dir=TO_DEVICE dma_addr=1 size=1 virt_addr=1 flags=none attrs='),
    free('d dir=TO_DEVICE dma_addr=1 size=1 virt_addr=1 flags=none attrs='),
    free('d dir=SIDEWAYS dma_addr=1 size=1 virt_addr=1 attrs='),
    ev(1, 'dma_alloc_pages', 'd dir=TO_DEVICE dma_addr=1 size=1 phys_addrs={1} flags=none attrs='),
    ev(1, 'dma_free_pages', 'd dir=TO_DEVICE dma_addr=1 size=1 attrs='),
    ev(1, 'dma_free_sgt', 'd dir=TO_DEVICE dma_addr=1 size=1 virt_addr=1 attrs='),
  ];
  for (const line of left) assert.equal(sameReading(line), false, line);
  // What a check needs of an allocation comes through: its failure as the general parser decides it.
  const failed = fastReadings(read.slice(4, 7).join('\n')).slice(1).map((r) => (r?.decoded as { failed: boolean }).failed);
  assert.deepEqual(failed, [false, true, true]);
});

test("a byte order mark before the file's first line leaves that line to the general parser, which skips it", () => {
  for (const first of [ev(1, 'tracing_mark_write', 'hi'), ev(1, 'dma_unmap_phys', 'd dir=TO_DEVICE dma_addr=1 size=1 attrs='), '# t-1 [000] ..... 1.0: tracing_mark_write: hi']) {
    const comment = first.startsWith('#');
    const text = `\xef\xbb\xbf${first}\n${first}`;
    const fast = fastReadings(text);
    assert.equal(fast[1], undefined, first);
    assert.equal(parseLine(text, 0, text.indexOf('\n'), 1, 0)?.kind, comment ? 'comment' : 'event', first);
    // The same line without the mark, after it, is the fast path's again.
    assert.equal(fast[2] !== undefined, !comment, first);
  }
});

test('every hot event name and every dir= spelling, DMA_ prefix or not, reads as the general parser reads it', () => {
  const lines = HOT_NAMES.slice(0, MARK).flatMap((name) => DIRECTION_NAMES.flatMap((dir) => [dir, 'DMA_' + dir].map((d) => name === 'map' || name === 'unmap'
    ? ev(1, name, `IOMMU: iova=0x1000 - 0x2000 paddr=0x3000 size=4096 unmapped_size=4096`)
    : ev(1, name, `dev dir=${d} dma_addr=1000 size=64 phys_addr=2000 attrs=SKIP_CPU_SYNC`))));
  assert.equal(sameReadings(lines), lines.length);
});

test('numbers read to the very same doubles: hex of 1 to 20 digits, values past 2^53, any case, odd bytes, long timestamps', () => {
  const hexes = ['0', '1', 'f', 'F', 'deadBEEF', '1fffffffffffff', '20000000000000', '20000000000001', 'fffffffffffff', 'ffffffffffffffff',
    '123456789abcdef0', '00000000000000000001', 'fffffffffffffffff1', '0000ffffffffffffffff', '0001ffffffffffffffff', 'fffffffffffffffe', '\x10\x19', '1g', 'g1', '0x', 'x1', '-1', ''];
  const decimals = ['0', '16', '4096', '9007199254740992', '9007199254740993', '1234567890123456', '12345678901234567890', '1a', '', '+1'];
  const stamps = ['5.855739', '0.000001', '123456789012345.123456789012345', '1234567890123456.1234567890123456', '1.', '12', '5.8557391234567890123'];
  const lines: string[] = [];
  for (const h of hexes) {
    lines.push(ev(1, 'dma_map_phys', `dev dir=TO_DEVICE dma_addr=${h} size=16 phys_addr=0x${h} attrs=`));
    lines.push(`  t-1 [000] ..... 1.0: map: IOMMU: iova=0X${h} - 0x1 paddr=${h} size=1`);
  }
  for (const d of decimals) lines.push(ev(1, 'dma_unmap_page', `dev dir=FROM_DEVICE dma_addr=1 size=${d} attrs=`), `  t-1 [000] ..... 1.0: unmap: IOMMU: iova=0x1 - 0x2 size=1 unmapped_size=${d}`);
  for (const t of stamps) lines.push(`  t-1 [000] ..... ${t}: dma_sync_single_for_cpu: dev dir=NONE dma_addr=1 size=1`);
  assert.ok(sameReadings(lines) > lines.length / 2);
  // A value that ends the capture, with no newline after it: what lies past the line's end must not be read as part of it.
  // Earlier, longer lines leave their bytes in the read buffer past the last line's end.
  for (const body of ['dev dir=TO_DEVICE dma_addr=1 attrs= size=4096', 'dev dir=TO_DEVICE size=1 attrs= dma_addr=0', 'dev dir=TO_DEVICE dma_addr=1 size=1 attrs=']) {
    for (let pad = 0; pad < 64; pad += 3) assert.equal(sameReadings(['x{'.repeat(60 + pad), ev(1, 'dma_unmap_phys', body)], 128), 1, body);
  }
});

test('a timestamp reads as the double nearest its printed value on both paths (6.199500 is 6.1995, not 6.1995000000000005)', () => {
  const stamp = fc.tuple(fc.nat(4_000_000_000), fc.integer({ min: 0, max: 12 }), fc.nat()).map(([whole, k, f]) => (k === 0 ? `${whole}` : `${whole}.${String(f % 10 ** k).padStart(k, '0')}`));
  fc.assert(fc.property(fc.array(stamp, { minLength: 1, maxLength: 8 }), (stamps) => {
    const lines = ['6.199500', ...stamps].map((t) => `  t-1 [000] ..... ${t}: dma_sync_single_for_cpu: dev dir=NONE dma_addr=1 size=1`);
    const fast = fastReadings(lines.join('\n'));
    lines.forEach((line, i) => {
      const printed = Number(['6.199500', ...stamps][i]);
      assert.equal(general(line, i + 1, 0)?.timestamp, printed, line);
      assert.equal(fast[i + 1]?.timestamp, printed, line);
    });
  }));
});

test('device names and attrs get stable ids shared by the batches: thousands of distinct ones, long ones, and the same ones again', () => {
  const lines: string[] = [];
  for (let round = 0; round < 2; round++) {
    for (let k = 0; k < 3000; k++) lines.push(ev(k, 'dma_map_phys', `dev${'x'.repeat(k % 50)}:${k} dir=TO_DEVICE dma_addr=${k.toString(16)} size=4 phys_addr=1 attrs=A${k % 7}`));
  }
  lines.push(ev(1, 'dma_sync_single_for_device', `${'d'.repeat(100_000)} dir=TO_DEVICE dma_addr=1 size=1`));
  // Small chunks and batches: reads cross chunk and batch ends while the module's memory grows.
  assert.equal(sameReadings(lines, 4096), lines.length);
  const cursor = TraceCursor.fromText(lines.join('\n'));
  const batch = new EventBatch(1024);
  const ids = new Map<string, number>();
  while (cursor.nextBatch(batch)) {
    for (let at = 0; at < batch.count * STRIDE; at += STRIDE) {
      const id = batch.records[at + R_DEVICE];
      const name = batch.strings[id];
      assert.equal(ids.get(name) ?? id, id, name);
      ids.set(name, id);
    }
  }
  assert.equal(ids.size, 3001);
  assert.equal(new Set(batch.strings).size, batch.strings.length);
});

const WORDS = ['dir=TO_DEVICE', 'dir=DMA_FROM_DEVICE', 'dir=', 'dma_addr=ffff1000', 'dma_addr=0x1000', 'dma_addr=0x', 'dma_addr=12g',
  'size=4096', 'size=', 'size=-1', 'size=0x10', 'phys_addr=1000', 'attrs=', 'attrs=SKIP_CPU_SYNC', 'attrs={a b}', 'attrs:',
  'iova=0x1000', 'paddr=0x2000', 'unmapped_size=4096', 'unmapped_size=x', '-', '0x0000000100000000', 'IOMMU:', 'dev',
  '0000:00:03.0', 'dir=TO_DEVICE\tx', 'Size=1', 'x=dir=1', '{', '}', ':', 'virt_addr=', 'virt_addr=(null)', 'flags=', 'flags={a b}'];
const NAMES = [...HOT_NAMES, 'dma_alloc_pages', 'print', 'dma_map_sg'];
/** A complete field set per DMA event the fast path decodes: shuffled, thinned and mixed with WORDS below. */
const MAP = ['dir=TO_DEVICE', 'dma_addr=ffff1000', 'size=4096', 'phys_addr=1000', 'attrs='];
const UNMAP = ['dir=FROM_DEVICE', 'dma_addr=0x1000', 'size=64', 'attrs=SKIP_CPU_SYNC'];
const SYNC = ['dir=DMA_BIDIRECTIONAL', 'dma_addr=1000', 'size=16'];
const ALLOC = ['dir=BIDIRECTIONAL', 'dma_addr=ffffe000', 'size=6726', 'virt_addr=00000000c8b770b8', 'flags=GFP_KERNEL', 'attrs=NO_WARN'];
const FREE = ['dir=BIDIRECTIONAL', 'dma_addr=ffffe000', 'size=6726', 'virt_addr=00000000c8b770b8', 'attrs='];
const FIELDS: Record<string, string[]> = Object.fromEntries(NAMES.map((n) => [n, n.startsWith('dma_map_') ? MAP : n.startsWith('dma_unmap_') ? UNMAP
  : n.startsWith('dma_sync_') ? SYNC : n === 'dma_alloc' ? ALLOC : n === 'dma_free' ? FREE : []]));

test('on lines built from any order and mix of fields, names, spaces and tabs, the fast path never reads otherwise than the general parser', () => {
  const words = fc.tuple(fc.constantFrom(...NAMES), fc.array(fc.constantFrom(...WORDS), { maxLength: 2 })).chain(([name, junk]) => {
    const pool = [...FIELDS[name], ...junk];
    return fc.shuffledSubarray(pool, { minLength: Math.max(0, pool.length - 1) }).map((ws) => [name, ws] as const);
  });
  const line = fc.tuple(
    words,
    fc.constantFrom('0000:00:03.0 ', 'dev ', ''),
    fc.array(fc.constantFrom(' ', '  ', '\t', ' \t'), { minLength: 8, maxLength: 8 }),
    fc.constantFrom('.....', 'd.h2.', ''),
    // Good columns more often than bad ones, so that many lines are whole events the fast path reads.
    fc.constantFrom('  kworker/0:1-42', '  kworker/0:1-42', 'a-b-7', '[x]-1', 'task-', ' C-1', '#-1'),
    fc.constantFrom('5.855739', '5.855739', '5.855739', '12', '1.', '.5', '1.2.3'),
  ).map(([[name, ws], device, seps, flags, task, ts]) => {
    let body = device;
    ws.forEach((w, i) => (body += (i ? seps[i % seps.length] : '') + w));
    return `${task} [001] ${flags}${seps[0]}${ts}:${seps[1]}${name}:${seps[2]}${body}`;
  });
  let read = 0;
  fc.assert(fc.property(line, (l) => {
    if (sameReading(l)) read++;
  }), { numRuns: 3000 });
  // The property means something only if the fast path reads some of them (about 1%, ~30 expected): else it
  // would pass by declining every line.
  assert.ok(read >= 10, `the fast path read ${read} of the generated lines`);
});

test('a batch counts lines and offsets as the records do, keeps other lines as their text, skips blank lines', () => {
  const text = ['# tracer: nop', '', ev(1, 'dma_map_phys', 'd dir=TO_DEVICE dma_addr=1 size=16 phys_addr=1 attrs='), '   ', ev(2, 'dma_alloc', 'd dma_addr=1 size=1 virt_addr=1'), ev(3, 'map', 'IOMMU: iova=0x1 - 0x2 paddr=0x1 size=1')].join('\r\n');
  const cursor = TraceCursor.fromText(text, undefined, 64);
  const batch = new EventBatch(2);
  const seen: [number, number, string][] = [];
  while (cursor.nextBatch(batch)) {
    for (let at = 0; at < batch.count * STRIDE; at += STRIDE) {
      const code = batch.records[at + R_CODE];
      seen.push([batch.records[at + R_LINE], batch.records[at + R_OFFSET], code < 0 ? 'slow' : HOT_NAMES[code]]);
    }
  }
  const offsets = [...TraceCursor.fromText(text)].map((r) => [r.line, r.offset]);
  assert.deepEqual(seen.map(([l, o]) => [l, o]), offsets);
  assert.deepEqual(seen.map(([, , k]) => k), ['slow', 'dma_map_phys', 'slow', 'map']);
  assert.equal(cursor.nextLine, 7);
});

test('a line laid out as a recent one but for a few bytes (digits for digits, or anything anywhere) reads as the general parser reads it', () => {
  // The fast path takes a line's columns from a remembered line whose bytes it shares but for its digits: every
  // change, whether it keeps the layout (a digit for a digit) or breaks it, must still read as the general parser reads it.
  const bases = [
    ev(5.864329, 'dma_map_phys', '0000:00:03.0 dir=TO_DEVICE dma_addr=ffffb0f8 size=16 phys_addr=d14c0f8 attrs='),
    ev(10.5, 'dma_sync_single_for_device', 'nvme0 dir=DMA_FROM_DEVICE dma_addr=0x1000 size=4096'),
    '  modprobe-159     [001] d..1.     5.855739: map: IOMMU: iova=0x00000000ffffc000 - 0x00000000ffffe000 paddr=0x0000000001c96000 size=8192',
    '    <idle>-0       [001] d.h2.     5.866229: unmap: IOMMU: iova=0x00000000ffff8000 - 0x00000000ffff9000 size=4096 unmapped_size=4096',
    '  t-1 [7] 123456789012345.123456789: dma_unmap_page: d dir=NONE dma_addr=1 size=1 attrs=X',
  ];
  const change = fc.tuple(fc.nat(), fc.constantFrom('0', '7', '9', ' ', '\t', 'a', ':', '.', '[', ']', '-', '=', '(', '#', ''));
  const run = fc.tuple(fc.constantFrom(...bases), fc.array(fc.array(change, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 }));
  let read = 0;
  fc.assert(fc.property(run, ([base, variants]) => {
    const lines = [base, ...variants.map((changes) => changes.reduce((l, [at, c]) => {
      const i = at % l.length;
      // A digit mostly becomes another digit: the layout holds, only the numbers change.
      const by = /\d/.test(l[i]) && at % 3 !== 0 ? String((Number(l[i]) + 1 + (at % 8)) % 10) : c;
      return l.slice(0, i) + by + l.slice(i + 1);
    }, base)), base];
    read += sameReadings(lines);
  }), { numRuns: 2000 });
  assert.ok(read > 4000, `the fast path read ${read} of the lines`);
});

test('lines of many tasks, CPUs, flags and events interleaved read as the general parser reads them, every one on the fast path', () => {
  // More layouts than are remembered, and many alike in their first 48 bytes (the same task and CPU column, flags
  // differing past them, or events and names longer than the rest): they replace each other in turn.
  const tasks = [...Array.from({ length: 24 }, (_, i) => `task${i}-${100 + i}`), '<idle>-0', 'ksoftirqd/1-21', 'a-very-long-task-name-9'];
  const flags = ['.....', 'd..1.', 'dBH1.', '..s1.', 'd.h2.', 'D.h1.'];
  const bodies: [string, string][] = [
    ['dma_map_phys', '0000:00:02.0 dir=TO_DEVICE dma_addr=fffed002 size=1442 phys_addr=c602002 attrs='],
    ['dma_unmap_phys', '0000:00:02.0 dir=FROM_DEVICE dma_addr=fffed002 size=1442 attrs='],
    ['map', 'IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 paddr=0x000000000c602000 size=4096'],
    ['unmap', 'IOMMU: iova=0x00000000fff90000 - 0x00000000fff91000 size=4096 unmapped_size=4096'],
  ];
  const line = fc.tuple(fc.nat(tasks.length - 1), fc.nat(3), fc.nat(flags.length - 1), fc.nat(bodies.length - 1), fc.integer({ min: 1, max: 99_999_999 }));
  fc.assert(fc.property(fc.array(line, { minLength: 50, maxLength: 400 }), (picks) => {
    const lines = picks.map(([t, cpu, f, b, us]) => ev(us / 1e6, bodies[b][0], bodies[b][1], tasks[t], cpu, flags[f]));
    assert.equal(sameReadings(lines), lines.length);
  }), { numRuns: 200 });
});

test('lines of one layout whose devices differ only in a digit, or whose directions differ, each read their own device and direction', () => {
  // The fast path remembers a layout's last `DEVICE dir=D dma_addr=` head with its device and direction: a head that
  // differs in any byte (a digit too: devices are told apart by theirs) must be read anew. A run draws its lines from
  // two devices and two directions, so that heads repeat (and are taken as remembered) as often as they change.
  const devices = ['0000:00:02.0', '0000:00:03.0', '0000:00:02.1', '1000:00:02.0', 'nvme0', 'nvme1'];
  const dirs = ['TO_DEVICE', 'FROM_DEVICE', 'DMA_TO_DEVICE', 'BIDIRECTIONAL', 'DMA_NONE'];
  const names = ['dma_map_phys', 'dma_unmap_page', 'dma_sync_single_for_cpu'];
  const pool = fc.tuple(fc.nat(devices.length - 1), fc.nat(devices.length - 1), fc.nat(dirs.length - 1), fc.nat(dirs.length - 1));
  const line = fc.tuple(fc.boolean(), fc.boolean(), fc.nat(names.length - 1), fc.nat(0xffffff), fc.nat(9999), fc.nat(9));
  fc.assert(fc.property(pool, fc.array(line, { minLength: 2, maxLength: 60 }), ([d0, d1, r0, r1], picks) => {
    const lines = picks.map(([d, dir, n, dma, size, odd], i) => {
      const tail = names[n] === 'dma_map_phys' ? ` phys_addr=${dma.toString(16)} attrs=` : names[n] === 'dma_unmap_page' ? ' attrs=SKIP_CPU_SYNC' : '';
      // Now and then a text the kernel would not print (size unreadable) after a remembered head.
      const text = `${devices[d ? d1 : d0]} dir=${dirs[dir ? r1 : r0]} dma_addr=${dma.toString(16)} size=${odd === 0 ? '1x' : size}${tail}`;
      return ev(1 + i / 1e6, names[n], text, 'task-1', 0, 'd..1.');
    });
    assert.equal(sameReadings(lines), picks.filter(([, , , , , odd]) => odd !== 0).length);
  }), { numRuns: 300 });
});

test('a head longer than those a layout keeps is read anew on every line: a text that shares only its first 64 bytes is not taken for it', () => {
  const long = 'd'.repeat(70);
  const lines = [
    ev(1, 'dma_unmap_page', `${long} dir=FROM_DEVICE dma_addr=1 size=4 attrs=`),
    ev(2, 'dma_unmap_page', `${long} dir=FROM_DEVICE dma_addr=1 size=4 attrs=`),
    // Its first 64 bytes are the long head's, then an address-like tail: no dir=, so the general parser's (malformed).
    ev(3, 'dma_unmap_page', `${'d'.repeat(64)}0 size=4 attrs=`),
    ev(4, 'dma_unmap_page', `${'d'.repeat(64)}e size=4 attrs=`),
  ];
  assert.equal(sameReadings(lines), 2);
});

test("a closed cursor's fast path serves the next cursor, with batches of any capacity", () => {
  const lines = captureLines('vblk-virtio-iommu.trace.txt').slice(0, 3000);
  const text = lines.join('\n');
  const expected = fastReadings(text, undefined, 4096);
  // Large batches first, then small ones on the parsers the closed cursors left.
  for (const capacity of [4096, 8192, 7, 64, 1]) {
    const cursor = TraceCursor.fromText(text);
    const batch = new EventBatch(capacity);
    const out: Reading[] = [];
    while (cursor.nextBatch(batch)) {
      assert.ok(batch.count <= capacity);
      for (let at = 0; at < batch.count * STRIDE; at += STRIDE) {
        const r = batch.records;
        if (r[at + R_CODE] >= 0) out[r[at + R_LINE]] = { event: HOT_NAMES[r[at + R_CODE]], line: r[at + R_LINE], offset: r[at + R_OFFSET], timestamp: r[at + R_TIME], cpu: r[at + R_CPU], decoded: { ...hot.at(batch, at) } };
      }
    }
    cursor.close();
    assert.deepEqual(out, expected, `batches of ${capacity}`);
  }
});
