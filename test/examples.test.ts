// Every bundled example says in its `# checker:` comment what the checker reports; this pins exactly that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSource } from '../src/runtime/checker';

const dir = join(__dirname, '..', '..', 'examples');

/** `# checker: clean` or `# checker: KIND@LINE, KIND@LINE, ...` (unexpected hazards, any order). */
function documented(text: string): string[] | undefined {
  const m = /^# checker: (.*)$/m.exec(text);
  if (!m) return undefined;
  return m[1].trim() === 'clean' ? [] : m[1].split(',').map((s) => s.trim()).sort();
}

const files = readdirSync(dir).filter((f) => f.endsWith('.dmabuf'));

test('there are bundled examples', () => assert.ok(files.length >= 10));

for (const f of files) {
  test(`examples/${f} reports what its comment says`, () => {
    const text = readFileSync(join(dir, f), 'utf8');
    const want = documented(text);
    assert.ok(want, 'the example has a "# checker:" comment');
    const r = checkSource(text, f);
    assert.deepEqual(r.diagnostics, []);
    const got = r.hazards.filter((h) => !h.expected).map((h) => `${h.kind}@${h.loc.line}`).sort();
    assert.deepEqual(got, want, r.hazards.map((h) => `${h.loc.line}: ${h.kind}: ${h.message}`).join('\n'));
    assert.equal(r.ok, want.length === 0);
  });
}
