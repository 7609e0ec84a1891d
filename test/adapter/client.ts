// Test helpers: the stdio adapter driven by DebugClient as VS Code drives it, and a flat picture of the state
// (every scope's variables, one level deep) for comparing forward and reverse execution.
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

const ROOT = path.resolve(__dirname, '../../..');
export const ADAPTER = path.join(ROOT, 'dist/debugAdapter.js');
export const fixture = (name: string): string => path.join(ROOT, 'test/adapter/fixtures', name);

export async function startClient(): Promise<DebugClient> {
  const dc = new DebugClient('node', ADAPTER, 'dmabuf');
  dc.defaultTimeout = 20_000;
  await dc.start();
  await dc.initializeRequest({ adapterID: 'dmabuf', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', supportsProgressReporting: true });
  return dc;
}

/** Launches, lets `configure` set breakpoints before configurationDone, and returns the first stop. */
export async function launch(
  dc: DebugClient,
  args: Record<string, unknown>,
  configure?: () => Promise<unknown>,
): Promise<DebugProtocol.StoppedEvent> {
  const initialized = dc.waitForEvent('initialized');
  const launched = dc.launchRequest(args as DebugProtocol.LaunchRequestArguments);
  await initialized;
  if (configure) await configure();
  const stopped = dc.waitForEvent('stopped');
  await dc.configurationDoneRequest();
  await launched;
  return (await stopped) as DebugProtocol.StoppedEvent;
}

/** Sends a motion request and waits for the stop it causes. */
export async function move(dc: DebugClient, command: string, args: Record<string, unknown> = { threadId: 1 }): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped');
  await dc.customRequest(command, args);
  return (await stopped) as DebugProtocol.StoppedEvent;
}

export async function topFrame(dc: DebugClient, threadId: number | undefined = 1): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId: threadId ?? 1 });
  return st.body.stackFrames[0];
}

/**
 * The line of the innermost frame in a scenario file (`file`, or any file): a stop inside a statement has the
 * modeled kernel's frames above it.
 */
export async function scenarioLine(dc: DebugClient, threadId: number | undefined, file?: string): Promise<number | undefined> {
  const st = await dc.stackTraceRequest({ threadId: threadId ?? 1 });
  return st.body.stackFrames.find((f) => (file === undefined ? f.source?.path !== undefined : f.source?.path === file))?.line;
}

/** Every scope of the top frame and its variables' values, one level deep: "Scope/name = value". */
export async function stateOf(dc: DebugClient, threadId: number | undefined = 1): Promise<string[]> {
  const frame = await topFrame(dc, threadId);
  const scopes = await dc.scopesRequest({ frameId: frame.id });
  const out: string[] = [];
  for (const s of scopes.body.scopes) {
    const vars = await dc.variablesRequest({ variablesReference: s.variablesReference, start: 0, count: 50 });
    for (const v of vars.body.variables) out.push(`${s.name}/${v.name} = ${v.value}`);
  }
  out.push(`line ${frame.line}: ${frame.name}`);
  return out;
}

/** The error response of a request that must fail. */
export async function failure(request: Promise<unknown>): Promise<string> {
  try {
    await request;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the request succeeded but should have failed');
}
