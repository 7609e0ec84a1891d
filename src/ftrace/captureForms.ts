// What a command or the debugger refuses to read as a capture, and why: the forms a capture often comes in that are
// not its text as the reader reads it (trace-cmd's binary data, compressed files, UTF-16, lines ended by CR alone),
// told by their first bytes and refused with the command that gives the text instead of reading every line as
// malformed (or all as one); and, once read, a file none of whose lines is an event.
import * as fs from 'fs';

/** What the first bytes of such a file are, what it is, and the command that gives its text. */
interface CaptureForm {
  magic: Buffer;
  what: string;
  text: (path: string) => string;
}

/** What Windows PowerShell's `>` writes (either byte order): every other byte a NUL, so no line would read. */
const UTF16 = { what: 'UTF-16 text, not UTF-8', text: (p: string) => `iconv -f UTF-16 -t UTF-8 ${p}` };

const BINARY_KINDS: CaptureForm[] = [
  // trace-cmd.dat(5): what `trace-cmd record` leaves.
  { magic: Buffer.from('\x17\x08\x44tracing', 'latin1'), what: "trace-cmd's binary data, not text", text: (p) => `trace-cmd report ${p}` },
  { magic: Buffer.from([0x1f, 0x8b]), what: 'gzip data, not text', text: (p) => `zcat ${p}` },
  { magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), what: 'xz data, not text', text: (p) => `xzcat ${p}` },
  { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), what: 'zstd data, not text', text: (p) => `zstdcat ${p}` },
  { magic: Buffer.from([0xff, 0xfe]), ...UTF16 },
  { magic: Buffer.from([0xfe, 0xff]), ...UTF16 },
];
/** Text whose lines end in CR alone (an old Mac editor's): no LF in the first bytes, so it would read as one line. */
const CR_ONLY = { what: 'text whose lines end in CR alone', text: (p: string) => `tr '\\r' '\\n' < ${p}` };
/** Bytes looked at for lines that end in CR alone: a capture's first lines are far shorter. */
const HEAD_BYTES = 4096;

/**
 * Why `path` cannot be read as text, when it is a capture in another form (trace-cmd's data, compressed, UTF-16,
 * lines ended by CR alone); undefined for any other file.
 */
export function otherFormReason(path: string): string | undefined {
  const head = Buffer.alloc(HEAD_BYTES);
  const fd = fs.openSync(path, 'r');
  let n: number;
  try {
    n = fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const kind = BINARY_KINDS.find((k) => n >= k.magic.length && head.subarray(0, k.magic.length).equals(k.magic));
  const bytes = head.subarray(0, n);
  const cr = bytes.indexOf(13);
  const crOnly = !kind && bytes.indexOf(10) < 0 && cr >= 0 && cr < n - 1;
  const form = kind ?? (crOnly ? CR_ONLY : undefined);
  return form && `${form.what}: read it through \`${form.text(path)}\` (into a file, or piped to \`dmabuf check-trace -\`)`;
}

/**
 * Why a file read through is no capture, when not one of its lines was an event and some were malformed: the wrong
 * file, not a capture with nothing in it (which reads as header and comments alone).
 */
export function notACaptureReason(malformed: number, events: number): string | undefined {
  if (malformed === 0 || events > 0) return undefined;
  return `no line is an ftrace event (${malformed} malformed): it is not the text of /sys/kernel/tracing/trace or of \`trace-cmd report\``;
}
