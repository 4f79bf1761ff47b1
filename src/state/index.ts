// State stores of a task: in-memory, with change capture for compacted changelog topics.
export type { ChangeCapture, ChangelogRecord } from './changelog.ts';
export { inMemoryKeyValueStore } from './keyValueStore.ts';
export type { KeyValueChange, KeyValueStore, KeyValueStoreOptions, StaleEntry } from './keyValueStore.ts';
export { inMemoryWindowStore } from './windowStore.ts';
export type { WindowChange, WindowEntry, WindowStore, WindowStoreOptions } from './windowStore.ts';
export {
  decodeWindowKey,
  encodeWindowKey,
  float64Serde,
  jsonSerde,
  numberLayout,
  readInt64,
  readUvarint,
  stringSerde,
  uvarintLength,
  uvarintSerde,
  writeInt64,
  writeUvarint,
} from './serde.ts';
export type { Float64Layout, Serde } from './serde.ts';
