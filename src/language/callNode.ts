// The parser's call statement: it keeps token positions and reads its spans and argument lists from the tokens
// when asked, so a million-statement scenario holds a few small objects per call rather than a dozen or more.
import type { Arg, CallStmt, Expectation, NamedArg, Pos, ResolvedCall, Span, Stmt } from './ast';
import { argumentSpans } from './arguments';
import { spanFrom, startLine, type SourceSpan } from './span';
import type { TokenReader } from './tokenReader';

/** Shared by every call without named arguments (the AST is never mutated). */
const NO_NAMED: NamedArg[] = [];

const lastRead: { node?: CallNode; args: Arg[]; named: NamedArg[] } = { args: [], named: NO_NAMED };

export class CallNode implements CallStmt {
  resolved?: ResolvedCall = undefined;

  /** `at` and `close`: the callee's first token and the `)`; the binding and expectation are read around them. */
  constructor(
    private readonly tokens: TokenReader,
    readonly callee: string,
    private readonly at: number,
    private readonly close: number,
    /** Whether `expect ...` follows the `)` (known when parsed; the runner asks at every step). */
    private readonly expects: boolean,
  ) {}

  /** On the prototype, not a field: one field less in each of a million nodes. */
  get kind(): 'call' {
    return 'call';
  }

  /** `NAME =` (built when asked; the runner asks only after a call that returned a handle). */
  get target(): { name: string; span: Span } | undefined {
    return this.tokens.bindingBefore(this.at);
  }

  /** `expect V` / `expect error` (built when asked, only for calls that have one). */
  get expect(): Expectation | undefined {
    return this.expects ? this.tokens.expectationAfter(this.close) : undefined;
  }

  /** A hash of the call's callee and argument tokens (not its binding or expectation). */
  argumentsHash(): number {
    return this.tokens.hashTokens(this.at, this.close);
  }

  /** Whether `other` has the very same callee and argument tokens as this call. */
  sameArguments(other: CallNode): boolean {
    return other.close - other.at === this.close - this.at && this.tokens.sameTokens(this.at, this.close, other.tokens, other.at);
  }

  /** What `expect` says, without building its span (the runner asks at every step). */
  get expected(): number | 'error' | undefined {
    return this.expects ? this.tokens.expectedAfter(this.close) : undefined;
  }

  /** The name `NAME =` binds, without building the binding's span. */
  get targetName(): string | undefined {
    return this.tokens.boundName(this.at);
  }

  get calleeSpan(): SourceSpan {
    return spanFrom(this.tokens.span(this.at), this.tokens.span(this.tokens.calleeEnd(this.at)));
  }

  private get open(): number {
    return this.tokens.calleeEnd(this.at) + 1;
  }

  private get first(): number {
    return this.tokens.isBound(this.at) ? this.at - 2 : this.at;
  }

  get line(): number {
    return this.tokens.lineOf(this.first);
  }

  /** Where the statement starts: `span.start` without building the span (the runner asks at every step). */
  get start(): Pos {
    return this.tokens.pos(this.first);
  }

  get span(): SourceSpan {
    const last = this.expects ? this.close + 2 : this.close;
    return spanFrom(this.tokens.span(this.first), this.tokens.span(last));
  }

  /** Positional arguments as written, read from the tokens when asked. */
  get args(): Arg[] {
    return this.read().args;
  }

  /** `key=value` arguments as written. */
  get named(): NamedArg[] {
    return this.read().named;
  }

  /** One read serves `args` then `named` of the same node (the resolver asks for both in turn). */
  private read(): { args: Arg[]; named: NamedArg[] } {
    if (lastRead.node === this) return lastRead;
    const args: Arg[] = [];
    const named: NamedArg[] = [];
    this.tokens.callArguments(this.open, args, named);
    lastRead.node = this;
    lastRead.args = args;
    lastRead.named = named.length ? named : NO_NAMED;
    return lastRead;
  }

  toJSON(): object {
    const { args, named } = this.read();
    const { kind, callee, calleeSpan, target, expect, span } = this;
    const resolved = this.resolved && { ...this.resolved, spans: argumentSpans(this) };
    return { kind, callee, calleeSpan, target, args, named, expect, span, resolved };
  }
}

/** The line a statement starts on, as cheaply as its kind allows. */
export function lineOfStmt(s: Stmt): number {
  return s instanceof CallNode ? s.line : startLine(s.span);
}

/** The name a call binds, as cheaply as its kind allows. */
export function targetNameOf(s: CallStmt): string | undefined {
  return s instanceof CallNode ? s.targetName : s.target?.name;
}

/** What a call expects (`expect V`: V; `expect error`: 'error'), as cheaply as its kind allows. */
export function expectedOf(s: CallStmt): number | 'error' | undefined {
  if (s instanceof CallNode) return s.expected;
  return s.expect && (s.expect.kind === 'value' ? s.expect.value : 'error');
}

/** Where a statement starts, as cheaply as its kind allows. */
export function startOf(s: Stmt): Pos {
  return s instanceof CallNode ? s.start : s.span.start;
}
