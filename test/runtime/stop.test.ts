// How a run's end is worded: one text per stop reason, which the CLI, the editor and the debugger all show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutShortAdvice, describeCutShort, describeStop, HAZARD_LIMIT, hazardLimitAdvice } from '../../src/runtime/stop';

test('a run that reached its end says so with its statement count', () => {
  assert.equal(describeStop('end', 42), 'reached its end after 42 statements');
  assert.equal(describeStop('end', 1), 'reached its end after 1 statement');
});

test('a run cut at the step limit says where it stopped (the count is the limit)', () => {
  assert.equal(describeStop('step-limit', 1000), 'stopped after 1000 statements at the step limit');
});

test('a run cut at the hazard limit states the limit', () => {
  assert.equal(describeStop('hazard-limit', 10002), 'stopped after 10002 statements at the hazard limit (10,000 unexpected hazards, or 1,000,000 in all)');
});

test('a trace counts events, not statements', () => {
  assert.equal(describeStop('end', 300, 'event'), 'reached its end after 300 events');
});

test('a run cut short says how to raise the step limit in the words of whoever shows it; the hazard limit is not raised', () => {
  assert.equal(describeCutShort('step-limit', 1000, '--step-limit N'), 'stopped after 1000 statements at the step limit (raise it with --step-limit N)');
  assert.equal(describeCutShort('step-limit', 1000, 'dmabuf.hazards.stepLimit'), 'stopped after 1000 statements at the step limit (raise it with dmabuf.hazards.stepLimit)');
  assert.equal(describeCutShort('hazard-limit', 10002, '--step-limit N'), describeStop('hazard-limit', 10002));
});

test('what to do at the hazard limit follows what it held: the first unexpected ones, or a shorter loop of expected ones', () => {
  const held = (expected: number, unexpected: number) =>
    hazardLimitAdvice([...Array.from({ length: expected }, () => ({ expected: true })), ...Array.from({ length: unexpected }, () => ({}))]);
  assert.deepEqual([held(0, HAZARD_LIMIT), held(5, 3), held(5, 1), held(5, 0)], [
    'the first ones say what to fix',
    '5 of them expected, which a loop of fewer passes checks as well; the 3 unexpected say what to fix',
    '5 of them expected, which a loop of fewer passes checks as well; the unexpected one says what to fix',
    '5 of them expected, which a loop of fewer passes checks as well',
  ]);
});

test('only a run the hazard limit or the object limit stopped ends with advice, led by the punctuation of the sentence it ends', () => {
  const hazards = [{ expected: true }, {}];
  assert.equal(cutShortAdvice({ stopReason: 'object-limit', hazards }, ': '), ': a loop maps or allocates on each pass and releases nothing');
  assert.equal(cutShortAdvice({ stopReason: 'hazard-limit', hazards }, ': '), `: ${hazardLimitAdvice(hazards)}`);
  assert.equal(cutShortAdvice({ stopReason: 'hazard-limit', hazards }, '; '), `; ${hazardLimitAdvice(hazards)}`);
  for (const stopReason of ['step-limit', 'end', undefined] as const) assert.equal(cutShortAdvice({ stopReason, hazards }, ': '), '');
});
