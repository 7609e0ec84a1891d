// Read-only views of the machine for the debugger's panels and hovers: buffers with their owners, mappings
// with their sg tables and bounce slots, cache lines, devices. Building a view never changes state.

import { bufferName, mappingName } from './buffers';
import { lineCount, stateOf } from './cache';
import { DeviceConfig, describeDevice } from './device';
import type { LineState } from './events';
import type { Loc } from './hazards';
import { ownerLabel, ownersIn } from './ownership';
import type { PhysRange } from './rangeAllocator';
import { ByteRun, DataRun, toByteRuns } from './runs';
import type { SgEntry } from './sgTable';
import type { MachineState } from './state';

export interface BufferView {
  id: number;
  name: string;
  kind: string;
  size: number;
  segments: PhysRange[];
  owners: { off: number; len: number; owner: string }[];
  cacheable: boolean;
  /** The device of a coherent buffer. */
  device?: string;
  createdAt: Loc;
  releasedAt?: Loc;
  live: boolean;
  /** Its allocation failed (the call returned NULL). */
  failed?: true;
}

export interface MappingView {
  id: number;
  name: string;
  device: string;
  dir: string;
  kind: 'single' | 'sg';
  buffer: number;
  offset: number;
  size: number;
  dmaAddress: number;
  entries: SgEntry[];
  nents: number;
  orig_nents: number;
  bounceSlots: { slot: number; orig: number; len: number }[];
  live: boolean;
  failed: boolean;
  createdAt: Loc;
  releasedAt?: Loc;
}

export interface LineView {
  set: number;
  way: number;
  /** Line number (phys / line size); -1 when Invalid. */
  tag: number;
  phys: number;
  state: LineState;
  data: ByteRun[];
  /** 0: most recently used in its set. */
  lruRank: number;
  filledAt?: Loc;
}

export interface DeviceView extends DeviceConfig {
  snoops: boolean;
  description: string;
}

export function bufferViews(s: MachineState): BufferView[] {
  return [...s.buffers.values()].map((b) => ({
    id: b.id, name: bufferName(b), kind: b.kind, size: b.size,
    segments: b.segs.map((g) => ({ ...g })),
    owners: b.kind === 'coherent' ? [{ off: 0, len: b.size, owner: `cpu, ${b.device}:BIDIRECTIONAL` }] : ownersIn(b, 0, b.size).map((r) => ({ off: r.off, len: r.len, owner: ownerLabel(r.pairs) })),
    cacheable: b.cacheable, ...(b.device ? { device: b.device } : {}), createdAt: b.createdAt, ...(b.releasedAt ? { releasedAt: b.releasedAt } : {}), live: b.live, ...(b.failed ? { failed: true } : {}),
  }));
}

export function mappingViews(s: MachineState): MappingView[] {
  return [...s.mappings.values()].map((m) => {
    const entries = m.sg ? m.sg.entries.map((e) => ({ ...e })) : m.segs.map((g) => ({ phys: g.phys, length: g.len, dma_address: m.dmaAddress, dma_length: g.len }));
    return {
      id: m.id, name: mappingName(m), device: m.device, dir: m.dir, kind: m.kind, buffer: m.buffer, offset: m.off, size: m.size, dmaAddress: m.dmaAddress,
      entries, nents: m.sg?.nents ?? entries.length, orig_nents: m.sg?.orig_nents ?? entries.length,
      bounceSlots: m.segs.filter((g) => g.bounced).map((g) => ({ slot: g.target, orig: g.phys, len: g.len })),
      live: m.live, failed: m.failed, createdAt: m.createdAt, ...(m.releasedAt ? { releasedAt: m.releasedAt } : {}),
    };
  });
}

export function lineView(s: MachineState, idx: number): LineView {
  const c = s.cache;
  const set = Math.floor(idx / c.ways);
  const valid = c.tags[idx] >= 0;
  let rank = 0;
  for (let w = 0; w < c.ways; w++) {
    const j = set * c.ways + w;
    if (j !== idx && c.tags[j] >= 0 && c.stamps[j] > c.stamps[idx]) rank++;
  }
  const filled = c.filledAt[idx];
  return {
    set, way: idx % c.ways, tag: c.tags[idx], phys: valid ? c.tags[idx] * c.line : -1, state: stateOf(c, idx),
    data: valid ? toByteRuns(c.data[idx] as DataRun[]) : [], lruRank: valid ? rank : c.ways, ...(filled ? { filledAt: filled } : {}),
  };
}

export function lineViews(s: MachineState, start: number, count: number): LineView[] {
  const out: LineView[] = [];
  const end = Math.min(lineCount(s.cache), Math.max(0, start) + Math.max(0, count));
  for (let i = Math.max(0, start); i < end; i++) out.push(lineView(s, i));
  return out;
}

export function deviceViews(s: MachineState): DeviceView[] {
  return [...s.devices.values()].map((d) => ({ ...d, snoops: s.platform.coherent || d.coherent, description: describeDevice(d) }));
}

