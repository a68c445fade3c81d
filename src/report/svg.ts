/**
 * The HTML report's two pictures, as inline SVG strings: a Gantt timeline (the fleet's phases, then
 * one row per host with a bar per phase) and a bar chart of findings by severity. Built by hand (no
 * chart library, no script, no external request); every piece of text goes through escapeXml.
 */
import type { PhaseName } from '../core/index.js';
import { escapeXml } from './escape.js';
import { formatDuration } from './format.js';
import { SEVERITIES, type ReportModel, type SeverityCounts } from './types.js';

const WIDTH = 960;
const LABEL = 160;
const RIGHT = 24;
const PLOT = WIDTH - LABEL - RIGHT;
const ROW = 16;
const BAR = 10;
const AXIS = 28;

export const PHASE_COLORS: Record<PhaseName, string> = {
  isolate: '#8e44ad',
  collect: '#2471a3',
  rebuild: '#ca6f1e',
  restore: '#239b56',
};
export const SEVERITY_COLORS: Record<string, string> = {
  critical: '#7b241c',
  high: '#c0392b',
  medium: '#e67e22',
  low: '#d4ac0d',
  info: '#7f8c8d',
};
const BAD_STATES = new Set(['failed', 'unreachable', 'aborted']);

/** Numbers in SVG attributes: short, never `NaN`. */
function n(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 10) / 10) : '0';
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`;
}

/** Tick spacing of 1, 2 or 5 × 10^k ms giving at most ~8 ticks. */
function tickStep(total: number): number {
  const raw = total / 8;
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

interface Span {
  label: string;
  phase: PhaseName;
  from: number;
  to: number;
  state: string | null;
  tooltip: string;
}

function bar(s: Span, y: number, scale: (ms: number) => number): string {
  const x = scale(s.from);
  const w = Math.max(1.5, scale(s.to) - x);
  const bad = s.state !== null && BAD_STATES.has(s.state);
  const stroke = bad ? ' stroke="#c0392b" stroke-width="2"' : '';
  const fill = s.state === 'unreachable' ? '#95a5a6' : PHASE_COLORS[s.phase];
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${BAR}" rx="2" fill="${fill}"${stroke}${bad ? ' fill-opacity="0.6"' : ''}><title>${escapeXml(s.tooltip)}</title></rect>`;
}

/**
 * Gantt timeline: x is time since the run started; the first rows are the phases fleet-wide, then a
 * row per host with a bar per phase it ran (outlined red when it failed there, grey when unreachable).
 */
export function timelineSvg(model: ReportModel): string {
  const start = Date.parse(model.header.startedAt ?? '');
  if (!Number.isFinite(start)) return '';
  const off = (iso: string | null, fallback: number) =>
    iso && Number.isFinite(Date.parse(iso)) ? Date.parse(iso) - start : fallback;
  const end = Math.max(1, model.header.durationMs ?? 0, ...model.timeline.map((t) => t.offsetMs));
  const scale = (ms: number) => LABEL + (Math.min(Math.max(ms, 0), end) / end) * PLOT;

  const rows: { label: string; strong: boolean; spans: Span[] }[] = [];
  for (const p of model.phases) {
    if (!p.startedAt) continue;
    const tooltip = `${p.phase}: ${formatDuration(p.durationMs)} (${p.hostsOk} ok, ${p.hostsFailed} failed)`;
    rows.push({
      label: `phase ${p.phase}`,
      strong: true,
      spans: [
        { label: p.phase, phase: p.phase, from: off(p.startedAt, 0), to: off(p.finishedAt, end), state: null, tooltip },
      ],
    });
  }
  for (const h of model.hosts) {
    const spans = h.phases
      .filter((p) => p.startedAt)
      .map((p) => ({
        label: h.host,
        phase: p.phase,
        from: off(p.startedAt, 0),
        to: off(p.finishedAt, end),
        state: p.state,
        tooltip: `${h.host} ${p.phase}: ${p.state ?? 'running'}, ${formatDuration(p.durationMs)}`,
      }));
    rows.push({ label: h.host, strong: false, spans });
  }

  const height = AXIS + rows.length * ROW + 34;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart timeline" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="Timeline of the run: phases and hosts over time" font-family="sans-serif" font-size="11">`,
  );
  out.push('<title>Timeline: phases and hosts over time since the run started</title>');
  const step = tickStep(end);
  for (let t = 0; t <= end; t += step) {
    const x = scale(t);
    out.push(`<line x1="${n(x)}" y1="${AXIS - 6}" x2="${n(x)}" y2="${n(AXIS + rows.length * ROW)}" stroke="#ddd"/>`);
    out.push(text(x, AXIS - 10, `+${formatDuration(t)}`, 'text-anchor="middle" fill="#555"'));
  }
  rows.forEach((r, i) => {
    const y = AXIS + i * ROW;
    if (i % 2 === 1) out.push(`<rect x="0" y="${y}" width="${WIDTH}" height="${ROW}" fill="#f6f6f6"/>`);
    out.push(text(4, y + 12, truncate(r.label, 26), r.strong ? 'font-weight="bold"' : ''));
    for (const s of r.spans) out.push(bar(s, y + (ROW - BAR) / 2, scale));
  });
  const legendY = AXIS + rows.length * ROW + 20;
  let lx = LABEL;
  for (const [phase, color] of Object.entries(PHASE_COLORS)) {
    out.push(
      `<rect x="${lx}" y="${legendY - 9}" width="12" height="10" fill="${color}"/>`,
      text(lx + 16, legendY, phase),
    );
    lx += 90;
  }
  out.push(
    `<rect x="${lx}" y="${legendY - 9}" width="12" height="10" fill="#2471a3" fill-opacity="0.6" stroke="#c0392b" stroke-width="2"/>`,
    text(lx + 16, legendY, 'failed'),
  );
  out.push(
    `<rect x="${lx + 90}" y="${legendY - 9}" width="12" height="10" fill="#95a5a6" stroke="#c0392b" stroke-width="2"/>`,
    text(lx + 106, legendY, 'unreachable'),
  );
  out.push('</svg>');
  return out.join('');
}

/** Horizontal bars: how many findings of each severity. */
export function severityChartSvg(counts: SeverityCounts): string {
  const max = Math.max(1, ...SEVERITIES.map((s) => counts[s] ?? 0));
  const width = 520;
  const plot = width - 90 - 60;
  const height = SEVERITIES.length * 22 + 8;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart severity" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Findings by severity" font-family="sans-serif" font-size="12">`,
  );
  out.push('<title>Findings by severity</title>');
  SEVERITIES.forEach((s, i) => {
    const c = counts[s] ?? 0;
    const y = 4 + i * 22;
    const w = (c / max) * plot;
    out.push(text(84, y + 13, s, 'text-anchor="end"'));
    out.push(
      `<rect x="90" y="${y + 2}" width="${n(Math.max(w, c > 0 ? 2 : 0))}" height="14" fill="${SEVERITY_COLORS[s]}"><title>${escapeXml(`${c} ${s}`)}</title></rect>`,
    );
    out.push(text(96 + w, y + 13, String(c)));
  });
  out.push('</svg>');
  return out.join('');
}
