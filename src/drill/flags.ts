/**
 * A drill from command-line flags instead of a file (`firebreak drill --hosts 30 --scenario … --fault
 * down:2 --fault slow:3:300ms`): the flags become drill data, validated by the same schema as a file.
 *
 * `--fault KIND[:TARGET[:VALUE]][@WHEN]`: TARGET is a count (`2`), a count among a group (`2/compromised`)
 * or host names (`n003+n007`); VALUE is the delay of `slow` (`300ms`), the loss of `flaky` (`30%`) or
 * the command of `hang-command`; WHEN is `before` (default), `phase:NAME` or `after:SECONDS`.
 */
import path from 'node:path';
import { InputError } from '../core/index.js';
import { parseYamlSafe } from '../core/yaml-safe.js';
import { parseScenarioList } from '../lab/index.js';
import type { LoadedDrill } from './load.js';
import { validateDrill } from './load.js';
import { durationSeconds, type DrillInput } from './schema.js';

export interface DrillFlags {
  hosts: number;
  scenario?: string;
  runbook?: string;
  fault?: string[];
  probe?: string[];
  threshold?: string[];
  forks?: number;
  timeout?: string;
}

function target(text: string): { target: number | string[]; among?: string } {
  const [count, among] = text.split('/');
  if (count && /^\d+$/.test(count)) return { target: Number(count), ...(among ? { among } : {}) };
  return { target: text.split('+').filter(Boolean) };
}

function faultValue(kind: string, value: string, flag: string): Record<string, unknown> {
  try {
    if (kind === 'slow') return { ms: /^\d+$/.test(value) ? Number(value) : Math.round(durationSeconds(value) * 1000) };
  } catch {
    throw new InputError(`${flag}: "${value}" is not a delay like 300ms or 1s`);
  }
  if (kind === 'flaky') return { pct: Number(value.replace(/%$/, '')) };
  if (kind === 'hang-command') return { command: value };
  throw new InputError(`${flag}: a ${kind} fault takes no value`);
}

/** One `--fault` flag → fault data (the schema checks the rest). */
export function parseFaultFlag(text: string): Record<string, unknown> {
  const flag = `--fault ${text}`;
  const at = text.indexOf('@');
  const [head, when] = at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
  const [kind, tgt, ...rest] = head.split(':');
  if (!kind) throw new InputError(`${flag}: expected KIND[:TARGET[:VALUE]][@WHEN], e.g. down:2 or slow:3:300ms`);
  return {
    kind,
    ...(tgt ? target(tgt) : {}),
    ...(rest.length ? faultValue(kind, rest.join(':'), flag) : {}),
    ...(when ? { when } : {}),
  };
}

/** `ssh-serves:non-compromised`, `no-attack-traffic:n001+n002` → [probe, selector]. */
export function parseProbeFlag(text: string): [string, string | string[]] {
  const i = text.indexOf(':');
  if (i <= 0) throw new InputError(`--probe ${text}: expected PROBE:HOSTS, e.g. ssh-serves:non-compromised`);
  const hosts = text.slice(i + 1);
  return [
    text.slice(0, i),
    /^(all|compromised|non-compromised|clean|scenario:.+)$/.test(hosts) ? hosts : hosts.split('+').filter(Boolean),
  ];
}

/** `min_coverage=0.9` → [key, value] (the value read as a YAML scalar). */
export function parseThresholdFlag(text: string): [string, unknown] {
  const i = text.indexOf('=');
  if (i <= 0) throw new InputError(`--threshold ${text}: expected NAME=VALUE, e.g. min_coverage=0.9`);
  const raw = text.slice(i + 1);
  let value: unknown = raw;
  try {
    value = parseYamlSafe(raw, 'a drill flag');
  } catch {
    /* keep the text: the schema says what is wrong with it */
  }
  return [text.slice(0, i), value];
}

export function drillFromFlags(flags: DrillFlags, seed?: number | string): LoadedDrill {
  if (!flags.runbook)
    throw new InputError('firebreak drill: give a drill file, or --runbook with --hosts and --scenario');
  const data: DrillInput = {
    name: 'adhoc',
    lab: {
      hosts: flags.hosts,
      scenarios: Object.fromEntries(parseScenarioList(flags.scenario ?? '').map((s) => [s.name, s.count])),
    },
    runbook: flags.runbook,
    faults: (flags.fault ?? []).map(parseFaultFlag) as DrillInput['faults'],
    ...(flags.probe?.length ? { hypothesis: Object.fromEntries(flags.probe.map(parseProbeFlag)) } : {}),
    ...(flags.threshold?.length ? { thresholds: Object.fromEntries(flags.threshold.map(parseThresholdFlag)) } : {}),
    ...(flags.forks ? { forks: flags.forks } : {}),
    ...(flags.timeout ? { timeout: flags.timeout } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
  const spec = validateDrill(data, 'command line');
  return { spec, source: 'command line', runbookPath: path.resolve(flags.runbook) };
}
