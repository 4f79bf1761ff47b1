// A throwaway certificate authority for TLS tests, made with the openssl CLI in a temporary folder (no network):
// a server certificate for localhost / 127.0.0.1 and client certificates with a given subject CN.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem {
  cert: Buffer;
  key: Buffer;
  /** Where they are on disk. */
  certFile: string;
  keyFile: string;
}

export interface TestCa extends Pem {
  /** A certificate signed by this CA; `server` ones name localhost and 127.0.0.1. */
  issue(cn: string, use: 'server' | 'client'): Pem;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Creates a CA named `name`. */
export function createTestCa(name = 'otlp-streams test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'test-ca-'));
  openssl(dir, ['req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${name}`]);
  const pem = (base: string): Pem => ({
    cert: readFileSync(join(dir, `${base}.pem`)),
    key: readFileSync(join(dir, `${base}.key`)),
    certFile: join(dir, `${base}.pem`),
    keyFile: join(dir, `${base}.key`),
  });
  let serial = 0;
  return {
    ...pem('ca'),
    issue(cn, use) {
      const base = `${use}-${++serial}`;
      writeFileSync(join(dir, `${base}.ext`), use === 'server' ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n');
      openssl(dir, ['req', ...newKey, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`]);
      openssl(dir, ['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(1000 + serial), '-days', '2', '-out', `${base}.pem`, '-extfile', `${base}.ext`]);
      return pem(base);
    },
  };
}
