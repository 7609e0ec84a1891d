// What a debug hover evaluates: the path under the mouse up to the part hovered, with its indexes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expressionAt } from '../../src/extension/expressionAt';

const at = (line: string, marker: string, offset = 0) => expressionAt(line, line.indexOf(marker) + offset)?.expression;

test('a bare binding name', () => {
  assert.equal(at('cpu.read(buf, 0, 64)', 'buf'), 'buf');
});

test('hovering a member evaluates the path up to it', () => {
  const line = '# buf.owner and sgt[2].dma_address';
  assert.equal(at(line, 'owner'), 'buf.owner');
  assert.equal(at(line, 'buf'), 'buf');
  assert.equal(at(line, 'dma_address'), 'sgt[2].dma_address');
});

test('hovering an indexed name takes its index', () => {
  assert.equal(at('watch sgt[2] here', 'sgt'), 'sgt[2]');
  assert.equal(at('watch sgt[2] here', '2'), 'sgt[2]');
  assert.equal(at('buf[0x40]', 'buf'), 'buf[0x40]');
});

test('the base is the first name and the range is the expression', () => {
  assert.deepEqual(expressionAt('  isp.write(sgt, 0, 4KiB, 0xA5)', 3), { expression: 'isp', base: 'isp', start: 2, end: 5 });
  assert.deepEqual(expressionAt('  isp.write(sgt, 0, 4KiB, 0xA5)', 7)?.base, 'isp');
});

test('nothing outside a path', () => {
  assert.equal(expressionAt('a = f(b)', 1), undefined);
  assert.equal(expressionAt('', 0), undefined);
  assert.equal(expressionAt('x', 5), undefined);
});
