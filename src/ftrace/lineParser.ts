// Splits one line of `/sys/kernel/tracing/trace`, `trace_pipe` or `trace-cmd report` text into its context columns
// (task-pid, optional tgid, cpu, flags, timestamp), the event name and the event's text; hand-written for speed,
// since a capture can hold millions of lines.
import { TraceRecord, type ContextColumns, type RecordKind } from './record';

const SPACE = 32;
const TAB = 9;
const LOST = /^CPU:?\s*(\d+)\s*\[(?:LOST (\d+) EVENTS|(\d+) EVENTS DROPPED)\]/;
/** trace-cmd report's preamble and per-CPU notes. */
const TRACE_CMD_HEADER = /^(?:cpus=\d+|version = |CPU \d+ is empty|trace-cmd: |Lost events|\s*Unknown event)/;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function record(kind: RecordKind, s: string, start: number, end: number, line: number, offset: number, body: string): TraceRecord {
  return new TraceRecord(kind, line, offset, '', body, s, start, end);
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
  return whole + frac / scale;
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
  for (let i = s.indexOf('[', from); i >= 0 && i < to; i = s.indexOf('[', i + 1)) {
    let j = i + 1;
    while (j < to && isDigit(s.charCodeAt(j))) j++;
    if (j > i + 1 && j < to && s.charCodeAt(j) === 93 /* ] */) return i;
  }
  return -1;
}

/**
 * Parses the line s[start, end) (no terminator).
 * Never throws: what it cannot read comes back as a `malformed` record saying why. A blank line gives undefined.
 */
export function parseLine(s: string, start: number, end: number, line: number, offset: number): TraceRecord | undefined {
  let i = start;
  while (i < end && isBlank(s.charCodeAt(i))) i++;
  if (i >= end) return undefined;
  const first = s.charCodeAt(i);
  if (first === 35 /* # */) return record(s.startsWith('#####', i) ? 'header' : 'comment', s, start, end, line, offset, s.slice(i + 1, end).trim());
  if (first === 67 /* C */ && s.startsWith('CPU', i)) {
    const m = LOST.exec(s.slice(i, end));
    if (m) return new TraceRecord('lost', line, offset, '', '', s, start, end, -1, { taskAt: 0, taskEnd: 0, pid: -1, tgid: -1, cpu: Number(m[1]), flagsAt: 0, flagsEnd: 0, timestamp: 0 }, Number(m[2] ?? m[3]));
  }
  const bad = (why: string): TraceRecord => record('malformed', s, start, end, line, offset, why);
  const bracket = findCpuColumn(s, i, end);
  if (bracket < 0) return TRACE_CMD_HEADER.test(s.slice(i, end)) ? record('header', s, start, end, line, offset, s.slice(i, end)) : bad('no [CPU] column');

  // TASK-PID [(TGID)] before the CPU column.
  let e = bracket;
  while (e > i && isBlank(s.charCodeAt(e - 1))) e--;
  let tgid = -1;
  if (e > i && s.charCodeAt(e - 1) === 41 /* ) */) {
    const open = s.lastIndexOf('(', e - 1);
    if (open < i) return bad('unbalanced (TGID) column');
    let a = open + 1;
    while (a < e - 1 && isBlank(s.charCodeAt(a))) a++;
    tgid = decimal(s, a, e - 1);
    e = open;
    while (e > i && isBlank(s.charCodeAt(e - 1))) e--;
  }
  const dash = s.lastIndexOf('-', e - 1);
  if (dash < i) return bad('no TASK-PID column');
  const pid = decimal(s, dash + 1, e);
  if (pid < 0) return bad('the PID is not a number');

  let j = s.indexOf(']', bracket);
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
  if (tokEnd <= j || s.charCodeAt(tokEnd - 1) !== 58) return bad('no TIMESTAMP: column');
  const timestamp = seconds(s, j, tokEnd - 1);
  if (Number.isNaN(timestamp)) return bad('the timestamp is not a number');

  j = tokEnd;
  while (j < end && isBlank(s.charCodeAt(j))) j++;
  const colon = s.indexOf(':', j);
  if (colon < 0 || colon >= end || colon === j) return bad('no EVENT: name');
  for (let k = j; k < colon; k++) {
    const c = s.charCodeAt(k);
    if (!(isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return bad('the event name is not an identifier');
  }
  let b = colon + 1;
  while (b < end && isBlank(s.charCodeAt(b))) b++;
  const c: ContextColumns = { taskAt: i, taskEnd: dash, pid, tgid, cpu, flagsAt, flagsEnd, timestamp };
  const event = s.slice(j, colon);
  // trace-cmd prints the ftrace marker as a `print` event whose text starts with the marker's name.
  if (event === 'print' && s.startsWith('tracing_mark_write: ', b)) {
    return new TraceRecord('event', line, offset, 'tracing_mark_write', '', s, start, end, b + 'tracing_mark_write: '.length, c);
  }
  return new TraceRecord('event', line, offset, event, '', s, start, end, b, c);
}
