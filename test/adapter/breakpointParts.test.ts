// The small languages of breakpoints (hit conditions, API-name globs, conditions, logpoint messages) and the
// paging of large collections in the Variables view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatcher, parseHitCondition } from '../../src/adapter/breakpoints';
import { conditionHolds, interpolate } from '../../src/adapter/condition';
import type { StateView } from '../../src/adapter/engine';
import { PAGE_LIMIT, VariableStore } from '../../src/adapter/variableStore';
import { indexed, leaf } from '../../src/adapter/valueNodes';

test('hitCondition: N means from the Nth hit on; ==, >, >=, <, <= and % compare the hit count', () => {
  const hits = (text: string) => [1, 2, 3, 4, 5, 6].filter(parseHitCondition(text)!);
  assert.deepEqual(hits('3'), [3, 4, 5, 6]);
  assert.deepEqual(hits('== 3'), [3]);
  assert.deepEqual(hits('>4'), [5, 6]);
  assert.deepEqual(hits('<= 2'), [1, 2]);
  assert.deepEqual(hits('% 2'), [2, 4, 6]);
  assert.equal(parseHitCondition('often'), undefined);
  assert.equal(parseHitCondition('% 0'), undefined);
});

test('function breakpoint globs such as dma_sync_* match API names, and only them', () => {
  const m = globMatcher('dma_sync_*_for_cpu');
  assert.equal(m('dma_sync_single_for_cpu'), true);
  assert.equal(m('dma_sync_sg_for_cpu'), true);
  assert.equal(m('dma_sync_sg_for_device'), false);
  assert.equal(globMatcher('cpu.read')('cpuxread'), false, 'a dot is literal');
});

const view: StateView = {
  scopes: () => [],
  evaluate: (e) => {
    const values: Record<string, string> = { 'buf.owner': 'cpu', 'sgt.nents': '3', count: '0x10', gone: 'none' };
    if (e.trim() in values) return leaf(e, values[e.trim()]);
    throw new Error(`${e} is not defined here`);
  },
  readMemory: () => undefined,
  watch: (dataId) => {
    throw new Error(`Unknown data: ${dataId}`);
  },
};

test('conditions compare paths with literals, numerically when both sides are numbers', () => {
  assert.equal(conditionHolds(view, 'buf.owner == cpu'), true);
  assert.equal(conditionHolds(view, 'buf.owner != cpu'), false);
  assert.equal(conditionHolds(view, 'sgt.nents > 1'), true);
  assert.equal(conditionHolds(view, 'count == 16'), true, '0x10 equals 16');
  assert.equal(conditionHolds(view, 'gone'), false, 'none does not hold');
  assert.equal(conditionHolds(view, 'nosuch.thing'), true, 'an unevaluable condition stops, so the user sees why');
});

test('logpoint messages replace each {path} with its value', () => {
  assert.equal(interpolate(view, 'owner {buf.owner}, {sgt.nents} entries, {nope}'), 'owner cpu, 3 entries, <nope is not defined here>');
});

test('a collection of a million items is paged: one request never returns more than a page', () => {
  const store = new VariableStore();
  let built = 0;
  const big = indexed('pages', '1048576 pages', 1 << 20, (i) => (built++, leaf(`[${i}]`, `page ${i}`)));
  const v = store.toDap(big);
  assert.equal(v.indexedVariables, 1 << 20);
  const page = store.children(v.variablesReference, 'indexed', 5000, 100);
  assert.deepEqual([page.length, page[0].name], [100, '[5000]']);
  assert.equal(store.children(v.variablesReference).length, PAGE_LIMIT);
  assert.equal(store.children(v.variablesReference, 'named').length, 0);
  assert.equal(built, 100 + PAGE_LIMIT, 'only the requested items were built');
});
