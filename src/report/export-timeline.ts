/**
 * The run as a forensic timeline, in the shape Timesketch imports (CSV or JSONL): every row has the
 * three fields it requires — `message`, `datetime` (ISO 8601) and `timestamp_desc` — and our own
 * columns to filter on. One row per meaningful moment, built from the report model alone: the fleet
 * timeline (run and phase boundaries, failures, unreachable hosts, retries, host keys, abort, resume),
 * every step that finished or was skipped, every evidence object stored, every finding.
 *
 * Not every `step.output` line: a verbose step writes thousands, which would bury the moments that
 * matter, and they are in the journal (journal.jsonl) and the evidence store, verbatim.
 */
import { csvDocument } from './csv.js';
import { formatDuration } from './format.js';
import type { ReportModel } from './types.js';

export const TIMELINE_COLUMNS = [
  'message',
  'datetime',
  'timestamp_desc',
  'event_type',
  'host',
  'phase',
  'step',
  'status',
  'duration_ms',
  'label',
  'sha256',
  'size',
  'severity',
  'kind',
] as const;

export type TimelineRow = Record<(typeof TIMELINE_COLUMNS)[number], string | number | null>;

/** A row with the given fields, every other column null. */
function row(fields: Partial<TimelineRow> & Pick<TimelineRow, 'message' | 'datetime' | 'event_type'>): TimelineRow {
  const out = Object.fromEntries(TIMELINE_COLUMNS.map((c) => [c, null])) as TimelineRow;
  // timestamp_desc says which moment the datetime is: `phase.finished` → `Phase finished`.
  const what = String(fields.event_type).replace(/\./g, ' ');
  return { ...out, timestamp_desc: what.charAt(0).toUpperCase() + what.slice(1), ...fields };
}

const on = (host: string | null, text: string) => (host ? `${host}: ${text}` : text);

/**
 * Order within one millisecond: a run or phase start before what happened in it, its end (or the
 * abort) after it; the run's last step and the run itself can end in the same millisecond.
 */
function tieRank(r: TimelineRow): number {
  const e = String(r.event_type);
  if (e === 'run.started' || e === 'phase.started') return 0;
  if (e === 'run.finished' || e === 'phase.finished' || e === 'run.aborted') return 2;
  return 1;
}

/**
 * The rows, sorted by time. Ties keep the order below, the journal's: a step's evidence and findings,
 * then its end, then what that did to the host (failed, unreachable).
 */
export function timelineRows(model: ReportModel): TimelineRow[] {
  const rows: TimelineRow[] = [
    // An artifact the journal does not mention and whose manifest entry has no time cannot be placed.
    ...model.evidence.entries.flatMap((a) => {
      const at = a.storedAt ?? a.collectedAt;
      if (at === null) return [];
      const name = a.label ?? a.id;
      return [
        row({
          message: on(a.host, `evidence stored: ${name} (${a.size} bytes, SHA-256 ${a.sha256})`),
          datetime: at,
          event_type: 'evidence.stored',
          host: a.host,
          phase: a.phase,
          step: a.step,
          label: name,
          sha256: a.sha256,
          size: a.size,
        }),
      ];
    }),
    ...model.findings.groups.flatMap((g) =>
      g.items.map((f) =>
        row({
          message: on(f.host, `${g.severity} finding ${g.kind}: ${f.summary}`),
          datetime: f.at,
          event_type: 'finding',
          host: f.host,
          phase: f.phase,
          step: f.step,
          sha256: f.evidenceSha256,
          severity: g.severity,
          kind: g.kind,
        }),
      ),
    ),
    ...model.hosts.flatMap((h) =>
      h.steps.flatMap((s) =>
        s.finishedAt === null
          ? [] // never finished: the run was cut short; the fleet timeline tells how
          : [
              row({
                message: on(
                  h.host,
                  `step "${s.step}"${s.type ? ` (${s.type})` : ''} ${s.status}` +
                    `${s.durationMs === null ? '' : ` in ${formatDuration(s.durationMs)}`}` +
                    `${s.note ? `: ${s.note}` : ''}`,
                ),
                datetime: s.finishedAt,
                event_type: s.status === 'skipped' ? 'step.skipped' : 'step.finished',
                host: h.host,
                phase: s.phase,
                step: s.step,
                status: s.status,
                duration_ms: s.durationMs,
              }),
            ],
      ),
    ),
    ...model.timeline.map((e) =>
      row({
        message: on(e.host, e.text),
        datetime: e.at,
        event_type: e.event,
        host: e.host,
        phase: e.phase,
        step: e.step,
      }),
    ),
  ];
  return rows
    .map((r, i) => ({ r, i, t: Date.parse(String(r.datetime)) }))
    .sort((a, b) => a.t - b.t || tieRank(a.r) - tieRank(b.r) || a.i - b.i)
    .map((x) => x.r);
}

/** Timesketch CSV: RFC 4180, formula-neutralised (csv.ts). */
export function renderTimelineCsv(model: ReportModel): string {
  return csvDocument(TIMELINE_COLUMNS, timelineRows(model));
}

/** Timesketch JSONL: one JSON object per line, every column present (null when it does not apply). */
export function renderTimelineJsonl(model: ReportModel): string {
  return timelineRows(model)
    .map((r) => JSON.stringify(r) + '\n')
    .join('');
}
