/**
 * YAML text to a plain value within the input limits (src/core/limits.ts): for the small files and
 * values that need no positions (params, `-e`, notes, scenarios). Runbooks, drills and inventories
 * keep positions and use the same limits through their own readers.
 */
import { parse, parseDocument, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import { checkInputSize, checkYamlDepth, LIMITS, yamlGuard } from './limits.js';

type Options = ParseOptions & DocumentOptions & SchemaOptions;

/** `parse()` of the yaml library, refusing oversize, over-nested and alias-bomb input with an InputError naming `file`. */
export function parseYamlSafe(text: string, file: string, options: Options = {}): unknown {
  checkInputSize(text, file);
  checkYamlDepth(text, file);
  return yamlGuard(file, () => parse(text, { ...options, maxAliasCount: LIMITS.yamlAliases }));
}

/** A parsed document within the limits; its syntax errors are left for the caller to report. */
export function parseYamlDocumentSafe(text: string, file: string, options: Options = {}) {
  checkInputSize(text, file);
  checkYamlDepth(text, file);
  return yamlGuard(file, () => parseDocument(text, options));
}

/** A document's value within the alias limit. */
export function yamlValue(doc: { toJS(options: { maxAliasCount: number }): unknown }, file: string): unknown {
  return yamlGuard(file, () => doc.toJS({ maxAliasCount: LIMITS.yamlAliases }));
}
