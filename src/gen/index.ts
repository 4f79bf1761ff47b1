// Load generator: seeded, realistic OTLP traffic (a simulated shop) and the `gen` runner.
export { Traffic, type TrafficBatch, type TrafficOptions } from './traffic.ts';
export { Random } from './random.ts';
export { SHOP, instancesOf, type Service, type Instance } from './services.ts';
export { runGen, type GenOptions, type GenStats, type GenTarget } from './run.ts';
