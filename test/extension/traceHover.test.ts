// Hovers on a kernel trace's terms outside debugging: every event of the real captures that the checker reads, and
// every direction, is explained where the mouse is on it; attributes and markers too; other numbers and words not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { traceTermHover } from '../../src/extension/traceHoverText';
import { traceTermAt } from '../../src/extension/traceTermAt';
import { decodeEvent } from '../../src/ftrace/events';
import { parseLine } from '../../src/ftrace/lineParser';
import { captureLines, captures } from '../ftrace/helpers';

/** The hover's text with the mouse on the first occurrence of `at` (plus `offset` characters) in `line`. */
const hover = (line: string, at: string, offset = 0) => {
  const found = traceTermAt(line, line.indexOf(at) + offset);
  return found && traceTermHover(found.term);
};

const MAP = '         exe-256 [001] dBH1.  13.292411: dma_map_phys: 0000:00:02.0 dir=TO_DEVICE dma_addr=fffed002 size=1442 phys_addr=c602002 attrs=SKIP_CPU_SYNC|NO_WARN';
const SG = '  udmabuf-sync-157 [000] ..... 5.434555: dma_map_sg: udmabuf dir=DMA_BIDIRECTIONAL nents=130/130 ents=130/130 [TRUNCATED] dma_addrs={0x1018c000} sizes={0x1000}';
const REPORT = '     kworker/0:1-42    [000]    12.345678: dma_sync_single_for_cpu: 0000:01:00.0 dir=FROM_DEVICE dma_addr=ffff0000 size=1536';

test('every event of the real captures that the checker reads, and every direction, has its hover where the mouse is on it', () => {
  const explained = new Set<string>();
  for (const name of captures()) {
    for (const [i, line] of captureLines(name).entries()) {
      const r = parseLine(line, 0, line.length, i + 1, 0);
      if (r?.kind !== 'event') continue;
      const at = line.indexOf(`: ${r.event}:`) + 2;
      for (const column of [at, at + r.event.length - 1]) {
        const found = traceTermAt(line, column);
        assert.deepEqual(found && { ...found.term, start: found.start, end: found.end }, { kind: 'event', name: r.event, start: at, end: at + r.event.length }, `${name}:${i + 1}`);
      }
      const text = traceTermHover({ kind: 'event', name: r.event });
      if (decodeEvent(r).op !== 'other') assert.ok(text?.startsWith(`\`${r.event}\``), `${name}:${i + 1}: ${r.event}`);
      if (text) explained.add(r.event);
      const dir = /\bdir=(\S+)/.exec(line);
      if (dir) assert.match(traceTermHover(traceTermAt(line, dir.index + 5)!.term) ?? '', /^`DMA_[A-Z_]+`: /, `${name}:${i + 1}`);
    }
  }
  for (const e of ['dma_map_phys', 'dma_map_page', 'dma_unmap_sg', 'dma_sync_single_for_cpu', 'swiotlb_bounced', 'map', 'unmap', 'dma_fence_signaled', 'tracing_mark_write']) {
    assert.ok(explained.has(e), e);
  }
});

test('what the hovers say: the kernel call, the hand-off, the checks made there', () => {
  assert.match(hover(MAP, 'dma_map_phys')!, /dma_map_single.*Checked here: a failed map/s);
  assert.match(hover(REPORT, 'dma_sync_single_for_cpu', 4)!, /back to the CPU.*stale read.*Checked here: a sync of nothing mapped/s);
  assert.match(hover(SG, 'dma_map_sg')!, /nents=.*128 entries/);
  assert.match(hover(MAP, 'TO_DEVICE')!, /^`DMA_TO_DEVICE`: the \*\*device reads\*\*/);
  assert.match(hover(SG, 'BIDIRECTIONAL')!, /^`DMA_BIDIRECTIONAL`/, 'the DMA_ spelling');
  assert.match(hover(SG, 'DMA_BIDIRECTIONAL')!, /^`DMA_BIDIRECTIONAL`/);
  assert.match(hover(REPORT, 'FROM_DEVICE', 3)!, /^`DMA_FROM_DEVICE`/, "trace-cmd report's layout");
  // The blank after a value is outside it, as the one after the event's name is.
  assert.equal(traceTermAt(MAP, MAP.indexOf('TO_DEVICE ') + 'TO_DEVICE'.length), undefined);
  assert.equal(traceTermAt(MAP, MAP.indexOf('dma_map_phys:') + 'dma_map_phys'.length), undefined);
});

test('attributes, lost events and truncated lists are explained; the flag under the mouse, the whole marker', () => {
  assert.match(hover(MAP, 'SKIP_CPU_SYNC', 5)!, /^`DMA_ATTR_SKIP_CPU_SYNC`: \*\*no cache maintenance\*\*/);
  assert.match(hover(MAP, 'NO_WARN')!, /^`DMA_ATTR_NO_WARN`/);
  assert.deepEqual(traceTermAt(MAP, MAP.indexOf('NO_WARN') + 2), { term: { kind: 'attr', name: 'NO_WARN' }, start: MAP.indexOf('NO_WARN'), end: MAP.length });
  assert.match(hover(MAP.replace('SKIP_CPU_SYNC|NO_WARN', 'WEIRD_NEW'), 'WEIRD')!, /^`WEIRD_NEW`: a DMA attribute/);
  const lost = 'CPU:1 [LOST 23 EVENTS]';
  assert.deepEqual(traceTermAt(lost, 10), { term: { kind: 'lost', count: 23 }, start: 6, end: lost.length });
  assert.match(hover(lost, 'LOST')!, /23 events lost.*window information/s);
  assert.match(hover(SG, '[TRUNCATED]', 3)!, /at most 128 entries/);
});

test('no hover on tasks, CPUs, flags, timestamps, sizes, addresses, keys, device names or other events', () => {
  for (const [line, at] of [[MAP, 'exe-256'], [MAP, '001'], [MAP, 'dBH1'], [MAP, '13.292411'], [MAP, '1442'], [MAP, 'fffed002'], [MAP, 'dma_addr'], [MAP, 'dir='], [MAP, '0000:00:02.0'], [SG, 'udmabuf dir'], [SG, '130/130']] as const) {
    assert.equal(hover(line, at), undefined, at);
  }
  const sched = '          <idle>-0       [001] d..2.    12.000001: sched_switch: prev_comm=swapper/1 dir=TO_DEVICE';
  assert.equal(hover(sched, 'sched_switch'), undefined, 'another group of events: no text for it');
  const otherMap = '          <idle>-0       [001] d..2.    12.000001: map: kvm_mmu gfn=0x1000';
  assert.equal(hover(otherMap, 'map:'), undefined, "a `map` event that is not the IOMMU's");
  assert.match(hover('          ip-169 [000] ..... 7.685901: map: IOMMU: iova=0x1000 - 0x2000 paddr=0x5000 size=4096', 'map:')!, /\*\*IOMMU\*\* mapped/);
  assert.equal(traceTermAt('', 0), undefined);
  assert.equal(traceTermAt('# tracer: nop', 3), undefined);
});

test('any line, any column: no throw, and a term found spans the column, with a text or none', () => {
  const pieces = fc.constantFrom(' ', '  ', '=', '|', ':', '[', ']', '{', '}', 'dir=', 'attrs=', 'TO_DEVICE', 'DMA_', '[LOST 3 EVENTS]', '[TRUNCATED]', '12.5:', ' 5.434555: ', 'dma_map_sg:', 'x', '0x1f', '\t');
  fc.assert(fc.property(fc.array(fc.oneof(pieces, fc.string()), { maxLength: 30 }), fc.nat(400), (parts, at) => {
    const line = parts.join('');
    const column = line.length === 0 ? 0 : at % (line.length + 1);
    const found = traceTermAt(line, column);
    if (!found) return;
    assert.ok(found.start <= column && column < found.end && found.end <= line.length, JSON.stringify({ line, column, found }));
    const text = traceTermHover(found.term);
    assert.ok(text === undefined || text.length > 0);
  }), { numRuns: 2000 });
});
