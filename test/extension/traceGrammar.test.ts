// The kernel trace grammar on every real capture: each event line's task, pid, CPU, flags, timestamp and event name
// get their own scopes (with the trace-cmd report and TGID layouts too), address values are addresses, header lines
// comments. The rules are single-line matches: applied here as a TextMate engine applies them.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { TraceCursor } from '../../src/ftrace/reader';
import { captures, TRACES } from '../ftrace/helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const grammar = JSON.parse(fs.readFileSync(path.join(ROOT, 'syntaxes', 'ftrace.tmLanguage.json'), 'utf8'));

interface Rule { match: string; name?: string; captures?: Record<string, { name: string }> }
const rules: Rule[] = (grammar.patterns as { include: string }[]).map((p) => grammar.repository[p.include.slice(1)]);

/** The scope of each character of `line` (undefined where no rule applies), as a TextMate engine gives them. */
function scopes(line: string): (string | undefined)[] {
  const out: (string | undefined)[] = new Array(line.length).fill(undefined);
  for (let at = 0; at < line.length; ) {
    // The rule matching earliest wins; on a tie, the first listed.
    let best: { m: RegExpExecArray; rule: Rule } | undefined;
    for (const rule of rules) {
      const re = new RegExp(rule.match, 'dg');
      re.lastIndex = at;
      const m = re.exec(line);
      if (m && (!best || m.index < best.m.index)) best = { m, rule };
    }
    if (!best) break;
    const { m, rule } = best;
    if (rule.name) out.fill(rule.name, m.index, m.index + m[0].length);
    for (const [g, c] of Object.entries(rule.captures ?? {})) {
      const span = m.indices?.[Number(g)];
      if (span) out.fill(c.name, span[0], span[1]);
    }
    at = m.index + Math.max(m[0].length, 1);
  }
  return out;
}

/** The scope of the first occurrence of `word` in `line`, checked to cover all of it. */
function scopeOf(line: string, word: string, from = 0): string | undefined {
  const at = line.indexOf(word, from);
  assert.ok(at >= 0, `${word} in ${line}`);
  const s = scopes(line);
  const all = new Set(s.slice(at, at + word.length));
  return all.size === 1 ? s[at] : `mixed: ${[...all].join(', ')}`;
}

const EVENT = 'entity.name.function.event.dmabuf-trace';

test('on every real capture, each event line shows its columns and event name, and its addresses as addresses', () => {
  let lines = 0;
  for (const name of captures()) {
    for (const r of TraceCursor.open(path.join(TRACES, name))) {
      if (r.kind === 'comment' || r.kind === 'header') {
        assert.equal(scopeOf(r.text, r.text.trim()), 'comment.line.number-sign.dmabuf-trace', r.text);
        continue;
      }
      if (r.kind !== 'event') continue;
      const line = r.text;
      const colon = line.indexOf(` ${r.event}:`) + 1;
      assert.equal(scopeOf(line, r.event, colon), EVENT, line);
      assert.equal(scopeOf(line, r.timestamp.toFixed(6)), 'constant.numeric.timestamp.dmabuf-trace', line);
      assert.equal(scopeOf(line, r.task), 'entity.name.tag.task.dmabuf-trace', line);
      assert.equal(scopeOf(line, String(r.pid), line.indexOf(r.task) + r.task.length), 'constant.numeric.pid.dmabuf-trace', line);
      assert.equal(scopeOf(line, String(r.cpu).padStart(3, '0'), line.indexOf('[')), 'constant.numeric.cpu.dmabuf-trace', line);
      if (r.flags) assert.equal(scopeOf(line, r.flags, line.indexOf(']')), 'storage.modifier.flags.dmabuf-trace', line);
      const dma = / dma_addr=([0-9a-fA-Fx]+)/.exec(line);
      if (dma) assert.equal(scopeOf(line, dma[1], dma.index), 'constant.numeric.address.dmabuf-trace', line);
      lines++;
    }
  }
  assert.ok(lines > 40000, `${lines} event lines`);
});

test('the other layouts: trace-cmd report (no flags), a TGID column, lost events, sg lists, directions and numbers', () => {
  const report = '        kworker/0:1-42    [001]  5.864329: dma_map_phys:         0000:00:03.0 dir=DMA_TO_DEVICE dma_addr=0xffffb0f8 size=16';
  assert.equal(scopeOf(report, 'kworker/0:1'), 'entity.name.tag.task.dmabuf-trace');
  assert.equal(scopeOf(report, '5.864329'), 'constant.numeric.timestamp.dmabuf-trace');
  assert.equal(scopeOf(report, 'dma_map_phys'), EVENT);
  assert.equal(scopeOf(report, 'DMA_TO_DEVICE'), 'constant.language.direction.dmabuf-trace');
  assert.equal(scopeOf(report, '0xffffb0f8'), 'constant.numeric.address.dmabuf-trace');
  assert.equal(scopeOf(report, 'size'), 'variable.parameter.key.dmabuf-trace');
  assert.equal(scopeOf(report, '16', report.indexOf('size=')), 'constant.numeric.decimal.dmabuf-trace');
  const tgid = '           <idle>-0       (      0) [001] ..s1.     6.194187: dma_unmap_phys: d dir=TO_DEVICE dma_addr=1 size=1 attrs=';
  assert.equal(scopeOf(tgid, '<idle>'), 'entity.name.tag.task.dmabuf-trace');
  assert.equal(scopeOf(tgid, '..s1.'), 'storage.modifier.flags.dmabuf-trace');
  assert.equal(scopeOf(tgid, 'dma_unmap_phys'), EVENT);
  assert.equal(scopeOf('CPU:1 [LOST 12 EVENTS]', 'CPU:1 [LOST 12 EVENTS]'), 'invalid.illegal.lost-events.dmabuf-trace');
  const sg = '  a-1 [000] ..... 5.4: dma_map_sg: udmabuf dir=TO_DEVICE nents=128/256 ents=128/256 [TRUNCATED] dma_addrs={0x4a79000,0x4a81000} sizes={0x1000,0x1000}';
  assert.equal(scopeOf(sg, '[TRUNCATED]'), 'invalid.deprecated.truncated.dmabuf-trace');
  assert.equal(scopeOf(sg, '0x4a81000'), 'constant.numeric.address.dmabuf-trace');
  assert.equal(scopeOf(sg, 'dma_addrs'), 'variable.parameter.key.dmabuf-trace');
});
