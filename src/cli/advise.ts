// `dmabuf advise FILE... [--json] [--step-limit N] [--platform ARCH]`: runs each scenario and, for every dma-buf, lists the constraints of each device
// that attached, whether the pages serve them all, and which exporter or allocation would.
import { formatDiagnostic } from '../language/diagnostics';
import type { DmaBufAdvice } from '../machine/dmabufInspect';
import { checkSource } from '../runtime/checker';
import type { RunOptions, Runner } from '../runtime/runner';
import { cutShort, describeStop } from '../runtime/stop';
import { eachSource, parseRunFlags, UsageError } from './flags';

export function formatAdvice(file: string, a: DmaBufAdvice): string {
  const lines = [`${file}: ${a.name}: ${a.allocation}`];
  if (a.importers.length === 0) lines.push('  no device attached');
  for (const i of a.importers) {
    const verdict = i.served === undefined ? 'not checked: no pages were allocated' : i.served ? (i.bounces ? 'served, through swiotlb bounce buffers' : 'served') : `NOT served: ${i.problems.join('; ')}`;
    lines.push(`  ${i.constraints}, attached at line ${i.attachedAt.line}: ${verdict}`);
  }
  if (a.importers.length === 0) return lines.join('\n');
  lines.push(a.servesAll ? '  the allocation serves every device that attached' : `  the allocation does not serve every device; what would: ${a.wouldServe}`);
  for (const s of a.suggestions) lines.push(`  - ${s}`);
  return lines.join('\n');
}

/**
 * Runs the scenario to its end and reads the advice off the final machine; undefined on parse errors. `stopped`
 * says how a run that a limit cut short ended: the advice is then for the machine where it stopped.
 */
export function adviseSource(text: string, file: string, opts: RunOptions = {}): { advice?: DmaBufAdvice[]; errors: string[]; stopped?: string } {
  let runner: Runner | undefined;
  const r = checkSource(text, file, opts, (_step, run) => {
    runner = run;
  });
  if (r.diagnostics.length) return { errors: r.diagnostics.map(formatDiagnostic) };
  const stopped = cutShort(r.stopReason) ? describeStop(r.stopReason, r.steps) : undefined;
  return { advice: runner ? runner.machine.dmaBufAdvice() : [], errors: [], ...(stopped ? { stopped } : {}) };
}

export async function main(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseRunFlags(argv, ['--json']);
    if (flags.files.length === 0) throw new UsageError('advise needs at least one scenario file');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`dmabuf advise: ${e.message}\nusage: dmabuf advise FILE... [--json] [--step-limit N] [--platform arm64|arm|x86_64]\n`);
    return 2;
  }
  return eachSource(flags.files, (file, text) => {
    const { advice, errors, stopped } = adviseSource(text, file, flags.run);
    if (!advice) {
      for (const e of errors) process.stderr.write(e + '\n');
      return 2;
    }
    if (flags.switches.has('--json')) process.stdout.write(JSON.stringify({ file, dmabufs: advice, ...(stopped ? { stopped } : {}) }) + '\n');
    else {
      const note = stopped ? `${file}: the run ${stopped}: the advice is for the machine at that point\n` : '';
      process.stdout.write(note + (advice.length ? advice.map((a) => formatAdvice(file, a)).join('\n') : `${file}: no dma-buf`) + '\n');
    }
    return advice.some((a) => !a.servesAll && a.importers.length > 0) ? 1 : 0;
  });
}
