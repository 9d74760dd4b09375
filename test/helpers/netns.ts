import { execFileSync } from 'node:child_process';

/**
 * Hosts of their own on one machine, for tests of a deployment: host names (UTS namespaces). They
 * need root and util-linux; a machine without them fails these tests rather than skipping them
 * (`.ci/run` installs the tools).
 */

/** Throws, naming what is missing, unless this process is root and has `unshare` and `hostname`. */
export function requireNamespaces(): void {
  if (process.getuid?.() !== 0) throw new Error('this test makes namespaces and sets host names: run it as root (as .ci/run does)');
  const tools: Array<[string, string[], string]> = [['unshare', ['--version'], 'util-linux'], ['hostname', ['--version'], 'hostname']];
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
