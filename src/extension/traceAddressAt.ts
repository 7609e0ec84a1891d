// Finds the address under the mouse in a kernel trace's text, for a hover while it is debugged: a value of an address
// field (`dma_addr=`, `phys_addr=`, `iova=`, `paddr=`, `dev_addr=`, each entry of `dma_addrs={...}` and
// `phys_addrs={...}`) or an IOVA range's end. Sizes, pids, timestamps and `virt_addr` are numbers too, but no address
// a mapping could hold: a hover on them would only say so.

const ADDRESS_KEYS = new Set(['dma_addr', 'phys_addr', 'dma_addrs', 'phys_addrs', 'iova', 'paddr', 'dev_addr']);
const HEX = /[0-9a-fA-Fx]/;

export interface AddressAt {
  /** The address as the trace prints it (`0x` or not): what the adapter's hover evaluates. */
  expression: string;
  /** 0-based columns of it on its line, end exclusive. */
  start: number;
  end: number;
}

/** The address at a 0-based column of a trace line, if the column is on one. */
export function traceAddressAt(line: string, column: number): AddressAt | undefined {
  let start = column;
  while (start > 0 && HEX.test(line[start - 1])) start--;
  let end = column;
  while (end < line.length && HEX.test(line[end])) end++;
  const expression = line.slice(start, end);
  if (!/^(?:0x)?[0-9a-f]+$/i.test(expression)) return undefined;
  // The field the value is in runs back to the last blank: `KEY=VALUE`, `KEY={V,V,...`, or an IOVA range's `- END`.
  const before = line.slice(0, start);
  const field = before.slice(Math.max(before.lastIndexOf(' '), before.lastIndexOf('\t')) + 1);
  const equals = field.indexOf('=');
  const isAddress = equals >= 0
    ? ADDRESS_KEYS.has(field.slice(0, equals)) && /^(?:\{(?:[^,}]*,)*)?$/.test(field.slice(equals + 1))
    : field === '' && /\siova=\S+ - $/.test(before);
  return isAddress ? { expression, start, end } : undefined;
}
