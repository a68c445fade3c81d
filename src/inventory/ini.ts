/**
 * Ansible's INI inventory format, ported from ansible/plugins/inventory/ini.py (core 2.14):
 * `[group]`, `[group:vars]`, `[group:children]`, hosts with ranges, `host:port` and inline
 * `key=value` vars; values go through Python's literal_eval (so `a=1` is a number, `a='x'` a string).
 * Unlike Ansible, which stops at the first problem, every problem is collected with file:line:col.
 */
import type { ValidationIssue } from '../core/errors.js';
import type { InventoryBuilder } from './model.js';
import { iniValue } from './pyliteral.js';
import { expandHostPattern } from './ranges.js';
import { ShlexError, shlexSplit } from './shlex.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUPNAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

interface Pending {
  line: number;
  state: 'vars' | 'children';
  name: string;
  parents: string[];
}

/** Parses INI inventory text into the builder; problems are appended to `issues`. */
export function parseIni(b: InventoryBuilder, text: string, file: string, issues: ValidationIssue[]): void {
  const lines = text.split(/\r\n|\n|\r/);
  const pending = new Map<string, Pending>();
  let group = 'ungrouped';
  let state = 'hosts';
  const section = (): string =>
    group === 'ungrouped' && state === 'hosts'
      ? '(ungrouped hosts)'
      : state === 'hosts'
        ? `[${group}]`
        : `[${group}:${state}]`;
  const issue = (lineNo: number, col: number, code: string, message: string, path = section()): void => {
    issues.push({ code, path, message, severity: 'error', file, line: lineNo, col });
  };

  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const line = raw.trim();
    const col = raw.length - raw.trimStart().length + 1;
    if (!line || line[0] === '#' || line[0] === ';') return;

    const m = SECTION.exec(line);
    if (m) {
      group = m[1] as string;
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) {
        issue(lineNo, col, 'ini_section_type', `Section [${group}:${state}] has unknown type: ${state}`, line);
        state = 'skip';
        return;
      }
      if (!b.groups.has(group)) {
        if (state === 'vars' && !pending.has(group))
          pending.set(group, { line: lineNo, state: 'vars', name: group, parents: [] });
        b.addGroup(group);
      }
      const p = pending.get(group);
      if (p && state !== 'vars') {
        if (p.state === 'children')
          addPendingChildren(b, group, pending, (e) => issue(lineNo, col, 'inventory_cycle', e));
        else pending.delete(group);
      }
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      issue(
        lineNo,
        col,
        'ini_section',
        `Invalid section entry: '${line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters`,
        line,
      );
      state = 'skip';
      return;
    }
    if (state === 'skip') return;

    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        if (!(e instanceof ShlexError)) throw e;
        issue(lineNo, col, 'ini_host_line', `Error parsing host definition '${line}': ${e.message}`);
        return;
      }
      const first = tokens[0];
      if (first === undefined) return;
      let hosts: string[];
      let port: number | undefined;
      try {
        ({ hosts, port } = expandHostPattern(first));
      } catch (e) {
        issue(lineNo, col, 'ini_host_range', `Invalid host pattern '${first}': ${(e as Error).message}`);
        return;
      }
      if (first.trim().endsWith(':') && port === undefined) {
        issue(
          lineNo,
          col,
          'ini_host_port',
          `Invalid host pattern '${first}' supplied, ending in ':' is not allowed, this character is reserved to provide a port.`,
        );
        return;
      }
      if (hosts.some((h) => h.trim() === '---')) {
        issue(
          lineNo,
          col,
          'ini_yaml',
          `Invalid host pattern '${first}' supplied, '---' is normally a sign this is a YAML file.`,
        );
        return;
      }
      const vars: [string, unknown][] = [];
      let bad = false;
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf('=');
        if (eq < 0) {
          issue(
            lineNo,
            col + Math.max(0, raw.trim().indexOf(t)),
            'ini_host_var',
            `Expected key=value host variable assignment, got: ${t}`,
          );
          bad = true;
          continue;
        }
        vars.push([t.slice(0, eq), iniValue(t.slice(eq + 1))]);
      }
      if (bad) return;
      for (const h of hosts) {
        b.addHost(h, group, port);
        for (const [k, v] of vars) b.setVariable(h, k, v);
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) {
        issue(lineNo, col, 'ini_var', `Expected key=value, got: ${line}`);
        return;
      }
      b.setVariable(group, line.slice(0, eq).trim(), iniValue(line.slice(eq + 1).trim()));
    } else {
      const gm = GROUPNAME.exec(line);
      if (!gm) {
        issue(lineNo, col, 'ini_group_name', `Expected group name, got: ${line}`);
        return;
      }
      const child = gm[1] as string;
      if (!b.groups.has(child)) {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: lineNo, state: 'children', name: child, parents: [group] });
        else p.parents.push(group);
      } else {
        try {
          b.addChild(group, child);
        } catch (e) {
          issue(lineNo, col, 'inventory_cycle', (e as Error).message);
        }
      }
    }
  });

  for (const d of pending.values()) {
    if (d.state === 'vars') {
      issue(
        d.line,
        1,
        'ini_undefined_group',
        `Section [${d.name}:vars] not valid for undefined group: ${d.name}`,
        `[${d.name}:vars]`,
      );
    } else {
      issue(
        d.line,
        1,
        'ini_undefined_group',
        `Section [${d.parents[d.parents.length - 1]}:children] includes undefined group: ${d.name}`,
        `[${d.parents[d.parents.length - 1]}:children]`,
      );
    }
  }
}

function addPendingChildren(
  b: InventoryBuilder,
  group: string,
  pending: Map<string, Pending>,
  onError: (m: string) => void,
): void {
  const p = pending.get(group);
  if (!p) return;
  pending.delete(group);
  for (const parent of p.parents) {
    try {
      b.addChild(parent, group);
    } catch (e) {
      onError((e as Error).message);
    }
    const pp = pending.get(parent);
    if (pp && pp.state === 'children') addPendingChildren(b, parent, pending, onError);
  }
}
