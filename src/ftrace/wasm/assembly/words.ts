// The words the fast path looks for (keys, the event names it reads, `IOMMU:`, directions), packed so that a span is
// compared with one eight bytes at a time, and the keys as sixteen-byte `key=` patterns told in one compare.
import { EQUALS, sameBytes } from './bytes';
import { FREE } from '../../recordLayout';

// Keys of the `key=value` words the events need.
export const K_DIR = 0;
export const K_ATTRS = 1;
export const K_DMA = 2;
export const K_SIZE = 3;
export const K_PHYS = 4;
export const K_IOVA = 5;
export const K_PADDR = 6;
export const K_UNMAPPED = 7;
export const K_VIRT = 8;
export const K_FLAGS = 9;
export const KEYS = 10;

// Each word's bytes zero-padded to WORD_BYTES, then its length.
const WORD_BYTES = 32;
const WORD_SIZE = WORD_BYTES + 8;
/** Word numbers: the keys (K_*), the event names (NAME + code), then these. */
export const NAME = KEYS;
export const W_IOMMU = NAME + FREE + 1;
const W_DMA_ = W_IOMMU + 1;
const W_DIRECTION = W_DMA_ + 1;
const WORD_LIST = ['dir', 'attrs', 'dma_addr', 'size', 'phys_addr', 'iova', 'paddr', 'unmapped_size', 'virt_addr', 'flags',
  'dma_map_phys', 'dma_map_page', 'dma_map_resource', 'dma_unmap_phys', 'dma_unmap_page', 'dma_unmap_resource',
  'dma_sync_single_for_cpu', 'dma_sync_single_for_device', 'map', 'unmap', 'tracing_mark_write', 'dma_alloc', 'dma_free',
  'IOMMU:', 'DMA_', 'TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL', 'NONE'];
const WORDS = packWords();

function packWords(): usize {
  const n = WORD_LIST.length;
  const words = heap.alloc(<usize>n * WORD_SIZE);
  memory.fill(words, 0, <usize>n * WORD_SIZE);
  for (let k = 0; k < n; k++) {
    const w = words + <usize>k * WORD_SIZE;
    const text = WORD_LIST[k];
    for (let i = 0; i < text.length; i++) store<u8>(w + <usize>i, <u8>text.charCodeAt(i));
    store<usize>(w + WORD_BYTES, <usize>text.length);
  }
  return words;
}

// @ts-ignore: decorator
@inline function wordAt(k: i32): usize {
  return WORDS + <usize>k * WORD_SIZE;
}

// @ts-ignore: decorator
@inline export function wordLength(k: i32): usize {
  return load<usize>(wordAt(k) + WORD_BYTES);
}

/** Whether b[from, to) is word `k`. */
export function spanIs(from: usize, to: usize, k: i32): bool {
  const w = wordAt(k);
  const n = load<usize>(w + WORD_BYTES);
  return to - from == n && sameBytes(from, w, n);
}

/** Per key, sixteen bytes of `key=` (zero-padded) and sixteen of a mask over them: a key is told in one compare. */
const KEY_PATTERNS = keyPatterns();

function keyPatterns(): usize {
  const patterns = heap.alloc(KEYS * 32);
  memory.fill(patterns, 0, KEYS * 32);
  for (let k = 0; k < KEYS; k++) {
    const p = patterns + (<usize>k << 5);
    const n = wordLength(k);
    memory.copy(p, wordAt(k), n);
    store<u8>(p + n, EQUALS);
    memory.fill(p + 16, 0xff, n + 1);
  }
  return patterns;
}

/** Whether b[at, ...) starts with `key=` before `to`. */
// @ts-ignore: decorator
@inline export function keyAt(at: usize, to: usize, key: i32): bool {
  const p = KEY_PATTERNS + (<usize>key << 5);
  return at + wordLength(key) < to && !v128.any_true(v128.and(v128.xor(v128.load(at), v128.load(p)), v128.load(p, 16)));
}

/** The direction's number (DIRECTION_NAMES' order) of the `dir=` value b[from, to), the `DMA_` spelling too; -1: none. */
export function directionOf(from: usize, to: usize): i32 {
  if (to - from > 4 && spanIs(from, from + 4, W_DMA_)) from += 4;
  // Told apart by their lengths: TO_DEVICE, FROM_DEVICE, BIDIRECTIONAL, NONE.
  const n = to - from;
  const d = n == 9 ? 0 : n == 11 ? 1 : n == 13 ? 2 : n == 4 ? 3 : -1;
  return d >= 0 && spanIs(from, to, W_DIRECTION + d) ? d : -1;
}
