// `npm run bench`: runs each benchmark in a process of its own (so peak memory figures are its own) and
// prints its figures.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const BENCHES = ['runtime', 'tokenize', 'machine', 'adapter', 'ftrace', 'traceAdapter'];

let failed = 0;
for (const name of BENCHES) {
  const file = join(__dirname, `${name}.js`);
  if (!existsSync(file)) continue;
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
