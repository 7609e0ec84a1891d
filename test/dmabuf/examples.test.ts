// The dma-buf examples exist; test/examples.test.ts pins that each reports exactly what its `# checker:` comment says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const files = readdirSync(join(__dirname, '..', '..', '..', 'examples'));

test('there are dma-buf examples: pipeline right and wrong, deferred right and wrong, mmap with and without sync', () => {
  for (const f of ['dmabuf-pipeline', 'dmabuf-pipeline-bugs', 'dmabuf-wrong-exporter', 'dmabuf-deferred', 'dmabuf-deferred-late-attach', 'dmabuf-mmap-sync', 'dmabuf-mmap-nosync']) {
    assert.ok(files.includes(`${f}.dmabuf`), f);
  }
});
