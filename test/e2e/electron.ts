// `npm run test:electron`: the same in-host suites in a desktop VS Code downloaded by @vscode/test-electron, for
// machines that can reach Microsoft's update server (CI here cannot: it uses `npm run test:e2e`).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', '..');
  // a scratch copy of the fixture workspace with the examples, as the code-server harness builds it
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'dmabuf-ws-'));
  fs.cpSync(path.join(root, 'test', 'e2e', 'fixture', 'ws'), ws, { recursive: true });
  fs.cpSync(path.join(root, 'examples'), path.join(ws, 'examples'), { recursive: true });
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(__dirname, 'host', 'index.js'),
      launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust'],
    });
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
