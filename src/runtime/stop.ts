// Why a run ends, and the one wording of it that the CLI, the editor and the debugger all use.

/**
 * A run stops once it has raised this many unexpected hazards (or `HAZARDS_HELD` in all, `expect_hazard`'s too): a
 * bug inside a long loop raises one per pass, and holding them all (each with its message and related places) ran
 * out of memory long before the step limit.
 */
export const HAZARD_LIMIT = 10_000;
export const HAZARDS_HELD = 1_000_000;

/**
 * A run stops once the machine holds this many objects (buffers, mappings, handles, dma-buf objects) after pruning
 * what nothing can name: a loop that maps or allocates on each pass and releases nothing ran out of memory (4 GB)
 * long before the step limit.
 */
export const OBJECT_LIMIT = 1_000_000;

/** Why a run ended: its last statement ran, or it reached the step limit, the hazard limit or the object limit. */
export type StopReason = 'end' | 'step-limit' | 'hazard-limit' | 'object-limit';

/** Whether a limit cut the run short (no reason: it never ran). */
export function cutShort(reason: StopReason | undefined): reason is Exclude<StopReason, 'end'> {
  return reason !== undefined && reason !== 'end';
}

/** What one step of a scenario is called, wherever a count of them is shown (a trace's are events). */
export const SCENARIO_STEP = 'statement';

/** How many steps a run took, in the word the user reads: a scenario's are statements, a trace's (`unit`) events. */
export function stepCount(steps: number, unit = SCENARIO_STEP): string {
  return `${steps} ${unit}${steps === 1 ? '' : 's'}`;
}

/**
 * How a run ended, as a predicate: `The scenario ${describeStop(...)}`. At the step limit the count is the limit, so
 * it is not stated twice.
 */
export function describeStop(reason: StopReason, steps: number, unit = SCENARIO_STEP): string {
  const count = stepCount(steps, unit);
  switch (reason) {
    case 'end':
      return `reached its end after ${count}`;
    case 'step-limit':
      return `stopped after ${count} at the step limit`;
    case 'hazard-limit':
      return `stopped after ${count} at the hazard limit (${HAZARD_LIMIT.toLocaleString('en')} unexpected hazards, or ${HAZARDS_HELD.toLocaleString('en')} in all)`;
    case 'object-limit':
      return `stopped after ${count} at the object limit (${OBJECT_LIMIT.toLocaleString('en')} buffers, mappings and handles held at once)`;
  }
}

/**
 * How a run a limit cut short ended, as `describeStop` says it, and at the step limit how to raise it: `raiseWith`
 * is what the reader changes (the CLI's `--step-limit N`, the editor's setting). The hazard limit is not raised.
 */
export function describeCutShort(reason: Exclude<StopReason, 'end'>, steps: number, raiseWith: string): string {
  return `${describeStop(reason, steps)}${reason === 'step-limit' ? ` (raise it with ${raiseWith})` : ''}`;
}

/**
 * What to do about a run the hazard limit stopped, from the hazards it held: fix what the first unexpected ones say,
 * or, when it stopped holding mostly expected ones, run the loop that raises them fewer times (and fix the others).
 */
export function hazardLimitAdvice(hazards: readonly { expected?: boolean }[]): string {
  const expected = hazards.reduce((n, h) => n + (h.expected ? 1 : 0), 0);
  const unexpected = hazards.length - expected;
  if (unexpected >= HAZARD_LIMIT) return 'the first ones say what to fix';
  return `${expected.toLocaleString('en')} of them expected, which a loop of fewer passes checks as well` +
    (unexpected === 0 ? '' : unexpected === 1 ? '; the unexpected one says what to fix' : `; the ${unexpected.toLocaleString('en')} unexpected say what to fix`);
}

/**
 * The advice that ends what a caller says of a run the hazard limit (hazardLimitAdvice) or the object limit stopped,
 * led by `lead`, the punctuation joining it to the caller's sentence; nothing for another run (describeCutShort says
 * how to raise the step limit).
 */
export function cutShortAdvice(r: { stopReason?: StopReason; hazards: readonly { expected?: boolean }[] }, lead: string): string {
  if (r.stopReason === 'object-limit') return `${lead}a loop maps or allocates on each pass and releases nothing`;
  return r.stopReason === 'hazard-limit' ? `${lead}${hazardLimitAdvice(r.hazards)}` : '';
}
