/**
 * The registry of facts. `COLLECTED_FACTS` is what `collect` gathers, in order of volatility
 * (RFC 3227: what changes fastest first); the first word of a label is its set. `STEP_FACTS` are
 * run by other steps (isolate, verify_packages, rootkit_scan). Adding an artifact: one fact (in a
 * file of its theme), one line here, and, when it has a parser, its fixture cases in
 * test/fixtures/facts/<label>/. The sets `files` and `timeline` are heavy (copies of files, walks of
 * every filesystem) and come last; docs/collection-coverage.md maps every artifact to UAC's.
 */
import { accountsFact, passwdFact } from './accounts.js';
import { authLogFact, secureLogFact } from './auth-log.js';
import { authorizedKeysFact } from './authorized-keys.js';
import { chkrootkitFact } from './chkrootkit.js';
import { addressesFact } from './addresses.js';
import { conntrackFact } from './conntrack.js';
import { conntrackTableFact } from './conntrack-flows.js';
import { crosscheckFact } from './crosscheck.js';
import { cronFact } from './cron.js';
import { dfFact } from './disk.js';
import type { AnyFact } from './fact.js';
import * as files from './files-scratch.js';
import * as hostState from './host-state.js';
import * as kernel from './kernel.js';
import * as logsExtra from './logs-extra.js';
import * as net from './network-extra.js';
import * as persist from './persistence-extra.js';
import * as procFiles from './process-files.js';
import * as pkgs from './packages-inventory.js';
import * as special from './special-files.js';
import * as ssh from './ssh-files.js';
import * as timeline from './timeline.js';
import * as userActivity from './user-activity.js';
import { lastbFact, lastFact } from './last.js';
import { packageVerifyFact } from './package-verify.js';
import { preloadFact } from './preload.js';
import { hiddenFilesFact } from './hidden-files.js';
import { procFact, psFact } from './processes.js';
import * as raw from './raw.js';
import { rkhunterFact } from './rkhunter.js';
import { listenersFact, ssTcpFact, ssTcpUdpFact } from './sockets.js';
import { systemdFact } from './systemd.js';
import { systemdUnownedFact } from './systemd-unowned.js';
import { wFact, whoFact } from './who.js';

export const COLLECTED_FACTS: readonly AnyFact[] = [
  psFact,
  procFact,
  raw.processTreeFact,
  procFiles.deletedFact,
  procFiles.fdsFact,
  procFiles.lsofFact,
  procFiles.environFact,
  procFiles.mapsFact,
  procFiles.statusFact,
  procFiles.namespaceMountsFact,
  ssTcpFact,
  listenersFact,
  addressesFact,
  raw.routesFact,
  raw.neighboursFact,
  raw.iptablesFact,
  raw.nftFact,
  conntrackFact,
  conntrackTableFact,
  net.procNetFact,
  net.hostsFact,
  net.firewallFrontendsFact,
  wFact,
  whoFact,
  lastFact,
  lastbFact,
  raw.lastlogFact,
  passwdFact,
  accountsFact,
  userActivity.loginctlFact,
  userActivity.processAccountingFact,
  userActivity.appFilesFact,
  raw.unameFact,
  raw.uptimeFact,
  kernel.clockFact,
  dfFact,
  hostState.storageFact,
  raw.modulesFact,
  kernel.moduleCrosscheckFact,
  raw.taintedFact,
  kernel.kernelRuntimeFact,
  kernel.sysctlFact,
  kernel.bpfFact,
  kernel.auditRulesFact,
  kernel.dmesgFact,
  hostState.servicesFact,
  hostState.containersFact,
  hostState.vmsFact,
  hostState.hardwareFact,
  hostState.scratchDirsFact,
  pkgs.packageInventoryFact,
  raw.largestLogsFact,
  cronFact,
  systemdFact,
  raw.rcFact,
  authorizedKeysFact,
  ssh.sshdKeyFilesFact,
  ssh.sshFilesFact,
  ssh.privateKeysFact,
  preloadFact,
  hiddenFilesFact,
  special.privilegedScratchFact,
  special.immutablePersistenceFact,
  persist.atJobsFact,
  persist.systemdRuntimeFact,
  persist.systemdVendorFact,
  systemdUnownedFact,
  persist.initFact,
  persist.pamFact,
  persist.udevFact,
  persist.motdFact,
  persist.packageHooksFact,
  persist.dbusPolkitFact,
  authLogFact,
  secureLogFact,
  raw.syslogFact,
  raw.messagesFact,
  raw.kernLogFact,
  raw.wtmpFact,
  raw.btmpFact,
  raw.shellHistoryFact,
  logsExtra.rotatedAuthFact,
  logsExtra.auditLogFact,
  logsExtra.journalFact,
  pkgs.packageHistoryFact,
  logsExtra.varLogListingFact,
  // Heavy sets, off in triage (collect-sets.ts HEAVY_SET_NAMES): copies of files, then filesystem walks.
  files.deletedContentFact,
  files.scratchArchiveFact,
  files.etcArchiveFact,
  files.logArchiveFact,
  files.systemArchiveFact,
  files.desktopArchiveFact,
  special.suidFact,
  special.capabilitiesFact,
  timeline.immutableFact,
  timeline.executableHashesFact,
  timeline.bodyfileFact,
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
