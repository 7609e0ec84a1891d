// The dma-buf examples (examples/dmabuf-*.dmabuf) report exactly what their `# checker:` comment says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSource } from '../../src/runtime/checker';

const dir = join(__dirname, '..', '..', '..', 'examples');
const files = readdirSync(dir).filter((f) => f.startsWith('dmabuf-') && f.endsWith('.dmabuf'));

/** `# checker: clean` or `# checker: kind@line, ...`, sorted. */
function promised(text: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith('# checker:'));
  assert.ok(line, 'every example says what the checker reports');
  const body = line.slice('# checker:'.length).trim();
  return body === 'clean' ? [] : body.split(',').map((x) => x.trim()).sort();
}

test('there are dma-buf examples: pipeline right and wrong, deferred right and wrong, mmap with and without sync', () => {
  for (const f of ['dmabuf-pipeline', 'dmabuf-pipeline-bugs', 'dmabuf-wrong-exporter', 'dmabuf-deferred', 'dmabuf-deferred-late-attach', 'dmabuf-mmap-sync', 'dmabuf-mmap-nosync']) {
    assert.ok(files.includes(`${f}.dmabuf`), f);
  }
});

for (const f of files) {
  test(`${f} reports what its comment says`, () => {
    const text = readFileSync(join(dir, f), 'utf8');
    const r = checkSource(text, f);
    assert.deepEqual(r.diagnostics, []);
    const got = r.hazards.filter((h) => !h.expected).map((h) => `${h.kind}@${h.loc.line}`).sort();
    assert.deepEqual(got, promised(text));
    assert.equal(r.ok, got.length === 0);
  });
}
