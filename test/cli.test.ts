// The headless command line of spec §9, run as a user runs it: exit codes, the JSON shape, errors as FILE:LINE:COL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'dmabuf-cli-'));

function scenario(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function dmabuf(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const clean = scenario('clean.dmabuf', 'device nic\nb = kmalloc(4KiB)\nh = dma_map_single(nic, b, 4KiB, TO_DEVICE)\ndma_unmap_single(nic, h, 4KiB, TO_DEVICE)\nkfree(b)\n');
const buggy = scenario(
  'buggy.dmabuf',
  'device nic\nb = kmalloc(4KiB)\nh = dma_map_single(nic, b, 4KiB, FROM_DEVICE)\nnic.write(h, 0, 64, 7)\ncpu.read(b, 0, 64)\nexpect_hazard(cpu-access-while-device-owned)\ndma_unmap_single(nic, h, 4KiB, FROM_DEVICE)\n',
);
const broken = scenario('broken.dmabuf', 'device nic\nb = kmalloc(0)\nfrobnicate(b)\ncpu.write(b, 0, 4, 0x100)\n');

test('check exits 0 when every file is ok', () => {
  const r = dmabuf('check', clean);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /ok: 0 hazards, 4 statements/);
});

test('check exits 1 on a hazard and prints it as FILE:LINE:COL with its kind', () => {
  const r = dmabuf('check', buggy);
  assert.equal(r.code, 1);
  assert.match(r.out, new RegExp(`buggy.dmabuf:2:1: warning: leak: `));
  assert.match(r.out, /cpu-access-while-device-owned: .*\(expected\)/);
});

test('check --json prints one object per file with file, ok, steps and hazards', () => {
  const r = dmabuf('check', '--json', clean, buggy);
  assert.equal(r.code, 1);
  const [a, b] = r.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(a, { file: clean, ok: true, steps: 4, hazards: [] });
  assert.equal(b.ok, false);
  assert.equal(b.steps, 6);
  const kinds = b.hazards.map((h: { kind: string; line: number; expected?: boolean }) => `${h.kind}@${h.line}${h.expected ? '!' : ''}`);
  assert.ok(kinds.includes('cpu-access-while-device-owned@5!'), kinds.join());
  assert.ok(kinds.includes('leak@2'), kinds.join());
  for (const h of b.hazards) {
    assert.equal(typeof h.message, 'string');
    assert.ok(Array.isArray(h.related));
  }
  // A file that cannot be read has its object too, in its place, with the error: exit 2.
  const missing = join(dir, 'missing.dmabuf');
  const m = dmabuf('check', '--json', missing, clean);
  assert.equal(m.code, 2);
  const [gone, ok] = m.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual([gone.file, gone.ok, gone.steps, gone.hazards, ok.file], [missing, false, 0, [], clean]);
  assert.match(gone.errors[0].message, /^cannot read: ENOENT/);
});

test('check exits 2 on parse errors and reports every one as FILE:LINE:COL: error: MESSAGE', () => {
  const r = dmabuf('check', broken);
  assert.equal(r.code, 2);
  const lines = r.err.trim().split('\n');
  assert.ok(lines.length >= 3, r.err);
  for (const l of lines) assert.match(l, /^.*broken\.dmabuf:\d+:\d+: error: .+/);
  assert.ok(lines.some((l) => l.includes(':2:')));
  assert.ok(lines.some((l) => l.includes(':3:')));
  assert.ok(lines.some((l) => l.includes(':4:')));
});

test('usage errors exit 2', () => {
  assert.equal(dmabuf().code, 2);
  assert.equal(dmabuf('check').code, 2);
  assert.equal(dmabuf('check', '--frob', clean).code, 2);
  assert.equal(dmabuf('check', join(dir, 'missing.dmabuf')).code, 2);
});

test('a scenario that never ends stops at --step-limit with a message', () => {
  const f = scenario('endless.dmabuf', 'b = kmalloc(64)\nrepeat 1000000000 {\n  cpu.write(b, 0, 1, 1)\n}\n');
  const r = dmabuf('check', '--step-limit', '1000', f);
  assert.equal(r.code, 1);
  assert.match(r.out, /endless.dmabuf: error: stopped after 1000 statements at the step limit \(raise it with --step-limit N\)\n/);
});

test('run words a stop at a limit as check does', () => {
  const f = scenario('endless-run.dmabuf', 'b = kmalloc(64)\nrepeat 1000000000 {\n  cpu.write(b, 0, 1, 1)\n}\n');
  const checked = dmabuf('check', '--step-limit', '3', f).out.match(/error: (.*) \(raise it/)![1];
  const r = dmabuf('run', '--step-limit', '3', f);
  assert.equal(r.code, 1);
  assert.ok(r.out.endsWith(`endless-run.dmabuf: ${checked}, 0 unexpected hazards\n`), r.out);
});

test('a bug inside an endless loop stops the run at the hazard limit, with a message and hazardLimitReached in JSON', () => {
  const f = scenario('endless-bug.dmabuf', 'b = kmalloc(64)\nkfree(b)\nrepeat 999999999999 {\n  cpu.read(b, 0, 1)\n}\n');
  const r = dmabuf('check', f);
  assert.equal(r.code, 1);
  assert.match(r.out, /endless-bug.dmabuf: error: stopped after 10002 statements at the hazard limit \(10,000 unexpected hazards, or 1,000,000 in all\): the first ones say what to fix\n/);
  const j = JSON.parse(dmabuf('check', '--json', f).out);
  assert.deepEqual([j.ok, j.hazards.length, j.hazardLimitReached, j.stepLimitReached], [false, 10000, true, undefined]);
});

test('run prints each statement followed by its events', () => {
  const r = dmabuf('run', clean);
  assert.equal(r.code, 0, r.err);
  const out = r.out.split('\n');
  const map = out.findIndex((l) => l.includes('dma_map_single(nic, b, 4KiB, TO_DEVICE)'));
  assert.ok(map >= 0, r.out);
  assert.match(out[map + 1], /^\s{7,}\S/);
  // Events name what the statements bound, not internal ids.
  assert.match(r.out, /alloc kmalloc b: 4096 bytes/);
  assert.match(r.out, /map single h for nic TO_DEVICE/);
  assert.match(r.out, /owner of b \[0x0, \+0x1000\): cpu -> nic:TO_DEVICE/);
  assert.match(r.out, /4 statements, 0 unexpected hazards/);
});

test('run piped into a reader that does not keep up waits for it, holding no more of its text meanwhile', { skip: !existsSync('/proc/self/status') }, async () => {
  const { spawn } = await import('node:child_process');
  const f = scenario('long-output.dmabuf', 'device nic\nb = kmalloc(4KiB)\nrepeat 1000000 {\n  h = dma_map_single(nic, b, 4KiB, TO_DEVICE)\n  dma_unmap_single(nic, h, 4KiB, TO_DEVICE)\n}\nkfree(b)\n');
  const child = spawn(process.execPath, [cli, 'run', f]);
  const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;
  child.stdout.pause();
  // Past start-up, the pipe is full and the run waits: it neither goes on nor gathers its text in memory.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const waiting = rss();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const grown = rss() - waiting;
  child.kill();
  await new Promise((resolve) => child.on('close', resolve));
  assert.ok(grown < 8 * 2 ** 20, `grew ${(grown / 2 ** 20).toFixed(1)} MiB while its reader read nothing`);
});

test('run piped into a reader that stops early (`| head`) ends quietly', async () => {
  const { spawn } = await import('node:child_process');
  const f = scenario('long.dmabuf', 'device nic\nb = kmalloc(4KiB)\nrepeat 20000 {\n  h = dma_map_single(nic, b, 4KiB, TO_DEVICE)\n  dma_unmap_single(nic, h, 4KiB, TO_DEVICE)\n}\nkfree(b)\n');
  const child = spawn(process.execPath, [cli, 'run', f]);
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  assert.equal(err, '');
});
