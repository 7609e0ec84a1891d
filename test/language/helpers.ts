// Shared helpers for the language tests: parse a snippet, list its errors in the CLI's form, compare ASTs as data.
import assert from 'node:assert/strict';
import type { Program } from '../../src/language/ast';
import { parseScenario } from '../../src/language';
import { formatDiagnostic } from '../../src/language/diagnostics';

/** Every error of `text`, as `t.dmabuf:LINE:COL: error: MESSAGE`. */
export function errorsOf(text: string): string[] {
  return parseScenario(text, 't.dmabuf').diagnostics.map(formatDiagnostic);
}

/** Parses `text`, which must have no error. */
export function clean(text: string): Program {
  const { program, diagnostics } = parseScenario(text, 't.dmabuf');
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  return program;
}

/** A value as plain JSON data (spans become `{ start, end }`), for deep comparisons. */
export function plain<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v));
}

/** The span `{ start, end }` of LINE:COL to LINE:END (exclusive), as plain data. */
export function at(line: number, column: number, endColumn: number): unknown {
  return { start: { line, column }, end: { line, column: endColumn } };
}

/** The spec §1 example, which must parse clean. */
export const SPEC_EXAMPLE = `# Camera (ISP) captures a frame into a dma-buf; the CPU reads it back.
platform arm64                      # non-coherent DMA, 64-byte lines
cache size=32KiB ways=4 prefetch=next-line

device isp dma_mask=32
device gpu iommu

buf = dma_heap_alloc(system, 1MiB)
a = dma_buf_attach(buf, isp)
sgt = dma_buf_map_attachment(a, FROM_DEVICE)
isp.write(sgt, 0, 4KiB, 0xA5)       # the device DMAs the frame in
dma_buf_unmap_attachment(a, sgt, FROM_DEVICE)

v = dma_buf_vmap(buf)
dma_buf_begin_cpu_access(buf, FROM_DEVICE)
cpu.read(v, 0, 64) expect 0xA5      # correct: the unmap invalidated stale lines
dma_buf_end_cpu_access(buf, FROM_DEVICE)
dma_buf_vunmap(buf, v)
dma_buf_detach(buf, a)
dma_buf_put(buf)
`;
