import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { startActor, type ActorOptions, type RunningActor } from '../src/actor/run.js';
import { actorOptions, addActorCommandFlags } from '../src/cli/actor-command.js';
import { freeBase } from './helpers/processes.js';

/**
 * The deployment files: parsed (YAML by a real parser), and checked against each other and against
 * the program: the arguments they pass go through the actor's own flag checks, their probes ask
 * routes a real actor serves, and the image's health check runs against one.
 */

const text = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const yamlOf = <T>(path: string): T => parse(text(path), { merge: true }) as T;

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  args: string[];
  env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  ports: Array<{ name: string; containerPort: number }>;
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  securityContext: { allowPrivilegeEscalation: boolean };
  volumeMounts: Array<{ name: string; mountPath: string }>;
}
interface StatefulSet {
  kind: string;
  metadata: { name: string };
  spec: {
    serviceName: string;
    replicas: number;
    podManagementPolicy: string;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { securityContext: { runAsNonRoot: boolean; runAsUser: number }; containers: Container[] } };
    volumeClaimTemplates: Array<{ metadata: { name: string } }>;
  };
}
interface Service {
  kind: string;
  metadata: { name: string };
  spec: { clusterIP: string; publishNotReadyAddresses: boolean; selector: Record<string, string>; ports: Array<{ name: string; port: number; targetPort: string | number }> };
}
interface Secret {
  kind: string;
  metadata: { name: string };
  stringData: Record<string, string>;
}
interface Compose {
  services: Record<string, { build: string; hostname: string; command: string[]; environment: Record<string, string>; ports: string[]; volumes: string[] }>;
  volumes: Record<string, unknown>;
}

const KEY = 'deploy-test-cluster-key-0123';

/**
 * What the actor's command line makes of `args` on a machine named `hostname`, given `key` in env
 * `GENOME_CLUSTER_KEY` as the deployments give it (empty: none); a usage error (exit 2 in the CLI) is thrown.
 */
function parseActorArgs(args: string[], hostname: string, key = KEY): ActorOptions {
  vi.stubEnv('GENOME_CLUSTER_KEY', key);
  let options: ActorOptions | undefined;
  const program = addActorCommandFlags(new Command('crdt-genome'))
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .action((_o, cmd: Command) => {
      options = actorOptions(cmd, hostname);
    });
  program.parse(args, { from: 'user' });
  if (options === undefined) throw new Error(`no actor options from ${args.join(' ')}`);
  return options;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

// A real actor, alone (so ready at once), for the probes and the health check to ask.
let actor: RunningActor | undefined;
let port: number;
beforeAll(async () => {
  port = await freeBase(1);
  actor = await startActor(parseActorArgs(['-a', '0', '-c', '1', '-b', String(port), '--memory', '--interval', '1000-1000', '--log-level', 'silent'], 'test-machine'));
});
afterAll(async () => {
  await actor?.stop();
});

describe('deploy/kubernetes', () => {
  const sts = yamlOf<StatefulSet>('deploy/kubernetes/statefulset.yaml');
  const svc = yamlOf<Service>('deploy/kubernetes/service.yaml');
  const secret = yamlOf<Secret>('deploy/kubernetes/secret.example.yaml');
  const pod = sts.spec.template;
  const container = pod.spec.containers[0] as Container;
  const http = container.ports.find((p) => p.name === 'http');
  const servicePort = svc.spec.ports[0];

  it('the Service is headless, publishes pods before they are ready, and is the StatefulSet\'s, on the container\'s port', () => {
    expect([sts.kind, svc.kind]).toEqual(['StatefulSet', 'Service']);
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.publishNotReadyAddresses).toBe(true);
    expect(sts.spec.serviceName).toBe(svc.metadata.name);
    expect(pod.metadata.labels).toMatchObject(svc.spec.selector);
    expect(pod.metadata.labels).toMatchObject(sts.spec.selector.matchLabels);
    expect(http).toBeDefined();
    expect(servicePort).toMatchObject({ port: http?.containerPort, targetPort: http?.name });
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
  });

  it('pod i\'s arguments pass the actor\'s flag checks as actor i, on the container port, its peers the other pods by DNS name, its store on its claim', () => {
    const name = (i: number): string => `${sts.metadata.name}-${i}`;
    const claim = sts.spec.volumeClaimTemplates[0]?.metadata.name;
    const dataDir = container.volumeMounts.find((m) => m.name === claim)?.mountPath;
    expect(dataDir).toBeDefined();
    for (let i = 0; i < sts.spec.replicas; i++) {
      const options = parseActorArgs(container.args, name(i));
      const others = Array.from({ length: sts.spec.replicas }, (_, j) => j).filter((j) => j !== i);
      expect(options).toMatchObject({ actor: i, port: http?.containerPort, host: '0.0.0.0', dataDir, clusterKey: KEY });
      expect(options.peers).toEqual(others.map((j) => `http://${name(j)}.${svc.metadata.name}:${servicePort?.port}`));
    }
    // One more pod needs new arguments (the member count is in them), and none runs without the key.
    expect(() => parseActorArgs(container.args, name(sts.spec.replicas))).toThrow(/--count/);
    expect(() => parseActorArgs(container.args, name(0), '')).toThrow(/--cluster-key/);
  });

  it('the key comes from the example Secret, whose placeholder actors refuse', () => {
    const ref = container.env.find((e) => e.name === 'GENOME_CLUSTER_KEY')?.valueFrom?.secretKeyRef;
    expect(secret.kind).toBe('Secret');
    expect(ref?.name).toBe(secret.metadata.name);
    const placeholder = secret.stringData[ref?.key ?? ''];
    expect(placeholder).toBeDefined();
    expect(() => parseActorArgs(container.args, `${sts.metadata.name}-0`, placeholder)).toThrow(/--cluster-key.*at least 16/);
  });

  it('the probes ask routes an actor serves, on its port; the pod runs as a user without privileges', async () => {
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      expect([http?.name, http?.containerPort]).toContain(probe.httpGet.port);
      expect((await fetch(`http://127.0.0.1:${port}${probe.httpGet.path}`)).status).toBe(200);
    }
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    expect(pod.spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
  });
});

describe('docker-compose.yml', () => {
  const compose = yamlOf<Compose>('docker-compose.yml');

  it('three actors, each its host name, its volume at the store\'s dir and its port on the host, run one command the actor\'s flag checks pass', () => {
    const names = Object.keys(compose.services);
    expect(names).toHaveLength(3);
    const volumes = new Set<string>();
    const published = new Set<string>();
    names.forEach((name, i) => {
      const service = compose.services[name] as Compose['services'][string];
      expect(service.hostname).toBe(name);
      expect(existsSync(new URL(`../${service.build}/Dockerfile`, import.meta.url))).toBe(true);
      expect(service.environment.GENOME_CLUSTER_KEY).toMatch(/^\$\{GENOME_CLUSTER_KEY:\?/);
      const options = parseActorArgs(service.command, service.hostname);
      expect(options.actor).toBe(i);
      expect(options.peers).toEqual(names.filter((n) => n !== name).map((n) => `http://${n}:${options.port}`));
      const [volume, mountedAt, ...rest] = (service.volumes[0] ?? '').split(':');
      expect(service.volumes).toHaveLength(1);
      expect(rest).toEqual([]);
      expect(mountedAt).toBe(options.dataDir);
      expect(Object.keys(compose.volumes)).toContain(volume);
      volumes.add(volume as string);
      const [hostPort, containerPort] = (service.ports[0] ?? '').split(':');
      expect(containerPort).toBe(String(options.port));
      published.add(hostPort as string);
    });
    expect(volumes.size).toBe(3);
    expect(published.size).toBe(3);
  });
});

describe('Dockerfile', () => {
  // Instructions, continuation lines joined, comments left out.
  const steps = text('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => ({ op: (line.split(/\s/)[0] ?? '').toUpperCase(), args: line.replace(/^\S+\s*/, '') }));
  const all = (op: string): string[] => steps.filter((s) => s.op === op).map((s) => s.args);
  const ignored = text('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`));

  it('builds in a stage of its own, copies what exists and .dockerignore lets through, and runs as a user, its data under a volume', () => {
    const stages = all('FROM');
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/ AS build$/i);
    // The runtime stage takes production dependencies only.
    expect(all('RUN').some((run) => run.includes('npm prune --omit=dev'))).toBe(true);
    const sources = all('COPY').filter((args) => !args.startsWith('--from=')).flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(new URL(`../${source}`, import.meta.url)), source).toBe(true);
      expect(ignored.some((pattern) => pattern.test(source)), `${source} is in .dockerignore`).toBe(false);
    }
    expect(ignored.some((pattern) => pattern.test('node_modules'))).toBe(true);
    const user = all('USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(all('VOLUME')).toEqual(['/data']);
    expect(all('EXPOSE')).toEqual(['7000']);
    const { bin } = JSON.parse(text('package.json')) as { bin: Record<string, string> };
    expect(JSON.parse(all('ENTRYPOINT')[0] ?? '[]')).toEqual(['node', bin['crdt-genome']]);
  });

  it('its HEALTHCHECK asks /healthz with node alone: it passes while an actor serves, and fails once none does', async () => {
    const check = all('HEALTHCHECK');
    expect(check).toHaveLength(1);
    const [command, ...args] = JSON.parse((check[0] ?? '').replace(/^.*?CMD\s+/, '')) as string[];
    expect(command).toBe('node');
    const run = (): Promise<number> =>
      promisify(execFile)(process.execPath, args, { env: { ...process.env, HEALTHCHECK_PORT: String(port) }, timeout: 10_000 }).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
    expect(await run()).toBe(0);
    await actor?.stop();
    actor = undefined;
    expect(await run()).toBe(1);
  });
});
