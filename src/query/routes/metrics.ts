// Rollup charts and the service graph from the PostgreSQL sinks' tables. (To be built.)
import type { Route } from './route.ts';

export function rollupRoutes(): Route[] {
  return [];
}
