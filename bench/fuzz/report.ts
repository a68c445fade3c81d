/** The campaign summary as text: a table per loader, the slowest cases, every crash and hang. */
import type { CampaignSummary, Finding } from './campaign.js';

const MB = 1024 * 1024;

function line(f: Finding): string {
  const where = f.file ? `\n      saved: ${f.file}` : '';
  return `  ${f.loader} #${f.index} ${f.outcome} ${f.ms} ms: ${f.error}\n      made by: ${f.ops.join(', ')}${where}`;
}

export function formatSummary(s: CampaignSummary): string {
  const head = ['loader', 'cases', 'clean', 'accepted', 'crash', 'hang', 'slow>1s', 'unnamed'];
  const rows = Object.entries(s.perLoader).map(([name, c]) => [
    name,
    String(c.clean + c.accepted + c.crash + c.hang),
    ...[c.clean, c.accepted, c.crash, c.hang, c.slow, c.unnamed].map(String),
  ]);
  const total = (k: keyof CampaignSummary['perLoader'][string]) =>
    String(Object.values(s.perLoader).reduce((n, c) => n + c[k], 0));
  rows.push([
    'total',
    String(s.cases),
    ...(['clean', 'accepted', 'crash', 'hang', 'slow', 'unnamed'] as const).map(total),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = [
    `fuzz: seed ${s.seed}, ${s.cases} cases in ${(s.wallMs / 1000).toFixed(1)} s, peak RSS ${Math.round(s.peakRss / MB)} MB`,
    fmt(head),
    ...rows.map(fmt),
    '(unnamed: clean errors whose text does not name the input file; slow: over 1 s)',
    'slowest cases:',
    ...s.slowest.map(line),
    'highest RSS after a case:',
    ...s.heaviest.map((f) => `  ${f.rssMb} MB after ${f.loader} #${f.index} (${f.ops.join(', ')})`),
  ];
  if (s.findings.length) out.push(`crashes and hangs (${s.findings.length}):`, ...s.findings.map(line));
  return out.join('\n');
}
