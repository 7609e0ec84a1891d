// The interpreter's rules: what counts as a step, procs and their scopes, repeat, expect_hazard, expect error,
// the step limit, and snapshots that replay identically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/language';
import { Runner } from '../../src/runtime/runner';
import { cutShortAdvice, describeStop, HAZARD_LIMIT, HAZARDS_HELD, hazardLimitAdvice } from '../../src/runtime/stop';
import { checkSource } from '../../src/runtime/checker';

function runner(text: string, opts = {}): Runner {
  const { program, diagnostics } = parseScenario(text, 't.dmabuf');
  assert.deepEqual(diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`), []);
  return new Runner(program, opts);
}

const kinds = (text: string) =>
  checkSource(text, 't.dmabuf').hazards.map((h) => `${h.loc.line}:${h.kind}${h.expected ? ' (expected)' : ''}`);

test('steps count executed statements: proc calls and checks, not declarations, proc definitions or repeat headers', () => {
  const r = checkSource(
    [
      'platform arm64',
      'device nic',
      'proc touch(p) {',
      '  cpu.write(p, 0, 64, 1)',
      '}',
      'b = kmalloc(4KiB)',
      'repeat 3 {',
      '  touch(b)',
      '}',
      'expect_owner(b, cpu)',
      'kfree(b)',
    ].join('\n'),
    't.dmabuf',
  );
  assert.equal(r.steps, 1 + 3 * 2 + 1 + 1);
  assert.equal(r.ok, true);
});

test('a repeat shows as a frame named with its iteration; a proc call as a frame named for the proc', () => {
  const r = runner(['proc f(p) {', '  cpu.read(p, 0, 4)', '}', 'b = kmalloc(64)', 'repeat 2 {', '  f(b)', '}', 'kfree(b)'].join('\n'));
  r.step(); // kmalloc
  assert.deepEqual(r.frames().map((f) => f.name), ['repeat 1/2', 'main']);
  r.step(); // f(b)
  assert.deepEqual(r.frames().map((f) => f.name), ['f', 'repeat 1/2', 'main']);
  assert.equal(r.next()?.span.start.line, 2);
  r.step(); // cpu.read in f
  assert.deepEqual(r.frames().map((f) => f.name), ['repeat 2/2', 'main']);
  assert.equal(r.frames()[0].loc.line, 6);
});

test("a proc's bindings are local to its frame; top-level bindings are visible inside it", () => {
  const r = runner(['proc f(p) {', '  q = kmalloc(64)', '  kfree(q)', '}', 'b = kmalloc(64)', 'f(b)', 'kfree(b)'].join('\n'));
  r.step();
  r.step();
  r.step(); // q = kmalloc inside f
  assert.ok(r.bindings(0).has('q'));
  assert.ok(r.bindings(0).has('b'));
  assert.ok(r.bindings(0).has('p'));
  r.step(); // kfree(q), returns
  assert.equal(r.bindings(0).has('q'), false);
  assert.equal(r.bindings(0).has('p'), false);
});

test('a name may be bound again: it then names the new handle', () => {
  const r = checkSource(['repeat 3 {', '  b = kmalloc(64)', '  kfree(b)', '}'].join('\n'), 't.dmabuf');
  assert.equal(r.ok, true, JSON.stringify(r.hazards));
});

test('expect_hazard consumes the hazards of the statement just before it, in the same block', () => {
  assert.deepEqual(kinds(['v = vmalloc(8KiB)', 'kfree(v)', 'expect_hazard(api-misuse)', 'vfree(v)', 'expect_hazard(api-misuse)'].join('\n')), [
    '2:api-misuse (expected)',
    '4:api-misuse (expected)',
  ]);
});

test('expect_hazard fails when the statement before raised no such hazard', () => {
  assert.deepEqual(kinds(['b = kmalloc(64)', 'expect_hazard(stale-read)', 'kfree(b)'].join('\n')), ['2:expect-failed']);
});

test('expect_hazard after a proc call covers everything raised inside the proc', () => {
  const text = ['proc bad(p) {', '  kfree(p)', '  kfree(p)', '}', 'b = kmalloc(64)', 'bad(b)', 'expect_hazard(api-misuse)'].join('\n');
  assert.deepEqual(kinds(text), ['3:api-misuse (expected)']);
});

test('expect_hazard after a repeat covers every iteration', () => {
  const text = ['b = kmalloc(64)', 'kfree(b)', 'repeat 2 {', '  kfree(b)', '}', 'expect_hazard(api-misuse)'].join('\n');
  assert.deepEqual(kinds(text), ['4:api-misuse (expected)', '4:api-misuse (expected)']);
});

test('expect error: a call that fails as the kernel would is expected, and its failure raises nothing', () => {
  const text = ['device nic', 'v = vmalloc(8KiB)', 'dma_map_single(nic, v, 4KiB, TO_DEVICE) expect error', 'vfree(v)'].join('\n');
  assert.deepEqual(kinds(text), []);
});

test('expect error on a dma_map_single from past its buffer\'s end: the map fails, and its out-of-bounds misuse is that failure', () => {
  const map = (offset: string, suffix: string): string => ['device cam', 'p = kmalloc(4KiB)', `dma_map_single(cam, p, 4KiB, FROM_DEVICE, offset=${offset})${suffix}`, 'kfree(p)'].join('\n');
  assert.deepEqual(kinds(map('4KiB', ' expect error')), []);
  assert.deepEqual(kinds(map('8KiB', ' expect error')), []);
  // Without it, the misuse is reported; a map that runs past the end but starts inside maps what is there.
  assert.deepEqual(kinds(map('4KiB', '')), ['3:api-misuse']);
  assert.deepEqual(kinds(map('2KiB', ' expect error')), ['3:api-misuse', '3:expect-failed', '4:api-misuse', '3:leak']);
});

test('freeing what a failed allocation returned does nothing, as kfree(NULL) and dma_free_coherent of NULL do; freeing twice is still a double free', () => {
  // The failed allocation is reported where it fails (a scenario cannot bind what `expect error` expects to fail).
  const text = ['device d dma_mask=24', 'x = dma_alloc_coherent(d, 4KiB)', 'dma_free_coherent(d, x)', 'k = kmalloc(64)', 'kfree(k)', 'kfree(k)'];
  assert.deepEqual(kinds(text.join('\n')), ['2:api-misuse', '6:api-misuse']);
});

// The kernel's release calls return void; the simulated one fails when it does nothing, given what names nothing
// live: a double unmap, free, detach or vunmap, or a sync after the unmap, each alike.
test('a release or sync of what was already released fails: expect error holds on each, and without it each is an api-misuse', () => {
  const calls = [
    'dma_unmap_single(d, h, 4K, TO_DEVICE)', 'dma_sync_single_for_cpu(d, h, 4K, TO_DEVICE)', 'dma_sync_single_for_device(d, h, 4K, TO_DEVICE)',
    'kfree(p)', 'dma_buf_detach(b, a)', 'dma_buf_vunmap(b, v)',
  ];
  const scenario = (suffix: string): string => ['device d', 'p = kmalloc(4K)', 'h = dma_map_single(d, p, 4K, TO_DEVICE)', 'dma_unmap_single(d, h, 4K, TO_DEVICE)',
    'kfree(p)', 'b = dma_heap_alloc(system, 64K)', 'a = dma_buf_attach(b, d)', 'dma_buf_detach(b, a)', 'v = dma_buf_vmap(b)', 'dma_buf_vunmap(b, v)',
    ...calls.map((c) => c + suffix), 'dma_buf_put(b)'].join('\n');
  assert.deepEqual(kinds(scenario(' expect error')), []);
  assert.deepEqual(kinds(scenario('')), calls.map((_, i) => `${11 + i}:api-misuse`));
});

test('expect error on a call that succeeds is an expect-failed hazard', () => {
  const text = ['b = kmalloc(64)', 'kfree(b) expect error'].join('\n');
  assert.deepEqual(kinds(text), ['2:expect-failed']);
});

test('a scenario that never ends stops at the step limit', () => {
  const r = checkSource(['b = kmalloc(64)', 'repeat 1000000000 {', '  cpu.write(b, 0, 1, 1)', '}'].join('\n'), 't.dmabuf', { stepLimit: 5000 });
  assert.equal(r.stopReason, 'step-limit');
  assert.equal(r.steps, 5000);
  assert.equal(r.ok, false);
});

test('repeats that run no statement, however deeply nested and long, end at once: they run no step for the limit to count', { timeout: 5000 }, () => {
  const nested = ['repeat 1000000 {', '  repeat 1000000 {', '    repeat 1000000 {', '    }', '  }', '}'];
  const t0 = Date.now();
  const r = checkSource([...nested, 'b = kmalloc(64)', ...nested, 'kfree(b)'].join('\n'), 't.dmabuf', { stepLimit: 100 });
  assert.deepEqual([r.stopReason, r.steps, r.ok], ['end', 2, true]);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
});

test('leaks are reported on the step that ends the run, at the creating statement', () => {
  const r = runner(['b = kmalloc(64)', 'cpu.write(b, 0, 64, 1)'].join('\n'));
  r.step();
  const last = r.step();
  assert.ok(r.done);
  assert.deepEqual(last.hazards.map((h) => `${h.loc.line}:${h.kind}`), ['1:leak']);
});

test('a restored snapshot replays to the same hazards and state', () => {
  const text = [
    'platform arm64',
    'cache size=4KiB ways=2',
    'device isp dma_mask=32',
    'b = kmalloc(64KiB)',
    'repeat 20 {',
    '  cpu.write(b, 0, 4KiB, 0x11)',
    '  h = dma_map_single(isp, b, 16KiB, BIDIRECTIONAL)',
    '  isp.write(h, 0, 2KiB, 0x22)',
    '  cpu.read(b, 0, 64)',
    '  dma_unmap_single(isp, h, 16KiB, BIDIRECTIONAL)',
    '}',
  ].join('\n');
  const r = runner(text);
  for (let i = 0; i < 37; i++) r.step();
  const snap = r.snapshot();
  const rest = () => {
    const lines: string[] = [];
    while (!r.done) {
      const s = r.step();
      lines.push(`${s.index}:${s.loc.line}:${s.events.length}:${s.hazards.map((h) => h.kind).join(',')}`);
    }
    return { lines, buffers: JSON.stringify(r.machine.buffers()), cache: JSON.stringify(r.machine.cacheLines(0, r.machine.cacheLineCount())) };
  };
  const first = rest();
  r.restore(snap);
  assert.equal(r.stepCount, 37);
  assert.deepEqual(rest(), first);
});

test('every call of the language has an operation on the machine', async () => {
  const { SIGNATURES } = await import('../../src/language/signatures');
  const { operation } = await import('../../src/runtime/operations');
  for (const op of SIGNATURES.keys()) if (op !== 'expect_hazard') assert.equal(typeof operation(op), 'function', op);
});

test('hazards that expect_hazard consumes do not count toward the hazard limit', () => {
  const text = ['b = kmalloc(64)', 'kfree(b)', 'repeat 10001 {', '  cpu.read(b, 0, 1)', '  expect_hazard(api-misuse)', '}'].join('\n');
  const r = checkSource(text, 't.dmabuf');
  assert.deepEqual([r.stopReason, r.ok, r.hazards.length, r.hazards.every((h) => h.expected)], ['end', true, 10001, true]);
});

test('a bug inside a long loop stops the run at the hazard limit, not at the step limit after millions of hazards', () => {
  const r = checkSource(['b = kmalloc(64)', 'kfree(b)', 'repeat 999999999999 {', '  cpu.read(b, 0, 1)', '}'].join('\n'), 't.dmabuf');
  assert.deepEqual([r.stopReason, r.hazards.length, r.ok], ['hazard-limit', HAZARD_LIMIT, false]);
  assert.equal(r.steps, HAZARD_LIMIT + 2);
});

test('the hazard limit waits for the expect_hazard right after the statement that reached it: a hazard it expects does not count', () => {
  const text = ['b = kmalloc(64)', 'kfree(b)', `repeat ${HAZARD_LIMIT - 1} {`, '  cpu.read(b, 0, 1)', '}', 'cpu.read(b, 0, 1)', 'expect_hazard(api-misuse)'].join('\n');
  const r = checkSource(text, 't.dmabuf');
  assert.deepEqual([r.stopReason, r.steps, r.hazards.length, r.hazards.filter((h) => !h.expected).length], ['end', HAZARD_LIMIT + 3, HAZARD_LIMIT, HAZARD_LIMIT - 1]);
});

test('the hazard limit waits for an expect_hazard after a proc call or a loop, which judges what it raised, but not for one that judges nothing', () => {
  // `reads` unexpected hazards first, then the rest.
  const run = (reads: number, ...rest: string[]) => {
    const lead = ['b = kmalloc(64)', 'kfree(b)', 'proc r(x) {', '  cpu.read(x, 0, 1)', '}', `repeat ${reads} {`, '  cpu.read(b, 0, 1)', '}'];
    const r = checkSource([...lead, ...rest].join('\n'), 't.dmabuf');
    return [r.stopReason, r.hazards.filter((h) => !h.expected).length];
  };
  assert.deepEqual(run(HAZARD_LIMIT - 1, 'r(b)', 'expect_hazard(api-misuse)'), ['end', HAZARD_LIMIT - 1]);
  assert.deepEqual(run(HAZARD_LIMIT - 1, 'repeat 1 {', '  cpu.read(b, 0, 1)', '}', 'expect_hazard(api-misuse)'), ['end', HAZARD_LIMIT - 1]);
  // A new pass of a loop starts with nothing to judge: its expect_hazard is not waited for (it would fail, one past).
  assert.deepEqual(run(HAZARD_LIMIT - 2, 'repeat 2 {', '  expect_hazard(api-misuse)', '  cpu.read(b, 0, 1)', '}'), ['hazard-limit', HAZARD_LIMIT]);
});

test('the hazard limit waits through each expect_hazard that judges one statement: three kinds, three expect_hazards', () => {
  const text = [
    'platform arm64', 'device nic', 'b = kmalloc(64)', 'kfree(b)', `repeat ${HAZARD_LIMIT - 2} {`, '  cpu.read(b, 0, 1)', '}',
    'rx = kmalloc(2KiB)', 'cpu.read(rx, 0, 64)', 'h = dma_map_single(nic, rx, 2KiB, FROM_DEVICE)', 'nic.write(h, 0, 1500, 0x5A)',
    'cpu.read(rx, 0, 64) expect 0x5A', // three kinds at once, which takes the count past the limit
    'expect_hazard(cpu-access-while-device-owned)', 'expect_hazard(stale-read)', 'expect_hazard(expect-failed)',
    'dma_unmap_single(nic, h, 2KiB, FROM_DEVICE)', 'kfree(rx)',
  ].join('\n');
  const r = checkSource(text, 't.dmabuf');
  assert.deepEqual([r.stopReason, r.hazards.filter((h) => !h.expected).length], ['end', HAZARD_LIMIT - 2]);
});

test('a loop that maps on each pass and unmaps nothing stops at the object limit, not out of memory before the step limit', () => {
  const text = ['device d', 'p = kmalloc(4K)', 'repeat 9007199254740991 {', '  h = dma_map_single(d, p, 4K, TO_DEVICE)', '}'].join('\n');
  const r = checkSource(text, 't.dmabuf', { objectLimit: 5000 });
  assert.equal(r.stopReason, 'object-limit');
  // Objects are counted as pruning finds them held, which it does as the tables double: within twice the limit.
  assert.ok(r.steps > 2500 && r.steps < 20_000, `${r.steps} statements`);
  assert.equal(describeStop(r.stopReason!, 3), 'stopped after 3 statements at the object limit (1,000,000 buffers, mappings and handles held at once)');
  assert.equal(cutShortAdvice(r, ': '), ': a loop maps or allocates on each pass and releases nothing');
  // Released objects are not held: the same loop unmapping each pass runs to its step limit.
  const released = checkSource(text.replace('TO_DEVICE)', 'TO_DEVICE)\n  dma_unmap_single(d, h, 4K, TO_DEVICE)'), 't.dmabuf', { objectLimit: 5000, stepLimit: 50_000 });
  assert.equal(released.stopReason, 'step-limit');
});

test('expect_hazard(leak) after what leaks expects the leaks of what that run of the statement made: a call, a proc call, a loop', () => {
  const check = (...lines: string[]) => {
    const r = checkSource(['device gpu', 'proc mk() {', '  x = kmalloc(64)', '}', ...lines].join('\n'), 't.dmabuf');
    return [r.ok, r.hazards.map((h) => `${h.kind}@${h.loc.line}${h.expected ? ' expected' : ''}`)];
  };
  assert.deepEqual(check('ring = kmalloc(8KiB)', 'expect_hazard(leak)'), [true, ['leak@5 expected']]);
  assert.deepEqual(check('repeat 2 {', '  b = kmalloc(64)', '  expect_hazard(leak)', '}'), [true, ['leak@6 expected', 'leak@6 expected']]);
  assert.deepEqual(check('mk()', 'expect_hazard(leak)'), [true, ['leak@3 expected']]);
  assert.deepEqual(check('repeat 2 {', '  mk()', '}', 'expect_hazard(leak)'), [true, ['leak@3 expected', 'leak@3 expected']]);
  // Only that run of the statement: the same proc called again, with no expect_hazard after it, leaks unexpectedly.
  assert.deepEqual(check('mk()', 'expect_hazard(leak)', 'mk()'), [false, ['leak@3 expected', 'leak@3']]);
  // Nested runs: the proc call and the statement inside it each expect the one leak.
  assert.deepEqual(checkSource(['proc mk() {', '  x = kmalloc(64)', '  expect_hazard(leak)', '}', 'mk()', 'expect_hazard(leak)'].join('\n'), 't.dmabuf').ok, true);
  // A loop whose passes each leak holds one expectation, judged once: a loop that leaks nothing fails once.
  assert.deepEqual(check('repeat 3 {', '  b = kmalloc(64)', '  expect_hazard(leak)', '  kfree(b)', '}'), [false, ['expect-failed@7']]);
  assert.deepEqual(check('buf = dma_buf_export(gpu, 4KiB)', 'expect_hazard(leak)'), [true, ['leak@5 expected']]);
  // Only what the statement before made: another leak stays unexpected; and one that leaks nothing fails.
  assert.deepEqual(check('a = kmalloc(64)', 'b = kmalloc(64)', 'expect_hazard(leak)'), [false, ['leak@5', 'leak@6 expected']]);
  assert.deepEqual(check('a = kmalloc(64)', 'expect_hazard(leak)', 'kfree(a)'), [false, ['expect-failed@6']]);
  const failed = checkSource('a = kmalloc(64)\nexpect_hazard(leak)\nkfree(a)', 't.dmabuf').hazards[0];
  assert.equal(failed.message, 'expect_hazard(leak): nothing the statement before made is still live at the end of the run (it raised no leak)');
});

test('an expect_hazard(leak) run before a snapshot is judged at the end of a run restored from it', () => {
  const program = parseScenario(['a = kmalloc(64)', 'expect_hazard(leak)', 'b = kmalloc(64)', 'kfree(b)'].join('\n'), 't.dmabuf').program;
  const r = new Runner(program);
  r.step();
  r.step();
  const snap = r.snapshot();
  const ends = () => {
    while (!r.done) r.step();
    return r.hazards().map((h) => `${h.kind}${h.expected ? ' expected' : ''}`);
  };
  assert.deepEqual(ends(), ['leak expected']);
  r.restore(snap);
  assert.deepEqual(ends(), ['leak expected']);
});

test('a new pass judges nothing: a loop of expect_hazard alone, each failing, stops at the hazard limit', () => {
  const r = checkSource(['repeat 999999999 {', '  expect_hazard(api-misuse)', '}'].join('\n'), 't.dmabuf');
  assert.deepEqual([r.stopReason, r.steps, r.hazards.length], ['hazard-limit', HAZARD_LIMIT, HAZARD_LIMIT]);
});

test('a long loop of expected hazards stops at the hazard limit once it holds HAZARDS_HELD in all, though none is unexpected', () => {
  // Each pass raises one hazard and expects it; a step limit just past the millionth pass stops the run there if the
  // hazards held do not.
  const text = ['b = kmalloc(64)', 'kfree(b)', 'repeat 999999999999 {', '  cpu.read(b, 0, 1)', '  expect_hazard(api-misuse)', '}'].join('\n');
  const r = checkSource(text, 't.dmabuf', { stepLimit: 2 * HAZARDS_HELD + 100 });
  const unexpected = r.hazards.filter((h) => !h.expected).length;
  // The last pass's read is judged by its expect_hazard before the run stops: none is unexpected.
  assert.deepEqual([r.stopReason, r.ok, r.hazards.length, unexpected], ['hazard-limit', false, HAZARDS_HELD, 0]);
  assert.equal(r.steps, 2 + 2 * HAZARDS_HELD);
  assert.equal(describeStop(r.stopReason!, r.steps), 'stopped after 2000002 statements at the hazard limit (10,000 unexpected hazards, or 1,000,000 in all)');
  // What check and the editor say to do about it: not "the first ones say what to fix", as they are expected.
  assert.equal(hazardLimitAdvice(r.hazards), '1,000,000 of them expected, which a loop of fewer passes checks as well');
});
