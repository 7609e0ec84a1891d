// Read-only views of the machine for the debugger's panels and hovers: buffers with their owners, mappings
// with their sg tables and bounce slots, cache lines, devices. Building a view never changes state.

import { bufferName, mappingName } from './buffers';
import { lineCount, stateOf } from './cache';
import { DeviceConfig, describeDevice } from './device';
import type { LineState } from './events';
import { hex } from './events';
import { failedMapResult, failedText } from './failedCalls';
import type { Loc } from './hazards';
import { ownerLabel } from './ownership';
import type { PhysRange } from './rangeAllocator';
import { ByteRun, DataRun, toByteRuns } from './runs';
import type { SgEntry } from './sgTable';
import type { Handle, MachineState } from './state';

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
    owners: b.kind === 'coherent' ? [{ off: 0, len: b.size, owner: `cpu, ${b.device}:BIDIRECTIONAL` }] : b.owners.map((r) => ({ off: r.off, len: r.len, owner: ownerLabel(s, r.owners) })),
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

/** One line for a hover over a handle. */
export function describeHandle(s: MachineState, h: Handle): string {
  const t = s.handles.get(h.id);
  if (!t) return h.failedAt ? `handle #${h.id}: returned by the call at line ${h.failedAt.line}, which failed: it names nothing` : `unknown handle #${h.id}`;
  if ('buffer' in t) {
    const b = s.buffers.get(t.buffer);
    if (!b) return `handle #${h.id}`;
    const owners = [...new Set(b.owners.map((r) => ownerLabel(s, r.owners)))].join(' / ');
    return `${t.type} -> ${bufferName(b)}: ${b.kind}, ${b.size} bytes at ${hex(b.segs[0]?.phys ?? 0)}${b.segs.length > 1 ? ` (${b.segs.length} segments)` : ''}, ` +
      `${b.cacheable ? 'cacheable' : 'uncached'}, ${b.live ? `owner ${b.kind === 'coherent' ? `cpu and ${b.device}` : owners}` : b.failed ? failedText(b) : 'freed'}`;
  }
  if ('mapping' in t) {
    const m = s.mappings.get(t.mapping);
    if (!m) return `handle #${h.id}`;
    const state = m.failed ? `FAILED (${failedMapResult(m)})` : m.live ? 'live' : 'unmapped';
    const sg = m.sg ? `, nents=${m.sg.nents} orig_nents=${m.sg.orig_nents}` : '';
    const bounced = m.segs.some((g) => g.bounced) ? ', bounced through swiotlb' : '';
    return `${m.kind === 'single' ? 'dma_handle' : 'sg table'} for ${m.device} ${m.dir}: ${m.size} bytes at dma ${hex(m.dmaAddress)}${sg}${bounced}, ${state}`;
  }
  return `${t.type} #${t.other}`;
}
