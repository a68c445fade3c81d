/**
 * `buildReportModel(runDir)`: the typed report model from a finished (or crashed) run directory alone —
 * journal, summary, incident.json, notes, evidence store. Each section is built by its own module;
 * this file only wires them. The evidence is verified now, so the report states what is true today.
 */
import { firebreakVersion } from '../core/index.js';
import { buildActions } from './actions.js';
import { readDrillSection, type DrillSection } from './drill.js';
import { buildEvidence } from './evidence.js';
import { buildFailures } from './failures.js';
import { buildFindings } from './findings.js';
import { buildHeader, buildSummary } from './header.js';
import { buildEndedHosts, buildHostRows } from './hosts.js';
import { buildMetrics } from './metrics.js';
import { lessonsFrom } from './notes.js';
import { loadRunData } from './run-data.js';
import { buildPhaseTimings, buildTimeline } from './timeline.js';
import { REPORT_FORMAT, type ReportModel } from './types.js';

export interface BuildReportOptions {
  /** A notes YAML file; overrides the copy the run kept (`run --notes`). */
  notesFile?: string;
  /** The report's clock (tests fix it). */
  now?: Date;
  /** The firebreak version to name as the report's maker (default: this package's). */
  version?: string;
  /** A drill section to include (default: whatever the run directory holds). */
  drill?: DrillSection;
  /** Keys to trust when re-verifying the evidence, as `evidence verify` takes them (a run made elsewhere). */
  trust?: { publicKeyFile?: string; trustedKeysFile?: string };
  /** Told of what the report had to read around (an unreadable journal line, with file and line). */
  onWarning?: (message: string) => void;
}

export async function buildReportModel(runDir: string, options: BuildReportOptions = {}): Promise<ReportModel> {
  const now = options.now ?? new Date();
  const data = loadRunData(runDir, options.notesFile, options.onWarning);
  const evidence = await buildEvidence(data, now, options.trust);
  const summary = buildSummary(data, evidence.status);
  const drill = options.drill ?? readDrillSection(runDir);
  return {
    format: REPORT_FORMAT,
    header: buildHeader(data, summary, options.version ?? firebreakVersion(), now),
    summary,
    phases: buildPhaseTimings(data),
    timeline: buildTimeline(data),
    hosts: buildHostRows(data),
    ended: buildEndedHosts(data),
    findings: buildFindings(data),
    evidence,
    actions: buildActions(data),
    metrics: buildMetrics(data),
    failures: buildFailures(data),
    lessons: lessonsFrom(data.notes?.notes, data.notes?.source ?? null),
    ...(drill ? { drill } : {}),
  };
}
