// Go to definition (bindings, proc parameters, procs, devices) and the outline of a scenario; the outline of a kernel
// trace (its markers, each the section up to the next).
import * as vscode from 'vscode';
import type { Span } from '../language/ast';
import type { ScenarioDocuments } from './documents';
import type { OutlineNode } from './scenarioIndex';
import { markersOf } from './traceOutline';

const toRange = (s: Span) => new vscode.Range(s.start.line - 1, s.start.column - 1, s.end.line - 1, s.end.column - 1);

const SYMBOL_KINDS: Record<OutlineNode['kind'], vscode.SymbolKind> = {
  platform: vscode.SymbolKind.Property,
  cache: vscode.SymbolKind.Property,
  memory: vscode.SymbolKind.Property,
  device: vscode.SymbolKind.Class,
  proc: vscode.SymbolKind.Function,
  repeat: vscode.SymbolKind.Namespace,
  binding: vscode.SymbolKind.Variable,
};

function toSymbol(n: OutlineNode): vscode.DocumentSymbol {
  const s = new vscode.DocumentSymbol(n.name, n.detail, SYMBOL_KINDS[n.kind], toRange(n.span), toRange(n.selection));
  s.children = n.children.map(toSymbol);
  return s;
}

export class ScenarioNavigation implements vscode.DefinitionProvider, vscode.DocumentSymbolProvider {
  constructor(private readonly docs: ScenarioDocuments) {}

  provideDefinition(doc: vscode.TextDocument, pos: vscode.Position): vscode.Location | undefined {
    const index = this.docs.get(doc);
    const word = index.wordAt(pos.line + 1, pos.character + 1);
    // a member (`read` in `isp.read`) names an operation, not a definition
    const member = word && index.lineText(pos.line + 1)[word.span.start.column - 2] === '.';
    const def = word && !member ? index.definitionOf(word.name, pos.line + 1) : undefined;
    return def && new vscode.Location(doc.uri, toRange(def.span));
  }

  provideDocumentSymbols(doc: vscode.TextDocument): vscode.DocumentSymbol[] {
    return this.docs.get(doc).outline.map(toSymbol);
  }
}

export class TraceOutline implements vscode.DocumentSymbolProvider {
  provideDocumentSymbols(doc: vscode.TextDocument): vscode.DocumentSymbol[] {
    const marks = markersOf(doc.lineCount, (i) => doc.lineAt(i).text);
    return marks.map((m, k) => {
      const last = k + 1 < marks.length ? marks[k + 1].line - 1 : doc.lineCount - 1;
      const section = new vscode.Range(m.line, 0, last, doc.lineAt(last).text.length);
      return new vscode.DocumentSymbol(m.text, `line ${m.line + 1}`, vscode.SymbolKind.Event, section, new vscode.Range(m.line, m.start, m.line, m.end));
    });
  }
}
