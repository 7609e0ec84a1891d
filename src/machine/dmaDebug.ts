// The checks the kernel's DMA-API debugging makes (kernel/dma/debug.c, kernel-dma-facts §4), raised as
// api-misuse: unknown, failed or released handles, another device, another size, direction or kind on
// unmap, syncs outside the mapping or in another direction.

import type { Direction } from '../language/ast';
import { at, failedMappingName, mappingName, resolve } from './buffers';
import { hex } from './events';
import type { Related } from './hazards';
import { fail, raise } from './report';
import type { Handle, MachineState, Mapping } from './state';

/** Where a mapping was made, for the hazards about it (built only when one is raised). */
export function mapRelated(m: Mapping): Related[] {
  return [{ loc: m.createdAt, message: `mapped for ${m.device} ${m.dir} here` }];
}

function misuse(s: MachineState, m: Mapping, detail: string, message: string): void {
  raise(s, 'api-misuse', `DMA-API: ${message}`, mapRelated(m), { detail });
}

/**
 * The live mapping a handle names for `fn`. Unknown, failed and released handles are api-misuse and give
 * undefined (the call then does nothing); a handle mapped for another device is api-misuse but still
 * returned, as the kernel would still act on it.
 */
export function mappingFor(s: MachineState, dev: string, h: Handle, fn: string, kind: 'single' | 'sg'): Mapping | undefined {
  const t = resolve(s, h, fn, ['dma_handle', 'sg']);
  const m = t && 'mapping' in t ? s.mappings.get(t.mapping) : undefined;
  if (!m) return undefined;
  if (m.failed) {
    // What a failed call returned names nothing: the call given it fails too (as with any handle that names nothing).
    fail(s, 'api-misuse', `DMA-API: ${dev}: ${fn} on ${failedMappingName(m)}: check the map's result before using it`, mapRelated(m), 'failed-handle');
    return undefined;
  }
  if (!m.live) {
    // dma-debug's words: check_unmap "tries to free", check_sync "tries to sync" (kernel/dma/debug.c).
    const unmaps = fn.includes('unmap');
    const tries = unmaps ? 'free DMA memory it has not allocated (double unmap or use after unmap)' : 'sync DMA memory it has not allocated (sync after unmap)';
    // The call does nothing, as with any handle naming nothing live: it fails (expect error holds).
    fail(s, 'api-misuse', `DMA-API: ${dev}: ${fn} on ${mappingName(m)}, already unmapped${at(m.releasedAt)}: device driver tries to ${tries}`,
      [...mapRelated(m), ...(m.releasedAt ? [{ loc: m.releasedAt, message: 'unmapped here' }] : [])], unmaps ? 'double-unmap' : 'released-handle');
    return undefined;
  }
  if (m.kind !== kind) misuse(s, m, 'wrong-function', `${dev}: ${fn} on ${mappingName(m)}: mapped as ${m.kind}, unmapped or synced as ${kind}`);
  if (m.device !== dev) misuse(s, m, 'wrong-device', `${dev}: ${fn} on ${mappingName(m)}, which was mapped for ${m.device}, not ${dev}: use the device the buffer was mapped for`);
  return m;
}

export function checkUnmap(s: MachineState, m: Mapping, dev: string, fn: string, size: number | undefined, dir: Direction): void {
  if (size !== undefined && size !== m.size)
    misuse(s, m, 'size-mismatch', `${dev}: ${fn} of ${mappingName(m)} with a different size: mapped ${m.size} bytes, unmapped ${size}`);
  if (dir !== m.dir)
    misuse(s, m, 'direction-mismatch', `${dev}: ${fn} of ${mappingName(m)} with a different direction: mapped ${m.dir}, unmapped ${dir}`);
}

/** Returns the part of [off, +len) inside the mapping. */
export function checkSync(s: MachineState, m: Mapping, dev: string, fn: string, off: number, len: number, dir: Direction): number {
  if (dir !== m.dir && m.dir !== 'BIDIRECTIONAL')
    misuse(s, m, 'direction-mismatch', `${dev}: ${fn} of ${mappingName(m)} in a different direction: mapped ${m.dir}, synced ${dir}`);
  if (off + len > m.size) {
    misuse(s, m, 'sync-outside', `${dev}: ${fn} of ${mappingName(m)} outside the mapped range: [${hex(off)}, +${hex(len)}) but only ${hex(m.size)} bytes are mapped`);
    return Math.max(0, m.size - off);
  }
  return len;
}
