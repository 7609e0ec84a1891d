// Help while a scenario is being debugged: what a hover evaluates (`buf`, `buf.owner`, `sgt[2]`) and the inline
// values at the stop line (the owner of each buffer the statement touches); in a kernel trace, what a hover on an
// address evaluates (the adapter answers with the mapping that holds it).
import * as vscode from 'vscode';
import type { ScenarioDocuments } from './documents';
import { expressionAt } from './expressionAt';
import { traceAddressAt } from './traceAddressAt';
import { argumentSpans } from '../language/arguments';

export class ScenarioDebugHelp implements vscode.EvaluatableExpressionProvider, vscode.InlineValuesProvider {
  constructor(private readonly docs: ScenarioDocuments) {}

  provideEvaluatableExpression(doc: vscode.TextDocument, pos: vscode.Position): vscode.EvaluatableExpression | undefined {
    const index = this.docs.get(doc);
    const found = expressionAt(doc.lineAt(pos.line).text, pos.character);
    // only paths that start from a binding: `cpu.read` or `isp` are not values
    if (!found || !index.isHandleName(found.base)) return undefined;
    return new vscode.EvaluatableExpression(new vscode.Range(pos.line, found.start, pos.line, found.end), found.expression);
  }

  provideInlineValues(doc: vscode.TextDocument, _viewPort: vscode.Range, context: vscode.InlineValueContext): vscode.InlineValue[] {
    const index = this.docs.get(doc);
    const line = context.stoppedLocation.start.line + 1;
    const stmt = index.callAt(line);
    if (!stmt?.resolved) return [];
    const seen = new Set<string>();
    const values: vscode.InlineValue[] = [];
    const spans = argumentSpans(stmt);
    for (const [param, value] of Object.entries(stmt.resolved.args)) {
      const span = spans[param];
      if (value.kind !== 'handle' || !span) continue;
      // only buffers have an owner: a mapping or an attachment shows the buffer behind it
      const buffer = index.bufferBehind(value.name, line);
      if (!buffer || seen.has(buffer)) continue;
      seen.add(buffer);
      const range = new vscode.Range(line - 1, span.start.column - 1, line - 1, span.end.column - 1);
      values.push(new vscode.InlineValueEvaluatableExpression(range, `${buffer}.owner`));
    }
    return values;
  }
}

export class TraceDebugHelp implements vscode.EvaluatableExpressionProvider {
  provideEvaluatableExpression(doc: vscode.TextDocument, pos: vscode.Position): vscode.EvaluatableExpression | undefined {
    // Only addresses: without this, VS Code would evaluate any word, and a size or a pid would say no mapping holds it.
    const found = traceAddressAt(doc.lineAt(pos.line).text, pos.character);
    return found && new vscode.EvaluatableExpression(new vscode.Range(pos.line, found.start, pos.line, found.end), found.expression);
  }
}
