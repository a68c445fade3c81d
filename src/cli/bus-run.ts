/**
 * `run --nats`: the controller's connection to the bus, and the dispatcher the executor hands the
 * phases of segment-routed hosts to. Without `--nats` nothing changes: every host runs from here.
 */
import type { BusDispatcher } from '../bus/dispatch.js';
import { SEGMENT_VAR, segmentOf } from '../bus/names.js';
import { compressHosts } from '../render/index.js';
import type { Host, RunEvent } from '../core/index.js';
import type { RemotePhases } from '../engine/executor-types.js';
import type { RunInputs } from '../engine/run-inputs.js';
import { busOptionsFrom, type NatsCliOptions } from './nats-options.js';

export interface BusRunOptions extends NatsCliOptions {
  segmentWait?: number;
  natsAckWait?: number;
}

export interface BusRun {
  remote?: (inputs: RunInputs, journaled?: readonly RunEvent[]) => RemotePhases;
  close(): Promise<void>;
}

export async function prepareBusRun(
  opts: BusRunOptions,
  hosts: readonly Host[],
  warn: (message: string) => void,
): Promise<BusRun> {
  // Checked before anything connects: a bad segment name is the inventory's error.
  const routed = hosts.filter((h) => segmentOf(h) !== undefined);
  if (!opts.nats) {
    if (routed.length)
      warn(
        `${compressHosts(routed.map((h) => h.name))}: ${SEGMENT_VAR} is set but there is no --nats: they run from this controller`,
      );
    return { close: async () => undefined };
  }
  if (routed.length === 0) warn(`--nats given but no host has ${SEGMENT_VAR}: every host runs from this controller`);
  // The NATS client is loaded only for a run that uses it: every other run starts that much sooner.
  const [{ connectBus }, { openBus }, { BusDispatcher }] = await Promise.all([
    import('../bus/connect.js'),
    import('../bus/resources.js'),
    import('../bus/dispatch.js'),
  ]);
  const nc = await connectBus(busOptionsFrom({ ...opts, nats: opts.nats }, 'firebreak-controller'));
  let dispatcher: BusDispatcher | undefined;
  try {
    const bus = await openBus(nc, true, opts.natsDomain);
    return {
      remote: (inputs, journaled) =>
        (dispatcher = new BusDispatcher(bus, inputs, {
          ...(journaled ? { journaled } : {}),
          segmentWaitMs: (opts.segmentWait ?? 120) * 1000,
          ackWaitMs: (opts.natsAckWait ?? 30) * 1000,
        })),
      close: async () => {
        await dispatcher?.close();
        await nc.drain().catch(() => nc.close());
      },
    };
  } catch (err) {
    await nc.close();
    throw err;
  }
}
