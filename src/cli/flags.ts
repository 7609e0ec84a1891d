// Command-line flags and scenario reading shared by the commands that run scenarios.
import { readFileSync } from 'node:fs';
import type { RunOptions } from '../runtime/runner';
import type { Arch } from '../runtime/config';

export class UsageError extends Error {}

export interface RunFlags {
  files: string[];
  switches: Set<string>;
  run: RunOptions;
}

const ARCHES: Arch[] = ['arm64', 'arm', 'x86_64'];

/** Splits argv into files, the given boolean switches, and `--step-limit N` / `--platform ARCH`. */
export function parseRunFlags(argv: string[], switches: string[]): RunFlags {
  const out: RunFlags = { files: [], switches: new Set(), run: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (switches.includes(a)) out.switches.add(a);
    else if (a === '--step-limit') {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError('--step-limit takes a positive whole number');
      out.run.stepLimit = n;
    } else if (a === '--platform') {
      const p = argv[++i] as Arch;
      if (!ARCHES.includes(p)) throw new UsageError(`--platform takes one of ${ARCHES.join(', ')}`);
      out.run.platform = p;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else out.files.push(a);
  }
  return out;
}

/**
 * A scenario's text, or undefined after telling the user why it cannot be read (exit status 2); `unreadable` also
 * hears why.
 */
export function readSource(file: string, unreadable?: (why: string) => void): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const why = `cannot read: ${(e as Error).message}`;
    process.stderr.write(`${file}: error: ${why}\n`);
    unreadable?.(why);
    return undefined;
  }
}

/** Runs `visit` on each readable file; the exit status is the worst of theirs (2 for an unreadable file). */
export function eachSource(files: string[], visit: (file: string, text: string) => number, unreadable?: (file: string, why: string) => void): number {
  let status = 0;
  for (const file of files) {
    const text = readSource(file, unreadable && ((why) => unreadable(file, why)));
    status = Math.max(status, text === undefined ? 2 : visit(file, text));
  }
  return status;
}
