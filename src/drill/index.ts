/**
 * Game-day drills: rehearse a runbook on a disposable lab with planted compromises and injected faults,
 * check a steady-state hypothesis before and after, and score the response. See README "Game-day drills".
 * A layer above the engine: it may import core, lab, engine, runbook, inventory; nothing below imports it.
 */
export { loadDrill, parseDrillYaml, validateDrill, type LoadedDrill } from './load.js';
export { drillFromFlags, parseFaultFlag, parseProbeFlag, parseThresholdFlag, type DrillFlags } from './flags.js';
export {
  drillSchema,
  FAULT_KINDS,
  PROBES,
  type DrillSpec,
  type FaultSpec,
  type HypothesisSpec,
  type Thresholds,
} from './schema.js';
export {
  assignScenarios,
  planFaults,
  selectRoles,
  compromisedScenarios,
  type Assignment,
  type FaultPlan,
  type HostRole,
} from './assign.js';
export { seededRandom, shuffle, type Seed } from './random.js';
export { runDrill, drillExitCode, type DrillHooks, type DrillOptions, type DrillResult } from './run-drill.js';
export { formatScorecard } from './format.js';
export { compareScorecards, formatComparison, readScorecard, type CompareRow } from './compare.js';
export { scoreDrill, type ScoreInput, type Scores } from './score/index.js';
export * from './scorecard.js';
