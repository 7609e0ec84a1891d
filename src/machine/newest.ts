// Write sequence numbers and the newest write of every logical byte (spec §5): what makes a read stale and a
// destroyed copy a lost write. A bounce slot's bytes stand for their original's (its logical target).

import { cacheView } from './cache';
import { hex } from './events';
import type { LineCause, MachineEvent } from './events';
import type { Hazard, Related } from './hazards';
import { readRuns, writeRuns } from './memory';
import { raise } from './report';
import { appendRuns, DataRun, pushRun, runsLength, zipRuns } from './runs';
import type { MachineState } from './state';
import { slotCopies, slotToOriginal } from './swiotlb';

/** Numbers a new write by `who` made at the running statement; the caller records where it lands. */
export function newWrite(s: MachineState, who: string): number {
  const seq = ++s.seq;
  s.writes.set(seq, { who, loc: s.loc });
  return seq;
}

/** The write becomes the newest data of logical bytes [phys, +len). */
export function recordNewest(s: MachineState, phys: number, len: number, value: number, seq: number): void {
  writeRuns(s.newest, phys, [{ len, value, seq }]);
}

export function newestRuns(s: MachineState, phys: number, len: number): DataRun[] {
  return readRuns(s.newest, phys, len);
}

/** Who made write `seq` and where, e.g. "isp wrote them at line 14". */
export function writerText(s: MachineState, seq: number): string {
  const w = s.writes.get(seq);
  if (!w || seq === 0) return 'nobody wrote them since boot (zero fill)';
  return `${w.who} wrote them${w.loc ? ` at line ${w.loc.line}` : ''}`;
}

export function writeRelated(s: MachineState, seq: number, what: string): Related[] {
  const w = s.writes.get(seq);
  return w?.loc ? [{ loc: w.loc, message: `${w.who} ${what} here` }] : [];
}

export interface Staleness {
  bytes: number;
  /** Offset in the read of the first stale byte. */
  firstOff: number;
  /** The newest write the read missed, and the write it returned instead. */
  newestSeq: number;
  gotSeq: number;
}

/** Compares what a read returned for logical bytes [phys, ...) with their newest writes. */
export function staleness(s: MachineState, phys: number, got: readonly DataRun[]): Staleness | undefined {
  let len = 0;
  for (const r of got) len += r.len;
  let res: Staleness | undefined;
  zipRuns([got, newestRuns(s, phys, len)], (pos, l, [g, n]) => {
    if (g.seq === n.seq) return;
    if (!res) res = { bytes: 0, firstOff: pos, newestSeq: n.seq, gotSeq: g.seq };
    res.bytes += l;
  });
  return res;
}

/** What destroyed a lost write: its kind is the hazard's detail. */
export type Loss =
  | { kind: 'write-back'; cause: LineCause }
  | { kind: 'invalidate' }
  | { kind: 'bounce-copy' }
  | { kind: 'slot-release'; slot: number; why: string };

/** How a lost-write message tells the loss. */
function lossText(loss: Loss): string {
  switch (loss.kind) {
    case 'write-back':
      return `write-back of dirty cache lines (${loss.cause})`;
    case 'invalidate':
      return 'invalidating dirty cache lines';
    case 'bounce-copy':
      return 'a bounce copy';
    case 'slot-release':
      return `releasing bounce slot ${hex(loss.slot)} (${loss.why})`;
  }
}

/** Stores `runs` over memory's [phys, +len): the data they overwrite may be a lost write. */
export function storeOver(s: MachineState, phys: number, len: number, runs: readonly DataRun[], loss: Loss): void {
  const old = readRuns(s.mem, phys, len);
  writeRuns(s.mem, phys, runs);
  checkLost(s, phys, old, loss);
}

/**
 * `loss` destroyed `destroyed` (the old contents at `phys`): any byte whose newest write now survives in no copy
 * (memory, a cache line, a bounce slot) is a lost write.
 */
export function checkLost(s: MachineState, phys: number, destroyed: readonly DataRun[], loss: Loss): void {
  let pos = 0;
  for (const d of destroyed) {
    if (d.seq >= 0) checkLostRun(s, phys + pos, d, loss);
    pos += d.len;
  }
}

/** `runs` laid `at` bytes into a range of `total` bytes, with no copy (sequence -1, as `cacheView` has) around them. */
function placed(at: number, runs: readonly DataRun[], total: number): DataRun[] {
  const out: DataRun[] = [];
  pushRun(out, { len: at, value: 0, seq: -1 });
  appendRuns(out, runs);
  pushRun(out, { len: total - at - runsLength(runs), value: 0, seq: -1 });
  return out;
}

function checkLostRun(s: MachineState, phys: number, d: DataRun, loss: Loss): void {
  const logical = slotToOriginal(s, phys) ?? phys;
  const newest = newestRuns(s, logical, d.len);
  if (!newest.some((n) => n.seq === d.seq)) return;
  const copies = [readRuns(s.mem, logical, d.len), cacheView(s, logical, d.len)];
  for (const c of slotCopies(s, logical, d.len)) {
    copies.push(placed(c.at, readRuns(s.mem, c.slot, c.len), d.len), placed(c.at, cacheView(s, c.slot, c.len), d.len));
  }
  let lost = 0;
  // From the first byte lost, not the run's first: a partly written line's write-back leaves the rest as it was.
  let from = logical;
  zipRuns([newest, ...copies], (p, l, [n, ...c]) => {
    if (n.seq !== d.seq || c.some((r) => r.seq === d.seq)) return;
    if (lost === 0) from = logical + p;
    lost += l;
  });
  if (lost === 0) return;
  const how = lossText(loss);
  // One hazard per lost write and cause within a statement, however many lines or pieces carried it: it counts them all.
  const key = `${d.seq}:${how}`;
  const message = (t: { bytes: number; from: number }): string => `${how} destroyed ${t.bytes} byte(s) at ${placeText(s, t.from)}: ${writerText(s, d.seq)} and no copy survives in memory, the cache or a bounce buffer`;
  const total = s.lostWrites.get(key);
  if (total) {
    total.bytes += lost;
    total.from = Math.min(total.from, from);
    total.hazard.message = message(total);
    // The event raised with it, when events are recorded, says the same.
    if (total.event) total.event.message = total.hazard.message;
    return;
  }
  raise(s, 'lost-write', message({ bytes: lost, from }), writeRelated(s, d.seq, 'wrote the lost data'), { detail: loss.kind });
  const event = s.recording ? s.events[s.events.length - 1] : undefined;
  s.lostWrites.set(key, { hazard: s.hazards[s.hazards.length - 1], bytes: lost, from, ...(event?.type === 'hazard' ? { event } : {}) });
}

/** A lost-write hazard of the running statement: the bytes it counts so far, the lowest address among them, its event. */
export interface LostTotal {
  hazard: Hazard;
  bytes: number;
  from: number;
  event?: Extract<MachineEvent, { type: 'hazard' }>;
}

/** "buf+0x40" for a physical address inside a live buffer, else the address. */
export function placeText(s: MachineState, phys: number): string {
  for (const b of s.buffers.values()) {
    // A released buffer may be pruned (prune.ts) and its pages reused: only a live one names the place.
    if (!b.live) continue;
    let off = 0;
    for (const seg of b.segs) {
      if (phys >= seg.phys && phys < seg.phys + seg.len) return `${b.name ?? `${b.kind} #${b.id}`}+${hex(off + phys - seg.phys)}`;
      off += seg.len;
    }
  }
  return `phys ${hex(phys)}`;
}
