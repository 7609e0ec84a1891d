// The extension's entry point: wires the language features, the diagnostics, the debugger and the commands.
import * as vscode from 'vscode';
import { checkTrace } from './extension/checkTrace';
import { debugScenario, debugTrace, AdapterFactory, ConfigurationProvider, DEBUG_TYPE } from './extension/debugging';
import { ScenarioDebugHelp, TraceDebugHelp } from './extension/debugHover';
import { LANGUAGE_ID, ScenarioDocuments, TRACE_LANGUAGE_ID } from './extension/documents';
import { newScenario, openExample } from './extension/examples';
import { importTrace } from './extension/importTrace';
import { ScenarioHoverProvider, TraceHoverProvider } from './extension/hover';
import { LiveDiagnostics } from './extension/liveDiagnostics';
import { ScenarioNavigation, TraceNavigation } from './extension/navigation';
import { runScenario } from './extension/runScenario';
import { PlainTextCaptures } from './extension/plainTextCaptures';

/** What the extension exposes to other extensions and to its tests. */
export interface DmabufApi {
  /** Milliseconds activate() took. */
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): DmabufApi {
  const t0 = performance.now();
  const selector: vscode.DocumentSelector = { language: LANGUAGE_ID };
  const out = vscode.window.createOutputChannel('dma-buf Scenario');
  const docs = new ScenarioDocuments();
  const live = new LiveDiagnostics(docs, out);
  const navigation = new ScenarioNavigation(docs);
  const debugHelp = new ScenarioDebugHelp(docs);
  const traceProblems = vscode.languages.createDiagnosticCollection(TRACE_LANGUAGE_ID);
  const traceNavigation = new TraceNavigation();
  context.subscriptions.push(
    out,
    traceProblems,
    live,
    new PlainTextCaptures(),
    vscode.languages.registerHoverProvider(selector, new ScenarioHoverProvider(docs)),
    vscode.languages.registerDefinitionProvider(selector, navigation),
    vscode.languages.registerDocumentSymbolProvider(selector, navigation),
    vscode.languages.registerEvaluatableExpressionProvider(selector, debugHelp),
    vscode.languages.registerInlineValuesProvider(selector, debugHelp),
    vscode.languages.registerEvaluatableExpressionProvider({ language: TRACE_LANGUAGE_ID }, new TraceDebugHelp()),
    vscode.languages.registerHoverProvider({ language: TRACE_LANGUAGE_ID }, new TraceHoverProvider()),
    vscode.languages.registerDocumentSymbolProvider({ language: TRACE_LANGUAGE_ID }, traceNavigation),
    vscode.languages.registerDefinitionProvider({ language: TRACE_LANGUAGE_ID }, traceNavigation),
    vscode.languages.registerReferenceProvider({ language: TRACE_LANGUAGE_ID }, traceNavigation),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new AdapterFactory(context.extensionPath)),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConfigurationProvider()),
    vscode.commands.registerCommand('dmabuf.debugScenario', (resource?: unknown) => debugScenario(resource)),
    vscode.commands.registerCommand('dmabuf.runScenario', (resource?: unknown) => runScenario(resource, out, live)),
    vscode.commands.registerCommand('dmabuf.debugTrace', (resource?: unknown) => debugTrace(resource)),
    vscode.commands.registerCommand('dmabuf.checkTrace', (resource?: unknown) => checkTrace(resource, context.extensionPath, out, traceProblems)),
    vscode.commands.registerCommand('dmabuf.importTrace', (resource?: unknown) => importTrace(resource, context.extensionPath, out)),
    vscode.commands.registerCommand('dmabuf.openExample', (name?: unknown) => openExample(context.extensionUri, typeof name === 'string' ? name : undefined)),
    vscode.commands.registerCommand('dmabuf.newScenario', () => newScenario(context.extensionUri)),
  );
  const activationMs = performance.now() - t0;
  out.appendLine(`dma-buf Lifecycle Debugger activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs };
}

export function deactivate(): void {}
