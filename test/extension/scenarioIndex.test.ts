// The editor's view of a scenario: go to definition for bindings, parameters, procs and devices, and the outline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScenarioIndex } from '../../src/extension/scenarioIndex';

const SOURCE = [
  '# capture into a dma-buf', //                      1
  'platform arm64', //                                2
  'device isp dma_mask=32', //                        3
  'buf = dma_heap_alloc(system, 1MiB)', //            4
  'proc capture(b) {', //                             5
  '  a = dma_buf_attach(b, isp)', //                  6
  '  sgt = dma_buf_map_attachment(a, FROM_DEVICE)', // 7
  '  isp.write(sgt, 0, 4KiB, 0xA5)', //               8
  '  dma_buf_unmap_attachment(a, sgt, FROM_DEVICE)', // 9
  '  dma_buf_detach(buf, a)', //                     10
  '}', //                                            11
  'repeat 2 {', //                                   12
  '  capture(buf)', //                               13
  '}', //                                            14
  'buf2 = dma_heap_alloc(system, 4KiB)', //          15
  'buf = dma_heap_alloc(cma, 4KiB)', //              16
  'dma_buf_put(buf)', //                             17
].join('\n');

const index = new ScenarioIndex(SOURCE, 'x.dmabuf');
const defLine = (name: string, line: number) => index.definitionOf(name, line)?.span.start.line;

test('a binding used at top level is defined by its latest assignment before the use', () => {
  assert.equal(defLine('buf', 13), 4);
  assert.equal(defLine('buf2', 17), 15);
  assert.equal(defLine('buf', 17), 16);
});

test('inside a proc, its parameters and locals come first', () => {
  assert.equal(defLine('b', 6), 5);
  assert.equal(index.definitionOf('b', 6)?.kind, 'param');
  assert.equal(defLine('sgt', 8), 7);
  assert.equal(defLine('a', 9), 6);
});

test('a proc sees the top-level bindings', () => {
  assert.equal(defLine('buf', 10), 4);
});

test('procs and devices are defined by their declarations', () => {
  assert.deepEqual(index.definitionOf('capture', 13)?.span.start, { line: 5, column: 6 });
  assert.deepEqual(index.definitionOf('isp', 8)?.span.start, { line: 3, column: 8 });
  assert.equal(index.definitionOf('dma_buf_put', 17), undefined);
});

test('the word under a position, and the statement on a line', () => {
  assert.deepEqual(index.wordAt(8, 4), { name: 'isp', span: { start: { line: 8, column: 3 }, end: { line: 8, column: 6 } } });
  assert.equal(index.wordAt(11, 3), undefined);
  assert.equal(index.callAt(8)?.callee, 'isp.write');
  assert.equal(index.callAt(12), undefined);
  assert.equal(index.procAt(8), 'capture');
  assert.equal(index.procAt(13), undefined);
});

test('handle names and the type the binding call returns', () => {
  assert.equal(index.isHandleName('sgt'), true);
  assert.equal(index.isHandleName('isp'), false);
  assert.equal(index.handleTypeOf('buf', 13), 'dmabuf');
  assert.equal(index.handleTypeOf('sgt', 8), 'sg');
});

test('the outline nests bindings in procs and repeat blocks', () => {
  const flat = (ns: typeof index.outline): string[] => ns.map((n) => `${n.kind}:${n.name}${n.children.length ? `[${flat(n.children).join(',')}]` : ''}`);
  assert.deepEqual(flat(index.outline), [
    'platform:platform', 'device:isp', 'binding:buf', 'proc:capture[binding:a,binding:sgt]', 'repeat:repeat 2', 'binding:buf2', 'binding:buf',
  ]);
  const proc = index.outline[3];
  assert.deepEqual([proc.span.start.line, proc.span.end.line], [5, 11]);
});

test('a broken scenario still indexes, with its diagnostics', () => {
  const broken = new ScenarioIndex('device cam\nbuf = kmalloc(0)\nh = dma_map_single(gpu, buf, 4KiB, FROM_DEVICE)\n', 'b.dmabuf');
  assert.deepEqual(broken.diagnostics.map((d) => [d.line, d.column, d.endColumn]), [[2, 15, 16], [3, 20, 23]]);
  assert.equal(broken.definitionOf('buf', 3)?.span.start.line, 2);
});

test('junk never throws', () => {
  for (const junk of ['', '}}}{{{', '\u0000\u0001 = (', 'proc (', 'repeat x {\n']) assert.ok(new ScenarioIndex(junk, 'j.dmabuf'));
});

test('the buffer behind a handle: itself, the buffer a mapping maps, the dma-buf of an attachment', () => {
  assert.equal(index.bufferBehind('buf', 13), 'buf');
  assert.equal(index.bufferBehind('sgt', 8), undefined, 'through a proc parameter, which has no static type');
  const streaming = new ScenarioIndex('device nic\nrx = kmalloc(2KiB)\nh = dma_map_single(nic, rx, 2KiB, FROM_DEVICE)\nnic.write(h, 0, 64, 1)\n', 's.dmabuf');
  assert.equal(streaming.bufferBehind('h', 4), 'rx');
  const shared = new ScenarioIndex('device isp\nbuf = dma_heap_alloc(system, 4KiB)\na = dma_buf_attach(buf, isp)\nsgt = dma_buf_map_attachment(a, FROM_DEVICE)\nisp.write(sgt, 0, 64, 1)\n', 'd.dmabuf');
  assert.equal(shared.bufferBehind('sgt', 5), 'buf');
  assert.equal(shared.bufferBehind('a', 5), 'buf');
});

test('on the line of an assignment, a use reads the binding before it; the bound name itself is its own definition', () => {
  const rebind = new ScenarioIndex(['device nic', 'p = kmalloc(64)', 'p = dma_map_single(nic, p, 64, TO_DEVICE)', 'dma_unmap_single(nic, p, 64, TO_DEVICE)'].join('\n'), 'r.dmabuf');
  const line3 = rebind.lineText(3);
  const use = line3.indexOf('p,') + 1;
  assert.equal(rebind.definitionOf('p', 3, use)?.span.start.line, 2, 'the argument is the kmalloc');
  assert.equal(rebind.handleTypeOf('p', 3, use), 'cpu_ptr');
  assert.equal(rebind.definitionOf('p', 3, 1)?.span.start.line, 3, 'the name bound there');
  assert.equal(rebind.handleTypeOf('p', 4, line3.indexOf('p') + 1), 'dma_handle');
});

test('words in a comment are prose: no name is found there', () => {
  const commented = new ScenarioIndex(['device nic', 'rx = kmalloc(64)  # later: dma_map_single(nic, rx)', '# kfree(rx)'].join('\n'), 'c.dmabuf');
  const line2 = commented.lineText(2);
  assert.equal(commented.wordAt(2, 1)?.name, 'rx');
  assert.equal(commented.wordAt(2, line2.indexOf('dma_map_single') + 1), undefined);
  assert.equal(commented.wordAt(2, line2.lastIndexOf('rx') + 1), undefined);
  assert.equal(commented.wordAt(3, 4), undefined);
});

test('a block being typed, with no closing brace yet, still holds its statements in the outline', () => {
  const typing = new ScenarioIndex(['device nic', 'proc rx(b) {', '  h = dma_map_single(nic, b, 64, FROM_DEVICE)', '  repeat 2 {', '    g = dma_map_single(nic, b, 64, TO_DEVICE)'].join('\n'), 't.dmabuf');
  const proc = typing.outline.find((n) => n.kind === 'proc')!;
  const inside = (outer: { span: { start: { line: number }; end: { line: number } } }, inner: typeof outer) => inner.span.start.line >= outer.span.start.line && inner.span.end.line <= outer.span.end.line;
  assert.ok(proc.children.length > 0);
  for (const child of proc.children) assert.ok(inside(proc, child), `${child.name} at line ${child.span.start.line} outside ${proc.span.start.line}-${proc.span.end.line}`);
  assert.equal(typing.procAt(5), 'rx', 'a line of the unclosed body belongs to the proc');
});

test("an attachment leads to the device its dma_buf_attach names", () => {
  const attach = new ScenarioIndex(['device gpu', 'b = dma_heap_alloc(system, 4KiB)', 'a = dma_buf_attach(b, gpu)', 's = dma_buf_map_attachment(a, FROM_DEVICE)'].join('\n'), 'a.dmabuf');
  assert.equal(attach.attachedDevice('a', 4), 'gpu');
  assert.equal(attach.attachedDevice('b', 4), undefined, 'a buffer is attached to nothing');
});
