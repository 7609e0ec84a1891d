// Bundles the entry points: the extension (loaded by VS Code), the stdio debug adapter, the CLI and the trace reading thread.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode'],
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' }),
  esbuild.build({ ...common, entryPoints: ['src/debugAdapter.ts'], outfile: 'dist/debugAdapter.js' }),
  esbuild.build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  // The trace reading thread: `batchSource` starts it from the file beside the bundle that loads it.
  esbuild.build({ ...common, entryPoints: ['src/ftrace/parseWorker.ts'], outfile: 'dist/parseWorker.js' }),
]);
