// Dispatches each operation of signatures.ts to the machine, reading its arguments by parameter name.
import type { Direction, ResolvedValue } from '../language/ast';
import type { ByteRun, Handle, Machine } from '../machine/machine';
import { ArgumentError, describeValue, type Owner, type Value } from './values';

/**
 * Typed access to a call's arguments, read straight from the resolver's values: constants as they are, names
 * looked up through `evaluate` when an operation asks for them (one reusable object per runner, no per-call
 * copies). A wrong kind (only possible through proc parameters) throws ArgumentError.
 */
export class Args {
  op = '';
  private values: Record<string, ResolvedValue> = {};

  constructor(private readonly evaluate: (v: ResolvedValue) => Value) {}

  /** Points this object at the next call's resolved arguments. */
  reset(op: string, values: Record<string, ResolvedValue>): this {
    this.op = op;
    this.values = values;
    return this;
  }

  private get(name: string): Value {
    const v = this.values[name];
    if (!v) throw new ArgumentError(`${this.op}: missing argument ${name}`);
    return this.evaluate(v);
  }

  private wrong(name: string, want: string): never {
    throw new ArgumentError(`${this.op}: argument ${name} must be ${want}, got ${describeValue(this.get(name))}`);
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  num(name: string, fallback?: number): number {
    if (fallback !== undefined && !this.has(name)) return fallback;
    const v = this.get(name);
    return v.kind === 'number' ? v.value : this.wrong(name, 'a number');
  }

  handle(name: string): Handle {
    const v = this.get(name);
    return v.kind === 'handle' ? v.handle : this.wrong(name, 'a handle');
  }

  device(name: string): string {
    const v = this.get(name);
    return v.kind === 'device' ? v.name : this.wrong(name, 'a declared device');
  }

  dir(name: string): Direction {
    const v = this.get(name);
    return v.kind === 'direction' ? v.dir : this.wrong(name, 'a direction');
  }

  word(name: string): string {
    const v = this.get(name);
    return v.kind === 'word' ? v.name : this.wrong(name, 'a keyword');
  }

  flag(name: string): boolean {
    const v = this.values[name];
    if (v === undefined) return false;
    const e = this.evaluate(v);
    return e.kind === 'flag' && e.set;
  }

  owner(name: string): Owner {
    const v = this.get(name);
    return v.kind === 'owner' ? v.owner : this.wrong(name, 'an owner');
  }
}

/** What an operation gives back: a handle to bind, bytes read, or nothing. */
export type OpResult = Handle | ByteRun[] | void;

type Operation = (m: Machine, a: Args, expect: number | undefined) => OpResult;

const operations: Record<string, Operation> = {
  kmalloc: (m, a) => m.kmalloc(a.num('size')),
  vmalloc: (m, a) => m.vmalloc(a.num('size')),
  kfree: (m, a) => m.kfree(a.handle('p')),
  vfree: (m, a) => m.vfree(a.handle('p')),
  phys: (m, a) => m.phys(a.num('addr'), a.num('size')),
  dma_alloc_coherent: (m, a) => m.dmaAllocCoherent(a.device('dev'), a.num('size')),
  dma_free_coherent: (m, a) => m.dmaFreeCoherent(a.device('dev'), a.handle('c')),

  dma_map_single: (m, a) =>
    m.dmaMapSingle(a.device('dev'), a.handle('p'), a.num('size'), a.dir('dir'), a.num('offset', 0), a.flag('skip_cpu_sync')),
  dma_unmap_single: (m, a) => m.dmaUnmapSingle(a.device('dev'), a.handle('h'), a.num('size'), a.dir('dir'), a.flag('skip_cpu_sync')),
  dma_map_sg: (m, a) => m.dmaMapSg(a.device('dev'), a.handle('p'), a.dir('dir'), a.flag('skip_cpu_sync')),
  dma_unmap_sg: (m, a) => m.dmaUnmapSg(a.device('dev'), a.handle('sgt'), a.dir('dir'), a.flag('skip_cpu_sync')),
  dma_sync_single_for_cpu: (m, a) =>
    m.dmaSyncSingleForCpu(a.device('dev'), a.handle('h'), a.num('size'), a.dir('dir'), a.num('offset', 0)),
  dma_sync_single_for_device: (m, a) =>
    m.dmaSyncSingleForDevice(a.device('dev'), a.handle('h'), a.num('size'), a.dir('dir'), a.num('offset', 0)),
  dma_sync_sg_for_cpu: (m, a) => m.dmaSyncSgForCpu(a.device('dev'), a.handle('sgt'), a.dir('dir')),
  dma_sync_sg_for_device: (m, a) => m.dmaSyncSgForDevice(a.device('dev'), a.handle('sgt'), a.dir('dir')),

  dma_heap_alloc: (m, a) => m.dmaHeapAlloc(a.word('heap') as 'system' | 'cma', a.num('size')),
  dma_buf_export: (m, a) => m.dmaBufExport(a.device('dev'), a.num('size'), a.flag('contiguous'), a.flag('deferred')),
  dma_buf_get: (m, a) => m.dmaBufGet(a.handle('buf')),
  dma_buf_put: (m, a) => m.dmaBufPut(a.handle('buf')),
  dma_buf_attach: (m, a) => m.dmaBufAttach(a.handle('buf'), a.device('dev')),
  dma_buf_detach: (m, a) => m.dmaBufDetach(a.handle('buf'), a.handle('a')),
  dma_buf_map_attachment: (m, a) => m.dmaBufMapAttachment(a.handle('a'), a.dir('dir')),
  dma_buf_unmap_attachment: (m, a) => m.dmaBufUnmapAttachment(a.handle('a'), a.handle('sgt'), a.dir('dir')),
  dma_buf_begin_cpu_access: (m, a) => m.dmaBufBeginCpuAccess(a.handle('buf'), a.dir('dir')),
  dma_buf_end_cpu_access: (m, a) => m.dmaBufEndCpuAccess(a.handle('buf'), a.dir('dir')),
  dma_buf_vmap: (m, a) => m.dmaBufVmap(a.handle('buf')),
  dma_buf_vunmap: (m, a) => m.dmaBufVunmap(a.handle('buf'), a.handle('v')),
  dma_buf_mmap: (m, a) => m.dmaBufMmap(a.handle('buf')),
  dma_buf_sync: (m, a) => m.dmaBufSync(a.handle('buf'), a.word('phase') as 'START' | 'END', a.word('access') as 'READ' | 'WRITE' | 'RW'),

  'cpu.read': (m, a, expect) => m.cpuRead(a.handle('p'), a.num('off'), a.num('len'), expect),
  'cpu.write': (m, a) => m.cpuWrite(a.handle('p'), a.num('off'), a.num('len'), a.num('value')),
  'device.read': (m, a, expect) => m.deviceRead(a.device('dev'), a.handle('m'), a.num('off'), a.num('len'), expect),
  'device.write': (m, a) => m.deviceWrite(a.device('dev'), a.handle('m'), a.num('off'), a.num('len'), a.num('value')),
  'cache.prefetch': (m, a) => m.cachePrefetch(a.handle('p'), a.num('off'), a.num('len')),
  'cache.evict': (m, a) => m.cacheEvict(a.handle('p'), a.num('off'), a.num('len')),
  'cache.evict_all': (m) => m.cacheEvictAll(),

  expect_owner: (m, a) =>
    m.expectOwner(a.handle('buf'), a.owner('owner'), a.has('off') ? a.num('off') : undefined, a.has('len') ? a.num('len') : undefined),
};

/** Every call of signatures.ts has one (the runtime tests pin it); the resolver lets no other name through. */
export function operation(op: string): Operation {
  const run = operations[op];
  if (!run) throw new Error(`no operation for ${op}`);
  return run;
}
