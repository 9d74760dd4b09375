import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Hosts of their own on one machine, for tests of a deployment: host names (UTS namespaces) and
 * network namespaces on a switch, each with its own `/etc/hosts`. They need root, iproute2 and
 * util-linux; a machine without them fails these tests rather than skipping them (`.ci/run`
 * installs the tools).
 */

type Tool = [command: string, versionArgs: string[], debianPackage: string];
const UTS: Tool[] = [['unshare', ['--version'], 'util-linux'], ['hostname', ['--version'], 'hostname']];

/** Throws, naming what is missing, unless this process is root and has `unshare` and `hostname`. */
export const requireHostnames = (): void => requireRoot(UTS);

/** Throws, naming what is missing, unless this process is root and has `ip`, `unshare` and `hostname`. */
export const requireNetworks = (): void => requireRoot([['ip', ['-V'], 'iproute2'], ...UTS]);

function requireRoot(tools: Tool[]): void {
  if (process.getuid?.() !== 0) throw new Error('this test makes namespaces and sets host names: run it as root (as .ci/run does)');
  const missing = tools.filter(([tool, args]) => !runs(tool, args)).map(([tool, , pkg]) => `\`${tool}\` (apt-get install -y ${pkg})`);
  if (missing.length > 0) throw new Error(`this test needs ${missing.join(' and ')}; .ci/run installs them`);
}

function runs(tool: string, args: string[]): boolean {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A wrapper (see `startCliUnder`) running its command with host name `name`, in a UTS namespace of its own. */
export const withHostname = (name: string): string[] => ['unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', name];

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });

/**
 * `count` network namespaces on a switch (a namespace holding a bridge, so that nothing is added
 * to this machine's own network), host i at 10.200.0.(i + 1)/24. Names are unique to this run,
 * so runs in parallel do not clash. Call `remove()` in afterAll even if `up()` failed halfway.
 */
export class Lan {
  readonly id = `g${randomBytes(3).toString('hex')}`;
  readonly hosts: string[];
  readonly #switch = `${this.id}-sw`;

  constructor(count: number) {
    this.hosts = Array.from({ length: count }, (_, i) => `${this.id}-${i}`);
  }

  address(i: number): string {
    return `10.200.0.${i + 1}`;
  }

  up(): void {
    ip('netns', 'add', this.#switch);
    ip('-n', this.#switch, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.#switch, 'link', 'set', 'br0', 'up');
    this.hosts.forEach((ns, i) => {
      ip('netns', 'add', ns);
      // A veth pair made straight into the two namespaces: eth0 in the host, a bridge port in the switch.
      ip('link', 'add', `${this.id}p${i}`, 'netns', this.#switch, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('-n', this.#switch, 'link', 'set', `${this.id}p${i}`, 'master', 'br0', 'up');
      ip('-n', ns, 'addr', 'add', `${this.address(i)}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      this.setHosts(i, {});
    });
  }

  /**
   * Host i's `/etc/hosts` (name → address), which `ip netns exec` mounts over the machine's; its
   * `nsswitch.conf` looks names up in that file only, so a name missing there fails at once
   * (ENOTFOUND), as a pod's peer not yet in DNS does. Rewritten in place: running processes see it.
   */
  setHosts(i: number, names: Record<string, string>): void {
    const dir = `/etc/netns/${this.hosts[i]}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/nsswitch.conf`, 'hosts: files\n');
    const lines = ['127.0.0.1 localhost', ...Object.entries(names).map(([name, address]) => `${address} ${name}`)];
    writeFileSync(`${dir}/hosts`, `${lines.join('\n')}\n`);
  }

  /** A wrapper (see `startCliUnder`) running its command in host i's namespace. */
  in(i: number, wrapper: string[] = []): string[] {
    return ['ip', 'netns', 'exec', this.hosts[i] as string, ...wrapper];
  }

  /** Deletes the namespaces (their veths go with them) and the hosts files; each step whatever the others did. */
  remove(): void {
    for (const ns of [...this.hosts, this.#switch]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // never made, or gone
      }
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    try {
      rmdirSync('/etc/netns'); // only if empty: nothing else uses it
    } catch {
      // in use, or gone
    }
  }
}
