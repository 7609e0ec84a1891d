// Builders for the Variables view's nodes: leaves, small named groups, and large collections paged by index.
import type { ValueNode } from './engine';

export const hex = (n: number): string => '0x' + n.toString(16);

export function leaf(name: string, value: string | number, extra: Partial<ValueNode> = {}): ValueNode {
  return { name, value: typeof value === 'number' ? String(value) : value, ...extra };
}

/** A node whose children are a short list, built when expanded. */
export function group(name: string, value: string, children: () => ValueNode[], extra: Partial<ValueNode> = {}): ValueNode {
  let cache: ValueNode[] | undefined;
  const all = (): ValueNode[] => (cache ??= children());
  return {
    name,
    value,
    ...extra,
    children: {
      get named() {
        return all().length;
      },
      get: (start, count) => all().slice(start, start + count),
    },
  };
}

/** A collection of `count` items, each built only when its page is requested. */
export function indexed(name: string, value: string, count: number, item: (i: number) => ValueNode, extra: Partial<ValueNode> = {}): ValueNode {
  return {
    name,
    value,
    ...extra,
    at: (i) => (Number.isInteger(i) && i >= 0 && i < count ? item(i) : undefined),
    children: {
      indexed: count,
      get: (start, n) => {
        const out: ValueNode[] = [];
        for (let i = start; i < Math.min(count, start + n); i++) out.push(item(i));
        return out;
      },
    },
  };
}

/** The child of a node by name, for `a.b` paths (named children only). */
export function member(node: ValueNode, name: string): ValueNode | undefined {
  const c = node.children;
  if (!c || c.named === undefined) return undefined;
  return c.get(0, c.named).find((k) => k.name === name);
}
