// Where `import` writes its scenario (and `run` its steps, to standard output). A regular file is written whole or not at all: a hidden partial file beside it
// (with the old file's mode) is renamed into place when complete and removed when the import fails or is stopped
// (Ctrl-C, a kill, the editor's Cancel), so neither half a scenario nor a clobbered older one is left. Anything a
// rename would replace rather than write is written in place, as it comes: standard output (`-`), a device or a
// FIFO, a symbolic link (/dev/stdout, whatever it points to) and a file with other hard links. Either way the text
// goes out 64 KiB at a time.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { whenReady } from '../ftrace/blockingPipes';

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
  if (output === '-') return streamOutput(output);
  let found: fs.Stats | undefined;
  try {
    found = fs.lstatSync(output);
  } catch {
    // Not there yet: a new file.
  }
  if (found && (!found.isFile() || found.nlink > 1)) return streamOutput(output);
  return fileOutput(output, found?.mode);
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

function fileOutput(output: string, mode: number | undefined): ScenarioOutput {
  const temp = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.partial`);
  const fd = opened(temp, 'wx');
  if (mode !== undefined) fs.fchmodSync(fd, mode & 0o7777);
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
    // All of it, as a blocking write would: standard output may be a pipe slower than the import.
    try {
      for (let at = 0; at < bytes.length; ) at += whenReady(() => fs.writeSync(this.fd, bytes, at), 1);
    } catch (e) {
      throw outputError(e);
    }
  }
}
