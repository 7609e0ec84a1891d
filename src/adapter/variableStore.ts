// Turns the engine's lazy value nodes into DAP variables: one handle per expandable node, valid until the next
// stop, with large collections paged through `indexedVariables` so no request sends thousands at once.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ValueNode } from './engine';
import { member } from './valueNodes';

/** Most children one variables request returns when the client asks for all of them. */
export const PAGE_LIMIT = 1000;

export class VariableStore {
  private nodes = new Map<number, ValueNode>();
  private shown = new Map<number, Map<string, ValueNode>>();
  private nextRef = 1;

  /** Forgets every handle: the state changed. */
  reset(): void {
    this.nodes.clear();
    this.shown.clear();
  }

  /** A handle for the node's children (0 when it has none). */
  ref(node: ValueNode): number {
    if (!node.children) return 0;
    const ref = this.nextRef++;
    this.nodes.set(ref, node);
    return ref;
  }

  toDap(node: ValueNode): DebugProtocol.Variable {
    const c = node.children;
    return {
      name: node.name,
      value: node.value,
      type: node.type,
      variablesReference: this.ref(node),
      indexedVariables: c?.indexed,
      namedVariables: c?.named,
      memoryReference: node.memoryReference,
    };
  }

  has(ref: number): boolean {
    return this.nodes.has(ref);
  }

  /** Children of a handle; a node's children are all indexed or all named, so the other filter gets none. */
  children(ref: number, filter?: 'indexed' | 'named', start = 0, count?: number): DebugProtocol.Variable[] {
    const node = this.nodes.get(ref);
    if (!node?.children) return [];
    const c = node.children;
    const total = c.indexed ?? c.named ?? 0;
    if ((filter === 'indexed' && c.indexed === undefined) || (filter === 'named' && c.named === undefined)) return [];
    const from = Math.max(0, Math.min(start, total));
    const n = Math.min(count && count > 0 ? count : PAGE_LIMIT, PAGE_LIMIT, total - from);
    const kids = c.get(from, n);
    const byName = this.shown.get(ref) ?? new Map<string, ValueNode>();
    for (const k of kids) byName.set(k.name, k);
    this.shown.set(ref, byName);
    return kids.map((k) => this.toDap(k));
  }

  /** A child of a handle by name (for dataBreakpointInfo): as last listed, else looked up among the named children. */
  child(ref: number, name: string): ValueNode | undefined {
    const shown = this.shown.get(ref)?.get(name);
    if (shown) return shown;
    const node = this.nodes.get(ref);
    return node && member(node, name);
  }
}
