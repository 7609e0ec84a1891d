// The headless command line (spec §9): dispatches to one module per command.
import * as advise from './cli/advise';
import * as check from './cli/check';
import * as checkTrace from './cli/checkTrace';
import * as importTrace from './cli/importTrace';
import * as run from './cli/run';

const commands: Record<string, { main(argv: string[]): Promise<number>; summary: string }> = {
  check: { main: check.main, summary: 'check FILE... [--json] [--step-limit N] [--platform ARCH]   run scenarios, report hazards' },
  run: { main: run.main, summary: 'run FILE [--step-limit N] [--platform ARCH]                  print the event stream per statement' },
  advise: { main: advise.main, summary: 'advise FILE [--json]                                        which exporter or allocation serves every importer' },
  'check-trace': { main: checkTrace.main, summary: 'check-trace FILE [--json] [--from-boot]                    DMA-API checks on a kernel ftrace capture' },
  import: { main: importTrace.main, summary: 'import FILE -o OUT.dmabuf                                  a kernel trace as a scenario' },
};

async function main(argv: string[]): Promise<number> {
  const cmd = commands[argv[0] ?? ''];
  if (!cmd) {
    process.stderr.write(`usage: dmabuf COMMAND ...\n${Object.entries(commands).map(([, c]) => `  dmabuf ${c.summary}`).join('\n')}\n`);
    return 2;
  }
  return cmd.main(argv.slice(1));
}

// `dmabuf run FILE | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  // Not `process.exit`: output to a pipe is written asynchronously, and exiting at once cut a long report short.
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`dmabuf: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(3);
  },
);
