// Reads tokens at a cursor: the parser's token access and argument grammar, shared with call nodes, which read
// their argument lists again from the tokens when asked instead of holding them (spec §2, §4).
import { quoted } from '../text/shorten';
import type { Arg, Direction, Expectation, NamedArg, Pos, Span } from './ast';
import { T, tokenSpan, type Tokens } from './lexer';
import { SIGNATURES } from './signatures';
import { directionArg, numberArg, ownerArg, wordArg } from './argNodes';
import { spanFrom, type SourceSpan } from './span';

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

/** Thrown to abandon the current line; `reported` is false when the lexer already reported its error. */
export class LineError {
  constructor(readonly span: SourceSpan, readonly message: string, readonly reported = false) {}
}

export class TokenReader {
  protected i = 0;

  constructor(protected readonly tk: Tokens) {}

  protected kind(at = this.i): number {
    return this.tk.kind[at];
  }
  protected text(at = this.i): string {
    const k = this.kind(at);
    return k === T.Ident || k === T.Word ? this.tk.names[this.tk.ref[at]] : '';
  }
  span(at = this.i): SourceSpan {
    return tokenSpan(this.tk, at);
  }
  lineOf(at: number): number {
    return this.tk.line[at];
  }
  /** Where token `at` starts. */
  pos(at: number): Pos {
    return { line: this.tk.line[at], column: this.tk.column[at] };
  }
  protected isIdent(word: string, at = this.i): boolean {
    return this.kind(at) === T.Ident && this.tk.names[this.tk.ref[at]] === word;
  }
  /** A number token's value; small integers come out as such, so objects hold them unboxed. */
  protected num(at = this.i): number {
    const v = this.tk.ref[at];
    return (v | 0) === v ? v | 0 : v;
  }

  protected describe(at = this.i): string {
    const k = this.kind(at);
    if (k === T.Ident || k === T.Word) return quoted(this.text(at));
    if (k === T.Number || k === T.Size) return `number ${this.num(at)}`;
    return PUNCT_TEXT[k] ?? 'invalid input';
  }
  protected fail(message: string, at = this.i): never {
    throw new LineError(this.span(at), message, this.kind(at) === T.Error);
  }

  /** Whether `NAME =` comes before a callee at token `at` (a callee otherwise starts its line). */
  isBound(at: number): boolean {
    return at >= 2 && this.kind(at - 1) === T.Equals;
  }

  /** `NAME =` before a callee at token `at`: the binding a call statement makes, if any. */
  bindingBefore(at: number): { name: string; span: Span } | undefined {
    return this.isBound(at) ? { name: this.text(at - 2), span: this.span(at - 2) } : undefined;
  }

  /** The name of that binding alone. */
  boundName(at: number): string | undefined {
    return this.isBound(at) ? this.text(at - 2) : undefined;
  }

  /** The last token of a callee starting at token `at` (`OBJ.METHOD` spans three). */
  calleeEnd(at: number): number {
    return this.kind(at + 1) === T.Dot ? at + 2 : at;
  }

  /** A hash of the kinds and values of tokens [from, to]: equal ranges hash alike (see `sameTokens`). */
  hashTokens(from: number, to: number): number {
    const { kind, ref } = this.tk;
    let h = to - from;
    for (let k = from; k <= to; k++) h = Math.imul(Math.imul(h, 31) + kind[k], 31) + (ref[k] | 0);
    return h;
  }

  /** Whether tokens [from, to] and [otherFrom, ...] of the same file have the same kinds and values. */
  sameTokens(from: number, to: number, other: TokenReader, otherFrom: number): boolean {
    if (other.tk !== this.tk) return false;
    const { kind, ref } = this.tk;
    for (let k = 0; k <= to - from; k++) if (kind[from + k] !== kind[otherFrom + k] || ref[from + k] !== ref[otherFrom + k]) return false;
    return true;
  }

  /** `expect V` or `expect error` after token `close` (the call's `)`), which the parser has checked. */
  expectationAfter(close: number): Expectation | undefined {
    const expected = this.expectedAfter(close);
    if (expected === undefined) return undefined;
    const span = spanFrom(this.span(close + 1), this.span(close + 2));
    return expected === 'error' ? { kind: 'error', span } : { kind: 'value', value: expected, span };
  }

  /** What `expectationAfter` reads, without its span: the value V, 'error', or undefined. */
  expectedAfter(close: number): number | 'error' | undefined {
    if (!this.isIdent('expect', close + 1)) return undefined;
    const k = this.kind(close + 2);
    return k === T.Number || k === T.Size ? this.num(close + 2) : 'error';
  }

  /** The arguments of a call whose `(` is token `open`, as `argumentList` reads them. */
  callArguments(open: number, args: Arg[], named: NamedArg[]): void {
    this.i = open + 1;
    this.argumentList(args, named);
  }

  /** `arg, arg, key=value ...` up to (not past) the closing `)`; without lists to fill, only checks them. */
  protected argumentList(args?: Arg[], named?: NamedArg[]): void {
    if (this.kind() === T.RParen) return;
    let afterNamed = false;
    for (;;) {
      if (this.argument(args, named, false, afterNamed)) afterNamed = true;
      if (this.kind() !== T.Comma) return;
      this.i++;
    }
  }

  /**
   * One argument, positional or `key=value` (true for the latter), pushed to the lists when given; declarations
   * take them in any order, calls positional first.
   */
  protected argument(args: Arg[] | undefined, named: NamedArg[] | undefined, anyOrder: boolean, afterNamed: boolean): boolean {
    if (this.kind() === T.Ident && this.kind(this.i + 1) === T.Equals) {
      const keyAt = this.i;
      this.i += 2;
      const at = this.skipValue();
      named?.push({ key: this.text(keyAt), keySpan: this.span(keyAt), value: this.argAt(at) });
      return true;
    }
    // Flags such as SKIP_CPU_SYNC are bare words that may close a call after its named arguments.
    if (afterNamed && !anyOrder && !(this.kind() === T.Ident && FLAG_WORDS.has(this.text()))) this.fail('positional argument after named ones');
    const at = this.skipValue();
    args?.push(this.argAt(at));
    return false;
  }

  /** Checks the argument at the cursor and steps past it; returns where it starts. */
  private skipValue(): number {
    const at = this.i;
    const k = this.kind();
    if (k === T.Number || k === T.Size || k === T.Word) {
      this.i++;
      return at;
    }
    if (k !== T.Ident) this.fail(`expected an argument, found ${this.describe()}`);
    this.i++;
    if (this.kind() === T.Colon) {
      // DEV:DIR, an owner for expect_owner.
      this.i++;
      if (!(this.kind() === T.Ident && directionOf(this.text()))) this.fail(`expected a direction after ${quoted(this.text(at))} and ':', found ${this.describe()}`);
      this.i++;
    }
    return at;
  }

  /** The argument starting at token `at`, which `skipValue` has checked. */
  private argAt(at: number): Arg {
    const k = this.kind(at);
    if (k === T.Number || k === T.Size) return numberArg(this, at, this.num(at), k === T.Size);
    const name = this.text(at);
    if (k === T.Word) return wordArg(this, at, name);
    if (this.kind(at + 1) === T.Colon) return ownerArg(this, at, at + 2, name, directionOf(this.text(at + 2))!);
    const dir = directionOf(name);
    return dir ? directionArg(this, at, dir) : wordArg(this, at, name);
  }
}
