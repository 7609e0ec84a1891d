// The UI test: a user's session in the real VS Code workbench (code-server), driven through headless Chromium.
// Opens an example, sets a breakpoint by clicking the gutter, presses F5, reads the Variables view, steps over and
// back, hovers a buffer name; saves a screenshot per step (SHOTS) and one for the README (SHOT).
// env: WS (workspace folder), CS_URL, SHOT, SHOTS, EXAMPLE (default examples/nic-rx-missing-sync.dmabuf)
const fs = require('fs');
const path = require('path');
const { withPage } = require('./browser');

const EXAMPLE = process.env.EXAMPLE || 'examples/nic-rx-missing-sync.dmabuf';
const BUFFER = process.env.BUFFER || 'rx';
const t0 = Date.now();
const log = (...a) => console.log(`[ui ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Monaco renders spaces as non-breaking spaces. */
const plain = (s) => (s ?? '').replace(/\u00a0/g, ' ');

let shotNo = 0;
async function shot(page, name) {
  if (process.env.SHOTS) await page.screenshot({ path: path.join(process.env.SHOTS, `${String(++shotNo).padStart(2, '0')}-${name}.png`) });
}

async function runCommand(page, label) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>' + label);
  // fuzzy ranking may put a longer label first: click the exact one
  const row = page.locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp('^' + esc(label) + '$') }) }).first();
  await row.waitFor({ timeout: 10000 });
  await row.click();
}

/** The rendered editor line whose text contains `text`. */
const editorLine = (page, text) => page.locator('.monaco-editor .view-lines .view-line').filter({ hasText: new RegExp(esc(text).replace(/ /g, '[ \u00a0]')) }).first();

/** Name → value of the Variables view's visible rows. */
async function variables(page) {
  await page.waitForSelector('.debug-variables .monaco-list-row .expression .value', { timeout: 30000 });
  const rows = await page.$$eval('.debug-variables .monaco-list-row .expression', (es) => es.map((e) => [
    (e.querySelector('.name')?.textContent ?? '').replace(/\s*[=:]\s*$/, ''), e.querySelector('.value')?.textContent ?? '']));
  return Object.fromEntries(rows.map(([n, v]) => [n, plain(v)]));
}

/** Waits until the Variables view shows `name` with a value matching `re`; returns that value. */
async function variableMatching(page, name, re) {
  let last;
  for (let i = 0; i < 40; i++) {
    last = (await variables(page))[name];
    if (last !== undefined && re.test(last)) return last;
    await page.waitForTimeout(250);
  }
  throw new Error(`variable ${name} never matched ${re}: last ${JSON.stringify(last)}`);
}

/** The inline value text shown on the line containing `text`, once it starts with `expression`. */
async function inlineValueOn(page, text, expression) {
  let last = '';
  for (let i = 0; i < 40 && !last.includes(expression); i++) {
    last = plain(await editorLine(page, text).innerText());
    await page.waitForTimeout(250);
  }
  return last.slice(last.indexOf(expression));
}

async function stoppedLine(page) {
  await page.waitForSelector('.debug-call-stack .monaco-list-row .stack-frame .line-number', { timeout: 30000 });
  return page.locator('.debug-call-stack .monaco-list-row .stack-frame .line-number').first().innerText();
}

async function hoverText(page, token) {
  const b = await token.boundingBox();
  for (let i = 0; i < 6; i++) { // a hover can miss on a freshly started workbench: move away and back
    await page.mouse.move(b.x + b.width / 2, b.y + 300);
    await page.waitForTimeout(300);
    await page.mouse.move(b.x + 1, b.y + b.height / 2, { steps: 4 });
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 4 });
    const text = await page.locator('.debug-hover-widget').first().innerText({ timeout: 3000 }).catch(() => null);
    if (text) return plain(text);
  }
  return null;
}

(async () => {
  const failures = [];
  const check = (name, ok, got) => { log(ok ? 'ok  ' : 'FAIL', name, ok ? '' : JSON.stringify(got)); if (!ok) failures.push(name); };
  await withPage(async (page) => {
    page.on('pageerror', (e) => log('pageerror', e.message));
    try {
      await page.goto(`${process.env.CS_URL}/?folder=${encodeURIComponent(process.env.WS)}`);
      await page.waitForSelector('.monaco-workbench .statusbar', { timeout: 90000 });
      await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 90000 });
      log('workbench loaded');

      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input').fill(EXAMPLE);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(EXAMPLE) }).first().click();
      const mapLine = editorLine(page, 'dma_map_single(');
      await mapLine.waitFor({ timeout: 30000 });
      const mode = await page.locator('#status\\.editor\\.mode').innerText({ timeout: 15000 });
      check('the language of an example is the dma-buf scenario language', mode.trim() === 'dma-buf Scenario', mode);
      const apiClass = await mapLine.locator('span span', { hasText: /^dma_map_single$/ }).first().getAttribute('class');
      const commentClass = await page.locator('.view-line span span', { hasText: /^#/ }).first().getAttribute('class');
      check('the grammar colours API calls and comments differently', apiClass && apiClass !== commentClass, [apiClass, commentClass]);
      await shot(page, 'example-open');

      // a breakpoint by clicking the gutter (glyph margin) beside the map call
      const lineBox = await mapLine.boundingBox();
      const margin = await page.locator('.monaco-editor .margin').first().boundingBox();
      await page.mouse.move(margin.x + 8, lineBox.y + lineBox.height / 2);
      await page.mouse.click(margin.x + 8, lineBox.y + lineBox.height / 2);
      await page.waitForSelector('.monaco-editor .margin .codicon-debug-breakpoint', { timeout: 10000 });
      log('breakpoint set');
      await shot(page, 'breakpoint');

      await page.keyboard.press('F5');
      await page.waitForSelector('.debug-toolbar', { state: 'visible', timeout: 30000 });
      await page.waitForSelector('.monaco-editor .codicon-debug-stackframe', { timeout: 30000 });
      if (!(await page.locator('.debug-variables').isVisible())) await runCommand(page, 'View: Show Run and Debug');
      const stopped = await stoppedLine(page);
      const state = await page.locator('.debug-call-stack').innerText();
      const mapLineNo = fs.readFileSync(path.join(process.env.WS, EXAMPLE), 'utf8').split('\n').findIndex((l) => l.includes('dma_map_single(')) + 1;
      log('stopped at', stopped);
      check('F5 stops at the breakpoint', stopped.startsWith(`${mapLineNo}:`) && /paused on breakpoint/i.test(state), [stopped, state]);
      const before = await variableMatching(page, BUFFER, /cpu/);
      check(`the Variables view shows ${BUFFER} owned by the CPU before the map`, /cpu/.test(before), before);
      await shot(page, 'stopped-at-breakpoint');

      await page.locator('.debug-toolbar .action-label[aria-label^="Step Over"]').click();
      const after = await variableMatching(page, BUFFER, /nic/);
      check(`Step Over hands ${BUFFER} to the device`, /nic/.test(after) && after !== before, after);
      const inline = await inlineValueOn(page, 'nic.write(', `${BUFFER}.owner`);
      check(`the stop line shows inline the owner of ${BUFFER}, which it touches through its mapping`, /nic:FROM_DEVICE/.test(inline), inline);
      await shot(page, 'after-step-over');

      const hover = await hoverText(page, editorLine(page, 'kmalloc(').locator('span span', { hasText: new RegExp(`^${BUFFER}$`) }).first());
      check(`a hover on ${BUFFER} shows its state`, hover !== null && /nic/.test(hover), hover);
      if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT });
      await shot(page, 'hover');
      await page.mouse.move(5, 5);

      await page.locator('.debug-toolbar .action-label[aria-label^="Step Back"]').click();
      const back = await variableMatching(page, BUFFER, /cpu/);
      check(`Step Back gives ${BUFFER} back to the CPU`, back === before, [back, before]);
      await shot(page, 'after-step-back');

      await page.locator('.debug-toolbar .action-label[aria-label^="Stop"]').click();
      await page.waitForSelector('.debug-toolbar', { state: 'hidden', timeout: 15000 });
      log('session ended');
    } catch (e) {
      failures.push('exception: ' + String(e.message).split('\n')[0]);
      log('exception', e.message);
      await shot(page, 'failure').catch(() => {});
    }
  });
  console.log(failures.length ? `ui: ${failures.length} failed: ${failures.join('; ')}` : 'ui: all checks passed');
  process.exit(failures.length ? 1 : 0);
})();
