// Valid scenarios parse to the AST of ast.ts (spec §2-§4): declarations, every call family, procs, repeat,
// named arguments, expect forms, comments and blank lines.
import { test } from 'node:test';
import { argumentSpans } from '../../src/language/arguments';
import assert from 'node:assert/strict';
import type { CallStmt, ProcDecl, RepeatStmt } from '../../src/language/ast';
import { at, clean, plain, SPEC_EXAMPLE } from './helpers';

const DEVICES = 'device isp dma_mask=32\ndevice gpu iommu\n';

function calls(text: string): CallStmt[] {
  return clean(text).body.filter((s): s is CallStmt => s.kind === 'call');
}

test('the spec §1 example parses clean', () => {
  const p = clean(SPEC_EXAMPLE);
  assert.equal(p.body.length, 16);
  assert.deepEqual([...p.devices.keys()], ['isp', 'gpu']);
  assert.equal(p.platform?.arch, 'arm64');
  assert.equal(p.cache?.prefetch, 'next-line');
});

test('declarations: platform, cache, memory and device with their options', () => {
  const p = clean(
    'platform arm coherent swiotlb=force\ncache size=64KiB ways=8 line=128 prefetch=speculative\nmemory 2GiB seed=7\n' +
      'device vpu coherent iommu contiguous dma_mask=40 max_segment_size=64K segment_boundary=0xFFFF\n',
  );
  assert.deepEqual(plain(p.platform), { kind: 'platform', arch: 'arm', coherent: true, swiotlbForce: true, span: at(1, 1, 36) });
  assert.deepEqual(plain(p.cache), { kind: 'cache', size: 65536, ways: 8, line: 128, prefetch: 'speculative', span: at(2, 1, 54) });
  assert.deepEqual(plain(p.memory), { kind: 'memory', size: 2 * 2 ** 30, seed: 7, span: at(3, 1, 19) });
  assert.deepEqual(plain(p.devices.get('vpu')), {
    kind: 'device', name: 'vpu', nameSpan: at(4, 8, 11), span: at(4, 1, 94), dmaMask: 40,
    coherent: true, iommu: true, contiguous: true, maxSegmentSize: 65536, segmentBoundary: 0xffff,
  });
});

test('declaration defaults are left to the machine: only what is written is set', () => {
  const p = clean('platform x86_64\ncache\ndevice d\n');
  assert.equal(p.platform?.coherent, undefined);
  assert.equal(p.platform?.swiotlbForce, false);
  assert.deepEqual(plain(p.cache), { kind: 'cache', span: at(2, 1, 6) });
  assert.deepEqual([p.devices.get('d')?.dmaMask, p.devices.get('d')?.coherent, p.devices.get('d')?.iommu], [64, false, false]);
});

test('a binding call: target, callee, positional arguments as written', () => {
  const [c] = calls('p = kmalloc(0x1_000)');
  assert.deepEqual(plain(c), {
    kind: 'call', callee: 'kmalloc', calleeSpan: at(1, 5, 12), target: { name: 'p', span: at(1, 1, 2) },
    args: [{ kind: 'number', value: 4096, sized: false, span: at(1, 13, 20) }], named: [], span: at(1, 1, 21),
    resolved: { op: 'kmalloc', args: { size: { kind: 'number', value: 4096 } }, spans: { size: at(1, 13, 20) } },
  });
});

test('resolutions are shared exactly by calls that pass the same values, whichever argument differs, given or left out', () => {
  const text = ['device d', 'p = kmalloc(64)', 'q = kmalloc(64)', 'a = dma_map_single(d, p, 64, TO_DEVICE)', 'b = dma_map_single(d, q, 64, TO_DEVICE)',
    'c = dma_map_single(d, p, 64, FROM_DEVICE)', 'e = dma_map_single(d, p, 64, TO_DEVICE, offset=0)', 'f = dma_map_single(d, p, 64, TO_DEVICE)',
    'g = dma_map_single(d, q, 64, TO_DEVICE)'].join('\n');
  const maps = calls(text).filter((c) => c.callee === 'dma_map_single').map((c) => c.resolved);
  const [a, b, c, e, f, g] = maps;
  assert.equal(f, a);
  assert.equal(g, b);
  assert.equal(new Set([a, b, c, e]).size, 4);
});

test('calls that resolve alike share one resolution; each keeps where its own arguments are written', () => {
  const [a, b] = calls('p = kmalloc(4K)\nq = kmalloc(  4096)');
  assert.equal(a.resolved, b.resolved);
  assert.deepEqual(plain(argumentSpans(a)), { size: at(1, 13, 15) });
  assert.deepEqual(plain(argumentSpans(b)), { size: at(2, 15, 19) });
});

test('named arguments follow positional ones; flags are bare words', () => {
  const [, c] = calls(DEVICES + 'p = kmalloc(8K)\nh = dma_map_single(isp, p, 4K, TO_DEVICE, offset=0x100, SKIP_CPU_SYNC)');
  assert.deepEqual(plain(c.named), [{ key: 'offset', keySpan: at(4, 43, 49), value: { kind: 'number', value: 256, sized: false, span: at(4, 50, 55) } }]);
  assert.deepEqual(plain(c.resolved?.args), {
    dev: { kind: 'device', name: 'isp' }, p: { kind: 'handle', name: 'p' }, size: { kind: 'number', value: 4096 },
    dir: { kind: 'direction', dir: 'TO_DEVICE' }, offset: { kind: 'number', value: 256 }, skip_cpu_sync: { kind: 'flag', set: true },
  });
});

test('kernel direction spellings DMA_TO_DEVICE etc. are accepted', () => {
  const cs = calls(DEVICES + 'p = kmalloc(4K)\nh = dma_map_single(isp, p, 4K, DMA_FROM_DEVICE)\ndma_unmap_single(isp, h, 4K, DMA_BIDIRECTIONAL)\ns = dma_map_sg(isp, p, DMA_TO_DEVICE)');
  assert.deepEqual(cs.slice(1).map((c) => c.resolved?.args.dir), [
    { kind: 'direction', dir: 'FROM_DEVICE' }, { kind: 'direction', dir: 'BIDIRECTIONAL' }, { kind: 'direction', dir: 'TO_DEVICE' },
  ]);
  assert.equal(cs[3].resolved?.args.skip_cpu_sync?.kind === 'flag' && cs[3].resolved.args.skip_cpu_sync.set, false);
});

test('every call family resolves to its operation', () => {
  const text = DEVICES + [
    'p = kmalloc(4K)', 'v = vmalloc(1M)', 'x = phys(0x8000_0000, 64K)', 'c = dma_alloc_coherent(isp, 4K)',
    'h = dma_map_single(isp, p, 4K, TO_DEVICE)', 'dma_sync_single_for_cpu(isp, h, 4K, TO_DEVICE)', 'dma_sync_single_for_device(isp, h, 1K, TO_DEVICE, offset=1K)',
    'dma_unmap_single(isp, h, 4K, TO_DEVICE)', 's = dma_map_sg(gpu, v, BIDIRECTIONAL)', 'dma_sync_sg_for_cpu(gpu, s, BIDIRECTIONAL)',
    'dma_sync_sg_for_device(gpu, s, BIDIRECTIONAL)', 'dma_unmap_sg(gpu, s, BIDIRECTIONAL)',
    'b = dma_heap_alloc(cma, 1M)', 'e = dma_buf_export(gpu, 2M, contiguous, deferred)', 'dma_buf_get(b)', 'a = dma_buf_attach(b, gpu)',
    'm = dma_buf_map_attachment(a, TO_DEVICE)', 'gpu.read(m, 0, 64) expect 0', 'gpu.write(m, 0, 64, 0xFF)', 'dma_buf_unmap_attachment(a, m, TO_DEVICE)',
    'dma_buf_begin_cpu_access(b, FROM_DEVICE)', 'dma_buf_end_cpu_access(b, FROM_DEVICE)', 'k = dma_buf_vmap(b)', 'u = dma_buf_mmap(b)',
    'dma_buf_sync(b, START, RW)', 'cpu.write(u, 0, 1, 1)', 'cpu.read(k, 0, 1) expect 1', 'dma_buf_sync(b, END, READ)', 'dma_buf_vunmap(b, k)',
    'dma_buf_detach(b, a)', 'dma_buf_put(b)', 'dma_buf_put(b)', 'cache.prefetch(p, 0, 64)', 'cache.evict(c, 0, 64)', 'cache.evict_all()',
    'expect_owner(p, cpu)', 'expect_owner(b, none)', 'expect_owner(x, isp:FROM_DEVICE, 0, 64)', 'kfree(p)', 'expect_hazard(api-misuse)',
    'vfree(v)', 'dma_free_coherent(isp, c)',
  ].join('\n');
  const ops = calls(text).map((c) => c.resolved?.op);
  assert.deepEqual(ops, [
    'kmalloc', 'vmalloc', 'phys', 'dma_alloc_coherent', 'dma_map_single', 'dma_sync_single_for_cpu', 'dma_sync_single_for_device',
    'dma_unmap_single', 'dma_map_sg', 'dma_sync_sg_for_cpu', 'dma_sync_sg_for_device', 'dma_unmap_sg', 'dma_heap_alloc', 'dma_buf_export',
    'dma_buf_get', 'dma_buf_attach', 'dma_buf_map_attachment', 'device.read', 'device.write', 'dma_buf_unmap_attachment',
    'dma_buf_begin_cpu_access', 'dma_buf_end_cpu_access', 'dma_buf_vmap', 'dma_buf_mmap', 'dma_buf_sync', 'cpu.write', 'cpu.read',
    'dma_buf_sync', 'dma_buf_vunmap', 'dma_buf_detach', 'dma_buf_put', 'dma_buf_put', 'cache.prefetch', 'cache.evict', 'cache.evict_all',
    'expect_owner', 'expect_owner', 'expect_owner', 'kfree', 'expect_hazard', 'vfree', 'dma_free_coherent',
  ]);
});

test('DEV.read/write become device.read/write with the device as dev', () => {
  const [, r] = calls(DEVICES + 'c = dma_alloc_coherent(gpu, 4K)\ngpu.read(c, 16, 32) expect 0xA5');
  assert.deepEqual(plain(r.resolved), {
    op: 'device.read',
    args: { dev: { kind: 'device', name: 'gpu' }, m: { kind: 'handle', name: 'c' }, off: { kind: 'number', value: 16 }, len: { kind: 'number', value: 32 } },
  });
  assert.deepEqual(plain(argumentSpans(r)), { dev: at(4, 1, 9), m: at(4, 10, 11), off: at(4, 13, 15), len: at(4, 17, 19) });
  assert.deepEqual(plain(r.expect), { kind: 'value', value: 0xa5, span: at(4, 21, 32) });
});

test('expect error on a call that can fail', () => {
  const [, c] = calls(DEVICES + 'b = dma_buf_export(gpu, 1M)\ndma_buf_attach(b, isp) expect error');
  assert.deepEqual(plain(c.expect), { kind: 'error', span: at(4, 24, 36) });
});

test('owners and hazard kinds as arguments', () => {
  const [, o, h] = calls(DEVICES + 'p = kmalloc(4K)\nexpect_owner(p, gpu:DMA_TO_DEVICE)\nexpect_hazard(stale-read)');
  assert.deepEqual(plain(o.args[1]), { kind: 'owner', device: 'gpu', dir: 'TO_DEVICE', span: at(4, 17, 34) });
  assert.deepEqual(plain(o.resolved?.args.owner), { kind: 'owner', owner: { device: 'gpu', dir: 'TO_DEVICE' } });
  assert.deepEqual(plain(h.resolved?.args.kind), { kind: 'word', name: 'stale-read' });
});

test('proc definitions and calls: params, body, closing span; the call resolves to op proc', () => {
  const p = clean(DEVICES + '\nproc rx(dev, buf, dir) {\n  h = dma_map_single(dev, buf, 4K, dir)\n  dev.write(h, 0, 4K, 1)\n  dma_unmap_single(dev, h, 4K, dir)\n}\nb = kmalloc(4K)\nrx(isp, b, FROM_DEVICE)\n');
  const proc = p.procs.get('rx') as ProcDecl;
  assert.deepEqual(plain(proc.params), [{ name: 'dev', span: at(4, 9, 12) }, { name: 'buf', span: at(4, 14, 17) }, { name: 'dir', span: at(4, 19, 22) }]);
  assert.equal(proc.body.length, 3);
  assert.deepEqual(plain(proc.endSpan), at(8, 1, 2));
  assert.deepEqual(plain(proc.span), { start: { line: 4, column: 1 }, end: { line: 8, column: 2 } });
  const [map, write] = proc.body as CallStmt[];
  // Inside a proc, a parameter is a binding of its frame: the runtime substitutes what the call passed.
  assert.deepEqual(plain(map.resolved?.args), {
    dev: { kind: 'device', name: 'dev' }, p: { kind: 'handle', name: 'buf' }, size: { kind: 'number', value: 4096 },
    dir: { kind: 'handle', name: 'dir' }, skip_cpu_sync: { kind: 'flag', set: false },
  });
  assert.deepEqual(plain(write.resolved?.args.dev), { kind: 'device', name: 'dev' });
  const call = p.body[p.body.length - 1] as CallStmt;
  assert.deepEqual(plain(call.resolved), {
    op: 'proc',
    args: {
      proc: { kind: 'word', name: 'rx' },
      args: { kind: 'args', values: [{ kind: 'device', name: 'isp' }, { kind: 'handle', name: 'b' }, { kind: 'direction', dir: 'FROM_DEVICE' }] },
    },
  });
  assert.deepEqual(plain(argumentSpans(call)), { proc: at(10, 1, 3) });
});

test('procs may be called before their definition; a proc sees top-level bindings made before the call', () => {
  clean('b = kmalloc(4K)\nfill()\nproc fill() {\n  cpu.write(b, 0, 64, 7)\n}\n');
});

test('repeat N { ... } holds its body; nesting works; } closes the innermost block', () => {
  const p = clean('p = kmalloc(4K)\nrepeat 3 {\n  repeat 0x2 {\n    cpu.write(p, 0, 1, 1)\n  }\n  cpu.read(p, 0, 1)\n}\n');
  const r = p.body[1] as RepeatStmt;
  assert.equal(r.count, 3);
  assert.deepEqual(plain(r.countSpan), at(2, 8, 9));
  assert.deepEqual(r.body.map((s) => s.kind), ['repeat', 'call']);
  assert.equal((r.body[0] as RepeatStmt).count, 2);
  assert.deepEqual(plain(r.endSpan), at(7, 1, 2));
});

test('a name may be bound again, in a loop or not', () => {
  clean('p = kmalloc(4K)\nrepeat 4 {\n  kfree(p)\n  p = kmalloc(4K)\n}\np = vmalloc(8K)\nvfree(p)\n');
});

test('comments, blank lines and indentation are ignored', () => {
  const p = clean('\n\n   # header\n\tp = kmalloc(4K)   # trailing\n\n\n  kfree(p)\n# end');
  assert.deepEqual(p.body.map((s) => s.span.start.line), [4, 7]);
});

test('named arguments may name positional parameters too', () => {
  const [c] = calls('p = kmalloc(size=4K)');
  assert.deepEqual(plain(c.resolved?.args), { size: { kind: 'number', value: 4096 } });
});
