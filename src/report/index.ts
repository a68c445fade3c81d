/**
 * The post-incident report: a typed model built from a run directory alone (journal, summary,
 * incident.json, notes, evidence store verified at build time), rendered through Handlebars templates
 * to Markdown or one self-contained HTML page, printed as JSON, or exported for other tools (a
 * Timesketch timeline, OCSF Detection Findings).
 */
export { buildReportModel, type BuildReportOptions } from './model.js';
export { writeReportFiles } from './write.js';
export { renderReport, REPORT_FORMATS, type RenderOptions, type ReportFormat } from './render.js';
export { timelineRows, TIMELINE_COLUMNS, type TimelineRow } from './export-timeline.js';
export { ocsfFindings, OCSF_SEVERITY, OCSF_VERSION } from './export-ocsf.js';
export { INCIDENT_FILE, INCIDENT_FORMAT, incidentSchema, readIncident, type Incident } from './incident.js';
export { NOTES_FILE, readNotes, type Notes } from './notes.js';
export { TEMPLATES_DIR } from './templates.js';
export { escapeMarkdown, escapeXml, markdownCodeBlock } from './escape.js';
export { firebreakVersion } from '../core/index.js';
export type { DrillScore, DrillSection } from './drill.js';
export * from './types.js';
