// Runs the mocha suite (TESTS, exporting run()) inside code-server's real Node extension host, headless.
// A built workbench ignores extensionDevelopmentPath in the URL, so the workbench configuration is patched as the
// page reads it (developmentOptions.extensions / extensionTestsPath); the workbench then calls
// window.codeAutomationExit(code) when the run ends, and that is our exit code.
// env: EXT (extension folder), TESTS (compiled entry), WS (workspace folder), CS_URL, TIMEOUT_MS
const path = require('path');
const util = require('util');
const { withPage } = require('./browser');

const server = new URL(process.env.CS_URL);
const remote = (p) => ({ scheme: 'vscode-remote', authority: server.host, path: path.resolve(p) });
/** The mocha reporter's lines, among everything the extension host forwards to the page console. */
const REPORTER_LINE = /^\s*(✔|✓|\d+\) |\d+ (passing|failing|pending)|AssertionError|Error|[+-] |at |activation|\[e2e\])/;

(async () => {
  const t0 = Date.now();
  const code = await withPage(async (page) => {
    let exit;
    const exited = new Promise((resolve) => (exit = resolve));
    await page.exposeFunction('codeAutomationExit', (c) => exit(c));
    page.on('console', async (m) => {
      const args = await Promise.all(m.args().map((a) => a.jsonValue().catch(() => '')));
      const [fmt, ...rest] = args.filter((a) => !/^(color|background|font-weight)[:;]/.test(String(a)));
      const line = util.format(String(fmt ?? '').replace(/%c/g, ''), ...rest).replace(/^\s*(INFO|WARN|ERR) /, '');
      if (REPORTER_LINE.test(line) && !/^(TRACE|DEBUG)/.test(line)) console.log(line);
    });
    // page.route + fulfill breaks the server's websockets: patch in the page instead
    await page.addInitScript((dev) => {
      const byId = Document.prototype.getElementById;
      Document.prototype.getElementById = function (id) {
        const el = byId.call(this, id);
        if (id === 'vscode-workbench-web-configuration' && el && !el.dataset.patched) {
          const cfg = JSON.parse(el.getAttribute('data-settings'));
          cfg.developmentOptions = { ...cfg.developmentOptions, ...dev };
          el.setAttribute('data-settings', JSON.stringify(cfg));
          el.dataset.patched = '1';
        }
        return el;
      };
    }, { extensions: [remote(process.env.EXT)], extensionTestsPath: remote(process.env.TESTS) });
    await page.goto(`${server.origin}/?folder=${encodeURIComponent(path.resolve(process.env.WS))}`);
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), +(process.env.TIMEOUT_MS || 300000)));
    return Promise.race([exited, timeout]);
  });
  console.log(`extension tests: exit code ${code} after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  process.exit(code === 0 ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(1); });
