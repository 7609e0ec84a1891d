// The debugger's stream of events hands out exactly the events the cursor and `decodeEvent` make of a capture, with
// the `[LOST N EVENTS]` markers on the way, from any starting line; an event's whole record is the cursor's.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { decodeEvent } from '../../src/ftrace/events';
import { EventStream } from '../../src/ftrace/eventStream';
import { TraceCursor, type CursorStart } from '../../src/ftrace/reader';
import type { TraceRecord } from '../../src/ftrace/record';
import { captureLines, captures, ev, TRACES } from './helpers';

/** What the stream hands out from `start`, each event and each lost marker as a line of text. */
function streamed(file: string, start: CursorStart = { offset: 0, line: 1 }, chunk = 64 * 1024, ahead: 'never' | 'always' = 'never'): string[] {
  const out: string[] = [];
  const stream = new EventStream(file, start, chunk, (r) => out.push(`lost ${r.line} ${r.lost}`), ahead);
  try {
    for (let e = stream.next(); e; e = stream.next()) out.push(`${e.line}@${e.offset} ${e.timestamp} cpu${e.cpu} ${e.name} ${JSON.stringify(e.event)}`);
  } finally {
    stream.close();
  }
  return out;
}

/** The same, from the cursor and `decodeEvent`. */
function cursored(file: string, start: CursorStart = { offset: 0, line: 1 }): string[] {
  const out: string[] = [];
  const cursor = TraceCursor.open(file, start);
  try {
    for (const r of cursor) {
      if (r.kind === 'lost') out.push(`lost ${r.line} ${r.lost}`);
      if (r.kind === 'event') out.push(`${r.line}@${r.offset} ${r.timestamp} cpu${r.cpu} ${r.event} ${JSON.stringify(decodeEvent(r))}`);
    }
  } finally {
    cursor.close();
  }
  return out;
}

test('on every real capture, the stream hands out the events of the cursor and decodeEvent, in order', () => {
  for (const name of captures()) {
    const file = path.join(TRACES, name);
    const events = streamed(file);
    assert.ok(events.length > 0, name);
    assert.deepEqual(events, cursored(file), name);
    assert.deepEqual(streamed(file, undefined, undefined, 'always'), events, `${name}, decoded on a reading thread`);
  }
});

test('from any starting line, across small reads, with lost markers and lines of every kind on the way', () => {
  const lines = [
    '# tracer: nop', '', ev(1, 'dma_map_phys', 'dev dir=TO_DEVICE dma_addr=1000 size=16 phys_addr=1000 attrs='),
    'CPU:1 [LOST 12 EVENTS]', 'garbage', ev(2, 'dma_alloc', 'dev dma_addr=2000 size=64 virt_addr=1 flags=GFP_KERNEL attrs='),
    ev(3, 'dma_unmap_phys', 'dev dir=TO_DEVICE dma_addr=1000 size=16 attrs='), ev(4, 'tracing_mark_write', 'PHASE x'),
    ...captureLines('nvme-intel-iommu.trace.txt').slice(0, 300),
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'event-stream-'));
  const file = path.join(dir, 'x.trace.txt');
  fs.writeFileSync(file, lines.join('\n') + '\n', 'latin1');
  try {
    let offset = 0;
    lines.forEach((line, i) => {
      if (i % 37 === 0 || i < 8) assert.deepEqual(streamed(file, { offset, line: i + 1 }, 256), cursored(file, { offset, line: i + 1 }), `from line ${i + 1}`);
      if (i % 101 === 3) assert.deepEqual(streamed(file, { offset, line: i + 1 }, 256, 'always'), cursored(file, { offset, line: i + 1 }), `from line ${i + 1}, on a reading thread`);
      offset += line.length + 1;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an event's whole record is the cursor's record of its line, read again for a line the fast path decoded", () => {
  const file = path.join(TRACES, 'vblk-virtio-iommu.trace.txt');
  const records = new Map<number, TraceRecord>();
  for (const r of TraceCursor.open(file)) if (r.kind === 'event') records.set(r.line, r);
  const stream = new EventStream(file, { offset: 0, line: 1 }, 64 * 1024, () => undefined);
  let hot = 0;
  for (let e = stream.next(), i = 0; e; e = stream.next(), i++) {
    if (i % 50 !== 0) continue;
    if (!e.record) hot++;
    const r = stream.recordOf(e);
    const want = records.get(e.line)!;
    assert.deepEqual([r.line, r.offset, r.event, r.task, r.pid, r.cpu, r.timestamp, r.flags, r.body], [want.line, want.offset, want.event, want.task, want.pid, want.cpu, want.timestamp, want.flags, want.body]);
  }
  stream.close();
  assert.ok(hot > 100, `${hot} events the fast path decoded were read again`);
});
