/**
 * The registry of facts. `COLLECTED_FACTS` is what `collect` gathers, in order of volatility
 * (RFC 3227: what changes fastest first); the first word of a label is its set. `STEP_FACTS` are
 * run by other steps (isolate, verify_packages, rootkit_scan). Adding an artifact: one fact file,
 * one line here, and its fixture cases in test/fixtures/facts/<label>/.
 */
import { accountsFact, passwdFact } from './accounts.js';
import { authLogFact, secureLogFact } from './auth-log.js';
import { authorizedKeysFact } from './authorized-keys.js';
import { chkrootkitFact } from './chkrootkit.js';
import { conntrackFact, conntrackTableFact } from './conntrack.js';
import { crosscheckFact } from './crosscheck.js';
import { cronFact } from './cron.js';
import { dfFact } from './disk.js';
import type { AnyFact } from './fact.js';
import { lastbFact, lastFact } from './last.js';
import { packageVerifyFact } from './package-verify.js';
import { preloadFact } from './preload.js';
import { procFact, psFact } from './processes.js';
import * as raw from './raw.js';
import { rkhunterFact } from './rkhunter.js';
import { listenersFact, ssTcpFact, ssTcpUdpFact } from './sockets.js';
import { systemdFact } from './systemd.js';
import { wFact, whoFact } from './who.js';

export const COLLECTED_FACTS: readonly AnyFact[] = [
  psFact,
  procFact,
  raw.processTreeFact,
  ssTcpFact,
  listenersFact,
  raw.addressesFact,
  raw.routesFact,
  raw.neighboursFact,
  raw.iptablesFact,
  raw.nftFact,
  conntrackFact,
  conntrackTableFact,
  wFact,
  whoFact,
  lastFact,
  lastbFact,
  raw.lastlogFact,
  passwdFact,
  accountsFact,
  raw.unameFact,
  raw.uptimeFact,
  dfFact,
  raw.modulesFact,
  raw.taintedFact,
  raw.largestLogsFact,
  cronFact,
  systemdFact,
  raw.rcFact,
  authorizedKeysFact,
  preloadFact,
  authLogFact,
  secureLogFact,
  raw.syslogFact,
  raw.messagesFact,
  raw.kernLogFact,
  raw.wtmpFact,
  raw.btmpFact,
  raw.shellHistoryFact,
];

export const STEP_FACTS: readonly AnyFact[] = [
  ssTcpUdpFact,
  packageVerifyFact,
  crosscheckFact,
  chkrootkitFact,
  rkhunterFact,
];

/** Every fact, for the analysis of any step's artifacts by label. */
export const FACTS: readonly AnyFact[] = [...COLLECTED_FACTS, ...STEP_FACTS];
