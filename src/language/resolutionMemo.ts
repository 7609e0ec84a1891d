// Resolutions of calls written alike: a generated or imported scenario repeats a few statements a million times,
// and a call whose tokens match an earlier one's, with the same bindings in scope, resolves to the same thing.
import type { ResolvedCall } from './ast';
import type { CallNode } from './callNode';

/** Distinct calls remembered at most: a file of all-different calls costs a bounded table, not one per call. */
const LIMIT = 4096;

export class ResolutionMemo {
  private readonly entries = new Map<number, { node: CallNode; resolved: ResolvedCall }[]>();
  private size = 0;
  /** The scope's bindings version the entries were resolved under; a new binding type invalidates them. */
  private version = -1;

  /** The resolution of an earlier call with `node`'s very tokens, under bindings `version`. */
  find(node: CallNode, hash: number, version: number): ResolvedCall | undefined {
    if (version !== this.version) return undefined;
    const list = this.entries.get(hash);
    if (list) for (const e of list) if (e.node.sameArguments(node)) return e.resolved;
    return undefined;
  }

  /** Only a call that resolved without errors may stand for later ones: each error is reported where it is. */
  remember(node: CallNode, hash: number, version: number, resolved: ResolvedCall): void {
    if (version !== this.version || this.size >= LIMIT) this.clear(version);
    const list = this.entries.get(hash);
    if (list) list.push({ node, resolved });
    else this.entries.set(hash, [{ node, resolved }]);
    this.size++;
  }

  private clear(version: number): void {
    this.entries.clear();
    this.size = 0;
    this.version = version;
  }
}
