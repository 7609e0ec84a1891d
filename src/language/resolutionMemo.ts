// Resolutions of calls written alike: a generated or imported scenario repeats a few statements a million times,
// and a call whose tokens match an earlier one's, with the same bindings in scope, resolves to the same thing.
import type { ResolvedCall } from './ast';
import type { CallNode } from './callNode';

/**
 * Slots, each remembering the last call whose tokens hash to it: a file of all-different calls (an imported trace
 * names every buffer apart) costs a bounded table and no garbage per call, and one of a few calls repeated finds
 * them all.
 */
const SLOTS = 4096;

interface Entry {
  node: CallNode;
  hash: number;
  /** The scope's bindings version it was resolved under; a new binding type makes it stale. */
  version: number;
  resolved: ResolvedCall;
}

/** A call's slot: its hash mixed first, as calls that differ by a multiple of 4096 (a page offset) hash 4096 apart. */
const slotOf = (hash: number): number => Math.imul(hash, 0x9e3779b1) >>> 20;

export class ResolutionMemo {
  private readonly entries: (Entry | undefined)[] = new Array<Entry | undefined>(SLOTS);

  /** The resolution of an earlier call with `node`'s very tokens, under bindings `version`. */
  find(node: CallNode, hash: number, version: number): ResolvedCall | undefined {
    const e = this.entries[slotOf(hash)];
    return e !== undefined && e.hash === hash && e.version === version && e.node.sameArguments(node) ? e.resolved : undefined;
  }

  /** Only a call that resolved without errors may stand for later ones: each error is reported where it is. */
  remember(node: CallNode, hash: number, version: number, resolved: ResolvedCall): void {
    const slot = slotOf(hash);
    const e = this.entries[slot];
    if (e === undefined) this.entries[slot] = { node, hash, version, resolved };
    else {
      e.node = node;
      e.hash = hash;
      e.version = version;
      e.resolved = resolved;
    }
  }
}
