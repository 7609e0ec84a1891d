// The `dmabuf` debugger: where its adapter runs (inline by default, or `dist/debugAdapter.js` as a process),
// what F5 debugs when there is no launch.json, and the "Debug Scenario" and "Debug Trace" commands.
import * as path from 'path';
import * as vscode from 'vscode';
import { DmabufDebugSession } from '../adapter/session';
import { isTraceProgram } from '../adapter/traceDetect';
import { LANGUAGE_ID, TRACE_LANGUAGE_ID } from './documents';

export const DEBUG_TYPE = 'dmabuf';

export class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionPath: string) {}

  createDebugAdapterDescriptor(): vscode.DebugAdapterDescriptor {
    if (vscode.workspace.getConfiguration('dmabuf').get<string>('debugAdapter') === 'process') {
      // in desktop VS Code the extension host's executable is Electron: make it behave as plain Node
      return new vscode.DebugAdapterExecutable(process.execPath, [path.join(this.extensionPath, 'dist', 'debugAdapter.js')], { env: { ELECTRON_RUN_AS_NODE: '1' } });
    }
    return new vscode.DebugAdapterInlineImplementation(new DmabufDebugSession());
  }
}

/** A launch configuration for a scenario or trace file; it stops on entry when the file has no breakpoint to stop at. */
function launchFor(uri: vscode.Uri): vscode.DebugConfiguration {
  const hasBreakpoint = vscode.debug.breakpoints.some((b) => b.enabled && b instanceof vscode.SourceBreakpoint && b.location.uri.toString() === uri.toString());
  return { type: DEBUG_TYPE, request: 'launch', name: `Debug ${path.basename(uri.fsPath)}`, program: uri.fsPath, stopOnEntry: !hasBreakpoint };
}

export class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    // F5 without a launch.json: debug the scenario in the active editor
    if (!config.type && !config.request && !config.name) {
      const doc = vscode.window.activeTextEditor?.document;
      const debuggable = doc?.languageId === LANGUAGE_ID || doc?.languageId === TRACE_LANGUAGE_ID;
      if (doc && debuggable && doc.uri.scheme === 'file') return { ...launchFor(doc.uri), stopOnEntry: false };
    }
    if (!config.program) {
      void vscode.window.showInformationMessage('Open a .dmabuf scenario or a kernel trace (saved to disk) to debug it.');
      return undefined;
    }
    return config;
  }
}

/** The scenario the command applies to: the editor-title button passes its file, the palette uses the active editor. */
export async function scenarioDocument(resource: unknown): Promise<vscode.TextDocument | undefined> {
  const doc = resource instanceof vscode.Uri ? await vscode.workspace.openTextDocument(resource) : vscode.window.activeTextEditor?.document;
  if (doc?.languageId !== LANGUAGE_ID) {
    void vscode.window.showInformationMessage('Open a .dmabuf scenario first.');
    return undefined;
  }
  return doc;
}

export async function debugScenario(resource: unknown): Promise<boolean> {
  const doc = await scenarioDocument(resource);
  if (!doc) return false;
  // the adapter reads the program from disk
  if (doc.isUntitled || (doc.isDirty && !(await doc.save()))) {
    void vscode.window.showInformationMessage('Save the scenario to a file to debug it.');
    return false;
  }
  return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(doc.uri), launchFor(doc.uri));
}

/**
 * The kernel trace a command applies to (the editor-title button passes its file, the palette uses the active
 * editor), saved: the adapter and the CLI read it from disk.
 */
export async function traceFile(resource: unknown): Promise<vscode.Uri | undefined> {
  const uri = resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
  const doc = uri && vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!uri || uri.scheme !== 'file' || !(doc?.languageId === TRACE_LANGUAGE_ID || isTraceProgram(uri.fsPath))) {
    void vscode.window.showInformationMessage('Open a kernel trace (a .trace file, or ftrace text saved to disk) first.');
    return undefined;
  }
  if (doc?.isDirty && !(await doc.save())) return undefined;
  return uri;
}

export async function debugTrace(resource: unknown): Promise<boolean> {
  const uri = await traceFile(resource);
  return uri !== undefined && vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), launchFor(uri));
}
