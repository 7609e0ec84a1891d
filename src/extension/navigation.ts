// Go to definition (bindings, proc parameters, procs, devices) and the outline of a scenario; in a kernel trace, go
// to definition from an unmap, sync or free to the map or allocation it releases, find references from a map to its
// syncs and release, and the outline (its markers, each the section up to the next).
import * as vscode from 'vscode';
import { MappingLinks } from '../ftrace/mappingLinks';
import { TraceCursor } from '../ftrace/reader';
import type { Span } from '../language/ast';
import type { ScenarioDocuments } from './documents';
import type { OutlineNode } from './scenarioIndex';
import { traceAddressAt } from './traceAddressAt';
import { markersOf } from './traceOutline';
import { traceTermAt } from './traceTermAt';

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
    const def = word && !member ? index.definitionOf(word.name, pos.line + 1, word.span.start.column) : undefined;
    return def && new vscode.Location(doc.uri, toRange(def.span));
  }

  provideDocumentSymbols(doc: vscode.TextDocument): vscode.DocumentSymbol[] {
    return this.docs.get(doc).outline.map(toSymbol);
  }
}

/** Where a link in a trace line starts: the event's name or one of its addresses (the rest of the line is none). */
function linkAt(text: string, column: number): { start: number; end: number } | undefined {
  const term = traceTermAt(text, column);
  return term?.term.kind === 'event' ? term : traceAddressAt(text, column);
}

export class TraceNavigation implements vscode.DefinitionProvider, vscode.ReferenceProvider, vscode.DocumentSymbolProvider {
  /** Per document version, its links: Ctrl+hover asks again as the mouse moves, and each ask read the whole capture. */
  private readonly links = new WeakMap<vscode.TextDocument, { version: number; links: MappingLinks }>();

  private linksOf(doc: vscode.TextDocument): MappingLinks {
    let cached = this.links.get(doc);
    if (cached?.version !== doc.version) this.links.set(doc, (cached = { version: doc.version, links: new MappingLinks(TraceCursor.fromText(doc.getText())) }));
    return cached.links;
  }

  provideDefinition(doc: vscode.TextDocument, pos: vscode.Position): vscode.LocationLink[] | undefined {
    const at = linkAt(doc.lineAt(pos.line).text, pos.character);
    if (!at) return undefined;
    const mapLine = this.linksOf(doc).mappedAt(pos.line + 1);
    if (mapLine === undefined) return undefined;
    const target = doc.lineAt(mapLine - 1).range;
    return [{ originSelectionRange: new vscode.Range(pos.line, at.start, pos.line, at.end), targetUri: doc.uri, targetRange: target, targetSelectionRange: target }];
  }

  /** From a map or allocation: the syncs and the release of what it mapped (and the map, as its declaration). */
  provideReferences(doc: vscode.TextDocument, pos: vscode.Position, context: vscode.ReferenceContext): vscode.Location[] | undefined {
    if (!linkAt(doc.lineAt(pos.line).text, pos.character)) return undefined;
    const lines = this.linksOf(doc).releasesOf(pos.line + 1);
    if (lines.length === 0) return [];
    return [...(context.includeDeclaration ? [pos.line + 1] : []), ...lines].map((l) => new vscode.Location(doc.uri, doc.lineAt(l - 1).range));
  }

  provideDocumentSymbols(doc: vscode.TextDocument): vscode.DocumentSymbol[] {
    const marks = markersOf(doc.lineCount, (i) => doc.lineAt(i).text);
    return marks.map((m, k) => {
      const last = k + 1 < marks.length ? marks[k + 1].line - 1 : doc.lineCount - 1;
      const section = new vscode.Range(m.line, 0, last, doc.lineAt(last).text.length);
      return new vscode.DocumentSymbol(m.text, `line ${m.line + 1}`, vscode.SymbolKind.Event, section, new vscode.Range(m.line, m.start, m.line, m.end));
    });
  }
}
