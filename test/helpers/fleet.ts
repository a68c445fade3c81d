// The loopback fleet lives in src/lab (the demo and the benchmark use it too); tests import it from here.
export * from '../../src/lab/loopback-fleet.js';
