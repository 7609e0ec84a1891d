// The typed syntax tree of a `.dmabuf` scenario (spec §2-§4), with source positions.
// The parser builds it, the resolver annotates it, the runtime executes it.
import type { DeviceConfig } from '../machine/device';

/** 1-based line and column, as editors and the `FILE:LINE:COL` format count them. */
export interface Pos {
  line: number;
  column: number;
}

/**
 * Read-only. The parser builds them as `SourceSpan` (span.ts), whose `start` and `end` are getters (one object
 * per span instead of three); JSON shows them as plain `{ start, end }`.
 */
export interface Span {
  start: Pos;
  /** Exclusive end. */
  end: Pos;
}

export type Direction = 'TO_DEVICE' | 'FROM_DEVICE' | 'BIDIRECTIONAL';

/** An argument as written. `word` covers identifiers and keywords (system, cma, cpu, none, SKIP_CPU_SYNC, READ, contiguous, hazard kinds such as stale-read). */
export type Arg =
  | { kind: 'number'; value: number; /** written with a K/M/G unit */ sized: boolean; span: Span }
  | { kind: 'word'; name: string; span: Span }
  | { kind: 'direction'; dir: Direction; span: Span }
  /** `DEV:DIR`, only meaningful in expect_owner. */
  | { kind: 'owner'; device: string; dir: Direction; span: Span };

export interface NamedArg {
  key: string;
  keySpan: Span;
  value: Arg;
}

export type Expectation =
  | { kind: 'value'; value: number; span: Span }
  | { kind: 'error'; span: Span };

/** `[NAME =] CALLEE(args) [expect V | expect error]`. CALLEE is an API name, a proc name, or `OBJ.METHOD` (cpu.read, isp.write, cache.evict_all). */
export interface CallStmt {
  kind: 'call';
  callee: string;
  calleeSpan: Span;
  target?: { name: string; span: Span };
  args: Arg[];
  named: NamedArg[];
  expect?: Expectation;
  span: Span;
  /** Filled by the resolver: see resolver.ts. */
  resolved?: ResolvedCall;
}

export interface PlatformDecl {
  kind: 'platform';
  arch: 'arm64' | 'arm' | 'x86_64';
  coherent?: boolean;
  swiotlbForce: boolean;
  span: Span;
}

export interface CacheDecl {
  kind: 'cache';
  size?: number;
  ways?: number;
  line?: number;
  prefetch?: 'none' | 'next-line' | 'speculative';
  span: Span;
}

export interface MemoryDecl {
  kind: 'memory';
  size: number;
  seed?: number;
  span: Span;
}

/** A device's declaration: the machine's device constraints, where the file states them. */
export interface DeviceDecl extends DeviceConfig {
  kind: 'device';
  nameSpan: Span;
  span: Span;
}

export interface ProcDecl {
  kind: 'proc';
  name: string;
  nameSpan: Span;
  params: { name: string; span: Span }[];
  body: Stmt[];
  span: Span;
  /** Position of the closing `}`. */
  endSpan: Span;
}

export interface RepeatStmt {
  kind: 'repeat';
  count: number;
  countSpan: Span;
  body: Stmt[];
  span: Span;
  endSpan: Span;
}

export type Decl = PlatformDecl | CacheDecl | MemoryDecl | DeviceDecl;
export type Stmt = Decl | ProcDecl | RepeatStmt | CallStmt;

export interface Program {
  file: string;
  /** Every statement of the file in order, declarations included. */
  body: Stmt[];
  platform?: PlatformDecl;
  cache?: CacheDecl;
  memory?: MemoryDecl;
  devices: Map<string, DeviceDecl>;
  procs: Map<string, ProcDecl>;
}

/**
 * What the resolver makes of a call: which operation it is and its arguments by parameter
 * name, already checked for kind and range. Handles are binding names, looked up at run time.
 *
 * - Optional parameters left out are absent from `args`; every flag parameter is present as `{ kind:'flag', set }`.
 * - `DEV.read/write`: op `device.read/write`, with `args.dev` the device (its span: the callee's).
 * - A proc call: op `proc`, `args.proc` = `{ kind:'word', name }`, `args.args` = `{ kind:'args', values }`, one value
 *   per parameter in order (a binding or an enclosing proc's parameter as `handle`, a device as `device`, a
 *   number, a direction, an owner, or a keyword such as `system` as `word`).
 * - Inside a proc body a parameter stands for what the call passed: where a device is expected it resolves to
 *   `{ kind:'device', name: PARAM }`, anywhere else to `{ kind:'handle', name: PARAM }`; the runtime looks the
 *   name up in the frame and checks the value's kind then.
 * - Resolutions and resolved values are shared between calls that resolve alike: never mutate them. Where each
 *   argument was written is the call's own: `argumentSpans(call)` (arguments.ts) works it out when asked.
 */
export interface ResolvedCall {
  /** An operation name from signatures.ts, or 'proc' for a procedure call. */
  op: string;
  args: Record<string, ResolvedValue>;
}

export type ResolvedValue =
  | { kind: 'number'; value: number }
  | { kind: 'handle'; name: string }
  | { kind: 'device'; name: string }
  | { kind: 'direction'; dir: Direction }
  | { kind: 'word'; name: string }
  | { kind: 'flag'; set: boolean }
  | { kind: 'owner'; owner: 'cpu' | 'none' | { device: string; dir: Direction } }
  | { kind: 'args'; values: ResolvedValue[] };
