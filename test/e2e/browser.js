// Launches Debian's Chromium headless through playwright-core, with a throw-away profile, for both e2e drivers.
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Runs `use(page)` in a fresh browser profile and always cleans up. */
async function withPage(use) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 900 }, args: ARGS,
  });
  try {
    return await use(ctx.pages()[0] || (await ctx.newPage()));
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

module.exports = { withPage };
