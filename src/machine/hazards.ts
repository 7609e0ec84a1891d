// The hazards of spec §8: what the machine and the checks report, with the statement that
// raised them and the earlier statements that set them up.

export const HAZARD_KINDS = [
  'stale-read',
  'lost-write',
  'cpu-access-while-device-owned',
  'device-access-unmapped',
  'device-access-while-cpu-owned',
  'direction-violation',
  'unbracketed-cpu-access',
  'api-misuse',
  'constraint-violation',
  'leak',
  'expect-failed',
] as const;

export type HazardKind = (typeof HAZARD_KINDS)[number];

export function isHazardKind(s: string): s is HazardKind {
  return (HAZARD_KINDS as readonly string[]).includes(s);
}

/** A statement's place in the scenario file (1-based). */
export interface Loc {
  line: number;
  column: number;
}

export interface Related {
  loc: Loc;
  message: string;
}

export interface Hazard {
  kind: HazardKind;
  /** The statement that raised it (inside a proc or repeat: the line in its body). */
  loc: Loc;
  message: string;
  related: Related[];
  /** A finer name for the check that fired, e.g. `size-mismatch`, `double-unmap`. */
  detail?: string;
  /** Describes the failure of the call itself (the call failed as the kernel's would); `expect error` consumes these. */
  failure?: boolean;
  /** Consumed by `expect_hazard`. */
  expected?: boolean;
  /**
   * Of a leak: the id of what leaked. Ids count up as objects are made, so they tell which run of a statement made
   * it (`expect_hazard(leak)`).
   */
  object?: number;
}
