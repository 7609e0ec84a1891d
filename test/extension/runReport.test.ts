// The editor's words for a finished headless run: the Run Scenario summary and the Problems note, for each way a
// run stops; a run cut at the hazard limit must not read as one that ran to its end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSource } from '../../src/runtime/checker';
import { limitNote, runSummary } from '../../src/extension/runReport';

const clean = checkSource('b = kmalloc(64)\nkfree(b)\n', 't.dmabuf');
const endless = checkSource('b = kmalloc(64)\nrepeat 1000000000 {\n  cpu.write(b, 0, 1, 1)\n}\nkfree(b)\n', 't.dmabuf', { stepLimit: 1000 });
const endlessBug = checkSource('b = kmalloc(64)\nkfree(b)\nrepeat 999999999999 {\n  cpu.read(b, 0, 1)\n}\n', 't.dmabuf');
const broken = checkSource('b = kmalloc(64)\nkfree(c)\nkfree(d)\n', 't.dmabuf');

test('the summary of a run stopped at the hazard limit says so, not that it reached its end', () => {
  assert.equal(runSummary(endlessBug, 12.34),
    '✘ stopped after 10002 statements at the hazard limit (10,000 unexpected hazards, or 1,000,000 in all) in 12.3 ms; 10000 unexpected hazard(s).');
});

test('the summary of a run stopped at the step limit, and of one that reached its end', () => {
  assert.equal(runSummary(endless, 1), '✘ stopped after 1000 statements at the step limit in 1.0 ms; 0 unexpected hazard(s).');
  assert.equal(runSummary(clean, 1), '✔ reached its end after 2 statements in 1.0 ms; 0 unexpected hazard(s).');
});

test('the summary of a file with errors counts them and says nothing ran, and Problems adds no note of a limit', () => {
  assert.deepEqual(broken.diagnostics.map((d) => d.message), ["unknown name 'c'", "unknown name 'd'"]);
  assert.equal(runSummary(broken, 1), '✘ 2 error(s): nothing ran.');
  assert.equal(limitNote(broken), undefined);
});

test('Problems notes that later hazards are missing when the hazard limit stopped the run', () => {
  assert.equal(limitNote(endlessBug),
    'The run stopped after 10002 statements at the hazard limit (10,000 unexpected hazards, or 1,000,000 in all): later hazards are not shown; the first ones say what to fix.');
});

test('Problems notes the step limit with the setting that raises it, and nothing for a run that reached its end', () => {
  assert.equal(limitNote(endless), 'The run stopped after 1000 statements at the step limit (raise it with dmabuf.hazards.stepLimit): later hazards are not shown.');
  assert.equal(limitNote(clean), undefined);
});
