// Where `import` writes its scenario. A regular file is written whole or not at all: a hidden partial file beside it
// is renamed into place when complete and removed when the import fails or is stopped (Ctrl-C, a kill, the editor's
// Cancel), so neither half a scenario nor a clobbered older one is left. Standard output, a pipe or a device
// (`-`, /dev/stdout, a FIFO) is written as it comes: there is no file to put in its place, and renaming over a
// device node would replace it. Either way the text goes out 64 KiB at a time.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** A failed write of the scenario (a full disk, a closed pipe): the user's problem, not an internal error. */
export class OutputError extends Error {
  constructor(readonly code: string | undefined, message: string) {
    super(message);
  }
}

export interface ScenarioOutput {
  /** How messages name it. */
  readonly name: string;
  write(text: string): void;
  /** Writes what is left and makes the scenario whole (a file takes its name). */
  commit(): void;
  /** Drops what was written where it can (a partial file); the output is left as it was. */
  discard(): void;
}

/** Opens `output` (`-` for standard output); throws an OutputError when it cannot be written. */
export function openOutput(output: string): ScenarioOutput {
  return output === '-' || isSpecialFile(output) ? streamOutput(output) : fileOutput(output);
}

/** Whether `file` exists and is not a regular file (a device, a FIFO, a socket; symbolic links followed). */
function isSpecialFile(file: string): boolean {
  try {
    return !fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function opened(file: string, flags: string): number {
  try {
    return fs.openSync(file, flags);
  } catch (e) {
    throw outputError(e);
  }
}

function outputError(e: unknown): OutputError {
  return new OutputError((e as NodeJS.ErrnoException).code, e instanceof Error ? e.message : String(e));
}

function streamOutput(output: string): ScenarioOutput {
  const fd = output === '-' ? 1 : opened(output, 'w');
  const chunks = new Chunks(fd);
  const close = (): void => {
    if (fd !== 1) fs.closeSync(fd);
  };
  return {
    name: output === '-' ? 'stdout' : output,
    write: (text) => chunks.write(text),
    commit: () => {
      chunks.flush();
      close();
    },
    discard: close,
  };
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function fileOutput(output: string): ScenarioOutput {
  const temp = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.partial`);
  const fd = opened(temp, 'wx');
  const chunks = new Chunks(fd);
  let open = true;
  const close = (): void => {
    if (open) fs.closeSync(fd);
    open = false;
  };
  const release = (): void => {
    for (const s of STOP_SIGNALS) process.off(s, stop);
  };
  const discard = (): void => {
    release();
    close();
    fs.rmSync(temp, { force: true });
  };
  // The import yields to the event loop now and then, so that these run (exit status as if killed by the signal).
  const stop = (signal: NodeJS.Signals): void => {
    discard();
    process.exit(128 + os.constants.signals[signal]);
  };
  for (const s of STOP_SIGNALS) process.once(s, stop);
  return {
    name: output,
    write: (text) => chunks.write(text),
    commit: () => {
      chunks.flush();
      close();
      try {
        fs.renameSync(temp, output);
      } catch (e) {
        throw outputError(e);
      }
      release();
    },
    discard,
  };
}

/** Bytes gathered before a write: a system call per statement took half of an import's time. */
const WRITE_CHUNK = 1 << 16;

const napCell = new Int32Array(new SharedArrayBuffer(4));

/** Text written to a file descriptor in chunks. */
class Chunks {
  private parts: string[] = [];
  private pending = 0;

  constructor(private readonly fd: number) {}

  write(text: string): void {
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending >= WRITE_CHUNK) this.flush();
  }

  flush(): void {
    if (this.pending === 0) return;
    const bytes = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pending = 0;
    // All of it, as a blocking write would: standard output may be a pipe that Node made non-blocking.
    for (let at = 0; at < bytes.length;) {
      try {
        at += fs.writeSync(this.fd, bytes, at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw outputError(e);
        // The reader of the pipe is slower than the import: wait for room.
        Atomics.wait(napCell, 0, 0, 1);
      }
    }
  }
}
