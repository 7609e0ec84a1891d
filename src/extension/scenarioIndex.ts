// What the editor features need to know about one version of a scenario: its parse, the statement on each line,
// and where every binding, parameter, proc and device is defined. Free of VS Code so it can be unit-tested.
import type { CallStmt, Program, Span, Stmt } from '../language/ast';
import { parseScenario } from '../language';
import type { Diagnostic } from '../language/diagnostics';
import { SIGNATURES, type HandleType } from '../language/signatures';

export type DefinitionKind = 'binding' | 'param' | 'proc' | 'device';

export interface Definition {
  name: string;
  kind: DefinitionKind;
  /** The name where it is defined. */
  span: Span;
  /** The proc whose frame owns it; undefined at top level. */
  proc?: string;
  /** For bindings: the call that produced the handle. */
  stmt?: CallStmt;
}

/** A node of the outline: declarations, procs, repeat blocks and bindings, nested as in the file. */
export interface OutlineNode {
  name: string;
  detail: string;
  kind: 'platform' | 'cache' | 'memory' | 'device' | 'proc' | 'repeat' | 'binding';
  span: Span;
  selection: Span;
  children: OutlineNode[];
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;

export class ScenarioIndex {
  readonly program: Program;
  readonly diagnostics: Diagnostic[];
  readonly outline: OutlineNode[];
  private readonly lines: string[];
  private readonly calls = new Map<number, CallStmt>();
  private readonly defs: Definition[] = [];
  private readonly procLines: { name: string; first: number; last: number }[] = [];

  constructor(text: string, file: string) {
    const { program, diagnostics } = parseScenario(text, file);
    this.program = program;
    this.diagnostics = diagnostics;
    this.lines = text.split(/\r?\n/);
    for (const d of program.devices.values()) this.defs.push({ name: d.name, kind: 'device', span: d.nameSpan });
    this.outline = this.walk(program.body, undefined);
  }

  /** The call statement starting on a 1-based line, if any. */
  callAt(line: number): CallStmt | undefined {
    return this.calls.get(line);
  }

  /** The text of a 1-based line ('' past the end). */
  lineText(line: number): string {
    return this.lines[line - 1] ?? '';
  }

  /** The identifier under a 1-based position, with its span. */
  wordAt(line: number, column: number): { name: string; span: Span } | undefined {
    const text = this.lineText(line);
    // `#` starts a comment wherever it stands: the words after it are prose, not names.
    const comment = text.indexOf('#');
    for (const m of text.matchAll(IDENT)) {
      if (comment >= 0 && m.index > comment) break;
      const start = m.index + 1;
      if (column >= start && column <= start + m[0].length) {
        return { name: m[0], span: { start: { line, column: start }, end: { line, column: start + m[0].length } } };
      }
    }
    return undefined;
  }

  /** The proc whose body holds a 1-based line, if any. */
  procAt(line: number): string | undefined {
    return this.procLines.find((p) => line >= p.first && line <= p.last)?.name;
  }

  /**
   * Where a name used on a line is defined: a proc or device by its name; a binding by the latest assignment before
   * the use in the frame that sees it (proc locals and parameters first, then top-level bindings, which a proc sees
   * as they are when it runs, so a later top-level assignment is the answer when no earlier one exists). A use on
   * the line of an assignment is read before it binds (`p = dma_map_single(nic, p, ...)`); the binding's own name,
   * at `column`, is its definition.
   */
  definitionOf(name: string, line: number, column?: number): Definition | undefined {
    const fixed = this.defs.find((d) => d.name === name && (d.kind === 'device' || d.kind === 'proc'));
    if (fixed) return fixed;
    const own = this.defs.find((d) => d.name === name && d.span.start.line === line && column !== undefined && column >= d.span.start.column && column <= d.span.end.column);
    if (own) return own;
    const proc = this.procAt(line);
    const inScope = (p: string | undefined) => this.defs.filter((d) => d.name === name && d.proc === p && (d.kind === 'binding' || d.kind === 'param'));
    const latestBefore = (ds: Definition[]) => ds.filter((d) => d.span.start.line < line).pop();
    if (proc !== undefined) {
      const local = latestBefore(inScope(proc));
      if (local) return local;
    }
    const top = inScope(undefined);
    return latestBefore(top) ?? top[0];
  }

  /** Every binding and parameter name, for telling handles apart from API names and keywords. */
  isHandleName(name: string): boolean {
    return this.defs.some((d) => d.name === name && (d.kind === 'binding' || d.kind === 'param'));
  }

  /** What a binding holds where it is used, when the call that bound it says so statically. */
  handleTypeOf(name: string, line: number, column?: number): HandleType | undefined {
    const d = this.definitionOf(name, line, column);
    return d?.stmt?.resolved ? SIGNATURES.get(d.stmt.resolved.op)?.returns : undefined;
  }

  /** The device an attachment handle was made for by its `dma_buf_attach`, statically. */
  attachedDevice(attachment: string, line: number): string | undefined {
    const dev = this.definitionOf(attachment, line)?.stmt?.resolved?.args.dev;
    return dev?.kind === 'device' ? dev.name : undefined;
  }

  /**
   * The buffer binding a handle leads to, statically: a buffer itself, the buffer a mapping maps (`h` from
   * `dma_map_single(dev, rx, ...)` leads to `rx`), the dma-buf of an attachment or of its sg mapping.
   */
  bufferBehind(name: string, line: number): string | undefined {
    for (let depth = 0; depth < 3; depth++) {
      const def = this.definitionOf(name, line);
      const resolved = def?.stmt?.resolved;
      const type = resolved && SIGNATURES.get(resolved.op)?.returns;
      if (!def || !resolved || !type) return undefined;
      if (type === 'cpu_ptr' || type === 'coherent' || type === 'dmabuf') return name;
      const via = resolved.args.p ?? resolved.args.a ?? resolved.args.buf;
      if (via?.kind !== 'handle') return undefined;
      name = via.name;
      line = def.span.start.line;
    }
    return undefined;
  }

  private walk(body: Stmt[], proc: string | undefined): OutlineNode[] {
    const nodes: OutlineNode[] = [];
    for (const s of body) {
      const node = this.visit(s, proc);
      if (node) nodes.push(node);
    }
    return nodes;
  }

  private visit(s: Stmt, proc: string | undefined): OutlineNode | undefined {
    const leaf = (name: string, detail: string, kind: OutlineNode['kind'], selection: Span): OutlineNode => ({ name, detail, kind, span: s.span, selection, children: [] });
    switch (s.kind) {
      case 'platform':
        return leaf('platform', s.arch + (s.coherent === undefined ? '' : s.coherent ? ' coherent' : ' noncoherent'), 'platform', s.span);
      case 'cache':
      case 'memory':
        return leaf(s.kind, this.lineText(s.span.start.line).replace(/#.*/, '').trim().slice(s.kind.length).trim(), s.kind, s.span);
      case 'device':
        return leaf(s.name, 'device', 'device', s.nameSpan);
      case 'proc': {
        this.defs.push({ name: s.name, kind: 'proc', span: s.nameSpan });
        for (const p of s.params) this.defs.push({ name: p.name, kind: 'param', span: p.span, proc: s.name });
        this.procLines.push({ name: s.name, first: s.span.start.line, last: s.span.end.line });
        const node = leaf(s.name, `proc(${s.params.map((p) => p.name).join(', ')})`, 'proc', s.nameSpan);
        node.span = s.span;
        node.children = this.walk(s.body, s.name);
        return node;
      }
      case 'repeat': {
        const node = leaf(`repeat ${s.count}`, '', 'repeat', s.countSpan);
        node.span = s.span;
        node.children = this.walk(s.body, proc);
        return node;
      }
      case 'call':
        this.calls.set(s.span.start.line, s);
        if (!s.target) return undefined;
        this.defs.push({ name: s.target.name, kind: 'binding', span: s.target.span, proc, stmt: s });
        return leaf(s.target.name, s.callee, 'binding', s.target.span);
    }
  }
}

