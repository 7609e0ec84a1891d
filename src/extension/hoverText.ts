// The text of editor hovers outside a debug session: what an API call does to ownership and the cache on the
// scenario's declared platform (spec §6), and what a device's constraints mean (spec §3, §7).
import type { CallStmt, DeviceDecl, Direction, Program } from '../language/ast';
import type { Signature } from '../language/signatures';

/** The calls that hand a range to a device (map, sync for device) or back to the CPU (unmap, sync for CPU). */
const TO_DEVICE_CALLS = new Set(['dma_map_single', 'dma_map_sg', 'dma_sync_single_for_device', 'dma_sync_sg_for_device', 'dma_buf_map_attachment', 'dma_buf_end_cpu_access']);
const TO_CPU_CALLS = new Set(['dma_unmap_single', 'dma_unmap_sg', 'dma_sync_single_for_cpu', 'dma_sync_sg_for_cpu', 'dma_buf_unmap_attachment', 'dma_buf_begin_cpu_access']);

interface PlatformView {
  arch: 'arm64' | 'arm' | 'x86_64';
  coherent: boolean;
}

function platformOf(program: Program): PlatformView {
  const arch = program.platform?.arch ?? 'arm64';
  return { arch, coherent: program.platform?.coherent ?? arch === 'x86_64' };
}

function handoffOf(op: string, stmt: CallStmt | undefined): 'device' | 'cpu' | undefined {
  if (TO_DEVICE_CALLS.has(op)) return 'device';
  if (TO_CPU_CALLS.has(op)) return 'cpu';
  if (op === 'dma_buf_sync') {
    const phase = stmt?.resolved?.args.phase;
    if (phase?.kind === 'word') return phase.name === 'START' ? 'cpu' : 'device';
  }
  return undefined;
}

function directionOf(stmt: CallStmt | undefined): Direction | undefined {
  const dir = stmt?.resolved?.args.dir;
  return dir?.kind === 'direction' ? dir.dir : undefined;
}

/** Which device an attachment handle was attached for (from its `dma_buf_attach`), when it can be told statically. */
export type AttachedDevice = (attachment: string) => string | undefined;

/** The device a call hands a buffer to: its `dev` argument, or the device its attachment was made for. */
function deviceOf(stmt: CallStmt | undefined, program: Program, attachedDevice?: AttachedDevice): DeviceDecl | undefined {
  const args = stmt?.resolved?.args;
  const name = args?.dev?.kind === 'device' ? args.dev.name : args?.a?.kind === 'handle' ? attachedDevice?.(args.a.name) : undefined;
  return name === undefined ? undefined : program.devices.get(name);
}

/** The cache maintenance a hand-off performs (spec §6), specialised to the call's direction when it is known. */
function maintenance(to: 'device' | 'cpu', p: PlatformView, dir: Direction | undefined, skip: boolean): string {
  if (p.coherent) return `${p.arch} coherent: no cache maintenance, only the owner changes.`;
  if (skip) return 'SKIP_CPU_SYNC: no cache maintenance, only the owner changes.';
  const arm32 = p.arch === 'arm';
  if (to === 'device') {
    if (!arm32) return `${p.arch} noncoherent: cleans the range's cache lines to memory, whatever the direction.`;
    if (dir === undefined) return 'arm noncoherent: FROM_DEVICE invalidates the lines; other directions clean them to memory.';
    return dir === 'FROM_DEVICE' ? 'arm noncoherent, FROM_DEVICE: invalidates the lines (partial edge lines are cleaned first).' : `arm noncoherent, ${dir}: cleans the lines to memory.`;
  }
  const again = arm32 ? ' (again: the CPU may have prefetched during the transfer)' : ' (the CPU may have prefetched during the transfer)';
  if (dir === undefined) return `${p.arch} noncoherent: FROM_DEVICE and BIDIRECTIONAL invalidate the lines${again}; TO_DEVICE does nothing.`;
  return dir === 'TO_DEVICE' ? `${p.arch} noncoherent, TO_DEVICE: no cache maintenance.` : `${p.arch} noncoherent, ${dir}: invalidates the lines${again}.`;
}

/** Markdown for a hover on an API name: signature, what it does, and the cache maintenance on this platform. */
export function callHover(sig: Signature, name: string, program: Program, stmt: CallStmt | undefined, attachedDevice?: AttachedDevice): string {
  const params = sig.params.map((p) => (p.optional ? `[${p.name}]` : p.name)).join(', ');
  const lines = [`\`${name}(${params})\`${sig.returns ? ` → ${sig.returns}` : ''} · ${sig.family}`, '', sig.doc];
  const to = handoffOf(sig.op, stmt);
  if (to) {
    const dev = deviceOf(stmt, program, attachedDevice);
    const skip = stmt?.resolved?.args.skip_cpu_sync?.kind === 'flag' && stmt.resolved.args.skip_cpu_sync.set;
    const owner = to === 'device' ? `Owner → ${dev ? dev.name : 'the device'}${directionOf(stmt) ? ':' + directionOf(stmt) : ''}.` : 'Owner → cpu.';
    const coherentDev = dev?.coherent ? `${dev.name} is coherent: no cache maintenance, only the owner changes.` : undefined;
    lines.push('', `${owner} ${coherentDev ?? maintenance(to, platformOf(program), directionOf(stmt), skip)}`);
  }
  return lines.join('\n');
}

/** Markdown for a hover on a device: its declared constraints and what they make the API do. */
export function deviceHover(d: DeviceDecl, program: Program): string {
  const p = platformOf(program);
  const mask = d.dmaMask || 64;
  const facts = [
    d.coherent || p.coherent ? 'coherent: snoops the CPU cache, no maintenance needed' : 'noncoherent: sees memory only, the API must clean and invalidate',
    d.iommu ? 'behind an IOMMU: I/O virtual addresses, sg runs merge, never bounces' : 'no IOMMU: one segment per physically contiguous run',
    mask >= 64 ? 'dma_mask 64 bits: reaches all memory' : `dma_mask ${mask} bits: reaches below ${formatBytes(2 ** mask)}${d.iommu ? '' : '; streaming maps of higher pages bounce through swiotlb'}`,
  ];
  if (program.platform?.swiotlbForce && !d.iommu) facts.push('swiotlb=force: every streaming map bounces through the swiotlb pool, whatever the mask');
  if (d.contiguous) facts.push(d.iommu ? 'contiguous: satisfied by its IOMMU' : 'contiguous: needs a single segment');
  if (d.maxSegmentSize !== undefined) facts.push(`max_segment_size ${formatBytes(d.maxSegmentSize)}`);
  if (d.segmentBoundary !== undefined) facts.push(`segments may not cross a multiple of ${formatBytes(d.segmentBoundary + 1)}`);
  return [`\`device ${d.name}\``, '', ...facts.map((f) => `- ${f}`)].join('\n');
}

/** A byte count in the language's own units (4KiB, 1MiB, 4GiB), or hex when it is not a whole unit. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return n < 1024 ? String(n) : '0x' + n.toString(16);
}
