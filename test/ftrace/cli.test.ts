// `check-trace FILE [--json] [--from-boot]` and `import FILE -o OUT.dmabuf` as a user runs them: output, JSON shape
// and exit codes (0 ok or window information only, 1 findings, 2 usage errors).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { test } from 'node:test';
import { checkTrace } from '../../src/ftrace/check';
import { TraceCursor } from '../../src/ftrace/reader';
import { captureLines, captures, findLine, repeatedCapture, REPO, tempTrace, TRACES } from './helpers';

function cli(module: 'checkTrace' | 'importTrace', args: string[], input?: string): { code: number; out: string; err: string } {
  const entry = path.join(REPO, 'out', 'src', 'cli', `${module}.js`);
  const code = `require(${JSON.stringify(entry)}).main(process.argv.slice(1)).then((c) => process.exit(c))`;
  const r = spawnSync(process.execPath, ['-e', code, '--', ...args], { encoding: 'latin1', input });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A report without the name it was read under. */
const unnamed = (json: string): unknown => ({ ...JSON.parse(json), file: undefined });

test('check-trace on a real capture prints per-device figures and exits 0 when only window information is found', () => {
  const r = cli('checkTrace', [path.join(TRACES, 'nvme-noiommu.trace.txt')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /0000:00:02\.0: 1431 maps, 617 unmaps, 0 syncs, .* peak \d+ live, \d+ live at end, longest-lived/);
  assert.match(r.out, /window \(information/);
  assert.match(r.out, /: ok\n$/);
});

test('check-trace --json prints one object with the documented keys, findings with line and timestamp', () => {
  const lines = captureLines('nvme-noiommu.trace.txt');
  const u = findLine(lines, (l) => l.includes('dma_unmap_phys'), 300);
  lines.splice(u, 0, lines[u - 1]);
  const file = tempTrace(lines);
  const r = cli('checkTrace', [file, '--json']);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  assert.equal(r.code, 1);
  const o = JSON.parse(r.out);
  for (const k of ['file', 'ok', 'lines', 'malformed', 'events', 'devices', 'findings']) assert.ok(k in o, k);
  assert.equal(o.ok, false);
  assert.equal(o.lines, lines.length);
  assert.equal(o.events.dma_unmap_phys, 618);
  const bug = o.findings.find((f: { kind: string }) => f.kind !== 'window');
  assert.deepEqual([bug.kind, bug.detail, bug.line, bug.device], ['api-misuse', 'double-unmap', u + 1, '0000:00:02.0']);
  assert.equal(typeof bug.timestamp, 'number');
  for (const f of o.findings) for (const k of ['kind', 'detail', 'line', 'timestamp', 'device', 'message']) assert.ok(k in f, k);
});

test('check-trace --from-boot turns what the window leaves open into findings', () => {
  const r = cli('checkTrace', [path.join(TRACES, 'vnet-noiommu.trace.txt'), '--from-boot', '--json']);
  assert.equal(r.code, 1);
  assert.ok(JSON.parse(r.out).findings.some((f: { kind: string }) => f.kind === 'leak'));
});

test('check-trace reads past a line longer than 16 MiB, from a file or a pipe: one malformed line, the events around it', () => {
  const text = ['# tracer: nop', '   a-1 [000] ..... 1.0: dma_map_phys: d dir=TO_DEVICE dma_addr=1000 size=64 phys_addr=1000 attrs=',
    'x'.repeat(17 * 2 ** 20), '   a-1 [000] ..... 2.0: dma_unmap_phys: d dir=TO_DEVICE dma_addr=1000 size=64 attrs=', ''].join('\n');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftrace-long-'));
  try {
    const file = path.join(dir, 'long.trace');
    fs.writeFileSync(file, text, 'latin1');
    for (const r of [cli('checkTrace', [file, '--json']), cli('checkTrace', ['-', '--json'], text)]) {
      assert.equal(r.code, 0, r.err);
      const j = JSON.parse(r.out);
      assert.deepEqual([j.lines, j.malformedLines, j.events, j.devices[0].liveAtEnd], [4, [{ line: 3, reason: '16 MiB or longer: not read' }], { dma_map_phys: 1, dma_unmap_phys: 1 }, 0]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('check-trace - reads standard input, and a named pipe is read as it comes, as the file would be', () => {
  const file = path.join(TRACES, 'nvme-intel-iommu.trace.txt');
  const want = unnamed(cli('checkTrace', [file, '--json']).out);
  const piped = cli('checkTrace', ['-', '--json'], fs.readFileSync(file, 'latin1'));
  assert.equal(piped.code, 0, piped.err);
  assert.equal(JSON.parse(piped.out).file, '-');
  assert.deepEqual(unnamed(piped.out), want);
  // A writer on the other end of a fifo, in its own process: the reader blocks on it until it is done.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftrace-fifo-'));
  try {
    const fifo = path.join(dir, 'pipe');
    const entry = path.join(REPO, 'out', 'src', 'cli', 'checkTrace.js');
    const script = `mkfifo "$1" && (cat "$2" > "$1" &) && exec "$3" -e "require('$4').main(['--json', process.argv[1]]).then((c) => process.exit(c))" "$1"`;
    const r = spawnSync('sh', ['-c', script, 'sh', fifo, file, process.execPath, entry], { encoding: 'latin1' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(unnamed(r.stdout), want);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Standard input made non-blocking (touching `process.stdin` does) and empty at first: the reader waits for data.
  const entry = path.join(REPO, 'out', 'src', 'cli', 'checkTrace.js');
  const script = `(sleep 0.3; cat "$1") | "$2" -e "process.stdin; require('$3').main(['-', '--json']).then((c) => process.exit(c))"`;
  const late = spawnSync('sh', ['-c', script, 'sh', file, process.execPath, entry], { encoding: 'latin1' });
  assert.equal(late.status, 0, late.stderr);
  assert.deepEqual(unnamed(late.stdout), want);
});

test('the bundled command reads a large capture on its reading threads (dist/parseWorker.js) as one thread reads it', () => {
  const all = captures().flatMap((name) => captureLines(name).filter((l) => !l.startsWith('#')));
  const lines: string[] = [];
  // Past the 16 MiB under which no thread is started.
  for (let bytes = 0; bytes < 17 * 2 ** 20; bytes += all.reduce((n, l) => n + l.length + 1, 0)) lines.push(...all);
  const file = tempTrace(lines);
  try {
    const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'check-trace', '--json', file], { encoding: 'latin1', maxBuffer: 1 << 28 });
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(JSON.stringify(checkTrace(TraceCursor.open(file), file, {}, { thread: false }))));
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

test('check-trace usage errors and unreadable files exit 2 with a message on stderr', () => {
  assert.equal(cli('checkTrace', []).code, 2);
  const bad = cli('checkTrace', ['--nope', 'x']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown option/);
  const missing = cli('checkTrace', [path.join(os.tmpdir(), 'no-such-trace.txt')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /cannot read/);
  const directory = cli('checkTrace', [TRACES]);
  assert.equal(directory.code, 2);
  assert.match(directory.err, /cannot read .*: a directory/);
  // What `trace-cmd record` leaves (trace-cmd.dat(5)): its report is what is read.
  const dat = path.join(os.tmpdir(), `trace-${process.pid}.dat`);
  fs.writeFileSync(dat, Buffer.concat([Buffer.from([0x17, 0x08, 0x44]), Buffer.from('tracing6\0\0\x08'), Buffer.alloc(4096)]));
  try {
    for (const [module, args] of [['checkTrace', [dat]], ['importTrace', [dat, '-o', '-']]] as const) {
      const r = cli(module, [...args]);
      assert.equal(r.code, 2, module);
      assert.match(r.err, /trace-cmd's binary data, not text: read it through `trace-cmd report /, module);
    }
  } finally {
    fs.rmSync(dat, { force: true });
  }
  // Text that is no capture at all: not one event, every line malformed.
  const prose = path.join(os.tmpdir(), `notes-${process.pid}.txt`);
  fs.writeFileSync(prose, 'Notes on the camera pipeline\nthe ISP writes frames at 30 fps\n');
  try {
    const r = cli('checkTrace', [prose, path.join(TRACES, 'usb-noiommu.trace.txt')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /notes-\d+\.txt: no line is an ftrace event \(2 malformed\)/);
    // Both files are still reported.
    assert.match(r.out, /notes-\d+\.txt: 2 lines, 0 events, 2 malformed/);
    assert.match(r.out, /usb-noiommu\.trace\.txt: /);
  } finally {
    fs.rmSync(prose, { force: true });
  }
  // A capture saved as UTF-16 (Windows PowerShell's `>`): every line would be malformed.
  const utf16 = path.join(os.tmpdir(), `trace-${process.pid}-utf16.txt`);
  fs.writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(fs.readFileSync(path.join(TRACES, 'usb-noiommu.trace.txt'), 'latin1'), 'utf16le')]));
  try {
    const r = cli('checkTrace', [utf16]);
    assert.equal(r.code, 2);
    assert.match(r.err, /UTF-16 text, not UTF-8: read it through `iconv -f UTF-16 -t UTF-8 .*-utf16\.txt`/);
  } finally {
    fs.rmSync(utf16, { force: true });
  }
  // A compressed capture: the command that gives its text.
  const gz = path.join(os.tmpdir(), `trace-${process.pid}.txt.gz`);
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(path.join(TRACES, 'usb-noiommu.trace.txt'))));
  try {
    const r = cli('checkTrace', [gz]);
    assert.equal(r.code, 2);
    assert.match(r.err, /gzip data, not text: read it through `zcat .*\.txt\.gz`/);
  } finally {
    fs.rmSync(gz, { force: true });
  }
  // Lines ended by CR alone would read as one comment line: an empty capture, ok.
  const cr = path.join(os.tmpdir(), `trace-${process.pid}-cr.txt`);
  fs.writeFileSync(cr, fs.readFileSync(path.join(TRACES, 'usb-noiommu.trace.txt'), 'latin1').replace(/\n/g, '\r'), 'latin1');
  try {
    const r = cli('checkTrace', [cr]);
    assert.equal(r.code, 2);
    assert.match(r.err, /text whose lines end in CR alone: read it through `tr '\\r' '\\n' < .*-cr\.txt`/);
  } finally {
    fs.rmSync(cr, { force: true });
  }
});

test('import writes a scenario file; usage errors exit 2', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftrace-import-'));
  const out = path.join(dir, 'usb.dmabuf');
  try {
    const r = cli('importTrace', [path.join(TRACES, 'usb-noiommu.trace.txt'), '-o', out]);
    assert.equal(r.code, 0, r.err);
    const text = fs.readFileSync(out, 'utf8');
    assert.match(text, /^device dev_0000_00_02_0 {2}# 0000:00:02\.0$/m);
    assert.equal(cli('importTrace', [path.join(TRACES, 'usb-noiommu.trace.txt')]).code, 2);
    assert.equal(cli('importTrace', ['-o', out]).code, 2);
    assert.equal(cli('importTrace', [path.join(dir, 'missing.txt'), '-o', out]).code, 2);
    const piped = cli('importTrace', ['-', '-o', out], '');
    assert.equal(piped.code, 2);
    assert.match(piped.err, /a pipe cannot be read twice/);
    // An existing file keeps its mode; a symbolic link and a file with other hard links are written through, in place.
    const capture = path.join(TRACES, 'usb-noiommu.trace.txt');
    const scenario = fs.readFileSync(out, 'latin1');
    fs.chmodSync(out, 0o600);
    assert.equal(cli('importTrace', [capture, '-o', out]).code, 0);
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);
    const target = path.join(dir, 'target.dmabuf');
    const link = path.join(dir, 'link.dmabuf');
    fs.writeFileSync(target, 'old\n');
    fs.symlinkSync(target, link);
    assert.equal(cli('importTrace', [capture, '-o', link]).code, 0);
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(target, 'latin1'), scenario);
    const hard = path.join(dir, 'hard.dmabuf');
    fs.writeFileSync(target, 'old\n');
    fs.linkSync(target, hard);
    assert.equal(cli('importTrace', [capture, '-o', hard]).code, 0);
    assert.equal(fs.readFileSync(target, 'latin1'), scenario, 'the other name of the file sees the new scenario');
    for (const f of [target, link, hard]) fs.rmSync(f);
    // A device is written as it comes, never replaced by a renamed file.
    assert.equal(cli('importTrace', [path.join(TRACES, 'usb-noiommu.trace.txt'), '-o', '/dev/null']).code, 0);
    assert.ok(fs.statSync('/dev/null').isCharacterDevice());
    assert.deepEqual(fs.readdirSync('/dev').filter((f) => f.endsWith('.partial')), []);
    const folder = cli('importTrace', [dir, '-o', out]);
    assert.deepEqual([folder.code, folder.err], [2, `import: cannot read ${dir}: a directory\n`]);
    // Text that is no capture is refused as check-trace refuses it, and nothing is written, OUT nor a partial file.
    const prose = path.join(dir, 'notes.txt');
    fs.writeFileSync(prose, 'Notes on the camera pipeline\nthe ISP writes frames at 30 fps\n');
    fs.rmSync(out);
    for (const to of [out, '-']) {
      const r2 = cli('importTrace', [prose, '-o', to]);
      assert.deepEqual([r2.code, r2.out], [2, '']);
      assert.match(r2.err, /notes\.txt: no line is an ftrace event \(2 malformed\)/);
    }
    assert.deepEqual(fs.readdirSync(dir), ['notes.txt']);
    // A DMA event whose fields cannot be read counts as malformed here as in check-trace: no scenario of it either.
    const unreadable = path.join(dir, 'unreadable.txt');
    fs.writeFileSync(unreadable, '  kworker/0:1-42 [000] ..... 1.000000: dma_map_phys: no fields here\n');
    assert.equal(cli('checkTrace', [unreadable]).code, 2);
    assert.deepEqual([cli('importTrace', [unreadable, '-o', '-']).code], [2]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const DMABUF = path.join(REPO, 'dist', 'cli.js');

/** Resolves once `test` holds, checking every 10 ms (rejects after 30 s). */
async function until(test: () => boolean): Promise<void> {
  for (const t0 = Date.now(); !test(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - t0 > 30_000) throw new Error('timed out');
  }
}

test('import is written whole or not at all: Ctrl-C midway leaves the scenario that was there, and no partial file', async () => {
  const capture = repeatedCapture('vblk-virtio-iommu.trace.txt', 40);
  const dir = path.dirname(capture);
  const out = path.join(dir, 'vblk.dmabuf');
  fs.writeFileSync(out, '# an earlier scenario\n');
  try {
    const child = spawn(process.execPath, [DMABUF, 'import', capture, '-o', out], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Stopped while it writes: its first chunk is in the partial file.
    const partial = (): string | undefined => fs.readdirSync(dir).find((f) => f.endsWith('.partial'));
    await until(() => { const p = partial(); return p !== undefined && fs.statSync(path.join(dir, p)).size > 0; });
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['repeated.trace.txt', 'vblk.dmabuf']);
    assert.equal(fs.readFileSync(out, 'utf8'), '# an earlier scenario\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('import -o - into a pipe read slowly writes every byte (Node makes the pipe non-blocking), and stops quietly when it is closed', async () => {
  const capture = path.join(TRACES, 'vblk-virtio-iommu.trace.txt');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftrace-import-'));
  try {
    const out = path.join(dir, 'vblk.dmabuf');
    assert.equal(cli('importTrace', [capture, '-o', out]).code, 0);
    const child = spawn(process.execPath, [DMABUF, 'import', capture, '-o', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    // Nothing read for a while: the pipe fills and the import must wait for room, not fail.
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 500));
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stdout.resume();
    assert.equal(await exited, 0, err);
    assert.equal(Buffer.concat(chunks).toString('utf8'), fs.readFileSync(out, 'utf8'));
    // `| head`: the reader goes away after the first bytes.
    const head = spawn(process.execPath, [DMABUF, 'import', capture, '-o', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let headErr = '';
    head.stderr.on('data', (b: Buffer) => (headErr += b.toString()));
    head.stdout.once('data', () => head.stdout.destroy());
    assert.equal(await new Promise((resolve) => head.on('exit', resolve)), 0, headErr);
    assert.equal(headErr, '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
