// The parser's arguments: each keeps the token positions it was read from and builds its `span` when asked
// (errors and the editor's hover ask; running never does), so reading an argument list allocates one object
// per argument.
import type { Arg, Direction, Span } from './ast';
import { spanFrom, type SourceSpan } from './span';

/** Where tokens' spans come from (the token reader). */
export interface TokenSpans {
  span(at: number): SourceSpan;
}

abstract class ArgNode {
  constructor(private readonly tokens: TokenSpans, private readonly first: number, private readonly last: number) {}

  get span(): Span {
    const a = this.tokens.span(this.first);
    return this.first === this.last ? a : spanFrom(a, this.tokens.span(this.last));
  }

  /** The argument as ast.ts writes it: its own fields, then its span. */
  toJSON(): object {
    const { tokens: _t, first: _f, last: _l, ...fields } = this;
    return { ...fields, span: this.span };
  }
}

class NumberArg extends ArgNode {
  readonly kind = 'number';
  constructor(tokens: TokenSpans, at: number, readonly value: number, readonly sized: boolean) {
    super(tokens, at, at);
  }
}

class WordArg extends ArgNode {
  readonly kind = 'word';
  constructor(tokens: TokenSpans, at: number, readonly name: string) {
    super(tokens, at, at);
  }
}

class DirectionArg extends ArgNode {
  readonly kind = 'direction';
  constructor(tokens: TokenSpans, at: number, readonly dir: Direction) {
    super(tokens, at, at);
  }
}

class OwnerArg extends ArgNode {
  readonly kind = 'owner';
  constructor(tokens: TokenSpans, first: number, last: number, readonly device: string, readonly dir: Direction) {
    super(tokens, first, last);
  }
}

export const numberArg = (t: TokenSpans, at: number, value: number, sized: boolean): Arg => new NumberArg(t, at, value, sized);
export const wordArg = (t: TokenSpans, at: number, name: string): Arg => new WordArg(t, at, name);
export const directionArg = (t: TokenSpans, at: number, dir: Direction): Arg => new DirectionArg(t, at, dir);
export const ownerArg = (t: TokenSpans, first: number, last: number, device: string, dir: Direction): Arg => new OwnerArg(t, first, last, device, dir);
