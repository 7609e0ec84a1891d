// How machine modules record what happens: events, hazards (with the running statement's location) and the
// call/return nesting of the kernel's internal steps.

import type { MachineEvent } from './events';
import type { HazardKind, Loc, Related } from './hazards';
import type { MachineState } from './state';

/** Records an event, when events are wanted (`MachineState.recording`); hot paths test `recording` before building one. */
export function emit(s: MachineState, e: MachineEvent): void {
  if (s.recording) s.events.push(e);
}

export interface RaiseOptions {
  detail?: string;
  /** The hazard describes the call's own failure (`expect error` consumes it). */
  failure?: boolean;
  /** Of a leak: what leaked (`Hazard.object`). */
  object?: number;
  /** Where, when not at the statement running: a leak found at the end is reported where what leaked was made. */
  at?: Loc;
}

export function raise(s: MachineState, kind: HazardKind, message: string, related: Related[] = [], opts: RaiseOptions = {}): void {
  s.hazards.push({ kind, loc: opts.at ?? s.loc, message, related, ...(opts.detail ? { detail: opts.detail } : {}), ...(opts.failure ? { failure: true } : {}), ...(opts.object !== undefined ? { object: opts.object } : {}) });
  emit(s, { type: 'hazard', kind, message });
}

/** The call failed as the kernel's would (and says why). */
export function fail(s: MachineState, kind: HazardKind, message: string, related: Related[] = [], detail?: string): void {
  s.failed = true;
  raise(s, kind, message, related, { detail, failure: true });
}

/** An api-misuse; with `failure`, the call it is raised in fails. */
export function misuse(s: MachineState, failure: boolean, message: string, related: Related[], detail: string): void {
  if (failure) fail(s, 'api-misuse', message, related, detail);
  else raise(s, 'api-misuse', message, related, { detail });
}

/**
 * Runs `body` between `call` and `return` markers named for the kernel function it models; a `detail` that
 * costs formatting is passed as a function, called only when events are recorded.
 */
export function traced<T>(s: MachineState, fn: string, detail: string | (() => string) | undefined, body: () => T): T {
  if (!s.recording) return body();
  const text = typeof detail === 'function' ? detail() : detail;
  emit(s, text === undefined ? { type: 'call', fn } : { type: 'call', fn, detail: text });
  try {
    return body();
  } finally {
    emit(s, { type: 'return' });
  }
}
