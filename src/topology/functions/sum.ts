// `sum`: total of a field per window.
import { sum } from '../../operators/index.ts';
import type { AggregateFunction } from '../component.ts';

/** Sum of the field. */
export const sumFunction: AggregateFunction<number> = {
  description: 'sum of the field',
  needsField: true,
  fields: { sum: 'double precision' },
  create: (select) => sum(select),
  values: (total) => ({ sum: total }),
};
