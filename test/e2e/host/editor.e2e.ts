/// <reference types="mocha" />
// Editor help in the real workbench: diagnostics as you type with exact ranges, hazards on save with related
// locations, hovers, go to definition, the outline, "Run Scenario", and on a real capture "Check Trace", its
// outline of markers, hovers and go to definition, Import Trace as Scenario, and the trace language for a capture
// saved as plain text.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { describe, diagnosticsWhen, openScenario, workspaceFile } from './util';

const errorsOf = (d: vscode.Diagnostic[]) => d.filter((x) => x.severity === vscode.DiagnosticSeverity.Error);
const hazardsOf = (d: vscode.Diagnostic[]) => d.filter((x) => x.severity === vscode.DiagnosticSeverity.Warning);
const lineOf = (doc: vscode.TextDocument, text: string) => doc.getText().split('\n').findIndex((l) => l.includes(text));

/** Time for the extension to act on an open or a change of language, if it would. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

/** The open document at `uri` once its language passes `ok` (checked now and on every open). */
async function languageWhen(uri: vscode.Uri, ok: (id: string) => boolean, timeoutMs = 10000): Promise<vscode.TextDocument> {
  const find = () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString() && ok(d.languageId));
  const t0 = Date.now();
  for (let doc = find(); ; doc = find()) {
    if (doc) return doc;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${uri.path} never got the language; it has ${vscode.workspace.textDocuments.filter((d) => d.uri.toString() === uri.toString()).map((d) => d.languageId)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

suite('editor help', () => {
  test('a broken scenario gets its parse and name errors with the right ranges', async () => {
    const { document: doc } = await openScenario('broken.dmabuf');
    const errors = errorsOf(await diagnosticsWhen(doc.uri, (d) => errorsOf(d).length >= 2));
    assert.deepEqual(errors.map((e) => [e.range.start.line + 1, e.range.start.character + 1, e.range.end.line + 1, e.range.end.character + 1]), [
      [5, 15, 5, 16], // kmalloc(0): a size must not be zero
      [6, 20, 6, 23], // gpu: unknown device
    ]);
    assert.match(errors[1].message, /gpu/);
    assert.ok(errors.every((e) => e.source === 'dmabuf'));
  });

  test('errors follow the text as you type, before any save', async () => {
    const editor = await openScenario('tour.dmabuf');
    const doc = editor.document;
    await diagnosticsWhen(doc.uri, (d) => errorsOf(d).length === 0);
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    await editor.edit((e) => e.insert(end, '\ncpu.read(nosuch, 0, 64)\n'));
    const errors = errorsOf(await diagnosticsWhen(doc.uri, (d) => errorsOf(d).length === 1));
    assert.equal(errors[0].range.start.line, lineOf(doc, 'nosuch'));
    assert.equal(doc.getText(errors[0].range), 'nosuch');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await diagnosticsWhen(doc.uri, (d) => errorsOf(d).length === 0);
  });

  test('a scenario opened with a parse error gets its hazards as soon as the error is fixed, before any save', async () => {
    const buggy = new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceFile('buggy.dmabuf')));
    const uri = workspaceFile('typo.dmabuf');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(buggy.replace('kfree(frame)', 'kfree(frame')));
    try {
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const doc = editor.document;
      await diagnosticsWhen(doc.uri, (d) => errorsOf(d).length === 1);
      const typo = doc.positionAt(doc.getText().indexOf('kfree(frame') + 'kfree(frame'.length);
      await editor.edit((e) => e.insert(typo, ')'));
      const hazards = hazardsOf(await diagnosticsWhen(doc.uri, (d) => errorsOf(d).length === 0 && hazardsOf(d).some((h) => h.code === 'stale-read')));
      assert.ok(doc.isDirty, 'found while typing, not on save');
      assert.ok(hazards.length > 0);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } finally {
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('a scenario with a bug gets its hazards on save, related to the lines that set them up', async () => {
    const editor = await openScenario('buggy.dmabuf');
    const doc = editor.document;
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), '# saved by the test\n'));
    await doc.save();
    const readLine = doc.getText().split('\n').findIndex((l, i) => i > lineOf(doc, 'cam.write') && l.startsWith('cpu.read'));
    const hazards = hazardsOf(await diagnosticsWhen(doc.uri, (d) => hazardsOf(d).some((h) => h.code === 'stale-read')));
    const stale = hazards.find((h) => h.code === 'stale-read')!;
    assert.equal(stale.range.start.line, readLine, describe(stale));
    assert.equal(doc.getText(stale.range), 'cpu.read(frame, 0, 64)');
    const related = (stale.relatedInformation ?? []).map((r) => r.location.range.start.line);
    assert.ok(related.includes(lineOf(doc, 'cam.write')), `related lines ${related}`);
    assert.ok(hazards.some((h) => h.code === 'cpu-access-while-device-owned' && h.range.start.line === readLine), hazards.map(describe).join('\n'));
  });

  test('hovers explain API calls on the declared platform, and devices', async () => {
    const { document: doc } = await openScenario('tour.dmabuf');
    const hover = async (text: string) => {
      const line = lineOf(doc, text);
      const hs = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, doc.lineAt(line).text.indexOf(text) + 1));
      return hs.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    };
    assert.match(await hover('dma_map_single'), /arm64 noncoherent: cleans the range's cache lines to memory/);
    assert.match(await hover('dma_unmap_single'), /Owner → cpu\. arm64 noncoherent, FROM_DEVICE: invalidates/);
    assert.match(await hover('cam dma_mask'), /dma_mask 32 bits/);
  });

  test('go to definition finds bindings and devices; the outline lists them', async () => {
    const { document: doc } = await openScenario('tour.dmabuf');
    const use = lineOf(doc, 'cam.write(h');
    const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', doc.uri, new vscode.Position(use, doc.lineAt(use).text.indexOf('h,')));
    const at = (d: vscode.Location | vscode.LocationLink) => ('targetRange' in d ? d.targetRange : d.range).start.line;
    assert.deepEqual(defs.map(at), [lineOf(doc, 'h = dma_map_single')]);
    const dev = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', doc.uri, new vscode.Position(use, 1));
    assert.deepEqual(dev.map(at), [lineOf(doc, 'device cam')]);
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
    assert.deepEqual(symbols.map((s) => s.name), ['platform', 'cam', 'frame', 'h']);
  });

  test('Run Scenario reports the hazards of a buggy scenario in Problems', async () => {
    const { document: doc } = await openScenario('buggy.dmabuf');
    const ok = await vscode.commands.executeCommand<boolean>('dmabuf.runScenario', doc.uri);
    assert.equal(ok, false);
    const hazards = hazardsOf(vscode.languages.getDiagnostics(doc.uri));
    assert.ok(hazards.some((h) => h.code === 'stale-read'), hazards.map(describe).join('\n'));
    const { document: tour } = await openScenario('tour.dmabuf');
    assert.equal(await vscode.commands.executeCommand<boolean>('dmabuf.runScenario', tour.uri), true);
  });

  test('Check Trace puts a real capture\'s findings in Problems at their lines, the map each mismatches as related', async () => {
    // udmabuf maps TO_DEVICE and unmaps BIDIRECTIONAL in release_udmabuf(): a real kernel bug in this capture.
    // From the explorer's context menu, before any editor shows it (a large capture may never be opened).
    const uri = workspaceFile('udmabuf-noiommu.trace.txt');
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString()), 'the capture is not open yet');
    const report = await vscode.commands.executeCommand<{ ok: boolean; lines: number } | undefined>('dmabuf.checkTrace', uri);
    const { document: doc } = await openScenario('udmabuf-noiommu.trace.txt');
    assert.equal(doc.languageId, 'dmabuf-trace');
    assert.ok(report, 'the command read the capture');
    assert.equal(report.ok, false);
    assert.equal(report.lines, doc.lineCount - 1);
    const problems = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Warning);
    assert.deepEqual(problems.map((d) => [d.range.start.line + 1, d.code]), [[16, 'direction-mismatch'], [19, 'direction-mismatch']], problems.map(describe).join('\n'));
    assert.match(problems[0].message, /^udmabuf: dma_unmap_sg .* uses BIDIRECTIONAL/);
    assert.deepEqual(problems[0].relatedInformation?.map((r) => [r.location.uri.toString(), r.location.range.start.line + 1, r.message]), [[doc.uri.toString(), 15, 'mapped here']]);
  });

  test('Check Trace and Import Trace on a capture the CLI refuses (UTF-16, as PowerShell saves one) give no result, no Problems, no scenario', async () => {
    const uri = workspaceFile('powershell.trace');
    const text = new TextEncoder().encode('# tracer: nop\n');
    const utf16 = new Uint8Array(2 + 2 * text.length);
    utf16.set([0xff, 0xfe]);
    text.forEach((b, i) => (utf16[2 + 2 * i] = b));
    await vscode.workspace.fs.writeFile(uri, utf16);
    try {
      assert.equal(await vscode.commands.executeCommand('dmabuf.checkTrace', uri), undefined);
      assert.deepEqual(vscode.languages.getDiagnostics(uri), []);
      // Nor does Import Trace as Scenario write a scenario of it.
      assert.equal(await vscode.commands.executeCommand('dmabuf.importTrace', uri), undefined);
      await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(workspaceFile('powershell.dmabuf'))), 'no scenario is left');
    } finally {
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('Import Trace as Scenario writes the capture\'s scenario beside it, never over a file there, and opens it: it checks as the trace did', async () => {
    const capture = workspaceFile('udmabuf-noiommu.trace.txt');
    const taken = workspaceFile('udmabuf-noiommu.dmabuf');
    await vscode.workspace.fs.writeFile(taken, new TextEncoder().encode('# a scenario of the user\'s own\n'));
    let scenario: vscode.Uri | undefined;
    try {
      scenario = await vscode.commands.executeCommand<vscode.Uri | undefined>('dmabuf.importTrace', capture);
      assert.ok(scenario, 'the import wrote a scenario');
      assert.equal(scenario.path.split('/').pop(), 'udmabuf-noiommu-2.dmabuf');
      assert.equal(new TextDecoder().decode(await vscode.workspace.fs.readFile(taken)), '# a scenario of the user\'s own\n', 'the file there is kept');
      const doc = vscode.window.activeTextEditor?.document;
      assert.ok(doc && doc.uri.toString() === scenario.toString(), 'the scenario is open');
      assert.equal(doc.languageId, 'dmabuf');
      assert.match(doc.getText(), /^# Imported from .*udmabuf-noiommu\.trace\.txt/);
      // The trace's real bug, an sg list unmapped BIDIRECTIONAL, is a hazard of the scenario when run.
      assert.equal(await vscode.commands.executeCommand('dmabuf.runScenario', doc.uri), false);
      const hazards = hazardsOf(await diagnosticsWhen(doc.uri, (d) => hazardsOf(d).some((h) => h.code === 'api-misuse')));
      assert.ok(errorsOf(vscode.languages.getDiagnostics(doc.uri)).length === 0, 'it parses');
      const first = hazards.find((h) => h.code === 'api-misuse')!;
      assert.match(first.message, /dma_unmap_sg .* different direction: mapped TO_DEVICE, unmapped BIDIRECTIONAL/);
      assert.match(doc.lineAt(first.range.start.line).text, /^dma_unmap_sg\(/);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(taken);
      if (scenario) await vscode.workspace.fs.delete(scenario);
    }
  });

  test('a capture saved as plain .txt opens as a trace, other text stays plain, and a user\'s choice of plain text holds', async () => {
    const capture = workspaceFile('capture.txt');
    const notes = workspaceFile('notes.txt');
    await vscode.workspace.fs.writeFile(capture, await vscode.workspace.fs.readFile(workspaceFile('udmabuf-noiommu.trace.txt')));
    await vscode.workspace.fs.writeFile(notes, new TextEncoder().encode('# tracer notes, not a capture\nmap: a word, then prose\n'));
    try {
      await vscode.window.showTextDocument(capture);
      const doc = await languageWhen(capture, (id) => id === 'dmabuf-trace');
      const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
      assert.equal(symbols[0]?.name, 'PHASE tracing started', 'the outline of a trace');
      await vscode.window.showTextDocument(notes);
      await settle();
      assert.equal((await languageWhen(notes, () => true)).languageId, 'plaintext');
      // As the user picks Plain Text in the status bar: it is not taken back.
      await vscode.languages.setTextDocumentLanguage(doc, 'plaintext');
      await settle();
      assert.equal((await languageWhen(capture, () => true)).languageId, 'plaintext');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(capture);
      await vscode.workspace.fs.delete(notes);
    }
  });

  test('hovers in a capture explain its event names and directions; not its addresses, which are the debugger\'s', async () => {
    const { document: doc } = await openScenario('udmabuf-noiommu.trace.txt');
    const unmap = lineOf(doc, '5.439053: dma_unmap_sg');
    const text = doc.lineAt(unmap).text;
    const hoverAt = async (at: string) => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(unmap, text.indexOf(at) + 1));
      return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    };
    assert.match(await hoverAt('dma_unmap_sg'), /^`dma_unmap_sg`\n\nUnmaps a \*\*scatter-gather list\*\*.*another direction/s);
    assert.match(await hoverAt('BIDIRECTIONAL'), /^`DMA_BIDIRECTIONAL`/);
    assert.equal(await hoverAt('0x1018c000'), '');
  });

  test('go to definition in a capture: from an unmap\'s name or address to the map it releases; its references back', async () => {
    const { document: doc } = await openScenario('udmabuf-noiommu.trace.txt');
    const unmap = lineOf(doc, '5.439053: dma_unmap_sg');
    const text = doc.lineAt(unmap).text;
    const targets = async (at: string) => {
      const links = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', doc.uri, new vscode.Position(unmap, text.indexOf(at) + 1));
      return links.map((l) => ('targetRange' in l ? l.targetRange : l.range).start.line + 1);
    };
    assert.deepEqual(await targets('dma_unmap_sg'), [15]);
    assert.deepEqual(await targets('0x1018c000'), [15]);
    assert.deepEqual(await targets('5.439053'), [], 'the timestamp is no link');
    assert.equal(doc.lineAt(14).text.includes('dma_map_sg: udmabuf dir=TO_DEVICE'), true);
    // And back: the map's references are itself and its unmap.
    const refs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', doc.uri, new vscode.Position(14, doc.lineAt(14).text.indexOf('dma_map_sg') + 1));
    assert.deepEqual(refs.map((l) => l.range.start.line + 1).sort((a, b) => a - b), [15, 16]);
  });

  test('the outline of a capture lists its markers, each the section up to the next', async () => {
    const { document: doc } = await openScenario('udmabuf-noiommu.trace.txt');
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
    assert.deepEqual(symbols.map((s) => [s.name, s.range.start.line + 1, s.range.end.line + 1]), [
      ['PHASE tracing started', 13, 13],
      ['PHASE udmabuf: 64KiB buffer, 8 x (write, read, rw) CPU-access brackets via DMA_BUF_IOCTL_SYNC', 14, 16],
      ['PHASE udmabuf: 1MiB buffer, 4 iterations', 17, 19],
      ['PHASE udmabuf: done', 20, 20],
      ['PHASE tracing stopped', 21, 22],
    ]);
  });
});
