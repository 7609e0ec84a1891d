// Snapshots for the debugger: a copy of the machine's state shares nothing the machine changes in place, a snapshot
// never changes once taken, and restoring one (twice, or after running on) replays exactly as the run did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { parseScenario } from '../../src/language';
import { copyState } from '../../src/machine/copy';
import { Machine } from '../../src/machine/machine';
import { Runner } from '../../src/runtime/runner';
import { at, partlySynced } from './helpers';

const dir = join(__dirname, '..', '..', '..', 'examples');
const examples = readdirSync(dir).filter((f) => f.endsWith('.dmabuf')).map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));

function runner(text: string): Runner {
  const { program, diagnostics } = parseScenario(text, 't.dmabuf');
  assert.deepEqual(diagnostics, []);
  return new Runner(program);
}

/**
 * What a copy may share with its original: values the machine replaces and never changes in place. Keys name a
 * field; `key[]` an element of an array field, `key{}` a value of a Map field.
 */
const SHARED = new Set([
  'platform', 'layout', 'loc', 'createdAt', 'releasedAt', 'allocatedAt', 'detachedAt', 'unmappedAt', 'bracketAt', 'mappedAt', 'at', 'sg', 'exporter',
  'devices{}', 'handles{}', 'writes{}', 'free[]', 'segs[]', 'active[]', 'importers[]', 'mappings[]', 'iova[]', 'slots[]',
]);

/**
 * What a copy may share by where it is (`{}` any key of a Map, `[]` any index), not by its name: the arrays shared
 * copy-on-write, a buffer's owner runs and a mapping's owned spans (copy.ts), and what is in them, never changed (the
 * runs with their owning pairs, the spans). An array of those names elsewhere has no copy-on-write: it must be copied.
 */
const COPY_ON_WRITE = new Set([
  'state.buffers{}.owners', 'state.buffers{}.owners[]', 'state.buffers{}.owners[].owners', 'state.mappings{}.owned', 'state.mappings{}.owned[]',
]);

/**
 * Every object `copy` shares with `orig` where neither SHARED (by `key`) nor COPY_ON_WRITE (by `where`, the path
 * with no keys or indexes) allows it, as paths.
 */
function sharedMutable(orig: unknown, copy: unknown, key: string, path: string, out: string[], where = path): string[] {
  if (typeof orig !== 'object' || orig === null || typeof copy !== 'object' || copy === null) return out;
  if (orig === copy) {
    if (!SHARED.has(key) && !COPY_ON_WRITE.has(where)) out.push(path);
    return out;
  }
  if (orig instanceof Map) {
    for (const [k, v] of orig) sharedMutable(v, (copy as Map<unknown, unknown>).get(k), `${key}{}`, `${path}{${String(k)}}`, out, `${where}{}`);
  } else if (Array.isArray(orig)) {
    orig.forEach((v, i) => sharedMutable(v, (copy as unknown[])[i], `${key}[]`, `${path}[${i}]`, out, `${where}[]`));
  } else {
    for (const [k, v] of Object.entries(orig)) sharedMutable(v, (copy as Record<string, unknown>)[k], k, `${path}.${k}`, out, `${where}.${k}`);
  }
  return out;
}

test('the copy-on-write arrays may be shared where copy.ts shares them, and an array of their names nowhere else', () => {
  const runs = [{ off: 0, len: 8, owners: [] }];
  const spans = [{ off: 0, len: 8 }];
  const state = { buffers: new Map([[1, { owners: runs }]]), mappings: new Map([[2, { owned: spans }]]), dmabuf: { bufs: new Map([[3, { owners: [], owned: [] }]]) } };
  const copy = { buffers: new Map([[1, { owners: runs }]]), mappings: new Map([[2, { owned: spans }]]), dmabuf: { bufs: new Map([[3, state.dmabuf.bufs.get(3)!]]) } };
  assert.deepEqual(sharedMutable(state, copy, 'state', 'state', []), ['state.dmabuf.bufs{3}']);
  copy.dmabuf.bufs.set(3, { ...state.dmabuf.bufs.get(3)! });
  assert.deepEqual(sharedMutable(state, copy, 'state', 'state', []), ['state.dmabuf.bufs{3}.owners', 'state.dmabuf.bufs{3}.owned']);
});

test('a copy of the state equals it and shares nothing the machine changes in place, at every step of every example', () => {
  let checked = 0;
  for (const { name, text } of examples) {
    const r = runner(text);
    for (;;) {
      const { cache: _cache, ...state } = r.machine.state;
      const copy = copyState(state);
      assert.deepStrictEqual(copy, { ...state, cache: null }, `${name} at step ${r.stepCount}`);
      assert.deepEqual(sharedMutable(state, copy, 'state', 'state', []), [], `${name} at step ${r.stepCount}`);
      checked++;
      if (r.done) break;
      r.step();
    }
  }
  assert.ok(checked > 200, `${checked} states checked`);
});

/** Everything the machine shows: buffers, mappings, dma-bufs, devices, every cache line. */
function views(m: Machine): string {
  return JSON.stringify({ buffers: m.buffers(), mappings: m.mappings(), dmaBufs: m.dmaBufs(), devices: m.devices(), lines: m.cacheLines(0, m.cacheLineCount()) });
}

/** The rest of the run: each step's events and hazards, then the views and hazards at the end. */
function rest(r: Runner): string {
  const out: string[] = [];
  while (!r.done) {
    const s = r.step();
    out.push(`${s.index}:${s.loc.line}:${JSON.stringify(s.events)}:${s.hazards.map((h) => h.message).join('|')}`);
  }
  return JSON.stringify({ out, views: views(r.machine), hazards: r.hazards() });
}

test('restoring one snapshot twice gives the same run and views as the run that never restored, in every example', () => {
  for (const { name, text } of examples) {
    const straight = runner(text);
    const steps = rest(straight);
    const total = straight.stepCount;
    const r = runner(text);
    for (let at = 0; at <= total; at += Math.max(1, Math.floor(total / 7))) {
      while (r.stepCount < at) r.step();
      const snap = r.snapshot();
      const before = serialize(snap);
      const shown = views(r.machine);
      const first = rest(r);
      r.restore(snap);
      assert.equal(views(r.machine), shown, `${name}: restored at ${at}, the views are those of the snapshot`);
      assert.equal(rest(r), first, `${name}: second replay from ${at}`);
      r.restore(snap);
      assert.equal(rest(r), first, `${name}: third replay from ${at}`);
      assert.ok(serialize(snap).equals(before), `${name}: the snapshot at ${at} is unchanged by running on from it`);
      r.restore(snap);
    }
    const fresh = runner(text);
    for (let i = 0; i < Math.floor(total / 2); i++) fresh.step();
    const mid = fresh.snapshot();
    const end = rest(fresh);
    fresh.restore(mid);
    assert.equal(rest(fresh), end, `${name}: replay from the middle`);
    assert.equal(JSON.parse(end).views, JSON.parse(steps).views, `${name}: same end as the straight run`);
  }
});

test('clone, and every machine restored from one snapshot, evolve independently of each other', () => {
  const r = runner(examples.find((e) => e.name === 'nic-rx-ring.dmabuf')?.text ?? examples[0].text);
  while (!r.done && r.machine.cacheLines(0, r.machine.cacheLineCount()).every((l) => l.state === 'I')) r.step();
  const copy = r.machine.clone();
  const snap = r.machine.snapshot();
  const [a, b] = [Machine.restore(snap), Machine.restore(snap)];
  const shown = views(copy);
  assert.equal(views(a), shown);
  a.begin({ line: 1, column: 1 });
  a.cacheEvictAll();
  a.end();
  assert.notEqual(views(a), shown, 'evicting the cache changed the lines shown');
  while (!r.done) r.step();
  assert.equal(views(copy), shown);
  assert.equal(views(b), shown);
  assert.equal(views(Machine.restore(snap)), shown);
});

test('owner runs and owned spans, changed in place after a snapshot shares them, stay as they were in the snapshot and in each machine restored from it', () => {
  const { m, h } = partlySynced(1024);
  const snap = m.snapshot();
  const shown = views(m);
  const [a, b] = [Machine.restore(snap), Machine.restore(snap)];
  // Each piece synced back cuts the runs and spans the snapshot shares: the live machine and `a` each change their own.
  for (const x of [m, a]) for (let k = 1; k < 8; k++) at(x, 4, (y) => y.dmaSyncSingleForCpu('isp', h, 64, 'BIDIRECTIONAL', k * 128));
  assert.notEqual(views(m), shown, 'the pieces synced back changed the owners shown');
  assert.equal(views(a), views(m));
  assert.equal(views(b), shown);
  assert.equal(views(Machine.restore(snap)), shown);
  at(b, 4, (y) => y.dmaSyncSingleForDevice('isp', h, 64, 'BIDIRECTIONAL', 0));
  assert.equal(views(Machine.restore(snap)), shown);
  assert.equal(views(a), views(m));
});

test('a machine restored by adopting a snapshot and then changed leaves the machine it was taken from, a copy restored from it and a snapshot taken of it again as they were', () => {
  const { m, p, h } = partlySynced(4096);
  const snap = m.snapshot();
  const shown = views(m);
  const copy = Machine.restore(snap);
  // The snapshot is given up to `adopted`: its runs and spans are still those `m` and `copy` share.
  const adopted = Machine.restore(snap, true);
  // As the recording does when the engine steps on from a snapshot it adopted: the state is taken again first.
  const again = adopted.snapshot(true);
  const kept = serialize(again);
  // Pieces synced back and forth, a second mapping over part of the buffer and the unmaps cut and join the shared runs and spans.
  const change = (x: Machine): void => {
    for (let k = 1; k < 8; k++) at(x, 4, (y) => y.dmaSyncSingleForCpu('isp', h, 64, 'BIDIRECTIONAL', k * 256));
    at(x, 5, (y) => y.dmaSyncSingleForDevice('isp', h, 64, 'BIDIRECTIONAL', 512));
    const second = at(x, 6, (y) => y.dmaMapSingle('isp', p, 1024, 'TO_DEVICE', 1024, false)).result;
    at(x, 7, (y) => y.dmaSyncSingleForCpu('isp', second, 128, 'TO_DEVICE', 64));
    at(x, 8, (y) => y.dmaUnmapSingle('isp', h, 4096, 'BIDIRECTIONAL', false));
    at(x, 9, (y) => y.dmaUnmapSingle('isp', second, 1024, 'TO_DEVICE', false));
  };
  change(adopted);
  const changed = views(adopted);
  assert.notEqual(changed, shown, 'the changes changed the owners and mappings shown');
  assert.equal(views(m), shown);
  assert.equal(views(copy), shown);
  assert.ok(serialize(again).equals(kept), 'the snapshot taken again is unchanged');
  // Restored twice, the snapshot taken again gives its state each time, even after the first restore is changed.
  const first = Machine.restore(again);
  assert.equal(views(first), shown);
  change(first);
  assert.equal(views(first), changed);
  assert.equal(views(Machine.restore(again)), shown);
  // Adopted in turn and changed, it leaves the others as they were; and they, changed, leave the adopted ones.
  change(Machine.restore(again, true));
  change(m);
  assert.equal(views(copy), shown);
  assert.equal(views(adopted), changed);
});

test('a runner restored by adopting a snapshot replays as the run did and leaves another snapshot sharing its state as it was, in every example', () => {
  for (const { name, text } of examples) {
    const straight = runner(text);
    rest(straight);
    const total = straight.stepCount;
    const r = runner(text);
    for (let pos = 0; pos <= total; pos += Math.max(1, Math.floor(total / 5))) {
      while (r.stepCount < pos) r.step();
      // Two snapshots of one state share its copy-on-write arrays: the runner adopts one, and must not change the other.
      const given = r.snapshot(true);
      const kept = r.snapshot();
      const before = serialize(kept);
      const first = rest(r);
      r.restore(given, true);
      assert.equal(rest(r), first, `${name}: replay from ${pos} after adopting`);
      assert.ok(serialize(kept).equals(before), `${name}: the other snapshot at ${pos} is unchanged by the adopting runner`);
      r.restore(kept);
      assert.equal(rest(r), first, `${name}: replay from ${pos} restored from the other snapshot`);
      r.restore(kept, true);
    }
  }
});
