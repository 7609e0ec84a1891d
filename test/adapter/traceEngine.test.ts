// The trace engine on real captures: which programs open as traces, one step per event, checker findings as
// hazards, any position restored from a checkpoint equal to the same position reached forwards, and the
// device / dma / phys function breakpoint queries.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTrace, isBug, TraceCursor } from '../../src/ftrace/index';
import { isTraceProgram, looksLikeTraceText } from '../../src/adapter/traceDetect';
import { openProgram } from '../../src/adapter/programs';
import { TraceEngine } from '../../src/adapter/traceEngine';
import { parseTraceQuery } from '../../src/adapter/traceBreakpoints';
import { lineWith, mutated, trace } from './traceFiles';
import { ev, tempTrace } from '../ftrace/helpers';

const UDMABUF = trace('udmabuf-noiommu.trace.txt');
const E1000 = trace('e1000-swiotlb-force.trace.txt');

/** The checker's state as text: every device's live mappings, the IOMMU's, and the findings so far. */
function digest(e: TraceEngine): string {
  const c = e.checker;
  const devices = [...c.devices.values()].map((d) => `${d.name}:${[...d.mappings()].map((m) => `${m.id}@${m.segments[0].dma}`).join(',')}:${d.coherent.size}:${d.pendingBounces.size}`);
  return `${e.position} line ${e.pending?.line} ${devices.join(' ')} iommu ${c.iommu.byIova.size} hazards ${e.hazardsBefore(e.position).length}`;
}

function runToEnd(e: TraceEngine): string[] {
  const states = [digest(e)];
  while (!e.done) {
    e.step();
    states.push(digest(e));
  }
  return states;
}

describe('opening a program as a trace', () => {
  test('a .trace file, or a .txt whose first lines look like ftrace output, is a trace', () => {
    assert.equal(isTraceProgram(UDMABUF), true);
    assert.equal(isTraceProgram(mutated('udmabuf-noiommu.trace.txt', (l) => l, 'capture.trace')), true);
    const bare = mutated('udmabuf-noiommu.trace.txt', (l) => l.filter((s) => !s.startsWith('#')), 'events-only.txt');
    assert.equal(isTraceProgram(bare), true);
    assert.equal(looksLikeTraceText('cpus=2\n          <idle>-0     [001]  5.1: dma_map_phys: 0000:00:02.0 dir=TO_DEVICE dma_addr=1 size=2 phys_addr=1 attrs=\n'), true);
    // Saved by an editor that puts a UTF-8 byte order mark first (the head is read as latin1).
    assert.equal(looksLikeTraceText('\xef\xbb\xbf# tracer: nop\n#\n'), true);
  });

  test('a trace that cannot be read is an error of the launch; one without events ends at once', () => {
    const opened = openProgram({ program: '/nonexistent/capture.trace', stopOnEntry: false });
    assert.ok('errors' in opened && /capture.trace: error: cannot read the trace/.test(opened.errors[0]));
    const empty = new TraceEngine(mutated('udmabuf-noiommu.trace.txt', (l) => l.filter((s) => s.startsWith('#')), 'empty.trace'));
    assert.equal(empty.done, true);
    assert.deepEqual(empty.frames(), []);
    assert.deepEqual(empty.view.scopes().map((s) => `${s.name}: ${s.node.value}`), [
      'Event: end of the trace (last event at line 0)', 'Devices: 0', 'IOMMU: 0 mappings (0 maps, 0 unmaps)', 'Bounce slots: 0 in use', 'Findings: 0',
    ]);
  });

  test('a program that is not a file (a pipe, a directory) or is trace-cmd binary data is an error of the launch', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'program-fifo-'));
    try {
      for (const name of ['capture.trace', 'scenario.dmabuf']) {
        const fifo = path.join(dir, name);
        assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
        const opened = openProgram({ program: fifo, stopOnEntry: false });
        assert.ok('errors' in opened && /error: not a file/.test(opened.errors[0]), name);
      }
      const opened = openProgram({ program: dir, stopOnEntry: false });
      assert.ok('errors' in opened && /error: not a file/.test(opened.errors[0]));
      // trace-cmd's binary data under a trace's name: its report is what the debugger reads.
      const dat = path.join(dir, 'recorded.trace');
      fs.writeFileSync(dat, Buffer.concat([Buffer.from([0x17, 0x08, 0x44]), Buffer.from('tracing6\0'), Buffer.alloc(64)]));
      const binary = openProgram({ program: dat, stopOnEntry: false });
      assert.ok('errors' in binary && /binary data, not text: read it through `trace-cmd report/.test(binary.errors[0]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a .txt of other text, a .dmabuf or a missing file is not', () => {
    assert.equal(looksLikeTraceText('Notes on the camera pipeline\nline two\n'), false);
    assert.equal(isTraceProgram(mutated('udmabuf-noiommu.trace.txt', () => ['just some notes'], 'notes.txt')), false);
    assert.equal(isTraceProgram('/nonexistent/file.txt'), false);
    assert.equal(isTraceProgram(UDMABUF.replace('.trace.txt', '.dmabuf')), false);
  });
});

describe('the trace engine', () => {
  test('closed before its first pass ends (a cancelled launch), it lets go of the file', () => {
    const open = (): number => fs.readdirSync('/proc/self/fd').length;
    const before = open();
    const e = new TraceEngine(E1000);
    e.step();
    assert.equal(open(), before + 1, 'the first pass holds the file open');
    e.close();
    assert.equal(open(), before);
  });

  test('each event is a step, on the thread of its CPU, and the stack names the task and the event', () => {
    const e = new TraceEngine(UDMABUF);
    assert.deepEqual(e.frames().map((f) => f.name), ['tracing_mark_write', 'init-1 on CPU 1 @ 5.197607']);
    const threads: number[] = [];
    while (!e.done) threads.push(e.step().record.thread);
    assert.equal(e.position, 9);
    assert.deepEqual(threads, [1, 0, 0, 0, 1, 0, 0, 1, 0]);
    assert.deepEqual(e.threadNames, ['CPU 0', 'CPU 1']);
    assert.equal(e.statements.length, 9);
    assert.equal(e.statements[2].line, 15);
    assert.equal(e.statements[2].name, 'dma_map_sg');
    assert.match(e.statements[2].text, /^udmabuf-sync-157 +\[000\].*dma_map_sg: udmabuf dir=TO_DEVICE/);
    assert.deepEqual(e.statements.filter((s) => s.name === 'dma_unmap_sg').map((s) => s.line), [16, 19]);
  });

  test('the steps and hazards are the events and bug findings check-trace reports', () => {
    const e = new TraceEngine(E1000);
    runToEnd(e);
    let events = 0;
    for (const r of TraceCursor.open(E1000)) if (r.kind === 'event') events++;
    assert.equal(e.position, events);
    const report = checkTrace(TraceCursor.open(E1000), E1000);
    const bugs = report.findings.filter(isBug).map((f) => `${f.line} ${f.kind} ${f.detail}`);
    assert.deepEqual(e.hazards().map((h) => `${h.loc.line} ${h.kind} ${h.detail}`), bugs);
  });

  test('the direction mismatch of udmabuf is a hazard of the step that unmaps, with the map as related line', () => {
    const e = new TraceEngine(UDMABUF);
    const raised: string[] = [];
    while (!e.done) for (const h of e.step().detail.hazards) raised.push(`${e.position - 1} ${h.kind} ${h.detail} ${h.loc.line} ${h.related.map((r) => r.loc.line)}`);
    assert.deepEqual(raised, ['3 api-misuse direction-mismatch 16 15', '6 api-misuse direction-mismatch 19 18']);
  });

  test('restoring any position gives the state reached forwards, across checkpoints and in any order', () => {
    const forward = runToEnd(new TraceEngine(E1000));
    const e = new TraceEngine(E1000);
    runToEnd(e);
    assert.ok(e.checkpointCount > 5, `${e.checkpointCount} checkpoints`);
    for (const p of [0, forward.length - 1, 3000, 17, 5999, 256, 255, 257, 4000, 4001, 3999, 1]) {
      e.restore(p);
      assert.equal(digest(e), forward[p], `position ${p}`);
    }
  });

  test('the first pass keeps a page index, not the events nor a record per event', () => {
    const e = new TraceEngine(E1000);
    runToEnd(e);
    const perEvent = e.recordBytes() / e.position;
    assert.ok(perEvent <= 1, `${perEvent} bytes per event`);
    assert.ok(e.checkpointCount <= 1 + e.position / 256, `${e.checkpointCount} checkpoints for ${e.position} events`);
  });
});

describe('function breakpoints on a device, a dma address or a phys range', () => {
  test('queries are read from the breakpoint name', () => {
    assert.deepEqual(parseTraceQuery('device:udmabuf'), { kind: 'device', name: 'udmabuf' });
    assert.deepEqual(parseTraceQuery('dma:0x1000'), { kind: 'dma', lo: 0x1000, hi: 0x1001 });
    assert.deepEqual(parseTraceQuery('phys:0x1000-0x1fff'), { kind: 'phys', lo: 0x1000, hi: 0x2000 });
    assert.deepEqual(parseTraceQuery('phys:1000+0x100'), { kind: 'phys', lo: 0x1000, hi: 0x1100 });
    assert.equal(parseTraceQuery('dma_map_*'), undefined);
    assert.equal(parseTraceQuery('dma:nothex'), undefined);
  });

  test('an unmap_sg matches the dma addresses of the list it releases; a map matches its phys range', () => {
    const e = new TraceEngine(UDMABUF);
    runToEnd(e);
    const steps = (name: string): number[] => [...e.functionStatements(name)];
    assert.deepEqual(steps('dma:0x1d5e000'), [2, 3]);
    assert.deepEqual(steps('device:udmabuf'), [2, 3, 5, 6]);
    // 0x202b000 is past the 128 entries the map shows: only the unmap prints it.
    assert.deepEqual(steps('phys:0x202b000-0x202bfff'), [6]);
    assert.deepEqual(steps('phys:0x4a79000+0x1000'), [5, 6]);
  });

  test('an unmap_sg of a dma-direct single mapping at its list\'s first address matches that mapping\'s dma range, as check-trace blames it', () => {
    const D = 'nvme0';
    const unmapSg = (t: number) => ev(t, 'dma_unmap_sg', `${D} dir=FROM_DEVICE phys_addrs={0x20000,0x30000} attrs=`);
    const e = new TraceEngine(tempTrace([
      ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x20000,0x30000} sizes={0x1000,0x1000} phys_addrs={0x20000,0x30000} attrs=`),
      unmapSg(2),
      ev(3, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=20000 size=4096 phys_addr=20000 attrs=`),
      unmapSg(4),
    ]));
    runToEnd(e);
    assert.deepEqual([...e.functionStatements('dma:0x20800')], [0, 1, 2, 3]);
    assert.deepEqual([...e.functionStatements('dma:0x30000')], [0, 1]);
  });

  test('a sync_sg of a list that gives one dma address twice matches the phys range of each of its entries', () => {
    const D = 'nvme0';
    for (const sizes of ['0x1000,0x200', '0x200,0x1000']) {
      const e = new TraceEngine(tempTrace([
        ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x10000} sizes={${sizes}} phys_addrs={0x50000,0x90000} attrs=`),
        ev(2, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={0x10000,0x10000} sizes={${sizes}}`),
      ]));
      runToEnd(e);
      assert.deepEqual([...e.functionStatements('phys:0x50000')], [0, 1], sizes);
      assert.deepEqual([...e.functionStatements('phys:0x90000')], [0, 1], sizes);
    }
    // An entry synced past its own size is held by the longer entry: its pages are that entry's.
    const e = new TraceEngine(tempTrace([
      ev(1, 'dma_map_sg', `nvme0 dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x10000} sizes={0x200,0x1000} phys_addrs={0x50000,0x90000} attrs=`),
      ev(2, 'dma_sync_sg_for_cpu', `nvme0 dir=FROM_DEVICE dma_addrs={0x10000} sizes={0x1000}`),
    ]));
    runToEnd(e);
    assert.deepEqual([...e.functionStatements('phys:0x50800')], []);
    assert.deepEqual([...e.functionStatements('phys:0x90800')], [0, 1]);
  });

  test('an unmap matches the pages of the mapping its check releases, the one starting at its address', () => {
    const D = 'nvme0';
    const e = new TraceEngine(tempTrace([
      ev(1, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=1000 size=4096 phys_addr=50000 attrs=`),
      ev(2, 'dma_map_phys', `${D} dir=TO_DEVICE dma_addr=1200 size=256 phys_addr=90000 attrs=`),
      // 512 bytes: more than the mapping at 0x1200 holds (a size mismatch), all within the one at 0x1000.
      ev(3, 'dma_unmap_phys', `${D} dir=TO_DEVICE dma_addr=1200 size=512 attrs=`),
    ]));
    runToEnd(e);
    assert.deepEqual([...e.functionStatements('phys:0x90000')], [1, 2]);
    assert.deepEqual([...e.functionStatements('phys:0x50200')], [0]);
  });

  test('a sync_sg matches the pages of the entries its check reaches: not one of no size, nor one past the mapped list', () => {
    const D = 'nvme0';
    const e = new TraceEngine(tempTrace([
      ev(1, 'dma_map_sg', `${D} dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x10000,0x20000} sizes={0x1000,0x1000} phys_addrs={0x50000,0x90000} attrs=`),
      // Entry 1 of no size; entry 2 past the two mapped, at an address inside entry 0.
      ev(2, 'dma_sync_sg_for_cpu', `${D} dir=FROM_DEVICE dma_addrs={0x10000,0x20000,0x10800} sizes={0x100,0x0,0x100}`),
    ]));
    runToEnd(e);
    assert.deepEqual([...e.functionStatements('phys:0x50000')], [0, 1]);
    assert.deepEqual([...e.functionStatements('phys:0x90000')], [0]);
    assert.deepEqual([...e.functionStatements('phys:0x50800')], [0]);
  });

  test('the engine answers function breakpoints by event name glob and by query', () => {
    const e = new TraceEngine(UDMABUF);
    runToEnd(e);
    assert.deepEqual([...e.functionStatements('dma_*map_sg')], [2, 3, 5, 6]);
    assert.deepEqual([...e.functionStatements('tracing_mark_write')], [0, 1, 4, 7, 8]);
    assert.deepEqual([...e.functionStatements('dma:0x4a79000')], [5, 6]);
  });

  test('a planted double unmap is a hazard of the repeated line', () => {
    const file = mutated('e1000-swiotlb-force.trace.txt', (lines) => {
      const i = lines.findIndex((l) => l.includes('dma_unmap_phys:'));
      return [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)];
    });
    const repeated = lineWith(file, 'dma_unmap_phys:') + 1;
    const e = new TraceEngine(file);
    runToEnd(e);
    assert.ok(e.hazards().some((h) => h.detail === 'double-unmap' && h.loc.line === repeated), JSON.stringify(e.hazards().slice(0, 3)));
  });
});

describe('the trace view', () => {
  test('Watch paths reach events, devices by any name, the IOMMU and findings; unknown names are errors', () => {
    const e = new TraceEngine(trace('e1000e-intel-iommu.trace.txt'));
    while (!e.done && e.checker.iommu.byIova.size < 3) e.step();
    const device = [...e.checker.devices.keys()][0];
    assert.match(e.view.evaluate(`devices["${device}"]`).value, /live mappings/);
    assert.match(e.view.evaluate('iommu[0]').value, /^iova 0x[0-9a-f]+ -> paddr 0x[0-9a-f]+/);
    assert.equal(e.view.evaluate('event.line').value, String(e.pending!.line));
    assert.equal(e.view.evaluate('findings').value, '0');
    assert.throws(() => e.view.evaluate('buffers'), /Unknown name buffers/);
    assert.throws(() => e.view.evaluate('devices.nosuch'), /devices has no nosuch/);
    assert.throws(() => e.view.evaluate('event.line +'), /Cannot read/);
  });

  test('hover finds a coherent allocation and an IOMMU mapping by address', () => {
    const file = mutated('udmabuf-noiommu.trace.txt', (lines) => [
      ...lines.filter((l) => l.startsWith('#')),
      '              ip-169     [000] .....     7.685901: map: IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 paddr=0x000000000c602000 size=4096',
      '              ip-169     [000] .....     7.687144: dma_alloc: 0000:00:02.0 dir=BIDIRECTIONAL dma_addr=ffffc000 size=8192 virt_addr=00000000906ec00a flags=GFP_KERNEL attrs=',
      '              ip-169     [000] .....     7.687144: tracing_mark_write: done',
    ]);
    const e = new TraceEngine(file);
    e.step();
    e.step();
    assert.equal(e.view.evaluate('0xfffff010').value, 'IOMMU: iova 0xfffff000 -> paddr 0xc602000, 4096 bytes (line 13)');
    assert.equal(e.view.evaluate('ffffd000').value, '0000:00:02.0: coherent allocation 0xffffc000, 8192 bytes (line 14)');
    assert.equal(e.view.evaluate('0x10').value, '0x10: no live mapping holds it before line 15');
  });
});
