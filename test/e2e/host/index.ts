/// <reference types="mocha" />
// Entry point for extensionTestsPath: runs the mocha suites inside the real extension host (real `vscode` API).
import * as path from 'path';
import * as util from 'util';
import Mocha from 'mocha';

export function run(): Promise<void> {
  // the extension host forwards console output as one string: pre-format mocha's printf-style lines
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => console.log(util.format(...args));
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30000, reporter: 'spec' });
  for (const suite of ['language.e2e.js', 'editor.e2e.js', 'debug.e2e.js']) mocha.addFile(path.join(__dirname, suite));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} tests failed.`)) : resolve()));
  });
}
