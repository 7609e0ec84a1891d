// `import FILE -o OUT.dmabuf`: writes a capture's DMA calls as a scenario (see src/ftrace/importer.ts), to a file
// whole or not at all, or to a stream as it comes (scenarioOutput.ts).
import * as fs from 'fs';
import { importTrace, NotACaptureError } from '../ftrace/importer';
import { otherFormReason } from '../ftrace/captureForms';
import { TraceCursor } from '../ftrace/reader';
import { openOutput, OutputError, type ScenarioOutput } from './scenarioOutput';

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
    const stat = input === '-' ? undefined : fs.statSync(input);
    if (stat?.isDirectory()) throw new Error('a directory');
    if (!stat?.isFile()) throw new Error('not a file (a pipe cannot be read twice: save the capture first)');
    const otherForm = otherFormReason(input);
    if (otherForm) throw new Error(otherForm);
    survey = TraceCursor.open(input);
    main = TraceCursor.open(input);
  } catch (e) {
    process.stderr.write(`import: cannot read ${input}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  let out: ScenarioOutput;
  try {
    out = openOutput(output);
  } catch (e) {
    survey.close();
    main.close();
    process.stderr.write(`import: cannot write ${output === '-' ? 'stdout' : output}: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    await importTrace(survey, main, input, (text) => out.write(text));
    out.commit();
    return 0;
  } catch (e) {
    out.discard();
    if (e instanceof NotACaptureError) {
      process.stderr.write(`import: ${input}: ${e.message}\n`);
      return 2;
    }
    if (!(e instanceof OutputError)) throw e;
    // `dmabuf import T -o - | head` closes the pipe early: that is the reader's choice, not an error.
    if (e.code === 'EPIPE') return 0;
    process.stderr.write(`import: cannot write ${out.name}: ${e.message}\n`);
    return 2;
  }
}
