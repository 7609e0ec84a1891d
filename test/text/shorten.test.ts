// How messages repeat long source text: cut to a short start, quoted with its length, and any long word of a
// finished message cut wherever it stands.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cut, cutLongWords, quoted } from '../../src/text/shorten';

test('cut keeps text of up to 60 characters and cuts longer text to its first 40 and an ellipsis', () => {
  assert.equal(cut('x'.repeat(60)), 'x'.repeat(60));
  assert.equal(cut('x'.repeat(61)), `${'x'.repeat(40)}…`);
  assert.equal(cut(''), '');
});

test('quoted says how long a cut text was, so two long names with one start tell apart', () => {
  assert.equal(quoted('buf'), "'buf'");
  assert.equal(quoted('a'.repeat(100)), `'${'a'.repeat(40)}…' (100 characters)`);
  assert.notEqual(quoted('a'.repeat(100)), quoted('a'.repeat(101)));
});

test('cutLongWords cuts every word of more than 60 letters, digits or underscores wherever it stands, and leaves the rest', () => {
  const long = `p_${'9'.repeat(70)}`;
  assert.equal(cutLongWords(`usage: f(${long}, b) on ${long}.size`), `usage: f(${cut(long)}, b) on ${cut(long)}.size`);
  // A word of exactly 60 stays; punctuation splits words, so a long dotted path is cut word by word.
  const sixty = 'w'.repeat(60);
  assert.equal(cutLongWords(`${sixty}.${sixty}`), `${sixty}.${sixty}`);
  assert.equal(cutLongWords('short words only: a.b[3] (x)'), 'short words only: a.b[3] (x)');
});
