// `dmabuf check FILE... [--json] [--step-limit N] [--platform ARCH]`: run each scenario and report its hazards.
import { formatDiagnostic } from '../language/diagnostics';
import type { Hazard } from '../machine/hazards';
import { checkSource, type CheckResult } from '../runtime/checker';
import { cutShort, cutShortAdvice, describeCutShort, stepCount } from '../runtime/stop';
import { eachSource, parseRunFlags, UsageError } from './flags';

export function hazardJson(h: Hazard) {
  return {
    kind: h.kind,
    line: h.loc.line,
    column: h.loc.column,
    message: h.message,
    related: h.related.map((r) => ({ line: r.loc.line, message: r.message })),
    ...(h.detail ? { detail: h.detail } : {}),
    ...(h.expected ? { expected: true } : {}),
  };
}

function resultJson(r: CheckResult) {
  return {
    file: r.file,
    ok: r.ok,
    steps: r.steps,
    hazards: r.hazards.map(hazardJson),
    ...(r.diagnostics.length ? { errors: r.diagnostics.map((d) => ({ line: d.line, column: d.column, message: d.message })) } : {}),
    ...(r.stopReason === 'step-limit' ? { stepLimitReached: true } : {}),
    ...(r.stopReason === 'hazard-limit' ? { hazardLimitReached: true } : {}),
    ...(r.stopReason === 'object-limit' ? { objectLimitReached: true } : {}),
  };
}

export function formatHazard(file: string, h: Hazard): string {
  const head = `${file}:${h.loc.line}:${h.loc.column}: ${h.expected ? 'note' : 'warning'}: ${h.kind}: ${h.message}${h.expected ? ' (expected)' : ''}`;
  return [head, ...h.related.map((r) => `    ${file}:${r.loc.line}:${r.loc.column}: note: ${r.message}`)].join('\n');
}

/** The error line of a run a limit cut short, with what to do: raise the step limit, or what the hazards held say. */
function cutShortLine(r: CheckResult): string | undefined {
  if (!cutShort(r.stopReason)) return undefined;
  return `${r.file}: error: ${describeCutShort(r.stopReason, r.steps, '--step-limit N')}${cutShortAdvice(r, ': ')}`;
}

function report(r: CheckResult): string {
  const lines = r.hazards.map((h) => formatHazard(r.file, h));
  const cut = cutShortLine(r);
  if (cut) lines.push(cut);
  const unexpected = r.hazards.filter((h) => !h.expected).length;
  const expected = r.hazards.length - unexpected;
  lines.push(`${r.file}: ${r.ok ? 'ok' : 'FAILED'}: ${unexpected} hazard${unexpected === 1 ? '' : 's'}${expected ? `, ${expected} expected` : ''}, ${stepCount(r.steps)}`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseRunFlags(argv, ['--json']);
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message);
    throw e;
  }
  if (flags.files.length === 0) return usage('check needs at least one scenario file');
  const json = flags.switches.has('--json');
  return eachSource(flags.files, (file, text) => {
    const r = checkSource(text, file, flags.run);
    if (json) process.stdout.write(JSON.stringify(resultJson(r)) + '\n');
    if (r.diagnostics.length) {
      for (const d of r.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
      return 2;
    }
    if (!json) process.stdout.write(report(r) + '\n');
    return r.ok ? 0 : 1;
    // One object per file, a file that cannot be read too: its error has no place in the file.
  }, json ? (file, why) => process.stdout.write(JSON.stringify({ file, ok: false, steps: 0, hazards: [], errors: [{ message: why }] }) + '\n') : undefined);
}

function usage(msg: string): number {
  process.stderr.write(`dmabuf check: ${msg}\nusage: dmabuf check FILE... [--json] [--step-limit N] [--platform arm64|arm|x86_64]\n`);
  return 2;
}
