// Synchronous reads and writes of pipes as if they blocked: Node makes standard input and output non-blocking when
// they are pipes, and a read or write of one then fails with EAGAIN while the other end is not ready.

/** A wait on nothing: how a synchronous reader or writer sleeps while its pipe is not ready. */
const napCell = new Int32Array(new SharedArrayBuffer(4));

/** The result of `op`, tried again every `ms` milliseconds while it fails with EAGAIN; any other error is thrown. */
export function whenReady<T>(op: () => T, ms: number): T {
  for (;;) {
    try {
      return op();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(napCell, 0, 0, ms);
    }
  }
}
