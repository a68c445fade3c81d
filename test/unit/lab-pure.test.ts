import assert from 'node:assert/strict';
import { EnvironmentError } from '../../src/core/index.js';
import { hostAddress, hostName, hostNumber, labNetwork, vethName } from '../../src/lab/addressing.js';
import { parseFault } from '../../src/lab/lab-fault.js';
import { inventoryText, scenarioGroup } from '../../src/lab/lab-files.js';
import { checkLabEnvironment, type MachineProbe } from '../../src/lab/preflight.js';
import { parseScenarioList } from '../../src/lab/scenarios/plant.js';
import type { LabState } from '../../src/lab/state.js';
import { findingMatches, scenarioCoverage } from '../../src/lab/scenarios/coverage.js';
import type { Finding } from '../../src/core/index.js';

const okMachine: MachineProbe = { uid: 0, hasProgram: () => true, exists: () => true, filesystems: 'nodev\toverlay\n' };

describe('lab: addressing', () => {
  it('gives each lab its own /20 of 198.18.0.0/15 and each host a stable address and names', () => {
    const net = labNetwork(3);
    assert.deepEqual(net, {
      index: 3,
      cidr: '198.18.48.0/20',
      prefix: 20,
      controller: '198.18.48.1',
      attacker: '198.18.48.2',
      bridge: 'fblab3',
    });
    assert.equal(hostAddress(net, 1), '198.18.48.11');
    assert.equal(hostAddress(net, 300), '198.18.49.54');
    assert.equal(labNetwork(31).cidr, '198.19.240.0/20');
    assert.throws(() => labNetwork(32), RangeError);
    assert.throws(() => hostAddress(net, 0), RangeError);
    assert.equal(hostName(7), 'n007');
    assert.equal(hostName(1234), 'n1234');
    assert.equal(hostNumber('n007'), 7);
    assert.equal(hostNumber('web01'), undefined);
    assert.ok(vethName(labNetwork(31), 4000).length <= 15, 'kernel interface names are at most 15 characters');
  });
});

describe('lab: argument parsing', () => {
  it('parses --scenario lists and rejects bad ones', () => {
    assert.deepEqual(parseScenarioList('outbound-ssh-bruteforce:5, tampered-binary:2,clean'), [
      { name: 'outbound-ssh-bruteforce', count: 5 },
      { name: 'tampered-binary', count: 2 },
      { name: 'clean', count: 1 },
    ]);
    assert.deepEqual(parseScenarioList(''), []);
    assert.throws(() => parseScenarioList('x:0'), /at least 1/);
    assert.throws(() => parseScenarioList('Bad Name'), /NAME or NAME:COUNT/);
  });

  it('parses faults', () => {
    assert.deepEqual(parseFault(['down']), { kind: 'down' });
    assert.deepEqual(parseFault(['slow', '250']), { kind: 'slow', ms: 250 });
    assert.deepEqual(parseFault(['flaky', '30']), { kind: 'flaky', pct: 30 });
    assert.throws(() => parseFault(['flaky', '130']), /0\.\.100/);
    assert.throws(() => parseFault(['slow']), /MS must be/);
    assert.throws(() => parseFault(['explode']), /unknown fault "explode"/);
    assert.throws(() => parseFault(['up', '3']), /takes no value/);
  });
});

describe('lab: environment check', () => {
  it('passes on a capable machine', () => {
    assert.doesNotThrow(() => checkLabEnvironment(okMachine));
  });

  it('names every missing piece and the apt-get line that fixes it', () => {
    const probe: MachineProbe = {
      ...okMachine,
      uid: 1000,
      hasProgram: (p) => !['rsyslogd', 'tc', 'conntrack'].includes(p),
      filesystems: 'nodev\ttmpfs\n',
    };
    const err = (() => {
      try {
        checkLabEnvironment(probe);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    assert.ok(err instanceof EnvironmentError);
    assert.equal(err.exitCode, 6);
    assert.match(err.message, /run as root/);
    assert.match(err.message, /overlay/);
    assert.match(err.message, /missing programs: tc, conntrack, rsyslogd/);
    assert.match(err.message, /apt-get install -y conntrack iproute2 rsyslog/);
  });
});

describe('lab: inventory', () => {
  it('lists every host, a group per scenario, and connection vars pointing at the lab files', () => {
    const host = (n: number, scenarios: string[]) => ({
      name: hostName(n),
      number: n,
      address: `198.18.0.${10 + n}`,
      veth: `fb0h${n}`,
      pid: 1,
      initPid: 2,
      hostKey: 'ssh-ed25519 AAAA',
      generation: 0,
      scenarios: scenarios.map((s) => ({ scenario: s, facts: {}, indicators: [] })),
      faults: {},
    });
    const state: LabState = {
      version: 1,
      id: 'abcd',
      dir: '/tmp/my lab',
      createdAt: '',
      network: labNetwork(0),
      files: {
        inventory: '/tmp/my lab/inventory.ini',
        knownHosts: '/tmp/my lab/known_hosts',
        clientKey: '/tmp/my lab/id_ed25519',
        attackerKey: '/tmp/my lab/attacker_ed25519',
      },
      hosts: [host(1, ['outbound-ssh-bruteforce']), host(2, []), host(3, ['outbound-ssh-bruteforce'])],
    };
    const ini = inventoryText(state);
    assert.match(
      ini,
      /^\[lab\]\nn001 ansible_host=198\.18\.0\.11\nn002 ansible_host=198\.18\.0\.12\nn003 ansible_host=198\.18\.0\.13$/m,
    );
    assert.match(ini, /^\[outbound_ssh_bruteforce\]\nn001\nn003$/m);
    assert.match(ini, /^ansible_ssh_private_key_file="\/tmp\/my lab\/id_ed25519"$/m);
    assert.match(ini, /^ansible_ssh_common_args="-o UserKnownHostsFile=\/tmp\/my lab\/known_hosts"$/m);
    assert.equal(scenarioGroup('conntrack-exhaustion'), 'conntrack_exhaustion');
  });
});

describe('lab: coverage of planted indicators by findings', () => {
  const ind = {
    id: 'dropper',
    kind: 'process',
    finding: 'process.suspicious',
    description: '',
    match: { pid: '50', exe: '/tmp/x (deleted)', path: '/tmp/x' },
    check: 'true',
  };
  const f = (detail: Record<string, string | number | string[]>, kind = 'process.suspicious') =>
    ({ host: 'n001', kind, severity: 'high', summary: '', detail }) as Finding;

  it('matches on kind and on the identity values both sides state', () => {
    assert.equal(findingMatches(ind, f({ pid: 50, exe: '/tmp/x (deleted)' })), true);
    assert.equal(findingMatches(ind, f({ pid: 51 })), false, 'another process');
    assert.equal(findingMatches(ind, f({ pid: 50 }, 'rootkit.warning')), false, 'another kind');
    assert.equal(
      findingMatches(ind, f({ file: '/etc/other', alsoIn: ['/tmp/x'] })),
      true,
      'a path listed among several',
    );
  });

  it('counts found and missed indicators per scenario', () => {
    const planted = {
      scenario: 's',
      facts: {},
      indicators: [
        ind,
        { ...ind, id: 'note', finding: undefined },
        { ...ind, id: 'cron', finding: 'persistence.cron', match: {} },
      ],
    };
    const cov = scenarioCoverage(planted, [f({ pid: 50 })]);
    assert.deepEqual(
      [cov.detectable.length, cov.found.map((x) => x.indicator.id), cov.missed.map((i) => i.id)],
      [2, ['dropper'], ['cron']],
    );
  });
});
