// The streaming reader (issue 6 item 1): context columns, headers and comments, lost-event markers, malformed
// lines, line numbers and byte offsets, and reading from any line's offset.
import assert from 'node:assert/strict';
import { test } from 'node:test';
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

test('task names with UTF-8 bytes display as the kernel wrote them', () => {
  const bytes = Buffer.from('  caf\u00e9-7 [000] ..... 1.0: tracing_mark_write: x\n', 'utf8');
  const [r] = read(bytes.toString('latin1'));
  assert.equal(displayTask(r.task), 'caf\u00e9');
});
