/**
 * Finding the report templates: `templates/report.<fmt>.hbs` and `templates/partials/<name>.<fmt>.hbs`
 * (fmt = md or html), and a user's `--templates DIR` laid out the same way (partials may also sit in
 * DIR itself). A file in DIR replaces the shipped one of the same name; everything else is shipped.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, packagePath } from '../core/index.js';
import type { ReportFormatName } from './handlebars-env.js';

/** The shipped templates. */
export const TEMPLATES_DIR = packagePath('templates');

export interface TemplateSource {
  name: string;
  file: string;
  text: string;
}

export interface TemplateSet {
  main: TemplateSource;
  partials: Map<string, TemplateSource>;
}

const PARTIAL = /^([A-Za-z0-9_-]+)\.(md|html)\.hbs$/;

function read(file: string, name: string): TemplateSource {
  return { name, file, text: readFileSync(file, 'utf8') };
}

/** Partials of one format in `dir`, by name. */
function partialsIn(dir: string, format: ReportFormatName): Map<string, TemplateSource> {
  const out = new Map<string, TemplateSource>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).sort()) {
    const m = PARTIAL.exec(f);
    if (m && m[2] === format && m[1] !== 'report') out.set(m[1]!, read(join(dir, f), m[1]!));
  }
  return out;
}

/** Every `.hbs` file in an override directory must be a template or partial name we can use. */
function checkOverrideNames(dir: string): void {
  const bad = [dir, join(dir, 'partials')]
    .filter((d) => existsSync(d))
    .flatMap((d) =>
      readdirSync(d)
        .filter((f) => f.endsWith('.hbs') && !PARTIAL.test(f))
        .map((f) => join(d, f)),
    );
  if (bad.length)
    throw new InputError(`template files must be named <name>.md.hbs or <name>.html.hbs: ${bad.join(', ')}`);
}

export function loadTemplates(format: ReportFormatName, overrideDir?: string): TemplateSet {
  const mainName = `report.${format}.hbs`;
  let main = read(join(TEMPLATES_DIR, mainName), 'report');
  const partials = partialsIn(join(TEMPLATES_DIR, 'partials'), format);
  if (overrideDir !== undefined) {
    if (!existsSync(overrideDir) || !statSync(overrideDir).isDirectory())
      throw new InputError(`--templates ${overrideDir} is not a directory`);
    checkOverrideNames(overrideDir);
    if (existsSync(join(overrideDir, mainName))) main = read(join(overrideDir, mainName), 'report');
    for (const [name, src] of [
      ...partialsIn(overrideDir, format),
      ...partialsIn(join(overrideDir, 'partials'), format),
    ])
      partials.set(name, src);
  }
  return { main, partials };
}
