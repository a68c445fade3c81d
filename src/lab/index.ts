/** The drill lab: disposable namespaced hosts with planted compromises. See README "The drill lab". */
export { labUp, type LabUpOptions } from './lab-up.js';
export { labDown, teardown } from './lab-down.js';
export { resetHosts } from './lab-reset.js';
export { applyFault, parseFault, type Fault } from './lab-fault.js';
export { labStatus, formatStatus, type HostStatus } from './lab-status.js';
export {
  readLabState,
  findHost,
  type LabState,
  type LabHostState,
  type PlantedScenario,
  type Indicator,
} from './state.js';
export { nsenterArgs, inHost, inAttacker, CommandFailed } from './sys.js';
export { parseScenarioList, plantScenarios, type ScenarioRequest } from './scenarios/plant.js';
export { checkTruth, type TruthCheck } from './scenarios/truth.js';
export { findingMatches, scenarioCoverage, type Coverage } from './scenarios/coverage.js';
export { loadScenario, scenarioNames } from './scenarios/load.js';
export { checkLabEnvironment, checkScenarioPrograms, findProgram, labNeeds } from './preflight.js';
export { FLEET_PROGRAMS, LAB_PROGRAMS, programNeeds, type ProgramNeed, type ProgramPackages } from './programs.js';
