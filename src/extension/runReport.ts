// What the editor says of a finished headless run: the Run Scenario summary, and the Problems note when a limit
// cut the run short. Free of the vscode API, so that tests can pin the words.
import type { CheckResult } from '../runtime/checker';
import { cutShort, cutShortAdvice, describeCutShort, describeStop } from '../runtime/stop';

/** The summary's last line: nothing ran for a file with errors; else how the run ended and what it raised. */
export function runSummary(r: CheckResult, ms: number): string {
  if (r.stopReason === undefined) return `✘ ${r.diagnostics.length} error(s): nothing ran.`;
  const unexpected = r.hazards.filter((h) => !h.expected).length;
  const expected = r.hazards.length - unexpected;
  return `${r.ok ? '✔' : '✘'} ${describeStop(r.stopReason, r.steps)} in ${ms.toFixed(1)} ms; ` +
    `${unexpected} unexpected hazard(s)${expected ? `, ${expected} expected` : ''}.`;
}

/** Why hazards after the stop are missing, when a limit stopped the run. */
export function limitNote(r: CheckResult): string | undefined {
  if (!cutShort(r.stopReason)) return undefined;
  return `The run ${describeCutShort(r.stopReason, r.steps, 'dmabuf.hazards.stepLimit')}: later hazards are not shown${cutShortAdvice(r, '; ')}.`;
}
