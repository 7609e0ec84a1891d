// The debugger's stream of events hands out exactly the events the cursor and `decodeEvent` make of a capture, with
// the `[LOST N EVENTS]` markers on the way, from any starting line; an event's whole record is the cursor's.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { decodeEvent } from '../../src/ftrace/events';
import { TraceChecker } from '../../src/ftrace/checker';
import { EventStream } from '../../src/ftrace/eventStream';
import { HotEvents } from '../../src/ftrace/hotEvents';
import { TraceCursor, type CursorStart } from '../../src/ftrace/reader';
import type { TraceRecord } from '../../src/ftrace/record';
import { captureLines, captures, ev, TRACES } from './helpers';

/** What the stream hands out from `start`, each event and each lost marker as a line of text. */
function streamed(file: string, start: CursorStart = { offset: 0, line: 1 }, chunk = 64 * 1024, ahead: 'never' | 'always' = 'never'): string[] {
  const out: string[] = [];
  const stream = EventStream.open(file, start, chunk, (r) => r.kind === 'lost' && out.push(`lost ${r.line} ${r.lost}`), ahead);
  try {
    while (stream.advance()) out.push(`${stream.line}@${stream.offset} ${stream.timestamp} cpu${stream.cpu} ${stream.name} ${JSON.stringify(stream.event)}`);
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
  const stream = EventStream.open(file, { offset: 0, line: 1 }, 64 * 1024, () => undefined);
  let hot = 0;
  for (let i = 0; stream.advance(); i++) {
    if (i % 50 !== 0) continue;
    if (stream.replay(new HotEvents())) hot++;
    const r = stream.record();
    const want = records.get(stream.line)!;
    assert.deepEqual([r.line, r.offset, r.event, r.task, r.pid, r.cpu, r.timestamp, r.flags, r.body], [want.line, want.offset, want.event, want.task, want.pid, want.cpu, want.timestamp, want.flags, want.body]);
  }
  stream.close();
  assert.ok(hot > 100, `${hot} events the fast path decoded were read again`);
});

test('marks, allocations and frees come out of a stream as the general parser decodes their lines, as events, not as numbers', () => {
  const seen = new Map<string, number>();
  for (const name of captures()) {
    const file = path.join(TRACES, name);
    const stream = EventStream.open(file, { offset: 0, line: 1 }, 64 * 1024, () => undefined);
    while (stream.advance()) {
      if (!['tracing_mark_write', 'dma_alloc', 'dma_free'].includes(stream.name)) continue;
      seen.set(stream.name, (seen.get(stream.name) ?? 0) + 1);
      assert.equal(stream.replay(new HotEvents()), false, `${name}:${stream.line}`);
      assert.deepEqual(stream.event, decodeEvent(stream.record()), `${name}:${stream.line}`);
    }
    stream.close();
  }
  assert.deepEqual(Object.fromEntries(seen), { tracing_mark_write: 176, dma_alloc: 84, dma_free: 6 });
});

/** What a checker holds at the end: per device its figures and live mappings, and the IOMMU's. */
function stateOf(c: TraceChecker): string {
  const devices = [...c.devices.values()].map((d) => [d.name, d.stats, d.live, d.mappings().map((m) => m.id)]);
  return JSON.stringify([devices, c.iommu.maps, c.iommu.unmaps, c.iommu.peakLive, c.iommu.byIova.values()]);
}

test('an event the fast path decoded is handed over as numbers that make the same event, and a checker fed them ends as one fed the decoded events', () => {
  for (const name of ['e1000e-intel-iommu.trace.txt', 'gpu-swiotlb-force-linux6.12.trace.txt', 'mixed-noiommu.trace.txt']) {
    const file = path.join(TRACES, name);
    const findings: [string[], string[]] = [[], []];
    const byNumbers = new TraceChecker((f) => findings[0].push(`${f.line} ${f.detail} ${f.message}`));
    const byEvents = new TraceChecker((f) => findings[1].push(`${f.line} ${f.detail} ${f.message}`));
    const stream = EventStream.open(file, { offset: 0, line: 1 }, 64 * 1024, (r) => {
      byNumbers.apply(r);
      byEvents.apply(r);
    });
    const hot = new HotEvents();
    let replayed = 0;
    while (stream.advance()) {
      if (stream.replay(hot)) {
        replayed++;
        assert.deepEqual(hot.event, stream.event, `${name}:${stream.line}`);
      }
      byEvents.applyEvent(stream.event, stream.line, stream.offset, stream.timestamp, stream.cpu);
      stream.applyTo(byNumbers);
    }
    stream.close();
    byNumbers.finish();
    byEvents.finish();
    assert.ok(replayed > 1000, `${name}: ${replayed} events handed over as numbers`);
    assert.deepEqual(findings[0], findings[1], name);
    assert.equal(stateOf(byNumbers), stateOf(byEvents), name);
  }
});
