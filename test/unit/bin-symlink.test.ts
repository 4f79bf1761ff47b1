// bin/otlp-streams reached through symlinks, as `npm link`, `npm install -g` and `npx` install it: it must find its
// home (and the project's Node) from the file the links lead to, not from the link.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../../bin/otlp-streams');
const dir = mkdtempSync(join(tmpdir(), 'otlp-streams-bin-'));

describe('bin/otlp-streams through a symlink', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs through an absolute symlink in another folder', () => {
    const link = join(dir, 'otlp-streams');
    symlinkSync(bin, link);
    const help = execFileSync(link, ['--help'], { encoding: 'utf8', cwd: dir });
    expect(help).toMatch(/^Usage: otlp-streams/);
    expect(help).toMatch(/^\s+ingest\b/m);
  });

  it('runs through a chain of relative symlinks', () => {
    mkdirSync(join(dir, 'lib', 'node_modules', '.bin'), { recursive: true });
    symlinkSync(bin, join(dir, 'lib', 'node_modules', '.bin', 'otlp-streams'));
    mkdirSync(join(dir, 'bin'));
    symlinkSync('../lib/node_modules/.bin/otlp-streams', join(dir, 'bin', 'otlp-streams'));
    const help = execFileSync(join(dir, 'bin', 'otlp-streams'), ['--help'], { encoding: 'utf8', cwd: tmpdir() });
    expect(help).toMatch(/^Usage: otlp-streams/);
  });
});
