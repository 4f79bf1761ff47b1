// `summary`: count, sum, min and max of a field per window in one aggregate (the rollup's shape).
import { summary, type Summary } from '../../operators/index.ts';
import type { AggregateFunction } from '../component.ts';

/** Count, sum, min and max of the field. */
export const summaryFunction: AggregateFunction<Summary> = {
  description: 'count, sum, min and max of the field',
  needsField: true,
  fields: { count: 'bigint', sum: 'double precision', min: 'double precision', max: 'double precision' },
  create: (select) => summary(select),
  values: (s) => ({ count: s.count, sum: s.sum, min: s.min, max: s.max }),
};
