/**
 * What templates see, and what a step registers. Like Ansible, host vars are top level
 * (`{{ansible_host}}`), with `inventory_hostname`, `group_names` (this host's groups) and `groups`
 * (group -> host names, when the caller knows the inventory). Params are only under `params.`
 * (`{{params.since}}`) so a param can never silently shadow a host var. Registered results are top
 * level under their register name (`{{uptime.stdout}}`); `failed_when` and `until` also see `result`.
 */
import type { ExecResult, Host } from '../core/index.js';

/** What a step registers (and what `failed_when` / `until` see as `result`). */
export interface RegisteredResult {
  /** Exit code of the last command; null when killed by a signal or when no command ran. */
  rc: number | null;
  stdout: string;
  stderr: string;
  stdout_lines: string[];
  failed: boolean;
  changed: boolean;
  skipped: boolean;
  duration_ms: number;
}

/** Build the registered result of a command (`failed` is the exit-code rule; failed_when may override). */
export function resultFromExec(r: Pick<ExecResult, 'code' | 'stdout' | 'stderr' | 'durationMs' | 'timedOut'>, changes: boolean): RegisteredResult {
  const failed = r.timedOut || r.code !== 0;
  return {
    rc: r.code,
    stdout: r.stdout,
    stderr: r.stderr,
    stdout_lines: r.stdout === '' ? [] : r.stdout.replace(/\r?\n$/, '').split(/\r?\n/),
    failed,
    changed: changes && !failed,
    skipped: false,
    duration_ms: r.durationMs,
  };
}

/** The result registered for a skipped step. */
export function skippedResult(): RegisteredResult {
  return { rc: null, stdout: '', stderr: '', stdout_lines: [], failed: false, changed: false, skipped: true, duration_ms: 0 };
}

export interface TemplateInputs {
  host: Host;
  params: Record<string, unknown>;
  registered: Record<string, unknown>;
  groups?: Record<string, string[]>;
}

/** The template context of one host. */
export function templateContext(i: TemplateInputs): Record<string, unknown> {
  return {
    ...i.host.vars,
    inventory_hostname: i.host.name,
    group_names: i.host.groups,
    groups: i.groups ?? {},
    params: i.params,
    ...i.registered,
  };
}

const RESULT_FIELDS = ['rc', 'stdout', 'stderr', 'stdout_lines', 'failed', 'changed', 'skipped', 'duration_ms'] as const;

/**
 * Plan-time stand-ins for registered results: each field renders as `<registered:name.field>`.
 * `touched()` tells whether a template read one, i.e. its value is only known at run time.
 */
export function registeredPlaceholders(names: Iterable<string>): { values: Record<string, unknown>; touched(): boolean; reset(): void } {
  let touched = false;
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const obj: Record<string, unknown> = {};
    for (const f of RESULT_FIELDS) {
      Object.defineProperty(obj, f, {
        enumerable: true,
        get() {
          touched = true;
          return `<registered:${name}.${f}>`;
        },
      });
    }
    values[name] = obj;
  }
  return { values, touched: () => touched, reset: () => void (touched = false) };
}
