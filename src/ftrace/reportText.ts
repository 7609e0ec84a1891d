// Formats a trace report for people: per-device figures, the findings with file:line, and the window
// information grouped, since a long trace can leave hundreds of mappings live at its end.
import type { DeviceSummary, TraceReport } from './check';
import { isBug, type TraceFinding } from './findings';
import { hex } from './mappings';

const WINDOW_LINES_SHOWN = 5;

function bytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

function deviceLines(d: DeviceSummary): string[] {
  const longest = d.longestLived
    ? `, longest-lived ${hex(d.longestLived.dma)} (${bytes(d.longestLived.size)}) for ${d.longestLived.seconds.toFixed(6)} s from line ${d.longestLived.line}`
    : '';
  const extra: string[] = [];
  if (d.coherent.allocs || d.coherent.liveAtEnd) extra.push(`coherent: ${d.coherent.allocs} allocated, ${d.coherent.frees} freed, ${d.coherent.liveAtEnd} live at end`);
  if (d.bounces) extra.push(`${d.bounces} swiotlb bounces`);
  if (d.mapErrors) extra.push(`${d.mapErrors} failed maps`);
  if (d.droppedWithoutUnmap) extra.push(`${d.droppedWithoutUnmap} dma-direct mappings never unmapped before their memory was mapped again (dma_need_unmap() is false)`);
  return [
    `  ${d.device}: ${d.maps} maps, ${d.unmaps} unmaps, ${d.syncs} syncs, ${bytes(d.bytes)} mapped, peak ${d.peakLive} live, ${d.liveAtEnd} live at end${longest}`,
    ...extra.map((e) => `      ${e}`),
  ];
}

function findingLine(file: string, f: TraceFinding): string {
  const related = f.related.map((r) => `\n      ${file}:${r.line}: ${r.message}`).join('');
  return `  ${file}:${f.line}: ${f.kind} (${f.detail}) ${f.device} @${f.timestamp.toFixed(6)}: ${f.message}${related}`;
}

function windowLines(file: string, window: TraceFinding[]): string[] {
  const groups = new Map<string, TraceFinding[]>();
  for (const f of window) {
    const key = `${f.detail} ${f.device}`;
    const g = groups.get(key);
    if (g) g.push(f);
    else groups.set(key, [f]);
  }
  return [...groups.values()].map((g) => {
    const shown = g.slice(0, WINDOW_LINES_SHOWN).map((f) => f.line).join(', ');
    const more = g.length > WINDOW_LINES_SHOWN ? `, ... (all in --json)` : '';
    const sample = g.length === 1 ? `: ${g[0].message}` : ` (e.g. ${g[0].message})`;
    return `  ${file}: ${g[0].detail}: ${g.length} on ${g[0].device} at lines ${shown}${more}${sample}`;
  });
}

export function formatReport(r: TraceReport): string {
  const events = Object.values(r.events).reduce((a, b) => a + b, 0);
  const out = [`${r.file}: ${r.lines} lines, ${events} events, ${r.malformed} malformed, ${r.lostEvents} lost`];
  for (const m of r.malformedLines) out.push(`  ${r.file}:${m.line}: malformed line skipped: ${m.reason}`);
  for (const d of r.devices) out.push(...deviceLines(d));
  if (r.iommu.maps || r.iommu.unmaps) out.push(`  iommu: ${r.iommu.maps} maps, ${r.iommu.unmaps} unmaps, peak ${r.iommu.peakLive} live, ${r.iommu.liveAtEnd} live at end`);
  const bugs = r.findings.filter(isBug);
  const window = r.findings.filter((f) => !isBug(f));
  if (bugs.length) out.push(`findings:`, ...bugs.map((f) => findingLine(r.file, f)));
  if (window.length) out.push(`window (information: outside what the trace captured, not bugs):`, ...windowLines(r.file, window));
  out.push(r.ok ? `${r.file}: ok` : `${r.file}: ${bugs.length} finding${bugs.length === 1 ? '' : 's'}`);
  return out.join('\n') + '\n';
}
