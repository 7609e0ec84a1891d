// The lexical rules of spec §2: tokens, positions, numbers and sizes, hyphenated hazard kinds, lexical errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T, tokenize, type Tokens } from '../../src/language/lexer';

function kinds(tk: Tokens): number[] {
  return Array.from(tk.kind.subarray(0, tk.count));
}

function numbers(text: string): number[] {
  const tk = tokenize(text);
  const out: number[] = [];
  for (let i = 0; i < tk.count; i++) if (tk.kind[i] === T.Number || tk.kind[i] === T.Size) out.push(tk.ref[i]);
  return out;
}

test('tokens carry 1-based line and column spans', () => {
  const tk = tokenize('a = kmalloc(4K)\n\n  cpu.read(a, 0, 1)');
  assert.deepEqual(kinds(tk), [
    T.Ident, T.Equals, T.Ident, T.LParen, T.Size, T.RParen, T.Newline,
    T.Ident, T.Dot, T.Ident, T.LParen, T.Ident, T.Comma, T.Number, T.Comma, T.Number, T.RParen, T.Newline, T.End,
  ]);
  assert.deepEqual([tk.line[2], tk.column[2], tk.length[2]], [1, 5, 7]);
  assert.deepEqual([tk.line[7], tk.column[7], tk.length[7]], [3, 3, 3]);
  assert.equal(tk.names[tk.ref[9]], 'read');
});

test('a byte order mark at the start is skipped, and columns count after it; anywhere else it is an error', () => {
  const tk = tokenize('\ufeffp = kmalloc(4K)\nkfree(p)\n');
  assert.deepEqual(kinds(tk), kinds(tokenize('p = kmalloc(4K)\nkfree(p)\n')));
  assert.deepEqual([tk.line[0], tk.column[0], tk.line[2], tk.column[2]], [1, 1, 1, 5]);
  assert.equal(tokenize('p = 1\n\ufeffq = 2\n').errors.length, 1);
});

test('a # comment runs to the end of the line and blank lines give no tokens', () => {
  const tk = tokenize('# only a comment\n\n\nkfree(p) # trailing\n');
  assert.deepEqual(kinds(tk), [T.Ident, T.LParen, T.Ident, T.RParen, T.Newline, T.End]);
  assert.equal(tk.line[0], 4);
});

test('numbers: decimal, hex, underscores', () => {
  assert.deepEqual(numbers('4096 0x1000 0x8000_0000 1_000 0xa5 0XFF'), [4096, 4096, 0x80000000, 1000, 0xa5, 0xff]);
});

test('sizes: K/KiB, M/MiB, G/GiB are powers of 1024 and mark the token as a size', () => {
  assert.deepEqual(numbers('4K 4KiB 1M 1MiB 2G 2GiB 0x10K'), [4096, 4096, 1 << 20, 1 << 20, 2 * 2 ** 30, 2 * 2 ** 30, 16 * 1024]);
  const tk = tokenize('32KiB 32');
  assert.deepEqual([tk.kind[0], tk.kind[1]], [T.Size, T.Number]);
});

test('identifiers of the same text are interned once', () => {
  const tk = tokenize('buf buf other buf');
  assert.deepEqual(tk.names, ['buf', 'other']);
  assert.equal(tk.ref[0], tk.ref[3]);
});

test('hazard kinds such as stale-read are one hyphenated word', () => {
  const tk = tokenize('expect_hazard(cpu-access-while-device-owned) next-line a - b');
  assert.equal(tk.kind[2], T.Word);
  assert.equal(tk.names[tk.ref[2]], 'cpu-access-while-device-owned');
  assert.equal(tk.names[tk.ref[4]], 'next-line');
  assert.equal(tk.errors.length, 1, 'a lone hyphen is not a token');
});

test('DEV:DIR owner syntax lexes as identifier, colon, identifier', () => {
  const tk = tokenize('isp:FROM_DEVICE');
  assert.deepEqual(kinds(tk), [T.Ident, T.Colon, T.Ident, T.Newline, T.End]);
});

test('a value above Number.MAX_SAFE_INTEGER is "number too large"', () => {
  const tk = tokenize('\n  x(0xFFFF_FFFF_FFFF_FFFF)');
  assert.deepEqual(tk.errors, [{ line: 2, column: 5, length: 21, message: "number too large: '0xFFFF_FFFF_FFFF_FFFF' is above 2^53-1" }]);
  assert.equal(tokenize('9007199254740991').errors.length, 0);
  assert.equal(tokenize('9007199254740992').errors.length, 1);
  assert.equal(tokenize('8388608G').errors.length, 1, 'the unit counts: 2^23 GiB is 2^53');
});

test('malformed numbers and unknown characters are lexical errors, one per line', () => {
  assert.deepEqual(tokenize('12abc').errors.map((e) => e.message), ["invalid number '12abc' (sizes take K, KiB, M, MiB, G or GiB)"]);
  assert.deepEqual(tokenize('1__0 0x').errors.map((e) => e.message), ["invalid number '1__0'"]);
  assert.deepEqual(tokenize('0x_10').errors.map((e) => e.message), ["invalid number '0x_10'"]);
  assert.deepEqual(tokenize('10_').errors.map((e) => e.message), ["invalid number '10_'"]);
  assert.deepEqual(tokenize('a $ @ %\nb \u0000').errors.map((e) => [e.line, e.column, e.message]), [
    [1, 3, "unexpected character '$'"],
    [2, 3, 'unexpected character U+0000'],
  ]);
});

test('negative numbers lex (so the resolver can say a size must be positive)', () => {
  assert.deepEqual(numbers('-4 -0x10'), [-4, -16]);
});

test('CRLF line ends are accepted', () => {
  const tk = tokenize('a\r\nb\r\n');
  assert.deepEqual([tk.line[2], tk.column[2]], [2, 1]);
  assert.equal(tk.errors.length, 0);
});
