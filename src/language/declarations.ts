// Turns a declaration line's words and options into a typed declaration (spec §3), checking every option's
// key and value; defaults are left to the machine, except where a check needs them (cache geometry).
import type { Arg, CacheDecl, Decl, DeviceDecl, MemoryDecl, NamedArg, PlatformDecl, Span } from './ast';
import type { DiagnosticList } from './diagnostics';
import { quoted } from '../text/shorten';

export const DECLARATION_KEYWORDS = new Set(['platform', 'cache', 'memory', 'device']);

export const CACHE_DEFAULTS = { size: 32 * 1024, ways: 4, line: 64 } as const;
const PAGE_SIZE = 4096;

function isPowerOfTwo(v: number): boolean {
  return v > 0 && Number.isInteger(Math.log2(v));
}

/** Reads one declaration's arguments, reporting into `diags`. */
class DeclReader {
  constructor(private readonly keyword: string, private readonly diags: DiagnosticList) {}

  word(arg: Arg, choices: readonly string[], what: string): string | undefined {
    if (arg.kind === 'word' && choices.includes(arg.name)) return arg.name;
    this.diags.error(arg.span, `${what} must be ${choices.join(', ')}`);
    return undefined;
  }

  /** A whole number, checked against `rule` (which names what it wants when it fails). */
  number(arg: Arg, what: string, rule: (v: number) => string | undefined, allowZero = false): number | undefined {
    if (arg.kind !== 'number') {
      this.diags.error(arg.span, `${what} must be a number`);
      return undefined;
    }
    const min = allowZero ? 0 : 1;
    const problem = arg.value < min ? (allowZero ? 'zero or more' : 'greater than zero') : rule(arg.value);
    if (problem === undefined) return arg.value;
    this.diags.error(arg.span, `${what} must be ${problem}, not ${arg.value}`);
    return undefined;
  }

  /** Applies each `key=value` through its handler; unknown and repeated keys are errors. */
  options(named: NamedArg[], handlers: Record<string, (value: Arg) => void>): void {
    const seen = new Set<string>();
    for (const n of named) {
      const handle = Object.prototype.hasOwnProperty.call(handlers, n.key) ? handlers[n.key] : undefined;
      if (!handle) {
        const known = Object.keys(handlers).map((k) => k + '=').join(', ');
        this.diags.error(n.keySpan, `unknown option ${quoted(n.key)} for ${this.keyword}${known ? ` (expected ${known})` : ''}`);
      } else if (seen.has(n.key)) {
        this.diags.error(n.keySpan, `option ${quoted(n.key)} given twice`);
      } else {
        seen.add(n.key);
        handle(n.value);
      }
    }
  }

  /** Bare words such as `coherent`: each at most once. */
  flags(args: Arg[], allowed: readonly string[]): Set<string> {
    const set = new Set<string>();
    for (const a of args) {
      if (a.kind !== 'word' || !allowed.includes(a.name)) {
        const shown = a.kind === 'word' ? quoted(a.name) : 'this';
        this.diags.error(a.span, `unexpected ${shown} in ${this.keyword} (expected ${allowed.join(', ')} or options)`);
      } else if (set.has(a.name)) {
        this.diags.error(a.span, `${quoted(a.name)} given twice`);
      } else set.add(a.name);
    }
    return set;
  }
}

const anyNumber = (): undefined => undefined;

function platform(r: DeclReader, args: Arg[], named: NamedArg[], span: Span, diags: DiagnosticList): PlatformDecl | undefined {
  if (args.length === 0) {
    diags.error(span, 'platform needs an architecture: arm64, arm or x86_64');
    return undefined;
  }
  const arch = r.word(args[0], ['arm64', 'arm', 'x86_64'], 'the architecture') as PlatformDecl['arch'] | undefined;
  const flags = r.flags(args.slice(1), ['coherent', 'noncoherent']);
  if (flags.size > 1) diags.error(span, "a platform is either 'coherent' or 'noncoherent'");
  let swiotlbForce = false;
  r.options(named, { swiotlb: (v) => (swiotlbForce = r.word(v, ['force'], 'swiotlb') === 'force') });
  const coherent = flags.has('coherent') ? true : flags.has('noncoherent') ? false : undefined;
  return arch && { kind: 'platform', arch, coherent, swiotlbForce, span };
}

function cache(r: DeclReader, args: Arg[], named: NamedArg[], span: Span, diags: DiagnosticList): CacheDecl {
  r.flags(args, []);
  const decl: CacheDecl = { kind: 'cache', span };
  const powerOfTwo = (v: number): string | undefined => (isPowerOfTwo(v) ? undefined : 'a power of two');
  r.options(named, {
    size: (v) => (decl.size = r.number(v, 'the cache size', powerOfTwo)),
    ways: (v) => (decl.ways = r.number(v, 'ways', (n) => (Number.isInteger(n) ? undefined : 'a whole number'))),
    line: (v) => (decl.line = r.number(v, 'the line size', (n) => (isPowerOfTwo(n) && n >= 8 && n <= PAGE_SIZE ? undefined : 'a power of two from 8 to 4096'))),
    prefetch: (v) => (decl.prefetch = r.word(v, ['none', 'next-line', 'speculative'], 'prefetch') as CacheDecl['prefetch']),
  });
  // A value given but rejected (already reported) would be checked as its default: not what the user wrote.
  const rejected = (['size', 'ways', 'line'] as const).some((k) => decl[k] === undefined && named.some((n) => n.key === k));
  const size = decl.size ?? CACHE_DEFAULTS.size;
  const ways = decl.ways ?? CACHE_DEFAULTS.ways;
  const line = decl.line ?? CACHE_DEFAULTS.line;
  if (!rejected && size % (ways * line) !== 0) diags.error(span, `the cache size ${size} is not a multiple of ways × line (${ways} × ${line})`);
  return decl;
}

function memory(r: DeclReader, args: Arg[], named: NamedArg[], span: Span, diags: DiagnosticList): MemoryDecl | undefined {
  if (args.length === 0) {
    diags.error(span, 'memory needs a size, such as 8GiB');
    return undefined;
  }
  const size = r.number(args[0], 'the memory size', (v) => (v % PAGE_SIZE === 0 ? undefined : 'a multiple of 4KiB'));
  r.flags(args.slice(1), []);
  let seed: number | undefined;
  r.options(named, { seed: (v) => (seed = r.number(v, 'the seed', anyNumber, true)) });
  return size === undefined ? undefined : { kind: 'memory', size, seed, span };
}

function device(r: DeclReader, args: Arg[], named: NamedArg[], span: Span, diags: DiagnosticList): DeviceDecl | undefined {
  const name = args[0];
  if (!name || name.kind !== 'word' || name.name.includes('-')) {
    diags.error(name ? name.span : span, 'device needs a name');
    return undefined;
  }
  const flags = r.flags(args.slice(1), ['coherent', 'iommu', 'contiguous']);
  const decl: DeviceDecl = {
    kind: 'device', name: name.name, nameSpan: name.span, span, dmaMask: 64,
    coherent: flags.has('coherent'), iommu: flags.has('iommu'), contiguous: flags.has('contiguous'),
  };
  r.options(named, {
    dma_mask: (v) => (decl.dmaMask = r.number(v, 'dma_mask', (n) => (Number.isInteger(n) && n <= 64 ? undefined : 'a number of bits from 1 to 64')) ?? 64),
    max_segment_size: (v) => (decl.maxSegmentSize = r.number(v, 'max_segment_size', anyNumber)),
    segment_boundary: (v) => (decl.segmentBoundary = r.number(v, 'segment_boundary', (n) => (isPowerOfTwo(n + 1) ? undefined : 'a mask of the form 2^n-1, such as 0xFFFF'))),
  });
  return decl;
}

type Builder = (r: DeclReader, args: Arg[], named: NamedArg[], span: Span, diags: DiagnosticList) => Decl | undefined;
const BUILDERS: Record<string, Builder> = { platform, cache, memory, device };

export function buildDeclaration(keyword: string, args: Arg[], named: NamedArg[], span: Span, diags: DiagnosticList): Decl | undefined {
  return BUILDERS[keyword](new DeclReader(keyword, diags), args, named, span, diags);
}
