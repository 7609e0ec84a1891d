// Builds the syntax tree of ast.ts from tokens, line by line (spec §2-§4); an error drops its line (or its
// block, up to the matching `}`) and parsing goes on, so every error of the file is reported.
import type { Arg, CallStmt, Direction, Expectation, NamedArg, ProcDecl, Program, RepeatStmt, Stmt } from './ast';
import { buildDeclaration, DECLARATION_KEYWORDS } from './declarations';
import type { DiagnosticList } from './diagnostics';
import { T, tokenSpan, type Tokens } from './lexer';
import { SIGNATURES } from './signatures';
import { SourceSpan, spanFrom } from './span';

/** Blocks nested deeper than this are an error, so that no later pass can exhaust the stack. */
export const MAX_NESTING = 64;

const DIRECTIONS: Record<string, Direction> = {
  TO_DEVICE: 'TO_DEVICE', FROM_DEVICE: 'FROM_DEVICE', BIDIRECTIONAL: 'BIDIRECTIONAL',
  DMA_TO_DEVICE: 'TO_DEVICE', DMA_FROM_DEVICE: 'FROM_DEVICE', DMA_BIDIRECTIONAL: 'BIDIRECTIONAL',
};

export function directionOf(word: string): Direction | undefined {
  return Object.prototype.hasOwnProperty.call(DIRECTIONS, word) ? DIRECTIONS[word] : undefined;
}

const PUNCT_TEXT: Record<number, string> = {
  [T.LParen]: "'('", [T.RParen]: "')'", [T.LBrace]: "'{'", [T.RBrace]: "'}'", [T.Comma]: "','",
  [T.Dot]: "'.'", [T.Colon]: "':'", [T.Equals]: "'='", [T.Newline]: 'end of line', [T.End]: 'end of file',
};

const FLAG_WORDS = new Set<string>();
for (const sig of SIGNATURES.values()) for (const p of sig.params) if (p.type.kind === 'flag') FLAG_WORDS.add(p.type.word);

/** Shared by every call without named arguments (the AST is never mutated). */
const NO_NAMED: NamedArg[] = [];

/** Thrown to abandon the current line; `reported` is false when the lexer already reported its error. */
class LineError {
  constructor(readonly span: SourceSpan, readonly message: string, readonly reported = false) {}
}

/** An open block: the top level, a proc or a repeat. A dropped block's statements are parsed for errors only. */
interface Frame {
  body: Stmt[];
  node?: ProcDecl | RepeatStmt;
  dropped: boolean;
  /** The line that opened it, for "never closed". */
  open?: SourceSpan;
}

class Parser {
  private i = 0;
  private readonly top: Frame = { body: [], dropped: false };
  private readonly stack: Frame[] = [this.top];
  private readonly scratchArgs: Arg[] = [];
  private readonly scratchNamed: NamedArg[] = [];
  /** `OBJ.METHOD` callees, each text built once. */
  private readonly dottedNames = new Map<string, Map<string, string>>();

  constructor(private readonly tk: Tokens, private readonly diags: DiagnosticList) {}

  parse(file: string): Program {
    for (const e of this.tk.errors) {
      this.diags.error(new SourceSpan(e.line, e.column, e.line, e.column + e.length), e.message);
    }
    while (this.kind() !== T.End) {
      if (this.kind() === T.Newline) {
        this.i++;
        continue;
      }
      const first = this.i;
      try {
        this.line();
      } catch (e) {
        if (!(e instanceof LineError)) throw e;
        if (!e.reported) this.diags.error(e.span, e.message);
        this.skipLine(first);
      }
    }
    for (let f = this.stack.length - 1; f > 0; f--) {
      const { node, open } = this.stack[f];
      if (open) this.diags.error(open, `${node ? `'${node.kind}' block` : 'block'} opened here is never closed with '}'`);
    }
    return { file, body: this.top.body, devices: new Map(), procs: new Map() };
  }

  // Token access.
  private kind(at = this.i): number {
    return this.tk.kind[at];
  }
  private text(at = this.i): string {
    const k = this.kind(at);
    return k === T.Ident || k === T.Word ? this.tk.names[this.tk.ref[at]] : '';
  }
  private span(at = this.i): SourceSpan {
    return tokenSpan(this.tk, at);
  }
  private isIdent(word: string, at = this.i): boolean {
    return this.kind(at) === T.Ident && this.tk.names[this.tk.ref[at]] === word;
  }
  /** A number token's value; small integers come out as such, so objects hold them unboxed. */
  private num(at = this.i): number {
    const v = this.tk.ref[at];
    return (v | 0) === v ? v | 0 : v;
  }

  private describe(at = this.i): string {
    const k = this.kind(at);
    if (k === T.Ident || k === T.Word) return `'${this.text(at)}'`;
    if (k === T.Number || k === T.Size) return `number ${this.num(at)}`;
    return PUNCT_TEXT[k] ?? 'invalid input';
  }
  private fail(message: string, at = this.i): never {
    throw new LineError(this.span(at), message, this.kind(at) === T.Error);
  }
  private expect(kind: number, what: string): number {
    if (this.kind() !== kind) this.fail(`expected ${what}, found ${this.describe()}`);
    return this.i++;
  }
  private endOfLine(): void {
    const k = this.kind();
    if (k !== T.Newline && k !== T.End) this.fail(`unexpected ${this.describe()} at the end of the statement`);
  }

  /** After an error: drop the rest of the line; a line with a `{` opens a dropped block, so its `}` still matches. */
  private skipLine(first: number): void {
    while (this.kind() !== T.Newline && this.kind() !== T.End) this.i++;
    let opens = false;
    for (let k = first; k < this.i && !opens; k++) opens = this.kind(k) === T.LBrace;
    if (opens) {
      this.stack.push({ body: [], dropped: true, open: spanFrom(this.span(first), this.span(this.i - 1)) });
    }
  }

  private dotted(obj: string, method: string): string {
    let methods = this.dottedNames.get(obj);
    if (!methods) this.dottedNames.set(obj, (methods = new Map()));
    let name = methods.get(method);
    if (name === undefined) methods.set(method, (name = `${obj}.${method}`));
    return name;
  }

  private get frame(): Frame {
    return this.stack[this.stack.length - 1];
  }

  private add(stmt: Stmt): void {
    if (!this.frame.dropped) this.frame.body.push(stmt);
  }

  private line(): void {
    const k = this.kind();
    if (k === T.RBrace) return this.closeBlock();
    if (k === T.Ident) {
      const word = this.text();
      if (DECLARATION_KEYWORDS.has(word) && this.kind(this.i + 1) !== T.Dot) return this.declaration(word);
      if (word === 'proc') return this.proc();
      if (word === 'repeat') return this.repeat();
      return this.add(this.call());
    }
    this.fail(`expected a statement, found ${this.describe()}`);
  }

  private closeBlock(): void {
    const at = this.i++;
    this.endOfLine();
    if (this.stack.length === 1) this.fail("unmatched '}'", at);
    const frame = this.stack.pop()!;
    if (frame.node && frame.open) {
      frame.node.endSpan = this.span(at);
      frame.node.span = spanFrom(frame.open, this.span(at));
    }
  }

  private openBlock(node: ProcDecl | RepeatStmt, header: SourceSpan): void {
    this.expect(T.LBrace, "'{' at the end of the line");
    this.endOfLine();
    const dropped = this.frame.dropped || this.stack.length > MAX_NESTING;
    // Reported once, at the first block past the limit; those inside it are dropped with it.
    if (this.stack.length === MAX_NESTING + 1 && !this.frame.dropped) this.diags.error(node.span, `blocks nested more than ${MAX_NESTING} deep`);
    this.add(node);
    this.stack.push({ body: node.body, node, dropped, open: header });
  }

  private declaration(keyword: string): void {
    const start = this.span();
    if (this.stack.length > 1) this.fail(`'${keyword}' belongs at the top level, not inside a block`);
    this.i++;
    const args: Arg[] = [];
    const named: NamedArg[] = [];
    while (this.kind() !== T.Newline && this.kind() !== T.End) this.argument(args, named, true);
    const span = spanFrom(start, this.span(this.i - 1));
    const decl = buildDeclaration(keyword, args, named, span, this.diags);
    if (decl) this.add(decl);
  }

  private proc(): void {
    const start = this.span();
    if (this.stack.length > 1) this.fail("'proc' belongs at the top level, not inside a block");
    this.i++;
    const nameAt = this.expect(T.Ident, 'a procedure name');
    this.expect(T.LParen, "'(' after the procedure name");
    const params: ProcDecl['params'] = [];
    if (this.kind() !== T.RParen) {
      for (;;) {
        const p = this.expect(T.Ident, 'a parameter name');
        params.push({ name: this.text(p), span: this.span(p) });
        if (this.kind() !== T.Comma) break;
        this.i++;
      }
    }
    this.expect(T.RParen, "')' after the parameters");
    const span = spanFrom(start, this.span(this.i));
    this.openBlock({ kind: 'proc', name: this.text(nameAt), nameSpan: this.span(nameAt), params, body: [], span, endSpan: span }, span);
  }

  private repeat(): void {
    const start = this.span();
    this.i++;
    if (this.kind() !== T.Number && this.kind() !== T.Size) this.fail(`expected a repeat count, found ${this.describe()}`);
    const countAt = this.i++;
    const span = spanFrom(start, this.span(this.i));
    const count = this.num(countAt);
    const countSpan = this.span(countAt);
    this.openBlock({ kind: 'repeat', count, countSpan, body: [], span, endSpan: span }, span);
  }

  /** `[NAME =] CALLEE(args) [expect V | expect error]` */
  private call(): CallStmt {
    const start = this.span();
    let target: CallStmt['target'];
    if (this.kind() === T.Ident && this.kind(this.i + 1) === T.Equals) {
      target = { name: this.text(), span: this.span() };
      this.i += 2;
    }
    const calleeAt = this.expect(T.Ident, 'a call');
    let callee = this.text(calleeAt);
    let calleeSpan = this.span(calleeAt);
    if (this.kind() === T.Dot) {
      this.i++;
      const method = this.expect(T.Ident, `a method name after '${callee}.'`);
      callee = this.dotted(callee, this.text(method));
      calleeSpan = spanFrom(calleeSpan, this.span(method));
    }
    this.expect(T.LParen, `'(' after '${callee}'`);
    // Collected in scratch arrays, then copied at their exact size: a pushed-to array keeps spare room.
    const args = this.scratchArgs;
    const named = this.scratchNamed;
    args.length = 0;
    named.length = 0;
    if (this.kind() !== T.RParen) {
      for (;;) {
        this.argument(args, named, false);
        if (this.kind() !== T.Comma) break;
        this.i++;
      }
    }
    let end = this.span(this.expect(T.RParen, "',' or ')'"));
    let expect: Expectation | undefined;
    if (this.isIdent('expect')) {
      const at = this.i++;
      const k = this.kind();
      if (k === T.Number || k === T.Size) expect = { kind: 'value', value: this.num(), span: spanFrom(this.span(at), this.span()) };
      else if (this.isIdent('error')) expect = { kind: 'error', span: spanFrom(this.span(at), this.span()) };
      else this.fail(`expected a byte value or 'error' after 'expect', found ${this.describe()}`);
      end = this.span(this.i++);
    }
    this.endOfLine();
    return { kind: 'call', callee, calleeSpan, target, args: args.slice(), named: named.length ? named.slice() : NO_NAMED, expect, span: spanFrom(start, end) };
  }

  /** One argument, positional or `key=value`; declarations take them in any order, calls positional first. */
  private argument(args: Arg[], named: NamedArg[], anyOrder: boolean): void {
    if (this.kind() === T.Ident && this.kind(this.i + 1) === T.Equals) {
      const keyAt = this.i;
      this.i += 2;
      named.push({ key: this.text(keyAt), keySpan: this.span(keyAt), value: this.value() });
      return;
    }
    // Flags such as SKIP_CPU_SYNC are bare words that may close a call after its named arguments.
    if (named.length > 0 && !anyOrder && !(this.kind() === T.Ident && FLAG_WORDS.has(this.text()))) this.fail('positional argument after named ones');
    args.push(this.value());
  }

  private value(): Arg {
    const at = this.i;
    const k = this.kind();
    const span = this.span();
    if (k === T.Number || k === T.Size) {
      this.i++;
      return { kind: 'number', value: this.num(at), sized: k === T.Size, span };
    }
    if (k === T.Word) {
      this.i++;
      return { kind: 'word', name: this.text(at), span };
    }
    if (k !== T.Ident) this.fail(`expected an argument, found ${this.describe()}`);
    this.i++;
    const name = this.text(at);
    if (this.kind() === T.Colon) {
      // DEV:DIR, an owner for expect_owner.
      this.i++;
      const dirAt = this.i;
      const dir = this.kind() === T.Ident ? directionOf(this.text()) : undefined;
      if (!dir) this.fail(`expected a direction after '${name}:', found ${this.describe()}`);
      this.i++;
      return { kind: 'owner', device: name, dir, span: spanFrom(span, this.span(dirAt)) };
    }
    const dir = directionOf(name);
    return dir ? { kind: 'direction', dir, span } : { kind: 'word', name, span };
  }
}

export function parse(tokens: Tokens, file: string, diags: DiagnosticList): Program {
  return new Parser(tokens, diags).parse(file);
}
