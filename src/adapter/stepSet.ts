// Sets of steps that answer `ReadonlySet<number>` without a number per member in a JavaScript Set: what a
// breakpoint over a long trace matches may be millions of steps.
import { Growable } from './growable';
import { countAtMost } from '../sorted/search';

/** `ReadonlySet`'s derived members, from `values`, `has` and `size`. */
export abstract class StepSet implements ReadonlySet<number> {
  abstract readonly size: number;
  abstract has(step: number): boolean;
  abstract values(): IterableIterator<number>;

  keys(): IterableIterator<number> {
    return this.values();
  }

  *entries(): IterableIterator<[number, number]> {
    for (const v of this.values()) yield [v, v];
  }

  [Symbol.iterator](): IterableIterator<number> {
    return this.values();
  }

  forEach(each: (value: number, key: number, set: ReadonlySet<number>) => void): void {
    for (const v of this.values()) each(v, v, this);
  }
}

/** Steps added in ascending order, four bytes each; membership by binary search. */
export class SortedSteps extends StepSet {
  private readonly steps = new Growable(Uint32Array);

  get size(): number {
    return this.steps.length;
  }

  /** Adds `step`, above every step added before. */
  add(step: number): void {
    this.steps.push(step);
  }

  has(step: number): boolean {
    const v = this.steps.view();
    const k = countAtMost(v, step);
    return k > 0 && v[k - 1] === step;
  }

  *values(): IterableIterator<number> {
    const v = this.steps.view();
    for (let i = 0; i < v.length; i++) yield v[i];
  }

  /** The steps as one array (no copy). */
  view(): Uint32Array {
    return this.steps.view() as Uint32Array;
  }
}
