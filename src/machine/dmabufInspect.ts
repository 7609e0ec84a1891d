// Read-only views of the dma-bufs for the debugger and `advise`: each buffer with its exporter, reference count,
// attachments, mappings and CPU pointers; and, for each buffer, whether its pages serve every device that
// attached, and which exporter or allocation would (the question userspace cannot answer: who should export?).
import type { Direction } from '../language/ast';
import { describeDevice, type DeviceConfig } from './device';
import { bounces, describePlan, fitPlan, formatSize, unmetConstraints, type FitPlan } from './dmabufConstraints';
import { hex } from './events';
import { bufName, type DmaBuf } from './dmabufState';
import type { Loc } from './hazards';
import type { PhysRange } from './pageAllocator';
import type { MachineState } from './state';
import type { BufferView } from './views';

export interface DmaBufView {
  id: number;
  name: string;
  exporter: string;
  size: number;
  refcount: number;
  live: boolean;
  createdAt: Loc;
  releasedAt?: Loc;
  /** The machine buffer holding the pages (absent until a deferred export's first map). */
  buffer?: number;
  segments: PhysRange[];
  /** Open begin_cpu_access / sync START brackets. */
  cpuAccess: number;
  attachments: { id: number; device: string; live: boolean; createdAt: Loc; mappings: { sgt: number; dir: Direction; mappedAt: Loc }[] }[];
  vmaps: { id: number; live: boolean; createdAt: Loc }[];
  mmaps: { id: number; live: boolean; createdAt: Loc }[];
}

function exporterText(b: DmaBuf): string {
  if (b.exporter.kind === 'heap') return `${b.exporter.heap} heap`;
  const flags = [b.exporter.contiguous ? 'contiguous' : '', b.exporter.deferred ? 'deferred' : ''].filter(Boolean);
  return `${b.exporter.device}${flags.length ? ` (${flags.join(', ')})` : ''}`;
}

function segmentsOf(s: MachineState, b: DmaBuf): PhysRange[] {
  return b.buffer === undefined ? [] : s.buffers.get(b.buffer)?.segs ?? [];
}

export function dmaBufViews(s: MachineState): DmaBufView[] {
  return [...s.dmabuf.bufs.values()].map((b) => {
    const views = b.views.map((id) => s.dmabuf.views.get(id)!);
    const viewList = (kind: 'vmap' | 'mmap') => views.filter((v) => v.kind === kind).map((v) => ({ id: v.id, live: !v.unmappedAt, createdAt: v.createdAt }));
    return {
      id: b.id,
      name: bufName(s, b),
      exporter: exporterText(b),
      size: b.size,
      refcount: b.refs,
      live: !b.releasedAt,
      createdAt: b.createdAt,
      ...(b.releasedAt ? { releasedAt: b.releasedAt } : {}),
      ...(b.buffer !== undefined ? { buffer: b.buffer } : {}),
      segments: segmentsOf(s, b),
      cpuAccess: b.bracketDepth,
      attachments: b.attachments.map((id) => s.dmabuf.attachments.get(id)!).map((a) => ({
        id: a.id, device: a.device, live: !a.detachedAt, createdAt: a.createdAt, mappings: a.mappings.map((m) => ({ ...m })),
      })),
      vmaps: viewList('vmap'),
      mmaps: viewList('mmap'),
    };
  });
}

export interface ImporterAdvice {
  device: string;
  /** The device's declaration, e.g. "isp (noncoherent, contiguous, dma_mask=32)". */
  constraints: string;
  attachedAt: Loc;
  /** Undefined while the buffer has no pages (a deferred export never mapped). */
  served?: boolean;
  problems: string[];
  /** Served, but through swiotlb bounce buffers. */
  bounces: boolean;
}

export interface DmaBufAdvice {
  id: number;
  name: string;
  exporter: string;
  size: number;
  allocation: string;
  importers: ImporterAdvice[];
  /** Every importer is served by the pages (false when some is not, or none are allocated). */
  servesAll: boolean;
  /** The allocation that would serve every importer. */
  wouldServe: string;
  /** Who should export, or how to allocate, when the pages do not serve everyone. */
  suggestions: string[];
}

function describeAllocation(segs: readonly PhysRange[]): string {
  if (segs.length === 0) return 'no pages allocated';
  const total = segs.reduce((n, r) => n + r.len, 0);
  const shown = segs.slice(0, 4).map((r) => `${formatSize(r.len)} at ${hex(r.phys)}`).join(', ');
  return `${formatSize(total)} in ${segs.length} run${segs.length === 1 ? '' : 's'}: ${shown}${segs.length > 4 ? ', ...' : ''}`;
}

/** Exporting from `d` alone gives an allocation at least as strict as `plan` (the contiguous flag can be asked for). */
function covers(own: FitPlan, plan: FitPlan): boolean {
  return (plan.below === undefined || (own.below !== undefined && own.below <= plan.below)) && own.maxRun <= plan.maxRun;
}

function suggestionsFor(s: MachineState, b: DmaBuf, devices: DeviceConfig[], plan: FitPlan): string[] {
  const out: string[] = [];
  const size = formatSize(b.size);
  if (plan.contiguous && plan.window !== undefined && plan.window < b.size) {
    out.push(`no allocation serves everyone: ${plan.reasons.join('; ')}: contiguous pages of ${size} make one segment longer than ${formatSize(plan.window)}`);
    return out;
  }
  const exporter = devices.find((d) => covers(fitPlan([d]), plan));
  if (exporter) out.push(`let ${exporter.name} export it: dma_buf_export(${exporter.name}, ${size}${plan.contiguous ? ', contiguous' : ''})`);
  out.push(`export it deferred (dma_buf_export(DEV, ${size}, deferred)) and attach ${devices.map((d) => d.name).join(', ')} before the first map`);
  const cmaEnd = s.layout.cmaBase + s.layout.cmaSize;
  if (plan.contiguous && (plan.below === undefined || cmaEnd <= plan.below) && b.size <= s.layout.cmaSize) out.push(`allocate it from the cma heap: dma_heap_alloc(cma, ${size})`);
  if (!plan.contiguous && plan.below === undefined && plan.window === undefined) out.push(`allocate it from the system heap: dma_heap_alloc(system, ${size})`);
  return out;
}

export function dmaBufAdvice(s: MachineState): DmaBufAdvice[] {
  return [...s.dmabuf.bufs.values()].map((b) => {
    const segs = segmentsOf(s, b);
    const seen = new Set<string>();
    const importers: ImporterAdvice[] = [];
    const devices: DeviceConfig[] = [];
    for (const imp of b.importers) {
      const d = s.devices.get(imp.device);
      if (!d || seen.has(d.name)) continue;
      seen.add(d.name);
      devices.push(d);
      const problems = segs.length ? unmetConstraints(segs, d, s.platform.swiotlbForce).map((u) => u.reason) : [];
      importers.push({
        device: d.name,
        constraints: describeDevice(d),
        attachedAt: imp.at,
        ...(segs.length ? { served: problems.length === 0 } : {}),
        problems,
        bounces: segs.some((r) => bounces(r, d, s.platform.swiotlbForce)),
      });
    }
    const plan = fitPlan(devices, b.exporter.kind === 'driver' && b.exporter.contiguous);
    const servesAll = segs.length > 0 && importers.every((i) => i.served);
    return {
      id: b.id,
      name: bufName(s, b),
      exporter: exporterText(b),
      size: b.size,
      allocation: describeAllocation(segs),
      importers,
      servesAll,
      wouldServe: describePlan(plan) + (plan.reasons.length ? ` (${plan.reasons.join('; ')})` : ''),
      suggestions: servesAll ? [] : suggestionsFor(s, b, devices, plan),
    };
  });
}

/** A buffer view that, for the pages of a dma-buf, carries the dma-buf itself. */
export type BufferWithDmaBuf = BufferView & { dmabuf?: DmaBufView };

/**
 * The machine's buffer views with each dma-buf attached to the buffer holding its pages; a dma-buf without
 * pages yet (a deferred export before its first map) is listed as a buffer with no segments.
 */
export function withDmaBufs(s: MachineState, buffers: BufferView[]): BufferWithDmaBuf[] {
  const bufs = dmaBufViews(s);
  const byBacking = new Map(bufs.filter((d) => d.buffer !== undefined).map((d) => [d.buffer!, d]));
  const out: BufferWithDmaBuf[] = buffers.map((v) => (byBacking.has(v.id) ? { ...v, dmabuf: byBacking.get(v.id) } : v));
  for (const d of bufs.filter((x) => x.buffer === undefined)) {
    out.push({ id: d.id, name: d.name, kind: 'dmabuf', size: d.size, segments: [], owners: [], cacheable: true, createdAt: d.createdAt, ...(d.releasedAt ? { releasedAt: d.releasedAt } : {}), live: d.live, dmabuf: d });
  }
  return out;
}
