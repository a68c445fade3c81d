/**
 * Drive the TTY progress view and the recap with synthetic events for a large fleet, without SSH, so
 * their readability at 1,000 hosts can be looked at in a real terminal (e.g. tmux) on a small machine:
 *
 *   npx tsx bench/tty-fleet.ts [--hosts 1000] [--forks 60] [--tick-ms 20] [--hold-ms 0]
 *
 * Every host runs three steps per phase; about 3 % fail with the same reason, 1 % are unreachable.
 */
import { parseArgs } from 'node:util';
import type { PhaseName, RunEvent } from '../src/core/index.js';
import { RecapTally } from '../src/engine/recap.js';
import { formatRecap } from '../src/render/index.js';
import { ListrProgressRenderer } from '../src/render/listr.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1000' },
    forks: { type: 'string', default: '60' },
    'tick-ms': { type: 'string', default: '20' },
    'hold-ms': { type: 'string', default: '0' },
  },
});
const n = Number(values.hosts);
const forks = Number(values.forks);
const tickMs = Number(values['tick-ms']);
const phases: PhaseName[] = ['isolate', 'collect'];
const steps = ['hostname', 'uname -a', 'ss -tnp'];
const hosts = Array.from({ length: n }, (_, i) => `web${String(i + 1).padStart(String(n).length, '0')}`);

const view = new ListrProgressRenderer();
const tally = new RecapTally(hosts);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** RunEvent without its time, kept a union so each literal is checked against its own type. */
type Untimed = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'at'> : never) : never;
const emit = (e: Untimed): void => {
  const event = { at: new Date().toISOString(), ...e } as RunEvent;
  view.emit(event);
  tally.add(event);
};

/** Deterministic outcome per host: ~3 % fail at the last step, ~1 % unreachable. */
const outcome = (i: number): 'ok' | 'failed' | 'unreachable' =>
  i % 97 === 5 ? 'unreachable' : i % 31 === 7 ? 'failed' : 'ok';

emit({ type: 'run.started', runId: 'synthetic', runbook: 'triage', runDir: '/tmp/none', hosts, phases, forks });
let alive = hosts.map((_, i) => i);
for (const phase of phases) {
  emit({ type: 'phase.started', phase, batch: 1, batches: 1, hosts: alive.map((i) => hosts[i]!) });
  const queue = [...alive];
  const running = new Map<number, number>(); // host index → next step
  const survivors: number[] = [];
  const failed: string[] = [];
  while (queue.length || running.size) {
    while (running.size < forks && queue.length) {
      const i = queue.shift()!;
      running.set(i, 0);
      emit({ type: 'host.started', host: hosts[i]!, phase });
    }
    for (const [i, s] of running) {
      const host = hosts[i]!;
      const how = outcome(i);
      if (how === 'unreachable' && phase === 'isolate') {
        emit({ type: 'host.unreachable', host, phase, reason: 'timeout', message: `${host}: connect timed out` });
        emit({ type: 'host.finished', host, phase, state: 'unreachable' });
        failed.push(host);
        running.delete(i);
        continue;
      }
      if (s < steps.length) {
        const step = steps[s]!;
        emit({ type: 'step.started', host, phase, step, index: s + 1, commands: [step] });
        const bad = how === 'failed' && phase === 'collect' && s === steps.length - 1;
        emit({
          type: 'step.finished',
          host,
          phase,
          step,
          index: s + 1,
          outcome: { status: bad ? 'failed' : 'ok', durationMs: tickMs },
        });
        running.set(i, s + 1);
        if (bad) {
          emit({
            type: 'host.failed',
            host,
            phase,
            step,
            message: `${host}: \`${step}\` exited with code 1\n    denied`,
          });
          emit({ type: 'host.finished', host, phase, state: 'failed' });
          failed.push(host);
          running.delete(i);
        }
        continue;
      }
      emit({ type: 'host.finished', host, phase, state: 'ok' });
      survivors.push(i);
      running.delete(i);
    }
    await sleep(tickMs);
  }
  emit({ type: 'phase.finished', phase, batch: 1, batches: 1, ok: survivors.map((i) => hosts[i]!), failed });
  alive = survivors;
}
await sleep(Number(values['hold-ms']));
emit({ type: 'run.finished', exitCode: 3, durationMs: 0, recap: tally.recap() });
await view.done();
process.stdout.write(`\n${formatRecap({ recap: tally.recap(), outputs: [], exitCode: 3 })}\n`);
