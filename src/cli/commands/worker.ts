/**
 * `firebreak worker --nats URL --segment S`: runs the host-phases of its network segment's hosts,
 * sent by a controller over NATS JetStream. Its SSH settings are its own (keys, known_hosts, user),
 * as a responder would set them up on a machine inside the segment; secrets stay on it.
 */
import type { Command } from 'commander';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSegment, segmentInbox } from '../../bus/names.js';
import { runWorker } from '../../bus/worker.js';
import { InputError, terminalSafe, type TransportChoice } from '../../core/index.js';
import { hostConnections, inventorySpec } from '../../engine/connections.js';
import { SshSession } from '../../transport/index.js';
import { addSshOptions, positiveInt } from '../common.js';
import { busOptionsFrom, addNatsOptions, type NatsCliOptions } from '../nats-options.js';
import { askSecret } from '../prompt.js';
import { onSignals } from './run.js';

interface WorkerCliOptions extends NatsCliOptions {
  segment?: string;
  forks: number;
  knownHosts?: string;
  acceptNew?: boolean;
  transport: TransportChoice;
  jump?: string[];
  user?: string;
  privateKey?: string;
  connectTimeout: number;
  keepalive?: number;
  askBecomePass?: boolean;
  becomePassEnv: string;
  workDir?: string;
}

export function registerWorker(program: Command): void {
  const cmd = addSshOptions(program.command('worker'))
    .description("run the host-phases of one network segment's hosts, sent by a controller over NATS JetStream")
    .option('--segment <name>', 'the segment whose hosts this worker reaches (inventory var firebreak_segment)')
    .option('-f, --forks <n>', 'host-phases worked on at once', positiveInt('--forks'), 20)
    .option('-K, --ask-become-pass', 'ask for the sudo password when the worker starts')
    .option('--become-pass-env <VAR>', 'environment variable holding the sudo password', 'FIREBREAK_BECOME_PASS')
    .option(
      '--work-dir <dir>',
      'scratch space for output spill files and objects (default: a directory under the temp dir)',
    );
  addNatsOptions(cmd, 'the NATS server (a hub, or a leaf node inside the segment) to take work from').action(
    async (opts: WorkerCliOptions) => {
      process.exitCode = await workerCommand(opts);
    },
  );
}

export async function workerCommand(opts: WorkerCliOptions): Promise<number> {
  if (!opts.nats) throw new InputError('worker: --nats is required (the NATS server to take work from)');
  if (!opts.segment) throw new InputError('worker: --segment is required (the segment whose hosts it reaches)');
  const segment = checkSegment(opts.segment, '--segment');
  const becomePassword = opts.askBecomePass
    ? await askSecret('BECOME password: ')
    : process.env[opts.becomePassEnv] || undefined;
  const ssh = new SshSession({
    ...(opts.knownHosts ? { knownHostsFile: opts.knownHosts } : {}),
    ...(opts.acceptNew ? { acceptNew: true } : {}),
    connectTimeoutMs: opts.connectTimeout * 1000,
    ...(opts.keepalive !== undefined ? { keepaliveIntervalMs: opts.keepalive * 1000 } : {}),
  });
  const fallback = {
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.privateKey ? { privateKeyFile: opts.privateKey } : {}),
    ...(opts.jump ? { jump: opts.jump } : {}),
  };
  if (opts.privateKey) await ssh.preloadKeys([opts.privateKey]);
  const warn = (w: string): void => void process.stderr.write(`warning: ${terminalSafe(w)}\n`);
  const stop = new AbortController();
  const stopSignals = onSignals((signal, count) => {
    if (count > 1) process.exit(130);
    process.stderr.write(`worker: ${signal}: stopping; unfinished host-phases go to another worker\n`);
    stop.abort(signal);
  });
  try {
    await runWorker({
      bus: busOptionsFrom({ ...opts, nats: opts.nats }, `firebreak-worker ${segment}`, segmentInbox(segment)),
      segment,
      forks: opts.forks,
      transportFor: async (host) => {
        const specs = await hostConnections([host], fallback, {
          transport: opts.transport,
          ...(opts.knownHosts ? { knownHostsFile: opts.knownHosts } : {}),
          warn,
        });
        return ssh.transport(specs.get(host.name) ?? inventorySpec(host, fallback));
      },
      ...(becomePassword !== undefined ? { becomePassword } : {}),
      workDir: opts.workDir ?? join(tmpdir(), `firebreak-worker-${segment}-${process.pid}`),
      log: (line) => process.stderr.write(`${new Date().toISOString()} ${terminalSafe(line)}\n`),
      signal: stop.signal,
    });
    return 0;
  } finally {
    stopSignals();
    await ssh.close();
  }
}
