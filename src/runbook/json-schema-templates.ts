/**
 * The published JSON Schema (`firebreak schema`, for editor completion) says what the loader accepts:
 * inside a step's params, a `{{template}}` may stand where the schema checks a format, an enum, a
 * number or a boolean — it is checked per host once rendered (see deferred.ts). Without this, an
 * editor would underline `paths: ["{{params.data_dir}}"]`, which loads and runs fine.
 */

/** What a template looks like to the loader: any string containing `{{`. */
const TEMPLATE = { type: 'string', pattern: '\\{\\{', description: 'a template, checked for each host once rendered' };

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A leaf a template cannot satisfy as it stands: a format-checked string, an enum, a number or a boolean. */
function checksValue(n: Node): boolean {
  if ('enum' in n || 'const' in n) return true;
  if (n.type === 'string') return 'pattern' in n || 'format' in n;
  return n.type === 'number' || n.type === 'integer' || n.type === 'boolean';
}

/** The node with template-accepting leaves (a copy; descriptions and defaults stay on top for hovers). */
function allowTemplates(n: Node): Node {
  if (checksValue(n)) {
    const { description, default: dflt, ...rest } = n;
    return {
      ...(description !== undefined ? { description } : {}),
      ...(dflt !== undefined ? { default: dflt } : {}),
      anyOf: [rest, TEMPLATE],
    };
  }
  const out: Node = { ...n };
  for (const key of ['properties', 'patternProperties'] as const) {
    if (isNode(n[key]))
      out[key] = Object.fromEntries(Object.entries(n[key]).map(([k, v]) => [k, isNode(v) ? allowTemplates(v) : v]));
  }
  for (const key of ['items', 'additionalProperties'] as const) if (isNode(n[key])) out[key] = allowTemplates(n[key]);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(n[key])) out[key] = (n[key] as unknown[]).map((v) => (isNode(v) ? allowTemplates(v) : v));
  }
  return out;
}

/** Rewrite each step branch's params (`$defs.step.anyOf[i].properties[<type>]`); common step keys are not rendered and stay as they are. */
export function allowTemplatesInStepParams(schema: Node, stepTypes: readonly string[]): Node {
  const defs = isNode(schema.$defs) ? schema.$defs : undefined;
  const step = defs && isNode(defs.step) ? defs.step : undefined;
  if (!step || !Array.isArray(step.anyOf)) return schema;
  const branches = (step.anyOf as unknown[]).map((b) => {
    if (!isNode(b) || !isNode(b.properties)) return b;
    const type = stepTypes.find((t) => isNode((b.properties as Node)[t]));
    if (!type) return b;
    return { ...b, properties: { ...b.properties, [type]: allowTemplates((b.properties as Node)[type] as Node) } };
  });
  return { ...schema, $defs: { ...defs, step: { ...step, anyOf: branches } } };
}
