// Builds the syntax tree of ast.ts from tokens, line by line (spec §2-§4); an error drops its line (or its
// block, up to the matching `}`) and parsing goes on, so every error of the file is reported.
import type { Arg, NamedArg, ProcDecl, Program, RepeatStmt, Stmt } from './ast';
import { CallNode } from './callNode';
import { buildDeclaration, DECLARATION_KEYWORDS } from './declarations';
import type { DiagnosticList } from './diagnostics';
import { quoted } from '../text/shorten';
import { T, type Tokens } from './lexer';
import { SourceSpan, spanFrom } from './span';
import { LineError, TokenReader } from './tokenReader';

/** Blocks nested deeper than this are an error, so that no later pass can exhaust the stack. */
export const MAX_NESTING = 64;

/** An open block: the top level, a proc or a repeat. A dropped block's statements are parsed for errors only. */
interface Frame {
  body: Stmt[];
  node?: ProcDecl | RepeatStmt;
  dropped: boolean;
  /** The line that opened it, for "never closed". */
  open?: SourceSpan;
}

class Parser extends TokenReader {
  private readonly top: Frame = { body: [], dropped: false };
  private readonly stack: Frame[] = [this.top];
  /** `OBJ.METHOD` callees, each text built once. */
  private readonly dottedNames = new Map<string, Map<string, string>>();

  constructor(tk: Tokens, private readonly diags: DiagnosticList) {
    super(tk);
  }

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
    // Innermost first: an unclosed block reaches to its last statement (an inner one's end already set), so that
    // what is being typed still holds its statements.
    for (let f = this.stack.length - 1; f > 0; f--) {
      const { node, open } = this.stack[f];
      if (open) this.diags.error(open, `${node ? `'${node.kind}' block` : 'block'} opened here is never closed with '}'`);
      const last = node?.body[node.body.length - 1];
      if (node && open && last) node.span = new SourceSpan(open.line, open.column, last.span.end.line, last.span.end.column);
    }
    return { file, body: this.top.body, devices: new Map(), procs: new Map() };
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
    while (this.kind() !== T.Newline && this.kind() !== T.End) this.argument(args, named, true, false);
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

  /** `[NAME =] CALLEE(args) [expect V | expect error]`; the arguments are only checked here, and read when asked for. */
  private call(): CallNode {
    if (this.kind() === T.Ident && this.kind(this.i + 1) === T.Equals) this.i += 2;
    const calleeAt = this.expect(T.Ident, 'a call');
    let callee = this.text(calleeAt);
    if (this.kind() === T.Dot) {
      this.i++;
      // Checked before `expect`, whose message would be built for every call.
      if (this.kind() !== T.Ident) this.fail(`expected a method name after ${quoted(callee)} and '.', found ${this.describe()}`);
      const method = this.i++;
      callee = this.dotted(callee, this.text(method));
    }
    if (this.kind() !== T.LParen) this.fail(`expected '(' after ${quoted(callee)}, found ${this.describe()}`);
    this.i++;
    this.argumentList();
    const close = this.expect(T.RParen, "',' or ')'");
    const expects = this.isIdent('expect');
    if (expects) {
      this.i++;
      const k = this.kind();
      if (k !== T.Number && k !== T.Size && !this.isIdent('error')) this.fail(`expected a byte value or 'error' after 'expect', found ${this.describe()}`);
      this.i++;
    }
    this.endOfLine();
    return new CallNode(this, callee, calleeAt, close, expects);
  }
}

export function parse(tokens: Tokens, file: string, diags: DiagnosticList): Program {
  return new Parser(tokens, diags).parse(file);
}
