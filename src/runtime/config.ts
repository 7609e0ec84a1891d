// Turns a program's declarations (spec §3) into the machine's configuration, with the spec's defaults.
import type { Program } from '../language/ast';
import type { MachineConfig } from '../machine/machine';

export type Arch = 'arm64' | 'arm' | 'x86_64';

export const DEFAULT_CACHE = { size: 32 * 1024, ways: 4, line: 64, prefetch: 'none' } as const;
export const DEFAULT_MEMORY = { size: 8 * 1024 * 1024 * 1024, seed: 1 } as const;
/** Devices without a dma_mask option can address 64 bits. */
export const DEFAULT_DMA_MASK_BITS = 64;

/**
 * `platformOverride` replaces the declared architecture (a launch configuration's `platform`); the coherence
 * stays as declared, or takes the new architecture's default (x86_64 coherent, Arm noncoherent).
 */
export function machineConfigOf(program: Program, platformOverride?: Arch): MachineConfig {
  const p = program.platform;
  const arch: Arch = platformOverride ?? p?.arch ?? 'arm64';
  const c = program.cache;
  const m = program.memory;
  return {
    platform: { arch, coherent: p?.coherent ?? arch === 'x86_64', swiotlbForce: p?.swiotlbForce ?? false },
    cache: {
      size: c?.size ?? DEFAULT_CACHE.size,
      ways: c?.ways ?? DEFAULT_CACHE.ways,
      line: c?.line ?? DEFAULT_CACHE.line,
      prefetch: c?.prefetch ?? DEFAULT_CACHE.prefetch,
    },
    memory: { size: m?.size ?? DEFAULT_MEMORY.size, seed: m?.seed ?? DEFAULT_MEMORY.seed },
    devices: [...program.devices.values()].map(({ kind: _kind, nameSpan: _nameSpan, span: _span, ...device }) => ({
      ...device,
      dmaMask: device.dmaMask || DEFAULT_DMA_MASK_BITS,
    })),
  };
}
