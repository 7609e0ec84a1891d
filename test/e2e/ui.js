// The UI test: a user's session in the real VS Code workbench (code-server), driven through headless Chromium.
// Opens an example, sets a breakpoint by clicking the gutter, presses F5, reads the Variables view, steps over and
// back, hovers a buffer name; then debugs a real kernel capture to its bug and hovers an address in it. First, the
// Explorer's context menu offers the trace commands on a capture saved as plain `trace.txt`. Saves a
// screenshot per step (SHOTS) and one for the README (SHOT).
// env: WS (workspace folder), CS_URL, SHOT, SHOTS, EXAMPLE (default examples/nic-rx-missing-sync.dmabuf)
const fs = require('fs');
const path = require('path');
const { withPage } = require('./browser');

const EXAMPLE = process.env.EXAMPLE || 'examples/nic-rx-missing-sync.dmabuf';
const BUFFER = process.env.BUFFER || 'rx';
const TRACE = 'udmabuf-noiommu.trace.txt';
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

/** The debug hover's text at the middle of `b` (a box on the page), or null when none shows. */
async function hoverText(page, b) {
  for (let i = 0; i < 6; i++) { // a hover can miss on a freshly started workbench: move away and back
    await page.mouse.move(b.x + b.width / 2, b.y + 300);
    await page.waitForTimeout(300);
    await page.mouse.move(b.x + 1, b.y + b.height / 2, { steps: 4 });
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 4 });
    const text = await page.locator('.debug-hover-widget:visible').first().innerText({ timeout: 3000 }).catch(() => null);
    if (text) return plain(text);
  }
  return null;
}

/** The labels of the Explorer's context menu on the workspace's top-level file `name`. */
async function explorerMenu(page, name) {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp('^' + esc(name) + '$') }) }).first();
  await row.waitFor({ timeout: 15000 });
  // The tooltip of the row clicked before (its path) may still cover this one: move away and let it go first.
  await page.mouse.move(0, 0);
  await page.keyboard.press('Escape');
  await page.locator('.context-view .hover-contents').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ timeout: 10000 });
  const labels = (await menu.locator('.action-label').allInnerTexts()).map((l) => plain(l).trim());
  await page.keyboard.press('Escape');
  return labels;
}

/**
 * A real kernel capture: F5 runs it to its bug (the hazard exception filters are on by default), the call stack
 * names the event at its line, and a hover on an address of the trace's text shows the mapping that holds it.
 */
async function debugTrace(page, check) {
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill(TRACE);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: TRACE }).first().click();
  // Line 16: udmabuf unmaps BIDIRECTIONAL what line 15 mapped TO_DEVICE.
  const unmapText = '5.439053: dma_unmap_sg';
  await editorLine(page, unmapText).waitFor({ timeout: 30000 });
  const mode = await page.locator('#status\\.editor\\.mode').innerText({ timeout: 15000 });
  check('a capture opens in the kernel trace language', mode.trim() === 'Kernel DMA trace (ftrace)', mode);
  const unmapLine = editorLine(page, unmapText);
  const eventClass = await unmapLine.locator('span span', { hasText: /^dma_unmap_sg$/ }).first().getAttribute('class', { timeout: 10000 }).catch(() => null);
  const timeClass = await unmapLine.locator('span span', { hasText: /^5\.439053$/ }).first().getAttribute('class', { timeout: 10000 }).catch(() => null);
  check('the trace grammar colours event names and timestamps differently', eventClass && timeClass && eventClass !== timeClass, [eventClass, timeClass]);

  await page.keyboard.press('F5');
  await page.waitForSelector('.debug-toolbar', { state: 'visible', timeout: 30000 });
  const frame = page.locator('.debug-call-stack .monaco-list-row', { hasText: TRACE }).first();
  await frame.waitFor({ timeout: 30000 });
  const frameText = plain(await frame.innerText());
  check('F5 on a capture stops at its real bug: the unmap of line 16', /dma_unmap_sg udmabuf/.test(frameText) && /16:1/.test(frameText), frameText);
  await shot(page, 'trace-stopped');

  // Stopped inside the unmap, the state shows its effect: one step back, the mapping it mismatched is live again.
  await page.locator('.debug-toolbar .action-label[aria-label^="Step Back"]').click();
  const before = page.locator('.debug-call-stack .monaco-list-row .stack-frame', { hasText: TRACE }).first();
  await page.waitForFunction(() => /paused on step/i.test(document.querySelector('.debug-call-stack')?.textContent ?? ''), null, { timeout: 15000 });
  check('Step Back stands before the unmap', /16:1/.test(plain(await before.innerText())), plain(await before.innerText()));
  // The address sits past column 110: the side bar makes room for it.
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  const line = editorLine(page, unmapText);
  await line.waitFor({ timeout: 15000 });
  // The line renders in several spans of one token: find the address's column, and the width of a character.
  const first = line.locator('span span').first();
  const [lineBox, lineText, firstBox, firstText] = [await line.boundingBox(), plain(await line.innerText()), await first.boundingBox(), plain(await first.innerText())];
  const column = lineText.indexOf('0x1018c000');
  const charWidth = firstBox.width / firstText.length;
  const hover = column < 0 ? null : await hoverText(page, { x: lineBox.x + column * charWidth, y: lineBox.y, width: 10 * charWidth, height: lineBox.height });
  check('a hover on an address of the capture shows the mapping that holds it', hover !== null && /udmabuf: the sg mapping at line 15/.test(hover), [column, hover]);
  await shot(page, 'trace-hover');
  await page.mouse.move(5, 5);
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');

  await page.locator('.debug-toolbar .action-label[aria-label^="Stop"]').click();
  await page.waitForSelector('.debug-toolbar', { state: 'hidden', timeout: 15000 });
  log('trace session ended');
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

      // A capture too large to open is checked from the Explorer: also one saved as plain `trace.txt`.
      const TRACE_COMMANDS = ['Debug Trace', 'Check Trace', 'Import Trace as Scenario'];
      let onCapture = [];
      // The extensions' menu entries come once the extension host has read their manifests.
      for (let i = 0; i < 20 && !onCapture.includes(TRACE_COMMANDS[0]); i++) {
        if (i > 0) await page.waitForTimeout(500);
        onCapture = await explorerMenu(page, 'trace.txt');
      }
      check('the Explorer offers the trace commands on a capture saved as trace.txt', TRACE_COMMANDS.every((c) => onCapture.includes(c)), onCapture);
      const onTraceTxt = await explorerMenu(page, TRACE);
      check('... and on one named *.trace.txt', TRACE_COMMANDS.every((c) => onTraceTxt.includes(c)), onTraceTxt);
      const onText = await explorerMenu(page, 'readme.txt');
      check('... and not on other text files', onText.length > 0 && !TRACE_COMMANDS.some((c) => onText.includes(c)), onText);

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

      const hover = await hoverText(page, await editorLine(page, 'kmalloc(').locator('span span', { hasText: new RegExp(`^${BUFFER}$`) }).first().boundingBox());
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

      await debugTrace(page, check);
    } catch (e) {
      failures.push('exception: ' + String(e.message).split('\n')[0]);
      log('exception', e.message);
      await shot(page, 'failure').catch(() => {});
    }
  });
  console.log(failures.length ? `ui: ${failures.length} failed: ${failures.join('; ')}` : 'ui: all checks passed');
  process.exit(failures.length ? 1 : 0);
})();
