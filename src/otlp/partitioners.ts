// Kafka partitioners by name, so every producer of a topic can pick the same one (see COLLECTOR-KAFKA.md):
//   murmur2        (murmur2(key) & 0x7fffffff) % n — Java client, kafkajs default, and the collector's
//                  `sticky_key: {hasher: murmur2}` option;
//   sarama_compat  FNV-1a 32-bit, p = int32(h) % n, negated if negative — the collector's default.
// Which to use: the one every other producer of the topic uses. A fresh deployment fed by the collector with
// default settings must use sarama_compat; one fed by Java or kafkajs producers must use murmur2.
import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

/** A key partitioner usable directly or as a kafkajs `createPartitioner`. */
export interface Partitioner {
  readonly name: 'murmur2' | 'sarama_compat';
  /** The partition (0..numPartitions-1) for a non-null key. */
  partition(key: Uint8Array, numPartitions: number): number;
  /** kafkajs producer option: explicit partitions are kept, keyed records hashed, null keys spread round-robin. */
  createPartitioner: ICustomPartitioner;
}

/** Kafka's murmur2 (Utils.murmur2 in the Java client) of the first `length` bytes, as a signed 32-bit int. */
export function murmur2Hash(data: Uint8Array, length = data.length): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2] << 16;
  if (rest >= 2) h ^= data[whole + 1] << 8;
  if (rest >= 1) {
    h ^= data[whole];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** FNV-1a 32-bit hash as an unsigned int. */
export function fnv1a32(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 0x01000193);
  return h >>> 0;
}

function kafkajsPartitioner(partition: (key: Uint8Array, n: number) => number): ICustomPartitioner {
  return () => {
    let counter = 0;
    return ({ partitionMetadata, message }: PartitionerArgs): number => {
      if (typeof message.partition === 'number') return message.partition;
      if (message.key != null) {
        const key = typeof message.key === 'string' ? Buffer.from(message.key, 'utf8') : message.key;
        return partition(key, partitionMetadata.length);
      }
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      const pool = available.length > 0 ? available : partitionMetadata;
      return pool[counter++ % pool.length].partitionId;
    };
  };
}

function murmur2Partition(key: Uint8Array, numPartitions: number): number {
  return (murmur2Hash(key) & 0x7fffffff) % numPartitions;
}

function saramaCompatPartition(key: Uint8Array, numPartitions: number): number {
  const p = ((fnv1a32(key) | 0) % numPartitions) | 0; // | 0 turns a -0 remainder into 0
  return p < 0 ? -p : p;
}

/** Java-compatible murmur2 partitioner. */
export const murmur2: Partitioner = { name: 'murmur2', partition: murmur2Partition, createPartitioner: kafkajsPartitioner(murmur2Partition) };

/** The collector's default (franz-go sticky_key with the sarama_compat FNV-1a hasher). */
export const sarama_compat: Partitioner = {
  name: 'sarama_compat',
  partition: saramaCompatPartition,
  createPartitioner: kafkajsPartitioner(saramaCompatPartition),
};

/** Partitioners by their configuration name. */
export const partitioners: Readonly<Record<Partitioner['name'], Partitioner>> = { murmur2, sarama_compat };
