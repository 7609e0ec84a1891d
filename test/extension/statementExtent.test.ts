// A hazard underlines its whole statement, without the trailing comment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statementExtent } from '../../src/extension/statementExtent';

test('from the reported column to the end of the code', () => {
  assert.deepEqual(statementExtent('  cpu.read(v, 0, 64) expect 0xA5   # stale', 3), { start: 2, end: 32 });
});

test('a column past the code falls back to the first character', () => {
  assert.deepEqual(statementExtent('  kfree(p)', 40), { start: 2, end: 10 });
  assert.deepEqual(statementExtent('', 1), { start: 0, end: 0 });
  assert.deepEqual(statementExtent('# only a comment', 1), { start: 0, end: 0 });
});
