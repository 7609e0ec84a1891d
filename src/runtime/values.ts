// What a name holds while a scenario runs: a handle from the machine, or (for proc parameters) any argument value.
import type { Direction } from '../language/ast';
import type { Handle } from '../machine/machine';

export type Owner = 'cpu' | 'none' | { device: string; dir: Direction };

export type Value =
  | { kind: 'handle'; handle: Handle }
  | { kind: 'number'; value: number }
  | { kind: 'device'; name: string }
  | { kind: 'direction'; dir: Direction }
  | { kind: 'word'; name: string }
  | { kind: 'flag'; set: boolean }
  | { kind: 'owner'; owner: Owner };

/** A value of the wrong kind reached an operation (possible only through proc parameters). */
export class ArgumentError extends Error {}

export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'handle':
      return `a ${v.handle.type} handle`;
    case 'number':
      return `the number ${v.value}`;
    case 'device':
      return `the device ${v.name}`;
    case 'direction':
      return v.dir;
    case 'word':
      return v.name;
    case 'flag':
      return v.set ? 'a flag' : 'no flag';
    case 'owner':
      return 'an owner';
  }
}
