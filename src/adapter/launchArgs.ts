// The launch configuration (`program`, `stopOnEntry`, `platform`, `stepLimit`, `fromBoot`), checked so that a wrong one gets
// an error response naming the field instead of a failure later.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { badArguments } from './errors';

export interface LaunchArgs {
  program: string;
  stopOnEntry: boolean;
  platform?: 'arm64' | 'arm' | 'x86_64';
  stepLimit?: number;
  /** For a trace: it starts at boot, so what is live at its end is a leak (the CLI's `--from-boot`). */
  fromBoot?: boolean;
}

const PLATFORMS = ['arm64', 'arm', 'x86_64'] as const;

export function launchArgsOf(args: DebugProtocol.LaunchRequestArguments): LaunchArgs {
  const a = args as Record<string, unknown>;
  if (typeof a.program !== 'string' || a.program.trim() === '') throw badArguments('launch needs "program": the path of a .dmabuf scenario or a kernel trace');
  if (a.stopOnEntry !== undefined && typeof a.stopOnEntry !== 'boolean') throw badArguments('"stopOnEntry" must be true or false');
  if (a.platform !== undefined && !PLATFORMS.includes(a.platform as (typeof PLATFORMS)[number])) {
    throw badArguments(`"platform" must be one of ${PLATFORMS.join(', ')}`);
  }
  if (a.stepLimit !== undefined && !(Number.isInteger(a.stepLimit) && (a.stepLimit as number) > 0)) throw badArguments('"stepLimit" must be a positive integer');
  if (a.fromBoot !== undefined && typeof a.fromBoot !== 'boolean') throw badArguments('"fromBoot" must be true or false');
  return {
    program: a.program,
    stopOnEntry: a.stopOnEntry === true,
    platform: a.platform as LaunchArgs['platform'],
    stepLimit: a.stepLimit as number | undefined,
    fromBoot: a.fromBoot === true,
  };
}
