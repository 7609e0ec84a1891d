// Scenario identifiers for the trace's device names (`0000:00:02.0` -> `dev_0000_00_02_0`), unique and never a
// reserved word, since the language's identifiers are `[A-Za-z_][A-Za-z0-9_]*`.

export function deviceIdentifiers(names: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of names) {
    const base = 'dev_' + name.replace(/[^A-Za-z0-9_]/g, '_');
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
    taken.add(id);
    out.set(name, id);
  }
  return out;
}
