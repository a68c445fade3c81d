/**
 * Limits of a runbook beyond those of any YAML file, checked before the expensive work they guard:
 * - Handlebars parses nested blocks in time that grows faster than their number (1,000 nested
 *   `{{#if}}` take 0.4 s, 3,000 take 7 s and overflow the stack): the text is scanned for block
 *   nesting before any template is parsed, and deeper nesting is refused at its line;
 * - the schema tries every step type on a step it cannot place (20,000 such steps took 5 s): steps
 *   per phase are counted before it runs.
 */
import { InputError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';

/**
 * Opening (`{{#x}}`, `{{~#x}}`, `{{^x}}`), chained (`{{else if x}}`: Handlebars nests each one as a
 * block inside the previous) and closing (`{{/x}}`) block tags; a bare `{{else}}` is none of them.
 */
const BLOCK_TAG = /\{\{~?\s*(?:([#^/])|else\s+[^\s}~])/g;

/** Throws an InputError at the line where block tags nest deeper than LIMITS.templateDepth. */
export function checkTemplateNesting(text: string, file: string): void {
  if (!text.includes('{{')) return;
  // One entry per open block: how many levels it holds (1, plus one per `{{else if}}` in its chain).
  const open: number[] = [];
  let depth = 0;
  for (const m of text.matchAll(BLOCK_TAG)) {
    if (m[1] === '/')
      depth -= open.pop() ?? 0; // an unmatched close is a syntax error checkTemplate reports
    else if (m[1] || open.length) {
      if (m[1]) open.push(1);
      else open[open.length - 1] = (open.at(-1) ?? 0) + 1;
      depth++;
    }
    if (depth > LIMITS.templateDepth) {
      const line = text.slice(0, m.index).split('\n').length;
      throw new InputError(
        `${file}:${line}: template blocks ({{#if}}, {{#each}}, …) nested more than ${LIMITS.templateDepth} deep (FIREBREAK_MAX_TEMPLATE_DEPTH raises the limit)`,
      );
    }
  }
}

/** Throws an InputError naming the phase when it lists more than LIMITS.steps steps. */
export function checkStepCount(data: unknown, file: string): void {
  const phases = (data as { phases?: unknown } | null)?.phases;
  if (!phases || typeof phases !== 'object') return;
  for (const [name, phase] of Object.entries(phases)) {
    const steps = Array.isArray(phase) ? phase : (phase as { steps?: unknown } | null)?.steps;
    if (Array.isArray(steps) && steps.length > LIMITS.steps)
      throw new InputError(
        `${file}: phase ${name} has ${steps.length} steps, more than the ${LIMITS.steps} a phase may have (FIREBREAK_MAX_STEPS raises the limit)`,
      );
  }
}
