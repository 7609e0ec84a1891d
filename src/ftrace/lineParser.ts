// Splits one line of `/sys/kernel/tracing/trace`, `trace_pipe` or `trace-cmd report` text into its context columns
// (task-pid, optional tgid, cpu, flags, timestamp), the event name and the event's text; hand-written for speed,
// since a capture can hold millions of lines.
import { isBlank, isDigit } from './chars';
import { Interner } from './intern';
import { NO_CONTEXT, TraceRecord, type ContextColumns, type RecordKind } from './record';
import { EXACT } from './recordLayout';

const LOST = /^CPU:?\s*(\d+)\s*\[(?:LOST (\d+) EVENTS|(\d+) EVENTS DROPPED)\]/;
/** trace-cmd report's preamble and per-CPU notes. */
const TRACE_CMD_HEADER = /^(?:cpus=\d+|version = |CPU \d+ is empty|trace-cmd: |Lost events|\s*Unknown event)/;

/** Event names: a handful repeat over millions of lines. */
const names = new Interner();
/** The columns of the line being parsed: TraceRecord copies them, so one object serves every line. */
const columns: ContextColumns = { taskAt: 0, taskEnd: 0, pid: -1, tgid: -1, cpu: -1, flagsAt: 0, flagsEnd: 0, timestamp: 0 };


/** The first index of char code `c` in s[from, to), or -1: a loop the JIT inlines, cheaper than indexOf on a short span. */
function charIn(s: string, c: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === c) return i;
  return -1;
}

/** The last index of char code `c` in s[from, to), or -1. */
function lastCharIn(s: string, c: number, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (s.charCodeAt(i) === c) return i;
  return -1;
}

function record(kind: RecordKind, s: string, start: number, end: number, line: number, offset: number, body: string): TraceRecord {
  return new TraceRecord(kind, line, offset, '', body, s, start, end);
}

function malformed(s: string, start: number, end: number, line: number, offset: number, why: string): TraceRecord {
  return record('malformed', s, start, end, line, offset, why);
}

/** Parses seconds printed as `SSSS.UUUUUU` (any number of digits) in s[from, to); NaN if it is not that. */
function seconds(s: string, from: number, to: number): number {
  let whole = 0;
  let i = from;
  for (; i < to && isDigit(s.charCodeAt(i)); i++) whole = whole * 10 + (s.charCodeAt(i) - 48);
  if (i === from) return NaN;
  if (i === to) return whole;
  if (s.charCodeAt(i) !== 46 /* . */) return NaN;
  let frac = 0;
  let scale = 1;
  for (i++; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return NaN;
    frac = frac * 10 + (c - 48);
    scale *= 10;
  }
  // One division of exact integers gives the double nearest the printed value (6.1995, not 6.1995000000000005).
  const n = whole * scale + frac;
  return n < EXACT ? n / scale : whole + frac / scale;
}

/** Parses a decimal integer in s[from, to); -1 if it is not one. */
function decimal(s: string, from: number, to: number): number {
  if (from >= to) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** The `[CPU]` column: the first `[digits]` in the line. Returns the index of '[' or -1. */
function findCpuColumn(s: string, from: number, to: number): number {
  for (let i = charIn(s, 91 /* [ */, from, to); i >= 0; i = charIn(s, 91, i + 1, to)) {
    let j = i + 1;
    while (j < to && isDigit(s.charCodeAt(j))) j++;
    if (j > i + 1 && j < to && s.charCodeAt(j) === 93 /* ] */) return i;
  }
  return -1;
}

/** Lines this long or longer are not read; no capture has one near it (an event prints at most a page or so). */
export const MAX_LINE = 16 * 2 ** 20;
/** What a reader puts in place of a line of MAX_LINE or more: it parses as that line, malformed (as it would be). */
export const CUT_LINE = `<a line of ${MAX_LINE / 2 ** 20} MiB or longer, not read>`;

/**
 * Parses the line s[start, end) (no terminator).
 * Never throws: what it cannot read comes back as a `malformed` record saying why. A blank line gives undefined.
 */
export function parseLine(s: string, start: number, end: number, line: number, offset: number): TraceRecord | undefined {
  if (s.startsWith(CUT_LINE, start)) return malformed(s, start, end, line, offset, `${MAX_LINE / 2 ** 20} MiB or longer: not read`);
  let i = start;
  // A UTF-8 byte order mark (as read, latin1) before the file's first line, as a Windows editor may save one.
  if (offset === 0 && s.startsWith('\xef\xbb\xbf', start)) i += 3;
  while (i < end && isBlank(s.charCodeAt(i))) i++;
  if (i >= end) return undefined;
  const first = s.charCodeAt(i);
  if (first === 35 /* # */) return record(s.startsWith('#####', i) ? 'header' : 'comment', s, start, end, line, offset, s.slice(i + 1, end).trim());
  if (first === 67 /* C */ && s.startsWith('CPU', i)) {
    const m = LOST.exec(s.slice(i, end));
    if (m) return new TraceRecord('lost', line, offset, '', '', s, start, end, -1, { ...NO_CONTEXT, cpu: Number(m[1]) }, Number(m[2] ?? m[3]));
  }
  const bracket = findCpuColumn(s, i, end);
  if (bracket < 0) return TRACE_CMD_HEADER.test(s.slice(i, end)) ? record('header', s, start, end, line, offset, s.slice(i, end)) : malformed(s, start, end, line, offset, 'no [CPU] column');

  // TASK-PID [(TGID)] before the CPU column.
  let e = bracket;
  while (e > i && isBlank(s.charCodeAt(e - 1))) e--;
  let tgid = -1;
  if (e > i && s.charCodeAt(e - 1) === 41 /* ) */) {
    const open = lastCharIn(s, 40 /* ( */, i, e - 1);
    if (open < 0) return malformed(s, start, end, line, offset, 'unbalanced (TGID) column');
    let a = open + 1;
    while (a < e - 1 && isBlank(s.charCodeAt(a))) a++;
    tgid = decimal(s, a, e - 1);
    e = open;
    while (e > i && isBlank(s.charCodeAt(e - 1))) e--;
  }
  const dash = lastCharIn(s, 45 /* - */, i, e);
  if (dash < 0) return malformed(s, start, end, line, offset, 'no TASK-PID column');
  const pid = decimal(s, dash + 1, e);
  if (pid < 0) return malformed(s, start, end, line, offset, 'the PID is not a number');

  let j = charIn(s, 93 /* ] */, bracket, end);
  const cpu = decimal(s, bracket + 1, j);
  j++;
  // Optional flags column, then the timestamp ending in ':'.
  while (j < end && isBlank(s.charCodeAt(j))) j++;
  let tokEnd = j;
  while (tokEnd < end && !isBlank(s.charCodeAt(tokEnd))) tokEnd++;
  let flagsAt = j;
  let flagsEnd = j;
  if (s.charCodeAt(tokEnd - 1) !== 58 /* : */ || !isDigit(s.charCodeAt(j))) {
    flagsAt = j;
    flagsEnd = tokEnd;
    j = tokEnd;
    while (j < end && isBlank(s.charCodeAt(j))) j++;
    tokEnd = j;
    while (tokEnd < end && !isBlank(s.charCodeAt(tokEnd))) tokEnd++;
  }
  if (tokEnd <= j || s.charCodeAt(tokEnd - 1) !== 58) return malformed(s, start, end, line, offset, 'no TIMESTAMP: column');
  const timestamp = seconds(s, j, tokEnd - 1);
  if (Number.isNaN(timestamp)) return malformed(s, start, end, line, offset, 'the timestamp is not a number');

  j = tokEnd;
  while (j < end && isBlank(s.charCodeAt(j))) j++;
  const colon = charIn(s, 58 /* : */, j, end);
  if (colon < 0 || colon === j) return malformed(s, start, end, line, offset, 'no EVENT: name');
  for (let k = j; k < colon; k++) {
    const c = s.charCodeAt(k);
    if (!(isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return malformed(s, start, end, line, offset, 'the event name is not an identifier');
  }
  let b = colon + 1;
  while (b < end && isBlank(s.charCodeAt(b))) b++;
  const c = columns;
  c.taskAt = i;
  c.taskEnd = dash;
  c.pid = pid;
  c.tgid = tgid;
  c.cpu = cpu;
  c.flagsAt = flagsAt;
  c.flagsEnd = flagsEnd;
  c.timestamp = timestamp;
  const event = names.get(s, j, colon);
  // trace-cmd prints the ftrace marker as a `print` event whose text starts with the marker's name.
  if (event === 'print' && s.startsWith('tracing_mark_write: ', b)) {
    return new TraceRecord('event', line, offset, 'tracing_mark_write', '', s, start, end, b + 'tracing_mark_write: '.length, c);
  }
  return new TraceRecord('event', line, offset, event, '', s, start, end, b, c);
}
