/// <reference types="mocha" />
// The extension as VS Code sees it: activation, the language, its snippets and commands, in the real API.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, openScenario } from './util';

suite('the dma-buf extension in VS Code', () => {
  test('activates, and reports how long activation took', async () => {
    const ext = vscode.extensions.getExtension<{ activationMs: number }>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    const t0 = performance.now();
    const api = await ext.activate();
    console.log(`[e2e] activation: ${(performance.now() - t0).toFixed(1)} ms to load and activate, ${api.activationMs.toFixed(1)} ms in activate()`);
    assert.ok(api.activationMs < 1000, `activate() took ${api.activationMs} ms`);
  });

  test('the language is registered for .dmabuf files', async () => {
    assert.ok((await vscode.languages.getLanguages()).includes('dmabuf'));
    const editor = await openScenario('tour.dmabuf');
    assert.equal(editor.document.languageId, 'dmabuf');
  });

  test('the commands are registered', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['dmabuf.debugScenario', 'dmabuf.runScenario', 'dmabuf.debugTrace', 'dmabuf.checkTrace', 'dmabuf.importTrace', 'dmabuf.openExample', 'dmabuf.newScenario']) assert.ok(commands.includes(c), c);
  });

  test('the walkthrough opens the bundled examples: "Open an Example" lists them and opens the one picked', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.ok(ext.packageJSON.contributes.walkthroughs[0].steps.some((s: { description: string }) => s.description.includes('command:dmabuf.openExample')));
    const opened = vscode.commands.executeCommand<vscode.TextEditor | undefined>('dmabuf.openExample');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the quick pick reads every example first
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const editor = await opened;
    assert.ok(editor, 'no example was opened');
    assert.equal(editor.document.languageId, 'dmabuf');
    assert.ok(editor.document.uri.path.startsWith(vscode.Uri.joinPath(ext.extensionUri, 'examples').path), editor.document.uri.path);
    // The walkthrough's link to the bundled capture.
    const capture = await vscode.commands.executeCommand<vscode.TextEditor | undefined>('dmabuf.openExample', 'udmabuf-noiommu.trace.txt');
    assert.equal(capture?.document.languageId, 'dmabuf-trace');
  });

  test('a new scenario starts from the skeleton snippet', async () => {
    await vscode.commands.executeCommand('dmabuf.newScenario');
    const doc = vscode.window.activeTextEditor?.document;
    assert.equal(doc?.languageId, 'dmabuf');
    assert.match(doc?.getText() ?? '', /^platform arm64$/m);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
