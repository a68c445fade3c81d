/** Write lab.json, inventory.ini and known_hosts together, each atomically. */
import { renameSync, writeFileSync } from 'node:fs';
import { inventoryText, knownHostsText } from './lab-files.js';
import { writeLabState, type LabState } from './state.js';

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

export function writeLabFiles(state: LabState): void {
  writeAtomic(state.files.knownHosts, knownHostsText(state));
  writeAtomic(state.files.inventory, inventoryText(state));
  writeLabState(state);
}
