// Shared helpers for the machine's tests: a machine with the spec's defaults and a statement runner.

import type { Direction } from '../../src/language/ast';
import type { DeviceConfig, Handle, MachineConfig } from '../../src/machine/machine';
import { Machine } from '../../src/machine/machine';
import type { Hazard } from '../../src/machine/hazards';
import type { MachineEvent } from '../../src/machine/events';

export interface Options {
  arch?: 'arm64' | 'arm' | 'x86_64';
  coherent?: boolean;
  swiotlbForce?: boolean;
  cache?: Partial<MachineConfig['cache']>;
  memory?: number;
  devices?: (Partial<DeviceConfig> & { name: string })[];
}

export function machine(o: Options = {}): Machine {
  const arch = o.arch ?? 'arm64';
  return new Machine({
    platform: { arch, coherent: o.coherent ?? arch === 'x86_64', swiotlbForce: o.swiotlbForce ?? false },
    cache: { size: 32 * 1024, ways: 4, line: 64, prefetch: 'none', ...o.cache },
    memory: { size: o.memory ?? 8 * 2 ** 30, seed: 1 },
    devices: (o.devices ?? [{ name: 'isp' }]).map((d) => ({ coherent: false, iommu: false, contiguous: false, dmaMask: 64, ...d })),
  });
}

export interface Step<T> {
  result: T;
  events: MachineEvent[];
  hazards: Hazard[];
  failed: boolean;
}

/** Runs one statement at `line`. */
export function at<T>(m: Machine, line: number, body: (m: Machine) => T): Step<T> {
  m.begin({ line, column: 1 });
  const result = body(m);
  return { result, ...m.end() };
}

/**
 * A machine with one kmalloc buffer `p` of `size` bytes mapped BIDIRECTIONAL to isp as `h`, its first 64 bytes
 * synced back (lines 1-3): the buffer's owner runs and the mapping's owned spans are cut, as partial syncs leave them.
 */
export function partlySynced(size: number): { m: Machine; p: Handle; h: Handle } {
  const m = machine();
  const p = at(m, 1, (x) => x.kmalloc(size)).result;
  const h = at(m, 2, (x) => x.dmaMapSingle('isp', p, size, 'BIDIRECTIONAL', 0, false)).result;
  at(m, 3, (x) => x.dmaSyncSingleForCpu('isp', h, 64, 'BIDIRECTIONAL', 0));
  return { m, p, h };
}

/** A scenario as a list of statements, one per line from 1; returns every hazard raised. */
export function run(m: Machine, ...stmts: ((m: Machine) => unknown)[]): Hazard[] {
  const all: Hazard[] = [];
  stmts.forEach((f, i) => all.push(...at(m, i + 1, f).hazards));
  return all;
}

export function kinds(hs: readonly Hazard[]): string[] {
  return hs.map((h) => h.kind);
}

export const DIRS: Direction[] = ['TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL'];

export type Vars = Record<string, Handle>;
export type Stmt = (m: Machine, v: Vars) => unknown;

/** Runs statements (line numbers from 1) on a fresh machine, sharing handles through `v`; with `finish`, leaks too. */
export function scenario(o: Options, stmts: Stmt[], finish = false): { hazards: Hazard[]; kinds: string[]; m: Machine; v: Vars } {
  const m = machine(o);
  const v: Vars = {};
  const all = run(m, ...stmts.map((f) => (x: Machine) => f(x, v)), ...(finish ? [(x: Machine) => x.finish()] : []));
  return { hazards: all, kinds: kinds(all), m, v };
}
