/** Checking a planted scenario's ground truth inside a host: each indicator's check, with the facts. */
import type { LabHostState, PlantedScenario } from '../state.js';
import { inHost } from '../sys.js';
import { factEnv } from './plant.js';

export interface TruthCheck {
  id: string;
  present: boolean;
  detail: string;
}

/** Run every indicator check of `planted` on `host` (which may be another host: the clean comparison). */
export async function checkTruth(host: Pick<LabHostState, 'initPid'>, planted: PlantedScenario): Promise<TruthCheck[]> {
  return Promise.all(
    planted.indicators.map(async (ind) => {
      const r = await inHost(host.initPid, ind.check, factEnv(planted.facts), 30_000);
      return { id: ind.id, present: r.code === 0, detail: (r.stdout + r.stderr).trim().slice(0, 300) };
    }),
  );
}
