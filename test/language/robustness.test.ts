// Bad input never crashes or hangs the front end: random text, binary junk, 10 MB files, deep nesting, unbalanced braces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseScenario } from '../../src/language';
import { MAX_NESTING } from '../../src/language/parser';
import { errorsOf, SPEC_EXAMPLE } from './helpers';

/** Pieces of the language, so random input often gets past the lexer into the parser and resolver. */
const PIECES = [
  'platform', 'arm64', 'cache', 'size=', 'ways=4', 'memory', 'device', 'isp', 'gpu', 'iommu', 'proc', 'repeat', '{', '}', '(', ')',
  ',', '.', ':', '=', '\n', ' ', '#', 'expect', 'error', 'kmalloc', 'dma_map_single', 'dma_heap_alloc', 'system', 'dma_buf_attach',
  'cpu.read', 'isp.write', 'expect_owner', 'expect_hazard', 'stale-read', 'p', 'b', 'f', 'TO_DEVICE', 'DMA_FROM_DEVICE', 'isp:TO_DEVICE',
  'SKIP_CPU_SYNC', 'offset=', '0', '4K', '0xFF', '0x1_0000', '-1', '99999999999999999999', '1MiB', '$', '\u0000', '\t', 'é',
];

/** Nothing thrown, and every diagnostic is well formed. */
function survives(text: string): boolean {
  const { program, diagnostics } = parseScenario(text, 'fuzz.dmabuf');
  assert.ok(Array.isArray(program.body));
  for (const d of diagnostics) {
    assert.ok(d.line >= 1 && d.column >= 1 && d.message.length > 0, JSON.stringify(d));
  }
  return true;
}

test('property: random text never throws', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), survives), { numRuns: 500 });
});

test('property: random sequences of language pieces never throw', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 120 }).map((a) => a.join(' ')), survives), { numRuns: 2000 });
});

test('property: the spec example with any one line deleted or duplicated never throws', () => {
  const lines = SPEC_EXAMPLE.split('\n');
  fc.assert(
    fc.property(fc.nat(lines.length - 1), fc.boolean(), (i, dup) => {
      const edited = lines.slice();
      if (dup) edited.splice(i, 0, lines[i]);
      else edited.splice(i, 1);
      return survives(edited.join('\n'));
    }),
  );
});

test('nothing hangs on a 10 MB file, valid or junk', () => {
  const valid = 'p = kmalloc(4K)\n' + 'cpu.write(p, 0, 64, 0xA5)\ncpu.read(p, 0, 64) expect 0xA5\n'.repeat(200_000);
  assert.ok(valid.length > 10e6);
  let t0 = Date.now();
  const r = parseScenario(valid, 'big.dmabuf');
  assert.equal(r.diagnostics.length, 0);
  assert.equal(r.program.body.length, 400_001);
  assert.ok(Date.now() - t0 < 20_000, 'a valid 10 MB file parses in seconds');
  let junk = '';
  for (let i = 0; junk.length < 10e6; i++) junk += String.fromCharCode((i * 7919) % 256).repeat(1 + (i % 5));
  t0 = Date.now();
  assert.ok(survives(junk));
  assert.ok(Date.now() - t0 < 20_000, 'binary junk is rejected in seconds');
});

test('deep nesting is an error past the limit, not a stack overflow', () => {
  const depth = 100_000;
  const text = 'repeat 1 {\n'.repeat(depth) + '}\n'.repeat(depth);
  const errs = errorsOf(text);
  assert.deepEqual(errs, [`t.dmabuf:${MAX_NESTING + 1}:1: error: blocks nested more than ${MAX_NESTING} deep`]);
  assert.deepEqual(errorsOf('repeat 1 {\n'.repeat(MAX_NESTING) + 'kmalloc(4K)\n' + '}\n'.repeat(MAX_NESTING)), []);
});

test('unbalanced braces: every extra } and every unclosed block is reported', () => {
  assert.deepEqual(errorsOf('}\n}\nrepeat 2 {\nrepeat 3 {\n'), [
    "t.dmabuf:1:1: error: unmatched '}'",
    "t.dmabuf:2:1: error: unmatched '}'",
    "t.dmabuf:3:1: error: 'repeat' block opened here is never closed with '}'",
    "t.dmabuf:4:1: error: 'repeat' block opened here is never closed with '}'",
  ]);
});

test('empty and whitespace-only files are valid, empty scenarios', () => {
  for (const text of ['', '\n\n', '   \t', '# nothing\n']) assert.deepEqual(parseScenario(text, 'e.dmabuf').diagnostics, []);
});
