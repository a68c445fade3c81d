/** Every program firebreak declares it runs on this machine, with who declared it (for messages). */
import {
  FLEET_PROGRAMS,
  LAB_PROGRAMS,
  loadScenario,
  programNeeds,
  scenarioNames,
  type ProgramNeed,
} from '../../src/lab/index.js';
import { TEST_PROGRAMS } from './programs.js';

/** Each declaration of a program, not deduplicated: a package named wrongly in any one of them must show. */
export function declaredPrograms(): ProgramNeed[] {
  const declarations = [
    { by: 'the lab', programs: LAB_PROGRAMS },
    { by: 'the loopback fleet', programs: FLEET_PROGRAMS },
    ...scenarioNames().map((name) => ({ by: `scenario ${name}`, programs: loadScenario(name).requires })),
    { by: 'the tests', programs: TEST_PROGRAMS },
  ];
  return declarations.flatMap((d) => programNeeds(d));
}
