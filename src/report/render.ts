/**
 * Rendering a report model: `json` is the model itself; `md` and `html` go through the Handlebars
 * templates (shipped, or a user's `--templates DIR` overriding any of them by name), with helpers for
 * durations, times, hashes, severities and plurals, and — for HTML — the inline SVG charts. The
 * machine exports (Timesketch timeline, OCSF findings) are plain functions of the model, no templates.
 */
import { InputError } from '../core/index.js';
import { COMPILE_OPTIONS, createEnv, type ReportFormatName } from './handlebars-env.js';
import { registerHelpers } from './helpers.js';
import { renderOcsf } from './export-ocsf.js';
import { renderTimelineCsv, renderTimelineJsonl } from './export-timeline.js';
import { digest, shippedSpecs, type PrecompiledSpecs } from './precompiled.js';
import { severityChartSvg, timelineSvg } from './svg.js';
import { loadTemplates, type TemplateSource } from './templates.js';
import type { ReportModel } from './types.js';

/** Formats that are data for other tools: a function of the model each, not themeable. */
const EXPORTS = {
  'timeline-csv': renderTimelineCsv,
  'timeline-jsonl': renderTimelineJsonl,
  ocsf: renderOcsf,
} satisfies Record<string, (model: ReportModel) => string>;
type ExportFormat = keyof typeof EXPORTS;
const isExport = (format: string): format is ExportFormat => Object.hasOwn(EXPORTS, format);

export type ReportFormat = ReportFormatName | 'json' | ExportFormat;
export const REPORT_FORMATS: readonly ReportFormat[] = [
  'md',
  'html',
  'json',
  ...(Object.keys(EXPORTS) as ExportFormat[]),
];

export interface RenderOptions {
  /** A directory of templates overriding the shipped ones by name. */
  templatesDir?: string;
  /** Compiled templates to use where a text matches (default: the build's; null: compile everything). */
  precompiled?: PrecompiledSpecs | null;
}

/**
 * The build's precompiled form when there is one for this exact text; otherwise compile it now,
 * parsing first so a broken template is named with its file instead of failing mid-render.
 */
function compile(
  env: ReturnType<typeof createEnv>,
  format: ReportFormatName,
  src: TemplateSource,
  specs: PrecompiledSpecs | null,
): HandlebarsTemplateDelegate {
  const spec = specs?.[format][digest(src.text)];
  if (spec) return env.template(spec);
  let ast: hbs.AST.Program;
  try {
    ast = env.parse(src.text);
  } catch (err) {
    throw new InputError(`template ${src.file} does not parse: ${(err as Error).message}`);
  }
  return env.compile(ast, COMPILE_OPTIONS);
}

export function renderReport(model: ReportModel, format: ReportFormat, options: RenderOptions = {}): string {
  if (format === 'json') return JSON.stringify(model, null, 2) + '\n';
  if (isExport(format)) return EXPORTS[format](model);
  const env = createEnv(format);
  registerHelpers(env, format);
  const set = loadTemplates(format, options.templatesDir);
  const specs = options.precompiled === undefined ? shippedSpecs() : options.precompiled;
  for (const [name, src] of set.partials) env.registerPartial(name, compile(env, format, src, specs));
  const main = compile(env, format, set.main, specs);
  const charts =
    format === 'html'
      ? {
          timeline: new env.SafeString(timelineSvg(model)),
          severity: new env.SafeString(severityChartSvg(model.findings.bySeverity)),
        }
      : {};
  try {
    return main({ ...model, charts }, { allowProtoPropertiesByDefault: false });
  } catch (err) {
    // With the shipped templates a failure is a bug (reported as such); with a user's, it is theirs to fix.
    if (!options.templatesDir) throw err;
    throw new InputError(
      `the ${format} report failed with templates from ${options.templatesDir}: ${(err as Error).message}`,
    );
  }
}
