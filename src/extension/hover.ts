// Hovers outside a debug session: in a scenario, API names (what the call does to ownership and the cache on the
// declared platform), devices (their constraints) and bindings (what they hold and where they were bound); in a
// kernel trace, event names, directions, attributes and markers (what the kernel did, and what is checked there).
import * as vscode from 'vscode';
import { signatureFor } from '../language/signatures';
import type { ScenarioDocuments } from './documents';
import { callHover, deviceHover } from './hoverText';
import { traceTermHover } from './traceHoverText';
import { traceTermAt } from './traceTermAt';

export class ScenarioHoverProvider implements vscode.HoverProvider {
  constructor(private readonly docs: ScenarioDocuments) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const index = this.docs.get(doc);
    const line = pos.line + 1;
    const word = index.wordAt(line, pos.character + 1);
    if (!word) return undefined;
    const range = new vscode.Range(line - 1, word.span.start.column - 1, line - 1, word.span.end.column - 1);
    const { program } = index;
    const text = index.lineText(line);
    // `cpu.read`, `isp.write`, `cache.evict`: the hover on the member names the access, on the object the device
    const before = text.slice(0, word.span.start.column - 1);
    const object = /([A-Za-z_][A-Za-z0-9_]*)\.$/.exec(before)?.[1];
    const callee = object ? `${object}.${word.name}` : word.name;
    const sig = /^\s*\(/.test(text.slice(word.span.end.column - 1)) || object ? signatureFor(callee, (n) => program.devices.has(n)) : undefined;
    // An attachment's calls hand the buffer to the device it was attached for.
    if (sig) return new vscode.Hover(new vscode.MarkdownString(callHover(sig, callee, program, index.callAt(line), (a) => index.attachedDevice(a, line))), range);
    const device = program.devices.get(word.name);
    if (device) return new vscode.Hover(new vscode.MarkdownString(deviceHover(device, program)), range);
    // while a scenario is being debugged, the debugger's own hover shows a binding's live state instead
    if (vscode.debug.activeDebugSession?.type === 'dmabuf') return undefined;
    const column = word.span.start.column;
    const def = index.isHandleName(word.name) ? index.definitionOf(word.name, line, column) : undefined;
    if (!def) return undefined;
    const type = index.handleTypeOf(word.name, line, column);
    const where = `${def.kind === 'param' ? 'parameter of' : 'bound'} ${def.kind === 'param' ? def.proc : `at line ${def.span.start.line}`}`;
    const bound = def.stmt ? `\n\n\`${index.lineText(def.span.start.line).replace(/#.*/, '').trim()}\`` : '';
    return new vscode.Hover(new vscode.MarkdownString(`\`${word.name}\`${type ? `: ${type}` : ''}, ${where}${bound}`), range);
  }
}

export class TraceHoverProvider implements vscode.HoverProvider {
  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const found = traceTermAt(doc.lineAt(pos.line).text, pos.character);
    const text = found && traceTermHover(found.term);
    return text ? new vscode.Hover(new vscode.MarkdownString(text), new vscode.Range(pos.line, found.start, pos.line, found.end)) : undefined;
  }
}
