// A typed array that grows by doubling: the recording's storage, a few bytes per step and no object per step.

type TypedArrayCtor = Uint8ArrayConstructor | Uint16ArrayConstructor | Uint32ArrayConstructor | Float64ArrayConstructor;
type TypedArray = Uint8Array | Uint16Array | Uint32Array | Float64Array;

export class Growable {
  private data: TypedArray;
  length = 0;

  constructor(private readonly ctor: TypedArrayCtor) {
    this.data = new ctor(1024);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new this.ctor(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  at(i: number): number {
    return this.data[i];
  }

  /** The stored values as one array view (no copy). */
  view(): TypedArray {
    return this.data.subarray(0, this.length);
  }

  get bytes(): number {
    return this.length * this.data.BYTES_PER_ELEMENT;
  }
}
