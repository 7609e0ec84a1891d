// The text of a hover on a term of a kernel trace (traceTermAt.ts), outside a debug session: what the kernel did at
// such an event, what the driver must do next, and what `check-trace` checks there (docs/traces.md). For a driver
// developer reading a capture, and for anyone learning what the DMA API's tracepoints say.
import type { TraceTerm } from './traceTermAt';

const SINGLE_MAP = 'A **streaming mapping**: the driver called `dma_map_single`/`dma_map_page` (the tracepoint is `dma_map_phys` since Linux 6.18, `dma_map_page` before; `dma_map_resource` maps MMIO). From here the device owns `size` bytes at `phys_addr`, which it reaches at `dma_addr`; the CPU must leave them alone until a sync for the CPU or the unmap. A noncoherent machine cleans the buffer\'s cache lines to memory here. Checked here: a failed map (`DMA_MAPPING_ERROR`), a dma address still mapped (a missing unmap), two device-writable mappings starting in one cache line.';
const SINGLE_UNMAP = 'Ends a **streaming mapping**: the buffer is the CPU\'s again. For `FROM_DEVICE` and `BIDIRECTIONAL` a noncoherent machine invalidates its cache lines, and a bounced mapping is copied back from its swiotlb slot. The unmap must repeat the map\'s size and direction. Checked here: an unmap of nothing mapped (or unmapped already: a double unmap), another size, direction or kind than the map\'s, an unmap of a failed map.';
const SYNC_CHECKS = 'Checked here: a sync of nothing mapped (or of what the trace saw unmapped), one reaching past the mapping, one with another direction than the map\'s.';
const SYNC_FOR_CPU = 'Hands a live mapping (or part of it) **back to the CPU** without unmapping it: after the device wrote it, before the CPU reads it. For `FROM_DEVICE` and `BIDIRECTIONAL` a noncoherent machine invalidates the lines (the CPU may have prefetched them during the transfer) and swiotlb copies the slot back. A missing one is the classic stale read. ' + SYNC_CHECKS;
const SYNC_FOR_DEVICE = 'Hands a live mapping **back to the device** after the CPU wrote it: a noncoherent machine cleans the lines to memory, and for `TO_DEVICE` and `BIDIRECTIONAL` swiotlb copies the buffer into its slot. ' + SYNC_CHECKS;
const ALLOC_CHECK = 'It must be freed by the matching free, with the same size. Checked here: an allocation at an address still allocated (a missing free).';
const ALLOC = `A **coherent allocation** (\`dma_alloc_coherent\`): memory the CPU and the device both see without syncs (a noncoherent machine maps it uncached). ${ALLOC_CHECK}`;
const ALLOC_NONCOHERENT = `Memory for DMA that is **not coherent** (\`dma_alloc_pages\`, \`dma_alloc_noncoherent\`; \`dma_alloc_sgt\` for \`dma_alloc_noncontiguous\`): the driver syncs it as it would a streaming mapping. ${ALLOC_CHECK}`;
const FREE = 'Frees a DMA allocation: with the free that matches its allocation, and the same size. Checked here: a free of nothing allocated (or freed already: a double free), another size, another kind.';

const EVENTS: Record<string, string> = {
  dma_map_phys: SINGLE_MAP, dma_map_page: SINGLE_MAP, dma_map_resource: SINGLE_MAP,
  dma_unmap_phys: SINGLE_UNMAP, dma_unmap_page: SINGLE_UNMAP, dma_unmap_resource: SINGLE_UNMAP,
  dma_map_sg: 'Maps a **scatter-gather list** for the device: `nents=` shows the entries passed, `ents=` those mapped (an IOMMU may merge entries, and the ones after get no address); each shows `shown/full`, as the arrays stop at 128 entries (`[TRUNCATED]`). The device owns every entry until a sync for the CPU or the unmap, which must pass the original list and `nents`, not the count the map returned.',
  dma_map_sg_err: '`dma_map_sg` **failed**: the driver must check the result and not hand the list to the device. Reported as a map error (`constraint-violation`).',
  dma_unmap_sg: 'Unmaps a **scatter-gather list**, named by its entries\' physical addresses: it must pass the same list, the same `nents` and the same direction as the map. Checked here: an unmap of no live list (or of one unmapped already), another direction, another entry count, an sg unmap of a single mapping.',
  dma_sync_single_for_cpu: SYNC_FOR_CPU, dma_sync_sg_for_cpu: SYNC_FOR_CPU,
  dma_sync_single_for_device: SYNC_FOR_DEVICE, dma_sync_sg_for_device: SYNC_FOR_DEVICE,
  dma_alloc: ALLOC, dma_alloc_pages: ALLOC_NONCOHERENT, dma_alloc_sgt: ALLOC_NONCOHERENT,
  dma_alloc_sgt_err: 'A `dma_alloc_sgt` allocation **failed**: reported as a map error.',
  dma_free: FREE, dma_free_pages: FREE, dma_free_sgt: FREE,
  swiotlb_bounced: '**swiotlb bounced** a mapping: the device cannot reach the buffer at `dev_addr` (past its `dma_mask`), or the kernel runs with `swiotlb=force` (`FORCE`). The data goes through a bounce slot (2 KiB slots, at most 256 KiB a mapping): copied in at the map and at each sync for the device, out at each sync for the CPU and at the unmap. The map event that follows shows the slot as its dma address.',
  map: 'The **IOMMU** mapped `size` bytes at `paddr` into the I/O address space, at `iova` (up to the range\'s end): the addresses a device behind it uses. One per mapping, or per merged sg segment.',
  unmap: 'The **IOMMU** removed its mappings from `iova` on over `size` bytes (`unmapped_size` of them were mapped).',
  tracing_mark_write: 'A **marker** the workload wrote to `/sys/kernel/tracing/trace_marker` to name its steps: the outline lists them.',
};

const FENCE = 'A **dma-fence** event: fences signal the end of a device\'s work to other drivers sharing a dma-buf (`init`, `emit`, `enable_signal`, `signaled`, `wait_start`, `wait_end`, `destroy`). The debugger keeps each fence\'s last state, by `context:seqno`.';

const DIRECTIONS: Record<string, string> = {
  TO_DEVICE: '`DMA_TO_DEVICE`: the **device reads** the buffer. The CPU writes it before the map (or before a sync for the device) and not while mapped. A noncoherent machine cleans the lines at the map and does nothing at the unmap.',
  FROM_DEVICE: '`DMA_FROM_DEVICE`: the **device writes** the buffer. The CPU reads it only after a sync for the CPU or the unmap, which invalidate its lines on a noncoherent machine.',
  BIDIRECTIONAL: '`DMA_BIDIRECTIONAL`: the device **reads and writes** the buffer: syncs are needed both ways; lines are cleaned at the map and invalidated at the unmap. An unmap or sync must still pass the direction the map did.',
  NONE: '`DMA_NONE`: no transfer; a direction for debugging only.',
};

const ATTRS: Record<string, string> = {
  SKIP_CPU_SYNC: '`DMA_ATTR_SKIP_CPU_SYNC`: **no cache maintenance** at this map or unmap: the driver takes the buffer to be in the device\'s domain already and syncs it itself. Two device-writable mappings in one cache line are not reported for such a map.',
  NO_WARN: '`DMA_ATTR_NO_WARN`: the kernel prints no warning if this mapping fails (the driver has a fallback).',
};

export function traceTermHover(term: TraceTerm): string | undefined {
  switch (term.kind) {
    case 'event': {
      const text = EVENTS[term.name] ?? (term.name.startsWith('dma_fence_') ? FENCE : undefined);
      return text && `\`${term.name}\`\n\n${text}`;
    }
    case 'direction':
      return DIRECTIONS[term.dir];
    case 'attr':
      return ATTRS[term.name] ?? `\`${term.name}\`: a DMA attribute (a \`DMA_ATTR_\` flag: see the kernel's Documentation/core-api/dma-attributes.rst).`;
    case 'lost':
      return `**${term.count} events lost** here: the ring buffer was full and dropped them. What happened across the gap is unknown, so a finding whose evidence spans it is window information, not a bug.`;
    case 'truncated':
      return '`[TRUNCATED]`: the kernel prints at most 128 entries of an sg list; the entries after them are not in the trace.';
  }
}
