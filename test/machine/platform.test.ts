// Cache maintenance done by the API (spec §6): each row of the table on each platform, coherent platforms and
// devices, and SKIP_CPU_SYNC.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Direction } from '../../src/language/ast';
import type { MachineEvent } from '../../src/machine/events';
import { DIRS, Options, at, machine } from './helpers';

/** The maintenance operations a statement performed, in order. */
function maintenance(events: MachineEvent[]): string[] {
  return events.filter((e) => e.type === 'clean' || e.type === 'invalidate').map((e) => e.type);
}

/** Maps a freshly written buffer, then unmaps it, returning the maintenance of each. */
function cycle(o: Options, dir: Direction, skip = false): { map: string[]; unmap: string[] } {
  const m = machine(o);
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  at(m, 2, (x) => x.cpuWrite(p, 0, 4096, 1));
  const mapped = at(m, 3, (x) => x.dmaMapSingle('isp', p, 4096, dir, 0, skip));
  const unmapped = at(m, 4, (x) => x.dmaUnmapSingle('isp', mapped.result, 4096, dir, skip));
  return { map: maintenance(mapped.events), unmap: maintenance(unmapped.events) };
}

const ARM64_ROW: Record<Direction, { map: string[]; unmap: string[] }> = {
  TO_DEVICE: { map: ['clean'], unmap: [] },
  FROM_DEVICE: { map: ['clean'], unmap: ['invalidate'] },
  BIDIRECTIONAL: { map: ['clean'], unmap: ['invalidate'] },
};

for (const dir of DIRS) {
  test(`arm64 ${dir}: map cleans the range to memory; unmap ${dir === 'TO_DEVICE' ? 'does nothing' : 'invalidates'}`, () => {
    assert.deepEqual(cycle({ arch: 'arm64' }, dir), ARM64_ROW[dir]);
  });

  test(`x86_64 noncoherent ${dir} follows the arm64 column`, () => {
    assert.deepEqual(cycle({ arch: 'x86_64', coherent: false }, dir), ARM64_ROW[dir]);
  });

  test(`arm (32-bit) ${dir}: map ${dir === 'FROM_DEVICE' ? 'invalidates' : 'cleans'}; unmap ${dir === 'TO_DEVICE' ? 'does nothing' : 'invalidates again'}`, () => {
    assert.deepEqual(cycle({ arch: 'arm' }, dir), { map: [dir === 'FROM_DEVICE' ? 'invalidate' : 'clean'], unmap: dir === 'TO_DEVICE' ? [] : ['invalidate'] });
  });

  test(`on a coherent platform nothing is done (${dir})`, () => {
    assert.deepEqual(cycle({ arch: 'arm64', coherent: true }, dir), { map: [], unmap: [] });
    assert.deepEqual(cycle({ arch: 'x86_64' }, dir), { map: [], unmap: [] });
  });

  test(`for a coherent device nothing is done (${dir})`, () => {
    assert.deepEqual(cycle({ devices: [{ name: 'isp', coherent: true }] }, dir), { map: [], unmap: [] });
  });

  test(`SKIP_CPU_SYNC skips the maintenance of map and unmap (${dir})`, () => {
    assert.deepEqual(cycle({ arch: 'arm64' }, dir, true), { map: [], unmap: [] });
    assert.deepEqual(cycle({ arch: 'arm' }, dir, true), { map: [], unmap: [] });
  });
}

test('sync_for_device and sync_for_cpu do the map and unmap maintenance, on a sub-range with offset', () => {
  const m = machine();
  const p = at(m, 1, (x) => x.kmalloc(8192)).result;
  const h = at(m, 2, (x) => x.dmaMapSingle('isp', p, 8192, 'BIDIRECTIONAL', 0, false)).result;
  const cpu = at(m, 3, (x) => x.dmaSyncSingleForCpu('isp', h, 64, 'BIDIRECTIONAL', 128));
  const inv = cpu.events.find((e) => e.type === 'invalidate');
  assert.deepEqual(inv && inv.type === 'invalidate' ? [inv.len] : [], [64]);
  assert.deepEqual(m.buffers()[0].owners.map((o) => o.owner), ['isp:BIDIRECTIONAL', 'cpu', 'isp:BIDIRECTIONAL']);
  const dev = at(m, 4, (x) => x.dmaSyncSingleForDevice('isp', h, 64, 'BIDIRECTIONAL', 128));
  assert.deepEqual(maintenance(dev.events), ['clean']);
  assert.deepEqual(m.buffers()[0].owners.map((o) => o.owner), ['isp:BIDIRECTIONAL']);
  assert.deepEqual(at(m, 5, (x) => x.dmaUnmapSingle('isp', h, 8192, 'BIDIRECTIONAL', false)).hazards, []);
});

test('a sync issued for a coherent device is a no-op for the cache but still hands ownership over', () => {
  const m = machine({ devices: [{ name: 'isp', coherent: true }] });
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  const h = at(m, 2, (x) => x.dmaMapSingle('isp', p, 4096, 'FROM_DEVICE', 0, false)).result;
  const sync = at(m, 3, (x) => x.dmaSyncSingleForCpu('isp', h, 4096, 'FROM_DEVICE', 0));
  assert.deepEqual(maintenance(sync.events), []);
  assert.ok(sync.events.some((e) => e.type === 'owner' && e.to === 'cpu'));
});

test('the kernel steps are nested as call/return markers for step-into', () => {
  const m = machine();
  const p = at(m, 1, (x) => x.kmalloc(4096)).result;
  const calls = at(m, 2, (x) => x.dmaMapSingle('isp', p, 4096, 'TO_DEVICE', 0, false)).events.flatMap((e) => (e.type === 'call' ? [e.fn] : []));
  assert.deepEqual(calls, ['dma_map_single', 'dma_map_page_attrs', 'dma_direct_map_page', 'arch_sync_dma_for_device', 'dcache_clean_poc']);
});
