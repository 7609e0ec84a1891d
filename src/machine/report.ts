// How machine modules record what happens: events, hazards (with the running statement's location) and the
// call/return nesting of the kernel's internal steps.

import type { MachineEvent } from './events';
import type { HazardKind, Related } from './hazards';
import type { MachineState } from './state';

export function emit(s: MachineState, e: MachineEvent): void {
  s.events.push(e);
}

export interface RaiseOptions {
  detail?: string;
  /** The hazard describes the call's own failure (`expect error` consumes it). */
  failure?: boolean;
}

export function raise(s: MachineState, kind: HazardKind, message: string, related: Related[] = [], opts: RaiseOptions = {}): void {
  s.hazards.push({ kind, loc: s.loc, message, related, ...(opts.detail ? { detail: opts.detail } : {}), ...(opts.failure ? { failure: true } : {}) });
  emit(s, { type: 'hazard', kind, message });
}

/** The call failed as the kernel's would (and says why). */
export function fail(s: MachineState, kind: HazardKind, message: string, related: Related[] = [], detail?: string): void {
  s.failed = true;
  raise(s, kind, message, related, { detail, failure: true });
}

/** Runs `body` between `call` and `return` markers named for the kernel function it models. */
export function traced<T>(s: MachineState, fn: string, detail: string | undefined, body: () => T): T {
  emit(s, detail === undefined ? { type: 'call', fn } : { type: 'call', fn, detail });
  try {
    return body();
  } finally {
    emit(s, { type: 'return' });
  }
}
