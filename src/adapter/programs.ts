// Opens what a launch configuration's `program` names as an engine: a kernel trace (`.trace`, or `.txt` with an
// ftrace header) as a TraceEngine, anything else as a `.dmabuf` scenario.
import * as fs from 'fs';
import { formatDiagnostic } from '../language/diagnostics';
import { otherFormReason } from '../ftrace/captureForms';
import { parseScenario } from '../language/index';
import type { Engine } from './engine';
import type { LaunchArgs } from './launchArgs';
import { ScenarioEngine } from './scenarioEngine';
import { isTraceProgram } from './traceDetect';
import { TraceEngine } from './traceEngine';

/** An engine ready to record, or the positioned messages that prevent running. */
export type Opened = { engine: Engine } | { errors: string[] };
export type Opener = (args: LaunchArgs) => Opened;

export function openProgram(args: LaunchArgs): Opened {
  // A pipe or a device would block the adapter on its first read (or never end): a program is a file.
  const stat = fs.statSync(args.program, { throwIfNoEntry: false });
  if (stat && !stat.isFile()) return { errors: [`${args.program}: error: not a file: the debugger reads a program or a trace from a file`] };
  if (isTraceProgram(args.program)) return openTrace(args.program, args.fromBoot === true);
  let text: string;
  try {
    text = fs.readFileSync(args.program, 'utf8');
  } catch (e) {
    return { errors: [`${args.program}: error: cannot read the program: ${(e as Error).message}`] };
  }
  const { program, diagnostics } = parseScenario(text, args.program);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) return { errors: errors.map(formatDiagnostic) };
  return { engine: new ScenarioEngine(program, args.program, text, { stepLimit: args.stepLimit, platform: args.platform }) };
}

function openTrace(file: string, fromBoot: boolean): Opened {
  try {
    const otherForm = otherFormReason(file);
    if (otherForm) return { errors: [`${file}: error: ${otherForm}`] };
    return { engine: new TraceEngine(file, { fromBoot }) };
  } catch (e) {
    return { errors: [`${file}: error: cannot read the trace: ${(e as Error).message}`] };
  }
}
