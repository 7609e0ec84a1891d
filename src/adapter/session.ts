// The DAP debug session: records a run at launch, then answers every request by navigating the recording.
// It routes requests to the breakpoint table, the navigator and the engine's state view; it knows no machine.
import * as path from 'path';
import {
  InitializedEvent,
  Response,
  LoggingDebugSession,
  OutputEvent,
  ProgressEndEvent,
  ProgressStartEvent,
  ProgressUpdateEvent,
  Scope as DapScope,
  StoppedEvent,
  TerminatedEvent,
  Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { BreakpointTable, HAZARD_FILTERS } from './breakpoints';
import { statementsOnLines, stepName, wordsOf, type Engine, type ProgramWords } from './engine';
import { isHazardKind } from '../machine/hazards';
import { ErrorCode, RequestError, badArguments } from './errors';
import { launchArgsOf, type LaunchArgs } from './launchArgs';
import { Navigator, type Move } from './navigator';
import { stepsRunning } from './stepStore';
import { stepCount } from '../runtime/stop';
import { cut, cutLongWords, quoted } from '../text/shorten';
import { hazardLines, OUTPUT_WINDOW, skippedLine, statementLines, type ConsoleLine } from './output';
import { openProgram, type Opener } from './programs';
import { Recording } from './recording';
import { StopFinder, type Stop } from './stopFinder';
import { VariableStore } from './variableStore';
import { FrameStore } from './frameStore';

/** Steps recorded between two progress reports (and two looks at the event loop, for cancel). */
const RECORD_CHUNK = 50_000;
/** Most goto targets offered for one line: the executions nearest the current position. */
const GOTO_TARGETS = 500;
const READ_MEMORY_LIMIT = 1 << 20;
/** Requests of capabilities initialize does not offer, which the base class would answer with an empty success. */
const UNSUPPORTED = new Set([
  'attach', 'setVariable', 'setExpression', 'completions', 'stepInTargets', 'restartFrame', 'writeMemory', 'disassemble',
  'loadedSources', 'terminateThreads', 'modules', 'setInstructionBreakpoints', 'locations',
]);

interface Run {
  /** The launch configuration it was recorded from. */
  args: LaunchArgs;
  engine: Engine;
  rec: Recording;
  table: BreakpointTable;
  nav: Navigator;
  /** Steps whose events the Debug Console has shown. */
  shown: number;
  lastStop?: Stop;
}

/** A launch or restart recording its run. Only the newest one goes on: an older one finds it was replaced. */
interface Loading {
  requestSeq: number;
  progressId: string;
  cancelled: boolean;
}

/** Whether a launch or restart failed because a later one replaced it (that one then has the session). */
const replaced = (e: unknown): boolean => e instanceof RequestError && e.code === ErrorCode.replaced;

export class DmabufDebugSession extends LoggingDebugSession {
  private run?: Run;
  /** The configuration last launched or restarted (recorded or not yet): what a restart without arguments restarts. */
  private launchArgs?: LaunchArgs;
  private loading?: Loading;
  private configured!: Promise<void>;
  /** Whether the current launch has sent `initialized` (a restart may replace it before it could). */
  private configurationAsked = false;
  private markConfigured!: () => void;
  private supportsProgress = false;
  private readonly vars = new VariableStore();
  private readonly frames = new FrameStore({
    line: (l) => this.convertDebuggerLineToClient(l),
    column: (c) => this.convertDebuggerColumnToClient(c),
    path: (p) => this.convertDebuggerPathToClient(p),
  });
  /** The breakpoints as last set (lines in the debugger's numbering), re-applied on restart. */
  private lineBreakpoints?: DebugProtocol.SourceBreakpoint[];
  private functionBreakpoints?: DebugProtocol.FunctionBreakpoint[];
  private dataBreakpoints?: DebugProtocol.DataBreakpoint[];
  private hazardFilters?: string[];

  /** How a launch's program becomes an engine; another kind of program plugs in by replacing it. */
  protected open: Opener = openProgram;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.resetConfigured();
  }

  /** Starts a new configuration: not asked for yet, and not done. */
  private resetConfigured(): void {
    this.configurationAsked = false;
    this.configured = new Promise((resolve) => (this.markConfigured = resolve));
  }

  /**
   * Requests of capabilities the adapter does not offer get an error, not the base class's empty success (an
   * `attach` would "succeed" and then nothing would happen).
   */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    // The base class reads initialize's arguments before any handler could check them.
    if (request.command === 'initialize' && (typeof request.arguments !== 'object' || request.arguments === null)) {
      return this.sendErrorResponse(new Response(request), { id: ErrorCode.badArguments, format: 'initialize needs its arguments (InitializeRequestArguments)', showUser: true });
    }
    // Other requests without arguments reach their handlers with none, which then name what is missing.
    request.arguments ??= {};
    if (!UNSUPPORTED.has(request.command)) return super.dispatchRequest(request);
    const why = request.command === 'attach' ? ': a program is recorded when it is launched, so use a launch configuration' : '';
    this.sendErrorResponse(new Response(request), { id: ErrorCode.unsupported, format: `${request.command} is not supported by the dma-buf debugger${why}`, showUser: true });
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.supportsProgress = args.supportsProgressReporting === true;
    response.body = {
      supportsConfigurationDoneRequest: true, // breakpoints are resolved against the recorded run before it is shown
      supportsStepBack: true, // the run is recorded: stepBack and reverseContinue replay it
      supportsRestartRequest: true, // re-parses and re-records without a new session
      supportsGotoTargetsRequest: true, // jump to any execution of a statement
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true, // API names, globs, and owner / owner:BUF
      supportsDataBreakpoints: true, // owners, cache line states, byte ranges
      supportsExceptionInfoRequest: true, // hazards are the exceptions
      exceptionBreakpointFilters: HAZARD_FILTERS,
      supportsExceptionFilterOptions: false,
      supportsBreakpointLocationsRequest: true, // one location per statement
      supportsReadMemoryRequest: true, // buffers as the CPU reads them, and raw memory
      supportsEvaluateForHovers: true,
      supportsTerminateRequest: true,
      supportsCancelRequest: true, // cancels the recording of a long run
      supportsDelayedStackTraceLoading: true,
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.markConfigured();
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): Promise<void> {
    let run: Run;
    // Each launch asks for its configuration (its `initialized` event) and waits for it, a second one in a session too.
    this.resetConfigured();
    try {
      this.launchArgs = launchArgsOf(args);
      run = await this.load(this.launchArgs, response.request_seq, false);
      // The configuration is asked for once the statements are known.
      this.askConfiguration();
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
      // A launch replaced by a later one leaves the session to that one.
      if (!replaced(e)) this.sendEvent(new TerminatedEvent());
      return;
    }
    await this.configured;
    // A later launch or restart has replaced this run (and shows its own first stop).
    if (this.run === run) this.begin(run);
  }

  protected override async restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    let run: Run;
    try {
      const next = args.arguments ? launchArgsOf(args.arguments) : this.launchArgs;
      if (!next) throw new RequestError(ErrorCode.notLaunched, 'Nothing to restart: no program was launched');
      this.launchArgs = next;
      run = await this.load(next, response.request_seq, true);
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
      // A failed restart leaves the session as it was; but one that replaced a launch still recording leaves
      // nothing to debug, and ends the session as that launch's failure would have.
      if (!this.run && !replaced(e)) this.sendEvent(new TerminatedEvent());
      return;
    }
    // A restart that replaced a launch still recording asks for the configuration that launch never asked for; any
    // restart begins only once the client has sent configurationDone (at once, in a session configured already).
    if (!this.configurationAsked) this.askConfiguration();
    await this.configured;
    if (this.run !== run) return;
    this.begin(run);
  }

  /** Sends `initialized`: the client sets its breakpoints, then sends configurationDone. */
  private askConfiguration(): void {
    this.configurationAsked = true;
    this.sendEvent(new InitializedEvent());
  }

  /**
   * Opens and records the program, and makes it the run being debugged (on a restart, with the breakpoints set
   * again). The run replaces the current one only once nothing can fail any more: a restart that fails leaves the
   * session as it was. A later launch or restart replaces this one while it records.
   */
  private async load(args: LaunchArgs, requestSeq: number, restart: boolean): Promise<Run> {
    const loading: Loading = { requestSeq, progressId: `record-${requestSeq}`, cancelled: false };
    this.loading = loading;
    try {
      const opened = this.open(args);
      if ('errors' in opened) {
        for (const e of opened.errors) this.sendEvent(new OutputEvent(`${e}\n`, 'stderr'));
        throw new RequestError(ErrorCode.parseFailed, opened.errors.join('\n'));
      }
      const engine = opened.engine;
      let run: Run;
      try {
        const rec = new Recording(engine);
        await this.record(rec, wordsOf(engine), loading);
        const nothing = engine.nothingToDebug?.();
        if (nothing) throw new RequestError(ErrorCode.launchFailed, `${args.program} ${nothing}`);
        const table = new BreakpointTable(engine, rec);
        if (restart) this.setBreakpointsOf(table);
        const finder = new StopFinder(rec, engine, table, (message, step) => this.log(message, step));
        run = { args, engine, rec, table, shown: 0, nav: new Navigator(rec, engine, finder) };
      } catch (e) {
        engine.close?.();
        throw e;
      }
      // The old run's engine has no more use.
      this.run?.engine.close?.();
      this.run = run;
      this.vars.reset();
      this.frames.newRun();
      return run;
    } finally {
      if (this.loading === loading) this.loading = undefined;
    }
  }

  /** Sets the breakpoints as last set on a new run's table. */
  private setBreakpointsOf(table: BreakpointTable): void {
    if (this.lineBreakpoints) table.setLines(this.lineBreakpoints);
    if (this.functionBreakpoints) table.setFunctions(this.functionBreakpoints);
    if (this.dataBreakpoints) table.setData(this.dataBreakpoints);
    if (this.hazardFilters) table.setHazardFilters(this.hazardFilters);
  }

  /** Records the whole run in chunks, reporting progress and giving cancel requests and later launches a chance. */
  private async record(rec: Recording, words: ProgramWords, loading: Loading): Promise<void> {
    let started = false;
    const end = (message: string): void => {
      if (started) this.sendEvent(new ProgressEndEvent(loading.progressId, message));
    };
    while (!rec.recordSteps(RECORD_CHUNK)) {
      if (!started && this.supportsProgress) {
        const start = new ProgressStartEvent(loading.progressId, `Recording the ${words.program}`) as DebugProtocol.ProgressStartEvent;
        start.body.cancellable = true;
        start.body.requestId = loading.requestSeq;
        this.sendEvent(start);
        started = true;
      }
      if (started) this.sendEvent(new ProgressUpdateEvent(loading.progressId, stepCount(rec.length, words.step)));
      await new Promise((resolve) => setImmediate(resolve));
      if (this.loading !== loading) {
        end('Replaced');
        throw new RequestError(ErrorCode.replaced, `Replaced by a later launch or restart after ${stepCount(rec.length, words.step)}`);
      }
      if (loading.cancelled) {
        end('Cancelled');
        throw new RequestError(ErrorCode.cancelled, `Launch cancelled after ${stepCount(rec.length, words.step)}`);
      }
    }
    end(`${stepCount(rec.length, words.step)} recorded`);
  }

  /**
   * After launch or restart: stop on entry, or run to the first stop. It runs after the response, so an error here
   * has no request to answer: it is told on the console and the run stops at its start instead (on the first
   * thread when even the start cannot be read), rather than ending the adapter's process or leaving it running.
   */
  private begin(run: Run): void {
    let stop: DebugProtocol.StoppedEvent;
    try {
      stop = this.moved(run, () => (run.args.stopOnEntry ? run.nav.entry() : run.nav.start()))!;
    } catch (e) {
      this.sendEvent(new OutputEvent(`Could not run to the first stop: ${e instanceof Error ? e.message : String(e)}\n`, 'stderr'));
      stop = this.stopAt(run, run.nav.entry(), 0);
    }
    this.sendEvent(stop);
  }

  protected override cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
    // Only the recording can be cancelled: by its progress, or by the launch or restart request recording it.
    const l = this.loading;
    if (l && (args.progressId === l.progressId || args.requestId === l.requestSeq)) l.cancelled = true;
    this.sendResponse(response);
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    if (this.loading) this.loading.cancelled = true;
    this.run?.engine.close?.();
    this.sendResponse(response);
    // The session is over: the process ends (once the response is out), not when the client closes its stdin.
    this.shutdown();
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    if (this.loading) this.loading.cancelled = true;
    // A launch (or restart) after this one starts a new configuration: it asks for it and waits for its own
    // configurationDone.
    this.resetConfigured();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    // The recorded run is never running between requests: there is nothing to pause.
    this.sendResponse(response);
  }

  // ---- breakpoints

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.answer(response, () => {
      const run = this.need();
      if (args.breakpoints !== undefined && !Array.isArray(args.breakpoints)) throw badArguments('setBreakpoints: breakpoints must be an array');
      if (args.lines !== undefined && !Array.isArray(args.lines)) throw badArguments('setBreakpoints: lines must be an array');
      const bps: unknown[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
      // The table tells a malformed entry (not an object) from the others; only the lines of objects are converted.
      const lines = bps.map((bp) => (typeof bp === 'object' && bp !== null ? { ...bp, line: this.convertClientLineToDebugger((bp as DebugProtocol.SourceBreakpoint).line) } : bp)) as DebugProtocol.SourceBreakpoint[];
      if (!this.isProgram(args.source)) {
        return { breakpoints: lines.map((bp) => this.clientBreakpoint({ verified: false, line: bp?.line, message: `Not the ${wordsOf(run.engine).program} being debugged` })) };
      }
      const breakpoints = run.table.setLines(lines).map((b) => this.clientBreakpoint(b));
      this.lineBreakpoints = lines;
      return { breakpoints };
    });
  }

  protected override breakpointLocationsRequest(response: DebugProtocol.BreakpointLocationsResponse, args: DebugProtocol.BreakpointLocationsArguments): void {
    this.answer(response, () => {
      const run = this.need();
      if (typeof args.line !== 'number') throw badArguments('breakpointLocations needs a line');
      if (!this.isProgram(args.source)) return { breakpoints: [] };
      const from = this.convertClientLineToDebugger(args.line);
      const to = args.endLine === undefined ? from : this.convertClientLineToDebugger(args.endLine);
      const breakpoints = statementsOnLines(run.engine, from, to)
        .map((id) => run.engine.statements[id])
        .map((s) => ({ line: this.convertDebuggerLineToClient(s.line), column: this.convertDebuggerColumnToClient(s.column), endColumn: this.convertDebuggerColumnToClient(s.endColumn) }));
      return { breakpoints };
    });
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.answer(response, () => {
      if (!Array.isArray(args.breakpoints)) throw badArguments('setFunctionBreakpoints needs a breakpoints array');
      const breakpoints = this.need().table.setFunctions(args.breakpoints);
      this.functionBreakpoints = args.breakpoints;
      return { breakpoints };
    });
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.answer(response, () => {
      if (!Array.isArray(args.filters)) throw badArguments('setExceptionBreakpoints needs a filters array');
      if (args.filterOptions !== undefined && !Array.isArray(args.filterOptions)) throw badArguments('setExceptionBreakpoints: filterOptions must be an array');
      const filters: unknown[] = [...args.filters, ...(args.filterOptions ?? []).map((o) => (o as DebugProtocol.ExceptionFilterOptions | null)?.filterId)];
      const kinds = filters.filter((f): f is string => typeof f === 'string');
      this.need().table.setHazardFilters(kinds);
      this.hazardFilters = kinds;
      // Only the filters offered at initialize exist.
      return { breakpoints: filters.map((f) => (typeof f === 'string' && isHazardKind(f) ? { verified: true } : { verified: false, message: `No exception filter ${quoted(String(f))}` })) };
    });
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    this.answer(response, () => {
      const run = this.need();
      if (typeof args.name !== 'string') throw badArguments('dataBreakpointInfo needs a name');
      run.nav.settle();
      let node = args.variablesReference ? this.vars.child(args.variablesReference, args.name) : undefined;
      if (!node && !args.variablesReference) {
        try {
          node = run.engine.view.evaluate(args.name, this.frames.scenarioFrame(args.frameId), run.nav.step);
        } catch {
          node = undefined;
        }
      }
      if (!node?.dataId) return { dataId: null, description: `${quoted(args.name)} cannot be watched: only owners, cache lines and byte ranges can` };
      let watch;
      try {
        watch = run.engine.view.watch(node.dataId);
      } catch (e) {
        return { dataId: null, description: `${quoted(args.name)} cannot be watched: ${(e as Error).message}` };
      }
      return { dataId: node.dataId, description: watch.description, accessTypes: ['write' as const], canPersist: false };
    });
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.answer(response, () => {
      if (!Array.isArray(args.breakpoints)) throw badArguments('setDataBreakpoints needs a breakpoints array');
      const run = this.need();
      run.nav.settle();
      const breakpoints = run.table.setData(args.breakpoints);
      this.dataBreakpoints = args.breakpoints;
      return { breakpoints };
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    this.answer(response, () => {
      const run = this.need();
      const h = run.lastStop?.hazard;
      if (!h) throw new RequestError(ErrorCode.noException, 'The debugger did not stop on a hazard');
      const related = h.related.map((r) => `    ${run.engine.path}:${r.loc.line}:${r.loc.column}: ${r.message}`).join('\n');
      return {
        exceptionId: h.kind,
        description: h.message,
        breakMode: 'always' as const,
        details: {
          message: h.message,
          typeName: h.kind,
          fullTypeName: h.detail ? `${h.kind}/${h.detail}` : h.kind,
          stackTrace: `at ${run.engine.path}:${h.loc.line}:${h.loc.column}${related ? `\nset up by:\n${related}` : ''}`,
        },
      };
    });
  }

  // ---- motion

  protected override continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): void {
    this.motion(response, args, (run) => {
      const move = run.nav.continue();
      if (!move) {
        this.sendEvent(new TerminatedEvent());
        return undefined;
      }
      return move;
    });
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.motion(response, args, (run) => run.nav.next());
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.motion(response, args, (run) => run.nav.stepIn());
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.motion(response, args, (run) => run.nav.stepOut());
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.motion(response, args, (run) => run.nav.stepBack());
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse, args: DebugProtocol.ReverseContinueArguments): void {
    this.motion(response, args, (run) => run.nav.reverseContinue());
  }

  protected override gotoTargetsRequest(response: DebugProtocol.GotoTargetsResponse, args: DebugProtocol.GotoTargetsArguments): void {
    this.answer(response, () => {
      const run = this.need();
      if (typeof args.line !== 'number' || !args.source) throw badArguments('gotoTargets needs a source and a line');
      if (!this.isProgram(args.source)) return { targets: [] };
      const line = this.convertClientLineToDebugger(args.line);
      const executions = stepsRunning(run.rec.steps, new Set(statementsOnLines(run.engine, line)));
      // Offer the executions nearest to where the debugger stands.
      let first = executions.findIndex((i) => i >= run.nav.step);
      if (first < 0) first = executions.length;
      const from = Math.max(0, Math.min(first - GOTO_TARGETS / 2, executions.length - GOTO_TARGETS));
      const targets = Array.from(executions.subarray(from, from + GOTO_TARGETS), (i, k) => {
        const s = run.engine.statements[run.rec.steps.stmt(i)];
        return {
          id: i + 1,
          label: `${s.text}: execution ${from + k + 1} of ${executions.length} (${stepName(run.engine, i)})`,
          line: this.convertDebuggerLineToClient(s.line),
          column: this.convertDebuggerColumnToClient(s.column),
        };
      });
      return { targets };
    });
  }

  protected override gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    this.motion(response, args, (run) => {
      const step = args.targetId - 1;
      if (args.targetId === undefined) throw badArguments('goto needs a targetId');
      if (!Number.isInteger(step) || step < 0 || step >= run.rec.length) throw badArguments(`No goto target ${cut(String(args.targetId))}`);
      return run.nav.goto(step);
    });
  }

  /**
   * Validates the thread, moves, answers, then reports the stop. Everything that reads the run happens before the
   * response, so that a failure (a trace changed on disk) fails the request and leaves the debugger where it stood:
   * after the response there is nothing left to fail, and no second response to send.
   */
  private motion(response: DebugProtocol.Response, args: { threadId?: number }, move: (run: Run) => Move | undefined): void {
    let stop: DebugProtocol.StoppedEvent | undefined;
    this.answer(response, () => {
      const run = this.need();
      this.checkThread(run, args.threadId, response.command);
      stop = this.moved(run, () => move(run));
      if (response.command === 'continue' || response.command === 'reverseContinue') return { allThreadsContinued: true };
      return undefined;
    });
    if (stop) this.sendEvent(stop);
  }

  /** Moves and prints what the move executed for the first time; returns the stop's event. The cursor stays put if any of it fails. */
  private moved(run: Run, move: () => Move | undefined): DebugProtocol.StoppedEvent | undefined {
    const cursor = run.nav.cursor;
    try {
      const m = move();
      if (!m) return undefined;
      this.showProgress(run);
      return this.stopAt(run, m, run.nav.thread());
    } catch (e) {
      run.nav.cursor = cursor;
      throw e;
    }
  }

  /** Makes the move's stop the current one (on thread index `thread`) and returns its event. */
  private stopAt(run: Run, move: Move, thread: number): DebugProtocol.StoppedEvent {
    run.lastStop = move.stop;
    this.vars.reset();
    this.frames.newStop();
    const event = new StoppedEvent(move.reason, thread + 1, move.stop?.hazard?.message) as DebugProtocol.StoppedEvent;
    event.body.description = move.description;
    event.body.allThreadsStopped = true;
    if (move.stop?.hitBreakpointIds.length) event.body.hitBreakpointIds = move.stop.hitBreakpointIds;
    return event;
  }

  /** Prints the events of the steps executed for the first time, the most recent ones only when many were. */
  private showProgress(run: Run): void {
    const to = run.nav.statePosition;
    if (to <= run.shown) return;
    const from = Math.max(run.shown, to - OUTPUT_WINDOW);
    if (from > run.shown) this.console(skippedLine(from - run.shown));
    for (let i = run.shown; i < to; i++) {
      if (i >= from) {
        const detail = run.rec.replay(i);
        for (const line of statementLines(i, run.engine.statements[run.rec.steps.stmt(i)], detail.events)) this.console(line);
      }
      for (const h of run.rec.hazardsOf(i)) this.console(hazardLines(run.engine.path, h));
      // Step by step: a replay that fails part way prints only what was not printed yet next time.
      run.shown = i + 1;
    }
  }

  private log(message: string, step: number): void {
    const run = this.need();
    const s = run.engine.statements[run.rec.steps.stmt(step)];
    this.console({ category: 'stdout', output: `${message}\n`, line: s.line, column: s.column });
  }

  private console(line: ConsoleLine): void {
    const e = new OutputEvent(line.output, line.category) as DebugProtocol.OutputEvent;
    if (line.group) e.body.group = line.group;
    if (line.line !== undefined && this.run) {
      e.body.source = this.frames.programSource(this.run.engine);
      e.body.line = this.convertDebuggerLineToClient(line.line);
      e.body.column = this.convertDebuggerColumnToClient(line.column ?? 1);
    }
    this.sendEvent(e);
  }

  // ---- threads, frames, sources

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const names = this.run?.engine.threadNames ?? ['cpu'];
    response.body = { threads: names.map((n, i) => new Thread(i + 1, n)) };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.answer(response, () => {
      const run = this.need();
      const thread = this.checkThread(run, args.threadId, 'stackTrace');
      const frames = thread === run.nav.thread() ? this.frames.current(run) : this.frames.idle(run, thread);
      const start = args.startFrame ?? 0;
      const levels = args.levels && args.levels > 0 ? args.levels : frames.length;
      return { stackFrames: frames.slice(start, start + levels), totalFrames: frames.length };
    });
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    this.answer(response, () => {
      const run = this.need();
      const ref = args.source?.sourceReference ?? args.sourceReference;
      const step = ref ? this.frames.stepOf(ref) : undefined;
      if (ref === undefined) throw badArguments('source needs a sourceReference');
      if (step === undefined) throw new RequestError(ErrorCode.unknownReference, `No source with reference ${cut(String(ref))}`);
      return { content: run.nav.kernel(step).text, mimeType: 'text/plain' };
    });
  }

  // ---- state

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.answer(response, () => {
      const run = this.need();
      const frame = this.frames.scenarioFrame(args.frameId);
      run.nav.settle();
      const scopes = run.engine.view.scopes(frame, run.nav.step).map((s) => {
        const scope: DebugProtocol.Scope = new DapScope(s.name, this.vars.ref(s.node), s.expensive);
        scope.indexedVariables = s.node.children?.indexed;
        scope.namedVariables = s.node.children?.named;
        return scope;
      });
      return { scopes };
    });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.answer(response, () => {
      const run = this.need();
      if (args.variablesReference === undefined) throw badArguments('variables needs a variablesReference');
      if (!this.vars.has(args.variablesReference)) throw new RequestError(ErrorCode.unknownReference, `No variables with reference ${cut(String(args.variablesReference))}`);
      run.nav.settle();
      return { variables: this.vars.children(args.variablesReference, args.filter, args.start, args.count) };
    });
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.answer(response, () => {
      const run = this.need();
      if (typeof args.expression !== 'string' || args.expression.trim() === '') throw badArguments('evaluate needs an expression');
      const frame = this.frames.scenarioFrame(args.frameId);
      run.nav.settle();
      let node;
      try {
        node = run.engine.view.evaluate(args.expression, frame, run.nav.step);
      } catch (e) {
        // Names the message repeats (a path of a 100 KB expression) are cut.
        throw new RequestError(ErrorCode.evaluationFailed, cutLongWords((e as Error).message));
      }
      const v = this.vars.toDap(node);
      return { result: v.value, type: v.type, variablesReference: v.variablesReference, indexedVariables: v.indexedVariables, namedVariables: v.namedVariables, memoryReference: v.memoryReference };
    });
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.answer(response, () => {
      const run = this.need();
      if (typeof args.memoryReference !== 'string' || !Number.isInteger(args.count) || args.count < 0) throw badArguments('readMemory needs a memoryReference and a count');
      const offset = args.offset ?? 0;
      if (!Number.isInteger(offset)) throw badArguments('readMemory: offset must be an integer');
      run.nav.settle();
      const got = run.engine.view.readMemory(args.memoryReference, offset, Math.min(args.count, READ_MEMORY_LIMIT));
      if (!got) throw new RequestError(ErrorCode.unknownReference, `No memory with reference ${quoted(args.memoryReference)}`);
      return { address: got.address, data: Buffer.from(got.data).toString('base64'), unreadableBytes: got.unreadable };
    });
  }

  // ---- helpers

  /** Runs a handler; its result becomes the body, a thrown error an error response; the session always goes on. */
  private answer<R extends DebugProtocol.Response>(response: R, handler: () => R['body'] | undefined): void {
    try {
      const body = handler();
      if (body !== undefined) response.body = body;
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  private fail(response: DebugProtocol.Response, e: unknown): void {
    const code = e instanceof RequestError ? e.code : ErrorCode.launchFailed;
    const message = e instanceof Error ? e.message : String(e);
    this.sendErrorResponse(response, { id: code, format: message, showUser: true });
  }

  private need(): Run {
    if (!this.run) throw new RequestError(ErrorCode.notLaunched, 'No scenario or trace is being debugged');
    return this.run;
  }

  /** The thread index of a DAP thread id; an unknown id is a bad request. */
  private checkThread(run: Run, threadId: number | undefined, command: string): number {
    if (threadId === undefined) throw badArguments(`${command} needs a threadId`);
    const t = typeof threadId === 'number' ? threadId - 1 : -1;
    if (!Number.isInteger(t) || t < 0 || t >= run.engine.threadNames.length) throw new RequestError(ErrorCode.unknownThread, `No thread ${cut(String(threadId))}`);
    return t;
  }

  private isProgram(source: DebugProtocol.Source | undefined): boolean {
    if (!source?.path || !this.run) return false;
    return path.resolve(this.convertClientPathToDebugger(source.path)) === path.resolve(this.run.engine.path);
  }

  private clientBreakpoint(b: DebugProtocol.Breakpoint): DebugProtocol.Breakpoint {
    return {
      ...b,
      line: b.line === undefined ? undefined : this.convertDebuggerLineToClient(b.line),
      column: b.column === undefined ? undefined : this.convertDebuggerColumnToClient(b.column),
    };
  }
}
