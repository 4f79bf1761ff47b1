// The Java client as a second, independent read-committed reader of a topic (for tests that judge our read path).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, DEFAULT_KAFKA_VERSION } from '../../src/stack/index.ts';

export interface JavaRecord {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

const source = join(import.meta.dirname, 'java/ReadCommitted.java');

/** The Kafka jars the native stack runs on, if they are here (a Docker-only machine has none). */
export function kafkaLibs(): string | undefined {
  const libs = join(cacheDir(), `kafka-${DEFAULT_KAFKA_VERSION}`, 'libs');
  return existsSync(libs) ? libs : undefined;
}

/** Every committed record of `topic`, read by the Java client with isolation.level=read_committed. */
export async function readCommittedWithJava(brokers: string, topic: string): Promise<JavaRecord[]> {
  const libs = kafkaLibs();
  if (!libs) throw new Error('no Kafka jars in the cache for the Java reader');
  const { stdout } = await promisify(execFile)('java', ['-cp', `${libs}/*`, source, brokers, topic], { maxBuffer: 1 << 28 });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [partition, offset, key, ...value] = line.split('\t');
      return { partition: Number(partition), offset: Number(offset), key, value: value.join('\t') };
    });
}
