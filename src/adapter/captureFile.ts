// A capture the trace engine re-reads on demand: nothing of its events is kept, so a read after the file changed
// on disk (rewritten, truncated, deleted) would read other events at the recorded offsets, or none. What the file was
// when opened is kept, and every re-read first checks it is still that file.
import * as fs from 'fs';
import { ErrorCode, RequestError } from './errors';

export class CaptureFile {
  private readonly opened: fs.Stats;

  constructor(readonly path: string) {
    this.opened = fs.statSync(path);
  }

  get size(): number {
    return this.opened.size;
  }

  /** Throws, saying how, when the file is no longer the one opened. */
  check(): void {
    const why = this.change();
    if (why) throw new RequestError(ErrorCode.captureChanged, `${this.path} changed on disk since it was opened (${why}): its events are read from the file, so restart the debug session to debug it as it is now`);
  }

  private change(): string | undefined {
    const now = fs.statSync(this.path, { throwIfNoEntry: false });
    if (!now) return 'it was deleted';
    const was = this.opened;
    if (now.ino !== was.ino || now.dev !== was.dev) return 'it was replaced';
    if (now.size !== was.size) return `${was.size} bytes then, ${now.size} now`;
    if (now.mtimeMs !== was.mtimeMs) return 'it was rewritten';
    return undefined;
  }
}
