// The headless check (spec §9): parse, resolve and run a scenario to its end, collecting its hazards.
import { parseScenario } from '../language';
import type { Diagnostic } from '../language/diagnostics';
import type { Hazard } from '../machine/hazards';
import { Runner, type RunOptions, type Step } from './runner';
import type { StopReason } from './stop';

export interface CheckResult {
  file: string;
  /** No parse error, no unexpected hazard, and the run reached its end. */
  ok: boolean;
  steps: number;
  hazards: Hazard[];
  diagnostics: Diagnostic[];
  stopReason?: StopReason;
}

/**
 * Runs a parsed scenario; `onStep` sees each step as it executes (the `run` command prints them). Machine events
 * are built only for an `onStep` (unless `opts.events` says otherwise): without one nobody reads them.
 */
export function checkSource(text: string, file: string, opts: RunOptions = {}, onStep?: (s: Step, r: Runner) => void): CheckResult {
  const { program, diagnostics } = parseScenario(text, file);
  if (diagnostics.length > 0) return { file, ok: false, steps: 0, hazards: [], diagnostics };
  const runner = new Runner(program, { events: onStep !== undefined, ...opts });
  while (!runner.done) {
    const step = runner.step();
    onStep?.(step, runner);
  }
  const hazards = runner.hazards();
  return {
    file,
    ok: runner.stopReason === 'end' && hazards.every((h) => h.expected),
    steps: runner.stepCount,
    hazards,
    diagnostics,
    stopReason: runner.stopReason,
  };
}
