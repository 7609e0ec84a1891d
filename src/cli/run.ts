// `dmabuf run FILE`: run a scenario and print its machine events readably, statement by statement.
import { formatDiagnostic } from '../language/diagnostics';
import { eventLabels } from '../machine/buffers';
import { describeEvent, type EventLabels } from '../machine/events';
import { checkSource } from '../runtime/checker';
import type { Step } from '../runtime/runner';
import { cutShort, describeStop, stepCount } from '../runtime/stop';
import { formatHazard } from './check';
import { parseRunFlags, readSource, UsageError } from './flags';

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
  const r = checkSource(text, file, flags.run, (step, runner) => process.stdout.write(formatStep(step, lines, file, eventLabels(runner.machine.state)) + '\n'));
  if (r.diagnostics.length) {
    for (const d of r.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
    return 2;
  }
  const unexpected = r.hazards.filter((h) => !h.expected).length;
  const ended = cutShort(r.stopReason) ? describeStop(r.stopReason, r.steps) : stepCount(r.steps);
  process.stdout.write(`${file}: ${ended}, ${unexpected} unexpected hazard${unexpected === 1 ? '' : 's'}\n`);
  return r.ok ? 0 : 1;
}
