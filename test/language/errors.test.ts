// Every error of spec §2 is reported as FILE:LINE:COL: error: MESSAGE, all of them at once, before anything runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/language';
import { formatDiagnostic } from '../../src/language/diagnostics';
import { errorsOf } from './helpers';

const DEV = 'device isp\n';

test('formatDiagnostic gives exactly FILE:LINE:COL: error: MESSAGE', () => {
  const d = { file: 'x.dmabuf', line: 3, column: 7, endLine: 3, endColumn: 9, severity: 'error' as const, message: 'boom' };
  assert.equal(formatDiagnostic(d), 'x.dmabuf:3:7: error: boom');
});

test('lexical errors', () => {
  assert.deepEqual(errorsOf('p = kmalloc(4K) $'), ["t.dmabuf:1:17: error: unexpected character '$'"]);
  assert.deepEqual(errorsOf('p = kmalloc(4X)'), ["t.dmabuf:1:13: error: invalid number '4X' (sizes take K, KiB, M, MiB, G or GiB)"]);
  assert.deepEqual(errorsOf('p = kmalloc(0x20_0000_0000_0000)'), ["t.dmabuf:1:13: error: number too large: '0x20_0000_0000_0000' is above 2^53-1"]);
  // A character beyond the BMP is one error over both of its UTF-16 units (columns count UTF-16 units, as editors do).
  const { diagnostics } = parseScenario('p = kmalloc(64)\ncpu.read(\u{1F389}, 0, 1)', 't.dmabuf');
  assert.deepEqual(diagnostics.filter((d) => /unexpected character/.test(d.message)).map((d) => [d.message, d.line, d.column, d.endColumn]), [['unexpected character U+1F389', 2, 10, 12]]);
});

test('a name bound to a call that returns nothing is one error, where it is bound, not another at each use', () => {
  assert.deepEqual(errorsOf('b = dma_heap_alloc(system, 4KiB)\nc = dma_buf_get(b)\nv = dma_buf_vmap(c)'), ['t.dmabuf:2:1: error: dma_buf_get returns nothing to bind']);
});

test('syntax errors', () => {
  assert.deepEqual(errorsOf('p = kmalloc(4K'), ["t.dmabuf:1:15: error: expected ',' or ')', found end of line"]);
  assert.deepEqual(errorsOf('p = kmalloc 4K'), ["t.dmabuf:1:13: error: expected '(' after 'kmalloc', found number 4096"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K) kfree(p)'), ["t.dmabuf:1:17: error: unexpected 'kfree' at the end of the statement"]);
  assert.deepEqual(errorsOf('(x)'), ["t.dmabuf:1:1: error: expected a statement, found '('"]);
  assert.deepEqual(errorsOf('p = kmalloc(size=4K, 5)'), ['t.dmabuf:1:22: error: positional argument after named ones']);
  assert.deepEqual(errorsOf('p = kmalloc(,)'), ["t.dmabuf:1:13: error: expected an argument, found ','"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K) expect'), ["t.dmabuf:1:23: error: expected a byte value or 'error' after 'expect', found end of line"]);
  assert.deepEqual(errorsOf(DEV + 'p = kmalloc(4K)\nexpect_owner(p, isp:SIDEWAYS)'), ["t.dmabuf:3:21: error: expected a direction after 'isp' and ':', found 'SIDEWAYS'"]);
  assert.deepEqual(errorsOf('cpu.(p)'), ["t.dmabuf:1:5: error: expected a method name after 'cpu' and '.', found '('"]);
});

test('braces: { ends its line, } stands alone, every block closes', () => {
  assert.deepEqual(errorsOf('repeat 2 { kfree(p)\n}'), ["t.dmabuf:1:12: error: unexpected 'kfree' at the end of the statement"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\nrepeat 2 {\n  cpu.read(p, 0, 1) }'), [
    "t.dmabuf:2:1: error: 'repeat' block opened here is never closed with '}'",
    "t.dmabuf:3:21: error: unexpected '}' at the end of the statement",
  ]);
  assert.deepEqual(errorsOf('}\n'), ["t.dmabuf:1:1: error: unmatched '}'"]);
  assert.deepEqual(errorsOf('repeat 2 {\n} x'), ["t.dmabuf:2:3: error: unexpected 'x' at the end of the statement", "t.dmabuf:1:1: error: 'repeat' block opened here is never closed with '}'"].sort());
  assert.deepEqual(errorsOf('proc f() {\n  proc g() {\n  }\n}'), ["t.dmabuf:2:3: error: 'proc' belongs at the top level, not inside a block"]);
  assert.deepEqual(errorsOf('repeat 2 {\n  cache size=4K\n}'), ["t.dmabuf:2:3: error: 'cache' belongs at the top level, not inside a block"]);
});

test('a block whose header has an error is dropped up to its matching }, its syntax still checked', () => {
  assert.deepEqual(errorsOf('repeat x {\n  cpu.read(q, 0, 1)\n  cpu.read(\n}\np = kmalloc(4K)\nkfree(p)'), [
    "t.dmabuf:1:8: error: expected a repeat count, found 'x'",
    "t.dmabuf:3:12: error: expected an argument, found end of line",
  ]);
});

test('declaration errors: options, values, duplicates, order', () => {
  assert.deepEqual(errorsOf('platform sparc'), ['t.dmabuf:1:10: error: the architecture must be arm64, arm, x86_64']);
  assert.deepEqual(errorsOf('platform'), ['t.dmabuf:1:1: error: platform needs an architecture: arm64, arm or x86_64']);
  assert.deepEqual(errorsOf('platform arm64 coherent noncoherent'), ["t.dmabuf:1:1: error: a platform is either 'coherent' or 'noncoherent'"]);
  assert.deepEqual(errorsOf('platform arm64 swiotlb=maybe'), ['t.dmabuf:1:24: error: swiotlb must be force']);
  assert.deepEqual(errorsOf('cache size=48K'), ['t.dmabuf:1:12: error: the cache size must be a power of two, not 49152']);
  assert.deepEqual(errorsOf('cache line=48'), ['t.dmabuf:1:12: error: the line size must be a power of two from 8 to 4096, not 48']);
  assert.deepEqual(errorsOf('cache ways=3'), ['t.dmabuf:1:1: error: the cache size 32768 is not a multiple of ways × line (3 × 64)']);
  // A rejected size is not then checked as its default, 32768 (which the user never wrote).
  assert.deepEqual(errorsOf('cache size=33KiB ways=3'), ['t.dmabuf:1:12: error: the cache size must be a power of two, not 33792']);
  assert.deepEqual(errorsOf('cache ways=0'), ['t.dmabuf:1:12: error: ways must be greater than zero, not 0']);
  assert.deepEqual(errorsOf('cache sets=4'), ["t.dmabuf:1:7: error: unknown option 'sets' for cache (expected size=, ways=, line=, prefetch=)"]);
  assert.deepEqual(errorsOf('cache ways=2 ways=4'), ["t.dmabuf:1:14: error: option 'ways' given twice"]);
  assert.deepEqual(errorsOf('cache prefetch=always'), ['t.dmabuf:1:16: error: prefetch must be none, next-line, speculative']);
  assert.deepEqual(errorsOf('memory 1000'), ['t.dmabuf:1:8: error: the memory size must be a multiple of 4KiB, not 1000']);
  assert.deepEqual(errorsOf('memory'), ['t.dmabuf:1:1: error: memory needs a size, such as 8GiB']);
  assert.deepEqual(errorsOf('device isp dma_mask=65'), ['t.dmabuf:1:21: error: dma_mask must be a number of bits from 1 to 64, not 65']);
  assert.deepEqual(errorsOf('device isp segment_boundary=0x1000'), ['t.dmabuf:1:29: error: segment_boundary must be a mask of the form 2^n-1, such as 0xFFFF, not 4096']);
  assert.deepEqual(errorsOf('device isp max_segment_size=0'), ['t.dmabuf:1:29: error: max_segment_size must be greater than zero, not 0']);
  assert.deepEqual(errorsOf('device isp snoop'), ["t.dmabuf:1:12: error: unexpected 'snoop' in device (expected coherent, iommu, contiguous or options)"]);
  assert.deepEqual(errorsOf('device 5'), ['t.dmabuf:1:8: error: device needs a name']);
  assert.deepEqual(errorsOf('platform arm\nplatform arm64'), ["t.dmabuf:2:1: error: 'platform' declared twice (first at line 1)"]);
  assert.deepEqual(errorsOf('device isp\ndevice isp iommu'), ["t.dmabuf:2:8: error: device 'isp' declared twice (first at line 1)"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\nmemory 1G'), ["t.dmabuf:2:1: error: 'memory' must come before the first statement that runs (line 1)"]);
  assert.deepEqual(errorsOf('device kmalloc'), ["t.dmabuf:1:8: error: 'kmalloc' is reserved and cannot name a device"]);
});

test('unknown names, use before definition, devices declared before first use', () => {
  assert.deepEqual(errorsOf('kfree(p)'), ["t.dmabuf:1:7: error: unknown name 'p'"]);
  assert.deepEqual(errorsOf('kfree(p)\np = kmalloc(4K)'), ["t.dmabuf:1:7: error: 'p' is used before it is bound (at line 2)"]);
  assert.deepEqual(errorsOf('c = dma_alloc_coherent(isp, 4K)\ndevice isp'), ["t.dmabuf:1:24: error: device 'isp' is used before its declaration at line 2"]);
  assert.deepEqual(errorsOf('c = dma_alloc_coherent(gpu, 4K)'), ["t.dmabuf:1:24: error: unknown device 'gpu'"]);
  assert.deepEqual(errorsOf('gpu.write(c, 0, 1, 1)'), ["t.dmabuf:1:1: error: unknown device 'gpu'", "t.dmabuf:1:11: error: unknown name 'c'"]);
  assert.deepEqual(errorsOf(DEV + 'isp.poke(c)'), ["t.dmabuf:2:1: error: a device has read, write, not 'poke'"]);
  assert.deepEqual(errorsOf('cpu.flush()'), ["t.dmabuf:1:1: error: unknown call 'cpu.flush' (cpu has read, write)"]);
  assert.deepEqual(errorsOf('dma_map(x)'), ["t.dmabuf:1:1: error: unknown call 'dma_map'"]);
  assert.deepEqual(errorsOf(DEV + 'kfree(isp)'), ["t.dmabuf:2:7: error: 'isp' is a device, not a handle"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\nx = dma_alloc_coherent(p, 4K)'), ["t.dmabuf:2:24: error: 'p' is a handle, not a device"]);
  assert.deepEqual(errorsOf('kfree(stale-read)'), ["t.dmabuf:1:7: error: 'stale-read': a hazard kind is only valid as expect_hazard's argument"]);
});

test('arity and argument kinds', () => {
  assert.deepEqual(errorsOf('p = kmalloc()'), ["t.dmabuf:1:5: error: missing argument 'size': the call is kmalloc(size)"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K, 8K)'), ['t.dmabuf:1:17: error: too many arguments: the call is kmalloc(size)']);
  assert.deepEqual(errorsOf(DEV + 'p = kmalloc(4K)\nh = dma_map_single(isp, p, 4K)'), [
    "t.dmabuf:3:5: error: missing argument 'dir': the call is dma_map_single(dev, p, size, dir, [offset=], [SKIP_CPU_SYNC])",
  ]);
  assert.deepEqual(errorsOf('p = kmalloc(sz=4K)'), [
    "t.dmabuf:1:5: error: missing argument 'size': the call is kmalloc(size)",
    "t.dmabuf:1:13: error: kmalloc has no argument named 'sz': the call is kmalloc(size)",
  ]);
  assert.deepEqual(errorsOf('p = kmalloc(4K, size=4K)'), ["t.dmabuf:1:17: error: argument 'size' given twice"]);
  assert.deepEqual(errorsOf(DEV + 'p = kmalloc(4K)\nh = dma_map_single(isp, p, 4K, TO_DEVICE, SKIP_CPU_SYNC, SKIP_CPU_SYNC)'), ["t.dmabuf:3:58: error: 'SKIP_CPU_SYNC' given twice"]);
  assert.deepEqual(errorsOf(DEV + 'p = kmalloc(4K)\nh = dma_map_single(isp, p, 4K, up)'), [
    "t.dmabuf:3:32: error: argument 'dir' of dma_map_single: expected a direction (TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL), not 'up'",
  ]);
  assert.deepEqual(errorsOf('p = kmalloc(TO_DEVICE)'), ["t.dmabuf:1:13: error: argument 'size' of kmalloc: expected a size, not TO_DEVICE"]);
  assert.deepEqual(errorsOf('b = dma_heap_alloc(dram, 4K)'), ["t.dmabuf:1:20: error: argument 'heap' of dma_heap_alloc: expected system or cma, not 'dram'"]);
  assert.deepEqual(errorsOf('b = dma_heap_alloc(system, 4K)\ndma_buf_sync(b, BEGIN, RW)'), ["t.dmabuf:2:17: error: argument 'phase' of dma_buf_sync: expected START or END, not 'BEGIN'"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\nexpect_owner(p, gpu)'), ["t.dmabuf:2:17: error: expected an owner (cpu, none or DEV:DIR), not 'gpu'"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\nexpect_owner(p, gpu:TO_DEVICE)'), ["t.dmabuf:2:17: error: unknown device 'gpu'"]);
  assert.match(errorsOf('kmalloc(4K)\nexpect_hazard(stale-reed)')[0], /^t\.dmabuf:2:15: error: argument 'kind' of expect_hazard: expected a hazard kind \(stale-read, lost-write, /);
});

test('handle types where known statically: a binding has the type its call returns', () => {
  assert.deepEqual(errorsOf('b = dma_heap_alloc(system, 4K)\nkfree(b)'), ["t.dmabuf:2:7: error: argument 'p' of kfree: 'b' is a dma-buf, but kfree takes a CPU pointer"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\ndma_buf_put(p)'), ["t.dmabuf:2:13: error: argument 'buf' of dma_buf_put: 'p' is a CPU pointer, but dma_buf_put takes a dma-buf"]);
  // A loop body may rebind a name to another type: from the second iteration on it may hold either.
  assert.deepEqual(errorsOf('p = kmalloc(4K)\nrepeat 2 {\n  kfree(p)\n  p = dma_heap_alloc(system, 4K)\n}'), []);
});

test('values out of range: byte above 0xFF, zero or negative size, negative number, repeat 0', () => {
  assert.deepEqual(errorsOf('p = kmalloc(0)'), ["t.dmabuf:1:13: error: argument 'size' of kmalloc: a size must not be zero"]);
  assert.deepEqual(errorsOf('p = kmalloc(-4K)'), ["t.dmabuf:1:13: error: argument 'size' of kmalloc: a size must be positive, not -4096"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\ncpu.write(p, 0, 64, 0x100)'), ["t.dmabuf:2:21: error: argument 'value' of cpu.write: byte value 0x100 is above 0xFF"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\ncpu.write(p, -1, 64, 1)'), ["t.dmabuf:2:14: error: argument 'off' of cpu.write: must not be negative, not -1"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\ncpu.read(p, 0, 1) expect 256'), ['t.dmabuf:2:19: error: expect: byte value 0x100 is above 0xFF']);
  assert.deepEqual(errorsOf('repeat 0 {\n}'), ['t.dmabuf:1:8: error: a repeat runs at least once: the count must be 1 or more, not 0']);
});

test('expect forms: expect V only on reads, expect error only on API calls, binding nothing', () => {
  assert.deepEqual(errorsOf('p = kmalloc(4K) expect 0'), ["t.dmabuf:1:17: error: 'expect V' is only for reads (cpu.read, DEV.read), not kmalloc"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\nexpect_owner(p, cpu) expect error'), ["t.dmabuf:2:22: error: 'expect error' is for API calls that can fail, not expect_owner"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K) expect error'), ["t.dmabuf:1:1: error: a call expected to fail binds nothing: drop 'p' and the '='"]);
  assert.deepEqual(errorsOf('proc f() {\n}\nf() expect 1'), ["t.dmabuf:3:5: error: 'expect V' is only for reads (cpu.read, DEV.read), not proc 'f'"]);
});

test('bindings: reserved words, device and proc names, calls that return nothing', () => {
  assert.deepEqual(errorsOf('cpu = kmalloc(4K)'), ["t.dmabuf:1:1: error: 'cpu' is reserved and cannot name a binding"]);
  assert.deepEqual(errorsOf('READ = kmalloc(4K)'), ["t.dmabuf:1:1: error: 'READ' is reserved and cannot name a binding"]);
  assert.deepEqual(errorsOf(DEV + 'isp = kmalloc(4K)'), ["t.dmabuf:2:1: error: 'isp' is a device and cannot name a binding"]);
  assert.deepEqual(errorsOf('p = kmalloc(4K)\nx = kfree(p)'), ['t.dmabuf:2:1: error: kfree returns nothing to bind']);
  assert.deepEqual(errorsOf('line = kmalloc(4K)\nkfree(line)'), [], 'option keys are not reserved');
});

test('procs: names, parameters, arity, recursion, top-level names bound before each call', () => {
  assert.deepEqual(errorsOf('proc repeat() {\n}'), ["t.dmabuf:1:6: error: 'repeat' is reserved and cannot name a proc"]);
  assert.deepEqual(errorsOf('proc kfree() {\n}'), ["t.dmabuf:1:6: error: 'kfree' is reserved and cannot name a proc"]);
  assert.deepEqual(errorsOf('proc f() {\n}\nproc f() {\n}'), ["t.dmabuf:3:6: error: proc 'f' defined twice (first at line 1)"]);
  assert.deepEqual(errorsOf('proc f(a, a) {\n}'), ["t.dmabuf:1:11: error: parameter 'a' given twice"]);
  assert.deepEqual(errorsOf(DEV + 'proc f(isp) {\n}'), ["t.dmabuf:2:8: error: parameter 'isp' would hide device 'isp'"]);
  assert.deepEqual(errorsOf('proc f(a) {\n}\nf()'), ["t.dmabuf:3:1: error: missing argument 'a': the call is f(a)"]);
  assert.deepEqual(errorsOf('proc f(a) {\n}\nf(1, 2)'), ['t.dmabuf:3:6: error: too many arguments: the call is f(a)']);
  assert.deepEqual(errorsOf('proc f() {\n  g()\n}\nproc g() {\n  f()\n}'), ['t.dmabuf:5:3: error: recursive call f → g → f: with no conditions in the language it would never end']);
  // A long cycle is named by its ends: fifty thousand procs made one 500 KB line.
  const ring = Array.from({ length: 50_000 }, (_, i) => `proc p${i}() {\n  p${(i + 1) % 50_000}()\n}`).join('\n');
  assert.deepEqual(errorsOf(ring), ['t.dmabuf:149999:3: error: recursive call p0 → p1 → p2 → p3 → … 49,993 more … → p49997 → p49998 → p49999 → p0: with no conditions in the language it would never end']);
  assert.deepEqual(errorsOf('proc f() {\n  kfree(b)\n}\nf()\nb = kmalloc(4K)\nf()'), ["t.dmabuf:4:1: error: proc 'f' uses 'b', which is not bound yet here (it is bound at line 5)"]);
  assert.deepEqual(errorsOf('proc f() {\n  kfree(nowhere)\n}'), ["t.dmabuf:2:9: error: unknown name 'nowhere'"]);
  assert.deepEqual(errorsOf('proc f(a) {\n  a = kmalloc(4K)\n}'), ["t.dmabuf:2:3: error: 'a' is a parameter of 'f' and cannot be bound again"]);
  assert.deepEqual(errorsOf('proc f() {\n  x = kmalloc(4K)\n}\nf()\nkfree(x)'), ["t.dmabuf:5:7: error: unknown name 'x'"], "a proc's bindings are local to its frame");
  assert.deepEqual(errorsOf('proc f() {\n}\nx = f()'), ["t.dmabuf:3:1: error: proc 'f' returns nothing to bind"]);
  assert.deepEqual(errorsOf('proc f(d) {\n  expect_owner(x, d:TO_DEVICE)\n}'), [
    "t.dmabuf:2:16: error: unknown name 'x'",
    "t.dmabuf:2:19: error: an owner names a declared device; the parameter 'd' cannot stand for one",
  ]);
});

test('every error of the file is reported at once, in source order', () => {
  const text = ['platform arm64 coherent', 'cache size=3000', 'p = kmalloc(0)', 'q = kmalloc(4K) $', 'kfree(p, p)', 'kfree(zz)', '}', 'repeat 2 {', '  kmalloc(4K'].join('\n');
  assert.deepEqual(errorsOf(text), [
    't.dmabuf:2:12: error: the cache size must be a power of two, not 3000',
    "t.dmabuf:3:13: error: argument 'size' of kmalloc: a size must not be zero",
    "t.dmabuf:4:17: error: unexpected character '$'",
    't.dmabuf:5:10: error: too many arguments: the call is kfree(p)',
    "t.dmabuf:6:7: error: unknown name 'zz'",
    "t.dmabuf:7:1: error: unmatched '}'",
    "t.dmabuf:8:1: error: 'repeat' block opened here is never closed with '}'",
    "t.dmabuf:9:13: error: expected ',' or ')', found end of line",
  ]);
});

test('calls written alike each report their own errors, and a binding that changes type is checked again', () => {
  // The resolver resolves repeated calls once (resolutionMemo.ts): that must not hide a later error.
  assert.deepEqual(errorsOf('device d\np = kmalloc(4K)\ncpu.read(q, 0, 4)\ncpu.read(q, 0, 4)\n'), [
    "t.dmabuf:3:10: error: unknown name 'q'",
    "t.dmabuf:4:10: error: unknown name 'q'",
  ]);
  const rebound = 'device d\np = kmalloc(4K)\nh = dma_map_single(d, p, 4K, TO_DEVICE)\ndma_unmap_single(d, h, 4K, TO_DEVICE)\nh = dma_map_sg(d, p, TO_DEVICE)\ndma_unmap_single(d, h, 4K, TO_DEVICE)\n';
  assert.deepEqual(errorsOf(rebound), ["t.dmabuf:6:21: error: argument 'h' of dma_unmap_single: 'h' is an sg mapping, but dma_unmap_single takes a DMA handle"]);
  assert.deepEqual(errorsOf('device d\nc = dma_alloc_coherent(d, 4K)\nd.read(c, 0, 4)\nc = kmalloc(4K)\nd.read(c, 0, 4)\n'), [
    "t.dmabuf:5:8: error: argument 'm' of d.read: 'c' is a CPU pointer, but d.read takes a DMA handle or an sg mapping or a coherent buffer",
  ]);
});

test('source text quoted in an error is cut when long: a 20 MB number or name makes a short message', () => {
  const digits = '1'.repeat(20_000_000);
  const name = 'n'.repeat(5000);
  const { diagnostics } = parseScenario(`p = kmalloc(${digits})\ncpu.write(${name}, 0, 1, 1)\n`, 'x.dmabuf');
  assert.deepEqual(diagnostics.map((d) => d.message), [
    `number too large: '${'1'.repeat(40)}…' (20000000 characters) is above 2^53-1`,
    `unknown name '${'n'.repeat(40)}…' (5000 characters)`,
  ]);
  assert.ok(diagnostics.every((d) => d.message.length < 200));
  // Everywhere a message repeats a name: a proc's usage, a method, an owner.
  const long = 'L'.repeat(100_000);
  const more = parseScenario(`device d\nproc p(${long}) {\n}\np()\nd.${long}()\nq = kmalloc(64)\nexpect_owner(q, ${long}:bogus)\n${long}()\n`, 'y.dmabuf').diagnostics;
  assert.equal(more.length, 4, more.map((d) => d.message.slice(0, 100)).join('\n'));
  assert.ok(more.every((d) => d.message.length < 300), more.map((d) => d.message.length).join(', '));
});

test('a long name in a name, proc, parameter or argument error is cut with its length, as every quoted name is', () => {
  const L = 'x'.repeat(10_000);
  const shown = `'${'x'.repeat(40)}…' (10000 characters)`;
  const messages = (text: string): string[] => parseScenario(text, 't.dmabuf').diagnostics.map((d) => d.message);
  const cases: [string, string][] = [
    [`${L}()`, `unknown call ${shown}`],
    [`cpu.${L}()`, `unknown call '${'cpu.'.padEnd(40, 'x')}…' (10004 characters) (cpu has read, write)`],
    [`${DEV}isp.${L}()`, `a device has read, write, not ${shown}`],
    [`${L} = kmalloc(4K)\n${L}()`, `${shown} is a handle, not a call`],
    [`proc ${L}() {\n}\nproc ${L}() {\n}`, `proc ${shown} defined twice (first at line 1)`],
    [`device ${L}\nproc ${L}() {\n}`, `${shown} is a device and cannot name a proc`],
    [`proc f(${L}, ${L}) {\n}`, `parameter ${shown} given twice`],
    [`device ${L}\nproc f(${L}) {\n}`, `parameter ${shown} would hide device ${shown}`],
    [`proc f(a) {\n}\nf(1, ${L}=2)`, `proc 'f' has no parameter ${shown}: the call is f(a)`],
    [`proc f(${L}) {\n}\nf(1, ${L}=2)`, `argument ${shown} given twice`],
    [`proc f(${L}) {\n}\nf()`, `missing argument ${shown}: the call is f(${'x'.repeat(40)}…)`],
    [`proc f() {\n  kfree(${L})\n}\nf()\n${L} = kmalloc(4K)\nf()`, `proc 'f' uses ${shown}, which is not bound yet here (it is bound at line 5)`],
    [`proc ${L}() {\n}\n${L}() expect 1`, `'expect V' is only for reads (cpu.read, DEV.read), not proc ${shown}`],
    [`proc ${L}() {\n}\nx = ${L}()`, `proc ${shown} returns nothing to bind`],
    [`proc ${L}() {\n}\n${L} = kmalloc(4K)`, `${shown} is a proc and cannot name a binding`],
    [`device ${L}\n${L} = kmalloc(4K)`, `${shown} is a device and cannot name a binding`],
    [`proc f(${L}) {\n  ${L} = kmalloc(4K)\n}`, `${shown} is a parameter of 'f' and cannot be bound again`],
    [`proc ${L}(a) {\n  a = kmalloc(4K)\n}`, `'a' is a parameter of ${shown} and cannot be bound again`],
    // The punctuation after a name is not part of it: the length is the name's.
    [`${L} = kmalloc(4K) expect error`, `a call expected to fail binds nothing: drop ${shown} and the '='`],
    [`${DEV}p = kmalloc(4K)\nexpect_owner(p, ${L}:SIDEWAYS)`, `expected a direction after ${shown} and ':', found 'SIDEWAYS'`],
    [`${L}.(1)`, `expected a method name after ${shown} and '.', found '('`],
  ];
  for (const [text, message] of cases) assert.deepEqual(messages(text), [message], text.replaceAll(L, 'L'));
});
