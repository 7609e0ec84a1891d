// The outline of a kernel trace: its markers, in order, with the columns of their text, in both layouts.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { MARKERS_LISTED, markersOf } from '../../src/extension/traceOutline';
import { TRACES } from '../ftrace/helpers';

const outline = (lines: string[]) => markersOf(lines.length, (i) => lines[i]);

test('the markers of a real capture, in order, each with the columns of its text', () => {
  const lines = fs.readFileSync(path.join(TRACES, 'udmabuf-noiommu.trace.txt'), 'latin1').split('\n');
  const marks = outline(lines);
  assert.deepEqual(marks.map((m) => [m.line + 1, m.text]), [
    [13, 'PHASE tracing started'],
    [14, 'PHASE udmabuf: 64KiB buffer, 8 x (write, read, rw) CPU-access brackets via DMA_BUF_IOCTL_SYNC'],
    [17, 'PHASE udmabuf: 1MiB buffer, 4 iterations'],
    [20, 'PHASE udmabuf: done'],
    [21, 'PHASE tracing stopped'],
  ]);
  for (const m of marks) assert.equal(lines[m.line].slice(m.start, m.end), m.text);
});

test("trace-cmd report's print events are markers too; comments, other events and empty markers are not", () => {
  const lines = [
    '# tracing_mark_write: not a marker',
    '            bash-1425  [002]  1219.403900: print:                tracing_mark_write: PHASE one',
    '   a-1 [000] ..... 1.0: dma_map_phys: d dir=TO_DEVICE dma_addr=1 size=1 phys_addr=1 attrs=',
    '   a-1 [000] ..... 2.0: tracing_mark_write: ',
    '   two-2 [000] ..... 3.0: tracing_mark_write: two  ',
  ];
  const marks = outline(lines);
  assert.deepEqual(marks.map((m) => [m.line, m.text, lines[m.line].slice(m.start, m.end)]), [[1, 'PHASE one', 'PHASE one'], [4, 'two', 'two']]);
  assert.equal(marks[1].start, lines[4].indexOf('two  '));
});

test(`a capture with a marker per request lists the first ${MARKERS_LISTED}`, () => {
  const lines = Array.from({ length: 3 * MARKERS_LISTED }, (_, i) => `   a-1 [000] ..... ${i}.0: tracing_mark_write: request ${i}`);
  const marks = outline(lines);
  assert.equal(marks.length, MARKERS_LISTED);
  assert.equal(marks.at(-1)?.text, `request ${MARKERS_LISTED - 1}`);
});
