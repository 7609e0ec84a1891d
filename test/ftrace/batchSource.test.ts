// The reading thread hands the checker exactly the batches the cursor would make on the checking thread: the same
// records, slow lines, strings and line count, from any starting line, across the wrap of its ring of slots; it
// stops when closed early and reports a failure to read instead of hanging.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { batchesOf, SLOTS, CAPACITY, THREAD, type BatchOptions } from '../../src/ftrace/batchSource';
import { checkTrace } from '../../src/ftrace/check';
import { CHECKER, ChunkClaims, ChunkReader } from '../../src/ftrace/chunks';
import { EventBatch } from '../../src/ftrace/eventBatch';
import { R_CODE, R_CPU, R_LINE, R_OFFSET, R_OTHER, R_TIME, SLOW, STRIDE } from '../../src/ftrace/recordLayout';
import { HotEvents } from '../../src/ftrace/hotEvents';
import { TraceCursor } from '../../src/ftrace/reader';
import { captureLines, captures, TRACES } from './helpers';

interface Drained {
  /** Each record as the checker reads it: where it is, and its slow text or its decoded event. */
  records: string[];
  nextLine: number;
}

/** Many readers and small chunks: lines cross chunk ends, and the readers' batches interleave. */
const SHARED = { threads: 3, chunkBytes: 4096 };

/** Every record of the batches of `cursor`; `meanwhile` runs once the source is made, before it is read. */
function drain(cursor: TraceCursor, thread: boolean, options: BatchOptions = {}, meanwhile?: () => void): Drained {
  const source = batchesOf(cursor, thread, options);
  meanwhile?.();
  const hot = new HotEvents();
  const out: Drained = { records: [], nextLine: 0 };
  try {
    for (let b = source.next(); b; b = source.next()) {
      const r = b.records;
      for (let at = 0; at < b.count * STRIDE; at += STRIDE) {
        const where = `${b.lineBase + r[at + R_LINE]}@${r[at + R_OFFSET]}`;
        const what = r[at + R_CODE] === SLOW ? b.texts[r[at + R_OTHER]] : `${r[at + R_TIME]} cpu${r[at + R_CPU]} ${JSON.stringify(hot.at(b, at))}`;
        out.records.push(`${where} ${what}`);
      }
    }
  } finally {
    source.close();
  }
  out.nextLine = source.nextLine;
  return out;
}

/** A module of this repo's compiled ftrace, as a reading thread's script requires it. */
const ftraceModule = (m: string): string => JSON.stringify(path.join(__dirname, '..', '..', 'src', 'ftrace', m));

/** Waits (up to 10 s) for another thread to make `file`. */
function waitForFile(file: string, what: string): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let k = 0; k < 1000 && !fs.existsSync(file); k++) Atomics.wait(nap, 0, 0, 10);
  assert.ok(fs.existsSync(file), what);
}

/**
 * A stand-in reading thread in `dir`: `patch` runs in the thread (with `workerData`, `ChunkClaims` and `ChunkReader`
 * in scope), then the real one, unless the patch ended it. Its first claim writes a file, which `claimed` waits for:
 * the checking thread reads only once the stand-in holds a chunk (it would otherwise read them all itself first).
 */
function standIn(dir: string, patch: string): { workerFile: string; claimed: () => void } {
  const marker = path.join(dir, 'claimed');
  const workerFile = path.join(dir, 'stand-in.js');
  fs.writeFileSync(workerFile, `const { workerData } = require('worker_threads');
    const { ChunkClaims, ChunkReader } = require(${ftraceModule('chunks.js')});
    const claim = ChunkClaims.prototype.claim;
    ChunkClaims.prototype.claim = function (owner) {
      const chunk = claim.call(this, owner);
      if (chunk >= 0) require('fs').writeFileSync(${JSON.stringify(marker)}, '');
      return chunk;
    };
    ${patch}
    require(${ftraceModule('parseWorker.js')});`);
  return { workerFile, claimed: () => waitForFile(marker, 'the stand-in thread claimed a chunk') };
}

function withDir(body: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batch-source-'));
  try {
    body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function withFile(text: string, body: (file: string) => void): void {
  withDir((dir) => {
    const file = path.join(dir, 'x.trace.txt');
    fs.writeFileSync(file, text, 'latin1');
    body(file);
  });
}

for (const name of captures()) {
  test(`${name}: the reading thread yields the very batches of the cursor`, () => {
    const file = path.join(TRACES, name);
    const alone = drain(TraceCursor.open(file), false);
    assert.deepEqual(drain(TraceCursor.open(file), true), alone);
    assert.deepEqual(drain(TraceCursor.open(file), true, SHARED), alone, 'three readers taking 4 KiB chunks in turn');
  });
}

test('chunks split a file at line starts, whatever its lines: longer than a chunk, blank, CRLF, no final newline', () => {
  const lines = captureLines('nvme-intel-iommu.trace.txt').slice(0, 400);
  const long = `${lines[20].slice(0, lines[20].indexOf(': ') + 2)}tracing_mark_write: ${'x'.repeat(9000)}`;
  const mixed = [...lines.slice(0, 100), long, '', '', ...lines.slice(100, 200).map((l) => l + '\r'), long, ...lines.slice(200)];
  for (const text of [mixed.join('\n'), mixed.join('\n') + '\n']) {
    withFile(text, (file) => {
      const alone = drain(TraceCursor.open(file), false);
      for (const chunkBytes of [64, 4096, 8192]) {
        for (const threads of [1, 2, 3]) {
          assert.deepEqual(drain(TraceCursor.open(file), true, { threads, chunkBytes }), alone, `${threads} readers, chunks of ${chunkBytes} bytes`);
        }
      }
    });
  }
});

test('a file growing while read: the readers share the whole lines it had at open, and what follows is read after them', () => {
  const lines = captureLines('nvme-intel-iommu.trace.txt').slice(0, 400);
  // At open the last line is half written: read whole lines only, it would split in two.
  const atOpen = lines.slice(0, 300).join('\n') + '\n' + lines[300].slice(0, 40);
  const added = lines[300].slice(40) + '\n' + lines.slice(301).join('\n') + '\n';
  for (const threads of [1, 2, 3]) {
    withFile(atOpen, (file) => {
      const grown = drain(TraceCursor.open(file), true, { threads, chunkBytes: 4096 }, () => fs.appendFileSync(file, added, 'latin1'));
      const whole = drain(TraceCursor.open(file), false);
      assert.equal(whole.records.length, 400);
      assert.deepEqual(grown, whole, `${threads} readers`);
    });
  }
  // A file with no newline at all is all tail.
  withFile(lines[0], (file) => assert.deepEqual(drain(TraceCursor.open(file), true), drain(TraceCursor.open(file), false)));
});

test('a capture longer than the ring of slots reads whole, in order, and checks the same on either thread', () => {
  const lines = captures().flatMap((name) => captureLines(name));
  assert.ok(lines.length > SLOTS * CAPACITY, `${lines.length} lines fill more than the ring`);
  withFile(lines.join('\n') + '\n', (file) => {
    const threaded = drain(TraceCursor.open(file), true);
    assert.deepEqual(threaded, drain(TraceCursor.open(file), false));
    assert.deepEqual(drain(TraceCursor.open(file), true, { threads: 2, chunkBytes: 1 << 20 }), threaded);
    assert.equal(threaded.nextLine, lines.length + 1);
    assert.deepEqual(checkTrace(TraceCursor.open(file), file, {}, { thread: true }), checkTrace(TraceCursor.open(file), file, {}, { thread: false }));
  });
});

test('the reading thread starts where the cursor is', () => {
  const file = path.join(TRACES, 'nvme-intel-iommu.trace.txt');
  const open = (): TraceCursor => {
    const c = TraceCursor.open(file);
    for (let i = 0; i < 500; i++) c.next();
    return c;
  };
  const threaded = drain(open(), true);
  assert.deepEqual(threaded, drain(open(), false));
  assert.deepEqual(drain(open(), true, SHARED), threaded);
  assert.match(threaded.records[0], /^501@/, 'the first record is the first line not read yet');
});

test('closing after the first batch stops the reading thread', () => {
  const lines = captures().flatMap((name) => captureLines(name));
  withFile(lines.join('\n') + '\n', (file) => {
    for (const options of [{}, SHARED]) {
      const source = batchesOf(TraceCursor.open(file), true, options);
      assert.ok(source.next());
      source.close();
    }
    // A second source on the same file still reads it whole: nothing of the first one is left in the way.
    assert.equal(drain(TraceCursor.open(file), true).nextLine, lines.length + 1);
  });
});

test('a reading thread that does not start (dies at once, or never runs) claims nothing: the checking thread reads every chunk', () => {
  const file = path.join(TRACES, 'nvme-intel-iommu.trace.txt');
  const alone = drain(TraceCursor.open(file), false);
  withDir((dir) => {
    for (const [name, script] of [['dies.js', 'throw new Error("no thread for you")'], ['idles.js', 'setInterval(() => undefined, 1000)']]) {
      const workerFile = path.join(dir, name);
      fs.writeFileSync(workerFile, script);
      for (const threads of [1, 3]) {
        const t0 = Date.now();
        assert.deepEqual(drain(TraceCursor.open(file), true, { workerFile, threads, chunkBytes: 32 * 1024 }), alone, `${name}, ${threads} readers`);
        assert.ok(Date.now() - t0 < 5000, `${name}: read after ${Date.now() - t0} ms`);
      }
    }
  });
});

test('a file that cannot be opened any more is an error, not a hang', () => {
  withFile('x\n', (file) => {
    const cursor = TraceCursor.open(file);
    fs.unlinkSync(file);
    const source = batchesOf(cursor, true, SHARED);
    try {
      assert.throws(() => source.next(), /ENOENT/);
    } finally {
      source.close();
    }
  });
});

test('a reading thread that fails on a chunk it claimed: its error is thrown when that chunk is due, after the chunks before it', () => {
  withDir((dir) => {
    // Its first chunk (chunk 0) reads; its second (chunk 1, claimed before the checking thread reads) fails.
    const failing = path.join(dir, 'failing');
    const { workerFile } = standIn(dir, `const begin = ChunkReader.prototype.begin;
      let begun = 0;
      ChunkReader.prototype.begin = function (chunk) {
        if (++begun < 2) return begin.call(this, chunk);
        this.chunk = chunk;
        require('fs').writeFileSync(${JSON.stringify(failing)}, '');
        throw new Error('no disk for you');
      };`);
    const file = path.join(TRACES, 'nvme-intel-iommu.trace.txt');
    const source = batchesOf(TraceCursor.open(file), true, { workerFile, threads: 1, chunkBytes: 32 * 1024 });
    try {
      waitForFile(failing, 'the stand-in thread began its second chunk');
      const first = source.next();
      assert.ok(first && first.count > 0, 'chunk 0 reads');
      assert.throws(() => {
        while (source.next());
      }, /no disk for you/);
      assert.ok(source.nextLine > 1 && source.nextLine < captureLines('nvme-intel-iommu.trace.txt').length, `stopped at line ${source.nextLine}`);
    } finally {
      source.close();
    }
  });
});

test('the checking thread decodes chunks while it would wait for a slow reading thread, and the batches are the same', () => {
  const lines = captures().flatMap((name) => captureLines(name));
  withDir((dir) => {
    // The real reading thread, 2 ms slower per batch.
    const { workerFile, claimed } = standIn(dir, `const fill = ChunkReader.prototype.fill;
      const nap = new Int32Array(new SharedArrayBuffer(4));
      ChunkReader.prototype.fill = function (batch) { Atomics.wait(nap, 0, 0, 2); return fill.call(this, batch); };`);
    withFile(lines.join('\n') + '\n', (file) => {
      const claim = ChunkClaims.prototype.claim;
      const here: number[] = [];
      let ahead = 0;
      ChunkClaims.prototype.claim = function (this: ChunkClaims, owner: number) {
        const chunk = claim.call(this, owner);
        if (chunk >= 0 && owner === CHECKER) {
          here.push(chunk);
          // Claimed to decode ahead while the reading thread's batch was due (the other claims take a chunk nobody
          // had when it was due): only the call's stack tells the two apart from here.
          if (/LocalChunks\.work\b/.test(new Error().stack ?? '')) ahead++;
        }
        return chunk;
      };
      try {
        const chunkBytes = 16 * 1024;
        const chunks = Math.ceil(fs.statSync(file).size / chunkBytes);
        assert.deepEqual(drain(TraceCursor.open(file), true, { workerFile, threads: 1, chunkBytes }, claimed), drain(TraceCursor.open(file), false));
        // Chunk 0 was the reading thread's; this thread took some of the rest, some of them ahead, while it waited.
        assert.ok(here.length < chunks && here[0] > 0 && ahead > 0, `this thread read ${here.length} of ${chunks} chunks, from chunk ${here[0]}, ${ahead} of them ahead`);
      } finally {
        ChunkClaims.prototype.claim = claim;
      }
    });
  });
});

test('a reading thread that dies without a word, holding chunks, is reported as soon as it is gone, not after a minute', () => {
  withDir((dir) => {
    // Starts as a reading thread does and claims every chunk, then its thread ends (as out of memory ends it)
    // before writing a batch.
    const { workerFile, claimed } = standIn(dir, `Atomics.store(new Int32Array(workerData.counters), ${THREAD}, require(${ftraceModule('threadIds.js')}).systemThreadId());
      const claims = new ChunkClaims(workerData.chunks, workerData.claims);
      while (claims.claim(workerData.owner) >= 0);
      process.exit(0);`);
    const source = batchesOf(TraceCursor.open(path.join(TRACES, 'nvme-intel-iommu.trace.txt')), true, { workerFile, threads: 1, chunkBytes: 32 * 1024 });
    try {
      claimed();
      const t0 = Date.now();
      assert.throws(() => source.next(), /the trace reading thread stopped/);
      assert.ok(Date.now() - t0 < 5000, `reported after ${Date.now() - t0} ms`);
    } finally {
      source.close();
    }
  });
});

test('the owner of a chunk claimed by a thread killed before it stored its owner is not waited for past the limit', () => {
  const claims = new ChunkClaims(2);
  assert.equal(claims.claim(CHECKER), 0);
  assert.equal(claims.ownerOf(0, 0), CHECKER);
  // Claimed (the counter moved on) with no owner stored.
  Atomics.add(claims.cells, 0, 1);
  assert.ok(claims.claimed(1));
  const t0 = Date.now();
  assert.equal(claims.ownerOf(1, 50), 0);
  assert.ok(Date.now() - t0 >= 50 && Date.now() - t0 < 5000, `waited ${Date.now() - t0} ms`);
});

test('text in memory is read on the checking thread', () => {
  const source = batchesOf(TraceCursor.fromText('# tracer: nop\n'), true);
  assert.equal(source.next()?.count, 1);
  source.close();
});

test('a line of many chunks is scanned once per reader, not once per chunk boundary in it, and reads as on one thread', () => {
  const hot = (k: number) => `   b-2 [001] ..... ${k}.0: dma_unmap_phys: d dir=TO_DEVICE dma_addr=${k} size=1 attrs=`;
  const long = '   a-1 [000] ..... 1.5: tracing_mark_write: ' + 'x'.repeat(64 * 2 ** 20);
  withFile([hot(1), long, hot(2), long, hot(3), ''].join('\n'), (file) => {
    const got = drain(TraceCursor.open(file), true, { threads: 3, chunkBytes: 64 * 1024 });
    assert.deepEqual(got, drain(TraceCursor.open(file), false));
    assert.equal(got.nextLine, 6);
    // One reader's share, on this thread, counting what it reads: each long line once, not at each of its 1024 boundaries.
    const size = fs.statSync(file).size;
    // The module itself (the namespace import only reads through to it).
    const nodeFs = require('fs') as { readSync: typeof fs.readSync };
    const readSync = nodeFs.readSync;
    let bytes = 0;
    nodeFs.readSync = ((...a: Parameters<typeof fs.readSync>) => {
      const n = readSync(...a);
      bytes += n;
      return n;
    }) as typeof fs.readSync;
    try {
      const reader = new ChunkReader({ file, offset: 0, end: size, chunkBytes: 64 * 1024 });
      const batch = new EventBatch(CAPACITY);
      for (let chunk = 0; chunk * 64 * 1024 < size; chunk++) {
        reader.begin(chunk);
        while (reader.reading) reader.fill(batch);
      }
      reader.close();
    } finally {
      nodeFs.readSync = readSync;
    }
    assert.ok(bytes < 3 * size, `${bytes} bytes read for a file of ${size}`);
  });
});
