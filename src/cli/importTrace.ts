// `import FILE -o OUT.dmabuf`: writes a capture's DMA calls as a scenario (see src/ftrace/importer.ts).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importTrace, NotACaptureError } from '../ftrace/importer';
import { binaryTraceReason } from '../ftrace/captureForms';
import { TraceCursor } from '../ftrace/reader';

const USAGE = 'usage: dmabuf import TRACE_FILE -o OUT.dmabuf   (-o - writes to stdout)\n';

export async function main(argv: string[]): Promise<number> {
  let input: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-o' || a === '--output') output = argv[++i];
    else if (a.startsWith('-') && a !== '-') {
      process.stderr.write(`import: unknown option ${a}\n${USAGE}`);
      return 2;
    } else if (input === undefined) input = a;
    else {
      process.stderr.write(`import: one trace file at a time\n${USAGE}`);
      return 2;
    }
  }
  if (!input || !output) {
    process.stderr.write(USAGE);
    return 2;
  }
  let survey: TraceCursor;
  let main: TraceCursor;
  try {
    // The import reads the capture twice (a survey of its devices and buffers, then the events).
    if (input !== '-' && fs.statSync(input).isDirectory()) throw new Error('a directory');
    if (input === '-' || !fs.statSync(input).isFile()) throw new Error('not a file (a pipe cannot be read twice: save the capture first)');
    const binary = binaryTraceReason(input);
    if (binary) throw new Error(binary);
    survey = TraceCursor.open(input);
    main = TraceCursor.open(input);
  } catch (e) {
    process.stderr.write(`import: cannot read ${input}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  // Standard output, a pipe or a device (`-`, /dev/stdout, a FIFO) is written as it comes: there is no file to
  // put in its place (and renaming over a device node would replace it).
  if (output === '-' || isSpecialFile(output)) {
    const where = output === '-' ? 'stdout' : output;
    let fd: number;
    try {
      fd = output === '-' ? 1 : fs.openSync(output, 'w');
    } catch (e) {
      survey.close();
      main.close();
      process.stderr.write(`import: cannot write ${where}: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
    const write = bufferedWriter(fd);
    try {
      await importTrace(survey, main, input, write);
      write.flush();
    } catch (e) {
      if (e instanceof NotACaptureError) return notACapture(input, e);
      // `dmabuf import T -o - | head` closes the pipe early: that is the reader's choice, not an error.
      if (!(e instanceof OutputError)) throw e;
      if (e.code === 'EPIPE') return 0;
      process.stderr.write(`import: cannot write ${where}: ${e.message}\n`);
      return 2;
    } finally {
      if (fd !== 1) fs.closeSync(fd);
    }
    return 0;
  }
  // The scenario is written beside OUT under a temporary name and renamed when complete: an import that fails or is
  // stopped (Ctrl-C, or the editor's Cancel) leaves neither half a scenario nor a clobbered older one.
  const temp = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.partial`);
  let fd: number;
  try {
    fd = fs.openSync(temp, 'wx');
  } catch (e) {
    survey.close();
    main.close();
    process.stderr.write(`import: cannot write ${output}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  let open = true;
  const close = (): void => {
    if (open) fs.closeSync(fd);
    open = false;
  };
  const discard = (): void => {
    close();
    fs.rmSync(temp, { force: true });
  };
  const stop = (signal: NodeJS.Signals): void => {
    discard();
    process.exit(128 + os.constants.signals[signal]);
  };
  for (const s of STOP_SIGNALS) process.once(s, stop);
  try {
    const write = bufferedWriter(fd);
    await importTrace(survey, main, input, write);
    write.flush();
    close();
    fs.renameSync(temp, output);
  } catch (e) {
    discard();
    if (e instanceof NotACaptureError) return notACapture(input, e);
    if (!(e instanceof OutputError || (e as NodeJS.ErrnoException).syscall === 'rename')) throw e;
    process.stderr.write(`import: cannot write ${output}: ${(e as Error).message}\n`);
    return 2;
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, stop);
  }
  return 0;
}

/** Whether `file` exists and is not a regular file (a device, a FIFO, a socket; symbolic links followed). */
function isSpecialFile(file: string): boolean {
  try {
    return !fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function notACapture(input: string, e: NotACaptureError): number {
  process.stderr.write(`import: ${input}: ${e.message}\n`);
  return 2;
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** A failed write of the scenario (a full disk, say): the user's problem to fix, not an internal error. */
class OutputError extends Error {
  constructor(readonly code: string | undefined, message: string) {
    super(message);
  }
}

/** Bytes gathered before a write: a system call per statement took half of an import's time. */
const WRITE_CHUNK = 1 << 16;

/** A writer of text to `fd` in chunks; `flush` writes what is left. */
function bufferedWriter(fd: number): ((text: string) => void) & { flush(): void } {
  let parts: string[] = [];
  let pending = 0;
  const flush = (): void => {
    if (pending === 0) return;
    writeFully(fd, Buffer.from(parts.join(''), 'utf8'));
    parts = [];
    pending = 0;
  };
  const write = (text: string): void => {
    parts.push(text);
    pending += text.length;
    if (pending >= WRITE_CHUNK) flush();
  };
  return Object.assign(write, { flush });
}

const napCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `bytes`, as a blocking write would: stdout may be a pipe that Node made non-blocking. */
function writeFully(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length;) {
    try {
      at += fs.writeSync(fd, bytes, at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN') throw new OutputError(code, e instanceof Error ? e.message : String(e));
      // The reader of the pipe is slower than the import: wait for room.
      Atomics.wait(napCell, 0, 0, 1);
    }
  }
}
