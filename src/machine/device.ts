// A DMA-capable device and its constraints (spec §3 `device`, §7): coherence, IOMMU, contiguity, the DMA
// mask's reach, and the segment limits an sg mapping must respect.

export interface DeviceConfig {
  name: string;
  coherent: boolean;
  iommu: boolean;
  contiguous: boolean;
  /** Bits, 1..64. */
  dmaMask: number;
  maxSegmentSize?: number;
  /** A mask such as 0xFFFF: no segment may cross a multiple of MASK+1. */
  segmentBoundary?: number;
}

/** The first address the device's mask cannot reach. */
export function maskLimit(d: DeviceConfig): number {
  return 2 ** Math.min(64, Math.max(1, Math.floor(d.dmaMask)));
}

/** dma_capable(): the whole range lies under the mask. */
export function dmaCapable(d: DeviceConfig, addr: number, len: number): boolean {
  return addr + len <= maskLimit(d);
}

export function maxSegment(d: DeviceConfig): number {
  return d.maxSegmentSize && d.maxSegmentSize > 0 ? d.maxSegmentSize : Infinity;
}

/** The boundary period (MASK+1), Infinity when none is set or it is beyond any address. */
export function boundaryPeriod(d: DeviceConfig): number {
  const m = d.segmentBoundary;
  return m === undefined || m >= 2 ** 52 ? Infinity : m + 1;
}

export function crossesBoundary(d: DeviceConfig, addr: number, len: number): boolean {
  const p = boundaryPeriod(d);
  return p !== Infinity && len > 0 && Math.floor(addr / p) !== Math.floor((addr + len - 1) / p);
}

export function describeDevice(d: DeviceConfig): string {
  const parts = [d.coherent ? 'coherent' : 'noncoherent'];
  if (d.iommu) parts.push('iommu');
  if (d.contiguous) parts.push('contiguous');
  parts.push(`dma_mask=${d.dmaMask}`);
  if (d.maxSegmentSize) parts.push(`max_segment_size=${d.maxSegmentSize}`);
  if (d.segmentBoundary !== undefined) parts.push(`segment_boundary=0x${d.segmentBoundary.toString(16)}`);
  return `${d.name} (${parts.join(', ')})`;
}
