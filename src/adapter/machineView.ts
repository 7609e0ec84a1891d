// The scenario engine's state for the debugger: scopes, Watch/hover paths (`buf.owner`, `sgt[2].dma_address`,
// `cache.line(buf, 0x40)`, `buf[0x40]`), memory references and data-breakpoint watches. Reads only.
import { failedText } from '../machine/failedCalls';
import { quoted } from '../text/shorten';
import type { MachineState } from '../machine/state';
import type { Value } from '../runtime/values';
import { bytesOf, cpuRuns, valuesKey } from './cpuBytes';
import type { DataWatch, Scope, StateView, ValueNode } from './engine';
import { StepFlag, unknownData } from './engine';
import { hazardsNode, MachineNodes, watchId } from './machineNodes';
import type { ScenarioEngine } from './scenarioEngine';
import { hex, leaf, member } from './valueNodes';

const TOKEN = /\s*(0x[0-9a-fA-F_]+|\d[\d_]*|[A-Za-z_][A-Za-z0-9_]*|[.[\](),])/y;

function tokenize(expr: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < expr.length && (m = TOKEN.exec(expr))) out.push(m[1]);
  if (expr.slice(TOKEN.lastIndex).trim() !== '') throw new Error(`Cannot read ${quoted(expr.slice(TOKEN.lastIndex).trim())} in ${quoted(expr)}`);
  return out;
}

const isNumber = (t: string | undefined): boolean => t !== undefined && /^(0x[0-9a-fA-F_]+|\d[\d_]*)$/.test(t);
const numberOf = (t: string): number => Number(t.replace(/_/g, ''));

export class MachineView implements StateView {
  constructor(private readonly engine: ScenarioEngine) {}

  private get state(): MachineState {
    return this.engine.runner.machine.state;
  }

  private nodes(): MachineNodes {
    return new MachineNodes(this.state);
  }

  scopes(frame: number): Scope[] {
    const n = this.nodes();
    return [
      { name: 'Locals', node: this.localsNode(frame, n), expensive: false },
      { name: 'Buffers', node: n.buffersNode(), expensive: false },
      { name: 'Devices', node: n.devicesNode(), expensive: false },
      { name: 'Attachments and mappings', node: n.mappingsNode(), expensive: false },
      { name: 'CPU cache', node: n.cacheNode(), expensive: true },
      { name: 'Hazards', node: hazardsNode(this.engine.runner.hazards()), expensive: false },
    ];
  }

  private localsNode(frame: number, n: MachineNodes): ValueNode {
    const locals = this.locals(frame, n);
    return { name: 'Locals', value: `${locals.length}`, children: { named: locals.length, get: (s, c) => locals.slice(s, s + c) } };
  }

  private locals(frame: number, n: MachineNodes): ValueNode[] {
    const out: ValueNode[] = [];
    const f = this.engine.runner.frames()[frame];
    if (f?.kind === 'repeat' && f.iteration !== undefined) out.push(leaf('iteration', f.iteration, { type: `of ${f.count}` }));
    for (const [name, v] of this.engine.runner.bindings(frame)) out.push(this.valueNode(name, v, n));
    return out;
  }

  private valueNode(name: string, v: Value, n: MachineNodes): ValueNode {
    switch (v.kind) {
      case 'handle':
        return this.withBytes(n.handleNode(name, v.handle), v, n);
      case 'number':
        return leaf(name, `${v.value} (${hex(v.value)})`);
      case 'device':
        return leaf(name, `device ${v.name}`);
      case 'direction':
        return leaf(name, v.dir);
      case 'word':
        return leaf(name, v.name);
      case 'flag':
        return leaf(name, v.set ? 'set' : 'unset');
      case 'owner':
        return leaf(name, typeof v.owner === 'string' ? v.owner : `${v.owner.device}:${v.owner.dir}`);
    }
  }

  /** `buf[i]` on a buffer handle: the byte the CPU would read at offset i. */
  private withBytes(node: ValueNode, v: Value, n: MachineNodes): ValueNode {
    if (v.kind !== 'handle' || node.at) return node;
    const b = n.bufferOf(v.handle);
    if (!b) return node;
    return {
      ...node,
      at: (i) => {
        if (b.failed) throw new Error(`${node.name} has no bytes: ${failedText(b)}`);
        if (!Number.isInteger(i) || i < 0 || i >= b.size) return undefined;
        const [r] = cpuRuns(this.state, b, i, 1);
        return leaf(`${node.name}[${hex(i)}]`, hex(r?.value ?? 0), { dataId: watchId.bytes(b.id, i, 1) });
      },
    };
  }

  evaluate(expression: string, frame: number): ValueNode {
    const t = tokenize(expression);
    if (t.length === 0) throw new Error('Empty expression');
    const n = this.nodes();
    let k = 1;
    let node: ValueNode | undefined;
    if (t[0] === 'cache' && t[1] === '.' && t[2] === 'line') {
      node = this.cacheLine(t, frame, n);
      k = t.indexOf(')') + 1;
    } else {
      node = this.root(t[0], frame, n);
    }
    if (!node) throw new Error(`${t[0]} is not defined here`);
    while (k < t.length) {
      const path = t.slice(0, k).join('');
      if (t[k] === '.' && /^[A-Za-z_]/.test(t[k + 1] ?? '')) {
        node = member(node, t[k + 1]);
        if (!node) throw new Error(`${path} has no field ${t[k + 1]}`);
        k += 2;
      } else if (t[k] === '[' && isNumber(t[k + 1]) && t[k + 2] === ']') {
        const i = numberOf(t[k + 1]);
        node = node.at?.(i) ?? node.children?.get(i, 1)[0];
        if (!node) throw new Error(`${path}[${t[k + 1]}] is out of range`);
        k += 3;
      } else {
        throw new Error(`Cannot read ${quoted(t.slice(k).join(''))} in ${quoted(expression)}`);
      }
    }
    return { ...node, name: expression };
  }

  private root(name: string, frame: number, n: MachineNodes): ValueNode | undefined {
    if (isNumber(name)) return leaf(name, String(numberOf(name)));
    const local = this.locals(frame, n).find((l) => l.name === name);
    if (local) return local;
    switch (name) {
      case 'cache':
        return n.cacheNode();
      case 'buffers':
        return n.buffersNode();
      case 'devices':
        return n.devicesNode();
      case 'hazards':
        return hazardsNode(this.engine.runner.hazards());
      default:
        return member(n.devicesNode(), name);
    }
  }

  /** `cache.line(buf, off)` (the line holding that byte of the buffer) or `cache.line(PHYS)`. */
  private cacheLine(t: string[], frame: number, n: MachineNodes): ValueNode {
    const close = t.indexOf(')');
    if (t[3] !== '(' || close < 0) throw new Error('Use cache.line(BUF, OFFSET) or cache.line(PHYS)');
    const args = t.slice(4, close).filter((x) => x !== ',');
    let phys: number;
    if (args.length === 1 && isNumber(args[0])) phys = numberOf(args[0]);
    else if (args.length === 2 && isNumber(args[1])) {
      const v = this.engine.runner.bindings(frame).get(args[0]);
      const b = v?.kind === 'handle' ? n.bufferOf(v.handle) : undefined;
      if (!b || b.failed) throw new Error(`${args[0]} is not a buffer with pages here`);
      const off = numberOf(args[1]);
      if (off >= b.size) throw new Error(`${hex(off)} is beyond the ${b.size} bytes of ${args[0]}`);
      let rest = off;
      const seg = b.segs.find((g) => (rest < g.len ? true : ((rest -= g.len), false)))!;
      phys = seg.phys + rest;
    } else throw new Error('Use cache.line(BUF, OFFSET) or cache.line(PHYS)');
    return n.lineNode('line', n.lineIndexAt(phys), phys);
  }

  readMemory(reference: string, offset: number, count: number): { address: string; data: Uint8Array; unreadable: number } | undefined {
    const m = /^(cpu|mem):(\d+)$/.exec(reference);
    const b = m ? this.state.buffers.get(Number(m[2])) : undefined;
    if (!m || !b) return undefined;
    // Bytes before the buffer are left out (the address is that of the first byte returned); those of the range
    // past its end are unreadable, as DAP counts them: after the last byte read. A range wholly before it is all unreadable.
    const from = Math.max(0, offset);
    const end = offset + count;
    const n = Math.max(0, Math.min(end, b.size) - from);
    const data = n > 0 ? bytesOf(cpuRuns(this.state, b, from, n, m[1] === 'cpu'), n) : new Uint8Array(0);
    return { address: hex(from), data, unreadable: end <= 0 ? count : end - from - n };
  }

  watch(dataId: string): DataWatch {
    const owner = /^owner:(\d+)$/.exec(dataId);
    if (owner) {
      const id = Number(owner[1]);
      this.checkWatched(id);
      return { description: `owner of buffer #${id}`, flags: StepFlag.owner, ownerOf: id, read: () => this.readOwner(id) };
    }
    const line = /^line:(\d+)$/.exec(dataId);
    if (line) {
      const phys = Number(line[1]);
      return { description: `state of the cache line at ${hex(phys)}`, flags: StepFlag.cache, read: () => this.nodes().lineState(phys) };
    }
    const bytes = /^bytes:(\d+):(\d+):(\d+)$/.exec(dataId);
    if (bytes) {
      const [id, off, len] = [Number(bytes[1]), Number(bytes[2]), Number(bytes[3])];
      this.checkWatched(id, off, len);
      return {
        description: `bytes [${hex(off)}, +${hex(len)}) of buffer #${id} as the CPU reads them`,
        flags: StepFlag.bytes,
        read: () => {
          const b = this.state.buffers.get(id);
          return b ? valuesKey(cpuRuns(this.state, b, off, len)) : 'none';
        },
      };
    }
    throw unknownData(dataId);
  }

  /**
   * Throws when buffer `id` is none the run ever allocated, or bytes [off, off + len) are not all in it: such a
   * watch would never fire. (A buffer freed by now, or not yet allocated, has the size the recorded run gave it; a
   * failed allocation allocated nothing, though the machine holds it to name the NULL it returned.)
   */
  private checkWatched(id: number, off = 0, len = 1): void {
    const held = this.state.buffers.get(id);
    if (held?.failed) throw new Error(`Buffer #${id} is a failed allocation: it never held a byte`);
    const size = held?.size ?? this.engine.sizeOfBuffer(id);
    if (size === undefined) throw new Error(`No buffer #${id} in this run`);
    if (len === 0 || off + len > size) throw new Error(`Bytes [${hex(off)}, +${hex(len)}) are not all in the ${size} bytes of buffer #${id}`);
  }

  private readOwner(id: number): string {
    const b = this.state.buffers.get(id);
    return b ? this.nodes().ownerSummary(b) : 'none';
  }
}
