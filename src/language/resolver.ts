// Checks a parsed scenario before anything runs (spec §2-§4): declarations, names, procs, arguments and
// handle types, and fills each call's `resolved` for the runtime.
import type { Arg, CallStmt, CacheDecl, MemoryDecl, PlatformDecl, ProcDecl, Program, RepeatStmt, ResolvedCall, ResolvedValue, Span, Stmt } from './ast';
import { ANY_HANDLE, numberProblem, ownerValue, resolveArguments, ValueCache, type NameLookup } from './arguments';
import { CallNode, expectedOf, lineOfStmt, targetNameOf } from './callNode';
import { ResolutionMemo } from './resolutionMemo';
import { startLine, type Spanned } from './span';
import type { DiagnosticList } from './diagnostics';
import { quoted } from '../text/shorten';
import { RESERVED, SIGNATURES, type HandleType, type Signature } from './signatures';
import { isHazardKind } from '../machine/hazards';

/** The handle types a name may hold at a point; empty when unknown (bound by a call the resolver could not place). */
type Types = ReadonlySet<HandleType>;

const UNKNOWN_TYPE: Types = new Set();
const SINGLE_TYPES = new Map<HandleType, Types>();

/** The (shared, never mutated) type set of a name bound by a call returning `t`. */
function typesOf(t: HandleType | undefined): Types {
  if (!t) return UNKNOWN_TYPE;
  let set = SINGLE_TYPES.get(t);
  if (!set) SINGLE_TYPES.set(t, (set = new Set([t])));
  return set;
}

/** Fixed words a proc call may pass on: heap names, sync phases, flags, owners. */
const KEYWORD_WORDS = new Set<string>(['cpu', 'none']);
for (const sig of SIGNATURES.values()) {
  for (const p of sig.params) {
    if (p.type.kind === 'word') p.type.choices.forEach((w) => KEYWORD_WORDS.add(w));
    if (p.type.kind === 'flag') KEYWORD_WORDS.add(p.type.word);
  }
}

// Statement lists are walked with indexed loops: for-of over a million statements allocates an iterator result each.

/** Every name a body binds (repeats included), with all the types it may take and the line of its first binding. */
function bindingsOf(body: Stmt[], types: Map<string, Set<HandleType>>, lines: Map<string, number>): void {
  for (let k = 0; k < body.length; k++) {
    const s = body[k];
    if (s.kind === 'repeat') bindingsOf(s.body, types, lines);
    if (s.kind !== 'call') continue;
    const name = targetNameOf(s);
    if (name === undefined) continue;
    let set = types.get(name);
    if (!set) types.set(name, (set = new Set()));
    const returns = SIGNATURES.get(s.callee)?.returns;
    if (returns) set.add(returns);
    if (!lines.has(name)) lines.set(name, lineOfStmt(s));
  }
}

/** The names visible in the top level or in one proc body, as the statements are walked in order. */
class Scope implements NameLookup {
  /** Bound so far on this path. */
  readonly env = new Map<string, Types>();
  readonly params: Set<string>;
  /** Top-level names this proc uses, and the procs it calls. */
  readonly free = new Set<string>();
  readonly calls: { name: string; span: Span }[] = [];
  /** Where each name of this body is first bound, for "used before it is bound". */
  readonly bound = new Map<string, number>();
  readonly types = new Map<string, Set<HandleType>>();
  readonly values: ValueCache;
  /** The line of the statement being resolved. */
  line = 0;
  /**
   * This scope's bindings now, as a number no other scope or moment of it has (`Resolver.newVersion`): resolutions
   * remembered under another no longer hold, and the scopes can share one memo.
   */
  private version: number;

  constructor(private readonly r: Resolver, readonly proc: ProcDecl | undefined, body: Stmt[]) {
    this.version = r.newVersion();
    this.values = r.values;
    this.params = new Set(proc?.params.map((p) => p.name));
    bindingsOf(body, this.types, this.bound);
  }

  setTypes(name: string, types: Types): void {
    if (this.env.get(name) === types) return;
    this.env.set(name, types);
    this.version = this.r.newVersion();
  }

  /** Resolves a call's arguments, once for all calls written alike under the same bindings. */
  resolve(sig: Signature, s: CallStmt, device?: { value?: ResolvedValue }): ResolvedCall {
    // A device callee that did not resolve may resolve further down (where its declaration is above): not alike.
    const node = s instanceof CallNode && (!device || device.value) ? s : undefined;
    const hash = node ? node.argumentsHash() : 0;
    const known = node && this.r.memo.find(node, hash, this.version);
    if (known) return known;
    const diags = this.r.diags;
    const errors = diags.items.length;
    const resolved = resolveArguments(sig, s, this, diags, device);
    if (node && diags.items.length === errors) this.r.memo.remember(node, hash, this.version, resolved);
    return resolved;
  }

  isParam(name: string): boolean {
    return this.params.has(name);
  }

  handle(name: string, where: Spanned): Types | undefined {
    if (this.params.has(name)) return ANY_HANDLE;
    const local = this.env.get(name);
    if (local) return local;
    const top = this.proc ? this.r.top?.types.get(name) : undefined;
    if (top) {
      this.free.add(name);
      return top;
    }
    const span = where.span;
    const later = this.bound.get(name);
    if (later !== undefined) this.r.diags.error(span, `${quoted(name)} is used before it is bound (at line ${later})`);
    else if (this.r.program.devices.has(name)) this.r.diags.error(span, `${quoted(name)} is a device, not a handle`);
    else if (name.includes('-')) this.r.diags.error(span, `${quoted(name)}: a hazard kind is only valid as expect_hazard's argument`);
    else this.r.diags.error(span, `unknown name ${quoted(name)}`);
    return undefined;
  }

  /** A device named on line `this.line` must be declared above it. */
  device(name: string, where: Spanned): ResolvedValue | undefined {
    if (this.params.has(name)) return this.values.device(name);
    const d = this.r.program.devices.get(name);
    if (d && startLine(d.span) < this.line) return this.values.device(name);
    const span = where.span;
    if (d) this.r.diags.error(span, `device ${quoted(name)} is used before its declaration at line ${d.span.start.line}`);
    else if (this.env.has(name) || this.bound.has(name)) this.r.diags.error(span, `${quoted(name)} is a handle, not a device`);
    else this.r.diags.error(span, `unknown device ${quoted(name)}`);
    return undefined;
  }
}

function methodsOf(obj: string): string {
  return [...SIGNATURES.keys()].filter((op) => op.startsWith(obj + '.')).map((op) => op.slice(obj.length + 1)).join(', ');
}

/** A call's callee as the place to report a name it uses. */
class CalleeOf implements Spanned {
  constructor(private readonly s: CallStmt) {}

  get span(): Span {
    return this.s.calleeSpan;
  }
}

class Resolver {
  top?: Scope;
  readonly values = new ValueCache();
  /** One memo for every scope (a table per proc cost 32 KB each: 50,000 procs took 6.5 s to parse). */
  readonly memo = new ResolutionMemo();
  private versions = 0;
  /** For each proc, every top-level name it uses, directly or through the procs it calls. */
  private readonly closures = new Map<string, Set<string>>();
  private readonly dotted = new Map<string, { obj: string; method: string } | undefined>();

  constructor(readonly program: Program, readonly diags: DiagnosticList) {}

  /** A bindings version no scope has had yet. */
  newVersion(): number {
    return ++this.versions;
  }

  run(): void {
    this.declarations();
    this.top = new Scope(this, undefined, this.program.body);
    const scopes = new Map<string, Scope>();
    for (const proc of this.program.procs.values()) {
      const scope = new Scope(this, proc, proc.body);
      this.block(proc.body, scope);
      scopes.set(proc.name, scope);
    }
    this.closeProcs(scopes);
    this.block(this.program.body, this.top);
  }

  /** `span` may be a function: a binding's span is built only to report an error. */
  private nameCheck(name: string, span: Span | (() => Span), what: string): boolean {
    const clash = RESERVED.has(name) ? 'is reserved' : name.includes('-') ? 'is not an identifier' : undefined;
    if (clash) this.diags.error(typeof span === 'function' ? span() : span, `${quoted(name)} ${clash} and cannot name a ${what}`);
    return !clash;
  }

  /** Collects the declarations and procs of the file, each at most once. */
  private declarations(): void {
    const p = this.program;
    let firstRun: CallStmt | RepeatStmt | undefined;
    const once = (decl: PlatformDecl | CacheDecl | MemoryDecl, prev: { span: Span } | undefined): boolean => {
      if (prev) this.diags.error(decl.span, `${quoted(decl.kind)} declared twice (first at line ${prev.span.start.line})`);
      else if (firstRun) this.diags.error(decl.span, `${quoted(decl.kind)} must come before the first statement that runs (line ${firstRun.span.start.line})`);
      return !prev;
    };
    for (let k = 0; k < p.body.length; k++) {
      const s = p.body[k];
      if (s.kind === 'platform' && once(s, p.platform)) p.platform = s;
      else if (s.kind === 'cache' && once(s, p.cache)) p.cache = s;
      else if (s.kind === 'memory' && once(s, p.memory)) p.memory = s;
      else if (s.kind === 'device' && this.nameCheck(s.name, s.nameSpan, 'device')) {
        const prev = p.devices.get(s.name);
        if (prev) this.diags.error(s.nameSpan, `device ${quoted(s.name)} declared twice (first at line ${prev.span.start.line})`);
        else p.devices.set(s.name, s);
      } else if (s.kind === 'proc' && this.nameCheck(s.name, s.nameSpan, 'proc')) {
        const prev = p.procs.get(s.name);
        if (prev) this.diags.error(s.nameSpan, `proc ${quoted(s.name)} defined twice (first at line ${prev.span.start.line})`);
        else p.procs.set(s.name, s);
      } else if (s.kind === 'call' || s.kind === 'repeat') firstRun ??= s;
    }
    for (const proc of p.procs.values()) {
      if (p.devices.has(proc.name)) this.diags.error(proc.nameSpan, `${quoted(proc.name)} is a device and cannot name a proc`);
      const seen = new Set<string>();
      for (const param of proc.params) {
        if (!this.nameCheck(param.name, param.span, 'parameter')) continue;
        if (seen.has(param.name)) this.diags.error(param.span, `parameter ${quoted(param.name)} given twice`);
        else if (p.devices.has(param.name)) this.diags.error(param.span, `parameter ${quoted(param.name)} would hide device ${quoted(param.name)}`);
        seen.add(param.name);
      }
    }
  }

  /** Works out each proc's top-level names through the procs it calls; a proc may not reach itself. */
  private closeProcs(scopes: Map<string, Scope>): void {
    const state = new Map<string, 'open' | 'done'>();
    for (const start of scopes.keys()) {
      if (state.has(start)) continue;
      const stack = [{ name: start, next: 0 }];
      state.set(start, 'open');
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const scope = scopes.get(top.name)!;
        if (top.next < scope.calls.length) {
          const c = scope.calls[top.next++];
          const st = state.get(c.name);
          if (st === 'open') {
            const path = stack.slice(stack.findIndex((f) => f.name === c.name)).map((f) => f.name);
            this.diags.error(c.span, `recursive call ${callCycle([...path, c.name])}: with no conditions in the language it would never end`);
          } else if (st === undefined) {
            state.set(c.name, 'open');
            stack.push({ name: c.name, next: 0 });
          }
          continue;
        }
        const free = new Set(scope.free);
        for (const c of scope.calls) this.closures.get(c.name)?.forEach((n) => free.add(n));
        this.closures.set(top.name, free);
        state.set(top.name, 'done');
        stack.pop();
      }
    }
  }

  private block(body: Stmt[], scope: Scope): void {
    for (let k = 0; k < body.length; k++) {
      const s = body[k];
      if (s.kind === 'call') this.call(s, scope);
      else if (s.kind === 'repeat') this.repeat(s, scope);
    }
  }

  private repeat(s: RepeatStmt, scope: Scope): void {
    if (s.count < 1) this.diags.error(s.countSpan, `a repeat runs at least once: the count must be 1 or more, not ${s.count}`);
    // From the second iteration on, a name may hold what the body binds to it later.
    const inner = new Map<string, Set<HandleType>>();
    bindingsOf(s.body, inner, new Map());
    for (const [name, types] of inner) {
      const cur = scope.env.get(name);
      if (cur) scope.setTypes(name, cur.size && types.size ? new Set([...cur, ...types]) : new Set());
    }
    this.block(s.body, scope);
  }

  /** `OBJ.METHOD` as its two parts (each distinct callee of the file split once), or undefined for a plain name. */
  private splitCallee(callee: string): { obj: string; method: string } | undefined {
    if (this.dotted.has(callee)) return this.dotted.get(callee);
    const dot = callee.indexOf('.');
    const parts = dot < 0 ? undefined : { obj: callee.slice(0, dot), method: callee.slice(dot + 1) };
    this.dotted.set(callee, parts);
    return parts;
  }

  private call(s: CallStmt, scope: Scope): void {
    const dotted = this.splitCallee(s.callee);
    let sig: Signature | undefined;
    const isProc = !dotted && this.program.procs.has(s.callee);
    scope.line = lineOfStmt(s);
    if (isProc) s.resolved = this.procCall(s, scope);
    else if (dotted) sig = this.method(s, scope, dotted.obj, dotted.method);
    else {
      sig = SIGNATURES.get(s.callee);
      if (sig) s.resolved = scope.resolve(sig, s);
      else if (scope.env.has(s.callee) || scope.params.has(s.callee)) this.diags.error(s.calleeSpan, `${quoted(s.callee)} is a handle, not a call`);
      else this.diags.error(s.calleeSpan, `unknown call ${quoted(s.callee)}`);
    }
    // A call node builds a target's or expectation's span from the tokens when asked: here only for an error.
    const target = targetNameOf(s);
    const expected = expectedOf(s);
    this.expectation(s, expected, target, sig, isProc);
    if (target !== undefined) this.bind(s, target, expected, sig, isProc, scope);
  }

  /** `cpu.read`, `cache.evict`, and `DEV.read` / `DEV.write` (the `device.*` operations with the device as `dev`). */
  private method(s: CallStmt, scope: Scope, obj: string, method: string): Signature | undefined {
    if (obj === 'cpu' || obj === 'cache') {
      const sig = SIGNATURES.get(s.callee);
      if (sig) s.resolved = scope.resolve(sig, s);
      else this.diags.error(s.calleeSpan, `unknown call ${quoted(s.callee)} (${obj} has ${methodsOf(obj)})`);
      return sig;
    }
    const dev = scope.device(obj, new CalleeOf(s));
    const sig = SIGNATURES.get(`device.${method}`);
    if (!sig) {
      this.diags.error(s.calleeSpan, `a device has ${methodsOf('device')}, not ${quoted(method)}`);
      return undefined;
    }
    s.resolved = scope.resolve(sig, s, { value: dev });
    return sig;
  }

  /** A proc call: `{ op: 'proc', args: { proc: word, args: { kind: 'args', values } } }`, values in parameter order. */
  private procCall(s: CallStmt, scope: Scope): ResolvedCall {
    const proc = this.program.procs.get(s.callee)!;
    const usage = `${proc.name}(${proc.params.map((p) => p.name).join(', ')})`;
    const values: ResolvedValue[] = [];
    const given: boolean[] = [];
    const put = (i: number, arg: Arg): void => {
      given[i] = true;
      const v = this.procArg(arg, scope);
      if (v) values[i] = v;
    };
    s.args.forEach((a, i) => (i < proc.params.length ? put(i, a) : this.diags.error(a.span, `too many arguments: the call is ${usage}`)));
    for (const n of s.named) {
      const i = proc.params.findIndex((p) => p.name === n.key);
      if (i < 0) this.diags.error(n.keySpan, `proc ${quoted(proc.name)} has no parameter ${quoted(n.key)}: the call is ${usage}`);
      else if (given[i]) this.diags.error(n.keySpan, `argument ${quoted(n.key)} given twice`);
      else put(i, n.value);
    }
    proc.params.forEach((p, i) => given[i] || this.diags.error(s.calleeSpan, `missing argument ${quoted(p.name)}: the call is ${usage}`));
    if (scope.proc) scope.calls.push({ name: proc.name, span: s.calleeSpan });
    else {
      for (const name of this.closures.get(proc.name) ?? []) {
        if (scope.env.has(name)) continue;
        const at = this.top?.bound.get(name);
        this.diags.error(s.calleeSpan, `proc ${quoted(proc.name)} uses ${quoted(name)}, which is not bound yet here${at ? ` (it is bound at line ${at})` : ''}`);
      }
    }
    return {
      op: 'proc',
      args: { proc: this.values.word(proc.name), args: { kind: 'args', values } },
    };
  }

  /** A proc argument has no declared kind: a binding or parameter passes its handle, a device itself, a keyword its word. */
  private procArg(a: Arg, scope: Scope): ResolvedValue | undefined {
    switch (a.kind) {
      case 'number': return this.values.number(a.value);
      case 'direction': return this.values.direction(a.dir);
      case 'owner': return ownerValue(a, scope, this.diags);
    }
    const name = a.name;
    const isBinding = scope.params.has(name) || scope.env.has(name) || (scope.proc !== undefined && this.top?.types.has(name));
    if (!isBinding && this.program.devices.has(name)) return scope.device(name, a);
    if (!isBinding && (KEYWORD_WORDS.has(name) || isHazardKind(name))) return this.values.word(name);
    return scope.handle(name, a) ? this.values.handle(name) : undefined;
  }

  /** `expected`: what `expect` says (expectedOf); the spans are read only to report an error. */
  private expectation(s: CallStmt, expected: number | 'error' | undefined, target: string | undefined, sig: Signature | undefined, isProc: boolean): void {
    if (expected === undefined) return;
    const what = isProc ? `proc ${quoted(s.callee)}` : s.callee;
    const span = (): Span => s.expect!.span;
    if (expected !== 'error') {
      if (sig?.expectValue) {
        const problem = numberProblem('byte', expected);
        if (problem) this.diags.error(span(), `expect: ${problem}`);
      } else if (sig || isProc) this.diags.error(span(), `'expect V' is only for reads (cpu.read, DEV.read), not ${what}`);
      return;
    }
    if (isProc || sig?.family === 'check') this.diags.error(span(), `'expect error' is for API calls that can fail, not ${what}`);
    if (target !== undefined) this.diags.error(s.target!.span, `a call expected to fail binds nothing: drop ${quoted(target)} and the '='`);
  }

  private bind(s: CallStmt, name: string, expected: number | 'error' | undefined, sig: Signature | undefined, isProc: boolean, scope: Scope): void {
    const p = this.program;
    const span = (): Span => s.target!.span;
    if (!this.nameCheck(name, span, 'binding')) return;
    if (p.devices.has(name)) this.diags.error(span(), `${quoted(name)} is a device and cannot name a binding`);
    else if (p.procs.has(name)) this.diags.error(span(), `${quoted(name)} is a proc and cannot name a binding`);
    else if (scope.params.has(name)) this.diags.error(span(), `${quoted(name)} is a parameter of ${quoted(scope.proc!.name)} and cannot be bound again`);
    else if (isProc) this.diags.error(span(), `proc ${quoted(s.callee)} returns nothing to bind`);
    else if (sig && !sig.returns) this.diags.error(span(), `${s.callee} returns nothing to bind`);
    if (expected !== 'error') scope.setTypes(name, typesOf(sig?.returns));
  }
}

/** Checks `program` (as the parser built it), fills its declaration maps and each call's `resolved`. */
export function resolve(program: Program, diags: DiagnosticList): void {
  new Resolver(program, diags).run();
}

/** A cycle of proc calls as a message names it: a long one by its first and last calls (50,000 procs made a 500 KB line). */
function callCycle(names: string[]): string {
  const ends = 4;
  const shown = names.length <= 2 * ends + 1 ? names : [...names.slice(0, ends), `… ${(names.length - 2 * ends).toLocaleString('en')} more …`, ...names.slice(-ends)];
  return shown.join(' → ');
}
