/**
 * What templates see, and what a step registers. Like Ansible, host vars are top level
 * (`{{ansible_host}}`), with `inventory_hostname`, `group_names` (this host's groups) and `groups`
 * (group -> host names, when the caller knows the inventory). Params are only under `params.`
 * (`{{params.since}}`) so a param can never silently shadow a host var. Registered results are top
 * level under their register name (`{{uptime.stdout}}`); `failed_when` and `until` also see `result`.
 */
import type { Host } from '../core/index.js';

export { resultFromExec, skippedResult, type RegisteredResult } from '../core/index.js';

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

const RESULT_FIELDS = [
  'rc',
  'stdout',
  'stderr',
  'stdout_lines',
  'failed',
  'changed',
  'skipped',
  'duration_ms',
] as const;

/**
 * Plan-time stand-ins for registered results: each field renders as `<registered:name.field>`.
 * `touched()` tells whether a template read one, i.e. its value is only known at run time.
 */
export function registeredPlaceholders(names: Iterable<string>): {
  values: Record<string, unknown>;
  touched(): boolean;
  reset(): void;
} {
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
    // Lists known only at run time: empty at plan time, so `{{#each x.findings}}` plans to nothing.
    for (const f of ['findings', 'artifacts', 'stderr_lines']) {
      Object.defineProperty(obj, f, {
        enumerable: true,
        get() {
          touched = true;
          return [];
        },
      });
    }
    values[name] = obj;
  }
  return { values, touched: () => touched, reset: () => void (touched = false) };
}
