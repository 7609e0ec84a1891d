// What a failed call returned, as messages, notes and views word it: the NULL of a failed allocation, a phys()
// range with no memory, a failed map's result, a handle that names nothing; and the api-misuse of using a failed
// allocation's result.

import type { Loc, Related } from './hazards';
import { misuse } from './report';
import type { Buffer, MachineState, Mapping } from './state';

/** What a failed map returned (kernel-dma-facts §1): DMA_MAPPING_ERROR, no entries for an sg list, an ERR_PTR for an attachment. */
export function failedMapResult(m: Mapping): string {
  return m.kind === 'single' ? 'DMA_MAPPING_ERROR' : m.attachment ? 'dma_buf_map_attachment returned an ERR_PTR' : 'dma_map_sg returned 0';
}

/** Where a handle that a failed call returned came from, as a message says it. */
export function failedHandleText(failedAt: Loc): string {
  return `the handle comes from the call at line ${failedAt.line}, which failed`;
}

/** The same, as the Variables view says it after the handle's own label. */
export function failedHandleOrigin(failedAt: Loc): string {
  return `from the call that failed at line ${failedAt.line}`;
}

/** The note at the call that failed. */
export function failedCallNote(failedAt: Loc): Related {
  return { loc: failedAt, message: 'the call that failed' };
}

/** What failed to make a buffer: a phys() beyond the address space is no allocation, and returns no NULL. */
export function failedCall(b: Buffer): string {
  return b.kind === 'phys' ? 'phys()' : 'allocation';
}

/** The note at the allocation (or phys()) that failed to make `b`. */
export function failedBufferNote(b: Buffer): Related {
  return { loc: b.createdAt, message: `the ${failedCall(b)} that failed` };
}

/** The api-misuse of using what a failed allocation returned, if `b` is that: the call given it fails too. */
export function usedFailed(s: MachineState, b: Buffer, use: string): boolean {
  if (!b.failed) return false;
  const what = failedCall(b);
  misuse(s, true, `${use}, whose ${what} failed at line ${b.createdAt.line}${b.kind === 'phys' ? '' : ' (it returned NULL)'}: check the ${what}'s result before using it`,
    [failedBufferNote(b)], 'failed-handle');
  return true;
}

/** What the failed call of a buffer returned, as a view says it: "failed (NULL)", or "failed" (a phys()). */
export function failedResult(b: Buffer): string {
  return b.kind === 'phys' ? 'failed' : 'failed (NULL)';
}

/** How a view of a failed buffer says so: "allocation failed (NULL)", or "phys() failed". */
export function failedText(b: Buffer): string {
  return `${failedCall(b)} ${failedResult(b)}`;
}
