/**
 * The contract every step type fulfils: a zod params schema and a pure `plan()`.
 * Adding a step type = one file in src/steps/ exporting a StepType, registered in registry.ts,
 * plus fixtures in test/fixtures/steps/<type>/.
 */
import type { z } from 'zod';
import type { Action, CollectedOutput, Finding, FindingSeverity, Host, HostEnd } from '../core/index.js';

/** What plan() may look at. Everything here is plain data; plan() never performs I/O. */
export interface PlanContext {
  host: Host;
  /** Runbook params after -e / --params overrides. */
  params: Record<string, unknown>;
  /** Values registered by earlier steps on this host. */
  registered: Record<string, unknown>;
  /** Directory of the runbook file (relative local paths in params resolve against it). */
  runbookDir: string;
  /** A unique, safe remote temp path prefix for this step on this host (e.g. for `script`). */
  remoteTmp: string;
}

export interface StepType<Schema extends z.ZodType = z.ZodType> {
  /** The key used in runbooks, e.g. `shell`. */
  readonly type: string;
  /** One line for `firebreak schema` and docs. */
  readonly description: string;
  /** Params schema. Accepts the shorthand forms the step documents (e.g. `shell: "cmd"`). */
  readonly schema: Schema;
  /**
   * Param fields whose templates are rendered for a shell: `{{x}}` is shell-quoted there.
   * Other string fields render as plain text and plan() quotes them itself when it builds commands.
   * A field inside a list of objects is written `health[].command` (see isShellField).
   */
  readonly shellFields: readonly string[];
  /** True when a successful run changes the host (reported as `changed` rather than `ok`). */
  readonly changes: boolean;
  /** Pure: rendered params + context -> the exact actions to perform. */
  plan(params: z.output<Schema>, ctx: PlanContext): Action[];
  /** Pure: the step's evidence outputs -> findings (steps that collect: collect, verify_packages, rootkit_scan…). */
  analyze?(params: z.output<Schema>, outputs: CollectedOutput[], ctx: { host: string }): Finding[];
  /** The step fails when analyze() finds something this severe or worse (rebuild: the new host must be clean). */
  readonly failOnFindings?: FindingSeverity;
  /**
   * `resume` may run the step again when a crash of the controller caught it running: it only reads
   * (collect), or a second run does no harm (upload). Steps that change the host define `verify`
   * instead; a step with neither (shell, script) stops its host on resume rather than guess.
   */
  readonly rerunSafe?: boolean;
  /**
   * Pure: a shell command that asks the host whether this step's effect is already in place, for
   * `resume` after a crash caught the step running. Its last output line is `done: <what it saw>`
   * (the step counts as done), `absent: <why>` (it runs again) or `unknown: <why>` (the host stops).
   */
  verify?(params: z.output<Schema>, ctx: PlanContext): string;
  /** Pure: the step ends the host's part of the run (`end_host`), for this reason, on this evidence. */
  ends?(params: z.output<Schema>, ctx: PlanContext): HostEnd;
}

/** Is the param at `path` (`['health', 0, 'command']`) one of `shellFields` (`health[].command`)? */
export function isShellField(shellFields: readonly string[], path: readonly (string | number)[]): boolean {
  const name = path
    .map((k) => (typeof k === 'number' ? '[]' : `.${k}`))
    .join('')
    .replace(/^\./, '');
  return shellFields.includes(name);
}
