// What the checker's common path (wasm/commonPath/, compiled by AssemblyScript) and its host (commonPath.ts) must
// agree on, in one file that both compile, as recordLayout.ts is: why the module stops, the fields of the state it
// hands over, the direction indexes it compares and the releases a device remembers. Plain integer constants only
// (AssemblyScript compiles them as i32); test/ftrace/commonPath.test.ts holds them to the checker's own.

/**
 * Why the module stopped before a record: the host handles it and carries on (FOR_HOST: a line for the general parser,
 * or an event with a text, recordLayout.ts's `MARK` on), or (UNCHECKED) takes over checking.
 */
export const FOR_HOST = 1, NEW_DEVICE = 2, NEW_CODE = 3, UNCHECKED = 4;

/**
 * A live single mapping's fields, in the module's table and as `dumpLive` writes them after its dma address: what
 * `LiveSegments.addSingle` keeps, its origin's five (line, offset, timestamp, cpu, epoch) from M_LINE on.
 */
export const M_SIZE = 0, M_PHYS = 1, M_DIR = 2, M_ATTRS = 3, M_ID = 4, M_LINE = 5, M_TIME = 7, M_WIDTH = 10;

/** An IOMMU mapping's fields, as `dumpIommu` writes them after its IOVA: paddr, size, its origin's five from I_LINE. */
export const I_PADDR = 0, I_SIZE = 1, I_LINE = 2, I_WIDTH = 7;

/** Direction indexes, in the order of events.ts's DIRECTIONS. */
export const TO_DEVICE = 0, BIDIRECTIONAL = 2;

/** Releases a device remembers (deviceState.ts: MEMORY_PER_DEVICE), in two generations of half as many (releaseLog.ts). */
export const RELEASES = 16384;
