// Runs a scenario's text to its end on the simulated machine, for the hazards shown in the editor and the
// "Run Scenario" summary; a failure inside the runtime is returned, never thrown into the editor.
import { checkSource, type CheckResult } from '../runtime/checker';

export interface TimedCheck {
  result?: CheckResult;
  /** The runtime threw: a bug in the tool, reported instead of crashing the extension host. */
  error?: string;
  ms: number;
}

export function runHeadless(text: string, file: string, stepLimit: number): TimedCheck {
  const t0 = performance.now();
  try {
    const result = checkSource(text, file, { stepLimit });
    return { result, ms: performance.now() - t0 };
  } catch (e) {
    return { error: e instanceof Error ? (e.stack ?? e.message) : String(e), ms: performance.now() - t0 };
  }
}
