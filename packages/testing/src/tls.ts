import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway certificate for loopback TLS tests. */
export interface TestCertificate {
  /** PEM certificate (also the CA to trust: it is self-signed). */
  readonly cert: Buffer;
  /** PEM private key. */
  readonly key: Buffer;
}

/**
 * Makes a self-signed P-256 certificate valid for a day for `127.0.0.1` and
 * `localhost`, with the `openssl` binary at `openssl` (find it with
 * `requireTool('openssl', 'openssl', ...)`). Nothing is left on disk.
 */
export function selfSignedCertificate(openssl = 'openssl'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
  try {
    execFileSync(
      openssl,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
