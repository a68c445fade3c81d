/**
 * The extension point for game-day drills: a drill run adds a `drill` part to the report model,
 * rendered by the `drill` partial (templates/partials/drill.*.hbs) only when present. The drill
 * command owns what goes in here; the report only promises to carry it and render these fields.
 */

/** One line of a drill scorecard: `detection coverage  9/10  fail`. */
export interface DrillScore {
  label: string;
  value: string;
  /** `pass`, `fail`, or free text. */
  status?: string;
}

export interface DrillSection {
  verdict?: 'pass' | 'fail';
  summary?: string;
  scores?: DrillScore[];
  /** Anything else the drill wants to keep in the JSON model (custom templates can render it). */
  [extra: string]: unknown;
}

/**
 * The drill part of a run directory, if any. A plain run has none; the drill command will read its
 * scorecard here (issue: game-day drills), so buildReportModel stays unchanged.
 */
export function readDrillSection(_runDir: string): DrillSection | undefined {
  return undefined;
}
