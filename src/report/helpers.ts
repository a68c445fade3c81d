/**
 * Handlebars helpers of the report templates: presentation only (durations, UTC times, short hashes,
 * sizes, severities, plurals, code blocks). They return plain text, which `{{ }}` escapes for the
 * format; the few that return markup (SafeString) escape every value they put in it.
 */
import { escapeXml, markdownCodeBlock } from './escape.js';
import type { HandlebarsEnv, ReportFormatName } from './handlebars-env.js';
import { SEVERITIES } from './types.js';
import { firstLine, formatBytes, formatClock, formatDuration, formatUtc, isNum, plural } from './format.js';

/** Helpers take a trailing options argument; templates may omit optional ones. */
function args(list: unknown[]): unknown[] {
  return list.slice(0, -1);
}

export function registerHelpers(env: HandlebarsEnv, format: ReportFormatName): void {
  const safe = (s: string) => new env.SafeString(s);
  env.registerHelper({
    duration: (ms: unknown) => formatDuration(ms),
    offset: (ms: unknown) => (isNum(ms) ? `+${formatDuration(ms)}` : '—'),
    utc: (iso: unknown) => formatUtc(iso),
    clock: (iso: unknown) => formatClock(iso),
    bytes: (n: unknown) => formatBytes(n),
    shortHash: (...a: unknown[]) => {
      const [sha, len] = args(a);
      return typeof sha === 'string' && sha ? sha.slice(0, isNum(len) ? len : 12) : '—';
    },
    plural: (...a: unknown[]) => {
      const [n, one, many] = args(a);
      return plural(n, String(one), typeof many === 'string' ? many : undefined);
    },
    firstLine: (text: unknown) => firstLine(text),
    or: (...a: unknown[]) => args(a).find((v) => v !== null && v !== undefined && v !== '') ?? '',
    eq: (x: unknown, y: unknown) => x === y,
    gt: (x: unknown, y: unknown) => isNum(x) && isNum(y) && x > y,
    join: (list: unknown, sep: unknown) =>
      Array.isArray(list) ? list.map(String).join(typeof sep === 'string' ? sep : ', ') : '',
    inc: (n: unknown) => (isNum(n) ? n + 1 : n),
    /** The first `n` items of a list, and how many are left out (long lists in the Markdown report). */
    first: (list: unknown, count: unknown) => (Array.isArray(list) ? list.slice(0, isNum(count) ? count : 50) : []),
    moreThan: (list: unknown, count: unknown) =>
      Array.isArray(list) && isNum(count) && list.length > count ? list.length - count : 0,
    /** ` open` when a collection is small enough to show expanded (HTML `<details>`). */
    openIf: (list: unknown, max: unknown) =>
      safe((Array.isArray(list) ? list.length : isNum(list) ? list : 0) <= (isNum(max) ? max : 20) ? ' open' : ''),
    /** Percentage of `of`, rounded: `67 %`. */
    pct: (n: unknown, of: unknown) => (isNum(n) && isNum(of) && of > 0 ? `${Math.round((100 * n) / of)} %` : '—'),
    json: (value: unknown) => JSON.stringify(value ?? null),
    truncate: (text: unknown, max: unknown) => {
      const s = String(text ?? '');
      const m = isNum(max) ? max : 80;
      return s.length > m ? `${s.slice(0, m - 1)}…` : s;
    },
    /** `1 critical, 2 high` from per-severity counts; `—` when all are zero. */
    severityCounts: (counts: unknown) => severityCountsText(counts),
    ...(format === 'md' ? markdownHelpers(safe) : htmlHelpers(safe)),
  });
}

function severityCountsText(counts: unknown): string {
  if (!counts || typeof counts !== 'object') return '—';
  const c = counts as Record<string, unknown>;
  const parts = SEVERITIES.filter((s) => isNum(c[s]) && (c[s] as number) > 0).map((s) => `${c[s] as number} ${s}`);
  return parts.length ? parts.join(', ') : '—';
}

type Safe = (s: string) => unknown;

function knownSeverity(s: unknown): string | undefined {
  return typeof s === 'string' && (SEVERITIES as readonly string[]).includes(s) ? s : undefined;
}

function markdownHelpers(safe: Safe): Record<string, (...a: never[]) => unknown> {
  return {
    /** `**HIGH**` for high and critical (they must stand out in plain text too), else the word. */
    severityBadge: (s: unknown) =>
      s === 'high' || s === 'critical' ? safe(`**${String(s).toUpperCase()}**`) : String(s ?? '—'),
    stateBadge: (s: unknown) => String(s ?? '—'),
    /** A fenced block showing text (or lines) verbatim. */
    codeblock: (text: unknown) => safe(markdownCodeBlock(text)),
  };
}

function htmlHelpers(safe: Safe): Record<string, (...a: never[]) => unknown> {
  return {
    severityBadge: (s: unknown) => {
      const known = knownSeverity(s);
      return safe(`<span class="sev sev-${known ?? 'unknown'}">${escapeXml(s ?? '—')}</span>`);
    },
    stateBadge: (s: unknown) => {
      const cls = typeof s === 'string' && /^[a-z]+$/.test(s) ? s : 'none';
      return safe(`<span class="state state-${cls}">${escapeXml(s ?? '—')}</span>`);
    },
    codeblock: (text: unknown) => safe(`<pre>${escapeXml(Array.isArray(text) ? text.join('\n') : (text ?? ''))}</pre>`),
  };
}
