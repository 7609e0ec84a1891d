// Matches a call's arguments to its signature (spec §4, signatures.ts): positional then named, flags by their
// word, each checked for kind and range and turned into the resolved value the runtime consumes.
import type { Arg, CallStmt, Direction, ResolvedCall, ResolvedValue, Span } from './ast';
import type { Spanned } from './span';
import type { DiagnosticList } from './diagnostics';
import { quoted } from '../text/shorten';
import { SIGNATURES, type HandleType, type Param, type Signature } from './signatures';
import { HAZARD_KINDS, isHazardKind } from '../machine/hazards';

function memo<K, V>(map: Map<K, V>, key: K, make: (key: K) => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make(key)));
  return v;
}
const makeHandle = (name: string): ResolvedValue => ({ kind: 'handle', name });
const makeDevice = (name: string): ResolvedValue => ({ kind: 'device', name });
const makeWord = (name: string): ResolvedValue => ({ kind: 'word', name });
const makeNumber = (value: number): ResolvedValue => ({ kind: 'number', value });
const makeDirection = (dir: Direction): ResolvedValue => ({ kind: 'direction', dir });
const FLAG_SET: ResolvedValue = { kind: 'flag', set: true };
const FLAG_UNSET: ResolvedValue = { kind: 'flag', set: false };

/**
 * Resolved values, shared by every call of a file that passes the same thing (the runtime never mutates
 * them): a million-statement scenario then holds thousands of these, not millions.
 */
export class ValueCache {
  private readonly handles = new Map<string, ResolvedValue>();
  private readonly devices = new Map<string, ResolvedValue>();
  private readonly words = new Map<string, ResolvedValue>();
  private readonly numbers = new Map<number, ResolvedValue>();
  private readonly directions = new Map<Direction, ResolvedValue>();
  private readonly records = new Map<Signature, RecordNode>();

  handle(name: string): ResolvedValue { return memo(this.handles, name, makeHandle); }
  device(name: string): ResolvedValue { return memo(this.devices, name, makeDevice); }
  word(name: string): ResolvedValue { return memo(this.words, name, makeWord); }
  number(value: number): ResolvedValue { return memo(this.numbers, value, makeNumber); }
  direction(dir: Direction): ResolvedValue { return memo(this.directions, dir, makeDirection); }
  flag(set: boolean): ResolvedValue { return set ? FLAG_SET : FLAG_UNSET; }

  /**
   * The resolution of a call of `sig` passing `dev` (the callee's device, for `DEV.read`) and `values` (its
   * first entries, one per parameter, undefined when left out): one shared resolution per distinct combination,
   * found through a trie keyed by the (themselves shared) values.
   */
  resolution(sig: Signature, dev: ResolvedValue | undefined, values: readonly (ResolvedValue | undefined)[]): ResolvedCall {
    let node = childOf(memo(this.records, sig, newRecordNode), dev);
    for (let i = 0; i < sig.params.length; i++) node = childOf(node, values[i]);
    if (!node.resolution) {
      const args: Record<string, ResolvedValue> = dev ? { dev } : {};
      sig.params.forEach((p, i) => {
        const v = values[i];
        if (v) args[p.name] = v;
      });
      node.resolution = { op: sig.op, args };
    }
    return node.resolution;
  }
}

/**
 * A trie node: its first child inline, any other in a Map made only then. Calls that each pass their own handle
 * (an imported trace names every buffer apart) make paths of single children: a Map per node was most of parsing's
 * garbage.
 */
interface RecordNode {
  key?: ResolvedValue;
  child?: RecordNode;
  more?: Map<ResolvedValue | undefined, RecordNode>;
  resolution?: ResolvedCall;
}

const newRecordNode = (): RecordNode => ({});

/** The child of `node` for `key` (undefined: a value left out), made if new. */
function childOf(node: RecordNode, key: ResolvedValue | undefined): RecordNode {
  if (node.child === undefined) {
    node.key = key;
    return (node.child = newRecordNode());
  }
  if (node.key === key) return node.child;
  return memo((node.more ??= new Map()), key, newRecordNode);
}

/** What `NameLookup.handle` answers for a proc parameter: it may hold any type, known only when the proc runs. */
export const ANY_HANDLE: ReadonlySet<HandleType> = new Set();

/**
 * How the resolver answers for names; each method reports its own errors (at `where.span`, built only then)
 * and then returns undefined.
 */
export interface NameLookup {
  /** The handle types a binding may hold (ANY_HANDLE for a proc parameter); its value is `values.handle(name)`. */
  handle(name: string, where: Spanned): ReadonlySet<HandleType> | undefined;
  device(name: string, where: Spanned): ResolvedValue | undefined;
  /** A proc parameter: it stands for whatever the call passes, checked when the proc runs. */
  isParam(name: string): boolean;
  readonly values: ValueCache;
}

const HANDLE_NAMES: Record<HandleType, string> = {
  cpu_ptr: 'a CPU pointer', dma_handle: 'a DMA handle', sg: 'an sg mapping',
  coherent: 'a coherent buffer', dmabuf: 'a dma-buf', attachment: 'an attachment',
};

export function handleTypeName(t: HandleType): string {
  return HANDLE_NAMES[t];
}

/** What is wrong with a number for a parameter of this kind, if anything (spec §2: literals out of range). */
export function numberProblem(kind: 'size' | 'number' | 'byte', v: number): string | undefined {
  if (kind === 'size') return v === 0 ? 'a size must not be zero' : v < 0 ? `a size must be positive, not ${v}` : undefined;
  if (v < 0) return `must not be negative, not ${v}`;
  if (kind === 'byte' && v > 0xff) return `byte value 0x${v.toString(16).toUpperCase()} is above 0xFF`;
  return undefined;
}

/** The call as a reader writes it: `dma_map_single(dev, p, size, dir [, offset=] [, SKIP_CPU_SYNC])`. */
export function describeSignature(sig: Signature): string {
  const parts = sig.params.map((p) => {
    const shown = p.type.kind === 'flag' ? p.type.word : p.namedOnly ? `${p.name}=` : p.name;
    return p.optional || p.type.kind === 'flag' ? `[${shown}]` : shown;
  });
  return `${sig.op.replace(/^device\./, 'DEV.')}(${parts.join(', ')})`;
}

function shown(arg: Arg): string {
  switch (arg.kind) {
    case 'number': return `${arg.value}`;
    case 'word': return quoted(arg.name);
    case 'direction': return arg.dir;
    case 'owner': return `${arg.device}:${arg.dir}`;
  }
}

const DIRECTION_HINT = 'a direction (TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL)';

/** An owner for expect_owner: `cpu`, `none` or `DEV:DIR` with a declared device. */
export function ownerValue(arg: Arg, names: NameLookup, diags: DiagnosticList): ResolvedValue | undefined {
  if (arg.kind === 'word' && (arg.name === 'cpu' || arg.name === 'none')) return { kind: 'owner', owner: arg.name };
  if (arg.kind === 'owner') {
    if (names.isParam(arg.device)) {
      diags.error(arg.span, `an owner names a declared device; the parameter ${quoted(arg.device)} cannot stand for one`);
      return undefined;
    }
    return names.device(arg.device, arg) && { kind: 'owner', owner: { device: arg.device, dir: arg.dir } };
  }
  diags.error(arg.span, `expected an owner (cpu, none or DEV:DIR), not ${shown(arg)}`);
  return undefined;
}

function wrongKind(op: string, p: Param, arg: Arg, expected: string, diags: DiagnosticList): undefined {
  diags.error(arg.span, `argument '${p.name}' of ${op}: expected ${expected}, not ${shown(arg)}`);
  return undefined;
}

function accepted(types: ReadonlySet<HandleType>, accepts: readonly HandleType[]): boolean {
  for (let i = 0; i < accepts.length; i++) if (types.has(accepts[i])) return true;
  return false;
}

/** One argument for one parameter; undefined (after reporting) when it does not fit. */
function convert(op: string, p: Param, arg: Arg, names: NameLookup, diags: DiagnosticList): ResolvedValue | undefined {
  const t = p.type;
  // A proc parameter is a binding of the proc's frame: the runtime substitutes what the call passed.
  const values = names.values;
  if (arg.kind === 'word' && names.isParam(arg.name)) return t.kind === 'device' ? values.device(arg.name) : values.handle(arg.name);
  switch (t.kind) {
    case 'size':
    case 'number':
    case 'byte': {
      if (arg.kind !== 'number') return wrongKind(op, p, arg, t.kind === 'byte' ? 'a byte value' : `a ${t.kind}`, diags);
      const problem = numberProblem(t.kind, arg.value);
      if (problem) diags.error(arg.span, `argument '${p.name}' of ${op}: ${problem}`);
      return problem ? undefined : values.number(arg.value);
    }
    case 'device':
      return arg.kind === 'word' ? names.device(arg.name, arg) : wrongKind(op, p, arg, 'a device', diags);
    case 'handle': {
      if (arg.kind !== 'word') return wrongKind(op, p, arg, t.accepts.map(handleTypeName).join(' or '), diags);
      const types = names.handle(arg.name, arg);
      // No type at all: bound to a call that returns nothing, which is reported where it is bound.
      if (!types || (types !== ANY_HANDLE && types.size === 0)) return undefined;
      if (types !== ANY_HANDLE && !accepted(types, t.accepts)) {
        const has = [...types].map(handleTypeName).join(' or ');
        diags.error(arg.span, `argument '${p.name}' of ${op}: ${quoted(arg.name)} is ${has}, but ${op} takes ${t.accepts.map(handleTypeName).join(' or ')}`);
        return undefined;
      }
      return values.handle(arg.name);
    }
    case 'direction':
      return arg.kind === 'direction' ? values.direction(arg.dir) : wrongKind(op, p, arg, DIRECTION_HINT, diags);
    case 'word':
      return arg.kind === 'word' && t.choices.includes(arg.name) ? values.word(arg.name) : wrongKind(op, p, arg, t.choices.join(' or '), diags);
    case 'owner':
      return ownerValue(arg, names, diags);
    case 'hazardKind':
      return arg.kind === 'word' && isHazardKind(arg.name) ? values.word(arg.name) : wrongKind(op, p, arg, `a hazard kind (${HAZARD_KINDS.join(', ')})`, diags);
    case 'flag':
      return values.flag(true);
  }
}

const POSITIONAL = new Map<Signature, number[]>();

/** The indexes of the parameters that positional arguments fill, in order (not flags, not named-only). */
function positionalParams(sig: Signature): number[] {
  let list = POSITIONAL.get(sig);
  if (!list) {
    list = [];
    sig.params.forEach((p, i) => p.type.kind !== 'flag' && !p.namedOnly && list!.push(i));
    POSITIONAL.set(sig, list);
  }
  return list;
}

/**
 * Per-parameter scratch lists, reused by every call (one call is matched and resolved at a time): the first `n`
 * entries are cleared; entries past them are stale and never read.
 */
const GIVEN: (Arg | undefined)[] = [];
const VALUES: (ResolvedValue | undefined)[] = [];

function scratch<T>(list: (T | undefined)[], n: number): (T | undefined)[] {
  for (let i = 0; i < n; i++) list[i] = undefined;
  return list;
}

/** The index of the flag parameter written as `word`, or -1. */
function flagParam(params: readonly Param[], word: string): number {
  for (let i = 0; i < params.length; i++) {
    const t = params[i].type;
    if (t.kind === 'flag' && t.word === word) return i;
  }
  return -1;
}

/** The index of the non-flag parameter called `key`, or -1. */
function namedParam(params: readonly Param[], key: string): number {
  for (let i = 0; i < params.length; i++) if (params[i].name === key && params[i].type.kind !== 'flag') return i;
  return -1;
}

/**
 * Which argument fills each parameter of `sig` (flags by their word, then positional, then named), reporting
 * mistakes into `diags` when given.
 */
function matchArguments(sig: Signature, stmt: CallStmt, diags?: DiagnosticList): (Arg | undefined)[] {
  const params = sig.params;
  const given = scratch(GIVEN, params.length);
  const positional = positionalParams(sig);
  let next = 0;
  const args = stmt.args;
  // Indexed loops: `args` comes from a getter, and iterating it with for-of would allocate an iterator per call.
  for (let k = 0; k < args.length; k++) {
    const arg = args[k];
    const flag = arg.kind === 'word' ? flagParam(params, arg.name) : -1;
    if (flag >= 0 && given[flag]) diags?.error(arg.span, `${shown(arg)} given twice`);
    else if (flag >= 0) given[flag] = arg;
    else if (next < positional.length) given[positional[next++]] = arg;
    else {
      diags?.error(arg.span, `too many arguments: the call is ${describeSignature(sig)}`);
      break;
    }
  }
  const named = stmt.named;
  for (let k = 0; k < named.length; k++) {
    const n = named[k];
    const i = namedParam(params, n.key);
    if (i < 0) diags?.error(n.keySpan, `${stmt.callee} has no argument named ${quoted(n.key)}: the call is ${describeSignature(sig)}`);
    else if (given[i]) diags?.error(n.keySpan, `argument ${quoted(n.key)} given twice`);
    else given[i] = n.value;
  }
  return given;
}

/**
 * Where each argument of a resolved call was written (the editor's inline values ask): worked out from the call's
 * tokens when asked, since resolutions are shared between calls and a file holds millions of calls.
 */
export function argumentSpans(stmt: CallStmt): Record<string, Span> {
  const r = stmt.resolved;
  if (r?.op === 'proc') return { proc: stmt.calleeSpan };
  const sig = r && SIGNATURES.get(r.op);
  if (!sig) return {};
  // `DEV.read`: the only way to reach a device.* operation, whose device is the callee itself.
  const spans: Record<string, Span> = sig.op.startsWith('device.') ? { dev: stmt.calleeSpan } : {};
  const given = matchArguments(sig, stmt);
  sig.params.forEach((p, i) => {
    const arg = given[i];
    if (arg) spans[p.name] = arg.span;
  });
  return spans;
}

/** Resolves a call against its signature; `device` is what the callee itself names (the device of `DEV.read`). */
export function resolveArguments(
  sig: Signature,
  stmt: CallStmt,
  names: NameLookup,
  diags: DiagnosticList,
  device?: { value?: ResolvedValue },
): ResolvedCall {
  const params = sig.params;
  const given = matchArguments(sig, stmt, diags);
  const values = scratch(VALUES, params.length);
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const arg = given[i];
    if (p.type.kind === 'flag') values[i] = names.values.flag(arg !== undefined);
    else if (arg) values[i] = convert(stmt.callee, p, arg, names, diags);
    else if (!p.optional) diags.error(stmt.calleeSpan, `missing argument '${p.name}': the call is ${describeSignature(sig)}`);
  }
  return names.values.resolution(sig, device?.value, values);
}
