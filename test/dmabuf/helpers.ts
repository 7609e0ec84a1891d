// Shared test helpers for the dma-buf tests (not a test file itself).
import assert from 'node:assert/strict';
import type { DeviceConfig } from '../../src/machine/device';
import { checkSource } from '../../src/runtime/checker';

/** A device declaration with the spec's defaults: noncoherent, no IOMMU, sg-capable, 64-bit mask. */
export function device(name: string, over: Partial<DeviceConfig> = {}): DeviceConfig {
  return { name, coherent: false, iommu: false, contiguous: false, dmaMask: 64, ...over };
}

/** The hazards a scenario raises, as `LINE:kind` (with ` (expected)` for those an expect_hazard consumed). */
export function hazardsOf(text: string, file = 't.dmabuf'): string[] {
  const r = checkSource(text, file);
  assert.deepEqual(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`), [], 'the scenario must parse');
  return r.hazards.map((h) => `${h.loc.line}:${h.kind}${h.expected ? ' (expected)' : ''}`);
}

/** The full hazard records, for message checks. */
export function hazardRecords(text: string, file = 't.dmabuf') {
  return checkSource(text, file).hazards;
}

/** Lines joined; scenario snippets read better as arrays in tests. */
export const lines = (...l: string[]): string => l.join('\n');
