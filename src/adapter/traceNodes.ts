// The Variables view of a trace at one event: each device's live mappings (with their sg lists), coherent
// allocations and pending bounces, the IOMMU's mappings, the swiotlb bounce slots in use, and the findings so far.
// Devices' collections are read from the checker when expanded (the session settles the engine before every request).
import type { Hazard } from '../machine/hazards';
import { allFields, describe, displayTask, type Allocation, type IommuMapping, type Segment, type StreamingMapping, type TraceChecker, type TraceRecord } from '../ftrace/index';
import type { ValueNode } from './engine';
import { group, hex, indexed, leaf } from './valueNodes';

const where = (o: { line: number; timestamp: number; cpu: number }): string => `line ${o.line} @ ${o.timestamp.toFixed(6)} on CPU ${o.cpu}`;

function segmentNode(s: Segment, i: number): ValueNode {
  return group(`[${i}]`, `dma ${hex(s.dma)}, phys ${hex(s.phys)}, ${s.size} bytes`, () => [
    leaf('dma_address', hex(s.dma)),
    leaf('dma_length', s.size),
    leaf('phys', hex(s.phys)),
  ]);
}

/** One line saying what a mapping is: the same words as the checker's findings. */
function mappingSummary(m: StreamingMapping): string {
  const how = [m.dir, m.bounced ? 'bounced' : '', m.identity ? 'dma-direct' : '', m.attrs].filter((s) => s !== '').join(', ');
  return `${describe(m)}, ${how}`;
}

export function mappingNode(name: string, m: StreamingMapping, value = mappingSummary(m)): ValueNode {
  return group(name, value, () => {
    const s = m.segments[0];
    const common = [
      leaf('kind', m.kind),
      leaf('dir', m.dir),
      leaf('attrs', m.attrs || 'none'),
      leaf('mapped at', where(m.origin)),
      leaf('bounced', m.bounced ? `yes: ${hex(s.dma)} is a swiotlb slot` : 'no'),
      leaf('dma-direct', m.identity ? 'yes (dma == phys)' : 'no'),
    ];
    if (m.kind === 'single') return [...common, leaf('dma_addr', hex(s.dma)), leaf('phys_addr', hex(s.phys)), leaf('size', s.size)];
    const shown = m.truncated ? ` (the trace shows ${m.segments.length}: [TRUNCATED])` : '';
    return [
      ...common,
      leaf('nents', m.nents),
      indexed('sg list', `${m.segments.length} mapped entries${shown}`, m.segments.length, (i) => segmentNode(m.segments[i], i)),
    ];
  });
}

function allocationNode(a: Allocation): ValueNode {
  return leaf(hex(a.dma), `${a.api} allocation, ${a.size} bytes, ${where(a.origin)}`);
}

function iommuNode(m: IommuMapping): ValueNode {
  return leaf(hex(m.iova), `iova ${hex(m.iova)} -> paddr ${hex(m.paddr)}, ${m.size} bytes, ${where(m.origin)}`);
}

/** A device by name: its collections are read from the checker of the moment they are expanded. */
function deviceNode(name: string, state: () => TraceChecker): ValueNode {
  const d = state().devices.get(name);
  if (!d) return leaf(name, 'not seen yet');
  const bounces = d.pendingBounces.size;
  return group(name, `${d.live} live mappings, ${d.coherent.size} coherent allocations${bounces ? `, ${bounces} bounces pending` : ''}`, () => {
    const now = state().devices.get(name) ?? d;
    const mappings = [...now.mappings()];
    const coherent = [...now.coherent.values()];
    const pending = [...now.pendingBounces.values()];
    return [
      indexed('mappings', `${mappings.length}`, mappings.length, (i) => mappingNode(hex(mappings[i].segments[0].dma), mappings[i])),
      indexed('coherent', `${coherent.length}`, coherent.length, (i) => allocationNode(coherent[i])),
      indexed('pending bounces', `${pending.length}`, pending.length, (i) => leaf(`line ${pending[i].origin.line}`, `${pending[i].size} bytes bounced, waiting for their map`)),
      group('stats', `${now.stats.maps} maps, ${now.stats.unmaps} unmaps, ${now.stats.syncs} syncs`, () =>
        Object.entries(now.stats).filter(([, v]) => typeof v === 'number').map(([k, v]) => leaf(k, v as number))),
    ];
  });
}

export function devicesNode(state: () => TraceChecker): ValueNode {
  const names = [...state().devices.keys()];
  return group('Devices', `${names.length}`, () => names.map((n) => deviceNode(n, state)));
}

export function iommuScope(c: TraceChecker): ValueNode {
  const mappings = [...c.iommu.byIova.values()];
  return indexed('IOMMU', `${mappings.length} mappings (${c.iommu.maps} maps, ${c.iommu.unmaps} unmaps)`, mappings.length, (i) => iommuNode(mappings[i]));
}

/** The live mappings that went through a swiotlb slot: their dma address is the slot, their phys the original. */
export function bounceSlotsNode(c: TraceChecker): ValueNode {
  const bounced: StreamingMapping[] = [];
  for (const d of c.devices.values()) for (const m of d.mappings()) if (m.bounced) bounced.push(m);
  return indexed('Bounce slots', `${bounced.length} in use`, bounced.length, (i) => {
    const m = bounced[i];
    const s = m.segments[0];
    return mappingNode(`${m.device} ${hex(s.dma)}`, m, `slot ${hex(s.dma)} <- phys ${hex(s.phys)}, ${s.size} bytes ${m.dir}, ${where(m.origin)}`);
  });
}

export function eventNode(r: TraceRecord | undefined, lastLine: number): ValueNode {
  if (!r) return leaf('Event', `end of the trace (last event at line ${lastLine})`);
  return group('Event', `${r.event} (line ${r.line})`, () => [
    leaf('name', r.event),
    leaf('line', r.line),
    leaf('task', displayTask(r.task)),
    leaf('pid', r.pid),
    leaf('cpu', r.cpu),
    leaf('timestamp', r.timestamp.toFixed(6)),
    ...allFields(r.body).map((f) => leaf(f.key, f.value)),
  ]);
}

export function findingsNode(hazards: readonly Hazard[]): ValueNode {
  return indexed('Findings', `${hazards.length}`, hazards.length, (i) => {
    const h = hazards[i];
    return leaf(`line ${h.loc.line}`, `${h.kind} (${h.detail}): ${h.message}`);
  });
}
