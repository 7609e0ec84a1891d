// `dmabuf run FILE`: run a scenario and print its machine events readably, statement by statement.
import { formatDiagnostic } from '../language/diagnostics';
import { eventLabels } from '../machine/buffers';
import { describeEvent, type EventLabels } from '../machine/events';
import { checkSource } from '../runtime/checker';
import type { Step } from '../runtime/runner';
import { cutShort, describeStop, stepCount } from '../runtime/stop';
import { formatHazard } from './check';
import { parseRunFlags, readSource, UsageError } from './flags';
import { openOutput, OutputError } from './scenarioOutput';

/**
 * The step's lines: the statement as written, then its events indented by the kernel call nesting; `labels` names
 * the buffers and mappings they carry (`#ID` without).
 */
export function formatStep(step: Step, sourceLines: string[], file: string, labels?: EventLabels): string {
  const text = (sourceLines[step.loc.line - 1] ?? '').replace(/#.*$/, '').trim();
  const indent = '  '.repeat(step.depth - 1);
  const out = [`${String(step.loc.line).padStart(5)}  ${indent}${text}`];
  let nest = 0;
  for (const e of step.events) {
    if (e.type === 'return') {
      nest = Math.max(0, nest - 1);
      continue;
    }
    if (e.type === 'hazard') continue;
    out.push(`       ${indent}${'  '.repeat(nest + 1)}${describeEvent(e, labels)}`);
    if (e.type === 'call') nest++;
  }
  for (const h of step.hazards) out.push(formatHazard(file, h).replace(/^/gm, `       ${indent}! `));
  return out.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseRunFlags(argv, []);
    if (flags.files.length !== 1) throw new UsageError('run takes one scenario file');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`dmabuf run: ${e.message}\nusage: dmabuf run FILE [--step-limit N] [--platform arm64|arm|x86_64]\n`);
    return 2;
  }
  const file = flags.files[0];
  const text = readSource(file);
  if (text === undefined) return 2;
  const lines = text.split('\n');
  // Standard output written as it blocks: a run of millions of statements piped to a slower reader buffered all of
  // its text in memory (3 GB) and then failed with ENOBUFS.
  const out = openOutput('-');
  try {
    const r = checkSource(text, file, flags.run, (step, runner) => out.write(formatStep(step, lines, file, eventLabels(runner.machine.state)) + '\n'));
    if (r.diagnostics.length) {
      for (const d of r.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
      return 2;
    }
    const unexpected = r.hazards.filter((h) => !h.expected).length;
    const ended = cutShort(r.stopReason) ? describeStop(r.stopReason, r.steps) : stepCount(r.steps);
    out.write(`${file}: ${ended}, ${unexpected} unexpected hazard${unexpected === 1 ? '' : 's'}\n`);
    out.commit();
    return r.ok ? 0 : 1;
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    // `dmabuf run FILE | head` closes the pipe early: that is the reader's choice, not an error.
    if (e.code === 'EPIPE') return 0;
    process.stderr.write(`dmabuf run: cannot write stdout: ${e.message}\n`);
    return 2;
  }
}
