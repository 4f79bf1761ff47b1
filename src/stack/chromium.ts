// Chromium for the web UI's browser tests and benchmarks: CHROMIUM_PATH, else the Debian package's binary, installed
// with apt-get when missing and we are root (as the native stack installs its servers), else a clear message.
import { existsSync } from 'node:fs';
import { hasCommand } from './exec.ts';
import { aptInstall } from './prerequisites.ts';

const DEBIAN_BINARY = '/usr/bin/chromium';

/** The path of a Chromium binary, installing Debian's package if needed. */
export async function ensureChromium(log: (line: string) => void = () => {}): Promise<string> {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist`);
    return configured;
  }
  if (existsSync(DEBIAN_BINARY)) return DEBIAN_BINARY;
  if (process.getuid?.() !== 0 || !(await hasCommand('apt-get'))) {
    throw new Error('the browser tests need Chromium: install it (on Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROMIUM_PATH');
  }
  await aptInstall(['chromium'], log);
  if (!existsSync(DEBIAN_BINARY)) throw new Error(`chromium is still missing at ${DEBIAN_BINARY} after apt-get install chromium`);
  return DEBIAN_BINARY;
}
