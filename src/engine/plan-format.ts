/**
 * `firebreak plan` as text: per host, per phase, per step, the exact commands that would run.
 * Hosts whose plans are identical are printed once, with all their names (like `dshbak -c`).
 */
import { describeAction } from '../core/index.js';
import { PLAN_NONCE, PLAN_RUN_ID, type HostPlan, type PlannedStepView, type RunPlan } from './planner.js';

function formatStep(s: PlannedStepView): string[] {
  const flags = [
    s.become ? `become ${s.become}` : '',
    s.register ? `register ${s.register}` : '',
    s.retries ? `retries ${s.retries}` : '',
    s.whenAtRunTime ? 'when decided at run time' : '',
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [`    ${s.index + 1}. ${s.name}${flags ? `  (${flags})` : ''}`];
  if (s.error) lines.push(`       ✖ ${s.error}`);
  else if (s.skip) lines.push(`       skip: ${s.skip}`);
  else if (s.endHost !== undefined) lines.push(`       end this host's part of the run: ${s.endHost}`);
  else
    for (const a of s.actions)
      lines.push(
        ...describeAction(a)
          .split('\n')
          .map((l, i) => `       ${i === 0 ? '$ ' : '  '}${l}`),
      );
  return lines;
}

function body(h: HostPlan): string {
  return h.phases.flatMap((p) => [`  ${p.phase}`, ...p.steps.flatMap(formatStep)]).join('\n');
}

/** Render a RunPlan for humans. */
export function formatPlan(plan: RunPlan): string {
  const groups = new Map<string, string[]>();
  for (const h of plan.hosts) {
    const b = body(h);
    groups.set(b, [...(groups.get(b) ?? []), h.host]);
  }
  const head = `Plan for runbook "${plan.runbook}" on ${plan.hosts.length} host${plan.hosts.length === 1 ? '' : 's'}${
    plan.errors ? ` — ${plan.errors} step${plan.errors === 1 ? '' : 's'} cannot be planned` : ''
  }`;
  const sections = [...groups].map(([b, hosts]) => `${hosts.join(', ')}\n${b}`);
  const placeholder = `${PLAN_RUN_ID}-${PLAN_NONCE}`;
  const note = [...groups.keys()].some((b) => b.includes(placeholder))
    ? [`(${placeholder} in a temp path: the run's id and a random part per host, chosen when the run starts)`]
    : [];
  return [head, ...sections, ...note].join('\n\n') + '\n';
}
