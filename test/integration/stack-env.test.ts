// `stack up` with variables naming an existing stack uses it, and leaves the state of a stack that this folder
// started alone: writing over it once made the next `up` start a second stack on the first one's data folders.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stackUp } from '../../src/stack/index.ts';
import { stackSettings } from '../helpers/stack.ts';

describe('stack up with KAFKA_BROKERS set', () => {
  const saved = process.env.KAFKA_BROKERS;
  const dirs: string[] = [];
  afterEach(() => {
    if (saved === undefined) delete process.env.KAFKA_BROKERS;
    else process.env.KAFKA_BROKERS = saved;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('uses the named stack and keeps a native stack’s state file as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-env-'));
    dirs.push(dir);
    const native = JSON.stringify({ mode: 'native', startedAt: '2026-12-01T00:00:00.000Z', kafka: { brokers: ['127.0.0.1:1'] }, processes: [{ name: 'kafka', pid: 1, log: 'x', group: true }], containers: [] });
    writeFileSync(join(dir, 'stack.json'), native);
    process.env.KAFKA_BROKERS = stackSettings().KAFKA_BROKERS;
    const lines: string[] = [];
    const result = await stackUp({ dir, log: (l) => lines.push(l) });
    expect(result.state.mode).toBe('external');
    expect(result.state.kafka.brokers).toEqual(stackSettings().KAFKA_BROKERS.split(','));
    expect(readFileSync(join(dir, 'stack.json'), 'utf8')).toBe(native);
    expect(lines.join('\n')).toContain('left as it is');
  });

  it('records the named stack in a folder without one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-env-'));
    dirs.push(dir);
    process.env.KAFKA_BROKERS = stackSettings().KAFKA_BROKERS;
    await stackUp({ dir });
    expect(JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')).mode).toBe('external');
  });
});
