/**
 * The ground truth a drill is scored against, taken from lab.json right after planting (a rebuild in
 * the run replaces the host and its record) and checked inside each host before the run: an indicator
 * whose check does not hold was not planted, and scoring it would blame the runbook for the lab.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { checkTruth, type LabHostState, type LabState } from '../lab/index.js';
import type { PlantedIndicator } from './score/index.js';

/** Every indicator planted in the lab, unverified. */
export function plantedIndicators(state: LabState): PlantedIndicator[] {
  return state.hosts.flatMap((h) =>
    h.scenarios.flatMap((s) =>
      s.indicators.map((i) => ({
        host: h.name,
        scenario: s.scenario,
        id: i.id,
        description: i.description,
        ...(i.finding ? { finding: i.finding } : {}),
        match: i.match,
        verified: null,
      })),
    ),
  );
}

/**
 * Check every planted indicator inside its host. Checks that fail are tried again for a few seconds:
 * some truths take a moment to settle after planting (the dropper opens its connections one a second).
 */
export async function verifyIndicators(state: LabState, attempts = 6, delayMs = 1000): Promise<PlantedIndicator[]> {
  const out = plantedIndicators(state);
  const limit = pLimit(8);
  const checkHost = async (host: LabHostState): Promise<void> => {
    for (const planted of host.scenarios) {
      const mine = out.filter((p) => p.host === host.name && p.scenario === planted.scenario);
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const todo = {
          ...planted,
          indicators: planted.indicators.filter((i) => mine.find((p) => p.id === i.id)?.verified !== true),
        };
        if (!todo.indicators.length) break;
        for (const c of await checkTruth(host, todo)) {
          const p = mine.find((x) => x.id === c.id);
          if (p) p.verified = c.present;
        }
        if (attempt < attempts && mine.some((p) => p.verified === false)) await sleep(delayMs);
      }
    }
  };
  await Promise.all(state.hosts.map((h) => limit(() => checkHost(h))));
  return out;
}
