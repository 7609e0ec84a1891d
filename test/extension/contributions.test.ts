// The package's contributions agree with the language: the grammar names every call by its family and every
// hazard kind, snippets and walkthrough files exist, and every command the menus show is contributed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SIGNATURES } from '../../src/language/signatures';
import { HAZARD_KINDS } from '../../src/machine/hazards';
import { checkSource } from '../../src/runtime/checker';
import { TRACES } from '../ftrace/helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const read = (f: string) => JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8'));
const pkg = read('package.json');
const grammar = read('syntaxes/dmabuf.tmLanguage.json');

interface Rule { match?: string; name?: string; captures?: Record<string, { name?: string }>; patterns?: Rule[]; include?: string }

/** The scope the first matching rule of `expression` gives to a word in the text, as a TextMate engine would. */
function scopeOf(text: string, word: string): string | undefined {
  const at = text.indexOf(word);
  const rules = (grammar.repository.expression.patterns as Rule[]).flatMap((r) => (r.include ? (grammar.repository[r.include.slice(1)].patterns as Rule[] | undefined) ?? [] : [r]));
  for (const rule of rules) {
    if (!rule.match) continue;
    const re = new RegExp(rule.match, 'g');
    for (const m of text.matchAll(re)) {
      if (m.index > at || m.index + m[0].length <= at) continue;
      if (rule.name) return rule.name;
      // with captures: the group that holds the word
      let offset = m.index;
      for (let g = 1; g < m.length; g++) {
        const pos = text.indexOf(m[g], offset);
        if (m[g] !== undefined && pos <= at && at < pos + m[g].length) return rule.captures?.[g]?.name;
        if (m[g] !== undefined) offset = pos + m[g].length;
      }
    }
  }
  return undefined;
}

test('the grammar tells API calls apart by family', () => {
  const family: Record<string, string> = { streaming: 'streaming', 'dma-buf': 'dma-buf', memory: 'allocation' };
  for (const sig of SIGNATURES.values()) {
    if (sig.op.includes('.') || sig.family === 'check') continue;
    assert.equal(scopeOf(`x = ${sig.op}(a)`, sig.op), `support.function.${family[sig.family]}.dmabuf`, sig.op);
  }
});

test('the grammar tells CPU and device accesses and cache events apart', () => {
  assert.equal(scopeOf('cpu.read(v, 0, 64)', 'read'), 'entity.name.function.access.cpu.dmabuf');
  assert.equal(scopeOf('isp.write(sgt, 0, 64, 1)', 'write'), 'entity.name.function.access.device.dmabuf');
  assert.equal(scopeOf('isp.write(sgt, 0, 64, 1)', 'isp'), 'variable.other.device.dmabuf');
  assert.equal(scopeOf('cache.evict_all()', 'evict_all'), 'support.function.cache-event.dmabuf');
});

test('the grammar knows every hazard kind, direction, flag and size', () => {
  for (const kind of HAZARD_KINDS) assert.equal(scopeOf(`expect_hazard(${kind})`, kind), 'support.constant.hazard-kind.dmabuf', kind);
  for (const dir of ['TO_DEVICE', 'DMA_FROM_DEVICE', 'BIDIRECTIONAL']) assert.equal(scopeOf(`f(a, ${dir})`, dir), 'constant.language.direction.dmabuf');
  assert.equal(scopeOf('f(a, SKIP_CPU_SYNC)', 'SKIP_CPU_SYNC'), 'constant.language.flag.dmabuf');
  assert.equal(scopeOf('kmalloc(64KiB)', '64'), 'constant.numeric.size.dmabuf');
  assert.equal(scopeOf('kmalloc(64KiB)', 'KiB'), 'keyword.other.unit.dmabuf');
  assert.equal(scopeOf('phys(0x8000_0000, 4)', '0x8000_0000'), 'constant.numeric.hex.dmabuf');
  assert.equal(scopeOf('expect_owner(b, isp:FROM_DEVICE)', 'FROM_DEVICE'), 'constant.language.direction.dmabuf');
});

test('every API call of the language is reserved from the grammar fallback', () => {
  // a call the grammar did not list would fall through to the generic proc-call scope
  for (const sig of SIGNATURES.values()) {
    if (sig.op.includes('.')) continue;
    assert.notEqual(scopeOf(`${sig.op}(a)`, sig.op), 'entity.name.function.call.dmabuf', sig.op);
  }
});

test('menus, walkthrough steps and snippets point at what exists', () => {
  const commands = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
  for (const menu of Object.values(pkg.contributes.menus) as { command: string }[][]) for (const item of menu) assert.ok(commands.has(item.command), item.command);
  for (const step of pkg.contributes.walkthroughs[0].steps) assert.ok(fs.existsSync(path.join(ROOT, step.media.markdown)), step.media.markdown);
  const snippets = read('snippets/dmabuf.code-snippets');
  for (const name of ['Streaming map / unmap (single)', 'dma-buf import', 'begin / end CPU access', 'Capture loop', 'Scenario skeleton']) assert.ok(snippets[name], name);
  assert.ok(fs.existsSync(path.join(ROOT, pkg.icon)));
  assert.deepEqual(pkg.contributes.breakpoints, [{ language: 'dmabuf' }, { language: 'dmabuf-trace' }]);
});

test("the Explorer's trace commands show on a .txt named as a trace, not on every .txt with 'trace' in its name", () => {
  const trace = pkg.contributes.menus['explorer/context'].filter((m: { command: string }) => /Trace$/.test(m.command));
  assert.deepEqual(trace.map((m: { command: string }) => m.command), ['dmabuf.debugTrace', 'dmabuf.checkTrace', 'dmabuf.importTrace']);
  const whens = new Set(trace.map((m: { when: string }) => m.when));
  assert.equal(whens.size, 1, 'one condition for the three');
  const [when] = whens as Set<string>;
  const [, source, flags] = /resourceExtname == \.txt && resourceFilename =~ \/(.+)\/(\w*)$/.exec(when) ?? [];
  const named = new RegExp(source, flags);
  for (const name of ['trace.txt', 'boot-trace.txt', 'ftrace_nvme.txt', 'TRACE.TXT', 'nvme.trace.txt']) assert.ok(named.test(name), name);
  for (const name of ['stacktrace.txt', 'backtrace.txt', 'traceback.txt', 'notes.txt']) assert.ok(!named.test(name), name);
  assert.match(when, /^resourceLangId == dmabuf-trace \|\| /);
});

test('kernel traces (.trace, *.trace.txt) are a language the dmabuf debugger debugs', () => {
  const trace = pkg.contributes.languages.find((l: { id: string }) => l.id === 'dmabuf-trace');
  assert.deepEqual([trace.extensions, trace.filenamePatterns], [['.trace'], ['*.trace.txt']]);
  assert.ok(pkg.contributes.debuggers[0].languages.includes('dmabuf-trace'));
  assert.ok(pkg.activationEvents.includes('onLanguage:dmabuf-trace'));
  assert.deepEqual(pkg.contributes.grammars.map((g: { language: string }) => g.language), ['dmabuf', 'dmabuf-trace']);
});

test('the bundled capture is the real udmabuf capture, unchanged, shipped in the .vsix, and the walkthrough opens it', () => {
  const bundled = fs.readFileSync(path.join(ROOT, 'examples', 'udmabuf-noiommu.trace.txt'));
  assert.ok(bundled.equals(fs.readFileSync(path.join(TRACES, 'udmabuf-noiommu.trace.txt'))));
  assert.match(fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8'), /^!examples\/\*\.trace\.txt$/m);
  const step = pkg.contributes.walkthroughs[0].steps.find((s: { id: string }) => s.id === 'checkTrace');
  const link = /\(command:dmabuf\.openExample\?([^)]*)\)/.exec(step.description);
  assert.deepEqual(JSON.parse(decodeURIComponent(link![1])), ['udmabuf-noiommu.trace.txt']);
});

test('the debugger declares the launch attributes of the adapter', () => {
  const launch = pkg.contributes.debuggers[0].configurationAttributes.launch;
  assert.deepEqual(Object.keys(launch.properties).sort(), ['fromBoot', 'platform', 'program', 'stepLimit', 'stopOnEntry']);
  assert.deepEqual(launch.properties.platform.enum, ['arm64', 'arm', 'x86_64']);
});

/** A snippet's body as inserted with its defaults, once per option of its first choice (`${n|a,b|}`). */
function expansions(body: string[]): string[] {
  const text = body.join('\n');
  const choice = /\$\{(\d+)\|([^|]*)\|\}/.exec(text);
  const options = choice ? choice[2].split(',') : [''];
  return options.map((option) => {
    const values = new Map<string, string>();
    let out = text.replace(/\$\{(\d+)\|([^|]*)\|\}/g, (_m, n: string, list: string) => {
      const v = n === choice?.[1] ? option : list.split(',')[0];
      values.set(n, v);
      return v;
    });
    // Defaults may nest (`${3: dma_mask=${4:32}}`): innermost first.
    for (let before = ''; before !== out;) {
      before = out;
      out = out.replace(/\$\{(\d+):([^${}]*)\}/g, (_m, n: string, v: string) => {
        values.set(n, v);
        return v;
      });
    }
    return out.replace(/\$(\d+)/g, (_m, n: string) => values.get(n) ?? '');
  });
}

test('every snippet, inserted with its defaults and any of its choices, is a scenario that parses and runs without a hazard', () => {
  const snippets = read('snippets/dmabuf.code-snippets') as Record<string, { body: string[] }>;
  const prelude = ['platform arm64', 'device dev', 'device cam', 'buf = dma_heap_alloc(system, 4KiB)'];
  for (const [name, { body }] of Object.entries(snippets)) {
    for (const text of expansions(body)) {
      // The skeleton and a device declaration stand alone; every other snippet goes after the prelude.
      const source = name === 'Scenario skeleton' || name === 'Device' ? text : [...prelude, text, 'dma_buf_put(buf)'].join('\n');
      const r = checkSource(source, `${name}.dmabuf`);
      assert.deepEqual(r.diagnostics.map((d) => d.message), [], `${name}:\n${source}`);
      // expect_hazard is for after a statement that raised the hazard: here it rightly fails.
      if (name !== 'expect_hazard') assert.deepEqual(r.hazards.map((h) => `${h.kind}@${h.loc.line}`), [], `${name}:\n${source}`);
    }
  }
});
