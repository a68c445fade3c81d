/**
 * The key exchange and host key algorithms the ssh2 library implements, from its own table (it has
 * no public export of them), so `auto` can tell when a host's configured algorithms leave ssh2 out.
 */
import { createRequire } from 'node:module';

const requireCjs = createRequire(import.meta.url);
const constants = requireCjs('ssh2/lib/protocol/constants.js') as {
  SUPPORTED_KEX: string[];
  SUPPORTED_SERVER_HOST_KEY: string[];
};

export default {
  kex: new Set(constants.SUPPORTED_KEX),
  hostKey: new Set(constants.SUPPORTED_SERVER_HOST_KEY),
};
