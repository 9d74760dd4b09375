import { describe, expect, it } from 'vitest';
import { actorFromHostname, isOwnUrl } from '../src/cli/identity.js';

describe('actorFromHostname', () => {
  it('reads the ordinal a StatefulSet ends its pod names with', () => {
    expect(actorFromHostname('genome-0')).toBe(0);
    expect(actorFromHostname('genome-7')).toBe(7);
    expect(actorFromHostname('my-genome-set-12')).toBe(12);
    expect(actorFromHostname('genome-65535')).toBe(65535);
    // A fully qualified name: the pod's own label counts.
    expect(actorFromHostname('genome-3.genome.default.svc.cluster.local')).toBe(3);
  });

  it('finds none in a name without an ordinal, with a leading zero, or beyond the highest actor id', () => {
    for (const name of ['genome', 'genome7', 'genome-', '-7', '7', '', 'genome-07', 'genome-65536', 'genome-1234567', 'genome-x', 'genome-1x', 'genome.genome-3']) {
      expect(actorFromHostname(name), name).toBeNull();
    }
  });
});

describe('isOwnUrl', () => {
  const pod = { host: '0.0.0.0', port: 7000, hostname: 'genome-1' };
  const box = (host: string, port: number) => ({ host, port, hostname: 'box' });

  it('knows this actor by its port and a host that is its address, loopback or its machine name', () => {
    const own: Array<[string, Parameters<typeof isOwnUrl>[1]]> = [
      ['http://genome-1.genome:7000', pod],
      ['http://genome-1:7000', pod],
      ['http://GENOME-1.genome:7000', pod],
      ['http://127.0.0.1:7000', pod],
      ['http://localhost:7000', pod],
      ['http://0.0.0.0:7000', pod],
      ['http://10.0.0.5:8001', box('10.0.0.5', 8001)],
      ['http://[::1]:8001', box('::1', 8001)],
      // A URL without a port names the scheme's.
      ['https://genome-1.genome', { ...pod, port: 443 }],
    ];
    for (const [url, self] of own) expect(isOwnUrl(url, self), url).toBe(true);
  });

  it('takes no other pod, and nothing on another port, for this actor', () => {
    for (const url of ['http://genome-10.genome:7000', 'http://genome-0.genome:7000', 'http://genome-1.genome:7001', 'http://genome-1.genome', 'http://other-genome-1:7000']) {
      expect(isOwnUrl(url, pod), url).toBe(false);
    }
    expect(isOwnUrl('http://127.0.0.1:7000', box('127.0.0.1', 7001))).toBe(false);
  });
});
