// The streaming reader (issue 6 item 1): context columns, headers and comments, lost-event markers, malformed
// lines, line numbers and byte offsets, and reading from any line's offset; batches (`nextBatch`) over any bytes.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import fc from 'fast-check';
import { EventBatch } from '../../src/ftrace/eventBatch';
import { HotEvents } from '../../src/ftrace/hotEvents';
import { MARK, R_CODE, R_LINE, R_OFFSET, R_OTHER, SLOW, STRIDE } from '../../src/ftrace/recordLayout';
import { MAX_LINE } from '../../src/ftrace/lineParser';
import { TraceCursor, displayTask } from '../../src/ftrace/reader';
import type { TraceRecord } from '../../src/ftrace/record';

function read(text: string, chunkSize?: number): TraceRecord[] {
  return [...TraceCursor.fromText(text, undefined, chunkSize)];
}

test('reads the context columns of /sys/kernel/tracing/trace: task-pid, cpu, flags, timestamp, event', () => {
  const [r] = read('    kworker/u8:0-12      [001] ..s1.     6.194187: dma_unmap_phys: 0000:00:02.0 dir=FROM_DEVICE dma_addr=2727000 size=4096 attrs=\n');
  assert.equal(r.kind, 'event');
  assert.equal(r.task, 'kworker/u8:0');
  assert.equal(r.pid, 12);
  assert.equal(r.tgid, -1);
  assert.equal(r.cpu, 1);
  assert.equal(r.flags, '..s1.');
  assert.equal(r.timestamp, 6.194187);
  assert.equal(r.event, 'dma_unmap_phys');
  assert.equal(r.body, '0000:00:02.0 dir=FROM_DEVICE dma_addr=2727000 size=4096 attrs=');
});

test('a task name may hold spaces and dashes; the pid is after the last dash', () => {
  const [r] = read('  Web Content-x-1234  [000] d..1.   100.000001: dma_map_phys: 0000:00:02.0 dir=TO_DEVICE dma_addr=1000 size=8 phys_addr=1000 attrs=\n');
  assert.equal(r.task, 'Web Content-x');
  assert.equal(r.pid, 1234);
});

test('reads the optional (TGID) column, also when the tgid is unknown', () => {
  const [a, b] = read([
    '           <idle>-0       (      0) [001] ..s1.     6.194187: dma_unmap_phys: d dir=TO_DEVICE dma_addr=1 size=1 attrs=',
    '            bash-77       (-------) [000] .....     7.000000: tracing_mark_write: hello',
  ].join('\n'));
  assert.equal(a.task, '<idle>');
  assert.equal(a.tgid, 0);
  assert.equal(b.tgid, -1);
  assert.equal(b.pid, 77);
});

test('reads trace-cmd report lines: no flags column, padded event names, the marker as a print event', () => {
  const [a, b] = read([
    '            bash-1425  [002]  1219.403813: dma_map_phys:         0000:00:02.0 dir=TO_DEVICE dma_addr=1000 size=8 phys_addr=1000 attrs=',
    '            bash-1425  [002]  1219.403900: print:                tracing_mark_write: PHASE one',
  ].join('\n'));
  assert.equal(a.flags, '');
  assert.equal(a.cpu, 2);
  assert.equal(a.event, 'dma_map_phys');
  assert.equal(a.body.startsWith('0000:00:02.0 dir='), true);
  assert.equal(b.event, 'tracing_mark_write');
  assert.equal(b.body, 'PHASE one');
});

test('header and comment lines, trace-cmd preambles and buffer-started banners are not malformed', () => {
  const recs = read(['# tracer: nop', '#', 'cpus=2', 'version = 6', 'CPU 1 is empty', '##### CPU 1 buffer started ####'].join('\n'));
  assert.deepEqual(recs.map((r) => r.kind), ['comment', 'comment', 'header', 'header', 'header', 'header']);
});

test('CPU:N [LOST N EVENTS] markers carry the cpu and the count', () => {
  const [r] = read('CPU:1 [LOST 4242 EVENTS]\n');
  assert.equal(r.kind, 'lost');
  assert.equal(r.cpu, 1);
  assert.equal(r.lost, 4242);
});

test('a malformed line is reported with its line number and skipped; reading goes on', () => {
  const recs = read([
    '# tracer: nop',
    'this is not a trace line',
    '    kworker/0:1-42      [000] .....  notatime: dma_map_phys: x',
    '    kworker/0:1-42      [000] .....     1.000000 dma_map_phys no colon',
    '    kworker/0:1-42      [000] .....     2.000000: dma_map_phys: d dir=TO_DEVICE dma_addr=1 size=1 phys_addr=1 attrs=',
  ].join('\n'));
  assert.deepEqual(recs.map((r) => [r.kind, r.line]), [['comment', 1], ['malformed', 2], ['malformed', 3], ['malformed', 4], ['event', 5]]);
  assert.match(recs[1].body, /CPU/);
  assert.match(recs[2].body, /timestamp/);
});

test('blank lines are skipped but counted; CRLF line ends and a missing final newline are accepted', () => {
  const recs = read('\r\n   a-1 [000] ..... 1.0: tracing_mark_write: x\r\n\n   b-2 [001] ..... 2.5: tracing_mark_write: y');
  assert.deepEqual(recs.map((r) => [r.line, r.body]), [[2, 'x'], [4, 'y']]);
});

test("a UTF-8 byte order mark before the file's first line is not part of it, whether a header or an event follows", () => {
  const bom = '\xef\xbb\xbf';
  const header = read(`${bom}# tracer: nop\n   a-1 [000] ..... 1.0: tracing_mark_write: x\n`);
  assert.deepEqual(header.map((r) => [r.kind, r.line]), [['comment', 1], ['event', 2]]);
  const event = read(`${bom}   a-1 [000] ..... 1.0: dma_map_phys: d dir=TO_DEVICE dma_addr=1000 size=16 phys_addr=1000 attrs=\n`);
  assert.deepEqual(event.map((r) => [r.kind, r.task, r.pid, r.offset]), [['event', 'a', 1, 0]]);
  // Only at the start of the file: elsewhere those bytes are text of the line.
  assert.equal(read(`   a-1 [000] ..... 1.0: tracing_mark_write: x\n${bom}# c\n`)[1].kind, 'malformed');
});

test('byte offsets point at each line, and a cursor opened at an offset reads on from that line', () => {
  const text = ['# c', '   a-1 [000] ..... 1.0: tracing_mark_write: one', '   b-2 [001] ..... 2.0: tracing_mark_write: two', '   c-3 [000] ..... 3.0: tracing_mark_write: three'].join('\n') + '\n';
  const all = read(text);
  for (const r of all) assert.equal(text.slice(r.offset, r.offset + r.text.length), r.text);
  const from = [...TraceCursor.fromText(text, { offset: all[2].offset, line: all[2].line })];
  assert.deepEqual(from.map((r) => [r.line, r.body]), [[3, 'two'], [4, 'three']]);
});

test('lines longer than the read chunk and lines split across chunks read whole', () => {
  const long = '   a-1 [000] ..... 1.0: tracing_mark_write: ' + 'x'.repeat(5000);
  const short = '   b-2 [001] ..... 2.0: tracing_mark_write: short';
  const text = [long, short, long].join('\n') + '\n';
  const recs = read(text, 64);
  assert.deepEqual(recs.map((r) => r.body.length), [5000, 5, 5000]);
  assert.deepEqual(recs.map((r) => r.offset), [0, long.length + 1, long.length + short.length + 2]);
});

test('the reader never holds the file: position advances and reaching the end returns undefined again', () => {
  const c = TraceCursor.fromText('   a-1 [000] ..... 1.0: tracing_mark_write: one\n');
  assert.equal(c.next()?.body, 'one');
  assert.equal(c.next(), undefined);
  assert.equal(c.next(), undefined);
  assert.equal(c.position, c.size);
});

test('a file reads on past the size it had when opened (tracefs says 0 for `trace`); an end given stops it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reader-grow-'));
  const file = path.join(dir, 'x.trace.txt');
  const line = (n: number): string => `  bash-1 [000] ...1. ${n}.000000: tracing_mark_write: m${n}\n`;
  try {
    fs.writeFileSync(file, line(1));
    const cursor = TraceCursor.open(file);
    assert.equal(cursor.size, line(1).length);
    fs.appendFileSync(file, line(2) + line(3));
    assert.deepEqual([...cursor].map((r) => r.kind === 'event' && r.body), ['m1', 'm2', 'm3']);
    cursor.close();
    const until = TraceCursor.open(file, { offset: 0, line: 1, end: 2 * line(1).length });
    assert.deepEqual([...until].map((r) => r.kind === 'event' && r.body), ['m1', 'm2']);
    until.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('task names with UTF-8 bytes display as the kernel wrote them', () => {
  const bytes = Buffer.from('  caf\u00e9-7 [000] ..... 1.0: tracing_mark_write: x\n', 'utf8');
  const [r] = read(bytes.toString('latin1'));
  assert.equal(displayTask(r.task), 'caf\u00e9');
});

/** `[line, offset]` of each line `nextBatch` yields, and the text of those it leaves to the general parser. */
function batched(cursor: TraceCursor, capacity = 16): { at: [number, number][]; slow: string[] } {
  const batch = new EventBatch(capacity);
  const at: [number, number][] = [];
  const slow: string[] = [];
  while (cursor.nextBatch(batch)) {
    for (let r = 0; r < batch.count * STRIDE; r += STRIDE) {
      at.push([batch.records[r + R_LINE], batch.records[r + R_OFFSET]]);
      if (batch.records[r + R_CODE] === SLOW) slow.push(batch.texts[batch.records[r + R_OTHER]]);
    }
  }
  return { at, slow };
}

/** What `next` reads of the same text: every line's number and offset, and the text of those that are not hot events. */
function iterated(text: string, chunkSize?: number): { at: [number, number][]; texts: string[] } {
  const recs = read(text, chunkSize);
  return { at: recs.map((r) => [r.line, r.offset]), texts: recs.map((r) => r.text) };
}

test('batches read any bytes without failing, line for line as `next` reads them: garbage, NUL, CR, no final newline', () => {
  const bytes = fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('latin1'));
  const lines = fc.array(fc.oneof(bytes, fc.constantFrom('', '\r', '\0', '   a-1 [000] ..... 1.0: dma_sync_single_for_cpu: d dir=NONE dma_addr=1 size=1\r')), { maxLength: 20 });
  fc.assert(fc.property(lines, fc.constantFrom(16, 64, 4096), (ls, chunk) => {
    const text = ls.join('\n');
    const got = batched(TraceCursor.fromText(text, undefined, chunk));
    const want = iterated(text, chunk);
    assert.deepEqual(got.at, want.at);
    for (const s of got.slow) assert.ok(want.texts.includes(s));
  }), { numRuns: 300 });
});

test('a file of one 10 MB line, and 10 MB lines between others, read whole in batches', () => {
  const huge = '   a-1 [000] ..... 1.0: sched_switch: ' + 'x'.repeat(10 * 1024 * 1024);
  const hotLine = '   b-2 [001] ..... 2.0: dma_unmap_phys: d dir=TO_DEVICE dma_addr=1 size=1 attrs=';
  const one = batched(TraceCursor.fromText(huge, undefined, 64 * 1024));
  assert.deepEqual(one.at, [[1, 0]]);
  assert.equal(one.slow[0], huge);
  const mixed = [hotLine, huge, hotLine, huge, hotLine].join('\r\n') + '\r\n';
  const got = batched(TraceCursor.fromText(mixed, undefined, 64 * 1024), 2);
  assert.deepEqual(got.at, iterated(mixed).at);
  assert.deepEqual(got.slow, [huge, huge]);
  // A mark of 10 MB, which the fast path reads: its text whole.
  const text = 'y'.repeat(10 * 1024 * 1024);
  const batch = new EventBatch(4);
  assert.ok(TraceCursor.fromText(`${hotLine}\n   a-1 [000] ..... 1.0: tracing_mark_write: ${text}\n${hotLine}`, undefined, 64 * 1024).nextBatch(batch));
  assert.deepEqual([batch.count, batch.records[STRIDE + R_CODE]], [3, MARK]);
  assert.deepEqual(new HotEvents().at(batch, STRIDE), { op: 'mark', text });
});

test('batches go on from where `next` stopped on the same cursor', () => {
  const line = (k: number) => `   b-2 [001] ..... ${k}.0: dma_unmap_phys: d dir=TO_DEVICE dma_addr=${k} size=1 attrs=`;
  const text = Array.from({ length: 50 }, (_, k) => line(k)).join('\n');
  const cursor = TraceCursor.fromText(text, undefined, 256);
  for (let k = 0; k < 7; k++) cursor.next();
  const rest = batched(cursor);
  assert.deepEqual(rest.at, iterated(text).at.slice(7));
  assert.equal(cursor.nextLine, 51);
});

test('a line longer than MAX_LINE is malformed, not read, at its own line and offset; the lines after it read as ever', () => {
  const hot = (k: number) => `   b-2 [001] ..... ${k}.0: dma_unmap_phys: d dir=TO_DEVICE dma_addr=${k} size=1 attrs=`;
  const long = '   a-1 [000] ..... 1.5: tracing_mark_write: ' + 'x'.repeat(MAX_LINE + 1000);
  const text = [hot(1), long, hot(2), ''].join('\n');
  const offsets = [0, hot(1).length + 1, hot(1).length + long.length + 2];
  const recs = read(text);
  assert.deepEqual(recs.map((r) => [r.line, r.offset, r.kind]), [[1, offsets[0], 'event'], [2, offsets[1], 'malformed'], [3, offsets[2], 'event']]);
  assert.equal(recs[1].body, `${MAX_LINE / 2 ** 20} MiB or longer: not read`);
  assert.equal(recs[1].text, `<a line of ${MAX_LINE / 2 ** 20} MiB or longer, not read>`);
  assert.deepEqual(batched(TraceCursor.fromText(text)).at, [[1, offsets[0]], [2, offsets[1]], [3, offsets[2]]]);
  // Where the cursor stands right after it: where a reader handed the rest starts.
  const cursor = TraceCursor.fromText(text);
  cursor.next();
  cursor.next();
  assert.deepEqual([cursor.position, cursor.nextLine], [offsets[2], 3]);
  const atEnd = TraceCursor.fromText(hot(1) + '\n' + long);
  atEnd.next();
  atEnd.next();
  assert.equal(atEnd.position, hot(1).length + 1 + long.length);
  // Last, with no newline after it.
  assert.deepEqual(read(hot(1) + '\n' + long).map((r) => [r.line, r.kind]), [[1, 'event'], [2, 'malformed']]);
});
