import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeBase, getJson, killAll, runCli, startCli, tmpDataDir, waitFor } from '../helpers/processes.js';

afterAll(killAll);

/** A CA of the test's own, and a certificate for 127.0.0.1 that it signed (openssl, EC P-256). */
function makeCa(dir: string, name: string): { ca: string; cert: string; key: string } {
  const at = (f: string): string => join(dir, `${name}-${f}`);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', `/CN=${name} test CA`);
  ssl('req', ...ec, '-keyout', at('actor.key'), '-out', at('actor.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(at('san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', at('actor.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('actor.pem'), '-days', '2', '-extfile', at('san.cnf'));
  return { ca: at('ca.pem'), cert: at('actor.pem'), key: at('actor.key') };
}

let good: ReturnType<typeof makeCa>;
let rogue: ReturnType<typeof makeCa>;
beforeAll(() => {
  const dir = tmpDataDir();
  good = makeCa(dir, 'good');
  rogue = makeCa(dir, 'rogue');
});

const tlsArgs = (c: ReturnType<typeof makeCa>): string[] => ['--tls-cert', c.cert, '--tls-key', c.key, '--tls-ca', c.ca];
/** A GET over HTTPS trusting `ca` (or the system's CAs): the status, or the TLS error's code. */
const httpsGet = (url: string, ca?: string): Promise<number | string> =>
  new Promise((resolve) => {
    const req = get(url, { ...(ca === undefined ? {} : { ca: readFileSync(ca) }), timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });

describe('TLS', () => {
  it('a cluster serving HTTPS with certificates from its CA converges; a peer whose certificate is from another CA is not trusted', async () => {
    const base = await freeBase(3);
    const common = ['-c', '3', '-b', String(base), '--memory', '--interval', '5-20', '--mutations', '20', '--sync-interval', '200'];
    for (const i of [0, 1]) startCli(['-a', String(i), ...common, ...tlsArgs(good)], { GENOME_CLUSTER_KEY: 'tls-cluster-key-0123456789' });
    const impostor = startCli(['-a', '2', ...common, ...tlsArgs(rogue)], { GENOME_CLUSTER_KEY: 'tls-cluster-key-0123456789' });
    const url = (i: number): string => `https://127.0.0.1:${base + i}`;
    await waitFor('actors 0 and 1 to serve HTTPS', async () => (await httpsGet(`${url(0)}/healthz`, good.ca)) === 200 && (await httpsGet(`${url(1)}/healthz`, good.ca)) === 200);

    // Actors 0 and 1 hold all of each other's ops and none of the impostor's, and say why.
    const verify = await runCli(['verify', '--peers', `${url(0)},${url(1)}`, '--tls-ca', good.ca, '--expect-ops', '20', '--timeout', '30000']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    await waitFor('the impostor to serve, with its own CA', async () => (await httpsGet(`${url(2)}/healthz`, rogue.ca)) === 200);
    const logs = (): string => impostor.stderr.join('');
    await waitFor('the impostor to fail to reach its peers', () => /failed, retrying with backoff: .*(UNABLE_TO_VERIFY|SELF_SIGNED|CERT)/.test(logs()));

    // Plain HTTP, or HTTPS without the cluster's CA, gets nowhere.
    await expect(getJson(`http://127.0.0.1:${base}/healthz`)).rejects.toThrow();
    expect(await httpsGet(`${url(0)}/healthz`)).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|CERT/);
  });

  it('refuses unusable TLS flags with one line and exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--tls-cert', good.cert], /--tls-cert <file>` and `--tls-key <file>` go together/],
      [['--tls-cert', '/nonexistent.pem', '--tls-key', good.key], /--tls-cert`: cannot read `\/nonexistent\.pem` \(ENOENT\)/],
      [['--tls-cert', good.cert, '--tls-key', rogue.key], /`--tls-cert` and `--tls-key` are not usable together/],
      [['--tls-ca', good.key], /`--tls-ca` is not usable: no PEM certificate/],
      [['--tls-cert', good.cert, '--tls-key', good.key, '--peers', 'http://127.0.0.1:9001'], /expected `https:\/\/` peers with `--tls-cert`/],
    ];
    for (const [flags, message] of cases) {
      const { code, stderr } = await runCli(['-a', '0', ...(flags.includes('--peers') ? [] : ['-c', '2']), '-b', '9000', '--memory', ...flags]);
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
    }
  });
});
