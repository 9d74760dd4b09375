import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

/** What an actor serves with (`--tls-cert`, `--tls-key`) and whom it trusts (`--tls-ca`). */
export interface TlsConfig {
  /** Certificate and key this process serves HTTPS with; null: plain HTTP. */
  readonly server: { readonly cert: Buffer; readonly key: Buffer } | null;
  /** The CA its peers' certificates must chain to; null: the system's CAs. */
  readonly ca: Buffer | null;
}

export const NO_TLS: TlsConfig = { server: null, ca: null };

/** Files as the flags name them; throws an Error naming the flag and the file on anything wrong. */
export function readTls(files: { cert?: string | undefined; key?: string | undefined; ca?: string | undefined }): TlsConfig {
  if ((files.cert === undefined) !== (files.key === undefined)) throw new Error('`--tls-cert <file>` and `--tls-key <file>` go together');
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`\`${flag}\`: cannot read \`${file}\` (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const server = files.cert === undefined || files.key === undefined ? null : { cert: read('--tls-cert', files.cert), key: read('--tls-key', files.key) };
  const ca = files.ca === undefined ? null : read('--tls-ca', files.ca);
  try {
    // Parses the PEMs and checks that the key belongs to the certificate, now rather than at the first connection.
    if (server !== null) createSecureContext(server);
  } catch (err) {
    throw new Error(`\`--tls-cert\` and \`--tls-key\` are not usable together: ${(err as Error).message}`);
  }
  try {
    // A CA bundle that holds no certificate would make every peer untrusted; Node's TLS does not say so.
    if (ca !== null) new X509Certificate(ca);
  } catch (err) {
    throw new Error(`\`--tls-ca\` is not usable: no PEM certificate in \`${files.ca}\` (${(err as Error).message})`);
  }
  return { server, ca };
}
