// kafkajs is CommonJS and builds its exports object with computed members and a spread, so Node's CJS
// named-export detection misses some of them: `import { CompressionCodecs } from 'kafkajs'`
// (src/kafka/snappy.ts, src/producer/delivery.ts) fails to link under plain Node 22 ESM, so nothing that
// imports src/kafka or src/runtime loads outside vitest (whose transform adds the interop).
// Until src imports kafkajs through its default export, a bench installs this resolve hook first and then
// loads everything that reaches src/ with a dynamic import: the hook sends every `kafkajs` import to a small
// ESM facade that re-exports the CommonJS module's members by name. Harmless once src is fixed.
import { register } from 'node:module';

let installed = false;

/** Installs the resolve hook once; call before dynamically importing anything that reaches src/. */
export function installKafkajsInterop(): void {
  if (installed) return;
  register('./interopHooks.ts', import.meta.url);
  installed = true;
}
