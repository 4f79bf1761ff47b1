// `count`: number of items per window.
import { count } from '../../operators/index.ts';
import type { AggregateFunction } from '../component.ts';

/** Items per window. */
export const countFunction: AggregateFunction<number> = {
  description: 'number of items',
  needsField: false,
  fields: { count: 'bigint' },
  create: () => count(),
  values: (n) => ({ count: n }),
};
