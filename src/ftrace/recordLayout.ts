// The layout of a batch's records, the fast path's event codes and how records hold numbers: one file that the
// JavaScript reader's modules and the WebAssembly modules (wasm/assembly, wasm/commonPath, compiled by AssemblyScript)
// import, so that they cannot disagree. Plain number constants only: AssemblyScript compiles the integers as i32, the
// two doubles at the end as f64. (Imported from here, not re-exported: tsc makes a re-export a getter, which the
// checking loop would call for every record.)

/** Numbers per record. */
export const STRIDE = 10;
/** Offsets of a record's fields. */
export const R_CODE = 0;
export const R_LINE = 1;
export const R_OFFSET = 2;
export const R_TIME = 3;
export const R_CPU = 4;
/** dma address (iova for the IOMMU). */
export const R_ADDR = 5;
export const R_SIZE = 6;
/**
 * phys address (paddr; unmapped size for an IOMMU unmap); for a `SLOW` record, its line's index in the batch's texts,
 * for a mark its text's, for an allocation or free its `virt_addr`'s.
 */
export const R_OTHER = 7;
/** Index into the batch's strings of the device; then attrs and direction in one number: attrs index * 4 + the direction's index. */
export const R_DEVICE = 8;
export const R_ATTRS_DIR = 9;

/** What a record holds: `SLOW` is a line left to the general parser; the others are event codes, in `HOT_NAMES`' order. */
export const SLOW = -1;
export const FIRST_UNMAP = 3;
export const FIRST_SYNC = 6;
export const IOMMU_MAP = 8;
export const IOMMU_UNMAP = 9;
/**
 * From here on, events that carry a text (in the batch's texts): an ftrace marker (`tracing_mark_write`) and a
 * coherent allocation and free (`dma_alloc`, `dma_free`). They are rare but in every capture; read here, they keep
 * the general parser cold. They are handed on as decoded events, not as numbers (hotEvents.ts).
 */
export const MARK = 10;
export const ALLOC = 11;
export const FREE = 12;

/**
 * How records hold the trace's numbers, which both readers must read alike: exactly below EXACT (2^53, from where a
 * double no longer holds every integer, so a wider value makes its line malformed), and ~0 (the kernel's
 * DMA_MAPPING_ERROR) as 2^64. Doubles, written with a fraction so that AssemblyScript compiles them as f64.
 */
export const EXACT = 9007199254740992.0;
export const DMA_MAPPING_ERROR = 18446744073709551616.0;
