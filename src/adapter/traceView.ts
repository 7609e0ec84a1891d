// A trace's state for the debugger at the current event: scopes, Watch paths (`event.dma_addr`,
// `devices["0000:00:02.0"].mappings[0]`, `iommu[2]`) and hover on an address (the live mapping holding it).
import { describe } from '../ftrace/index';
import { quoted } from '../text/shorten';
import type { DataWatch, Scope, StateView, ValueNode } from './engine';
import { unknownData } from './engine';
import type { TraceEngine } from './traceEngine';
import { parseAddress } from './traceBreakpoints';
import { bounceSlotsNode, devicesNode, eventNode, findingsNode, iommuScope, mappingNode } from './traceNodes';
import { hex, leaf, member } from './valueNodes';

/** An address as traces print it: `0x1d5e000` or bare hex (`phys_addr=1d5e000`). */
const PATH_TOKEN = /\s*(?:\.\s*([^.[\]\s]+)|\[\s*(\d+)\s*\]|\[\s*"([^"]*)"\s*\])/y;

export class TraceView implements StateView {
  constructor(private readonly engine: TraceEngine) {}

  /** The scopes, by the names Watch paths start with; each built only when asked for. `step`: as `scopes` takes it. */
  private roots(step: number | undefined): Record<string, () => ValueNode> {
    const e = this.engine;
    return {
      event: () => eventNode(step === undefined ? e.pending : e.recordOf(step), e.position > 0 ? e.columns.lineOf(e.position - 1) : 0),
      devices: () => devicesNode(() => e.checker),
      iommu: () => iommuScope(e.checker),
      bounces: () => bounceSlotsNode(e.checker),
      findings: () => findingsNode(e.hazardsBefore(e.position)),
    };
  }

  scopes(_frame = 0, step?: number): Scope[] {
    return Object.values(this.roots(step)).map((make) => {
      const node = make();
      return { name: node.name, node, expensive: false };
    });
  }

  evaluate(expression: string, _frame = 0, step?: number): ValueNode {
    const text = expression.trim();
    const address = parseAddress(text);
    if (address !== undefined) return this.addressNode(text, address);
    const root = /^[A-Za-z_]+/.exec(text)?.[0] ?? '';
    const roots = this.roots(step);
    if (!Object.hasOwn(roots, root)) throw new Error(`Unknown name ${root || text}: use event, devices, iommu, bounces, findings or an address`);
    let node = roots[root]();
    PATH_TOKEN.lastIndex = root.length;
    while (PATH_TOKEN.lastIndex < text.length) {
      const from = PATH_TOKEN.lastIndex;
      const m = PATH_TOKEN.exec(text);
      if (!m) throw new Error(`Cannot read ${quoted(text.slice(from))} in ${quoted(text)}`);
      const next: ValueNode | undefined = m[2] !== undefined ? node.at?.(Number(m[2])) : member(node, m[1] ?? m[3]);
      if (!next) throw new Error(`${text.slice(0, from)} has no ${m[2] !== undefined ? `[${m[2]}]` : m[1] ?? m[3]}`);
      node = next;
    }
    return node;
  }

  /** What holds `addr` now: a streaming mapping (by dma or physical address), a coherent allocation, the IOMMU. */
  private addressNode(name: string, addr: number): ValueNode {
    const c = this.engine.checker;
    const hit = c.mappingAt(addr);
    if (hit) {
      const s = hit.segment;
      const side = addr >= s.dma && addr < s.dma + s.size ? `dma +${hex(addr - s.dma)}` : `phys +${hex(addr - s.phys)}`;
      const entry = hit.mapping.kind === 'sg' ? `entry ${s.index}: ` : '';
      return mappingNode(name, hit.mapping, `${hit.device}: ${describe(hit.mapping)} ${hit.mapping.dir}, ${entry}dma ${hex(s.dma)} <-> phys ${hex(s.phys)}, ${s.size} bytes (${side})`);
    }
    for (const d of c.devices.values()) {
      for (const a of d.coherent.values()) {
        if (addr >= a.dma && addr < a.dma + a.size) return leaf(name, `${d.name}: ${a.api} allocation ${hex(a.dma)}, ${a.size} bytes (line ${a.origin.line})`);
      }
    }
    const io = c.iommu.at(addr);
    if (io) return leaf(name, `IOMMU: iova ${hex(io.iova)} -> paddr ${hex(io.paddr)}, ${io.size} bytes (line ${io.origin.line})`);
    const where = this.engine.pending ? `before line ${this.engine.pending.line}` : 'at the end of the trace';
    return leaf(name, `${hex(addr)}: no live mapping holds it ${where}`);
  }

  readMemory(): undefined {
    // A trace records addresses, never the bytes at them.
    return undefined;
  }

  watch(dataId: string): DataWatch {
    // Nothing of a trace holds data to watch: its events are watched by function breakpoints.
    throw unknownData(dataId);
  }
}
