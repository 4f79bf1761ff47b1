// kafkajs' own modules, fresh from disk, whatever src/kafka/kafkajs.ts put in the require cache: the oracles for
// the replacements' tests.
import Module, { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

/** A fresh copy of kafkajs module `id` (e.g. 'kafkajs/src/consumer/batch'); its own requires use the cache. */
export function stockKafkajs(id: string): unknown {
  const filename = require.resolve(id);
  const m = new Module(filename) as Module & { _compile(code: string, filename: string): void };
  m.filename = filename;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(filename));
  m._compile(readFileSync(filename, 'utf8'), filename);
  return m.exports;
}
