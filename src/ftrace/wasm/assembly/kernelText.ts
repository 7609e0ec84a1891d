// The event's text read in one pass when it is exactly as the kernel prints it: its fields in the kernel's order, one
// space apart, nothing after them. Anything else (another order, more spaces, an unknown word) is left to the reader
// of any order (`fields` in line.ts), which reads such a text to the same values: this is only the short way. A
// mark's, an allocation's or a free's text is read only here; in another form, its line goes to the general parser.
import { COLON, EQUALS, SPACE, head, toByte } from './bytes';
import { setAllocEvent, setDevice, setDmaEvent, setIommuEvent, setMarkEvent } from './event';
import { decimalValue, hexAt, valueEnd } from './numbers';
import { ALLOC, FIRST_SYNC, FIRST_UNMAP, IOMMU_MAP, IOMMU_UNMAP, MARK } from '../../recordLayout';
import {
  K_ATTRS, K_DIR, K_DMA, K_FLAGS, K_IOVA, K_PADDR, K_PHYS, K_SIZE, K_UNMAPPED, K_VIRT,
  directionOf, keyAt, wordLength,
} from './words';

/** `IOMMU: ` as an eight-byte load sees it (the byte after the space masked off). */
const IOMMU_WORD: u64 = 0x203a554d4d4f49;
/** ` - ` then `0x`, between the IOVA range's ends. */
const RANGE_DASH: u64 = 0x7830202d20;

/** Where the value of `key=` at `p` starts, or 0 when `key=` is not there. */
// @ts-ignore: decorator
@inline function valueOf(p: usize, to: usize, key: i32): usize {
  return keyAt(p, to, key) ? p + wordLength(key) + 1 : 0;
}

/** Whether b[p] ends a value that more fields follow (a single space), stepping past it. */
// @ts-ignore: decorator
@inline function spaceAt(p: usize, to: usize): bool {
  return p < to && load<u8>(p) == SPACE;
}

/**
 * Reads the text b[from, to) of event `code` into the event (event.ts); false: not in the kernel's own form. Marks,
 * allocations and frees are read only so: their other forms go to the general parser.
 */
export function inKernelOrder(from: usize, to: usize, code: i32): bool {
  if (code < IOMMU_MAP) return dmaText(from, to, code);
  if (code < MARK) return iommuText(from, to, code);
  return code == MARK ? markText(from, to) : allocText(from, to, code);
}

// What `dmaHead` and `dmaAndSize` read.
let device: usize = 0;
let direction: i32 = 0;
let dmaValue: usize = 0;
let dma: f64 = 0;
let size: f64 = 0;
/** Where the head (`DEVICE dir=D dma_addr=`) of the text `dmaText` read last ends; 0 when it read none. */
export let headEnd: usize = 0;

/** Reads `DEVICE dir=D dma_addr=`, which the dma events start with (`dmaValue`: where the address starts); false when the text does not. */
// @ts-ignore: decorator
@inline function dmaHead(from: usize, to: usize): bool {
  device = toByte(from, to, SPACE);
  if (device == from || toByte(from, device, EQUALS) < device || load<u8>(device - 1) == COLON) return false;
  const v = wordAfter(device, to, K_DIR);
  if (v == 0) return false;
  const dirEnd = toByte(v, to, SPACE);
  direction = directionOf(v, dirEnd);
  if (direction < 0) return false;
  dmaValue = wordAfter(dirEnd, to, K_DMA);
  return dmaValue != 0;
}

/** Reads `H size=N` at `v`: the dma address and the size after it. */
// @ts-ignore: decorator
@inline function dmaAndSize(v: usize, to: usize): bool {
  dma = hexAt(v, to);
  if (isNaN(dma)) return false;
  v = wordAfter(valueEnd, to, K_SIZE);
  if (v == 0) return false;
  size = decimalValue(v, to);
  return !isNaN(size);
}

/** `DEVICE dir=D dma_addr=H size=N` then `phys_addr=H` (maps) and `attrs=A` (maps and unmaps). */
function dmaText(from: usize, to: usize, code: i32): bool {
  headEnd = 0;
  if (!dmaHead(from, to) || !dmaTail(direction, dmaValue, to, code)) return false;
  setDevice(from, device);
  headEnd = dmaValue;
  return true;
}

/**
 * The rest of a dma event's text, from its address at `v` on, but its device; its direction `dir` was read before (by
 * `dmaHead`, or with the same head of an earlier line: layouts.ts).
 */
export function dmaTail(dir: i32, v: usize, to: usize, code: i32): bool {
  if (!dmaAndSize(v, to)) return false;
  if (code >= FIRST_SYNC) {
    setDmaEvent(dir, dma, size, 0, 0, 0);
    return valueEnd == to;
  }
  let phys: f64 = 0;
  if (code < FIRST_UNMAP) {
    v = wordAfter(valueEnd, to, K_PHYS);
    if (v == 0) return false;
    phys = hexAt(v, to);
    if (isNaN(phys)) return false;
  }
  v = wordAfter(valueEnd, to, K_ATTRS);
  if (v == 0) return false;
  const attrsEnd = toByte(v, to, SPACE);
  setDmaEvent(dir, dma, size, phys, v, attrsEnd);
  return attrsEnd == to;
}

/** `DEVICE dir=D dma_addr=H size=N virt_addr=V` then `flags=F` (allocations) and `attrs=A`. */
function allocText(from: usize, to: usize, code: i32): bool {
  if (!dmaHead(from, to) || !dmaAndSize(dmaValue, to)) return false;
  const virt = wordAfter(valueEnd, to, K_VIRT);
  // An empty `virt_addr=` is left to the general parser.
  if (virt == 0 || virt == to || load<u8>(virt) == SPACE) return false;
  const virtEnd = toByte(virt, to, SPACE);
  let p = virtEnd;
  if (code == ALLOC) {
    const flags = wordAfter(p, to, K_FLAGS);
    if (flags == 0) return false;
    p = toByte(flags, to, SPACE);
  }
  const attrs = wordAfter(p, to, K_ATTRS);
  if (attrs == 0) return false;
  setAllocEvent(from, device, dma, size, virt, virtEnd);
  return toByte(attrs, to, SPACE) == to;
}

/** A mark's text: any, but not none. */
function markText(from: usize, to: usize): bool {
  setMarkEvent(from, to);
  return from < to;
}

/** Where the value of the ` key=` at `p` starts, or 0 when it is not there or its value is a `{...}` array. */
// @ts-ignore: decorator
@inline function wordAfter(p: usize, to: usize, key: i32): usize {
  if (!spaceAt(p, to)) return 0;
  const v = valueOf(p + 1, to, key);
  return v == 0 || (v < to && load<u8>(v) == 123 /* { */) ? 0 : v;
}

/** `IOMMU: iova=0xH - 0xH` then `paddr=0xH size=N` (maps) or `size=N unmapped_size=N` (unmaps). */
function iommuText(from: usize, to: usize, code: i32): bool {
  if (from + 7 >= to || head(from, 7) != IOMMU_WORD) return false;
  let v = valueOf(from + 7, to, K_IOVA);
  if (v == 0) return false;
  const iova = hexAt(v, to);
  if (isNaN(iova) || valueEnd + 5 >= to || head(valueEnd, 5) != RANGE_DASH) return false;
  // The range's end is a word the events do not need: any hex number.
  if (isNaN(hexAt(valueEnd + 3, to))) return false;
  let second: f64 = 0;
  if (code == IOMMU_MAP) {
    v = wordAfter(valueEnd, to, K_PADDR);
    if (v == 0) return false;
    second = hexAt(v, to);
    if (isNaN(second)) return false;
  }
  v = wordAfter(valueEnd, to, K_SIZE);
  if (v == 0) return false;
  const size = decimalValue(v, to);
  if (isNaN(size)) return false;
  if (code == IOMMU_UNMAP) {
    v = wordAfter(valueEnd, to, K_UNMAPPED);
    if (v == 0) return false;
    second = decimalValue(v, to);
    if (isNaN(second)) return false;
  }
  setIommuEvent(iova, size, second);
  return valueEnd == to;
}
