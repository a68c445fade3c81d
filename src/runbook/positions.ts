/**
 * Map a path inside a parsed YAML document (`['phases','collect',2,'timeout']`) to file positions,
 * and format paths the way users read them: `phases.collect[2].timeout`.
 */
import { isMap, isSeq, isScalar, type Document, type LineCounter, type Node } from 'yaml';

export type PathKey = string | number;

/** `phases.collect[2].timeout` */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out ? `.${k}` : k;
  }
  return out;
}

/** A position (1-based line and column). */
export interface Position {
  line: number;
  col: number;
}

function child(node: unknown, key: PathKey): { value: unknown; keyNode?: Node } | undefined {
  if (isMap(node)) {
    const pair = node.items.find(
      (p) =>
        (isScalar(p.key) ? p.key.value : p.key) === key ||
        String(isScalar(p.key) ? p.key.value : p.key) === String(key),
    );
    return pair ? { value: pair.value, keyNode: pair.key as Node } : undefined;
  }
  if (isSeq(node) && typeof key === 'number') {
    const item = node.items[key];
    return item !== undefined ? { value: item } : undefined;
  }
  return undefined;
}

/**
 * The position of `path` in the document. With `atKey`, point at the last key itself (unknown keys);
 * when the path does not exist (missing keys), point at the deepest node that does.
 */
export function locate(doc: Document, lc: LineCounter, path: readonly PathKey[], atKey = false): Position | undefined {
  let node: unknown = doc.contents;
  let best: Node | undefined = (doc.contents as Node | null) ?? undefined;
  for (let i = 0; i < path.length; i++) {
    const next = child(node, path[i] as PathKey);
    if (!next) break;
    const last = i === path.length - 1;
    const target = (last && atKey && next.keyNode) || (next.value as Node | undefined) || next.keyNode;
    if (target && (target as Node).range) best = target as Node;
    node = next.value;
  }
  const offset = best?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lc.linePos(offset);
  return { line, col };
}
