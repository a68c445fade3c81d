/** Formatting of numbers and times for people: the report's helpers and its SVG labels use these. */
import { formatBytes as bytesText } from '../core/format-bytes.js';

export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** `850 ms`, `12.3 s`, `4 min 05 s`, `1 h 02 min`; `—` when unknown. */
export function formatDuration(ms: unknown): string {
  if (!isNum(ms)) return '—';
  const neg = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${neg}${Math.round(a)} ms`;
  if (a < 60_000) return `${neg}${(a / 1000).toFixed(1)} s`;
  const s = Math.round(a / 1000);
  if (s < 3600) return `${neg}${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${neg}${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** `2024-01-31 10:15:00 UTC`; `—` when unknown. */
export function formatUtc(iso: unknown): string {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isFinite(t)
    ? new Date(t)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : '—';
}

/** `10:15:00.123` (UTC), for timelines within one day. */
export function formatClock(iso: unknown): string {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? new Date(t).toISOString().slice(11, 23) : '—';
}

/** `512 B`, `1.5 KiB`, `3.0 MiB`; `—` for what is not a number. */
export function formatBytes(n: unknown): string {
  return isNum(n) ? bytesText(n) : '—';
}

/** `1 host`, `3 hosts`; an irregular plural as the third argument. */
export function plural(n: unknown, singular: string, pluralForm?: string): string {
  const count = isNum(n) ? n : Array.isArray(n) ? n.length : 0;
  return `${count} ${count === 1 ? singular : (pluralForm ?? `${singular}s`)}`;
}

/** First line of a message (the rest is usually the stderr shown next to it). */
export function firstLine(text: unknown): string {
  return String(text ?? '').split(/\r?\n/, 1)[0] ?? '';
}
