// `check-trace FILE... [--json] [--from-boot]`: runs the DMA-API checks of the kernel's DMA debugging over
// ftrace captures offline; `-` reads standard input (`trace-cmd report | dmabuf check-trace -`), and a named pipe
// is read as it comes. Exit 0 when only window information was found, 1 on findings, 2 on usage errors and files
// that are no capture.
import * as fs from 'fs';
import { checkTrace } from '../ftrace/check';
import { notACaptureReason, otherFormReason } from '../ftrace/captureForms';
import { TraceCursor } from '../ftrace/reader';
import { formatReport } from '../ftrace/reportText';

const USAGE = 'usage: dmabuf check-trace FILE... [--json] [--from-boot]   (- reads standard input)\n';

export async function main(argv: string[]): Promise<number> {
  const files: string[] = [];
  let json = false;
  let fromBoot = false;
  for (const a of argv) {
    if (a === '--json') json = true;
    else if (a === '--from-boot') fromBoot = true;
    else if (a.startsWith('-') && a !== '-') {
      process.stderr.write(`check-trace: unknown option ${a}\n${USAGE}`);
      return 2;
    } else files.push(a);
  }
  if (files.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  let worst = 0;
  for (const file of files) {
    let cursor: TraceCursor;
    try {
      if (file === '-') {
        cursor = TraceCursor.fromStdin();
      } else {
        const stat = fs.statSync(file);
        if (stat.isDirectory()) throw new Error('a directory');
        // A pipe is read as it comes, not looked at first.
        const otherForm = stat.isFile() ? otherFormReason(file) : undefined;
        if (otherForm) throw new Error(otherForm);
        cursor = TraceCursor.open(file);
      }
    } catch (e) {
      process.stderr.write(`check-trace: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
      worst = 2;
      continue;
    }
    const report = checkTrace(cursor, file, { fromBoot });
    process.stdout.write(json ? JSON.stringify(report) + '\n' : formatReport(report));
    if (!report.ok) worst = Math.max(worst, 1);
    const notACapture = notACaptureReason(report.malformed, Object.keys(report.events).length);
    if (notACapture) {
      process.stderr.write(`check-trace: ${file}: ${notACapture}\n`);
      worst = 2;
    }
  }
  return worst;
}
