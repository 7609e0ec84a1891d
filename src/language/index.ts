// The language front end in one call: lex, parse and resolve a scenario, collecting every error (spec §2).
import type { Program } from './ast';
import { DiagnosticList, type Diagnostic } from './diagnostics';
import { tokenize } from './lexer';
import { parse } from './parser';
import { resolve } from './resolver';

export function parseScenario(text: string, file: string): { program: Program; diagnostics: Diagnostic[] } {
  const diags = new DiagnosticList(file);
  const program = parse(tokenize(text), file, diags);
  resolve(program, diags);
  return { program, diagnostics: diags.sorted() };
}
