// The objects the trace checker keeps alive between events: streaming mappings (single and scatter-gather,
// one segment each per mapped entry), coherent allocations and the records of what was recently released.
import type { AddressTable } from './addressTable';
import type { AllocApi, TraceDirection } from './events';
import { DMA_MAPPING_ERROR } from './recordLayout';

/** Where and when an event happened. */
export interface Origin {
  line: number;
  offset: number;
  timestamp: number;
  cpu: number;
  /** How many `[LOST N EVENTS]` markers preceded it: events between two origins of different epochs may be missing. */
  epoch: number;
}

/** An origin's numbers as a table keeps them, from a field on: each one's place after it, and how many. */
export const O_LINE = 0, O_OFFSET = 1, O_TIMESTAMP = 2, O_CPU = 3, O_EPOCH = 4, ORIGIN_FIELDS = 5;

/** Keeps the numbers of `o` in `slot` of `t` from field `at` on. */
export function putOrigin(t: AddressTable<unknown>, slot: number, at: number, o: Origin): void {
  t.put(slot, at + O_LINE, o.line);
  t.put(slot, at + O_OFFSET, o.offset);
  t.put(slot, at + O_TIMESTAMP, o.timestamp);
  t.put(slot, at + O_CPU, o.cpu);
  t.put(slot, at + O_EPOCH, o.epoch);
}

/** The origin `putOrigin` kept there. */
export function originAt(t: AddressTable<unknown>, slot: number, at: number): Origin {
  return { line: t.get(slot, at + O_LINE), offset: t.get(slot, at + O_OFFSET), timestamp: t.get(slot, at + O_TIMESTAMP), cpu: t.get(slot, at + O_CPU), epoch: t.get(slot, at + O_EPOCH) };
}

/** One mapped range: a single mapping's only segment, or one mapped entry of an sg list. */
export interface Segment {
  mapping: StreamingMapping;
  index: number;
  dma: number;
  size: number;
  phys: number;
}

export interface StreamingMapping {
  id: number;
  kind: 'single' | 'sg';
  device: string;
  dir: TraceDirection;
  attrs: string;
  segments: Segment[];
  /** sg: the entry count the driver passed (the unmap must pass it again). */
  nents: number;
  /** sg: the arrays stopped at 128 entries; segments beyond are not known. */
  truncated: boolean;
  /** The first segment went through a swiotlb bounce slot (its dma address is the slot). */
  bounced: boolean;
  /** dma-direct without bouncing: dma == phys, nothing for an unmap to undo on a coherent machine. */
  identity: boolean;
  origin: Origin;
  /** For an identity mapping taken as dropped: the mapping whose map showed its memory in use again. */
  supersededBy?: StreamingMapping;
}

export interface Allocation {
  api: AllocApi;
  device: string;
  dma: number;
  size: number;
  /** The CPU address as the trace printed it, if it did. */
  virt?: string;
  origin: Origin;
}

/** What a release log keeps of what was released: the segment at the address, or the allocation. */
export type Released = Segment | Allocation;

/**
 * What entry `entry` of an sg sync of [addr, +len) syncs, given `s`, the segment found holding it by address: the
 * list's own entry `entry` where that list gives `addr` twice and the entry holds the range (a table by address
 * keeps one entry there), else `s`.
 */
export function entryOf(s: Segment, addr: number, len: number, entry: number | undefined): Segment {
  const own = entry === undefined ? undefined : s.mapping.segments[entry];
  return own !== undefined && own.dma === addr && own.size >= len ? own : s;
}

/** The bytes a mapping covers, summed over its known segments. */
export function mappedBytes(m: StreamingMapping): number {
  let n = 0;
  for (const s of m.segments) n += s.size;
  return n;
}

export function hasAttr(attrs: string, name: string): boolean {
  return attrs !== '' && attrs.split('|').includes(name);
}

export function hex(n: number): string {
  // ~0 reads as 2^64, one past any 64-bit address: print it as the kernel does.
  return n >= DMA_MAPPING_ERROR ? '0xffffffffffffffff' : '0x' + n.toString(16);
}
